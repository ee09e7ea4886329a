"""Hierarchical scheduling for survey-scale problems (thousands of requests, months to a year).

1. Long-range plan (``scheduling.longrange``): plan windows of days to a week and an LP on
   their aggregated capacities that shares each request's exposure among them; its optimum,
   or the same flow with the slews charged (``scheduling.slew_bound``) when smaller, is the
   valid upper bound reported.
2. Detailed schedule of each plan window by the solver portfolio (``portfolio.solve``, no
   hierarchy, no bound) on a sub-problem holding only that window: its assigned requests
   (exposure = the assigned share, priority scaled so values add up), its targets' and
   contacts' intervals, its engineering occurrences fixed where the whole problem plans them,
   the recorder level the long-range plan expects at its start. Windows are independent, so
   they run in parallel: a process pool of ``workers`` by default, or any executor with
   ``submit`` (a Dask ``Client``). Each is deterministic (deterministic budgets), so the plan
   does not depend on how many ran at once.
3. Stitch and repair: every window's visits in one timeline, made to obey every rule across
   the borders (``repair``: exact slews from the previous window's last pointing, cadence,
   visit counts; then the recorder level over the whole span), then ``resequence.polish``:
   shorter slews between engineering blocks with the time saved given to requests that
   still need it, a fill pass (value-first insertion seeded with the plan) that puts what
   each request still needs into the gaps left at the borders and by the windows, and
   shorter slews again. The result is validated on the whole problem.

Border rules that keep windows independent: a request's visits in window w start at least
its cadence after the window opens when it may also be observed before (so visits of two
windows are at least a cadence apart). The slew from the previous window's last pointing
into a window's first visit is made by ``repair``, which starts that visit later by the slew
(cutting it, or dropping it when it becomes shorter than its minimum); nothing is lost when
both point at the same target.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lunarscope.constants import SECONDS_PER_DAY
from lunarscope.scheduling.assemble import assemble
from lunarscope.scheduling.clock import SolveClock
from lunarscope.scheduling.insertion import fit_recorder
from lunarscope.scheduling.longrange import LongRangePlan, long_range, plan_borders
from lunarscope.scheduling.problem import EngineeringBlock, Platform, Problem, Station, Target
from lunarscope.scheduling.repair import repair
from lunarscope.scheduling.requests import Request, intersect
from lunarscope.scheduling.resequence import polish, polish_text
from lunarscope.scheduling.slew_bound import SOURCE_SLEW, slew_bound
from lunarscope.scheduling.validate import validate

log = logging.getLogger(__name__)

#: ``hierarchy: auto`` uses the hierarchical scheduler from this many request-days
#: (requests x span in days; 500 requests over 30 days) on, when the span holds at least two
#: plan windows.
HIERARCHY_MIN_REQUEST_DAYS = 15000.0
#: Share of ``time_limit_s`` (wall-clock cap) the long-range LP with recorder rows may take;
#: beyond it the flow relaxation's bound and assignment are used (``longrange.long_range``).
LONG_RANGE_SHARE = 0.3
#: Share of ``time_limit_s`` after which the slew-charged bound (``slew_bound``) starts no
#: further flow (it then keeps the best so far, and the plan says the cap was hit).
SLEW_BOUND_SHARE = 0.4
#: Seconds of the time limit kept for stitching, repair and the fill pass (at most
#: ``STITCH_SHARE`` of the limit).
STITCH_RESERVE_S = 5.0
STITCH_SHARE = 0.2
#: With less time left than this (s) the windows run in this process (no worker start-up).
POOL_MIN_S = 15.0
#: Longest wait (s) for a terminated worker process to end.
POOL_JOIN_S = 2.0
#: Least wall-clock cap (s) of one window's detailed solve.
WINDOW_MIN_S = 0.2


def applies(problem) -> bool:
    """True when ``hierarchy: auto`` should use the hierarchical scheduler (module doc)."""
    days = (problem.stop - problem.start) / SECONDS_PER_DAY
    if len(problem.requests) * days < HIERARCHY_MIN_REQUEST_DAYS:
        return False
    return len(plan_borders(problem)) >= 3


def sub_problem(problem, lr: LongRangePlan, w: int):
    """(Problem of plan window ``w``, global request index of each of its requests), module doc."""
    a, b = float(lr.borders[w]), float(lr.borders[w + 1])
    span = np.array([[a, b]])
    sel = np.nonzero(lr.window == w)[0]
    nom = problem.engineering_nominal
    eng0 = problem.engineering_planned
    engineering = []
    for j in range(len(nom)):
        s, d = float(eng0[j]), float(nom[j, 1])
        if a <= s < b:
            name = problem.engineering[int(nom[j, 3])].name
            engineering.append(EngineeringBlock(name, period_s=(b - a) + d + 1.0, duration_s=d, first_start=s))
    requests, index, used = [], [], {}
    for k in sel:
        i = int(lr.request[k])
        r = problem.requests[i]
        lo = a
        if r.cadence_s and np.any((lr.request == i) & (lr.window < w)):
            lo = max(lo, a + r.cadence_s)
        if r.validity is not None:
            lo, hi = max(lo, r.validity[0]), min(b, r.validity[1])
        else:
            hi = b
        if hi - lo < r.min_visit_s:
            continue
        x = float(lr.exposure_s[k])
        requests.append(
            Request(
                r.target,
                exposure_s=x,
                min_visit_s=r.min_visit_s,
                priority=r.priority * x / r.exposure_s,
                n_visits=None if lr.visits[k] < 0 else int(lr.visits[k]),
                cadence_s=r.cadence_s,
                validity=(lo, hi),
                data_rate_mbit_s=r.data_rate_mbit_s,
                name=problem.request_names[i],
                efficiency=r.efficiency,
            )
        )
        index.append(i)
        used[r.target] = True
    targets = []
    for name in used:
        t = problem.targets[problem.target_index[name]]
        targets.append(Target(t.name, t.direction, intersect(t.visibility, span)))
    stations = []
    for s, dirs in zip(problem.stations, problem.earth_dirs_by_station):
        c = s.contacts
        keep = (c[:, 1] > a) & (c[:, 0] < b)
        earth = dirs[keep] if dirs is not None else None
        stations.append(Station(s.name, np.clip(c[keep], a, b), s.rate_mbit_s, earth))
    sc = problem.spacecraft
    level = float(min(max(lr.level_mbit[w], 0.0), sc.recorder_capacity_mbit))
    platform = Platform(sc.slew, sc.recorder_capacity_mbit, level, sc.antenna)
    return Problem(a, b, targets, stations, requests, platform, engineering), index


def solve_window(sub, index, solver, time_limit_s, seed, work_limit):
    """Detailed plan of one plan window (runs in a worker): its visits as (global request,
    start, stop), its value, status and whether the wall-clock cap stopped it."""
    from lunarscope.scheduling.portfolio import solve

    if not sub.requests:
        return [], 0.0, "no requests", False
    plan = solve(
        sub, solver, time_limit_s, seed, 1, work_limit=work_limit, with_bound=False, hierarchy="off", polish_plan=False
    )
    visits = [(index[a.request], a.start, a.stop) for a in plan.activities if a.kind == "observe"]
    return visits, plan.science_value(sub), plan.status, bool(plan.info.get("wall_limit_hit"))


class _Serial:
    """In-process executor (one worker): ``submit`` runs at once."""

    class _Done:
        def __init__(self, value):
            self._value = value

        def result(self):
            return self._value

    def submit(self, fn, *args):
        return self._Done(fn(*args))

    def shutdown(self, **_):
        pass


def _pool(workers: int):
    """A process pool of ``workers`` (spawned: no inherited solver threads), or in-process."""
    if workers <= 1:
        return _Serial()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint
    )


def _ignore_sigint() -> None:
    """Worker start-up: Ctrl-C in a terminal reaches the whole process group; the parent
    handles it (stops the pool), so a worker ignores it instead of printing a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_pool(pool) -> None:
    """Cancel what has not started and stop the worker processes now (Ctrl-C, errors)."""
    shutdown = getattr(pool, "shutdown", None)
    procs = list(getattr(pool, "_processes", {}).values()) if hasattr(pool, "_processes") else []
    if shutdown is not None:
        shutdown(wait=False, cancel_futures=True)
    for p in procs:  # ProcessPoolExecutor keeps running tasks to the end otherwise
        p.terminate()
    for p in procs:
        p.join(timeout=POOL_JOIN_S)
    if shutdown is not None:  # now quick: releases the pool's queues and their semaphores
        shutdown(wait=True)


def hierarchical(
    problem,
    solver: str = "cpsat",
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 2,
    *,
    work_limit: float | None = None,
    progress=None,
    hint=None,
    executor=None,
    days: int | None = None,
):
    """Plan ``problem`` hierarchically (module doc); returns a validated ``Schedule`` whose
    ``relaxation_bound`` is the long-range LP's optimum, or the slew-charged flow's
    (``slew_bound``) when smaller. ``time_limit_s`` caps the wall-clock
    time of the whole call (LP, windows, repair); each window gets an equal share of what is
    left (times ``workers`` running at once) as its own cap; ``work_limit`` (CP-SAT
    deterministic units, default ``portfolio.WORK_LIMIT``) is the budget of the whole solve,
    shared evenly by the windows. ``days``: plan-window length (default from the data)."""
    from lunarscope.scheduling.cpsat import WALL_CAP_TEXT
    from lunarscope.scheduling.portfolio import WORK_LIMIT

    clock = SolveClock(time_limit_s, progress)
    t0, deadline, left, report = clock.t0, clock.deadline, clock.left, clock.report
    work_limit = WORK_LIMIT if work_limit is None else float(work_limit)

    report(0.0)
    borders = plan_borders(problem, days)
    lr = long_range(problem, borders, time_limit_s=max(1e-3, LONG_RANGE_SHARE * time_limit_s))
    wall_hit = False
    sb = slew_bound(problem, borders, lr.bound, deadline=t0 + SLEW_BOUND_SHARE * time_limit_s, graph=lr.graph)
    lr.graph = None  # the network is not needed after the bounds (memory)
    bound, source = (sb.bound, SOURCE_SLEW) if sb is not None and sb.bound < lr.bound else (lr.bound, lr.source)
    wall_hit |= sb is not None and sb.cut
    t_lp = time.perf_counter() - t0
    report(0.1)
    W = lr.n_windows
    n_par = max(1, int(workers))
    reserve = min(STITCH_RESERVE_S, STITCH_SHARE * time_limit_s)
    if executor is None and left() < POOL_MIN_S:
        n_par = 1  # starting worker processes would take much of what is left
    per_window_s = max(WINDOW_MIN_S, (left() - reserve) * n_par / max(W, 1))
    pool = executor if executor is not None else _pool(min(n_par, W))
    futures = []
    results = [None] * W
    try:
        for w in range(W):
            sub, index = sub_problem(problem, lr, w)
            futures.append(pool.submit(solve_window, sub, index, solver, per_window_s, seed, work_limit / W))
        for k, f in enumerate(futures):  # in window order: the plan is the same whatever ran first
            results[k] = f.result()
            report(0.1 + 0.75 * (k + 1) / W)
            log.info("plan window %d/%d: value %.3f (%s)", k + 1, W, results[k][1], results[k][2])
    except BaseException:
        if executor is None:
            _stop_pool(pool)
        raise
    if executor is None:
        pool.shutdown()
    t_windows = time.perf_counter() - t0 - t_lp
    wall_hit |= any(r[3] for r in results)
    visits = sorted((v for r in results for v in r[0]), key=lambda v: (v[1], v[0]))
    eng0 = problem.engineering_planned
    why: dict = {}
    stitched, bad = repair(problem, visits, eng0, delay_for_cadence=True, why=why, scheduler="hierarchical")
    seed_visits = [(a.request, a.start, a.stop) for a in stitched.activities if a.kind == "observe"]
    seed_visits = fit_recorder(problem, seed_visits)
    report(0.9)
    plan = assemble(problem, seed_visits, eng0, (), scheduler="hierarchical")
    bad = validate(plan, problem)
    rejected = []
    if bad:  # never return an invalid plan: the dispatcher's always validates
        from lunarscope.scheduling.greedy import greedy

        rejected.append({"heuristic": "hierarchical", "violation": bad[0]})
        plan = greedy(problem)
    else:  # shorter slews, the fill (value-first insertion into the gaps), shorter slews again
        plan = polish(problem, plan, deadline=deadline, scheduler="hierarchical")
        wall_hit |= bool(plan.info.get("wall_limit_hit"))
    if hint is not None and not validate(hint, problem) and hint.science_value(problem) > plan.science_value(problem):
        plan = hint
    n_stitched = len(seed_visits)
    n_final = sum(1 for a in plan.activities if a.kind == "observe")
    dropped = sum(why.values())
    notes = [
        f"{W} plan windows of {(borders[-1] - borders[0]) / W / SECONDS_PER_DAY:.1f} d, "
        f"{solver} in each; border repair dropped {dropped}, fill added {n_final - n_stitched} visits"
    ]
    if "polish" in plan.info:
        notes.append(polish_text(plan.info["polish"]))
    if wall_hit:
        notes.append(WALL_CAP_TEXT)
    notes += [f"rejected {r['heuristic']} plan: {r['violation']}" for r in rejected]
    plan.status = "; ".join(notes)
    plan.relaxation_bound = bound
    plan.bound_source = source
    plan.model_bound = None
    plan.solve_s = time.perf_counter() - t0
    plan.info.update(
        {
            "wall_limit_hit": wall_hit,
            "time_limit_s": float(time_limit_s),
            "work_limit": work_limit,
            "rejected": rejected,
            "hierarchy": {
                "plan_windows": W,
                "borders": [float(x) for x in borders],
                "window_values": [float(r[1]) for r in results],
                "window_status": [r[2] for r in results],
                "assigned": int(len(lr.request)),
                "long_range_s": t_lp,
                "windows_s": t_windows,
                "repair_dropped": dict(why),
                "fill_added": n_final - n_stitched,
            },
        }
    )
    report(1.0)
    return plan
