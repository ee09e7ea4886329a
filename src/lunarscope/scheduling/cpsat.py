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
fixed order. ``time_limit_s`` is a wall-clock budget for the whole call checked between
windows (and passed to the last solve as its wall limit): results are identical between
runs as long as that budget is not what stopped the search (``info['wall_limit_hit']``).
"""
from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

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
            k = np.flatnonzero((tl[:, 3] == st) & (tl[:, 4] == ci) & (tl[:, 0] <= a.start + TIME_EPS_S)
                               & (tl[:, 1] >= a.stop - TIME_EPS_S))
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
        """item: ('v', r, s, e) visit or ('d', k, s, e) pass."""
        if item[0] == "v":
            return self.tdirs[self.tgt[item[1]]]
        row = self.tl[item[1]]
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
    nodes = [nd for nd in free_nodes if p.requests[nd["r"]].data_rate_mbit_s > 0]
    if not nodes:
        return
    c = {id(nd): math.ceil(p.requests[nd["r"]].data_rate_mbit_s * Q - 1e-9) for nd in nodes}
    cmax = max(c.values())
    if ctx.body_fixed:  # the fixed passes inside the span: items ('d', timeline row, start, stop)
        segs = [(rel(it[2]), rel(it[3]), float(ctx.tl[it[1], 2])) for it in inner if it[0] == "d"]
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
        if t <= nd["est"]:
            return 0
        o = model.new_int_var(0, max(0, nd["let"] - nd["est"]), "")
        if upper:
            if t >= nd["let"]:
                model.add(o >= nd["d"]).only_enforce_if(nd["p"])
            else:
                z = model.new_bool_var("")
                model.add(o >= nd["d"]).only_enforce_if([nd["p"], z])
                model.add(o >= t - nd["s"]).only_enforce_if([nd["p"], z.Not()])
        else:  # o <= max(0, min(e, t) - s): o <= d and (o <= t - s or o == 0)
            w = model.new_bool_var("")
            model.add(o <= nd["d"]).only_enforce_if(nd["p"])
            model.add(o <= t - nd["s"]).only_enforce_if([nd["p"], w])
            model.add(o == 0).only_enforce_if(w.Not())
            model.add_implication(nd["p"].Not(), w.Not())
        return o

    level = model.new_int_var(L0, cap, "")
    for j in range(1, len(taus)):
        x0, x1 = taus[j - 1], taus[j]
        act = [nd for nd in nodes if nd["est"] < x1 and nd["let"] > x0]
        gen = sum(c[id(nd)] * (overlap(nd, x1, True) - overlap(nd, x0, False)) for nd in act) if act else 0
        mid = 0.5 * (x0 + x1)
        draining = any(a <= mid <= b for a, b in drain)
        nxt = model.new_int_var(0, cap, "")
        model.add(nxt >= level + gen - (capacity(x0, x1) if draining else 0))
        level = nxt


def _solve_window(ctx: _Ctx, plan: _Plan, w0: float, w1: float, *, dtime: float, workers: int, seed: int,
                  per_interval: int, max_candidates: int, wall_left: float | None, log: bool,
                  level_at=None):
    """Re-optimise the visits of ``plan`` inside [w0, w1). Returns (new visits, info) or None."""
    p = ctx.p
    T0 = p.start
    items = [("v", r, s, e) for r, s, e in plan.visits] + [("d", k, s, e) for k, s, e in plan.passes]
    free = [it for it in items if it[0] == "v" and it[2] >= w0 - TIME_EPS_S and it[3] <= w1 + TIME_EPS_S]
    free_set = {id(it) for it in free}
    fixed = [it for it in items if id(it) not in free_set]
    lo, hi = w0, w1
    for it in fixed:
        if it[2] < w0 < it[3]:
            lo = max(lo, it[3])
        if it[2] < w1 < it[3]:
            hi = min(hi, it[2])
    if hi - lo <= 0:
        return None
    left = max((it for it in fixed if it[3] <= lo + TIME_EPS_S), key=lambda it: it[3], default=None)
    right = min((it for it in fixed if it[2] >= hi - TIME_EPS_S), key=lambda it: it[2], default=None)
    inner = [it for it in fixed if it[2] >= lo - TIME_EPS_S and it[3] <= hi + TIME_EPS_S]
    span_lo = left[3] if left is not None else p.start
    span_hi = right[2] if right is not None else p.stop
    # integer grid: problem.start + k seconds
    ref = T0 + math.floor(span_lo - T0)

    def rel(t):
        return t - ref

    # fixed visits outside: what they count, how many, their starts (cadence)
    R = len(p.requests)
    counted = np.zeros(R)
    nfix = np.zeros(R, int)
    fix_starts = [[] for _ in range(R)]
    for it in fixed:
        if it[0] == "v":
            r = it[1]
            nfix[r] += 1
            fix_starts[r].append(it[2])
            if it[3] - it[2] >= ctx.M[r] - 1e-9:
                counted[r] += it[3] - it[2]
    cap = ctx.E - counted
    hint_by = {}
    for it in free:
        hint_by.setdefault(it[1], []).append(it)
    # engineering occurrences around the free span
    eng = []
    for j, s in enumerate(plan.eng_starts):
        e = s + ctx.eng_dur[j]
        if e > span_lo - TIME_EPS_S and s < span_hi + TIME_EPS_S and e > s:
            eng.append((rel(s), rel(e)))
    # candidate (request, clipped usable window) groups
    groups = []
    for r in range(R):
        req = p.requests[r]
        nleft = (req.n_visits - nfix[r]) if req.n_visits is not None else 10**9
        if (cap[r] <= 1e-9 or nleft <= 0) and r not in hint_by:
            continue
        W = ctx.wins[r]
        if len(W) == 0:
            continue
        k0 = int(np.searchsorted(W[:, 1], lo, side="right"))
        for k in range(k0, len(W)):
            a, b = max(W[k, 0], lo), min(W[k, 1], hi)
            if W[k, 0] >= hi:
                break
            if b - a < ctx.M[r] - 1e-9:
                continue
            nh = sum(1 for it in hint_by.get(r, []) if it[2] >= W[k, 0] - TIME_EPS_S and it[3] <= W[k, 1] + TIME_EPS_S)
            groups.append((r, a, b, nh))
    # keep every group with incumbent visits, then the most valuable per second
    order = sorted(range(len(groups)), key=lambda g: (groups[g][3] == 0, -ctx.w[groups[g][0]], groups[g][1], g))
    model = cp_model.CpModel()
    nodes = []  # dicts
    n_cand = 0
    hinted = []
    for g in order:
        r, a, b, nh = groups[g]
        req = p.requests[r]
        M = int(math.ceil(req.min_visit_s - 1e-9))
        est = _ceil(rel(a))
        let = _floor(rel(b))
        lst = let - M
        if req.cadence_s:
            before = [s for s in fix_starts[r] if s < lo]
            after = [s for s in fix_starts[r] if s >= lo]
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
        if cap[r] > 0:
            dmax = min(dmax, max(M, int(math.ceil(cap[r] - 1e-9))))
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
            nd = dict(kind="free", r=r, g=g, q=q, s=st, e=en, d=du, p=pr, iv=iv, eff=eff, est=est,
                      lst=lst, eet=est + M, let=let, dir=ctx.tdirs[ctx.tgt[r]], tix=int(ctx.tgt[r]))
            if prev is not None:
                model.add_implication(pr, prev["p"])
                model.add(st >= prev["e"]).only_enforce_if(pr)
                if req.cadence_s:
                    model.add(st >= prev["s"] + _ceil(req.cadence_s)).only_enforce_if(pr)
            nodes.append(nd)
            prev = nd
            n_cand += 1
        # hint: incumbent visits of this group, in time order
        hv = sorted((it for it in hint_by.get(r, []) if it[2] >= a - TIME_EPS_S and it[3] <= b + TIME_EPS_S),
                    key=lambda it: it[2])
        grp_nodes = nodes[len(nodes) - k:]
        for q, nd in enumerate(grp_nodes):
            if q < len(hv):
                s_h = min(max(_ceil(rel(hv[q][2])), nd["est"]), nd["lst"])
                e_h = min(max(_floor(rel(hv[q][3])), s_h + M), nd["let"])
                hinted.append((nd, s_h, e_h))
            else:
                hinted.append((nd, None, None))
    free_nodes = list(nodes)
    if not free_nodes:
        return None
    # cadence and visit counts across groups of one request
    by_r = {}
    for nd in free_nodes:
        by_r.setdefault(nd["r"], []).append(nd)
    for r, lst in by_r.items():
        req = p.requests[r]
        if req.n_visits is not None:
            model.add(sum(nd["p"] for nd in lst) <= max(0, req.n_visits - int(nfix[r])))
        if req.cadence_s:
            c = _ceil(req.cadence_s)
            for i in range(len(lst)):
                for j in range(i + 1, len(lst)):
                    u, v = lst[i], lst[j]
                    if u["g"] == v["g"]:
                        continue
                    if u["est"] > v["est"]:
                        u, v = v, u
                    if v["est"] - u["lst"] >= c:
                        continue
                    model.add(v["s"] >= u["s"] + c).only_enforce_if([u["p"], v["p"]])
    # fixed pointing nodes
    fixed_nodes = []
    for it, role in ([(left, "left")] if left is not None else []) + [(x, "inner") for x in inner] + (
            [(right, "right")] if right is not None else []):
        fixed_nodes.append(dict(kind="fixed", role=role, fs=rel(it[2]), fe=rel(it[3]), dir=ctx.pointing_dir(it)))
    all_nodes = free_nodes + fixed_nodes
    D = np.array([nd["dir"] for nd in all_nodes])
    S = slew_matrix_s(p.spacecraft.slew, D)
    for i, nd in enumerate(all_nodes):
        nd["idx"] = i

    # side of each node w.r.t. each engineering occurrence: True (before), False (after) or a literal
    def side(nd, E):
        es, ee = E
        if nd["kind"] == "fixed":
            return bool(nd["fe"] <= es + TIME_EPS_S)
        if nd["let"] <= _floor(es):
            return True
        if nd["est"] >= _ceil(ee):
            return False
        key = ("side", E)
        if key not in nd:
            lit = model.new_bool_var("")
            model.add(nd["e"] <= _floor(es)).only_enforce_if([lit, nd["p"]])
            model.add(nd["s"] >= _ceil(ee)).only_enforce_if([lit.Not(), nd["p"]])
            nd[key] = lit
        return nd[key]

    def start_of(nd):
        return ("c", nd["fs"]) if nd["kind"] == "fixed" else ("v", nd["s"])

    def end_of(nd):
        return ("c", nd["fe"]) if nd["kind"] == "fixed" else ("v", nd["e"])

    def le(x, c, y, enf):
        """x + c <= y under the enforcement literals ``enf`` (x, y: ('v', var) or ('c', float))."""
        enf = [l for l in enf if l is not True]
        if any(l is False for l in enf):
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
                    model.add_bool_or([l.Not() for l in enf])
            return
        if enf:
            ct.only_enforce_if(enf)

    def neg(l):
        if l is True:
            return False
        if l is False:
            return True
        return l.Not()

    def prec(u, v, enf):
        """u before v: exact slew, and around engineering the slew fits before or after the block."""
        s = float(S[u["idx"], v["idx"]])
        le(end_of(u), s, start_of(v), enf)
        if s <= 0:
            return
        for E in eng:
            bu, bv = side(u, E), side(v, E)
            if bu is False or bv is True:
                continue
            lits = list(enf) + [bu, neg(bv)]
            if any(l is False for l in lits):
                continue
            gsel = model.new_bool_var("")
            le(end_of(u), s, ("c", E[0]), lits + [gsel])
            le(("c", E[1]), s, start_of(v), lits + [gsel.Not()])

    def may_precede(u, v):
        s = float(S[u["idx"], v["idx"]])
        ue = u["fe"] if u["kind"] == "fixed" else u["eet"]
        vs = v["fs"] if v["kind"] == "fixed" else v["lst"]
        return ue + s <= vs + SNAP_EPS_S + 1

    def always_before(u, v):
        s = float(S[u["idx"], v["idx"]])
        ue = u["fe"] if u["kind"] == "fixed" else u["let"]
        vs = v["fs"] if v["kind"] == "fixed" else v["est"]
        if ue + s > vs:
            return False
        ue0 = u["fe"] if u["kind"] == "fixed" else u["eet"]
        vs1 = v["fs"] if v["kind"] == "fixed" else v["lst"]
        # an engineering block that could sit between them needs the disjunction
        return not any(ue0 <= E[0] + 1 and E[1] <= vs1 + 1 for E in eng)

    order_hint = []
    for i, u in enumerate(free_nodes):
        for v in all_nodes[i + 1:]:
            if v["kind"] == "free" and v["r"] == u["r"] and v["g"] == u["g"]:
                prec(u, v, [v["p"]]) if v["q"] > u["q"] else prec(v, u, [u["p"]])
                continue
            pv = [u["p"]] + ([v["p"]] if v["kind"] == "free" else [])
            if v["kind"] == "fixed" and v["role"] == "left":
                prec(v, u, [u["p"]])
                continue
            if v["kind"] == "fixed" and v["role"] == "right":
                prec(u, v, [u["p"]])
                continue
            if always_before(u, v) or always_before(v, u):
                continue
            uv, vu = may_precede(u, v), may_precede(v, u)
            if uv and vu:
                b = model.new_bool_var("")
                prec(u, v, pv + [b])
                prec(v, u, pv + [b.Not()])
                order_hint.append((b, u, v))
            elif uv:
                prec(u, v, pv)
            elif vu:
                prec(v, u, pv)
            else:
                model.add_bool_or([l.Not() for l in pv])
    # no-overlap (redundant with the pairs, helps propagation)
    ivs = [nd["iv"] for nd in free_nodes]
    for es, ee in eng:
        a, b = _floor(es), _ceil(ee)
        if b > a:
            ivs.append(model.new_fixed_size_interval_var(a, b - a, ""))
    for nd in fixed_nodes:
        if nd["role"] == "inner":
            a, b = _floor(nd["fs"]), _ceil(nd["fe"])
            if b > a:
                ivs.append(model.new_fixed_size_interval_var(a, b - a, ""))
    model.add_no_overlap(ivs)
    if level_at is not None:
        _recorder_rows(ctx, model, free_nodes, inner, level_at(span_lo), span_lo, span_hi, rel)
    # objective
    obj = []
    got_hint = {}
    for r, lst in by_r.items():
        ub = int(math.ceil(max(cap[r], 0.0) - 1e-9))
        got = model.new_int_var(0, ub, f"got{r}")
        model.add(got <= sum(nd["eff"] for nd in lst))
        obj.append(int(ctx.coef[r]) * got)
        got_hint[r] = (got, ub)
    model.maximize(sum(obj))
    # hint: the incumbent's visits
    hsum = {}
    for nd, s_h, e_h in hinted:
        if s_h is None:
            model.add_hint(nd["p"], 0)
            continue
        model.add_hint(nd["p"], 1)
        model.add_hint(nd["s"], s_h)
        model.add_hint(nd["e"], e_h)
        model.add_hint(nd["d"], e_h - s_h)
        model.add_hint(nd["eff"], e_h - s_h)
        hsum[nd["r"]] = hsum.get(nd["r"], 0) + e_h - s_h
        nd["hs"] = s_h
    for r, (got, ub) in got_hint.items():
        model.add_hint(got, min(ub, hsum.get(r, 0)))
    for b, u, v in order_hint:
        su = u.get("hs", u.get("fs"))
        sv = v.get("hs", v.get("fs"))
        if su is not None and sv is not None:
            model.add_hint(b, 1 if su <= sv else 0)
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
    st = solver.solve(model)
    info = dict(status=solver.status_name(st), candidates=n_cand, wall_s=solver.wall_time,
                dtime=solver.deterministic_time)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, info
    new = []
    for nd in free_nodes:
        if solver.boolean_value(nd["p"]):
            new.append((nd["r"], ref + solver.value(nd["s"]), ref + solver.value(nd["e"])))
    keep = [(it[1], it[2], it[3]) for it in fixed if it[0] == "v"]
    return keep + new, info


def cpsat(problem, *, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0, hint=None,
          window_s: float = 12 * 3600.0, passes: int = 1, window_dtime: float = 0.08, per_interval: int = 2,
          max_candidates: int = 40, lp_bound: bool = True, recorder: bool = True, log: bool = False):
    """Improve a plan by CP-SAT large-neighbourhood search over time windows; returns a Schedule.

    time_limit_s: wall-clock budget (s) for the whole call (LP bound included), checked between
    windows. workers (<= 2 used), seed: CP-SAT parameters of every window solve. hint: a valid
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
    lp = relaxation_bound(problem) if lp_bound and problem.requests else None
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
    for (_pass, w0, w1) in wins:
        left = time_limit_s - (time.perf_counter() - t_wall)
        if left <= 0:
            wall_hit = True
            break
        kw = dict(dtime=window_dtime, workers=workers, seed=seed, per_interval=per_interval,
                  max_candidates=max_candidates, log=log)
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
            res = _solve_window(ctx, plan, w0, w1, wall_left=left, level_at=None, **kw)
        n_done += 1
        if res is None:
            continue
        visits, info = res
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
    sched.status = (f"LNS: {n_done}/{len(wins)} windows, {n_acc} improved"
                    + (" (wall limit hit)" if wall_hit else ""))
    sched.relaxation_bound = lp
    proven = lp is not None and value >= lp * (1 - PROVEN_REL_EPS) - VALUE_EPS
    sched.model_bound = lp if proven else None
    if proven:
        sched.status += "; optimal (reaches the LP bound)"
    sched.solve_s = time.perf_counter() - t_wall
    sched.info = {"windows": len(wins), "windows_solved": n_done, "windows_improved": n_acc,
                  "start_value": start_value, "value": value, "wall_limit_hit": wall_hit,
                  "window_statuses": statuses, "window_s": window_s, "window_dtime": window_dtime,
                  "workers": workers, "seed": seed}
    return sched
