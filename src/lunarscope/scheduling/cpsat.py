"""CP-SAT optimiser: large-neighbourhood search over time with exact slews.

Start from a valid plan (the ``hint``, normally ``greedy``'s) as the incumbent. Slide a time
window over the span (several passes, windows overlap by half); inside each window free the
incumbent's observations and re-optimise them with OR-Tools CP-SAT while everything outside
stays fixed. A window's solution replaces the incumbent only when the whole plan, rebuilt by
``assemble`` and checked by ``validate`` (exact slews, recorder, downlinks), has a science
value at least the incumbent's. Hence the result is never below the hint.

Window model (times are integer seconds on the grid ``problem.start + k``):

* candidates: for each request with exposure still wanted and visits left, and each usable
  window overlapping the free span, up to ``per_interval`` optional intervals (more when the
  incumbent has more there) with variable start and duration, ``min_visit <= duration <=``
  window length; ordered inside one (request, window);
* exact sequence-dependent slews: for two candidates that may overlap (with slews) an order
  literal ``b``: ``b => start_j >= end_i + slew(i, j)``, ``not b => start_i >= end_j +
  slew(j, i)`` (only when both are present); the pointing before and after the free span
  (fixed neighbours) and, with a body-fixed antenna, the fixed downlink passes inside it
  take part with constant times. Slew times are subadditive (eigen-axis time is concave in
  the angle and angles obey the triangle inequality), so constraints on non-consecutive
  pairs are implied by consecutive ones and the pairwise encoding is exact;
* engineering occurrences (at the incumbent's times) are fixed intervals; engineering holds
  the attitude and a slew may not cross it, so for a pair on both sides of a block the slew
  must fit before or after the block (a disjunction). For a non-consecutive pair across a
  block this is exact only when the visit in between lasts at least a slew, as every visit
  does when ``min_visit_s`` exceeds the largest slew; otherwise it is conservative (never
  wrong: the rebuilt plan is validated anyway);
* n_visits: present candidates <= visits left; cadence: between candidates of one request
  and against its fixed visits outside the window;
* recorder (once the incumbent's peak reaches ``RECORDER_ROWS_FROM`` of the capacity): a
  conservative queue bound on the level over the free span (``_recorder_rows``:
  levels at the ends of the downlink stretches, visits' data from their overlap with each
  stretch), so a window solution never overflows inside the span; when those rows reject even
  the incumbent (a recorder at capacity) the window is solved again without them. ``validate``
  checks the rebuilt plan either way (the level after the span can still grow);
* objective: ``sum_r round(S p_r / E_r / max) * min(cap_r, sum durations)`` with ``cap_r`` =
  exposure minus what the fixed visits already count.

The incumbent's visits in the window are given as a hint.

Bounds: the LP relaxation (``bounds.relaxation_bound``, valid for the true problem) is
``Schedule.relaxation_bound``. A window model's ObjectiveBound is not a bound for the whole
problem and is not reported; ``Schedule.model_bound`` is None, except when the plan reaches
the LP bound (then it is proven optimal and the bound is reported there too).

Determinism: every window solve has a fixed ``max_deterministic_time`` (``window_dtime``),
``num_workers`` (<= 2; ``interleave_search`` with 2) and ``random_seed``; windows run in a
fixed order until ``work_limit`` (deterministic time plus ``CANDIDATE_WORK`` per candidate)
is spent. ``time_limit_s`` is a wall-clock safety cap for the whole call checked between
windows (and passed to each solve as its wall limit): results are identical between runs and
machines as long as that cap is not what stopped the search (``info['wall_limit_hit']``, the
status then says ``WALL_CAP_TEXT``). Ctrl-C stops a window solve at once
(``scheduling.interruptible``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from ortools.sat.python import cp_model

from lunarscope.scheduling import interruptible
from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.bounds import relaxation_bound
from lunarscope.scheduling.greedy import greedy
from lunarscope.scheduling.recorder import level_profile
from lunarscope.scheduling.slew import slew_matrix_s
from lunarscope.scheduling.validate import TIME_EPS_S, validate

#: Largest objective coefficient (per second of exposure) after integer scaling.
OBJECTIVE_SCALE = 10000
#: Rounding guard (s) when float times are snapped onto the integer grid; below validate's 1e-6 s.
SNAP_EPS_S = 5e-7
#: Relative tolerance for "the plan reaches the LP bound" (proven optimum).
PROVEN_REL_EPS = 1e-6
#: Recorder units per Mbit in the window model (data rounded up, capacity down).
RECORDER_Q = 10
#: The recorder rows are added to a window model once the incumbent's recorder peak reaches
#: this fraction of the capacity (below it they cannot help and slow the solve down).
RECORDER_ROWS_FROM = 0.5
#: Values within this of the incumbent count as "not worse" (science value units).
VALUE_EPS = 1e-12
#: Work charged per candidate of a window model (deterministic-time units): building the
#: model and checking the rebuilt plan in Python cost about as much as CP-SAT's own search.
CANDIDATE_WORK = 5e-4
#: Status text when the wall-clock cap, not the deterministic budget, stopped the search.
WALL_CAP_TEXT = "wall-clock cap hit: result depends on machine speed"


def _ceil(x: float) -> int:
    return int(math.ceil(x - SNAP_EPS_S))


def _floor(x: float) -> int:
    return int(math.floor(x + SNAP_EPS_S))


class _Plan:
    """Decisions of a plan: visits (request, start, stop), engineering starts, body-fixed passes."""

    def __init__(self, visits, eng_starts, passes):
        self.visits = sorted(visits, key=lambda v: (v[1], v[2], v[0]))
        self.eng_starts = list(eng_starts)
        self.passes = list(passes)


def _decisions(problem, sched) -> _Plan:
    """Read a Schedule's decisions back (so ``assemble`` can rebuild it with changed visits)."""
    visits = [(int(a.request), float(a.start), float(a.stop)) for a in sched.activities if a.kind == "observe"]
    nom = problem.engineering_nominal
    by_block = {a.block: a.start for a in sched.activities if a.kind == "engineering"}
    planned = problem.engineering_planned
    eng = [float(by_block.get(j, planned[j])) for j in range(len(nom))]
    passes = []
    if problem.spacecraft.antenna == "body_fixed":
        tl = problem.downlink_timeline
        for a in sched.activities:
            if a.kind != "downlink" or a.pointing is None or a.stop <= a.start:
                continue
            st, ci = a.pointing[1], a.pointing[2]
            k = np.flatnonzero(
                (tl[:, 3] == st)
                & (tl[:, 4] == ci)
                & (tl[:, 0] <= a.start + TIME_EPS_S)
                & (tl[:, 1] >= a.stop - TIME_EPS_S)
            )
            if len(k):
                passes.append((int(k[0]), float(a.start), float(a.stop)))
    return _Plan(visits, eng, passes)


def _windows(problem, window_s: float, passes: int):
    """Sliding windows [w0, w1) per pass: length ``window_s``, step half of it, pass p shifted."""
    span = problem.stop - problem.start
    L = min(window_s, span)
    step = L / 2
    out = []
    for p in range(passes):
        off = (p * step / passes) if p else 0.0
        w0 = problem.start - off if p else problem.start
        while w0 < problem.stop:
            a, b = max(problem.start, w0), min(problem.stop, w0 + L)
            if b - a > 0:
                out.append((p, a, b))
            if w0 + L >= problem.stop:
                break
            w0 += step
    return out


class _Ctx:
    """Per-problem constants shared by all windows."""

    def __init__(self, problem):
        self.p = problem
        reqs = problem.requests
        self.tgt = np.array([problem.target_index[r.target] for r in reqs], int)
        self.E = np.array([r.exposure_s for r in reqs], float)
        self.P = np.array([r.priority for r in reqs], float)
        self.M = np.array([r.min_visit_s for r in reqs], float)
        self.w = self.P / self.E
        wmax = float(self.w.max()) if len(self.w) else 1.0
        self.coef = np.maximum(1, np.round(OBJECTIVE_SCALE * self.w / wmax)).astype(np.int64)
        self.wins = problem.usable_windows
        self.tdirs = problem.target_dirs
        self.body_fixed = problem.spacecraft.antenna == "body_fixed"
        self.tl = problem.downlink_timeline
        nom = problem.engineering_nominal
        self.eng_dur = nom[:, 1] if len(nom) else np.zeros(0)

    def pointing_dir(self, item):
        """Direction of an ``_Item``: the visit's target or, for a pass, the Earth."""
        if item.kind == "v":
            return self.tdirs[self.tgt[item.ref]]
        row = self.tl[item.ref]
        return self.p.earth_dir(row[3], row[4])


def _level_function(problem, sched):
    """Recorder level (Mbit) of a plan as a function of time (piecewise linear)."""
    ts, lv = level_profile(sched.activities, problem.spacecraft.recorder_initial_mbit, problem.start)

    def level(t):
        return float(np.interp(t, ts, lv))

    level.peak = float(np.max(lv)) if len(lv) else 0.0
    return level


def _recorder_rows(ctx, model, free_nodes, inner, level0, span_lo, span_hi, rel):
    """The recorder in the window model, conservatively (a window solution never overflows).

    Units of 1/RECORDER_Q Mbit: data rates rounded up, capacity down, downlink down. The span is
    cut at the ends of its "draining" stretches (downlink, gimballed: the contact timeline;
    body-fixed: the fixed passes in the window, at least as fast as any instrument fills: the
    level cannot rise there) into intervals j. With G_j the data generated in interval j (bounded
    through each visit's overlap with [lo, tau]: Gup(tau_j) - Glow(tau_j-1)) and D_j its downlink
    capacity, levels l_j >= 0 at the cuts obey the queue (as-soon-as-possible draining, which
    ``assemble`` does) recursion

        l_0 >= L0 (incumbent's level at the span start, rounded up),
        l_j >= l_j-1 + G_j - D_j   (draining stretch: exact, the level there is max(0, .));
        l_j >= l_j-1 + G_j         (otherwise: no credit for a slow downlink inside),
        l_j <= capacity,

    and the level inside a non-draining interval is at most l_j-1 + G_j <= l_j. Every real level
    is therefore at most the model's.
    """
    p = ctx.p
    Q = RECORDER_Q
    cap = math.floor(p.spacecraft.recorder_capacity_mbit * Q)
    L0 = min(cap, math.ceil(level0 * Q - 1e-9))
    nodes = [nd for nd in free_nodes if p.requests[nd.r].data_rate_mbit_s > 0]
    if not nodes:
        return
    c = {id(nd): math.ceil(p.requests[nd.r].data_rate_mbit_s * Q - 1e-9) for nd in nodes}
    cmax = max(c.values())
    if ctx.body_fixed:  # the fixed passes inside the span: items ('d', timeline row, start, stop)
        segs = [(rel(it.start), rel(it.stop), float(ctx.tl[it.ref, 2])) for it in inner if it.kind == "d"]
    else:
        tl = ctx.tl
        k = (tl[:, 1] > span_lo) & (tl[:, 0] < span_hi) if len(tl) else np.zeros(0, bool)
        segs = [(rel(max(a, span_lo)), rel(min(b, span_hi)), r) for a, b, r in tl[k, :3]]
    lo, hi = rel(span_lo), rel(span_hi)
    if L0 + cmax * (hi - lo) <= cap:
        return  # cannot fill up in this window whatever is observed
    drain = [(a, b) for a, b, r in segs if r * Q >= cmax and b > a]
    taus = np.unique(np.array([lo, hi] + [x for a, b in drain for x in (a, b)], float))
    taus = taus[(taus >= lo) & (taus <= hi)]

    def capacity(x, y):
        return math.floor(Q * sum(r * max(0.0, min(b, y) - max(a, x)) for a, b, r in segs) + 1e-9)

    def overlap(nd, t, upper):
        """Bound on the visit's time inside [lo, t] (upper or lower), 0 when absent."""
        t = math.ceil(t - 1e-9) if upper else math.floor(t + 1e-9)
        if t <= nd.est:
            return 0
        o = model.new_int_var(0, max(0, nd.let - nd.est), "")
        if upper:
            if t >= nd.let:
                model.add(o >= nd.d).only_enforce_if(nd.p)
            else:
                z = model.new_bool_var("")
                model.add(o >= nd.d).only_enforce_if([nd.p, z])
                model.add(o >= t - nd.s).only_enforce_if([nd.p, z.Not()])
        else:  # o <= max(0, min(e, t) - s): o <= d and (o <= t - s or o == 0)
            w = model.new_bool_var("")
            model.add(o <= nd.d).only_enforce_if(nd.p)
            model.add(o <= t - nd.s).only_enforce_if([nd.p, w])
            model.add(o == 0).only_enforce_if(w.Not())
            model.add_implication(nd.p.Not(), w.Not())
        return o

    level = model.new_int_var(L0, cap, "")
    for j in range(1, len(taus)):
        x0, x1 = taus[j - 1], taus[j]
        act = [nd for nd in nodes if nd.est < x1 and nd.let > x0]
        gen = sum(c[id(nd)] * (overlap(nd, x1, True) - overlap(nd, x0, False)) for nd in act) if act else 0
        mid = 0.5 * (x0 + x1)
        draining = any(a <= mid <= b for a, b in drain)
        nxt = model.new_int_var(0, cap, "")
        model.add(nxt >= level + gen - (capacity(x0, x1) if draining else 0))
        level = nxt


class _Item(NamedTuple):
    """A timed entry of the incumbent: a visit ("v", request) or a body-fixed pass ("d", row of
    ``problem.downlink_timeline``)."""

    kind: str
    ref: int
    start: float
    stop: float


@dataclass(eq=False)
class _Node:
    """A pointing of the window model: a free candidate visit (CP-SAT variables, integer
    seconds after ``_Span.ref``) or a fixed pointing (constant times ``fs``..``fe``)."""

    kind: str  # "free" or "fixed"
    dir: np.ndarray  # pointing direction (unit vector, ICRF)
    idx: int = -1  # row and column in the window's slew matrix
    # free candidates: request, group (request, window), rank in the group, variables, time bounds
    r: int = -1
    g: int = -1
    q: int = -1
    s: object = None
    e: object = None
    d: object = None
    p: object = None
    iv: object = None
    eff: object = None
    est: int = 0  # earliest start
    lst: int = 0  # latest start
    eet: int = 0  # earliest end
    let: int = 0  # latest end
    hs: int | None = None  # hinted start
    sides: dict = field(default_factory=dict)  # engineering occurrence -> side literal
    # fixed pointings: "left" / "inner" / "right" of the free span
    role: str = ""
    fs: float = 0.0
    fe: float = 0.0

    def hint_start(self):
        return self.fs if self.kind == "fixed" else self.hs


@dataclass
class _Span:
    """The free part of a window: what moves, what stays, and the integer time grid."""

    free: list  # _Items re-optimised
    fixed: list  # _Items kept
    lo: float  # free span (s TDB), cut at fixed items crossing the window edges
    hi: float
    left: _Item | None  # fixed pointing just before / after the free span
    right: _Item | None
    inner: list  # fixed items inside the free span (body-fixed passes)
    span_lo: float  # from the left neighbour's end to the right neighbour's start
    span_hi: float
    ref: float  # grid origin: problem.start + whole seconds

    def rel(self, t):
        return t - self.ref


@dataclass
class _Fixed:
    """Per request, what the fixed visits outside the free span already use."""

    counted: np.ndarray  # counted exposure, s
    n_visits: np.ndarray  # number of visits
    starts: list  # their start times (cadence)
    cap: np.ndarray  # exposure still to count, s


def _free_span(ctx, plan, w0, w1) -> _Span | None:
    """Split the incumbent into free visits inside [w0, w1) and fixed items."""
    p = ctx.p
    items = [_Item("v", r, s, e) for r, s, e in plan.visits] + [_Item("d", k, s, e) for k, s, e in plan.passes]
    free = [it for it in items if it.kind == "v" and it.start >= w0 - TIME_EPS_S and it.stop <= w1 + TIME_EPS_S]
    free_set = {id(it) for it in free}
    fixed = [it for it in items if id(it) not in free_set]
    lo, hi = w0, w1
    for it in fixed:
        if it.start < w0 < it.stop:
            lo = max(lo, it.stop)
        if it.start < w1 < it.stop:
            hi = min(hi, it.start)
    if hi - lo <= 0:
        return None
    left = max((it for it in fixed if it.stop <= lo + TIME_EPS_S), key=lambda it: it.stop, default=None)
    right = min((it for it in fixed if it.start >= hi - TIME_EPS_S), key=lambda it: it.start, default=None)
    inner = [it for it in fixed if it.start >= lo - TIME_EPS_S and it.stop <= hi + TIME_EPS_S]
    span_lo = left.stop if left is not None else p.start
    span_hi = right.start if right is not None else p.stop
    ref = p.start + math.floor(span_lo - p.start)
    return _Span(free, fixed, lo, hi, left, right, inner, span_lo, span_hi, ref)


def _fixed_usage(ctx, span: _Span) -> _Fixed:
    R = len(ctx.p.requests)
    counted = np.zeros(R)
    nfix = np.zeros(R, int)
    starts = [[] for _ in range(R)]
    for it in span.fixed:
        if it.kind == "v":
            r = it.ref
            nfix[r] += 1
            starts[r].append(it.start)
            if it.stop - it.start >= ctx.M[r] - 1e-9:
                counted[r] += it.stop - it.start
    return _Fixed(counted, nfix, starts, ctx.E - counted)


def _engineering_in(ctx, plan, span: _Span) -> list:
    """Engineering occurrences around the free span, (start, stop) on the grid."""
    eng = []
    for j, s in enumerate(plan.eng_starts):
        e = s + ctx.eng_dur[j]
        if e > span.span_lo - TIME_EPS_S and s < span.span_hi + TIME_EPS_S and e > s:
            eng.append((span.rel(s), span.rel(e)))
    return eng


def _candidate_groups(ctx, span: _Span, fx: _Fixed, hint_by: dict) -> list:
    """(request, clipped usable window start, stop, incumbent visits in it), best first: every
    group with incumbent visits, then the most valuable per second."""
    p = ctx.p
    groups = []
    for r in range(len(p.requests)):
        req = p.requests[r]
        nleft = (req.n_visits - fx.n_visits[r]) if req.n_visits is not None else 10**9
        if (fx.cap[r] <= 1e-9 or nleft <= 0) and r not in hint_by:
            continue
        W = ctx.wins[r]
        if len(W) == 0:
            continue
        k0 = int(np.searchsorted(W[:, 1], span.lo, side="right"))
        for k in range(k0, len(W)):
            a, b = max(W[k, 0], span.lo), min(W[k, 1], span.hi)
            if W[k, 0] >= span.hi:
                break
            if b - a < ctx.M[r] - 1e-9:
                continue
            nh = sum(
                1 for it in hint_by.get(r, []) if it.start >= W[k, 0] - TIME_EPS_S and it.stop <= W[k, 1] + TIME_EPS_S
            )
            groups.append((r, a, b, nh))
    order = sorted(range(len(groups)), key=lambda g: (groups[g][3] == 0, -ctx.w[groups[g][0]], groups[g][1], g))
    return [(g, groups[g]) for g in order]


def _add_candidates(ctx, model, span: _Span, fx: _Fixed, hint_by: dict, per_interval: int, max_candidates: int):
    """Optional visit intervals per group (ordered inside a group) and their hints.
    Returns (free nodes, [(node, hinted start, hinted stop)], number of candidates)."""
    p = ctx.p
    rel = span.rel
    nodes, hinted = [], []
    n_cand = 0
    for g, (r, a, b, nh) in _candidate_groups(ctx, span, fx, hint_by):
        req = p.requests[r]
        M = int(math.ceil(req.min_visit_s - 1e-9))
        est = _ceil(rel(a))
        let = _floor(rel(b))
        lst = let - M
        if req.cadence_s:
            before = [s for s in fx.starts[r] if s < span.lo]
            after = [s for s in fx.starts[r] if s >= span.lo]
            if before:
                est = max(est, _ceil(rel(max(before) + req.cadence_s)))
            if after:
                lst = min(lst, _floor(rel(min(after) - req.cadence_s)))
        if lst < est:
            continue
        k = max(nh, min(per_interval, (let - est) // M))
        if nh == 0 and n_cand + k > max_candidates:
            continue
        dmax = let - est
        if fx.cap[r] > 0:
            dmax = min(dmax, max(M, int(math.ceil(fx.cap[r] - 1e-9))))
        prev = None
        for q in range(k):
            st = model.new_int_var(est, lst, f"s{r}_{g}_{q}")
            du = model.new_int_var(M, dmax, f"d{r}_{g}_{q}")
            en = model.new_int_var(est + M, let, f"e{r}_{g}_{q}")
            pr = model.new_bool_var(f"p{r}_{g}_{q}")
            iv = model.new_optional_interval_var(st, du, en, pr, f"i{r}_{g}_{q}")
            eff = model.new_int_var(0, dmax, f"x{r}_{g}_{q}")
            model.add(eff <= du)
            model.add(eff <= dmax * pr)
            nd = _Node(
                "free",
                ctx.tdirs[ctx.tgt[r]],
                r=r,
                g=g,
                q=q,
                s=st,
                e=en,
                d=du,
                p=pr,
                iv=iv,
                eff=eff,
                est=est,
                lst=lst,
                eet=est + M,
                let=let,
            )
            if prev is not None:
                model.add_implication(pr, prev.p)
                model.add(st >= prev.e).only_enforce_if(pr)
                if req.cadence_s:
                    model.add(st >= prev.s + _ceil(req.cadence_s)).only_enforce_if(pr)
            nodes.append(nd)
            prev = nd
            n_cand += 1
        # hint: incumbent visits of this group, in time order
        hv = sorted(
            (it for it in hint_by.get(r, []) if it.start >= a - TIME_EPS_S and it.stop <= b + TIME_EPS_S),
            key=lambda it: it.start,
        )
        for q, nd in enumerate(nodes[len(nodes) - k :]):
            if q < len(hv):
                s_h = min(max(_ceil(rel(hv[q].start)), nd.est), nd.lst)
                e_h = min(max(_floor(rel(hv[q].stop)), s_h + M), nd.let)
                hinted.append((nd, s_h, e_h))
            else:
                hinted.append((nd, None, None))
    return nodes, hinted, n_cand


def _add_counts_and_cadence(model, p, free_nodes, fx: _Fixed) -> dict:
    """Visit counts and cadence across groups of one request; returns request -> its nodes."""
    by_r = {}
    for nd in free_nodes:
        by_r.setdefault(nd.r, []).append(nd)
    for r, lst in by_r.items():
        req = p.requests[r]
        if req.n_visits is not None:
            model.add(sum(nd.p for nd in lst) <= max(0, req.n_visits - int(fx.n_visits[r])))
        if req.cadence_s:
            c = _ceil(req.cadence_s)
            for i in range(len(lst)):
                for j in range(i + 1, len(lst)):
                    u, v = lst[i], lst[j]
                    if u.g == v.g:
                        continue
                    if u.est > v.est:
                        u, v = v, u
                    if v.est - u.lst >= c:
                        continue
                    model.add(v.s >= u.s + c).only_enforce_if([u.p, v.p])
    return by_r


def _neg(lit):
    if lit is True:
        return False
    if lit is False:
        return True
    return lit.Not()


class _Sequencing:
    """Exact sequence-dependent slews between the nodes, engineering holding the attitude."""

    def __init__(self, model, slews, eng):
        self.model = model
        self.S = slews  # (N, N) slew times, s, indexed by _Node.idx
        self.eng = eng

    def side(self, nd, E):
        """Side of ``nd`` w.r.t. engineering occurrence E: True (before), False (after) or a literal."""
        es, ee = E
        if nd.kind == "fixed":
            return bool(nd.fe <= es + TIME_EPS_S)
        if nd.let <= _floor(es):
            return True
        if nd.est >= _ceil(ee):
            return False
        if E not in nd.sides:
            lit = self.model.new_bool_var("")
            self.model.add(nd.e <= _floor(es)).only_enforce_if([lit, nd.p])
            self.model.add(nd.s >= _ceil(ee)).only_enforce_if([lit.Not(), nd.p])
            nd.sides[E] = lit
        return nd.sides[E]

    @staticmethod
    def start_of(nd):
        return ("c", nd.fs) if nd.kind == "fixed" else ("v", nd.s)

    @staticmethod
    def end_of(nd):
        return ("c", nd.fe) if nd.kind == "fixed" else ("v", nd.e)

    def le(self, x, c, y, enf):
        """x + c <= y under the enforcement literals ``enf`` (x, y: ('v', var) or ('c', float))."""
        model = self.model
        enf = [lit for lit in enf if lit is not True]
        if any(lit is False for lit in enf):
            return
        if x[0] == "v" and y[0] == "v":
            ct = model.add(x[1] + _ceil(c) <= y[1])
        elif x[0] == "c" and y[0] == "v":
            ct = model.add(y[1] >= _ceil(x[1] + c))
        elif x[0] == "v":
            ct = model.add(x[1] <= _floor(y[1] - c))
        else:
            if x[1] + c > y[1] + SNAP_EPS_S:
                if not enf:
                    model.add_bool_or([])  # infeasible: cannot happen for a valid incumbent
                else:
                    model.add_bool_or([lit.Not() for lit in enf])
            return
        if enf:
            ct.only_enforce_if(enf)

    def prec(self, u, v, enf):
        """u before v: exact slew, and around engineering the slew fits before or after the block."""
        s = float(self.S[u.idx, v.idx])
        self.le(self.end_of(u), s, self.start_of(v), enf)
        if s <= 0:
            return
        for E in self.eng:
            bu, bv = self.side(u, E), self.side(v, E)
            if bu is False or bv is True:
                continue
            lits = list(enf) + [bu, _neg(bv)]
            if any(lit is False for lit in lits):
                continue
            gsel = self.model.new_bool_var("")
            self.le(self.end_of(u), s, ("c", E[0]), lits + [gsel])
            self.le(("c", E[1]), s, self.start_of(v), lits + [gsel.Not()])

    def may_precede(self, u, v):
        s = float(self.S[u.idx, v.idx])
        ue = u.fe if u.kind == "fixed" else u.eet
        vs = v.fs if v.kind == "fixed" else v.lst
        return ue + s <= vs + SNAP_EPS_S + 1

    def always_before(self, u, v):
        s = float(self.S[u.idx, v.idx])
        ue = u.fe if u.kind == "fixed" else u.let
        vs = v.fs if v.kind == "fixed" else v.est
        if ue + s > vs:
            return False
        ue0 = u.fe if u.kind == "fixed" else u.eet
        vs1 = v.fs if v.kind == "fixed" else v.lst
        # an engineering block that could sit between them needs the disjunction
        return not any(ue0 <= E[0] + 1 and E[1] <= vs1 + 1 for E in self.eng)

    def add_pairs(self, free_nodes, all_nodes) -> list:
        """Order constraints for every pair that may meet; returns [(literal, u, v)] to hint."""
        order_hint = []
        for i, u in enumerate(free_nodes):
            for v in all_nodes[i + 1 :]:
                if v.kind == "free" and v.r == u.r and v.g == u.g:
                    self.prec(u, v, [v.p]) if v.q > u.q else self.prec(v, u, [u.p])
                    continue
                pv = [u.p] + ([v.p] if v.kind == "free" else [])
                if v.kind == "fixed" and v.role == "left":
                    self.prec(v, u, [u.p])
                    continue
                if v.kind == "fixed" and v.role == "right":
                    self.prec(u, v, [u.p])
                    continue
                if self.always_before(u, v) or self.always_before(v, u):
                    continue
                uv, vu = self.may_precede(u, v), self.may_precede(v, u)
                if uv and vu:
                    b = self.model.new_bool_var("")
                    self.prec(u, v, pv + [b])
                    self.prec(v, u, pv + [b.Not()])
                    order_hint.append((b, u, v))
                elif uv:
                    self.prec(u, v, pv)
                elif vu:
                    self.prec(v, u, pv)
                else:
                    self.model.add_bool_or([lit.Not() for lit in pv])
        return order_hint


def _solve_window(
    ctx: _Ctx,
    plan: _Plan,
    w0: float,
    w1: float,
    *,
    dtime: float,
    workers: int,
    seed: int,
    per_interval: int,
    max_candidates: int,
    wall_left: float | None,
    log: bool,
    level_at=None,
):
    """Re-optimise the visits of ``plan`` inside [w0, w1). Returns (new visits, info) or None."""
    p = ctx.p
    span = _free_span(ctx, plan, w0, w1)
    if span is None:
        return None
    rel = span.rel
    fx = _fixed_usage(ctx, span)
    hint_by = {}
    for it in span.free:
        hint_by.setdefault(it.ref, []).append(it)
    eng = _engineering_in(ctx, plan, span)
    model = cp_model.CpModel()
    free_nodes, hinted, n_cand = _add_candidates(ctx, model, span, fx, hint_by, per_interval, max_candidates)
    if not free_nodes:
        return None
    by_r = _add_counts_and_cadence(model, p, free_nodes, fx)
    fixed_nodes = []
    for it, role in (
        ([(span.left, "left")] if span.left is not None else [])
        + [(x, "inner") for x in span.inner]
        + ([(span.right, "right")] if span.right is not None else [])
    ):
        fixed_nodes.append(_Node("fixed", ctx.pointing_dir(it), role=role, fs=rel(it.start), fe=rel(it.stop)))
    all_nodes = free_nodes + fixed_nodes
    for i, nd in enumerate(all_nodes):
        nd.idx = i
    seq = _Sequencing(model, slew_matrix_s(p.spacecraft.slew, np.array([nd.dir for nd in all_nodes])), eng)
    order_hint = seq.add_pairs(free_nodes, all_nodes)
    # no-overlap (redundant with the pairs, helps propagation)
    ivs = [nd.iv for nd in free_nodes]
    for es, ee in eng:
        a, b = _floor(es), _ceil(ee)
        if b > a:
            ivs.append(model.new_fixed_size_interval_var(a, b - a, ""))
    for nd in fixed_nodes:
        if nd.role == "inner":
            a, b = _floor(nd.fs), _ceil(nd.fe)
            if b > a:
                ivs.append(model.new_fixed_size_interval_var(a, b - a, ""))
    model.add_no_overlap(ivs)
    if level_at is not None:
        _recorder_rows(ctx, model, free_nodes, span.inner, level_at(span.span_lo), span.span_lo, span.span_hi, rel)
    _add_objective_and_hints(ctx, model, by_r, fx, hinted, order_hint)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_deterministic_time = float(dtime)
    prm.num_workers = int(workers)
    prm.random_seed = int(seed)
    if workers > 1:
        prm.interleave_search = True
    if wall_left is not None:
        prm.max_time_in_seconds = max(0.01, float(wall_left))
    prm.log_search_progress = bool(log)
    st = interruptible.cp_solve(solver, model)
    info = dict(
        status=solver.status_name(st), candidates=n_cand, wall_s=solver.wall_time, dtime=solver.deterministic_time
    )
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, info
    new = [
        (nd.r, span.ref + solver.value(nd.s), span.ref + solver.value(nd.e))
        for nd in free_nodes
        if solver.boolean_value(nd.p)
    ]
    keep = [(it.ref, it.start, it.stop) for it in span.fixed if it.kind == "v"]
    return keep + new, info


def _add_objective_and_hints(ctx, model, by_r, fx: _Fixed, hinted, order_hint) -> None:
    """Objective sum_r coef_r min(cap_r, sum of durations) and the incumbent as the hint."""
    obj = []
    got_hint = {}
    for r, lst in by_r.items():
        ub = int(math.ceil(max(fx.cap[r], 0.0) - 1e-9))
        got = model.new_int_var(0, ub, f"got{r}")
        model.add(got <= sum(nd.eff for nd in lst))
        obj.append(int(ctx.coef[r]) * got)
        got_hint[r] = (got, ub)
    model.maximize(sum(obj))
    hsum = {}
    for nd, s_h, e_h in hinted:
        if s_h is None:
            model.add_hint(nd.p, 0)
            continue
        model.add_hint(nd.p, 1)
        model.add_hint(nd.s, s_h)
        model.add_hint(nd.e, e_h)
        model.add_hint(nd.d, e_h - s_h)
        model.add_hint(nd.eff, e_h - s_h)
        hsum[nd.r] = hsum.get(nd.r, 0) + e_h - s_h
        nd.hs = s_h
    for r, (got, ub) in got_hint.items():
        model.add_hint(got, min(ub, hsum.get(r, 0)))
    for b, u, v in order_hint:
        su, sv = u.hint_start(), v.hint_start()
        if su is not None and sv is not None:
            model.add_hint(b, 1 if su <= sv else 0)


def cpsat(
    problem,
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    hint=None,
    window_s: float = 12 * 3600.0,
    passes: int = 1,
    window_dtime: float = 0.08,
    per_interval: int = 2,
    max_candidates: int = 40,
    lp_bound: bool = True,
    recorder: bool = True,
    log: bool = False,
    work_limit: float | None = None,
    bound: float | None = None,
    progress=None,
):
    """Improve a plan by CP-SAT large-neighbourhood search over time windows; returns a Schedule.

    work_limit: deterministic budget of the whole search in CP-SAT deterministic-time units
    (None: no budget): each window costs its CP-SAT ``deterministic_time`` plus
    ``CANDIDATE_WORK`` per candidate; windows run in time order until the budget is spent,
    so the result does not depend on the machine. time_limit_s: wall-clock
    safety cap (s) for the whole call (LP bound included), checked between windows; when it is
    what stopped the search the status says ``WALL_CAP_TEXT`` and ``info['wall_limit_hit']``.
    bound: a valid upper bound already known (then no LP is solved here). progress: called
    with the fraction of windows done (0..1). workers (<= 2 used), seed: CP-SAT parameters of
    every window solve. hint: a valid
    Schedule to start from (default: ``greedy(problem)``); the result is never worse than it.
    window_s: window length (s), windows overlap by half; passes: sweeps over the span (each
    shifted); window_dtime: CP-SAT deterministic time per window; per_interval: candidate visits
    per (request, usable window); max_candidates: cap on candidates of a window (the requests
    with incumbent visits there always get theirs, then the most valuable per second).
    lp_bound: compute ``relaxation_bound`` (the LP bound, valid for the true problem).
    recorder: model the recorder level in each window (``_recorder_rows``, a conservative queue
    bound, once the incumbent's recorder is ``RECORDER_ROWS_FROM`` full; ``validate`` checks
    the rebuilt plan either way).
    """
    t_wall = time.perf_counter()
    workers = max(1, min(2, int(workers)))
    if hint is None or validate(hint, problem):
        hint = greedy(problem)
    lp = bound if bound is not None else (relaxation_bound(problem) if lp_bound and problem.requests else None)
    ctx = _Ctx(problem)
    plan = _decisions(problem, hint)
    sched = assemble(problem, plan.visits, plan.eng_starts, plan.passes, scheduler="cpsat")
    if validate(sched, problem) or sched.science_value(problem) < hint.science_value(problem) - VALUE_EPS:
        # the hint cannot be rebuilt from its decisions: start from greedy's (it always can)
        g = greedy(problem)
        plan = _decisions(problem, g)
        sched = assemble(problem, plan.visits, plan.eng_starts, plan.passes, scheduler="cpsat")
        if hint.science_value(problem) > sched.science_value(problem):
            best_external = hint
        else:
            best_external = None
    else:
        best_external = None
    value = sched.science_value(problem)
    start_value = value
    wins = _windows(problem, window_s, passes) if problem.requests else []
    n_done = n_acc = 0
    wall_hit = False
    level_fn, level_of = None, None  # recorder level of the incumbent (recomputed when it changes)
    statuses = {}
    dtime = window_dtime
    spent = 0.0  # work used so far: CP-SAT deterministic time plus CANDIDATE_WORK per candidate
    budget_hit = False
    for i_win, (_pass, w0, w1) in enumerate(wins):
        if progress is not None:
            progress(i_win / len(wins))
        if work_limit is not None and spent >= work_limit:
            budget_hit = True
            break
        left = time_limit_s - (time.perf_counter() - t_wall)
        if left <= 0:
            wall_hit = True
            break
        kw = dict(
            dtime=dtime, workers=workers, seed=seed, per_interval=per_interval, max_candidates=max_candidates, log=log
        )
        if recorder and level_of is not sched:  # the incumbent's level profile, once per incumbent
            level_fn, level_of = _level_function(problem, sched), sched
        level_at = level_fn if recorder else None
        if level_at is not None and level_at.peak < RECORDER_ROWS_FROM * problem.spacecraft.recorder_capacity_mbit:
            level_at = None  # far from full: the rows would only slow the window down (validate guards)
        res = _solve_window(ctx, plan, w0, w1, wall_left=left, level_at=level_at, **kw)
        if recorder and res is not None and res[0] is None:
            # the conservative recorder rows can reject even the incumbent (a recorder at capacity):
            # solve without them; validate still guards the rebuilt plan
            statuses["without recorder rows"] = statuses.get("without recorder rows", 0) + 1
            left = time_limit_s - (time.perf_counter() - t_wall)
            if left <= 0:
                wall_hit = True
                break
            spent += res[1]["dtime"] + CANDIDATE_WORK * res[1]["candidates"]
            res = _solve_window(ctx, plan, w0, w1, wall_left=left, level_at=None, **kw)
        n_done += 1
        if res is None:
            continue
        visits, info = res
        spent += info["dtime"] + CANDIDATE_WORK * info["candidates"]
        statuses[info["status"]] = statuses.get(info["status"], 0) + 1
        if visits is None:
            continue
        if info["wall_s"] >= left:
            wall_hit = True
        cand = assemble(problem, visits, plan.eng_starts, plan.passes, scheduler="cpsat")
        if validate(cand, problem):
            statuses["rejected invalid"] = statuses.get("rejected invalid", 0) + 1
            continue
        v = cand.science_value(problem)
        if v >= value - VALUE_EPS:
            if v > value + VALUE_EPS:
                n_acc += 1
            plan = _Plan(visits, plan.eng_starts, plan.passes)
            sched, value = cand, v
    if best_external is not None and best_external.science_value(problem) > value:
        sched = type(best_external)(list(best_external.activities), scheduler="cpsat")
        value = sched.science_value(problem)
    sched.scheduler = "cpsat"
    sched.status = (
        f"LNS: {n_done}/{len(wins)} windows, {n_acc} improved"
        + (" (work budget spent)" if budget_hit else "")
        + (f" ({WALL_CAP_TEXT})" if wall_hit else "")
    )
    sched.relaxation_bound = lp
    proven = lp is not None and value >= lp * (1 - PROVEN_REL_EPS) - VALUE_EPS
    sched.model_bound = lp if proven else None
    if proven:
        sched.status += "; optimal (reaches the LP bound)"
    sched.solve_s = time.perf_counter() - t_wall
    sched.info = {
        "windows": len(wins),
        "windows_solved": n_done,
        "windows_improved": n_acc,
        "start_value": start_value,
        "value": value,
        "wall_limit_hit": wall_hit,
        "window_statuses": statuses,
        "window_s": window_s,
        "window_dtime": dtime,
        "work_limit": work_limit,
        "work_spent": spent,
        "workers": workers,
        "seed": seed,
    }
    if progress is not None:
        progress(1.0)
    return sched
