"""Turn scheduler decisions into a full activity list.

Schedulers decide *visits* (request, start, stop), engineering start times and, with a
body-fixed antenna, *downlink passes* (timeline row, start, stop). ``assemble`` inserts
the slews (as late as possible in the free time before each new pointing, never across
an engineering block) and computes the downlinked data by as-soon-as-possible draining
(gimballed: whenever a contact is open; body-fixed: inside the chosen passes). ASAP
draining gives the pointwise-lowest recorder level for the given visits, so any plan a
scheduler proved feasible stays feasible.
"""

from __future__ import annotations

import numpy as np

from lunarscope.scheduling.recorder import Drain
from lunarscope.scheduling.schedule import Activity, Schedule
from lunarscope.scheduling.slew import angle_between


def _pointing_dir(problem, p):
    if p[0] == "target":
        return problem.targets[problem.target_index[p[1]]].direction
    return problem.earth_dir(p[1], p[2])


def assemble(problem, visits, eng_starts, passes=(), scheduler="", initial_pointing=None) -> Schedule:
    """Build a Schedule.

    visits: iterable of (request index, start, stop).
    eng_starts: start time of each engineering occurrence (problem.engineering_nominal order).
    passes: body-fixed downlink passes (timeline row index, start, stop).
    """
    tl = problem.downlink_timeline
    model = problem.spacecraft.slew
    nom = problem.engineering_nominal
    eng = [
        Activity("engineering", float(s), float(s + nom[j, 1]), target="", block=j, station="")
        for j, s in enumerate(eng_starts)
    ]
    for a, j in zip(eng, range(len(eng))):
        a.target = problem.engineering[int(nom[j, 3])].name
    items = []
    for r, s, e in visits:
        req = problem.requests[r]
        items.append(
            Activity(
                "observe",
                float(s),
                float(e),
                target=req.target,
                request=int(r),
                data_mbit=req.data_rate_mbit_s * (e - s),
                pointing=("target", req.target),
            )
        )
    for k, s, e in passes:
        st, ci = int(tl[k, 3]), int(tl[k, 4])
        items.append(
            Activity(
                "downlink",
                float(s),
                float(e),
                target="Earth",
                station=problem.stations[st].name,
                pointing=("earth", st, ci),
            )
        )
    items.sort(key=lambda a: a.start)
    eng_iv = np.array([(a.start, a.stop) for a in eng], float).reshape(-1, 2)
    slews = []
    cur, cur_end = initial_pointing, problem.start
    for a in items:
        if cur is not None and a.pointing != cur:
            T = float(model.time_s(angle_between(_pointing_dir(problem, cur), _pointing_dir(problem, a.pointing))))
            if T > 0:
                # free sub-gaps of [cur_end, a.start] outside engineering, latest first
                lo, hi = cur_end, a.start
                m = (eng_iv[:, 1] > lo) & (eng_iv[:, 0] < hi)
                cuts = [(lo, hi)]
                for es, ee in eng_iv[m]:
                    nxt = []
                    for g0, g1 in cuts:
                        if ee <= g0 or es >= g1:
                            nxt.append((g0, g1))
                        else:
                            if es > g0:
                                nxt.append((g0, es))
                            if ee < g1:
                                nxt.append((ee, g1))
                    cuts = nxt
                placed = False
                for g0, g1 in reversed(cuts):
                    if g1 - g0 >= T - 1e-9:
                        slews.append(
                            Activity(
                                "slew",
                                g1 - T,
                                g1,
                                target=a.target,
                                station=a.station,
                                pointing=a.pointing,
                                from_pointing=cur,
                            )
                        )
                        placed = True
                        break
                if not placed:  # keep it visible to the validator
                    slews.append(
                        Activity(
                            "slew",
                            max(lo, hi - T),
                            hi,
                            target=a.target,
                            station=a.station,
                            pointing=a.pointing,
                            from_pointing=cur,
                        )
                    )
        cur, cur_end = a.pointing, a.stop
    # ASAP draining
    cap = problem.spacecraft.recorder_capacity_mbit
    obs = sorted((a for a in items if a.kind == "observe"), key=lambda a: a.start)
    downs = []
    level = problem.spacecraft.recorder_initial_mbit
    if problem.spacecraft.antenna == "gimballed":
        drain = Drain(tl)
        t = problem.start
        for a in obs:
            if a.start > t:
                t, level, _, p = drain.run(t, a.start, level, 0.0)
                downs += p
            q = a.data_mbit / a.duration_s if a.duration_s > 0 else 0.0
            t, level, _, p = drain.run(max(t, a.start), a.stop, level, q)
            downs += p
        t, level, _, p = drain.run(t, problem.stop, level, 0.0)
        downs += p
        dl_acts = [
            Activity("downlink", s, e, target="Earth", data_mbit=d, station=problem.stations[st].name)
            for s, e, d, st, ci in downs
            if e > s
        ]
    else:
        dl_acts = []
        events = sorted(
            [(a.start, 0, a) for a in obs] + [(a.start, 1, a) for a in items if a.kind == "downlink"],
            key=lambda x: x[0],
        )
        for _, kind, a in events:
            if kind == 0:
                level += a.data_mbit
            else:
                k = [
                    i
                    for i in range(len(tl))
                    if tl[i, 3] == a.pointing[1]
                    and tl[i, 4] == a.pointing[2]
                    and tl[i, 0] <= a.start + 1e-9
                    and a.stop <= tl[i, 1] + 1e-9
                ]
                rate = tl[k[0], 2] if k else problem.stations[a.pointing[1]].rate_mbit_s
                d = min(level, rate * a.duration_s)
                a.data_mbit = d
                level -= d
                dl_acts.append(a)
    del cap
    acts = eng + [a for a in items if a.kind == "observe"] + slews + dl_acts
    return Schedule(acts, scheduler=scheduler).sorted()
