"""Make a list of intended visits obey every rule: the plan a person would get by hand.

Used for plans that come from a model with simplified rules (the decomposition's grid
schedules; another tool's plan in the benchmarks). In time order each visit starts no earlier
than the exact eigen-axis slew (settle included) from the previous pointing allows; the slew
may run anywhere in the free time before the visit but not across an engineering block, and
a visit never starts inside one. The visit is cut at the next engineering block and at the
end of its usable window; visits beyond the request's visit count or closer than its cadence
to a kept visit are dropped, and what is shorter than the minimum visit is dropped (a visit
short by at most ``stretch_s`` is first stretched to the minimum where the window and the
engineering blocks allow). ``assemble`` then adds slews, engineering and downlinks and the
result is validated.
"""

from __future__ import annotations

import numpy as np

from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.slew import angle_between
from lunarscope.scheduling.validate import validate

#: Room left after each slew (s), as in scheduling.insertion.
SLEW_MARGIN_S = 1e-3


def merge_touching(visits, gap_s: float = 1e-6) -> dict:
    """request -> list of [start, stop]: visits of one request closer than ``gap_s`` merge."""
    by: dict = {}
    for r, s, e in sorted(visits, key=lambda v: (v[0], v[1])):
        lst = by.setdefault(r, [])
        if lst and s - lst[-1][1] <= gap_s:
            lst[-1][1] = max(lst[-1][1], e)
        else:
            lst.append([s, e])
    return by


def earliest_after_slew(t_from: float, t_want: float, dt: float, eng: np.ndarray) -> float:
    """Earliest time x >= t_want by which a slew of ``dt`` s, started no earlier than
    ``t_from``, has ended without overlapping an engineering interval of ``eng`` (sorted,
    disjoint rows [start, stop))."""
    if dt <= 0.0:
        return t_want
    g0 = t_from
    for a, b in eng:
        if b <= g0:
            continue
        if a - g0 >= dt:  # the free gap [g0, a) holds the slew
            return max(t_want, g0 + dt)
        g0 = max(g0, b)
    return max(t_want, g0 + dt)


def repair(
    problem,
    visits,
    eng_starts=None,
    *,
    stretch_s: float = 0.0,
    merge_gap_s: float = 1e-6,
    delay_for_cadence: bool = False,
    snap_s: float = 0.0,
    why: dict | None = None,
    scheduler: str = "repair",
):
    """(Schedule, violations) from intended visits (request, start, stop); module doc.

    eng_starts: engineering start per occurrence (``problem.engineering_nominal`` order;
    default ``problem.engineering_planned``). stretch_s: a visit short of its minimum by at
    most this is stretched to it (``np.inf``: always, where its window and the engineering
    blocks allow; later visits are then delayed in turn). delay_for_cadence: a visit that
    starts too soon after a kept visit of its request is delayed to the cadence instead of
    dropped. snap_s: a visit starting at most this before a usable window opens is moved to
    its start (grid rounding of another tool). why: counts dropped visits by reason.
    """
    why = {} if why is None else why

    def drop(reason):
        why[reason] = why.get(reason, 0) + 1

    nom = problem.engineering_nominal
    e0 = problem.engineering_planned if eng_starts is None else np.asarray(eng_starts, float)
    eng = np.column_stack([e0, e0 + nom[:, 1]]) if len(nom) else np.zeros((0, 2))
    eng = eng[np.argsort(eng[:, 0], kind="stable")]
    model = problem.spacecraft.slew
    dirs = problem.target_dirs
    seq = sorted(
        ((r, s, e) for r, lst in merge_touching(visits, merge_gap_s).items() for s, e in lst), key=lambda v: v[1]
    )
    kept, cur_end, cur_t = [], problem.start, None
    starts_of: dict = {}
    for r, s, e in seq:
        req = problem.requests[r]
        t = problem.target_index[req.target]
        dt = (
            0.0
            if cur_t is None or cur_t == t
            else float(model.time_s(angle_between(dirs[cur_t], dirs[t]))) + SLEW_MARGIN_S
        )
        w = problem.usable_windows[r]
        k = np.searchsorted(w[:, 0], s + snap_s, side="right") - 1
        if k >= 0 and s < w[k, 0]:  # rounding just before the window opens
            s = float(w[k, 0])
        s2 = earliest_after_slew(cur_end, max(s, cur_end), dt, eng)
        for a, b in eng:  # not inside an engineering block
            if a <= s2 < b:
                s2 = earliest_after_slew(cur_end, b, dt, eng)
        for a, _b in eng:  # cut at the next engineering block
            if s2 <= a < e:
                e = a
                break
        inside = w[(w[:, 0] <= s2) & (w[:, 1] > s2)]
        if len(inside) == 0:
            drop("starts outside a usable window")
            continue
        e = min(e, float(inside[0, 1]))
        mine = starts_of.setdefault(r, [])
        if req.n_visits is not None and len(mine) >= req.n_visits:
            drop("over the visit count")
            continue
        if req.cadence_s and delay_for_cadence and mine and s2 - max(mine) < req.cadence_s:
            s3 = max(mine) + req.cadence_s
            if s3 < float(inside[0, 1]) and not np.any((eng[:, 0] <= s3) & (eng[:, 1] > s3)):
                s2 = s3
                for a, _b in eng:  # cut at the next engineering block
                    if s2 <= a < e:
                        e = a
                        break
        if req.cadence_s and any(abs(s2 - m) < req.cadence_s for m in mine):
            drop("inside the cadence")
            continue
        short = req.min_visit_s - (e - s2)
        if 0 < short <= stretch_s:
            e_min = s2 + req.min_visit_s
            if e_min <= float(inside[0, 1]) and not np.any((eng[:, 0] < e_min) & (eng[:, 1] > s2)):
                e = e_min
        if e - s2 < req.min_visit_s:
            drop("below the minimum visit")
            continue
        kept.append((r, s2, e))
        mine.append(s2)
        cur_end, cur_t = e, t
    sched = assemble(problem, kept, e0, (), scheduler=scheduler)
    return sched, validate(sched, problem)
