"""Greedy time-ordered dispatcher.

At the current time t the dispatcher evaluates every (request, usable window) pair at
once (numpy): earliest start s = max(window start, t + slew, last visit + cadence),
latest stop = min(window stop, next engineering block). Among the requests that can
start within ``slack_s`` of the earliest possible start it picks the highest score

    score_r = (priority_r / exposure_r) * (1 + need_r / visible_left_r) * w_r(s_r)

(value per second of exposure times an urgency term: the exposure still needed over
the usable visible time left after t; for a request with an efficiency w (SNR requests,
``scheduling.efficiency``) times w at its earliest start, so dark stretches win, and the
need is counted in efficiency-weighted seconds). The visit lasts until the request is satisfied
or its window ends, but is cut short (never below the minimum visit) when a
higher-score request could start later, and is limited so the recorder never
overflows (gimballed: simulated with as-soon-as-possible downlink during the visit;
body-fixed: no downlink while observing).

Body-fixed downlink rule: when a contact is reachable (after the slew to the Earth)
and either the recorder is at least ``downlink_trigger`` full or no observation can
start before the contact ends, the spacecraft slews to the Earth and downlinks until
the recorder is empty or the contact (segment) ends.
Engineering blocks are placed at their nominal start.
"""

from __future__ import annotations

import time

import numpy as np

from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.efficiency import stop_for
from lunarscope.scheduling.recorder import Drain
from lunarscope.scheduling.slew import angle_between


def greedy(
    problem,
    *,
    slack_s: float = 900.0,
    downlink_trigger: float = 0.5,
    cut_for_better: bool = True,
    deadline: float | None = None,
):
    """Plan ``problem`` greedily; returns a ``Schedule`` (validate it with ``validate``).

    deadline: ``time.perf_counter()`` value at which planning stops (checked every step): the
    plan then ends at the time reached (valid; ``info['wall_limit_hit']``, the status says so)."""
    t_wall = time.perf_counter()
    reqs = problem.requests
    R = len(reqs)
    tgt = np.array([problem.target_index[r.target] for r in reqs], int)
    E = np.array([r.exposure_s for r in reqs], float)
    P = np.array([r.priority for r in reqs], float)
    M = np.array([r.min_visit_s for r in reqs], float)
    Q = np.array([r.data_rate_mbit_s for r in reqs], float)
    NMAX = np.array([r.n_visits if r.n_visits is not None else 10**9 for r in reqs], float)
    CAD = np.array([r.cadence_s or 0.0 for r in reqs], float)
    weighted = [i for i, r in enumerate(reqs) if r.efficiency is not None]
    wins = problem.usable_windows
    wr = np.concatenate([np.full(len(w), i) for i, w in enumerate(wins)]).astype(int) if R else np.zeros(0, int)
    ws = np.concatenate([w[:, 0] for w in wins]) if R else np.zeros(0)
    we = np.concatenate([w[:, 1] for w in wins]) if R else np.zeros(0)
    need = E.copy()
    visits_n = np.zeros(R)
    last = np.full(R, -np.inf)
    ban = np.full(R, -np.inf)
    sc = problem.spacecraft
    cap = sc.recorder_capacity_mbit
    body_fixed = sc.antenna == "body_fixed"
    tl = problem.downlink_timeline
    drain = Drain(tl)
    tdirs = problem.target_dirs
    model = sc.slew
    nom = problem.engineering_nominal
    eng0 = problem.engineering_planned
    eng_iv = np.column_stack([eng0, eng0 + nom[:, 1]]) if len(nom) else np.zeros((0, 2))
    eng_iv = eng_iv[np.argsort(eng_iv[:, 0], kind="stable")]

    t = problem.start
    level = sc.recorder_initial_mbit
    t_rec = t  # recorder simulated up to here (gimballed)
    cur_dir = None
    visits, passes = [], []
    ei = 0
    cut_at = None
    while t < problem.stop:
        if deadline is not None and time.perf_counter() > deadline:
            cut_at = t
            break
        while ei < len(eng_iv) and eng_iv[ei, 1] <= t:
            ei += 1
        if ei < len(eng_iv) and eng_iv[ei, 0] <= t:
            t = eng_iv[ei, 1]
            ei += 1
            continue
        seg_end = min(eng_iv[ei, 0], problem.stop) if ei < len(eng_iv) else problem.stop
        sl_t = model.time_s(angle_between(cur_dir, tdirs)) if cur_dir is not None else np.zeros(len(tdirs))
        s = np.maximum(ws, t + sl_t[tgt[wr]])
        s = np.maximum(s, last[wr] + CAD[wr])
        s = np.maximum(s, ban[wr])
        e_lim = np.minimum(we, seg_end)
        ok = (need[wr] > 0) & (visits_n[wr] < NMAX[wr]) & (e_lim - s >= M[wr])
        if body_fixed:
            room = np.where(Q[wr] > 0, (cap - level) / np.where(Q[wr] > 0, Q[wr], 1), np.inf)
            ok &= room >= M[wr]
        # body-fixed downlink decision
        if body_fixed and level > 1e-9 and len(tl):
            k = int(np.searchsorted(tl[:, 1], t, side="right"))
            if k < len(tl):
                st, ci = int(tl[k, 3]), int(tl[k, 4])
                edir = problem.earth_dir(st, ci)
                sl_e = float(model.time_s(angle_between(cur_dir, edir))) if cur_dir is not None else 0.0
                a = max(t + sl_e, tl[k, 0])
                b = min(tl[k, 1], seg_end, a + level / tl[k, 2])
                reachable = b - a > 1.0 and tl[k, 0] <= t + sl_e
                early_obs = np.any(ok & (s < tl[k, 1]))
                if reachable and (level >= downlink_trigger * cap or not early_obs):
                    passes.append((k, a, b))
                    level -= tl[k, 2] * (b - a)
                    level = max(level, 0.0)
                    cur_dir = edir
                    t = b
                    continue
        if not np.any(ok):
            cand = ws[(ws > t) & (need[wr] > 0)]
            t_next = min(seg_end, cand.min()) if len(cand) else seg_end
            if body_fixed and level > 1e-9 and len(tl):
                nxt = tl[tl[:, 0] > t, 0]
                if len(nxt):
                    t_next = min(t_next, nxt[0])
            bn = ban[ban > t]
            if len(bn):
                t_next = min(t_next, bn.min())
            t = t_next if t_next > t else seg_end
            continue
        # earliest start per request
        big = np.where(ok, s, np.inf)
        s_r = np.full(R, np.inf)
        np.minimum.at(s_r, wr, big)
        left = np.clip(we - np.maximum(ws, t), 0, None)
        vis_left = np.bincount(wr, left, R)
        score = P / E * (1.0 + need / np.maximum(vis_left, 1.0))
        for i in weighted:
            if np.isfinite(s_r[i]):
                score[i] *= float(reqs[i].efficiency.at(s_r[i]))
        feas = np.isfinite(s_r)
        s_min = s_r[feas].min()
        pick_from = feas & (s_r <= s_min + slack_s)
        r = int(np.argmax(np.where(pick_from, score, -np.inf)))
        w_idx = np.flatnonzero(ok & (wr == r) & (s == s_r[r]))[0]
        start = s_r[r]
        d_need = need[r] if reqs[r].efficiency is None else float(stop_for(reqs[r], start, need[r])) - start
        d = min(max(d_need, M[r]), e_lim[w_idx] - start)
        if cut_for_better:
            better = feas & (score > score[r]) & (s_r > start)
            if np.any(better):
                d = min(d, max(M[r], s_r[better].min() - start))
        # recorder
        if Q[r] > 0:
            if body_fixed:
                d = min(d, (cap - level) / Q[r])
            else:
                _, L_s, _, _ = drain.run(t_rec, start, level, 0.0)
                t_end, _, _, _ = drain.run(start, start + d, L_s, Q[r], cap=cap)
                d = min(d, t_end - start)
            if d < M[r]:
                nxt = tl[tl[:, 0] > start, 0] if len(tl) else np.zeros(0)
                ban[r] = max(nxt[0] if len(nxt) else problem.stop, t + 60.0)
                continue
        stop = start + d
        visits.append((r, start, stop))
        if body_fixed:
            level += Q[r] * d
        else:
            _, level, _, _ = drain.run(t_rec, start, level, 0.0)
            _, level, _, _ = drain.run(start, stop, level, Q[r])
            t_rec = stop
        need[r] -= d if reqs[r].efficiency is None else float(reqs[r].efficiency.counted(start, stop))
        visits_n[r] += 1
        last[r] = start
        cur_dir = tdirs[tgt[r]]
        t = stop
    sched = assemble(problem, visits, eng0, passes, scheduler="greedy")
    sched.status = "heuristic"
    if cut_at is not None:
        done = (cut_at - problem.start) / (problem.stop - problem.start)
        sched.status += f" (time limit hit: planned {100 * done:.0f}% of the span)"
        sched.info["wall_limit_hit"] = True
    sched.solve_s = time.perf_counter() - t_wall
    return sched
