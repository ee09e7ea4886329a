"""Long-range plan: cut the span into plan windows and share each request's exposure among them.

The first level of the hierarchical scheduler (``scheduling.hierarchical``), in the manner of
HST's SPIKE long-range planner and JWST's plan windows (days to weeks, then a detailed short-term
schedule inside each). Plan windows are whole days: a week (``PLAN_WINDOW_MAX_DAYS``, JWST's
short-term schedules), shorter on spans under ``MIN_PLAN_WINDOWS`` weeks, at least a day; the
long-range LP has requests x windows columns and each detailed window about a week's requests.
A border that falls inside an engineering occurrence's flex range moves to the range's end.

The assignment solves a relaxation on the windows' aggregated capacities: x_{r,w} (s) the
exposure of request r in window w, at most its usable time there; the exposure of all
requests of one target in w at most the target's visible time there; each window's observing
time at most its usable time (the union of all usable windows) minus the engineering that
must lie inside it; each request at most its exposure cap (``bounds.exposure_caps``: visit
count and cadence); maximise sum_r priority_r / exposure_r x_{r,w}. Every row holds for every
valid plan, so the optimum is a valid upper bound on the whole problem. Without the recorder
it is a maximum-profit flow (source -> request -> (target, window) -> window -> sink), solved
exactly in about a second for 10,000 requests x 52 windows by OR-Tools' network simplex
(HiGHS' simplex and interior point took over five minutes on the same LP); when the recorder
can bind, HiGHS also solves the LP with the recorder rows at the borders
(``bounds.recorder_rows``) if it is small enough, and the smaller bound is used. Exposure
pieces shorter than a minimum visit are dropped; a request with ``n_visits`` keeps its
largest pieces and shares its visits among them by largest remainder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lunarscope.constants import SECONDS_PER_DAY
from lunarscope.scheduling.bounds import (
    LP_REL_MARGIN,
    BoundTimeout,
    exposure_caps,
    recorder_rows,
    relaxation_bound,
    slice_capacity,
    usable_cumulative,
)
from lunarscope.scheduling.recorder import Drain
from lunarscope.scheduling.requests import intersect

#: Shortest and longest plan window (days).
PLAN_WINDOW_MIN_DAYS = 1
PLAN_WINDOW_MAX_DAYS = 7
#: Names of the long-range bounds (``Schedule.bound_source``).
SOURCE_FLOW = "flow relaxation over plan windows"
SOURCE_LP_RECORDER = "LP relaxation over plan windows with recorder"
SOURCE_FLOW_DAYS = "flow relaxation over days"
SOURCE_FLOW_DAILY = "flow relaxation over days (LP relaxation not finished in the time limit)"
#: Largest long-range LP (requests x windows columns) solved with the recorder rows; above
#: it the flow relaxation alone is used.
LP_MAX_COLUMNS = 200_000
#: Integer levels of the flow's profit per second (the most valuable request gets this many).
FLOW_COST_SCALE = 1_000_000
#: Plan windows wanted at least (the window is shortened on short spans).
MIN_PLAN_WINDOWS = 4


@dataclass
class LongRangePlan:
    """Plan-window borders (s, W + 1 of them) and the exposure assigned to each (request,
    window): parallel arrays ``request``, ``window``, ``exposure_s``, ``visits`` (visit
    count allowed there, -1 = no limit). ``bound``: the LP optimum (valid upper bound).
    ``level_mbit``: the recorder level expected at each border (for the detailed solves).
    ``source``: which relaxation gave ``bound`` (``SOURCE_FLOW`` or ``SOURCE_LP_RECORDER``);
    ``graph``: the flow's network (``flow_graph``), for the slew-charged bound to reuse."""

    borders: np.ndarray
    request: np.ndarray
    window: np.ndarray
    exposure_s: np.ndarray
    visits: np.ndarray
    bound: float
    level_mbit: np.ndarray
    source: str = ""
    graph: FlowGraph | None = field(default=None, repr=False)

    @property
    def n_windows(self) -> int:
        return len(self.borders) - 1


def plan_window_days(problem) -> int:
    """Plan-window length (whole days): ``PLAN_WINDOW_MAX_DAYS``, shorter on short spans so
    there are at least ``MIN_PLAN_WINDOWS`` windows, never under ``PLAN_WINDOW_MIN_DAYS``."""
    days = (problem.stop - problem.start) / SECONDS_PER_DAY
    return int(min(PLAN_WINDOW_MAX_DAYS, max(PLAN_WINDOW_MIN_DAYS, math.floor(days / MIN_PLAN_WINDOWS))))


def plan_borders(problem, days: int | None = None) -> np.ndarray:
    """Borders of the plan windows (s): the start, every ``days`` days (default
    ``plan_window_days``), the stop; a border inside an engineering occurrence's flex range moves
    to the range's end, so each occurrence lies wholly in one window (where the bounds count its
    time, ``bounds.engineering_inside``); a last window shorter than half the length joins the
    one before."""
    days = plan_window_days(problem) if days is None else int(days)
    L = days * SECONDS_PER_DAY
    b = list(np.arange(problem.start, problem.stop, L)[1:])
    if b and problem.stop - b[-1] < 0.5 * L:
        b.pop()
    nom = problem.engineering_nominal
    lo, hi = (nom[:, 0] - nom[:, 2], nom[:, 0] + nom[:, 2] + nom[:, 1]) if len(nom) else ((), ())
    out = []
    for t in b:
        for a, z in zip(lo, hi):  # by start: a chain of overlapping ranges moves t to its end
            if a < t < z:
                t = z
        if problem.start < t < problem.stop and (not out or t > out[-1]):
            out.append(t)
    return np.array([problem.start, *out, problem.stop], float)


def _share_visits(n: int, x: np.ndarray) -> np.ndarray:
    """Visits per piece (>= 1 each) summing to at most ``n``; pieces beyond ``n`` get 0 (the
    smallest are dropped), the rest shared by largest remainder of ``n * x / sum(x)``."""
    order = np.argsort(-x, kind="stable")
    out = np.zeros(len(x), int)
    keep = order[: min(n, len(x))]
    out[keep] = 1
    extra = n - len(keep)
    if extra > 0 and len(keep):
        share = extra * x[keep] / x[keep].sum()
        base = np.floor(share).astype(int)
        out[keep] += base
        rest = extra - base.sum()
        rem = np.argsort(-(share - base), kind="stable")[:rest]
        out[keep[rem]] += 1
    return out


def _levels(problem, borders: np.ndarray, data_by_window: np.ndarray) -> np.ndarray:
    """Recorder level (Mbit) expected at each border when window w generates
    ``data_by_window[w]`` spread evenly and the downlinks drain as soon as possible."""
    sc = problem.spacecraft
    drain = Drain(problem.downlink_timeline)
    level = sc.recorder_initial_mbit
    out = [level]
    for w in range(len(borders) - 1):
        a, b = borders[w], borders[w + 1]
        rate = data_by_window[w] / (b - a)
        _, level, _, _ = drain.run(a, b, level, rate, cap=sc.recorder_capacity_mbit)
        out.append(min(max(level, 0.0), sc.recorder_capacity_mbit))
    return np.array(out)


@dataclass
class FlowGraph:
    """The long-range relaxation's network (``_flow``): arcs source -> request (``R``),
    request -> (target, window) (``ri``, ``wi``), (target, window) -> window (``tw``, keys
    target * W + window), window -> sink (``W``), and a source -> sink bypass; ``capac`` their
    whole-second capacities, ``v`` the profit per second of each request, ``C`` the windows'
    observing capacity (s)."""

    tails: np.ndarray
    heads: np.ndarray
    capac: np.ndarray
    v: np.ndarray
    caps: np.ndarray
    U: np.ndarray
    ri: np.ndarray
    wi: np.ndarray
    tw: np.ndarray
    C: np.ndarray
    total: int
    borders: np.ndarray

    @property
    def n_windows(self) -> int:
        return len(self.C)


def flow_graph(problem, borders: np.ndarray) -> FlowGraph:
    """The network of the long-range relaxation over ``borders`` (module doc)."""
    W = len(borders) - 1
    reqs = problem.requests
    R = len(reqs)
    E = np.array([r.exposure_s for r in reqs], float)
    P = np.array([r.priority for r in reqs], float)
    caps = exposure_caps(problem)
    U = np.array([np.diff(usable_cumulative(w, borders)) for w in problem.usable_windows]).reshape(R, W)
    tgt = np.array([problem.target_index[r.target] for r in reqs], int)
    hz = np.array([[problem.start, problem.stop]])
    T = len(problem.targets)
    V = np.array([np.diff(usable_cumulative(intersect(t.visibility, hz), borders)) for t in problem.targets])
    V = V.reshape(T, W)
    C = slice_capacity(problem, borders)
    ri, wi = np.nonzero(U > 0)
    tw, tw_of = np.unique(tgt[ri] * W + wi, return_inverse=True)
    # nodes: 0 source, 1 sink, 2.. requests, then (target, window) pairs, then windows
    n_r, n_tw = 2, 2 + R
    n_w = n_tw + len(tw)
    tails = np.concatenate([np.zeros(R, int), n_r + ri, n_tw + np.arange(len(tw)), n_w + np.arange(W), [0]])
    heads = np.concatenate([n_r + np.arange(R), n_tw + tw_of, n_w + tw % W, np.ones(W, int), [1]])
    total = int(np.ceil(caps.sum()))
    capac = np.concatenate(
        [np.ceil(caps), np.ceil(U[ri, wi]), np.ceil(V[tw // W, tw % W]), np.ceil(C), [total]]
    ).astype(np.int64)
    return FlowGraph(tails, heads, capac, P / E, caps, U, ri, wi, tw, C, total, np.asarray(borders, float))


def solve_flow(g: FlowGraph, tw_cost=None, w_cost=None, scale: float = FLOW_COST_SCALE) -> np.ndarray:
    """Flows (s) on the arcs of ``g`` (in its arc order) of the maximum-profit flow, exactly by
    OR-Tools' network simplex: profit ``g.v`` per second on the source arcs, less ``tw_cost``
    per second on the (target, window) -> window arcs and ``w_cost`` on the window -> sink arcs
    (default none). Profits are rounded to ``scale`` levels of the most valuable request's."""
    from ortools.graph.python import min_cost_flow

    R, n_rw, n_tw, W = len(g.v), len(g.ri), len(g.tw), g.n_windows
    K = scale / float(g.v.max())
    costs = np.zeros(len(g.tails), np.int64)
    costs[:R] = -np.rint(g.v * K).astype(np.int64)
    if tw_cost is not None:
        costs[R + n_rw : R + n_rw + n_tw] = np.rint(np.asarray(tw_cost) * K).astype(np.int64)
    if w_cost is not None:
        costs[R + n_rw + n_tw : R + n_rw + n_tw + W] = np.rint(np.asarray(w_cost) * K).astype(np.int64)
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(g.tails.astype(np.int32), g.heads.astype(np.int32), g.capac, costs)
    mcf.set_node_supply(0, g.total)
    mcf.set_node_supply(1, -g.total)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"long-range flow failed: status {status}")
    return np.asarray(mcf.flows(np.arange(len(g.tails), dtype=np.int32)), float)


def rounding_allowance(g: FlowGraph, cost_arcs: int = 1, scale: float = FLOW_COST_SCALE) -> float:
    """What the rounding of the profits (``solve_flow``) can hide of the optimum: each of the
    ``cost_arcs`` rounded arcs on a path is off by <= 0.5 / K per second, on at most the
    windows' whole capacity, once for the optimum and once for the flow found."""
    K = scale / float(g.v.max())
    return 2 * cost_arcs * 0.5 / K * float(np.ceil(g.C).sum())


def _flow(problem, borders: np.ndarray, g: FlowGraph | None = None):
    """The long-range relaxation as a maximum-profit flow (module doc), solved exactly by
    OR-Tools' network simplex (``flow_graph``, ``solve_flow``): source -> request (its exposure
    cap), request -> (target, window) (its usable time there), (target, window) -> window (the
    target's visible time there), window -> sink (the window's usable time minus engineering),
    profit priority / exposure per second on the source arcs. Capacities are rounded up to
    whole seconds and profits to ``FLOW_COST_SCALE`` levels; the bound adds the largest effect
    of the profit rounding. Returns (bound, request, window, exposure_s) of the arcs that carry
    flow. ``g``: the network, when already built."""
    g = flow_graph(problem, borders) if g is None else g
    R = len(g.v)
    f = solve_flow(g)
    x = f[R : R + len(g.ri)]
    value = float(g.v @ f[:R])
    bound = (value + rounding_allowance(g)) * (1 + LP_REL_MARGIN)
    U, caps = g.U, g.caps
    keep = x > 0
    ri, wi, x = g.ri[keep], g.wi[keep], np.minimum(x[keep], U[g.ri[keep], g.wi[keep]])
    # whole-second capacities: take what a request got beyond its cap off its largest pieces
    excess = np.bincount(ri, x, R) - caps
    for r in np.nonzero(excess > 0)[0]:
        for k in np.nonzero(ri == r)[0][np.argsort(-x[ri == r], kind="stable")]:
            cut = min(x[k], excess[r])
            x[k] -= cut
            excess[r] -= cut
            if excess[r] <= 0:
                break
    keep = x > 0
    return bound, ri[keep], wi[keep], x[keep]


def flow_bound(problem, days: int = 1, graph: FlowGraph | None = None) -> float:
    """The flow relaxation's bound (``_flow``) over plan windows of ``days`` days: valid for
    any problem, seconds to compute; the flat portfolio's fallback when the LP does not
    finish in its time (tighter than the exposure caps it then reports otherwise)."""
    if not problem.requests:
        return 0.0
    return _flow(problem, plan_borders(problem, days), graph)[0]


def _lp(problem, borders: np.ndarray, time_limit_s):
    """The long-range relaxation with the recorder rows at the borders, by HiGHS
    (``bounds.relaxation_bound`` with the borders as slices): (bound, request, window, exposure_s)."""
    bound, sol = relaxation_bound(problem, return_solution=True, time_limit_s=time_limit_s, edges=borders)
    b, vr, vs, x, _ = sol
    W = len(borders) - 1
    win = np.clip(np.searchsorted(borders, b[vs], side="right") - 1, 0, W - 1)
    uk, inv = np.unique(vr.astype(np.int64) * W + win, return_inverse=True)
    xs = np.bincount(inv, x, len(uk))
    keep = xs > 0
    return bound, (uk[keep] // W).astype(int), (uk[keep] % W).astype(int), xs[keep]


def long_range(problem, borders: np.ndarray | None = None, time_limit_s: float | None = None) -> LongRangePlan:
    """The long-range plan of ``problem`` (module doc): the flow relaxation (``_flow``); when
    the recorder rows can bind and the LP has at most ``LP_MAX_COLUMNS`` columns, also the LP
    with them (``_lp``, HiGHS within ``time_limit_s``), used when its bound is smaller.
    ``source`` names the bound used."""
    borders = plan_borders(problem) if borders is None else np.asarray(borders, float)
    R = len(problem.requests)
    if R == 0:
        z = np.zeros(0)
        return LongRangePlan(
            borders, z.astype(int), z.astype(int), z, z.astype(int), 0.0, np.zeros(len(borders)), SOURCE_FLOW
        )
    graph = flow_graph(problem, borders)
    bound, rq, wq, xs = _flow(problem, borders, graph)
    source = SOURCE_FLOW
    if recorder_rows(problem, borders)[1] and R * (len(borders) - 1) <= LP_MAX_COLUMNS:
        try:
            lp = _lp(problem, borders, time_limit_s)
            if lp[0] < bound:
                (bound, rq, wq, xs), source = lp, SOURCE_LP_RECORDER
        except BoundTimeout:
            pass  # the flow's bound holds (it leaves out only the recorder rows)
    order = np.lexsort((wq, rq))
    rq, wq, xs = rq[order], wq[order], xs[order]
    mv = np.array([r.min_visit_s for r in problem.requests], float)
    ok = xs >= mv[rq] * (1 - 1e-9)
    rq, wq, xs = rq[ok], wq[ok], xs[ok]
    visits = -np.ones(len(rq), int)
    keep = np.ones(len(rq), bool)
    starts = np.searchsorted(rq, np.arange(R + 1))
    for i, r in enumerate(problem.requests):
        lo, hi = starts[i], starts[i + 1]
        if r.n_visits is None or hi == lo:
            continue
        v = _share_visits(int(r.n_visits), xs[lo:hi])
        visits[lo:hi] = v
        keep[lo:hi] = v > 0
    rq, wq, xs, visits = rq[keep], wq[keep], xs[keep], visits[keep]
    rate = np.array([r.data_rate_mbit_s for r in problem.requests], float)
    data = np.bincount(wq, rate[rq] * xs, len(borders) - 1)
    return LongRangePlan(borders, rq, wq, xs, visits, float(bound), _levels(problem, borders, data), source, graph)
