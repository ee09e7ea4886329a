"""CP-SAT optimiser (OR-Tools ``ortools.sat.python.cp_model``).

Model (integer seconds; see docs/scheduling.md for what is exact and what is conservative):

* one optional visit per (request, usable visibility window): start s, duration d in
  {0} U [min visit, min(window, exposure)], presence p; window bounds rounded inwards.
* slews: every visit interval is padded on both sides by ``pad_a = ceil(max_b slew(a, b) / 2)``
  (b over all targets and Earth directions) and all padded intervals share one
  no-overlap; since ``pad_a + pad_b >= slew(a, b)`` any order is slew-feasible
  (conservative). Engineering occurrences float in their flex window, padded by the
  largest pad so the slew never needs to cross them. Body-fixed downlink passes are
  optional intervals inside contact segments, padded by their Earth pad.
* recorder: "epoch" reservoir. Epoch boundaries are downlink-segment starts (split to
  <= ``epoch_s``). With out_k the data sent in segment k, a visit's data counted from
  its window's start (upper check) or from its window's end (lower check):
      L0 + sum_{ws_i < tau_{k+1}} q_i d_i - sum_{j<k} out_j <= capacity
      sum_{j<=k} out_j <= L0 + sum_{we_i <= tau_k} q_i d_i
  Both are conservative versions of the true continuous recorder, so the as-soon-as-
  possible downlink computed afterwards never overflows nor underflows.
* objective: sum_r c_r got_r with got_r = min(exposure_r, sum d), c_r = round(S p_r / E_r).
* large instances: rolling horizon (chunks with at most ``max_candidates`` visits,
  earlier chunks fixed); a proven bound is then reported only for the LP relaxation.
"""
from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.bounds import relaxation_bound
from lunarscope.scheduling.slew import angle_between
from lunarscope.scheduling.validate import validate

#: Integer scale of the objective: the largest per-second coefficient becomes ~this.
OBJECTIVE_SCALE = 1_000_000
#: Data unit in the recorder constraints: 1e-3 Mbit.
DATA_UNITS_PER_MBIT = 1000


def _pads(problem):
    """Per target and per timeline row: half the largest slew (s, ceil)."""
    tl = problem.downlink_timeline
    dirs = [problem.target_dirs]
    if problem.spacecraft.antenna == "body_fixed" and len(tl):
        dirs.append(np.array([problem.earth_dir(r[3], r[4]) for r in tl]))
    D = np.vstack(dirs)
    model = problem.spacecraft.slew
    mx = np.zeros(len(D))
    for i in range(0, len(D), 256):
        mx[i:i + 256] = model.time_s(angle_between(D[i:i + 256, None, :], D[None, :, :])).max(axis=1)
    pads = np.ceil(mx / 2.0).astype(int)
    nt = len(problem.target_dirs)
    return pads[:nt], pads[nt:]


def cpsat(problem, *, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0, hint=None,
          max_candidates: int = 4000, epoch_s: float = 7200.0, log: bool = False):
    """Optimise ``problem``; returns a Schedule with status, model_bound, relaxation_bound.

    hint: a Schedule (e.g. from ``greedy``) used as AddHint warm start.
    Deterministic for fixed ``seed`` and ``workers`` (CP-SAT with a fixed seed; the time
    limit can still change the result if the search is cut at a different point, so
    ``deterministic_time`` is used as the limit).
    """
    t_wall = time.perf_counter()
    reqs = problem.requests
    R = len(reqs)
    T0 = problem.start
    pad_t, pad_row = _pads(problem)
    pmax = int(max(pad_t.max() if len(pad_t) else 0, pad_row.max() if len(pad_row) else 0))
    tgt = np.array([problem.target_index[r.target] for r in reqs], int)
    E = np.array([r.exposure_s for r in reqs])
    dens = np.array([r.priority / r.exposure_s for r in reqs])
    S = OBJECTIVE_SCALE / dens.max() if R else 1.0
    coef = np.maximum(1, np.round(dens * S)).astype(int)
    cap = problem.spacecraft.recorder_capacity_mbit
    body_fixed = problem.spacecraft.antenna == "body_fixed"
    tl = problem.downlink_timeline
    nom = problem.engineering_nominal
    # candidate windows
    cands = []
    for r, w in enumerate(problem.usable_windows):
        for a, b in w:
            cands.append((r, a, b))
    n_c = len(cands)
    n_chunks = max(1, math.ceil(n_c / max_candidates))
    edges = np.linspace(problem.start, problem.stop, n_chunks + 1)
    # epochs (global): problem start + downlink segment starts, split to <= epoch_s and at chunk edges
    ep = [problem.start] + list(edges[1:-1])
    rows = []  # (start, stop, rate, timeline row)
    for k, (a, b, rate, _st, _ci) in enumerate(tl):
        n = max(1, math.ceil((b - a) / epoch_s))
        cuts = np.unique(np.concatenate([np.linspace(a, b, n + 1), edges[(edges > a) & (edges < b)]]))
        for x0, x1 in zip(cuts[:-1], cuts[1:]):
            rows.append((x0, x1, rate, k))
            ep.append(x0)
    ep = np.unique(np.array(ep))
    row_epoch = {i: int(np.searchsorted(ep, r[0], side="right") - 1) for i, r in enumerate(rows)}
    # fixed state carried between chunks
    got = np.zeros(R)
    nvis = np.zeros(R, int)
    last = np.full(R, -np.inf)
    fixed_visits, fixed_eng, fixed_passes = [], {}, []
    fixed_intervals = []  # padded (start, end) in absolute seconds
    fixed_up = []  # (window start, data_mbit)
    fixed_lo = []  # (window end, data_mbit)
    fixed_out = {}  # row index -> data_mbit
    hint_v = [] if hint is None else [(a.request, a.start, a.stop) for a in hint.activities if a.kind == "observe"]
    hint_e = {} if hint is None else {a.block: a.start for a in hint.activities if a.kind == "engineering"}
    hint_by_req = {}
    for hr, hs, he in hint_v:
        hint_by_req.setdefault(hr, []).append((hs, he))
    statuses, model_bound = [], None
    per_chunk = time_limit_s / n_chunks
    U = DATA_UNITS_PER_MBIT
    reach = float(nom[:, 2].max() if len(nom) else 0.0) + 2 * pmax + 1
    L0 = problem.spacecraft.recorder_initial_mbit
    for c in range(n_chunks):
        c0, c1 = edges[c], edges[c + 1]
        m = cp_model.CpModel()
        base = int(math.floor(c0 - T0)) - 4 * pmax - 86400

        def it(x, up=False):
            return (math.ceil(x - T0) if up else math.floor(x - T0)) - base

        horizon = it(problem.stop) + 4 * pmax + 86400 * 2
        ivs, vis_vars, obj_terms, dmaxs, e_of = [], [], [], [], []
        req_d = {}
        for (r, a, b) in cands:
            if not (c0 <= a < c1) and not (a < c0 < b):
                continue
            a, b = max(a, c0), min(b, c1)
            if last[r] > -np.inf and reqs[r].cadence_s:
                a = max(a, last[r] + reqs[r].cadence_s)
            lo, hi = it(a, up=True), it(b)
            mv = math.ceil(reqs[r].min_visit_s)
            need = E[r] - got[r]
            if hi - lo < mv or need <= 0 or nvis[r] >= (reqs[r].n_visits or 10**9):
                continue
            dmax = min(hi - lo, max(mv, math.ceil(need)))
            p = m.new_bool_var("")
            s = m.new_int_var(lo, hi - mv, "")
            d = m.new_int_var(0, dmax, "")
            m.add(d >= mv).only_enforce_if(p)
            m.add(d == 0).only_enforce_if(~p)
            e = m.new_int_var(lo, hi, "")
            m.add(e == s + d)
            e_of.append(e)
            pd = int(pad_t[tgt[r]])
            ivs.append(m.new_optional_interval_var(s - pd, d + 2 * pd, e + pd, p, ""))
            vis_vars.append((r, a, b, s, d, p))
            dmaxs.append(dmax)
            req_d.setdefault(r, []).append(len(vis_vars) - 1)
        for r, idx in req_d.items():
            need = E[r] - got[r]
            g = m.new_int_var(0, math.ceil(need), "")
            m.add(g <= sum(vis_vars[i][4] for i in idx))
            obj_terms.append(int(coef[r]) * g)
            rq = reqs[r]
            if rq.n_visits is not None:
                m.add(sum(vis_vars[i][5] for i in idx) <= rq.n_visits - nvis[r])
            if rq.cadence_s:
                cad = math.ceil(rq.cadence_s)
                for x in range(len(idx)):
                    for y in range(x + 1, len(idx)):
                        i, j = idx[x], idx[y]
                        if vis_vars[j][1] - vis_vars[i][2] >= cad:
                            break
                        m.add(vis_vars[j][3] - vis_vars[i][3] >= cad).only_enforce_if(
                            [vis_vars[i][5], vis_vars[j][5]])
        # engineering occurrences whose nominal start is in this chunk
        eng_vars = []
        for j, (tn, dur, flex, _bi) in enumerate(nom):
            if not (c0 <= tn < c1 or (c == 0 and tn < c0)):
                continue
            lo, hi = it(tn - flex, up=True), it(tn + flex)
            s = m.new_int_var(lo, max(lo, hi), "")
            du = math.ceil(dur)
            ivs.append(m.new_interval_var(s - pmax, du + 2 * pmax, s + du + pmax, ""))
            eng_vars.append((j, s, du))
            h = hint_e.get(j, tn)
            m.add_hint(s, min(max(lo, int(round(h - T0)) - base), max(lo, hi)))
        # downlink rows in this chunk
        out_vars = {}
        pass_vars = []
        for i, (x0, x1, rate, k) in enumerate(rows):
            if not (c0 <= x0 < c1):
                continue
            if body_fixed:
                lo, hi = it(x0, up=True), it(x1)
                if hi - lo < 2:
                    continue
                p = m.new_bool_var("")
                s = m.new_int_var(lo, hi, "")
                d = m.new_int_var(0, hi - lo, "")
                e = m.new_int_var(lo, hi, "")
                m.add(e == s + d)
                m.add(d == 0).only_enforce_if(~p)
                pd = int(pad_row[k])
                ivs.append(m.new_optional_interval_var(s - pd, d + 2 * pd, e + pd, p, ""))
                ov = m.new_int_var(0, int(math.floor(rate * U)) * (hi - lo), "")
                m.add(ov <= int(math.floor(rate * U)) * d)
                pass_vars.append((i, k, s, d, p))
            else:
                ov = m.new_int_var(0, int(math.floor(rate * U * (x1 - x0))), "")
            out_vars[i] = ov
        # fixed padded intervals from earlier chunks that reach into this one
        for a, b in fixed_intervals:
            if b > c0 - 2 * reach:
                lo, hi = it(a), it(b, up=True)
                ivs.append(m.new_interval_var(lo, hi - lo, hi, ""))
        m.add_no_overlap(ivs)
        # recorder epochs within this chunk
        ep_c = [k for k in range(len(ep)) if c0 <= ep[k] < c1]
        for k in ep_c:
            tau_next = ep[k + 1] if k + 1 < len(ep) else np.inf
            tau = ep[k]
            up_const = math.ceil(L0 * U) + sum(dm for ws_, dm in fixed_up if ws_ < tau_next) - sum(
                v for i, v in fixed_out.items() if row_epoch[i] < k)
            up_vars = [math.ceil(reqs[r].data_rate_mbit_s * U) * d for (r, a, b, s, d, p) in vis_vars
                       if a < tau_next and reqs[r].data_rate_mbit_s > 0]
            up_vars += [-ov for i, ov in out_vars.items() if row_epoch[i] < k]
            if up_vars:
                m.add(sum(up_vars) <= int(math.floor(cap * U)) - up_const)
            lo_const = math.floor(L0 * U) + sum(dm for we_, dm in fixed_lo if we_ <= tau) - sum(
                v for i, v in fixed_out.items() if row_epoch[i] <= k)
            lo_vars = [ov for i, ov in out_vars.items() if row_epoch[i] <= k]
            lo_vars += [-math.floor(reqs[r].data_rate_mbit_s * U) * d for (r, a, b, s, d, p) in vis_vars
                        if b <= tau and reqs[r].data_rate_mbit_s > 0]
            if lo_vars:
                m.add(sum(lo_vars) <= lo_const)
        # redundant capacity cuts: sum of visit durations inside a time slice <= its length
        if vis_vars:
            bnds = np.unique(np.concatenate([[v[1] for v in vis_vars], [v[2] for v in vis_vars]]))
            for g0 in range(0, len(bnds) - 1, 8):
                for g1 in (g0 + 8, g0 + 32):
                    if g1 >= len(bnds):
                        g1 = len(bnds) - 1
                    lo_t, hi_t = bnds[g0], bnds[g1]
                    inside = [v[4] for v in vis_vars if v[1] >= lo_t and v[2] <= hi_t]
                    if len(inside) > 1:
                        m.add(sum(inside) <= math.floor(hi_t - lo_t))
        if obj_terms:
            m.maximize(sum(obj_terms))
        # hints
        for vi, (r, a, b, s, d, p) in enumerate(vis_vars):
            hv = [(hs, he) for hs, he in hint_by_req.get(r, ()) if hs >= a - 1 and he <= b + 1]
            if hv:
                hs, he = max(hv, key=lambda x: x[1] - x[0])
                lo_s = max(it(hs, up=True), it(a, up=True))
                dh = max(0, min(it(he) - lo_s, dmaxs[vi]))
                m.add_hint(p, True)
                m.add_hint(s, lo_s)
                m.add_hint(d, dh)
                m.add_hint(e_of[vi], lo_s + dh)
            else:
                m.add_hint(p, False)
                m.add_hint(d, 0)
                m.add_hint(s, it(a, up=True))
                m.add_hint(e_of[vi], it(a, up=True))
        for ov in out_vars.values():
            m.add_hint(ov, 0)
        for i, k, s, d, p in pass_vars:
            m.add_hint(p, False)
            m.add_hint(d, 0)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = per_chunk
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        solver.parameters.log_search_progress = log
        st = solver.solve(m)
        statuses.append(solver.status_name(st))
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _fallback(problem, hint, f"CP-SAT chunk {c}: {solver.status_name(st)}", t_wall)
        if n_chunks == 1 and obj_terms:
            ratio = max(float(dens[r] * S / coef[r]) for r in req_d)
            model_bound = solver.best_objective_bound / S * ratio
        elif not obj_terms:
            model_bound = 0.0 if n_chunks == 1 else None
        # fix decisions
        for (r, a, b, s, d, p) in vis_vars:
            if solver.boolean_value(p) and solver.value(d) >= math.ceil(reqs[r].min_visit_s):
                ts = solver.value(s) + base + T0
                te = ts + solver.value(d)
                fixed_visits.append((r, ts, te))
                pd = int(pad_t[tgt[r]])
                fixed_intervals.append((ts - pd, te + pd))
                q = reqs[r].data_rate_mbit_s
                fixed_up.append((a, math.ceil(q * U) * int(solver.value(d))))
                fixed_lo.append((b, math.floor(q * U) * int(solver.value(d))))
                got[r] += te - ts
                nvis[r] += 1
                last[r] = max(last[r], ts)
        for j, s, du in eng_vars:
            ts = solver.value(s) + base + T0
            fixed_eng[j] = ts
            fixed_intervals.append((ts - pmax, ts + du + pmax))
        for i, ov in out_vars.items():
            fixed_out[i] = int(solver.value(ov))
        for i, k, s, d, p in pass_vars:
            if solver.boolean_value(p) and solver.value(d) > 0:
                ts = solver.value(s) + base + T0
                te = ts + solver.value(d)
                fixed_passes.append((k, ts, te))
                fixed_intervals.append((ts - pad_row[k], te + pad_row[k]))
    eng_starts = [fixed_eng[j] for j in range(len(nom))]
    sched = assemble(problem, fixed_visits, eng_starts, fixed_passes, scheduler="cpsat")
    sched.status = statuses[0] if n_chunks == 1 else f"rolling horizon, {n_chunks} chunks: " + ",".join(
        sorted(set(statuses)))
    sched.model_bound = model_bound
    sched.relaxation_bound = relaxation_bound(problem)
    sched.solve_s = time.perf_counter() - t_wall
    sched.info = {"chunks": n_chunks, "candidates": n_c, "objective_scale": S}
    bad = validate(sched, problem)
    if bad:
        return _fallback(problem, hint, f"CP-SAT plan invalid ({bad[0]})", t_wall, sched)
    if hint is not None and hint.science_value(problem) > sched.science_value(problem):
        return _fallback(problem, hint, "CP-SAT plan worse than the hint", t_wall, sched)
    return sched


def _fallback(problem, hint, why, t_wall, sched=None):
    """Return the (validated) hint plan when CP-SAT found nothing better or valid."""
    if hint is None or validate(hint, problem):
        raise RuntimeError(f"{why}; no valid hint to fall back to")
    res = type(hint)(list(hint.activities), scheduler="cpsat", status=f"fallback to hint: {why}",
                     model_bound=sched.model_bound if sched is not None else None,
                     relaxation_bound=relaxation_bound(problem), solve_s=time.perf_counter() - t_wall)
    return res
