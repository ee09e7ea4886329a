"""Independent checker of a schedule against the problem's rules.

``validate(schedule, problem)`` returns a list of human-readable violations (empty =
valid). It re-derives every rule from the problem (it does not trust the scheduler).
"""

from __future__ import annotations

import numpy as np

from lunarscope.scheduling.recorder import level_profile
from lunarscope.scheduling.slew import SAME_POINTING_RAD, angle_between

#: Timing tolerance (s): float64 TDB seconds near 1e9 resolve ~1e-7 s.
TIME_EPS_S = 1e-6
#: Data tolerance (Mbit) for recorder and rate checks.
DATA_EPS_MBIT = 1e-6


def _inside(intervals: np.ndarray, a: float, b: float) -> bool:
    k = np.searchsorted(intervals[:, 0], a + TIME_EPS_S, side="right") - 1
    return bool(k >= 0 and intervals[k, 0] <= a + TIME_EPS_S and b <= intervals[k, 1] + TIME_EPS_S)


def _direction(problem, p):
    if p is None:
        return None
    if p[0] == "target":
        return problem.targets[problem.target_index[p[1]]].direction
    return problem.earth_dir(p[1], p[2])


def validate(schedule, problem) -> list:
    """Return the list of rule violations of ``schedule`` for ``problem`` (empty = valid)."""
    v = []
    acts = sorted(schedule.activities, key=lambda a: (a.start, a.stop))
    body_fixed = problem.spacecraft.antenna == "body_fixed"
    st_index = {s.name: i for i, s in enumerate(problem.stations)}
    model = problem.spacecraft.slew
    for a in acts:
        if not (np.isfinite(a.start) and np.isfinite(a.stop)) or a.stop < a.start - TIME_EPS_S:
            v.append(f"{a.kind} at {a.start}: stop before start")
        if a.start < problem.start - TIME_EPS_S or (a.kind != "engineering" and a.stop > problem.stop + TIME_EPS_S):
            v.append(f"{a.kind} [{a.start}, {a.stop}] outside the planning span")
        if a.data_mbit < -DATA_EPS_MBIT:
            v.append(f"{a.kind} at {a.start}: negative data")

    # 1. spacecraft occupancy: no overlaps
    occ = [a for a in acts if a.kind in ("observe", "slew", "engineering") or (a.kind == "downlink" and body_fixed)]
    occ = [a for a in occ if a.stop > a.start]
    for p, q in zip(occ, occ[1:]):
        if q.start < p.stop - TIME_EPS_S:
            v.append(f"overlap: {p.kind} [{p.start:.3f}, {p.stop:.3f}] and {q.kind} [{q.start:.3f}, {q.stop:.3f}]")

    # 2. observations: visibility, validity, data, visits, cadence
    per_req = {}
    for a in acts:
        if a.kind != "observe":
            continue
        if a.request is None or not (0 <= a.request < len(problem.requests)):
            v.append(f"observe at {a.start}: no valid request index")
            continue
        r = problem.requests[a.request]
        if a.target != r.target:
            v.append(f"observe at {a.start}: target {a.target!r} is not the request's {r.target!r}")
        vis = problem.targets[problem.target_index[r.target]].visibility
        if not _inside(vis, a.start, a.stop):
            v.append(f"observe {a.target} [{a.start:.3f}, {a.stop:.3f}] outside its visibility")
        if r.validity is not None and (a.start < r.validity[0] - TIME_EPS_S or a.stop > r.validity[1] + TIME_EPS_S):
            v.append(f"observe {a.target} [{a.start:.3f}, {a.stop:.3f}] outside its validity interval")
        want = r.data_rate_mbit_s * a.duration_s
        if abs(a.data_mbit - want) > DATA_EPS_MBIT + r.data_rate_mbit_s * TIME_EPS_S:
            v.append(f"observe {a.target} at {a.start}: data {a.data_mbit} Mbit != rate x duration {want}")
        per_req.setdefault(a.request, []).append(a)
    for i, vis_list in per_req.items():
        r = problem.requests[i]
        counted = [a for a in vis_list if a.duration_s >= r.min_visit_s - TIME_EPS_S]
        if r.n_visits is not None and len(vis_list) > r.n_visits:
            v.append(f"request {problem.request_names[i]}: {len(vis_list)} visits > n_visits {r.n_visits}")
        if r.cadence_s:
            s = np.sort([a.start for a in vis_list])
            if np.any(np.diff(s) < r.cadence_s - TIME_EPS_S):
                v.append(f"request {problem.request_names[i]}: visits closer than cadence {r.cadence_s} s")
        del counted

    # 3. slews and pointing continuity
    cur = None
    for a in occ:
        if a.kind == "slew":
            if cur is not None and a.from_pointing != cur:
                ang = angle_between(_direction(problem, cur), _direction(problem, a.from_pointing))
                if ang > SAME_POINTING_RAD:
                    v.append(f"slew at {a.start:.3f} starts from {a.from_pointing} but attitude is {cur}")
            src = a.from_pointing if a.from_pointing is not None else cur
            if src is not None:
                need = float(model.time_s(angle_between(_direction(problem, src), _direction(problem, a.pointing))))
                if a.duration_s < need - TIME_EPS_S:
                    v.append(f"slew at {a.start:.3f} to {a.pointing}: {a.duration_s:.3f} s < required {need:.3f} s")
            cur = a.pointing
        elif a.kind in ("observe", "downlink"):
            p = ("target", a.target) if a.kind == "observe" else a.pointing
            if a.kind == "downlink" and (p is None or p[0] != "earth"):
                v.append(f"body-fixed downlink at {a.start:.3f} not pointed at the Earth")
                continue
            if cur is not None and p != cur:
                ang = angle_between(_direction(problem, cur), _direction(problem, p))
                if ang > SAME_POINTING_RAD:
                    v.append(f"{a.kind} at {a.start:.3f} pointed at {p} without a slew from {cur}")
            cur = p

    # 4. engineering blocks honoured
    nom = problem.engineering_nominal
    eng = [a for a in acts if a.kind == "engineering"]
    by_block = {a.block: a for a in eng}
    for j, (t, dur, flex, _bi) in enumerate(nom):
        a = by_block.get(j)
        if a is None:
            v.append(f"engineering occurrence {j} (nominal {t:.3f}) missing")
            continue
        if a.start < t - flex - TIME_EPS_S or a.start > t + flex + TIME_EPS_S:
            v.append(f"engineering occurrence {j} starts {a.start:.3f}, outside [{t - flex:.3f}, {t + flex:.3f}]")
        if a.duration_s < dur - TIME_EPS_S:
            v.append(f"engineering occurrence {j} lasts {a.duration_s:.3f} s < {dur} s")
    if len(eng) != len(by_block) or len(eng) > len(nom):
        v.append("engineering activities duplicated or not matching any occurrence")

    # 5. downlinks: inside a contact, rate, one transmitter
    dls = [a for a in acts if a.kind == "downlink"]
    for a in dls:
        si = st_index.get(a.station)
        if si is None:
            v.append(f"downlink at {a.start:.3f}: unknown station {a.station!r}")
            continue
        s = problem.stations[si]
        if not _inside(s.contacts, a.start, a.stop):
            v.append(f"downlink at {a.start:.3f} to {a.station} outside its contacts")
        if a.data_mbit > s.rate_mbit_s * (a.duration_s + TIME_EPS_S) + DATA_EPS_MBIT:
            v.append(f"downlink at {a.start:.3f}: {a.data_mbit} Mbit above rate x duration")
        if body_fixed and a.pointing is not None and a.pointing[0] == "earth":
            if (
                a.pointing[1] != si
                or not (0 <= a.pointing[2] < len(s.contacts))
                or not _inside(s.contacts[a.pointing[2] : a.pointing[2] + 1], a.start, a.stop)
            ):
                v.append(f"downlink at {a.start:.3f}: Earth pointing does not match its contact")
    dls = [a for a in dls if a.stop > a.start]
    for p, q in zip(dls, dls[1:]):
        if q.start < p.stop - TIME_EPS_S:
            v.append(f"two downlinks at once at {q.start:.3f}")

    # 6. recorder within [0, capacity]; no data lost
    sc = problem.spacecraft
    ts, lv = level_profile(acts, sc.recorder_initial_mbit, problem.start)
    # the level is known to the time tolerance times the fastest rate filling or draining it
    rates = [r.data_rate_mbit_s for r in problem.requests] + [s.rate_mbit_s for s in problem.stations]
    level_eps = DATA_EPS_MBIT + TIME_EPS_S * max(rates, default=0.0)
    if np.max(lv) > sc.recorder_capacity_mbit + level_eps:
        k = int(np.argmax(lv))
        v.append(f"recorder above capacity: {lv[k]:.6f} > {sc.recorder_capacity_mbit} Mbit at {ts[k]:.3f}")
    if np.min(lv) < -level_eps:
        k = int(np.argmin(lv))
        v.append(f"recorder below zero: {lv[k]:.6f} Mbit at {ts[k]:.3f}")
    gen = sum(a.data_mbit for a in acts if a.kind == "observe")
    down = sum(a.data_mbit for a in acts if a.kind == "downlink")
    if abs(sc.recorder_initial_mbit + gen - down - lv[-1]) > DATA_EPS_MBIT * (1 + len(acts)):
        v.append("data not conserved: initial + generated != downlinked + on board at end")
    return v
