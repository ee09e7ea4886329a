"""Many orbits at once: :func:`propagate_many` runs M independent propagations on all cores.

Each orbit is exactly the single-orbit :func:`~lunarscope.dynamics.propagator.propagate` (same
integrator, tolerances, force model and arcs), so orbit i of a batch is bit for bit the orbit
one would get alone. The orbits are spread over threads of this process: the compiled
integrators (``dop853_kernel``, ``rkn12_kernel``) release the GIL (``nogil``), so the threads
integrate at the same time while only the few Python lines around each kernel call (~0.2 ms per
orbit) take turns. Measured against the forked worker processes this module used before
(``benchmarks/bench_batch.py``, docs/benchmarks.md): the same wall time on 1000 orbits x 1 d at
10x10, and no fixed cost per call (forking and mapping the results back cost ~50-150 CPU-ms
per batch, more than the propagation itself for 100 orbits x 1 d at 10x10). The results need
no trip between processes: they are the ``PropagationResult`` objects the threads made.

- RKN12 orbits that share a span run eight at a time through the lanes kernel
  (:mod:`.rkn12_lanes`; the same arithmetic per orbit, so the same bits, at 2.4x the speed of
  eight single runs at 10x10, rtol 1e-8), grouped by two-body energy so that a group's lanes finish together;
- work items (an orbit, or a group of lanes) are handed out one at a time from a shared counter,
  so no core idles at the end while another finishes a long chunk;
- the right-hand side's argument tuple (``ForceModel.args``: the span fit, ~0.3 ms) of each of
  the batch's spans (fewer than ``propagator.ARGS_CACHE_SIZE``) is built once before the threads
  start; every orbit finds it in ``propagate``'s cache (the same tuple, so the same bits as a
  single run);
- Ctrl-C (or an error in one orbit) stops every thread at the end of its current arc (at most
  ``propagate``'s one-day chunk) and is raised here once they have stopped.

Below ``PARALLEL_MIN_ORBITS`` orbits or with ``workers=1`` the loop runs in the calling thread.
"""

from __future__ import annotations

import os
import queue
import threading

import numpy as np

from ..constants import MOON_RADIUS_KM, SECONDS_PER_DAY
from ..errors import InputError
from ..gravity.kernel import LANES
from .forces import ForceModel, impact_event, moon_rhs
from .integrators import (
    DEFAULT_EVENT_TOL_S,
    DEFAULT_MAX_STEPS,
    HermiteDenseSolution,
    IntegrationStatus,
    _kernel_entry,
    usable_rtol,
)
from .propagator import (
    ARGS_CACHE_SIZE,
    PropagationResult,
    arc_cuts,
    assemble_result,
    force_args,
    next_first_step,
    propagate,
    state_atol,
    stopped_error,
)
from .rkn12_lanes import rkn12_lanes_kernel

PARALLEL_MIN_ORBITS = 4
"""Fewer orbits than this run in the calling thread."""

WARMUP_SPAN_S = 1.0
"""Span (s) of the short propagation run before the threads start, so that the integrator for
this force model is compiled (or loaded from numba's cache) once, not raced for by the threads."""

POLL_S = 0.2
"""How often (s) the calling thread wakes while waiting for the workers (Ctrl-C is seen then)."""

LANES_MIN_ORBITS = 3
"""RKN12 orbits sharing a span go through the lanes kernel (:mod:`.rkn12_lanes`) LANES at a time;
a group with fewer orbits than this (the remainder) runs orbit by orbit: one lanes call costs
about what three single runs do (10x10, 1 d, rtol 1e-8: 2.4 ms per call of 8 orbits against
0.72 ms per single run, ``benchmarks/rhs_breakdown.py --orbits 40``)."""


def _span(values, m: int, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(m, float(v))
    if v.shape != (m,) or not np.all(np.isfinite(v)):
        raise InputError(name, f"must be one finite TDB time (s) or {m} of them (one per orbit), got shape {v.shape}")
    return v


def _run_one(i: int, settings: dict, arc_done=None) -> PropagationResult:
    return propagate(
        settings["states"][i],
        float(settings["t_start"][i]),
        float(settings["t_stop"][i]),
        settings["force_model"],
        name=settings["names"][i],
        progress=arc_done,
        **settings["options"],
    )


def _run_lanes(group: list[int], settings: dict, arc_done=None) -> list[PropagationResult]:
    """The orbits ``group`` (at most LANES, one span) through the lanes kernel, arc by arc as
    ``propagate`` integrates each (same arcs, first steps and tolerances, so the same bits)."""
    opt = settings["options"]
    fm = settings["force_model"]
    t_start = float(settings["t_start"][group[0]])
    t_stop = float(settings["t_stop"][group[0]])
    impact_r = MOON_RADIUS_KM + float(opt["impact_altitude_km"])
    args = force_args(fm, t_start, t_stop, impact_r)
    # the impact event as a first-class function (its compiled wrapper's address): a Dispatcher
    # argument would give the kernel a type numba's on-disk cache cannot match in a new process
    event = _kernel_entry(moon_rhs, impact_event, args, "rkn12")[2]
    rtol = usable_rtol(opt["rtol"])  # as integrate
    atol_km = opt["atol_km"]
    atol = state_atol(atol_km)
    fixed = opt["fixed_step_s"]
    fs = 0.0 if fixed is None else float(fixed)
    n = len(group)
    y = np.zeros((LANES, 6))
    y[:n] = settings["states"][group]
    live = np.zeros(LANES, dtype=np.bool_)
    live[:n] = True
    h0 = np.zeros(LANES)
    pieces: list[list] = [[] for _ in range(n)]
    steps = [0] * n
    calls = [0] * n
    impact: list = [None] * n
    cuts = arc_cuts(t_start, t_stop, [], SECONDS_PER_DAY)
    for a, b in zip(cuts[:-1], cuts[1:]):
        if not live.any():
            break
        ts, ys, tolds, hs, coefs, status, t_ev, _y_ev, n_acc, n_rhs = rkn12_lanes_kernel(
            event, a, y, b, live, args, rtol, atol, np.inf, h0, DEFAULT_MAX_STEPS, fs, DEFAULT_EVENT_TOL_S
        )
        for p in range(n):
            if not live[p]:
                continue
            k = int(n_acc[p])
            if status[p] not in (IntegrationStatus.SUCCESS, IntegrationStatus.EVENT):
                exc = stopped_error(ts[p, k], status[p])
                exc.orbit = group[p]  # for propagate_many's message
                raise exc
            pieces[p].append(HermiteDenseSolution(ts[p, : k + 1], tolds[p, :k], hs[p, :k], coefs[p, :k], y_start=y[p]))
            steps[p] += k
            calls[p] += int(n_rhs[p])
            y[p] = ys[p, k]
            if k and fixed is None:
                h0[p] = next_first_step(hs[p, k - 1], SECONDS_PER_DAY)
            if status[p] == IntegrationStatus.EVENT:
                impact[p] = float(t_ev[p])
                live[p] = False
        if arc_done is not None:
            arc_done((b - t_start) / (t_stop - t_start))
    return [
        assemble_result(
            pieces[p],
            t_start,
            t_stop,
            impact[p],
            steps[p],
            calls[p],
            settings["names"][i],
            opt["rtol"],
            atol_km,
            opt["method"],
            opt["impact_altitude_km"],
        )
        for p, i in enumerate(group)
    ]


def _wall_units(items: list[list[int]], workers: int) -> float:
    """Wall time of ``items`` on ``workers`` threads, in single runs (a lanes group costs
    LANES_MIN_ORBITS of them), handed out longest first to the least loaded thread."""
    loads = [0.0] * workers
    for cost in sorted((LANES_MIN_ORBITS if len(item) > 1 else 1 for item in items), reverse=True):
        k = loads.index(min(loads))
        loads[k] += cost
    return max(loads)


def _work_items(settings: dict, m: int, workers: int = 1) -> list[list[int]]:
    """The batch as work items (lists of orbit indices): RKN12 orbits sharing a span in groups of
    LANES for the lanes kernel (orbits of similar two-body energy together, so a group's lanes
    finish at about the same time; the grouping changes no result), the rest one by one; all one
    by one when that ends sooner on ``workers`` threads (4 orbits on 2 threads: two single runs
    each, against one lanes call worth three on one thread)."""
    singles = [[i] for i in range(m)]
    if settings["options"]["method"] != "rkn12":
        return singles
    states = settings["states"]
    gm = settings["force_model"].field.gm_km3_s2
    energy = 0.5 * np.sum(states[:, 3:] ** 2, axis=1) - gm / np.linalg.norm(states[:, :3], axis=1)
    by_span: dict = {}
    for i in np.lexsort((energy, settings["t_stop"], settings["t_start"])).tolist():
        by_span.setdefault((settings["t_start"][i], settings["t_stop"][i]), []).append(i)
    items = []
    for members in by_span.values():
        for a in range(0, len(members), LANES):
            group = members[a : a + LANES]
            items.extend([group] if len(group) >= LANES_MIN_ORBITS else [[i] for i in group])
    return items if _wall_units(items, workers) <= _wall_units(singles, workers) else singles


def _warm_lanes(group: list[int], settings: dict) -> None:
    """Compile (or load from numba's cache) the lanes kernel: WARMUP_SPAN_S of the group's orbits."""
    t_start = float(settings["t_start"][group[0]])
    warm = dict(settings, t_stop=np.full_like(settings["t_stop"], t_start + WARMUP_SPAN_S))
    _run_lanes(group, warm)


def _run_item(item: list[int], settings: dict, arc_done=None) -> list[PropagationResult]:
    if len(item) == 1:
        return [_run_one(item[0], settings, arc_done)]
    return _run_lanes(item, settings, arc_done)


class _Stopped(Exception):
    """Raised inside a worker thread at the end of an arc once the batch is told to stop."""


def _run_threads(settings: dict, items: list[list[int]], m: int, workers: int, progress) -> list[PropagationResult]:
    """Propagate the ``m`` orbits of ``settings`` on ``workers`` threads, work item by work item
    (:func:`_work_items`); results in input order. An error in an orbit (the lowest-numbered
    item's if several) or Ctrl-C is raised here after every thread has stopped."""
    results: list = [None] * m
    failures: list[tuple[int, BaseException]] = []
    stop = threading.Event()
    counter = iter(range(len(items)))  # next() on a range iterator is atomic under the GIL
    finished: queue.SimpleQueue = queue.SimpleQueue()

    def arc_done(_fraction):
        if stop.is_set():
            raise _Stopped

    def work():
        try:
            for i in counter:
                if stop.is_set():
                    break
                try:
                    for j, res in zip(items[i], _run_item(items[i], settings, arc_done)):
                        results[j] = res
                except _Stopped:
                    break
                except BaseException as exc:  # an input error or a bug: stop the others, raise it there
                    failures.append((getattr(exc, "orbit", min(items[i])), exc))
                    stop.set()
                    break
                finished.put(i)
        finally:
            finished.put(None)

    threads = [threading.Thread(target=work, name=f"lunarscope-batch-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    try:
        running, done = workers, 0
        while running:
            try:
                item = finished.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if item is None:
                running -= 1
            elif not failures:
                done += len(items[item])
                if progress is not None:
                    progress(done, m)
    finally:
        stop.set()  # no-op when all went well; after Ctrl-C or an error the threads end their arc
        for t in threads:
            t.join()
    if failures:
        i, exc = min(failures, key=lambda f: f[0])
        if isinstance(exc, InputError):
            raise InputError(exc.field, f"orbit {i}: {exc.problem}") from exc
        raise exc
    return results


def default_workers() -> int:
    """Cores this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def propagate_many(
    states0,
    t_start,
    t_stop,
    force_model: ForceModel,
    *,
    rtol: float = 1e-12,
    atol_km: float = 1e-9,
    impact_altitude_km: float = 0.0,
    fixed_step_s: float | None = None,
    method: str = "dop853",
    names=None,
    workers: int | None = None,
    progress=None,
) -> list[PropagationResult]:
    """Propagate M Moon-centred ICRF states ``states0`` (M, 6) (km, km/s) with one force model.

    ``t_start``, ``t_stop``: TDB seconds, one value for all orbits or one per orbit (M,).
    ``rtol``, ``atol_km``, ``impact_altitude_km``, ``fixed_step_s``, ``method`` as in ``propagate``;
    ``names``: M trajectory names (default ``orbit-<i>``); ``workers``: threads (default: the
    cores available; 1 runs in the calling thread); ``progress(done, total)`` as orbits finish
    (called in the calling thread).
    Returns M ``PropagationResult`` in input order, each identical to ``propagate`` of that orbit.
    """
    states = np.array(states0, dtype=np.float64)
    if states.ndim != 2 or states.shape[1] != 6 or states.shape[0] == 0:
        raise InputError("states0", f"must be an (M, 6) array of states (km, km/s), got shape {np.shape(states0)}")
    m = states.shape[0]
    if not np.all(np.isfinite(states)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(states), axis=1))[0])
        raise InputError("states0", f"orbit {bad}: state must be 6 finite numbers (km, km/s)")
    t0 = _span(t_start, m, "t_start")
    t1 = _span(t_stop, m, "t_stop")
    if np.any(t1 <= t0):
        raise InputError("t_stop", f"orbit {int(np.flatnonzero(t1 <= t0)[0])}: stop must be after start")
    impact_r = MOON_RADIUS_KM + float(impact_altitude_km)
    low = np.linalg.norm(states[:, :3], axis=1) <= impact_r
    if np.any(low):
        raise InputError("states0", f"orbit {int(np.flatnonzero(low)[0])}: initial radius is below the impact radius")
    if names is None:
        names = [f"orbit-{i}" for i in range(m)]
    names = [str(n) for n in names]
    if len(names) != m:
        raise InputError("names", f"need {m} names (one per orbit), got {len(names)}")
    if workers is None:
        workers = default_workers()
    workers = int(workers)
    if workers < 1:
        raise InputError("workers", f"{workers} must be >= 1")
    settings = {
        "states": states,
        "t_start": t0,
        "t_stop": t1,
        "force_model": force_model,
        "names": names,
        "options": {
            "rtol": rtol,
            "atol_km": atol_km,
            "impact_altitude_km": impact_altitude_km,
            "fixed_step_s": fixed_step_s,
            "method": method,
        },
    }
    workers = min(workers, m)
    items = _work_items(settings, m, 1 if m < PARALLEL_MIN_ORBITS else workers)
    if any(len(item) > 1 for item in items):
        # one short single run checks the integrator options (the lanes path does not) and
        # compiles the scalar integrator; then the lanes kernel is compiled (or loaded) once
        propagate(states[0], float(t0[0]), float(t0[0]) + WARMUP_SPAN_S, force_model, **settings["options"])
        _warm_lanes(next(item for item in items if len(item) > 1), settings)
    if workers == 1 or m < PARALLEL_MIN_ORBITS or len(items) == 1:
        results: list = [None] * m
        done = 0
        for item in items:
            for j, res in zip(item, _run_item(item, settings)):
                results[j] = res
            done += len(item)
            if progress is not None:
                progress(done, m)
        return results
    spans = sorted(set(zip(t0.tolist(), t1.tolist())))
    if len(spans) >= ARGS_CACHE_SIZE:
        force_model.args(float(t0.min()), float(t1.max()))  # span and data errors surface here, once
    # compile (or load) the integrator for this force model here, once, before the threads start
    propagate(states[0], float(t0[0]), float(t0[0]) + WARMUP_SPAN_S, force_model, **settings["options"])
    if len(spans) < ARGS_CACHE_SIZE:
        # the argument tuples (span fits) of the orbits' spans, built once here: every orbit finds
        # them in propagate's cache instead of each thread building them per orbit
        for a, b in spans:
            force_args(force_model, a, b, impact_r)
    return _run_threads(settings, items, m, workers, progress)
