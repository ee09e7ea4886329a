"""Re-planning from a time on: the part of a plan already uplinked stays, the rest is solved again.

``replan(problem, old, t_free)`` takes the full new problem (the old requests first, in their
old order, then any new ones), the old plan (a valid ``Schedule`` of those old requests) and
the earliest time a changed activity may start, and returns a plan of the new problem that
keeps the old plan before ``t_free`` verbatim:

1. **Frozen prefix**: every spacecraft-occupying activity (observe, slew, engineering, a
   body-fixed downlink) that starts before ``t_free``, with the destination of a slew in
   progress (and what lies between) — a slew is commanded with the pointing it leads to. The
   observation running at ``t_free`` (or the one that slew leads to) is ended at ``t_free``,
   or after its minimum visit when that is later, so it keeps what it earns while a target
   of opportunity need not wait for a long visit to end. The cut ``t_cut`` is the end of the
   prefix (≥ ``t_free``). Exposure, visit counts and cadence earned there are counted.
2. **Bridge**: engineering occurrences not in the prefix whose latest start lies before the
   re-planned part are placed right after the cut; then a **slew guard**: the longest slew
   from the last frozen pointing to any pointing the rest may need, so the re-planned part may
   start anywhere (its solvers know no initial pointing). ``t_sub = bridge end + guard``.
3. **Sub-problem** over ``[t_sub, stop)``: each request with what it still lacks — exposure
   ``E' = E − counted``, priority ``p·E'/E`` (so the sub-problem's value plus the prefix's is
   the full value, exactly: ``p·min(1, (c + x)/E) = p·c/E + (p·E'/E)·min(1, x/E')``), visits
   left, validity from ``max(t_sub, last frozen visit start + cadence)``; each pending
   engineering occurrence as its own block; the recorder level the prefix leaves at ``t_sub``
   (as-soon-as-possible draining is causal, so the full plan's level there is the same).
4. Solved by ``portfolio.solve`` warm-started (``hint``) from the old plan's visits after the
   cut with each ``asap`` request's first visit inserted at its earliest feasible time (old
   visits within a slew of it taken out), made valid for the sub-problem by ``repair``
   (``minimal=True``: that warm start is the plan, no solve); the first visit of each ``asap``
   request is then moved earlier when a valid plan of at least the same value allows it.
5. The prefix, bridge and solution are assembled into one schedule of the full problem and
   validated (a violation is a bug and raises).

Times: TDB s past J2000.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .assemble import assemble
from .efficiency import counted_seconds, stop_for
from .problem import EngineeringBlock, Platform, Problem
from .recorder import level_profile
from .repair import repair
from .requests import Request
from .schedule import Schedule
from .validate import TIME_EPS_S, validate

#: A request whose remaining exposure is below this (s) is done in the frozen prefix.
EXPOSURE_DONE_S = 1e-6
#: Most earlier starts tried per ``asap`` request after the solve (each one repair + validate).
ADVANCE_MAX_TRIES = 24
#: Room (s) left after the slew into a first visit moved earlier (as ``repair.SLEW_MARGIN_S``).
ADVANCE_SLEW_MARGIN_S = 1e-3


def _occupies(a, body_fixed: bool) -> bool:
    return a.kind in ("observe", "slew", "engineering") or (a.kind == "downlink" and body_fixed)


def _pointing(a):
    if a.kind == "observe":
        return ("target", a.target)
    if a.kind in ("slew", "downlink"):
        return a.pointing
    return None


def _direction(problem, p):
    if p[0] == "target":
        return problem.targets[problem.target_index[p[1]]].direction
    return problem.earth_dir(p[1], p[2])


def frozen_prefix(problem, old: Schedule, t_free: float) -> dict:
    """The activities of ``old`` that stay (module doc, step 1): ``{"activities", "t_cut",
    "last_pointing"}``; activities in time order, ``t_cut`` ≥ ``t_free``."""
    body_fixed = problem.spacecraft.antenna == "body_fixed"
    occ = sorted((a for a in old.activities if _occupies(a, body_fixed)), key=lambda a: (a.start, a.stop))
    t_cut = float(t_free)
    starts = np.array([a.start for a in occ])
    pointed = np.array([a.kind in ("observe", "downlink") for a in occ], bool)
    moving = [k for k, a in enumerate(occ) if a.kind != "engineering"]  # slews and pointed activities
    while True:
        n = int(np.searchsorted(starts, t_cut, side="left"))  # occ[:n] start before the cut
        inc = occ[:n]
        new_cut = max([t_cut] + [a.stop for a in inc])
        m = int(np.searchsorted(moving, n, side="left"))  # moving[:m] are in inc
        if m and occ[moving[m - 1]].kind == "slew":
            # the last slew's pointing is the next pointed activity (engineering may come between)
            later = np.nonzero(pointed[n:])[0]
            if len(later):
                new_cut = max(new_cut, occ[n + int(later[0])].stop)
        if new_cut <= t_cut:
            break
        t_cut = new_cut
    inc = list(inc)
    obs = [k for k, a in enumerate(inc) if a.kind == "observe"]
    if obs and inc[obs[-1]].stop > t_free and obs[-1] == len(inc) - 1:
        # the observation running at t_free (or the one a running slew leads to) ends as soon as
        # the new command load allows, but not before its minimum visit: it keeps what it earns
        a = inc[-1]
        r = problem.requests[a.request]
        end = max(float(t_free), a.start + r.min_visit_s)
        if end < a.stop:
            inc[-1] = replace(a, stop=end, data_mbit=r.data_rate_mbit_s * (end - a.start))
            t_cut = max([float(t_free)] + [b.stop for b in inc])
    last = None
    for a in inc:
        p = _pointing(a)
        if p is not None:
            last = p
    return {"activities": inc, "t_cut": t_cut, "last_pointing": last}


def _row_of_pass(problem, a) -> int:
    """The downlink-timeline row of a body-fixed pass (its station and contact, holding its start)."""
    tl = problem.downlink_timeline
    st, ci = a.pointing[1], a.pointing[2]
    rows = np.nonzero((tl[:, 3] == st) & (tl[:, 4] == ci))[0]
    for k in rows:
        if tl[k, 0] <= a.start + TIME_EPS_S and a.start < tl[k, 1]:
            return int(k)
    if len(rows):
        return int(rows[0])
    raise ValueError(f"downlink pass at {a.start} matches no contact of the problem")


def _guard_s(problem, last, request_ids) -> float:
    """Longest slew (s) from pointing ``last`` to any target of ``request_ids`` or, with a
    body-fixed antenna, to any contact's Earth direction."""
    if last is None:
        return 0.0
    u = _direction(problem, last)
    dirs = [problem.targets[problem.target_index[problem.requests[i].target]].direction for i in request_ids]
    if problem.spacecraft.antenna == "body_fixed":
        dirs += [d for d in problem.earth_dirs_by_station if d is not None and len(d)]
    if not dirs:
        return 0.0
    d = np.vstack([np.atleast_2d(x) for x in dirs])
    ang = np.arccos(np.clip(d @ u, -1.0, 1.0))
    return float(np.max(problem.spacecraft.slew.time_s(ang)))


def _sub_requests(problem, prefix_visits, t_sub: float):
    """Sub-problem requests (module doc, step 3) and their full-problem indices."""
    by: dict = {}
    for r, s, e in prefix_visits:
        by.setdefault(r, []).append((s, e))
    out, index = [], []
    for i, r in enumerate(problem.requests):
        vis = by.get(i, [])
        counted = sum(float(counted_seconds(r, s, e)) for s, e in vis if e - s >= r.min_visit_s - 1e-9)
        left = r.exposure_s - counted
        if left <= EXPOSURE_DONE_S:
            continue
        nv = None if r.n_visits is None else int(r.n_visits) - len(vis)
        if nv is not None and nv <= 0:
            continue
        lo = max(t_sub, r.validity[0] if r.validity is not None else problem.start)
        if r.cadence_s and vis:
            lo = max(lo, max(s for s, _ in vis) + r.cadence_s)
        hi = min(problem.stop, r.validity[1] if r.validity is not None else problem.stop)
        if hi - lo < r.min_visit_s:
            continue
        out.append(
            Request(
                r.target,
                left,
                r.min_visit_s,
                r.priority * left / r.exposure_s,
                nv,
                r.cadence_s,
                (lo, hi),
                r.data_rate_mbit_s,
                problem.request_names[i],
                r.efficiency,
            )
        )
        index.append(i)
    return out, index


def _advance(problem: Problem, sched: Schedule, asap: list, cut: dict) -> tuple[Schedule, dict]:
    """Move the first visit of each request in ``asap`` earlier where a plan of at least the same
    value allows (module doc, step 4). ``cut``: ``t_cut``, ``frozen`` (activities),
    ``prefix_visits``, ``last_pointing``. Tried starts (after the cut and the slew to the request's
    target from the last frozen pointing): the request's usable-window openings and the ends of
    activities before its first visit, earliest first; ``repair`` makes the visits after the cut
    valid (delays for slews, cuts at engineering), the frozen visits are kept as they are."""
    moved = {}
    value = sched.science_value(problem)
    eng = sorted((a for a in sched.activities if a.kind == "engineering"), key=lambda a: a.block)
    eng_starts = [a.start for a in eng]
    t_cut = cut["t_cut"]
    for i in asap:
        post = sorted(
            ((a.request, a.start, a.stop) for a in sched.activities if a.kind == "observe" and a.start >= t_cut),
            key=lambda v: v[1],
        )
        mine = [v for v in post if v[0] == i]
        if not mine:
            continue
        _, s0, e0 = mine[0]
        w = problem.usable_windows[i]
        t_min = t_cut + slew_from_last(problem, cut, problem.requests[i].target) + ADVANCE_SLEW_MARGIN_S
        stops = [a.stop for a in sched.activities if a.kind in ("observe", "slew", "engineering") and a.stop < s0]
        cands = sorted({float(x) for x in list(w[:, 0]) + stops + [t_min] if t_min <= x < s0 - TIME_EPS_S})
        tries = 0
        for c in cands:
            k = np.searchsorted(w[:, 0], c, side="right") - 1
            if k < 0 or c >= w[k, 1]:
                continue
            tries += 1
            if tries > ADVANCE_MAX_TRIES:
                break
            visit = (i, c, min(float(w[k, 1]), c + (e0 - s0)))
            trial = [v for v in post if v is not mine[0]]
            done = None
            ways = _engineering_out_of_the_way(problem, eng, eng_starts, visit, (s0, e0), t_cut)
            for starts, pieces in ways:
                fixed, _ = repair(problem, trial + pieces, starts)
                kept = [(a.request, a.start, a.stop) for a in fixed.activities if a.kind == "observe"]
                cand = assemble(problem, cut["prefix_visits"] + kept, starts, (), scheduler=sched.scheduler)
                first = min((v[1] for v in kept if v[0] == i), default=None)
                if first is None or first >= s0 - TIME_EPS_S or cand.science_value(problem) < value - 1e-9:
                    continue
                if validate(cand, problem) or not _same(cut["frozen"], cand.activities):
                    continue
                done = cand, first, starts
                break
            if done is None:
                continue
            cand, first, eng_starts = done
            moved[problem.request_names[i]] = {"from": s0, "to": first}
            sched, value = cand, cand.science_value(problem)
            eng = sorted((a for a in sched.activities if a.kind == "engineering"), key=lambda a: a.block)
            break
    return sched, moved


def _engineering_out_of_the_way(problem: Problem, eng: list, starts: list, visit: tuple, late: tuple, t_cut: float):
    """(engineering starts, visits) to try for a first visit ``visit`` = (request, s, e)
    moved earlier from ``late`` = (s0, e0): the plan's own starts when no re-planned occurrence
    (start ≥ ``t_cut``) lies within a slew before the visit or overlaps it; otherwise first with
    each such occurrence moved, inside its flex range and clear of the other occurrences, to start
    right after the visit (the attitude is held, no slew), or once the visit has lasted its minimum
    (``repair`` ends it there; a second visit in the old visit's time after the occurrence
    collects what is missing, at least a minimum visit, when the old visit leaves room for it), or to end a longest slew before it — then the plan's
    own starts (``repair`` delays the visit instead)."""
    i, s, e = visit
    nom = problem.engineering_nominal
    guard = problem.spacecraft.slew.max_time_s() + ADVANCE_SLEW_MARGIN_S
    min_visit = problem.requests[i].min_visit_s
    starts = list(starts)
    blocking = [a.block for a in eng if a.start >= t_cut - TIME_EPS_S and a.start < e and a.stop > s - guard]
    if blocking:
        new, pieces = list(starts), [visit]
        for j in blocking:
            t, d, f = nom[j, :3]
            lo, hi = max(t - f, t_cut), min(t + f, problem.stop - d)
            others = [(x, x + nom[m, 1]) for m, x in enumerate(new) if m != j]
            for x in (e, s - guard - d, s + min_visit, hi):
                clear = x >= s + min_visit - TIME_EPS_S or x + d <= s - guard + TIME_EPS_S
                if not lo - TIME_EPS_S <= x <= hi + TIME_EPS_S or not clear:
                    continue
                x = min(max(x, lo), hi)
                if all(x + d <= a + TIME_EPS_S or x >= b - TIME_EPS_S for a, b in others):
                    new[j] = x
                    if s < x < e:  # the visit ends at the occurrence (else repair merges the pieces)
                        pieces[0] = (i, s, x)
                        a0 = max(late[0], x + d)
                        if late[1] - a0 >= min_visit - TIME_EPS_S:
                            need = max(min_visit, problem.requests[i].exposure_s - (x - s))
                            pieces.append((i, a0, min(late[1], a0 + need)))
                    break
            else:
                break
        else:
            yield new, pieces
    yield starts, [visit]


def _hint_visits(sub: Problem, old: Schedule, pos: dict, t_cut: float, asap: list) -> list:
    """The warm start (sub-problem indices): the old plan's visits after the cut (one that starts
    in the slew guard before ``sub.start`` begins at ``sub.start`` when it stays a minimum visit
    long), and each ``asap`` request's first visit at its earliest feasible time, the old visits
    within a slew of it taken out — so the warm start holds the urgent requests and is a plan
    the solver keeps unless it finds a better one."""
    out = []
    for a in old.activities:
        if a.kind != "observe" or a.request not in pos or a.start < t_cut - TIME_EPS_S:
            continue
        k, s, e = pos[a.request], max(a.start, sub.start), a.stop
        if e - s >= sub.requests[k].min_visit_s - 1e-9:
            out.append((k, s, e))
    margin = sub.spacecraft.slew.max_time_s() + ADVANCE_SLEW_MARGIN_S
    for k in asap:
        t = first_visible_after(sub, k, sub.start)
        if t is None:
            continue
        w = sub.usable_windows[k]
        end = float(w[np.searchsorted(w[:, 0], t, side="right") - 1, 1])
        e = min(end, float(stop_for(sub.requests[k], t, sub.requests[k].exposure_s)))
        out = [v for v in out if v[2] <= t - margin or v[1] >= e + margin] + [(k, t, e)]
    return out


def default_solve(sub, hint, *, solver="cpsat", time_limit_s=60.0, seed=0, workers=2, work_limit=None, progress=None):
    """``portfolio.solve`` through its public signature."""
    from .portfolio import solve

    return solve(sub, solver, time_limit_s, seed, workers, work_limit=work_limit, progress=progress, hint=hint)


def replan(
    problem: Problem, old: Schedule, t_free: float, *, asap=(), minimal: bool = False, solve=None, **solve_args
) -> tuple[Schedule, dict]:
    """The plan of ``problem`` that keeps ``old`` before ``t_free`` (module doc) and facts
    about the cut: ``info`` with ``t_cut``, ``t_sub``, ``slew_guard_s``, ``bridge`` (engineering
    occurrences placed after the cut), ``frozen`` (count of frozen activities),
    ``frozen_identical`` (they are in the new plan unchanged), ``recorder_at_cut_mbit``,
    ``prefix_value``, ``sub_requests``, ``hint`` (whether the warm start validated), ``advanced``
    (first visits moved earlier). ``asap``: full-problem request indices whose first visit
    should be as early as possible; ``minimal``: no solve — the warm start itself (the old plan
    after the cut with the ``asap`` requests' first visits inserted) is the plan, when it
    validates (the least-change plan); ``solve(sub, hint, **solve_args)``: the solver (default
    :func:`default_solve`)."""
    t_wall = time.perf_counter()
    solve = solve or default_solve
    if not problem.start <= t_free < problem.stop:
        raise ValueError(f"t_free {t_free} outside the planning span")
    pre = frozen_prefix(problem, old, t_free)
    acts, t_cut = pre["activities"], pre["t_cut"]
    body_fixed = problem.spacecraft.antenna == "body_fixed"
    nom = problem.engineering_nominal
    prefix_visits = [(a.request, a.start, a.stop) for a in acts if a.kind == "observe"]
    prefix_passes = [(_row_of_pass(problem, a), a.start, a.stop) for a in acts if a.kind == "downlink" and body_fixed]
    eng_full: list = [None] * len(nom)
    for a in acts:
        if a.kind == "engineering":
            eng_full[a.block] = a.start
    old_eng = {a.block: a.start for a in old.activities if a.kind == "engineering"}
    # 2. bridge and slew guard
    remaining = [i for i, _ in enumerate(problem.requests)]
    guard = _guard_s(problem, pre["last_pointing"], remaining)
    pending = sorted((j for j in range(len(nom)) if eng_full[j] is None), key=lambda j: nom[j, 0] + nom[j, 2])
    bridge_end, bridge = t_cut, []
    for j in pending:
        t, d, f = nom[j, :3]
        if t + f >= bridge_end + guard:
            break
        s = max(bridge_end, t - f)
        eng_full[j] = s
        bridge.append(j)
        bridge_end = s + d
    t_sub = bridge_end + guard
    if t_sub >= problem.stop:
        t_sub = problem.stop
    # 3. sub-problem
    subs, index = _sub_requests(problem, prefix_visits, t_sub)
    pend = [j for j in range(len(nom)) if eng_full[j] is None]
    big = 2.0 * (problem.stop - problem.start) + 1.0
    blocks = [
        EngineeringBlock(
            problem.engineering[int(nom[j, 3])].name, big + nom[j, 1] + 2 * nom[j, 2], nom[j, 1], nom[j, 2], nom[j, 0]
        )
        for j in pend
    ]
    sc = problem.spacecraft
    if t_sub > problem.start:
        ts, lv = level_profile(
            assemble(problem, prefix_visits, [], prefix_passes).activities, sc.recorder_initial_mbit, problem.start
        )
        level = float(np.interp(t_sub, ts, lv))
    else:
        level = sc.recorder_initial_mbit
    level = min(max(level, 0.0), sc.recorder_capacity_mbit)
    info = {
        "last_pointing": pre["last_pointing"],
        "t_free": float(t_free),
        "t_cut": float(t_cut),
        "t_sub": float(t_sub),
        "slew_guard_s": guard,
        "bridge": len(bridge),
        "frozen": len(acts),
        "recorder_at_cut_mbit": level,
        "sub_requests": len(subs),
        "advanced": {},
    }
    prefix_value = Schedule([a for a in acts if a.kind == "observe"]).science_value(problem)
    info["prefix_value"] = prefix_value
    sub_sched = None
    if t_sub < problem.stop and subs:
        sub = Problem(
            t_sub,
            problem.stop,
            problem.targets,
            problem.stations,
            subs,
            Platform(sc.slew, sc.recorder_capacity_mbit, level, sc.antenna),
            blocks,
        )
        if not np.allclose(sub.engineering_nominal[:, 0], nom[pend, 0]):
            raise RuntimeError("replan: engineering occurrences of the sub-problem do not match the pending ones")
        # 4. warm start from the old plan after t_sub
        pos = {full: k for k, full in enumerate(index)}
        hint_visits = _hint_visits(sub, old, pos, t_cut, [pos[i] for i in asap if i in pos])
        planned = sub.engineering_planned
        hint_eng = [
            old_eng[j] if j in old_eng and nom[j, 0] - nom[j, 2] <= old_eng[j] and old_eng[j] >= t_sub else planned[k]
            for k, j in enumerate(pend)
        ]
        hint, bad = repair(sub, hint_visits, hint_eng, scheduler="previous plan")
        info["hint"] = not bad
        info["hint_value"] = None if bad else prefix_value + hint.science_value(sub)
        if minimal and not bad:
            sub_sched = hint
            sub_sched.status = "least change: the old plan with the urgent requests' first visits inserted"
            sub_sched.relaxation_bound = None
        else:
            sub_sched = solve(sub, None if bad else hint, **solve_args)
        for a in sub_sched.activities:
            if a.kind == "engineering":
                eng_full[pend[a.block]] = a.start
    else:
        info["hint"] = False
    if any(s is None for s in eng_full):
        # nothing re-planned (the cut reaches the end): pending occurrences at the old times
        for j, s in enumerate(eng_full):
            if s is None:
                eng_full[j] = old_eng.get(j, max(nom[j, 0], t_sub) if nom[j, 0] + nom[j, 2] >= t_sub else nom[j, 0])
    # 5. one plan of the full problem
    visits = list(prefix_visits)
    passes = list(prefix_passes)
    if sub_sched is not None:
        visits += [(index[a.request], a.start, a.stop) for a in sub_sched.activities if a.kind == "observe"]
        passes += [
            (_row_of_pass(problem, a), a.start, a.stop)
            for a in sub_sched.activities
            if a.kind == "downlink" and body_fixed
        ]
    plan = assemble(
        problem, visits, eng_full, passes, scheduler=f"replan ({sub_sched.scheduler if sub_sched else 'frozen'})"
    )
    bad = validate(plan, problem)
    if bad:
        raise RuntimeError("replanned schedule failed validation: " + "; ".join(bad[:5]))
    if sub_sched is not None and asap and not body_fixed:
        cut = {"t_cut": t_cut, "frozen": acts, "prefix_visits": prefix_visits, "last_pointing": pre["last_pointing"]}
        plan, info["advanced"] = _advance(problem, plan, list(asap), cut)
    info["frozen_identical"] = _same(acts, plan.activities)
    if sub_sched is not None:
        plan.status = sub_sched.status
        if sub_sched.relaxation_bound is not None:
            plan.relaxation_bound = prefix_value + sub_sched.relaxation_bound
            plan.bound_source = f"frozen part + {sub_sched.bound_source} of the re-planned part"
        plan.info = {"sub": {k: v for k, v in sub_sched.info.items() if k != "history"}}
    else:
        plan.status = "nothing left to re-plan after the frozen part"
        plan.relaxation_bound, plan.bound_source = None, "LP relaxation"
    plan.solve_s = time.perf_counter() - t_wall
    plan.info["replan"] = info
    return plan, info


def _same(frozen, activities) -> bool:
    """Every frozen activity is in ``activities`` with the same kind, times, target, request, data."""

    def key(a):
        return (a.kind, a.start, a.stop, a.target, a.request, round(a.data_mbit, 9), a.block)

    have = {key(a) for a in activities}
    return all(key(a) in have for a in frozen)


def slew_from_last(problem, info: dict, target: str) -> float:
    """Slew time (s) from the last frozen pointing (``info`` of :func:`replan`) to ``target``."""
    last = info.get("last_pointing")
    if last is None:
        return 0.0
    u, v = _direction(problem, last), problem.targets[problem.target_index[target]].direction
    return float(problem.spacecraft.slew.time_s(np.arccos(np.clip(float(u @ v), -1.0, 1.0))))


def first_visible_after(problem, i: int, t: float) -> float | None:
    """Earliest start ≥ ``t`` of a visit of request ``i`` of at least its minimum length inside
    its target's visibility and its validity (no slew, no other activity): the earliest a
    request can physically be observed after ``t``; None when never."""
    r = problem.requests[i]
    w = problem.usable_windows[i]
    for a, b in w:
        s = max(float(a), t)
        if b - s >= r.min_visit_s:
            return s
    return None


__all__ = ["replan", "frozen_prefix", "first_visible_after", "slew_from_last"]
