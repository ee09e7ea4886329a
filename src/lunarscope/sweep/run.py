"""Running a sweep's cases on dask.distributed and streaming their rows into Parquet.

* One task runs a chunk of cases (:func:`run_chunk`) on a worker: each case is resolved from
  the scattered sweep, read by the mission reader and run through the pipeline's own stage
  functions (``mission.run.propagate_mission``, ``mission.stages.mission_windows``,
  ``mission.scheduling_problem.build_problem`` + ``solve_mission``); a case that raises is a
  row with its error, the others go on.
* The client writes each finished chunk as one Parquet part ``<out>/cases/part-<hash>.parquet``,
  atomically (a temporary file renamed into place), so an interrupted sweep leaves only whole
  parts. A rerun reads the parts and skips every case whose ``case_key`` has a row.
* Each chunk first tunes its worker (:func:`prepare_worker`: glibc's mmap threshold, which
  Dask's ``MALLOC_TRIM_THRESHOLD_`` freezes at 128 KiB, and numba's threads to the worker's
  ``OMP_NUM_THREADS``), so a case costs the CPU it costs in a plain process.
* A worker that dies mid-chunk loses nothing: the scheduler reruns its tasks elsewhere, rows
  are written only by the client, and a case's row depends on nothing but the case.

The chunk size: a task costs ``TASK_OVERHEAD_S`` of scheduling and transfer beyond its
cases (measured, ``benchmarks/bench_sweep.py``); the first wave runs one case per task on
each worker, the first of them to finish measures a case, then the other cases go in chunks
that hold enough cases that the overhead stays under ``MAX_OVERHEAD_FRACTION`` of a chunk
and that the scheduler and the client, which handle tasks one at a time, spend at most that
fraction of the workers' time on them (``W × overhead`` per chunk on W workers: the rule that
matters on large clusters, the scale model of ``benchmarks/bench_sweep.py``), but never so many that a worker gets fewer than ``CHUNKS_PER_WORKER`` chunks (load balance).
A chunk whose task fails as a whole (its workers kept dying: ``KilledWorker``) gives error
rows ``task: ...`` in the returned table but no part, so the next run tries it again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
import traceback
import warnings

import numpy as np

from ..errors import InputError

#: Per-task overhead of dask.distributed on a LocalCluster (s): submit, schedule, run and
#: gather a no-op task with a ~1 kB argument; 8.1 ms measured with 2 workers on 2 shared cores
#: (``python benchmarks/bench_sweep.py --overhead``, 1000 tasks, best of 3).
TASK_OVERHEAD_S = 0.008
#: Chunks hold enough cases that the task overhead is at most this fraction of a chunk.
MAX_OVERHEAD_FRACTION = 0.01
#: At least this many chunks per worker remain after the first wave (load balance).
CHUNKS_PER_WORKER = 4
#: Most cases in one chunk (a chunk's rows are one Parquet part).
MAX_CHUNK_CASES = 1000
#: glibc's mmap threshold set in a worker whose environment sets ``MALLOC_TRIM_THRESHOLD_``
#: (Dask's nanny sets 65536, ``distributed.nanny.pre-spawn-environ``) but no
#: ``MALLOC_MMAP_THRESHOLD_`` (bytes). Setting any malloc tunable turns off glibc's dynamic
#: mmap threshold (mallopt(3)), which then stays at its 128 KiB start: every numpy array above
#: 128 KiB becomes a fresh mmap with its pages faulted in and zeroed, +35 % CPU per 30-day
#: case (a plain process: 0.93 s without the variable, 1.24 s with it). 32 MiB is the most
#: the dynamic threshold reaches on 64-bit (glibc's DEFAULT_MMAP_THRESHOLD_MAX); trimming stays.
WORKER_MMAP_THRESHOLD_BYTES = 32 * 2**20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc malloc.h)
#: Dask settings of the sweep's own LocalCluster: no statistical profiler in the workers (it
#: samples the running task's stack every 10 ms on the worker's event loop: 21 ms of CPU per
#: second on an idle worker, ~0.12 s per 30-day case under load) and an event-loop health tick
#: every 500 ms instead of 20 ms (19 ms/s idle; the tick only measures latency). Measured on a
#: 1-worker LocalCluster, worker CPU over 15 s idle: 47–54 → 12–13 ms/s with both (2 runs each).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
}
STATUS_OK = "ok"
STATUS_ERROR = "error"
PARTS_DIR = "cases"
TABLE_NAME = "sweep.parquet"


# ====================================================================== on the worker


def run_case(job, index: int, key: str, values: dict) -> dict:
    """The row of one case: its metrics, ``status`` (``ok`` / ``error``), ``error`` (the
    message, with the stage) and ``wall_s``. Metrics of the stages finished before an error
    are kept (e.g. ``lifetime_d`` of an orbit that impacts before its windows)."""
    from ..mission.core import check_mission, mission_from_dict
    from .metrics import CaseOutputs, evaluate

    t0 = time.perf_counter()
    row = {"case": index, "case_key": key, **values}
    done, stage, out = [], "mission", None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mission = mission_from_dict(job.resolve(index, values), job.base_dir, f"<sweep case {index}>")
            check_mission(mission)
            out = CaseOutputs(mission, settings=job.settings)
            for stage in job.stages:
                _run_stage(stage, out)
                done.append(stage)
        row["status"], row["error"] = STATUS_OK, ""
    except Exception as exc:  # a case's failure is its row; the sweep goes on
        row["status"] = STATUS_ERROR
        if isinstance(exc, InputError):
            row["error"] = f"{stage}: {exc}"
        else:
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            row["error"] = f"{stage}: {last}"
    if out is not None and done:
        try:
            row.update(evaluate(job.metrics, out, done))
        except Exception as exc:
            row["status"] = STATUS_ERROR
            row["error"] = f"metrics: {traceback.format_exception_only(type(exc), exc)[-1].strip()}"
    for k, v in list(row.items()):
        if isinstance(v, float) and math.isnan(v):
            row[k] = None
    row["wall_s"] = time.perf_counter() - t0
    return row


def _run_stage(stage: str, out) -> None:
    m = out.mission
    if stage == "propagate":
        from ..mission.run import propagate_mission

        out.propagation = propagate_mission(m)
    elif stage == "windows":
        from ..mission.stages import mission_windows

        out.windows = mission_windows(m, out.propagation.trajectory)
    elif stage == "schedule":
        from ..mission.scheduling_problem import build_problem, solve_mission

        out.problem = build_problem(m, out.windows, out.propagation.trajectory)
        out.schedule = solve_mission(m, out.problem)
    else:  # pragma: no cover - spec.STAGES is checked when the sweep is read
        raise ValueError(stage)


def run_chunk(job, tasks) -> list[dict]:
    """Rows of a chunk of cases ``[(index, key, values), ...]`` (run on a worker, after
    :func:`prepare_worker`)."""
    prepare_worker()
    return [run_case(job, i, k, v) for i, k, v in tasks]


def worker_settings(environ) -> dict:
    """What :func:`prepare_worker` changes in a worker with environment ``environ``:
    ``mmap_threshold_bytes`` (``WORKER_MMAP_THRESHOLD_BYTES`` when ``MALLOC_TRIM_THRESHOLD_``
    is set and ``MALLOC_MMAP_THRESHOLD_`` is not, else None) and ``numba_threads`` (the
    worker's ``OMP_NUM_THREADS``, which Dask's nanny sets to 1 — one thread per task thread —
    but numba's parallel loops do not read; None when ``NUMBA_NUM_THREADS`` is set or
    ``OMP_NUM_THREADS`` is not a positive integer)."""
    mmap = None
    if "MALLOC_TRIM_THRESHOLD_" in environ and "MALLOC_MMAP_THRESHOLD_" not in environ:
        mmap = WORKER_MMAP_THRESHOLD_BYTES
    threads = None
    omp = str(environ.get("OMP_NUM_THREADS", "")).strip()
    if "NUMBA_NUM_THREADS" not in environ and omp.isdigit() and int(omp) > 0:
        threads = int(omp)
    return {"mmap_threshold_bytes": mmap, "numba_threads": threads}


_MMAP_SET = False


def prepare_worker() -> dict:
    """Tune this worker process for the sweep's cases (:func:`worker_settings` of
    ``os.environ``): the glibc mmap threshold (once per process; Linux only) and the numba
    threads of the calling thread (numba's setting is per thread). Measured in a 2-worker
    LocalCluster on 2 cores, 30-day 50-target cases: the task thread's CPU per case 1.16–1.22 →
    0.81–0.83 s with the mmap threshold, and numba's second thread (0.06 s per case, mostly
    waiting, while the other worker holds the other core) gone with one thread."""
    global _MMAP_SET
    todo = worker_settings(os.environ)
    if todo["mmap_threshold_bytes"] and not _MMAP_SET and sys.platform.startswith("linux"):
        try:
            import ctypes

            mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
            if mallopt is not None:
                mallopt(_M_MMAP_THRESHOLD, todo["mmap_threshold_bytes"])
        except OSError:  # pragma: no cover - no C library to load
            pass
        _MMAP_SET = True
    if todo["numba_threads"]:
        import numba

        numba.set_num_threads(min(todo["numba_threads"], numba.config.NUMBA_NUM_THREADS))
    return todo


# ====================================================================== the table


def column_types(cases, metric_columns) -> dict:
    """Column → pyarrow type: ``case`` int64, each varied path (int64, float64, bool or
    string from its values), ``case_key``, metrics float64, ``status``, ``error``, ``wall_s``."""
    import pyarrow as pa

    types = {"case": pa.int64()}
    paths = list(cases[0].values) if cases else []
    for p in paths:
        vals = [c.values[p] for c in cases]
        if all(isinstance(v, bool) for v in vals):
            types[p] = pa.bool_()
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            types[p] = pa.int64()
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            types[p] = pa.float64()
        else:
            types[p] = pa.string()
    types["case_key"] = pa.string()
    for c in metric_columns:
        types[c] = pa.float64()
    types["status"] = pa.string()
    types["error"] = pa.string()
    types["wall_s"] = pa.float64()
    return types


def _cell(v, t):
    import pyarrow as pa

    if v is None:
        return None
    if t == pa.string() and not isinstance(v, str):
        return json.dumps(v, sort_keys=True, default=str) if isinstance(v, (list, dict)) else str(v)
    if t == pa.float64():
        return float(v)
    return v


def rows_table(rows, types: dict):
    import pyarrow as pa

    schema = pa.schema([(name, t) for name, t in types.items()])
    cols = {name: [_cell(r.get(name), t) for r in rows] for name, t in types.items()}
    return pa.table(cols, schema=schema)


def write_atomic(table, path: str) -> None:
    """Write ``table`` to ``path`` through a temporary file in the same folder and a rename."""
    import pyarrow.parquet as pq

    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_parts(out_dir: str):
    """Every row of the Parquet parts in ``<out_dir>/cases`` (a pyarrow Table or None);
    leftover temporary files of an interrupted writer are removed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = os.path.join(out_dir, PARTS_DIR)
    if not os.path.isdir(d):
        return None
    tables = []
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if name.endswith(".tmp"):
            os.remove(p)
        elif name.endswith(".parquet"):
            try:
                tables.append(pq.read_table(p))
            except (OSError, pa.ArrowInvalid) as exc:
                raise InputError(
                    "-o", f"{p} is not a readable Parquet part ({exc}); remove it to rerun its cases"
                ) from None
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def final_table(cases, types: dict, rows_by_key: dict):
    """The sweep's table: one row per case in case order (case index and varied values from
    the current sweep, the rest from its row)."""
    rows = []
    for c in cases:
        r = dict(rows_by_key[c.key])
        r["case"] = c.index
        r.update(c.values)
        rows.append(r)
    return rows_table(rows, types)


# ====================================================================== the client side


def done_rows(out_dir, cases) -> dict:
    """case_key → row of the cases of ``cases`` that already have a row in ``out_dir``."""
    rows: dict = {}
    if out_dir is None:
        return rows
    os.makedirs(os.path.join(out_dir, PARTS_DIR), exist_ok=True)
    old = read_parts(out_dir)
    if old is not None:
        wanted = {c.key for c in cases}
        for r in old.to_pylist():
            if r.get("case_key") in wanted and r["case_key"] not in rows:
                rows[r["case_key"]] = r
    return rows


def _chunk_size(case_s: float, remaining: int, n_workers: int) -> int:
    """Cases per task from the measured case time (see the module docstring)."""
    want = math.ceil(max(1, n_workers) * TASK_OVERHEAD_S / (MAX_OVERHEAD_FRACTION * max(case_s, 1e-9)))
    balance = max(1, remaining // (CHUNKS_PER_WORKER * max(1, n_workers)))
    return int(max(1, min(want, balance, MAX_CHUNK_CASES)))


def _part_name(tasks) -> str:
    h = hashlib.sha256("".join(k for _, k, _ in tasks).encode()).hexdigest()[:24]
    return f"part-{h}.parquet"


def open_client(scheduler: str | None = None, workers: int | None = None):
    """``(client, cluster)``: a Client of the cluster at ``scheduler`` (``tcp://host:port`` or a
    scheduler file), else of a new LocalCluster with ``workers`` processes (default: one per
    core), one thread each, with ``LOCAL_CLUSTER_CONFIG``. ``cluster`` is None for an
    existing cluster."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            if os.path.exists(scheduler):
                return Client(scheduler_file=scheduler, timeout="20s"), None
            if "://" not in scheduler:
                raise InputError(
                    "--scheduler", f"{scheduler!r} is neither a scheduler file nor an address tcp://host:port"
                )
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("--scheduler", f"cannot reach the Dask scheduler {scheduler!r} ({exc})") from None
    import dask

    n = workers or os.cpu_count() or 1
    with warnings.catch_warnings(), dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies keep a copy
        warnings.simplefilter("ignore")  # no bokeh: dashboard unavailable
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        )
    return Client(cluster), cluster


def dashboard_address(client) -> str | None:
    """The Dask dashboard's URL, or None when the scheduler serves none (bokeh missing)."""
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:
        return None
    return client.dashboard_link if "dashboard" in services else None


def execute(sweep, cases, types, client, out_dir=None, progress=None, chunk_size=None, done=None) -> dict:
    """Run every case not already in ``out_dir`` on ``client``; returns key → row of every
    case. ``progress(done, total, errors, elapsed_s, eta_s)`` is called as chunks finish;
    ``done``: the rows already read by :func:`done_rows` (else read here)."""
    from distributed import as_completed

    rows_by_key = done_rows(out_dir, cases) if done is None else dict(done)
    todo = [(c.index, c.key, c.values) for c in cases if c.key not in rows_by_key]
    total, t0 = len(cases), time.perf_counter()
    skipped = len(cases) - len(todo)
    errors = sum(1 for r in rows_by_key.values() if r.get("status") == STATUS_ERROR)
    if progress:
        progress(len(rows_by_key), total, errors, 0.0, None)
    if not todo:
        return rows_by_key
    job = client.scatter(sweep, broadcast=True, hash=False)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    fixed = chunk_size or sweep.chunk_size
    first = fixed or 1
    wave = todo[: (len(todo) if fixed else n_workers) * first]
    rest = todo[len(wave) :]
    futures = {}
    pending = as_completed()
    run_token = os.urandom(4).hex()  # task keys unique to this run, even for the same cases

    def submit(tasks):
        f = client.submit(run_chunk, job, tasks, pure=False, key=f"sweep-{run_token}-{_part_name(tasks)[5:-8]}")
        futures[f.key] = (f, tasks)
        pending.add(f)

    for k in range(0, len(wave), first):
        submit(wave[k : k + first])
    case_times: list = []
    try:
        for fut in pending:
            _, tasks = futures.pop(fut.key)
            lost = False
            try:
                rows = fut.result()
            except Exception as exc:  # the task itself failed (e.g. its workers kept dying)
                msg = traceback.format_exception_only(type(exc), exc)[-1].strip()
                rows = [
                    {"case": i, "case_key": k, **v, "status": STATUS_ERROR, "error": f"task: {msg}", "wall_s": None}
                    for i, k, v in tasks
                ]
                lost = True  # not written: the next run tries these cases again
            fut.release()
            if out_dir is not None and not lost:
                write_atomic(rows_table(rows, types), os.path.join(out_dir, PARTS_DIR, _part_name(tasks)))
            for r in rows:
                rows_by_key[r["case_key"]] = r
                errors += r.get("status") == STATUS_ERROR
                if r.get("wall_s") is not None:
                    case_times.append(r["wall_s"])
            if rest and not fixed:  # the first finished case sets the chunk size (an upper bound:
                # it includes the worker's warm-up, so chunks err on the small side)
                case_s = float(np.median(case_times)) if case_times else 1.0
                size = _chunk_size(case_s, len(rest), n_workers)
                for k in range(0, len(rest), size):
                    submit(rest[k : k + size])
                rest = []
            if progress:
                done = len(rows_by_key)
                elapsed = time.perf_counter() - t0
                fresh = done - skipped
                eta = elapsed / fresh * (total - done) if fresh else None
                progress(done, total, errors, elapsed, eta)
    finally:
        if futures:
            client.cancel([f for f, _ in futures.values()])
    return rows_by_key
