"""CP-SAT optimiser (OR-Tools ``ortools.sat.python.cp_model``) on a time-bucketed model.

Model (see docs/scheduling.md for what is exact and what is conservative). Time is cut
into buckets of ``bucket_s`` from the problem start.

* ``x[r,b]``: request r holds bucket b. Allowed when the bucket lies inside a usable window
  of r, or when only its first ``sigma_r`` seconds stick out before the window start (a
  *head* bucket, which can only open a visit). At most one request (or engineering, or a
  body-fixed downlink) per bucket.
* A visit is a maximal run of consecutive buckets of one request; ``y[r,b]`` marks run
  starts (``y >= x[b] - x[b-1]``). The first ``sigma_r`` seconds of every run are charged
  to the slew into the target, with ``sigma_r`` = the largest eigen-axis slew from any
  pointing (targets, Earth directions) into r's target: conservative but always enough.
  Run of n buckets observes ``n B - sigma_r`` s; a start forces ``m_r =
  ceil((min_visit + sigma_r) / B)`` buckets so every visit counts.
* Objective: ``sum_r c_r got_r``, ``got_r <= sum (B x - sigma y)``, ``got_r <= exposure``,
  ``c_r = round(S priority_r / exposure_r)``; the bound is converted back to science
  value with the rounding residual added (a valid bound of the model).
* n_visits: ``sum y <= n``; cadence c: any two starts >= ceil(c / B) buckets apart (prefix
  counts of y).
* Engineering: one start per occurrence among the bucket-aligned starts inside
  ``nominal +- flex`` (attitude held; the slew after it is inside the next run's sigma).
* Recorder, per epoch e of ``epoch_s``: ``L[e] + gen[e] <= capacity``, ``out[e] <= L[e]``
  (only data on board at the epoch start is sent), ``L[e+1] = L[e] + gen[e] - out[e]``,
  ``out[e] <= downlink capacity in e``; generation rounded up, downlink down. A real
  as-soon-as-possible downlink then never exceeds this level (docs/scheduling.md).
  Body-fixed: downlink buckets ``d[b]`` occupy the spacecraft, runs charged the slew into
  the Earth direction.

Large instances: rolling horizon (``chunk_s`` fixed per solve plus ``lookahead_s`` solved
but not fixed); then no global model bound exists and only the LP bound is reported.
The plan found is rebuilt with exact slews by ``assemble``, visits are then stretched into
the conservative slew margins (exact slew times, ``stretch``), and the result validated.
If it is invalid or worse than the hint, the better valid plan is returned (status says so).

Determinism: only CP-SAT's deterministic time (``time_limit_s`` is ``max_deterministic_time``
summed over the solves), a fixed ``random_seed`` and ``num_workers``; with more than one
worker ``interleave_search`` is switched on, which makes the parallel search deterministic.
No wall-clock limit is set unless ``wall_limit_s`` is given (then the status records
whether it cut the search, in which case the result may vary between runs).
"""
from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.slew import angle_between
from lunarscope.scheduling.validate import validate

#: The largest objective coefficient (per second of exposure) after scaling.
OBJECTIVE_SCALE = 1000
#: Recorder data unit in the model: Mbit (generation rounded up, downlink down).
DATA_UNITS_PER_MBIT = 1


def _sigmas(problem):
    """Conservative slew charge (s, integer ceil): largest slew into each target / timeline row."""
    tl = problem.downlink_timeline
    dirs = [problem.target_dirs]
    nt = len(problem.target_dirs)
    if problem.spacecraft.antenna == "body_fixed" and len(tl):
        dirs.append(np.array([problem.earth_dir(r[3], r[4]) for r in tl]).reshape(-1, 3))
    D = np.vstack(dirs)
    model = problem.spacecraft.slew
    mx = np.zeros(len(D))
    for i in range(0, len(D), 256):
        mx[i:i + 256] = model.time_s(angle_between(D[None, :, :], D[i:i + 256, None, :])).max(axis=1)
    s = np.ceil(mx).astype(int)
    return s[:nt], s[nt:]


class _Instance:
    """Bucketed candidate pairs and per-request constants shared by all chunk models."""

    def __init__(self, problem, B, epoch_s, top_k, hint_runs):
        self.p = problem
        self.B = B
        self.T0 = problem.start
        self.nB = int((problem.stop - problem.start) // B)
        self.EB = max(1, int(round(epoch_s / B)))
        reqs = problem.requests
        R = len(reqs)
        self.R = R
        self.tgt = np.array([problem.target_index[r.target] for r in reqs], int)
        self.E = np.array([r.exposure_s for r in reqs], float)
        self.dens = np.array([r.priority / r.exposure_s for r in reqs], float)
        self.q = np.array([r.data_rate_mbit_s for r in reqs], float)
        sig_t, sig_row = _sigmas(problem)
        self.sig = sig_t[self.tgt] if R else np.zeros(0, int)
        self.sig_row = sig_row
        self.m = np.array([max(1, math.ceil((r.min_visit_s + s) / B)) for r, s in zip(reqs, self.sig)], int)
        pr, pb, ph = [], [], []
        for r, w in enumerate(problem.usable_windows):
            for a, e in w:
                a0, e0 = a - self.T0, e - self.T0
                k0 = math.ceil(a0 / B)
                k1 = min(math.floor(e0 / B), self.nB)
                if k1 > k0:
                    pr.append(np.full(k1 - k0, r))
                    pb.append(np.arange(k0, k1))
                    ph.append(np.zeros(k1 - k0, bool))
                hb = math.floor(a0 / B)
                if 0 <= hb < self.nB and hb * B < a0 <= hb * B + self.sig[r] and (hb + 1) * B <= e0:
                    pr.append([r])
                    pb.append([hb])
                    ph.append([True])
        pr = np.concatenate(pr).astype(int) if pr else np.zeros(0, int)
        pb = np.concatenate(pb).astype(int) if pb else np.zeros(0, int)
        ph = np.concatenate(ph).astype(bool) if ph else np.zeros(0, bool)
        # keep the top_k densest requests per bucket (plus the hint's pairs)
        order = np.lexsort((-self.dens[pr], pb))
        pr, pb, ph = pr[order], pb[order], ph[order]
        first = np.searchsorted(pb, pb, side="left")
        rank = np.arange(len(pb)) - first
        keep = rank < top_k
        if hint_runs:
            hk = set()
            for r, k0, k1 in hint_runs:
                hk.update((r, b) for b in range(k0, k1))
            keep |= np.array([(int(r), int(b)) in hk for r, b in zip(pr, pb)], bool)
        self.n_candidates = len(pr)
        o = np.lexsort((pb[keep], pr[keep]))
        self.pr, self.pb, self.ph = pr[keep][o], pb[keep][o], ph[keep][o]
        # downlink timeline per bucket: capacity (gimballed) / row of a bucket fully inside a row
        tl = problem.downlink_timeline
        self.tl = tl
        edges = self.T0 + np.arange(self.nB + 1) * B
        self.dl_row = -np.ones(self.nB, int)
        self.dl_cap = np.zeros(self.nB)  # Mbit that can be sent in the bucket (gimballed)
        for k, (a, e, rate, _s, _c) in enumerate(tl):
            i0 = max(0, int(np.searchsorted(edges, a, side="right")) - 1)
            i1 = min(self.nB, int(np.searchsorted(edges, e, side="left")))
            for b in range(i0, i1):
                ov = min(e, edges[b + 1]) - max(a, edges[b])
                if ov > 0:
                    self.dl_cap[b] += rate * ov
                if a <= edges[b] and edges[b + 1] <= e:
                    self.dl_row[b] = k
        self.body_fixed = problem.spacecraft.antenna == "body_fixed"
        sc = problem.spacecraft
        self.capU = math.floor(sc.recorder_capacity_mbit * DATA_UNITS_PER_MBIT)
        self.L0U = math.ceil(sc.recorder_initial_mbit * DATA_UNITS_PER_MBIT)
        self.genU = np.ceil(self.q * B * DATA_UNITS_PER_MBIT).astype(int)
        # recorder never binding: initial + every bucket generating at the fastest rate fits
        self.recorder_free = self.L0U + int(self.genU.max() if R else 0) * self.nB <= self.capU
        # engineering candidates: (list of aligned start buckets, n buckets) or exact start
        nom = problem.engineering_nominal
        self.eng = []
        for tn, dur, flex, _bi in nom:
            a0 = max(tn - flex, self.T0) - self.T0
            e0 = tn + flex - self.T0
            nd = max(1, math.ceil(dur / B))
            ks = list(range(math.ceil(a0 / B), math.floor(e0 / B) + 1))
            if ks:
                self.eng.append(("aligned", ks, nd, dur))
            else:  # exact start at max(nominal - flex, span start), covering buckets
                s = a0
                self.eng.append(("exact", [s], math.ceil((s + dur) / B) - math.floor(s / B), dur))


def _runs_from_visits(inst, visits):
    """Greedy-style visits (r, start, stop) -> bucket runs (r, k0, k1) valid in the model."""
    B, T0 = inst.B, inst.T0
    runs = []
    last_end = 0
    for r, s, e in sorted(visits, key=lambda v: v[1]):
        k0 = max(math.ceil((s - T0 - inst.sig[r]) / B), last_end)
        k1 = min(math.floor((e - T0) / B), inst.nB)
        if k1 - k0 >= inst.m[r]:
            runs.append((int(r), k0, k1))
            last_end = k1
    return runs


def _stretch(problem, visits, eng_starts, passes):
    """Lengthen visits into the slack left by the conservative slew charge, using exact slews.

    Items keep their order; a visit may start earlier (not for cadence requests) down to
    the previous item's end plus the exact slew, and end later up to the next item's start
    minus the exact slew, inside its usable window and up to the requested exposure.
    """
    model = problem.spacecraft.slew
    nom = problem.engineering_nominal
    tl = problem.downlink_timeline
    items = [["v", r, s, e] for r, s, e in visits]
    items += [["g", j, s, s + nom[j, 1]] for j, s in enumerate(eng_starts)]
    items += [["p", k, s, e] for k, s, e in passes]
    items.sort(key=lambda it: it[2])
    got = np.zeros(len(problem.requests))
    for r, s, e in visits:
        got[r] += e - s

    def direction(it):
        if it[0] == "v":
            return problem.target_dirs[problem.target_index[problem.requests[it[1]].target]]
        if it[0] == "p":
            return problem.earth_dir(tl[it[1], 3], tl[it[1], 4])
        return None

    prev_end, prev_dir = problem.start, None
    for i, it in enumerate(items):
        d = direction(it)
        if it[0] == "v":
            r = it[1]
            req = problem.requests[r]
            w = problem.usable_windows[r]
            k = int(np.searchsorted(w[:, 0], it[2], side="right")) - 1
            ws, we = w[k]
            if not req.cadence_s:
                sl = float(model.time_s(angle_between(prev_dir, d))) if prev_dir is not None else 0.0
                new_s = max(ws, prev_end + sl, it[2] - max(0.0, req.exposure_s - got[r]))
                if new_s < it[2]:
                    got[r] += it[2] - new_s
                    it[2] = new_s
            if i + 1 < len(items):
                nx = items[i + 1]
                nd = direction(nx)
                lim = nx[2] - (float(model.time_s(angle_between(d, nd))) if nd is not None else 0.0)
            else:
                lim = problem.stop
            new_e = min(we, lim, it[3] + max(0.0, req.exposure_s - got[r]))
            if new_e > it[3]:
                got[r] += new_e - it[3]
                it[3] = new_e
        prev_end = it[3]
        if d is not None:
            prev_dir = d
    return ([(it[1], it[2], it[3]) for it in items if it[0] == "v"],
            [it[2] for it in sorted((x for x in items if x[0] == "g"), key=lambda x: x[1])],
            [(it[1], it[2], it[3]) for it in items if it[0] == "p"])


def cpsat(problem, *, time_limit_s: float = 30.0, workers: int = 2, seed: int = 0, hint=None,
          bucket_s: int = 600, epoch_s: float = 3600.0, top_k: int = 6, max_global_pairs: int = 15000,
          chunk_s: float = 2 * 86400.0, lookahead_s: float = 43200.0, wall_limit_s: float | None = None,
          stretch: bool = True, log: bool = False):
    """Optimise ``problem``; returns a Schedule with status, model_bound (None in rolling mode).

    time_limit_s: CP-SAT deterministic time (its own work units, roughly seconds on one
    core), shared over the rolling-horizon solves. hint: a Schedule (e.g. ``greedy``),
    used as warm start and as the fallback. Deterministic for fixed arguments.
    """
    t_wall = time.perf_counter()
    B = int(bucket_s)
    hint_visits = [] if hint is None else [(a.request, a.start, a.stop) for a in hint.activities
                                           if a.kind == "observe"]
    inst0 = _Instance.__new__(_Instance)  # sigmas/m needed for the hint runs before pruning
    inst0.B, inst0.T0 = B, problem.start
    inst0.nB = int((problem.stop - problem.start) // B)
    sig_t, _ = _sigmas(problem)
    tgt = np.array([problem.target_index[r.target] for r in problem.requests], int)
    inst0.sig = sig_t[tgt] if len(tgt) else np.zeros(0, int)
    inst0.m = np.array([max(1, math.ceil((r.min_visit_s + s) / B)) for r, s in zip(problem.requests, inst0.sig)], int)
    hint_runs = _runs_from_visits(inst0, hint_visits)
    inst = _Instance(problem, B, epoch_s, top_k, hint_runs)
    pairs_ok = set(zip(inst.pr.tolist(), inst.pb.tolist()))
    hint_runs = [(r, k0, k1) for r, k0, k1 in hint_runs if all((r, b) in pairs_ok for b in range(k0, k1))]
    nB, EB = inst.nB, inst.EB
    if len(inst.pr) <= max_global_pairs:
        chunks = [(0, nB, nB)]
    else:
        cb = max(EB, int(round(chunk_s / B / EB)) * EB)
        lb = int(round(lookahead_s / B))
        chunks = [(b0, min(nB, b0 + cb), min(nB, b0 + cb + lb)) for b0 in range(0, nB, cb)]
    # state carried between chunks
    blocked = np.zeros(nB + 1, bool)
    credited = np.zeros(inst.R)
    nvis = np.zeros(inst.R, int)
    last_start = np.full(inst.R, -10**9)
    n_ep = nB // EB + 1
    fixed_gen = np.zeros(n_ep, np.int64)
    fixed_out = np.zeros(n_ep, np.int64)  # body-fixed: downlink credit of fixed passes
    L_carry = inst.L0U
    runs_fixed, passes_fixed, eng_fixed = [], [], {}
    statuses, model_bound, dtime, wall_hit = [], None, 0.0, False
    by_req = {}
    for i, (r, b) in enumerate(zip(inst.pr, inst.pb)):
        by_req.setdefault(int(r), []).append(i)
    for (b0, bfix, b1) in chunks:
        share = time_limit_s * (bfix - b0) / nB
        res = _solve_chunk(inst, b0, bfix, b1, blocked, credited, nvis, last_start, fixed_gen, fixed_out,
                           L_carry, eng_fixed, hint_runs, hint, by_req, share, workers, seed,
                           None if wall_limit_s is None else wall_limit_s * (bfix - b0) / nB, log)
        st, runs, passes, engs, L_next, bound, dt, hit = res
        statuses.append(st)
        dtime += dt
        wall_hit |= hit
        if st not in ("OPTIMAL", "FEASIBLE"):
            return _fallback(problem, hint, f"CP-SAT chunk at bucket {b0}: {st}", t_wall)
        if len(chunks) == 1:
            model_bound = bound
        for r, k0, k1 in runs:
            runs_fixed.append((r, k0, k1))
            blocked[k0:k1] = True
            credited[r] += (k1 - k0) * B - inst.sig[r]
            nvis[r] += 1
            last_start[r] = max(last_start[r], k0)
            for b in range(max(k0, bfix), k1):
                fixed_gen[b // EB] += inst.genU[r]
        for k, k0, k1, credit_by_ep in passes:
            passes_fixed.append((k, k0, k1))
            blocked[k0:k1] = True
            for e, c in credit_by_ep.items():
                if e >= bfix // EB:
                    fixed_out[e] += c
        for j, (s, bl) in engs.items():
            eng_fixed[j] = s
            blocked[bl[0]:bl[1]] = True
        L_carry = L_next
    # decisions -> visits (trimmed to the requested exposure)
    T0 = problem.start
    visits = []
    got = np.zeros(inst.R)
    for r, k0, k1 in sorted(runs_fixed, key=lambda x: x[1]):
        req = problem.requests[r]
        s, e = T0 + k0 * B + inst.sig[r], T0 + k1 * B
        need = req.exposure_s - got[r]
        if need <= 0:
            continue
        if e - s > need and need >= req.min_visit_s:
            e = s + need
        if e - s < req.min_visit_s:
            continue
        visits.append((r, s, e))
        got[r] += e - s
    eng_starts = [T0 + eng_fixed[j] for j in range(len(inst.eng))]
    passes = [(k, T0 + k0 * B + inst.sig_row[k], T0 + k1 * B) for k, k0, k1 in passes_fixed
              if k1 * B > k0 * B + inst.sig_row[k]]
    sched = assemble(problem, visits, eng_starts, passes, scheduler="cpsat")
    bad = validate(sched, problem)
    if stretch and not bad:
        v2, e2, p2 = _stretch(problem, visits, eng_starts, passes)
        s2 = assemble(problem, v2, e2, p2, scheduler="cpsat")
        if not validate(s2, problem) and s2.science_value(problem) >= sched.science_value(problem):
            sched = s2
    mode = "global" if len(chunks) == 1 else f"rolling horizon, {len(chunks)} chunks"
    sched.status = f"{mode}: " + ",".join(sorted(set(statuses))) + (" (wall limit hit)" if wall_hit else "")
    sched.model_bound = model_bound
    sched.solve_s = time.perf_counter() - t_wall
    sched.info = {"chunks": len(chunks), "pairs": int(len(inst.pr)), "candidates": int(inst.n_candidates),
                  "deterministic_time": dtime, "bucket_s": B, "recorder_free": bool(inst.recorder_free),
                  "model_value": float(sched.science_value(problem))}
    if bad:
        return _fallback(problem, hint, f"CP-SAT plan invalid ({bad[0]})", t_wall, sched)
    if hint is not None and hint.science_value(problem) > sched.science_value(problem):
        return _fallback(problem, hint, "CP-SAT plan worse than the hint", t_wall, sched)
    return sched


def _solve_chunk(inst, b0, bfix, b1, blocked, credited, nvis, last_start, fixed_gen, fixed_out, L_carry,
                 eng_fixed, hint_runs, hint, by_req, dtime, workers, seed, wall, log):
    """Build and solve the model on buckets [b0, b1); return the decisions starting before bfix."""
    p = inst.p
    B, EB = inst.B, inst.EB
    reqs = p.requests
    m = cp_model.CpModel()
    # ---- pairs in this chunk
    X, Y = {}, {}
    occ = {}  # bucket -> list of literals
    credit_terms = {}
    hx = {}
    for r, h_k0, h_k1 in hint_runs:
        for b in range(h_k0, h_k1):
            hx[(r, b)] = (b == h_k0)
    cadence_vars, head_of = {}, {}
    for r, idx in by_req.items():
        rq = reqs[r]
        rem = rq.exposure_s - credited[r]
        if rem <= 0 or (rq.n_visits is not None and nvis[r] >= rq.n_visits):
            continue
        sel = [i for i in idx if b0 <= inst.pb[i] < b1 and not blocked[inst.pb[i]]]
        bs = [int(inst.pb[i]) for i in sel]
        if not bs:
            continue
        head = {int(inst.pb[i]) for i in sel if inst.ph[i]}
        head_of[r] = head
        bset = set(bs)
        mr = int(inst.m[r])
        cad = math.ceil(rq.cadence_s / B) if rq.cadence_s else 0
        xs, ys = {}, {}
        for b in bs:
            xs[b] = m.new_bool_var("")
        for b in bs:
            run_ok = all((b + j) in bset for j in range(mr)) and b + mr <= b1
            if cad and b < last_start[r] + cad:
                run_ok = False
            if run_ok:
                ys[b] = m.new_bool_var("")
                m.add_implication(ys[b], xs[b])
                for j in range(1, mr):
                    m.add_implication(ys[b], xs[b + j])
                if (b - 1) in xs and b not in head:
                    m.add_bool_or([ys[b], xs[b - 1], ~xs[b]])
                else:  # no predecessor, or a head bucket (visibility starts inside it)
                    m.add(ys[b] == xs[b])
            else:
                if (b - 1) in xs and b not in head:
                    m.add_implication(xs[b], xs[b - 1])
                else:
                    m.add(xs[b] == 0)
            occ.setdefault(b, []).append(xs[b])
        terms = [B * xs[b] for b in xs] + [-int(inst.sig[r]) * ys[b] for b in ys]
        credit_terms[r] = (terms, xs, ys, rem)
        if rq.n_visits is not None and ys:
            m.add(sum(ys.values()) <= int(rq.n_visits) - int(nvis[r]))
        if cad and len(ys) > 1:
            sb = sorted(ys)
            N = [m.new_int_var(0, len(sb), "") for _ in sb]
            m.add(N[0] == ys[sb[0]])
            for k in range(1, len(sb)):
                m.add(N[k] == N[k - 1] + ys[sb[k]])
            for k in range(len(sb)):
                j = int(np.searchsorted(sb, sb[k] + cad, side="left")) - 1
                if j > k:
                    m.add(N[j] - (N[k - 1] if k else 0) <= 1)
            cadence_vars[r] = (sb, N)
        X[r], Y[r] = xs, ys
    # ---- engineering occurrences not yet fixed whose window starts before b1
    eng_lits = {}
    for j, (kind, ks, nd, dur) in enumerate(inst.eng):
        if j in eng_fixed:
            continue
        if kind == "aligned":
            ks = [k for k in ks if k >= b0 and not blocked[k:min(k + nd, inst.nB)].any()]
            if not ks or ks[0] >= b1:
                continue
            opts = []
            for k in ks:
                if k + nd > b1 and k + nd <= inst.nB:
                    continue
                lit = m.new_bool_var("")
                opts.append((k * B, (k, k + nd), lit))
                for b in range(k, min(k + nd, b1)):
                    occ.setdefault(b, []).append(lit)
            if not opts:
                continue
        else:
            s = ks[0]
            bl = (math.floor(s / B), math.floor(s / B) + nd)
            if bl[0] >= b1 or bl[0] < b0:
                continue
            lit = m.new_constant(1)
            opts = [(s, bl, lit)]
            for b in range(bl[0], min(bl[1], b1)):
                occ.setdefault(b, []).append(lit)
        m.add_exactly_one([o[2] for o in opts])
        eng_lits[j] = opts
    # ---- body-fixed downlink buckets
    D, YD = {}, {}
    if inst.body_fixed:
        for b in range(b0, b1):
            k = int(inst.dl_row[b])
            if k < 0 or blocked[b]:
                continue
            D[b] = m.new_bool_var("")
            occ.setdefault(b, []).append(D[b])
        for b, d in D.items():
            YD[b] = m.new_bool_var("")
            if (b - 1) in D and inst.dl_row[b - 1] == inst.dl_row[b]:
                m.add_bool_or([YD[b], D[b - 1], ~d])
            else:
                m.add(YD[b] == d)
            m.add_implication(YD[b], d)
    for b, lits in occ.items():
        if len(lits) > 1:
            m.add_at_most_one(lits)
    # ---- recorder epochs
    e0, e1 = b0 // EB, (b1 - 1) // EB
    rec = None
    if not inst.recorder_free or inst.body_fixed:
        gen = {e: [] for e in range(e0, e1 + 1)}
        for r, xs in X.items():
            if inst.genU[r] > 0:
                for b, x in xs.items():
                    gen[b // EB].append(int(inst.genU[r]) * x)
        L = [m.new_int_var(0, inst.capU, "") for _ in range(e0, e1 + 2)]
        m.add(L[0] == int(L_carry))
        O = []
        for i, e in enumerate(range(e0, e1 + 1)):
            g = sum(gen[e]) + int(fixed_gen[e]) if gen[e] else int(fixed_gen[e])
            if inst.body_fixed:
                o = m.new_int_var(0, inst.capU, "")
                terms = []
                for b in range(e * EB, min((e + 1) * EB, b1)):
                    if b in D:
                        k = int(inst.dl_row[b])
                        rate = inst.tl[k, 2] * DATA_UNITS_PER_MBIT
                        terms.append(math.floor(rate * B) * D[b] - math.ceil(rate * inst.sig_row[k]) * YD[b])
                m.add(o <= sum(terms) + int(fixed_out[e]) if terms else o <= int(fixed_out[e]))
            else:
                ocap = math.floor(inst.dl_cap[e * EB:min((e + 1) * EB, inst.nB)].sum() * DATA_UNITS_PER_MBIT)
                o = m.new_int_var(0, max(0, ocap), "")
            m.add(o <= L[i])
            m.add(L[i] + g <= inst.capU)
            m.add(L[i + 1] == L[i] + g - o)
            O.append(o)
        rec = (L, O, gen)
    # ---- objective
    dens = inst.dens
    S = OBJECTIVE_SCALE / dens.max()
    obj, resid, GOT = [], 0.0, {}
    for r, (terms, xs, ys, rem) in credit_terms.items():
        g = m.new_int_var(0, math.floor(rem), "")
        m.add(g <= sum(terms))
        c = max(1, round(dens[r] * S))
        obj.append(c * g)
        resid += max(0.0, dens[r] - c / S) * math.floor(rem)
        GOT[r] = g
    if obj:
        m.maximize(sum(obj))
    # ---- hint (greedy's visits as runs; engineering and recorder simulated)
    if hint is not None:
        used = set()
        for r, xs in X.items():
            for b, x in xs.items():
                h = (r, b) in hx
                m.add_hint(x, h)
                if h:
                    used.add(b)
            for b, y in Y[r].items():
                m.add_hint(y, hx.get((r, b), False))
            credit = sum(B for b in xs if (r, b) in hx) - sum(int(inst.sig[r]) for b in Y[r] if hx.get((r, b)))
            m.add_hint(GOT[r], int(min(max(credit, 0), math.floor(credit_terms[r][3]))))
            if r in cadence_vars:
                sb, N = cadence_vars[r]
                c = 0
                for b, n in zip(sb, N):
                    c += int(hx.get((r, b), False))
                    m.add_hint(n, c)
        for j, opts in eng_lits.items():
            free = [o for o in opts if not any(b in used for b in range(o[1][0], o[1][1]))]
            nominal = inst.p.engineering_nominal[j, 0] - inst.T0
            best = min(free or opts, key=lambda o: abs(o[0] - nominal))
            for o in opts:
                m.add_hint(o[2], o is best)
        for b in D:
            m.add_hint(D[b], False)
            m.add_hint(YD[b], False)
        if rec is not None and False:  # recorder-level hints: disabled, they crash CP-SAT 9.15 (segfault), downlinking as much as allowed
            L, O, _ = rec
            lev = int(L_carry)
            for i, e in enumerate(range(e0, e1 + 1)):
                g = int(fixed_gen[e]) + sum(int(inst.genU[r]) for (r, b) in hx
                                            if b // EB == e and r in X and b in X[r])
                o = 0 if inst.body_fixed else min(lev, O[i].Proto().domain[-1])
                m.add_hint(L[i], max(0, min(lev, inst.capU)))  # hints outside a domain crash CP-SAT 9.15
                m.add_hint(O[i], max(0, min(o, lev)))
                lev = max(0, lev + g - o)
            m.add_hint(L[-1], max(0, min(lev, inst.capU)))
    # ---- solve
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_deterministic_time = max(0.1, float(dtime))
    if wall is not None:
        prm.max_time_in_seconds = float(wall)
    prm.num_workers = int(workers)
    if workers > 1:
        prm.interleave_search = True
    prm.random_seed = int(seed)
    prm.log_search_progress = log
    st = solver.solve(m)
    name = solver.status_name(st)
    hit = wall is not None and solver.wall_time >= wall * 0.99
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return name, [], [], {}, L_carry, None, solver.deterministic_time, hit
    bound = (solver.best_objective_bound / S + resid) if obj else 0.0
    # ---- decisions starting before bfix
    runs = []
    for r, xs in X.items():
        on = sorted(b for b, x in xs.items() if solver.boolean_value(x))
        heads = head_of.get(r, set())
        k = 0
        while k < len(on):  # a visit: consecutive buckets, split where a new window starts (head bucket)
            j = k
            while j + 1 < len(on) and on[j + 1] == on[j] + 1 and on[j + 1] not in heads:
                j += 1
            if on[k] < bfix:
                runs.append((r, on[k], on[j] + 1))
            k = j + 1
    passes = []
    if D:
        on = sorted(b for b, d in D.items() if solver.boolean_value(d))
        k = 0
        while k < len(on):
            j = k
            while j + 1 < len(on) and on[j + 1] == on[j] + 1 and inst.dl_row[on[j + 1]] == inst.dl_row[on[k]]:
                j += 1
            if on[k] < bfix:
                row = int(inst.dl_row[on[k]])
                rate = inst.tl[row, 2] * DATA_UNITS_PER_MBIT
                cred = {}
                for b in range(on[k], on[j] + 1):
                    cred[b // EB] = cred.get(b // EB, 0) + math.floor(rate * B)
                cred[on[k] // EB] -= math.ceil(rate * inst.sig_row[row])
                passes.append((row, on[k], on[j] + 1, cred))
            k = j + 1
    engs = {}
    for j, opts in eng_lits.items():
        s, bl, lit = next(o for o in opts if solver.boolean_value(o[2]))
        nominal = inst.p.engineering_nominal[j, 0] - inst.T0
        if nominal < bfix * B or bfix >= inst.nB:
            engs[j] = (s, bl)
    L_next = L_carry
    if rec is not None:
        L, O, _ = rec
        L_next = solver.value(L[(bfix // EB) - e0]) if bfix < b1 else solver.value(L[-1])
    return name, runs, passes, engs, L_next, bound, solver.deterministic_time, hit


def _fallback(problem, hint, why, t_wall, sched=None):
    """Return the (validated) hint plan when CP-SAT found nothing better or valid."""
    if hint is None or validate(hint, problem):
        raise RuntimeError(f"{why}; no valid hint to fall back to")
    return type(hint)(list(hint.activities), scheduler="cpsat", status=f"fallback to hint: {why}",
                      model_bound=sched.model_bound if sched is not None else None,
                      solve_s=time.perf_counter() - t_wall,
                      info=dict(sched.info) if sched is not None else {})
