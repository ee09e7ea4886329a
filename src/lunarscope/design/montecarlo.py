"""Seeded Monte Carlo runs on forked worker processes (the station-keeping budgets).

Run k draws from ``numpy.random.default_rng([seed, k])``, so the same seed gives the same numbers
on any number of workers. The run function and what it reads are set in the parent just before
the workers fork: nothing but the run index and the result is pickled.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ..errors import InputError

#: Fewest runs for which worker processes are started (below: in this process).
PARALLEL_MIN_RUNS = 2
#: Most runs of one Monte Carlo.
MAX_RUNS = 10_000

# Set in the parent just before the workers fork; one Monte Carlo at a time.
_SHARED: dict = {}
_LOCK = threading.Lock()


def _one(k: int):
    s = _SHARED
    rng = np.random.default_rng([int(s["seed"]), int(k)])
    try:
        return k, s["run"](rng), None
    except InputError as exc:  # crosses the process boundary as (field, problem)
        return k, None, (exc.field, exc.problem)


def run_seeded(run, runs: int, seed: int = 1, workers: int | None = None, progress=None, warm=None) -> list:
    """``[run(rng_0), ..., run(rng_{runs-1})]`` with ``rng_k = default_rng([seed, k])``, on up to
    ``workers`` forked processes (default: the cores available). ``warm()`` runs once in this
    process before forking (compile the kernels once, not in every worker); ``progress(done,
    total)`` after each run. An ``InputError`` of run k is raised here, naming the run."""
    from ..dynamics.batch import default_workers

    runs = int(runs)
    if not 1 <= runs <= MAX_RUNS:
        raise InputError("runs", f"{runs} must be in 1 .. {MAX_RUNS}")
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise InputError("workers", f"{workers} must be >= 1")
    workers = min(workers, runs)
    out: list = [None] * runs
    with _LOCK:
        _SHARED.clear()
        _SHARED.update({"run": run, "seed": seed})
        pool = None
        try:
            if workers == 1 or runs < PARALLEL_MIN_RUNS or "fork" not in mp.get_all_start_methods():
                results = map(_one, range(runs))
            else:
                if warm is not None:
                    warm()
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
                results = pool.map(_one, range(runs))
            for n, (k, row, errinfo) in enumerate(results, 1):
                if errinfo is not None:
                    raise InputError(errinfo[0], f"Monte Carlo run {k}: {errinfo[1]}")
                out[k] = row
                if progress is not None:
                    progress(n, runs)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            _SHARED.clear()
    return out
