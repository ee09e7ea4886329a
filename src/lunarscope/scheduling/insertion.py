"""Value-first insertion: the global counterpart of the time-ordered greedy dispatcher.

Requests are taken in order of value per second of exposure (priority / exposure, ties by
priority). Each is placed, window by window in time order (an SNR request: best mean
efficiency first, ``scheduling.efficiency``), into the free gaps of the
timeline built so far: a visit in a gap between pointings A and B of the timeline starts
after the exact eigen-axis slew A → target and ends before the slew target → B, inside the
request's usable window, no shorter than its minimum visit, no longer than its remaining
need, honouring its visit count and cadence. Engineering blocks are fixed at their nominal
times and hold the attitude. Downlinks are then drained as soon as possible by ``assemble``
and the plan goes through ``validate``.

Where the dispatcher commits to whatever can start now, this places the most valuable
exposure first anywhere in the span (the strategy of astroplan's PriorityScheduler, here
with exact slews). Gimballed antennas only; with a body-fixed antenna it returns None.
"""

from __future__ import annotations

import bisect
import time

import numpy as np

from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.efficiency import counted_seconds, stop_for
from lunarscope.scheduling.recorder import Drain
from lunarscope.scheduling.slew import angle_between

#: Room left around each slew so rounding of times near 1e9 s (0.1 µs) never makes it not fit.
SLEW_MARGIN_S = 1e-3
#: Gaps shorter than the shortest minimum visit by more than this (s) are skipped.
GAP_EPS_S = 1e-6


def insertion(problem, deadline: float | None = None, seed=None, eng_starts=None):
    """Plan ``problem`` by value-first insertion; returns a ``Schedule`` or None (body-fixed).

    deadline: ``time.perf_counter()`` value after which no further request is placed (the
    plan of those placed is valid; ``info['wall_limit_hit']``). seed: visits (request, start,
    stop) already in the timeline, kept as they are (they must obey every rule among
    themselves, e.g. a repaired plan); what each request still needs is then inserted around
    them (the fill pass of ``scheduling.hierarchical``). eng_starts: engineering start per
    occurrence (default ``problem.engineering_planned``)."""
    if problem.spacecraft.antenna != "gimballed":
        return None
    t_wall = time.perf_counter()
    reqs = problem.requests
    model = problem.spacecraft.slew
    dirs = problem.target_dirs
    tidx = [problem.target_index[r.target] for r in reqs]
    slew = model.time_s(angle_between(dirs[:, None, :], dirs[None, :, :]))  # (T, T) s
    nom = problem.engineering_nominal
    # the timeline: sorted starts, stops and pointings (target index, or -1 for engineering)
    eng0 = problem.engineering_planned if eng_starts is None else np.asarray(eng_starts, float)
    entries = [(float(eng0[j]), float(eng0[j] + nom[j, 1]), -1) for j in np.argsort(eng0, kind="stable")]
    visits = sorted((int(r), float(a), float(b)) for r, a, b in (seed or ()))
    entries += [(a, b, tidx[r]) for r, a, b in visits]
    entries.sort(key=lambda e: (e[0], e[1]))
    starts = [e[0] for e in entries]
    stops = [e[1] for e in entries]
    point = [e[2] for e in entries]
    # starts of the gaps long enough for some visit (shorter ones are skipped: a visit fits
    # only in a gap at least its minimum visit long), kept sorted as visits are inserted
    gmin = min((r.min_visit_s for r in reqs), default=0.0) - GAP_EPS_S
    edges = [problem.start, *stops]
    ends = [*starts, problem.stop]
    big = [a for a, b in zip(edges, ends) if b - a >= gmin]
    got = np.zeros(len(reqs))
    count = np.zeros(len(reqs), int)
    seeded: dict = {}
    for r, a, b in visits:
        if b - a >= reqs[r].min_visit_s - 1e-9:
            got[r] += float(counted_seconds(reqs[r], a, b))
        count[r] += 1
        seeded.setdefault(r, []).append(a)
    order = sorted(range(len(reqs)), key=lambda i: (-reqs[i].priority / reqs[i].exposure_s, -reqs[i].priority, i))
    cut = False
    for i in order:
        if deadline is not None and time.perf_counter() > deadline:
            cut = True
            break
        r = reqs[i]
        T = tidx[i]
        need = r.exposure_s - got[i]
        left = (r.n_visits if r.n_visits is not None else 10**9) - count[i]
        mine: list[float] = list(seeded.get(i, ()))
        for w0, w1 in _window_order(r, problem.usable_windows[i]):
            if need < r.min_visit_s or left <= 0:
                break
            k = bisect.bisect_right(stops, w0)  # first timeline entry ending after w0
            lo_t = problem.start
            prev_p = -2  # -2: nothing before (no slew needed)
            if k > 0:
                lo_t = stops[k - 1]
                prev_p = _pointing_before(point, k)
            while True:
                hi_t = starts[k] if k < len(starts) else problem.stop
                next_p = _pointing_after(point, k)
                s = max(w0, lo_t + (slew[prev_p, T] + SLEW_MARGIN_S if prev_p >= 0 else 0.0))
                e = min(w1, hi_t - (slew[T, next_p] + SLEW_MARGIN_S if next_p >= 0 else 0.0))
                if r.cadence_s:
                    while any(abs(s - m) < r.cadence_s for m in mine):
                        s = max(m for m in mine if abs(s - m) < r.cadence_s) + r.cadence_s
                length = min(e - s, need if r.efficiency is None else float(stop_for(r, s, need)) - s)
                if length >= r.min_visit_s - 1e-9 and left > 0:
                    stop = s + length
                    visits.append((i, s, stop))
                    mine.append(s)
                    need -= length if r.efficiency is None else float(r.efficiency.counted(s, stop))
                    left -= 1
                    _split_gap(big, lo_t, s, stop, hi_t, gmin)
                    starts.insert(k, s)
                    stops.insert(k, stop)
                    point.insert(k, T)
                    k += 1
                    lo_t, prev_p = stop, T
                    if need < r.min_visit_s or left <= 0:
                        break
                    continue
                if k >= len(starts) or starts[k] >= w1:
                    break
                j = bisect.bisect_left(big, stops[k])  # the next gap long enough for a visit
                if j == len(big) or big[j] >= w1:
                    break
                lo_t = big[j]
                k = bisect.bisect_right(stops, lo_t)
                prev_p = _pointing_before(point, k)
    visits.sort(key=lambda v: v[1])
    visits = fit_recorder(problem, visits)
    sched = assemble(problem, visits, eng0, (), scheduler="insertion")
    if cut:
        sched.status = "heuristic (time limit hit)"
        sched.info["wall_limit_hit"] = True
    sched.solve_s = time.perf_counter() - t_wall
    return sched


def fit_recorder(problem, visits):
    """Visits (time order) cut where the recorder would overflow, dropped when then shorter
    than their minimum: the level simulated as ``assemble`` drains it (as soon as possible
    over the downlink timeline). Cutting or dropping a visit only lowers later levels and
    frees time for slews, so one forward pass keeps every other rule."""
    sc = problem.spacecraft
    cap = sc.recorder_capacity_mbit
    drain = Drain(problem.downlink_timeline)
    level, t_rec = sc.recorder_initial_mbit, problem.start
    out = []
    for r, start, stop in visits:
        q = problem.requests[r].data_rate_mbit_s
        if q > 0:
            _, level_s, _, _ = drain.run(t_rec, start, level, 0.0)
            t_end, _, _, _ = drain.run(start, stop, level_s, q, cap=cap)
            if t_end < stop:
                stop = t_end
                if stop - start < problem.requests[r].min_visit_s - 1e-9:
                    continue  # what fits is too short to count: leave the recorder for later visits
            _, level, _, _ = drain.run(t_rec, start, level, 0.0)
            _, level, _, _ = drain.run(start, stop, level, q)
            t_rec = stop
        out.append((r, start, stop))
    return out


def _window_order(request, windows: np.ndarray) -> np.ndarray:
    """Usable windows in time order; for a request with an efficiency, best mean efficiency
    first (an SNR request fills its darkest windows first)."""
    eff = request.efficiency
    if eff is None or len(windows) < 2:
        return windows
    mean = eff.counted(windows[:, 0], windows[:, 1]) / (windows[:, 1] - windows[:, 0])
    return windows[np.argsort(-mean, kind="stable")]


def _split_gap(big: list, lo: float, s: float, e: float, hi: float, gmin: float) -> None:
    """A visit [s, e] went into the gap [lo, hi]: its two remainders replace it in ``big``."""
    j = bisect.bisect_left(big, lo)
    if j < len(big) and big[j] == lo:
        del big[j]
    for a, b in ((lo, s), (e, hi)):
        if b - a >= gmin:
            bisect.insort(big, a)


def _pointing_before(point: list, k: int) -> int:
    """Pointing held just before timeline entry ``k`` (engineering keeps the attitude)."""
    for j in range(k - 1, -1, -1):
        if point[j] >= 0:
            return point[j]
    return -2


def _pointing_after(point: list, k: int) -> int:
    """Pointing of the next observation at or after timeline entry ``k`` (-2: none)."""
    for j in range(k, len(point)):
        if point[j] >= 0:
            return point[j]
    return -2
