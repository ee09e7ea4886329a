"""Benchmark: the sweep's per-task overhead on dask.distributed, and its throughput.

    python benchmarks/bench_sweep.py --overhead                 # per-task overhead only (~20 s)
    python benchmarks/bench_sweep.py --cases 24                 # + 2 workers vs a serial loop

Per-task overhead: ``--tasks`` no-op tasks, each with a ~1 kB argument like a chunk's case
list, submitted at once to a LocalCluster of ``--workers`` one-thread processes and gathered
as they complete (``as_completed``, as the sweep does): (wall − one warm-up round) / tasks,
minimum of ``--rounds``. ``sweep.run.TASK_OVERHEAD_S`` is set from this figure.

Throughput: the same ``--cases`` one-day quick-look cases (ELFO RAAN spread, propagate +
windows) run in a serial loop of ``sweep.run.run_case`` in this process and as a sweep on the
cluster; cases per hour of each (cluster start excluded, its workers warmed by one case each
first) and the scheduler's memory (RSS) after the sweep. On shared, busy cores the wall-clock
ratio understates what idle cores give: the CPU seconds of the serial loop and of the workers
are printed too, and serial CPU / (worker CPU / workers) is the ratio idle cores would show.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _noop(payload):
    return len(payload)


def _worker_cpu(client) -> float:
    """CPU seconds (user + system) used so far by all worker processes together."""

    def cpu():
        import psutil

        t = psutil.Process().cpu_times()
        return t.user + t.system

    return sum(client.run(cpu).values())


def overhead(client, tasks: int, rounds: int) -> float:
    from distributed import as_completed

    payload = [(k, "0" * 64, {"orbit.elements.raan_deg": float(k)}) for k in range(10)]
    best = float("inf")
    for _ in range(rounds + 1):
        t0 = time.perf_counter()
        futs = [client.submit(_noop, payload, pure=False) for _ in range(tasks)]
        for f in as_completed(futs):
            f.result()
        best = min(best, (time.perf_counter() - t0) / tasks)
    return best


def main() -> None:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--overhead", action="store_true", help="measure the per-task overhead only")
    ap.add_argument("--cases", type=int, default=24)
    args = ap.parse_args()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            oh = overhead(client, args.tasks, args.rounds)
            print(f"per-task overhead: {1e3 * oh:.2f} ms ({args.workers} workers, {args.tasks} no-op tasks)")
            if args.overhead:
                return
            sys.path.insert(0, os.path.join(ROOT, "tests", "sweep"))
            from sweep_helpers import tiny_sweep

            from lunarscope.sweep import Sweep
            from lunarscope.sweep.run import run_case

            raans = [360.0 * k / args.cases for k in range(args.cases)]
            sweep = Sweep.from_dict(tiny_sweep({"orbit.elements.raan_deg": raans}))
            cases = sweep.cases()
            warm = Sweep.from_dict(tiny_sweep({"orbit.elements.raan_deg": [1.0 + k for k in range(args.workers)]}))
            warm.run(client, chunk_size=1)
            run_case(sweep.spec, cases[0].index, cases[0].key, cases[0].values)  # warm this process
            t0, c0 = time.perf_counter(), time.process_time()
            serial = [run_case(sweep.spec, c.index, c.key, c.values) for c in cases]
            t_serial, cpu_serial = time.perf_counter() - t0, time.process_time() - c0
            w0 = _worker_cpu(client)
            t0 = time.perf_counter()
            table = sweep.run(client)
            t_par = time.perf_counter() - t0
            cpu_par = _worker_cpu(client) - w0
            mem = client.run_on_scheduler(lambda: __import__("psutil").Process().memory_info().rss)
            same = all(
                a["eclipse_fraction"] == b and a["altitude_min_km"] == c
                for a, b, c in zip(serial, table["eclipse_fraction"], table["altitude_min_km"])
            )
            n = args.cases
            print(f"serial loop: {n} cases in {t_serial:.1f} s = {3600 * n / t_serial:,.0f} cases/h")
            print(f"sweep, {args.workers} workers: {t_par:.1f} s = {3600 * n / t_par:,.0f} cases/h")
            print(f"ratio {t_serial / t_par:.2f}x; same metrics: {same}; scheduler RSS {mem / 2**20:.0f} MiB")
            idle = cpu_serial / (cpu_par / args.workers)
            print(
                f"CPU: serial {cpu_serial:.1f} s, workers {cpu_par:.1f} s in all; "
                f"ratio on idle cores (serial CPU / (worker CPU / workers)) {idle:.2f}x"
            )


if __name__ == "__main__":
    main()
