"""A tighter long-range bound: the flow relaxation with the time every plan spends turning
between targets charged, by Lagrangian relaxation of one valid row per plan window.

The flow relaxation (``longrange``) lets each window observe for its whole usable time; a real
plan also slews. In window w every observed target but the first needs at least one slew into
it (an engineering occurrence holds the attitude, a gimballed antenna does not turn the
spacecraft, so nothing else changes the pointing), of at least ``s_t``: the slew into t from its
nearest other requested target, settle included (``nearest_slew_s``). With O_w the observing in
w, F_w the window minus the engineering that must lie inside it, y_tw = 1 when t is observed in
w and M_tw the most any plan can observe t there (its visible time, and the sum over its
requests of min(exposure cap, usable time)), every valid plan satisfies

    O_w + sum_t s_t y_tw <= F_w + max_t s_t,    y_tw >= x_tw / M_tw,

x_tw the observing of t in w (the first target's slew may lie before w: the max s_t). For
multipliers mu_w >= 0 (weak duality)

    value <= max_x [ sum_r v_r x_r - sum_w mu_w (O_w + sum_t s_t x_tw / M_tw) ]
             + sum_w mu_w (F_w + max s),

a maximum-profit flow on the same network with mu_w per second on each window's sink arc and
mu_w s_t / M_tw on each (target, window) arc, so every multiplier vector gives a valid bound.
The multipliers: a geometric scan of one value for all windows, golden section around the best,
then projected subgradient steps per window (``ITERATIONS`` flows in all, a deterministic
budget; the time limit only stops it early, and the result says so). The bound is the smallest
found, never above the plain flow's. The relaxation charges a slew in proportion to the share
of M_tw observed, so it sees only part of the slews (docs/scheduling.md has the figures).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lunarscope.scheduling.bounds import LP_REL_MARGIN, engineering_inside
from lunarscope.scheduling.longrange import flow_graph, rounding_allowance, solve_flow
from lunarscope.scheduling.slew import angle_between

#: Flows solved in all: the uniform scan, its golden-section refinement, then subgradient steps.
ITERATIONS = 24
#: Uniform multipliers scanned first (geometric, from the smallest to the largest profit per second).
SCAN_POINTS = 8
#: Golden-section steps (two flows each) on the uniform multiplier.
GOLDEN_STEPS = 5
#: Profit levels of the penalised flows (finer than the plain flow's: three rounded arcs per path).
COST_SCALE = 100_000_000
#: Name of this bound (``Schedule.bound_source``).
SOURCE_SLEW = "flow relaxation over plan windows with slews"
SOURCE_SLEW_DAYS = "flow relaxation over days with slews"
#: Targets per block when the nearest-neighbour slews are computed (memory).
NEIGHBOUR_BLOCK = 512


@dataclass
class SlewBound:
    """The bound (science value), the plain flow's bound it improves on, the flows solved and
    whether the deadline stopped the multiplier search."""

    bound: float
    plain: float
    flows: int
    cut: bool


def nearest_slew_s(problem, targets: np.ndarray) -> np.ndarray:
    """Per target in ``targets`` (indices): the shortest slew (s, settle included) into it from
    any other target of ``targets``; inf when it is the only one."""
    d = problem.target_dirs[targets]
    out = np.full(len(targets), np.inf)
    if len(targets) < 2:
        return out
    for a in range(0, len(targets), NEIGHBOUR_BLOCK):
        b = min(a + NEIGHBOUR_BLOCK, len(targets))
        cos = d[a:b] @ d.T
        cos[np.arange(b - a), np.arange(a, b)] = -np.inf
        j = np.argmax(cos, axis=1)
        out[a:b] = problem.spacecraft.slew.time_s(angle_between(d[a:b], d[j]))
    return out


def row_data(problem, g) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of the slew rows (module doc) on the network ``g`` (``longrange.flow_graph``):
    (s_t / M_tw per (target, window) arc, right-hand side per window F_w + max s)."""
    W = g.n_windows
    borders = g.borders
    tgt = np.array([problem.target_index[r.target] for r in problem.requests], int)
    ts = np.unique(tgt)
    s = np.zeros(len(problem.targets))
    s[ts] = nearest_slew_s(problem, ts)
    s[~np.isfinite(s)] = 0.0  # a single requested target never slews
    # M_tw: the most any plan can observe t in w (its visible time, its requests' exposure there)
    take = np.minimum(g.U[g.ri, g.wi], g.caps[g.ri])
    key = tgt[g.ri] * W + g.wi
    S = np.bincount(np.searchsorted(g.tw, key), take, len(g.tw))
    M = np.minimum(S, g.capac[len(g.v) + len(g.ri) : len(g.v) + len(g.ri) + len(g.tw)])
    coef = np.where(M > 0, s[g.tw // W] / np.maximum(M, 1e-300), 0.0)
    length = np.diff(borders)
    busy = engineering_inside(problem, borders)
    return coef, length - busy + float(s.max(initial=0.0))


def slew_bound(
    problem, borders: np.ndarray, plain: float, deadline: float | None = None, graph=None
) -> SlewBound | None:
    """The slew-charged bound over the plan windows ``borders`` (module doc), never above
    ``plain`` (the plain flow's bound over the same windows); None for a body-fixed antenna
    (downlinks turn the spacecraft) or no requests. ``deadline``: a ``time.perf_counter()``
    value after which no further flow is started; ``graph``: the flow's network over ``borders``
    when already built (``longrange.flow_graph``)."""
    if problem.spacecraft.antenna != "gimballed" or not problem.requests:
        return None
    g = flow_graph(problem, borders) if graph is None else graph
    R, n_rw, n_tw, W = len(g.v), len(g.ri), len(g.tw), g.n_windows
    coef, rhs = row_data(problem, g)
    w_of = g.tw % W
    allowance = rounding_allowance(g, 3, COST_SCALE)
    state = {"best": float(plain), "mu": np.zeros(W), "flows": 0, "cut": False}

    def evaluate(mu):
        """Bound at multipliers ``mu`` and the rows' excess (subgradient); None past the deadline."""
        if deadline is not None and time.perf_counter() > deadline:
            state["cut"] = True
            return None
        f = solve_flow(g, tw_cost=mu[w_of] * coef, w_cost=mu, scale=COST_SCALE)
        f_tw = f[R + n_rw : R + n_rw + n_tw]
        f_w = f[R + n_rw + n_tw : R + n_rw + n_tw + W]
        lhs = f_w + np.bincount(w_of, coef * f_tw, W)
        lagr = float(g.v @ f[:R]) - float(mu @ lhs) + float(mu @ rhs)
        b = (lagr + allowance) * (1 + LP_REL_MARGIN)
        state["flows"] += 1
        if b < state["best"]:
            state["best"], state["mu"] = b, mu.copy()
        return b, lhs - rhs

    # one multiplier for all windows: a geometric scan over the profits per second at which a
    # request's last second pays for its observing and its share of a slew (v / (1 + coef))
    v = g.v[g.v > 0]
    grid = np.geomspace(v.min() / (1.0 + float(coef.max(initial=0.0))), v.max(), SCAN_POINTS)
    vals = []
    for m in grid:
        r = evaluate(np.full(W, m))
        if r is None:
            break
        vals.append(r[0])
    if vals and min(vals) < plain:  # golden section between the scan's neighbours (log scale)
        k = int(np.argmin(vals))
        lo, hi = np.log(grid[max(k - 1, 0)]), np.log(grid[min(k + 1, len(grid) - 1)])
        for _ in range(GOLDEN_STEPS):
            m1, m2 = hi - 0.618 * (hi - lo), lo + 0.618 * (hi - lo)
            r1, r2 = evaluate(np.full(W, np.exp(m1))), evaluate(np.full(W, np.exp(m2)))
            if r1 is None or r2 is None:
                break
            lo, hi = (lo, m2) if r1[0] < r2[0] else (m1, hi)
    # one multiplier per window: projected subgradient steps from the best so far
    mu = state["mu"].copy()
    step = 0.5 * float(mu.max(initial=0.0))
    while state["flows"] < ITERATIONS and step > 0:
        r = evaluate(mu)
        if r is None:
            break
        b, sub = r
        if b > state["best"]:  # no better: shorter steps from the best point
            step *= 0.5
            mu = state["mu"].copy()
        peak = float(np.abs(sub).max())
        if peak <= 0:
            break
        mu = np.maximum(0.0, mu + step * sub / peak)
    return SlewBound(min(state["best"], float(plain)), float(plain), state["flows"], state["cut"])
