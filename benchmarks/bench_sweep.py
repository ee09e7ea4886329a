"""Benchmark: the sweep's per-task overhead on dask.distributed, and its throughput.

    python benchmarks/bench_sweep.py --overhead                 # per-task overhead only (~20 s)
    python benchmarks/bench_sweep.py --cases 24                 # + 2 workers vs a serial loop
    python benchmarks/bench_sweep.py --cases 1000 --days 30 --targets 50   # the issue-13 figure
    python benchmarks/bench_sweep.py --cases 200 --days 30 --targets 50 --untuned  # Dask defaults

The cluster is the sweep's own (``sweep.run.open_client``: ``LOCAL_CLUSTER_CONFIG``, and each
task tunes its worker, ``sweep.run.prepare_worker``). ``--untuned`` runs it as it was before
that tuning: a LocalCluster with Dask's defaults (statistical profiler, 20 ms tick) whose
workers' environment sets ``MALLOC_MMAP_THRESHOLD_=131072`` (the threshold Dask's
``MALLOC_TRIM_THRESHOLD_`` leaves frozen) and ``NUMBA_NUM_THREADS`` = cores, which
``prepare_worker`` then leaves alone — the same code with the before/after switch outside it.

Per-task overhead: ``--tasks`` no-op tasks, each with a ~1 kB argument like a chunk's case
list, submitted at once to a LocalCluster of ``--workers`` one-thread processes and gathered
as they complete (``as_completed``, as the sweep does): (wall − one warm-up round) / tasks,
minimum of ``--rounds``. ``sweep.run.TASK_OVERHEAD_S`` is set from this figure.

Throughput: the same ``--cases`` quick-look cases of ``--days`` days (ELFO RAAN spread,
propagate + windows; ``--targets N`` replaces the 5 targets with the first N of the shipped
99-target catalogue) run as a sweep on the cluster and then in a serial loop of
``sweep.run.run_case`` in this process (the two-worker part first, so that it is the part
that sees the quietest machine); cases per hour of each (cluster start excluded, its workers warmed by one case each
first) and the scheduler's memory (RSS) after the sweep (with a LocalCluster the scheduler
runs in this process, so that RSS includes the client with lunarscope loaded). On shared, busy cores the wall-clock
ratio understates what idle cores give: the CPU seconds of the serial loop and of the workers
are printed too, and serial CPU / (worker CPU / workers) is the ratio idle cores would show.

Scale model (printed after the throughput): from the measured cost per case c (the serial
loop's mean), the per-task overhead o and the client's cost of one Parquet part p_w and its
size per case (the sweep's own ``rows_table`` / ``write_atomic`` on the serial rows), the
projected wall time of N cases on W workers in chunks of k cases (``sweep.run._chunk_size``):
    T = max(N c / W + (N / k) o / W,  (N / k)(o + p_w)) + start,
the first term the workers' share, the second the serial part at the scheduler and the
client (taking all of o as serial at the scheduler is the pessimistic reading). It is a
projection from one machine's numbers, not a measurement of a 100-worker cluster.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


#: glibc's mmap threshold in bytes that Dask's ``MALLOC_TRIM_THRESHOLD_`` leaves in a worker
#: (the 128 KiB start of the dynamic threshold, frozen): the ``--untuned`` workers get it.
UNTUNED_MMAP_THRESHOLD_BYTES = 128 * 1024


def _load() -> str:
    """The 1, 5 and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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


def _sweep(vary: dict, fixed: dict) -> dict:
    from sweep_helpers import tiny_sweep

    raw = tiny_sweep(vary)
    raw["set"] = {**raw["set"], **fixed}
    return raw


def _first_targets(n: int) -> str:
    """A temporary copy of the shipped catalogue with its first ``n`` targets; its path."""
    import tempfile

    lines = open(os.path.join(ROOT, "examples", "catalogues", "telescope_targets.csv")).read().splitlines()
    head = next(i for i, line in enumerate(lines) if not line.startswith("#"))  # the column row
    path = os.path.join(tempfile.mkdtemp(prefix="bench_sweep_"), f"targets_{n}.csv")
    with open(path, "w") as f:
        f.write("\n".join(lines[: head + 1 + n]) + "\n")
    return path


def part_cost(sweep, rows, k: int, repeats: int = 20) -> tuple[float, float]:
    """(seconds per Parquet part of ``k`` rows written by the sweep's own writer, bytes per row)."""
    import tempfile

    from lunarscope.sweep.run import rows_table, write_atomic

    table = rows_table(rows[:k], sweep._types)
    folder = tempfile.mkdtemp(prefix="bench_sweep_parts_")
    best = float("inf")
    for j in range(repeats):
        path = os.path.join(folder, f"part-{j}.parquet")
        t0 = time.perf_counter()
        write_atomic(table, path)
        best = min(best, time.perf_counter() - t0)
    return best, os.path.getsize(path) / k


def projection(n: int, workers: int, case_s: float, overhead_s: float, part_s: float, start_s: float = 60.0):
    """(wall s, chunk size) of ``n`` cases on ``workers`` workers by the module's scale model."""
    from lunarscope.sweep.run import _chunk_size

    k = _chunk_size(case_s, n, workers)
    tasks = n / k
    return max(n * case_s / workers + tasks * overhead_s / workers, tasks * (overhead_s + part_s)) + start_s, k


def main() -> None:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--overhead", action="store_true", help="measure the per-task overhead only")
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--days", type=float, default=1.0, help="length of each case (days)")
    ap.add_argument("--targets", type=int, default=None, help="first N catalogue targets")
    ap.add_argument("--untuned", action="store_true", help="Dask's defaults, the workers untuned (before issue 13)")
    args = ap.parse_args()
    if args.untuned:
        env = {"MALLOC_MMAP_THRESHOLD_": str(UNTUNED_MMAP_THRESHOLD_BYTES), "NUMBA_NUM_THREADS": str(os.cpu_count())}
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None, env=env)
        client = Client(cluster)
    else:
        from lunarscope.sweep.run import open_client

        client, cluster = open_client(workers=args.workers)
    print(f"cluster: {'untuned (Dask defaults)' if args.untuned else 'sweep.run.open_client (tuned)'}; load {_load()}")
    with cluster:
        with client:
            oh = overhead(client, args.tasks, args.rounds)
            print(f"per-task overhead: {1e3 * oh:.2f} ms ({args.workers} workers, {args.tasks} no-op tasks)")
            if args.overhead:
                return
            sys.path.insert(0, os.path.join(ROOT, "tests", "sweep"))

            from lunarscope.sweep import Sweep
            from lunarscope.sweep.run import run_case

            fixed = {"duration": f"{args.days:g} d"}
            if args.targets:
                fixed["targets"] = {"catalogue": _first_targets(args.targets)}
            raans = [360.0 * k / args.cases for k in range(args.cases)]
            sweep = Sweep.from_dict(_sweep({"orbit.elements.raan_deg": raans}, fixed))
            cases = sweep.cases()
            warm = Sweep.from_dict(_sweep({"orbit.elements.raan_deg": [1.0 + k for k in range(args.workers)]}, fixed))
            warm.run(client, chunk_size=1)
            run_case(sweep.spec, cases[0].index, cases[0].key, cases[0].values)  # warm this process
            w0 = _worker_cpu(client)
            t0 = time.perf_counter()
            table = sweep.run(client)
            t_par = time.perf_counter() - t0
            cpu_par = _worker_cpu(client) - w0
            t0, c0 = time.perf_counter(), time.process_time()
            serial = [run_case(sweep.spec, c.index, c.key, c.values) for c in cases]
            t_serial, cpu_serial = time.perf_counter() - t0, time.process_time() - c0
            mem = client.run_on_scheduler(lambda: __import__("psutil").Process().memory_info().rss)
            same = all(
                a["eclipse_fraction"] == b and a["altitude_min_km"] == c
                for a, b, c in zip(serial, table["eclipse_fraction"], table["altitude_min_km"])
            )
            n = args.cases
            print(f"serial loop: {n} cases in {t_serial:.1f} s = {3600 * n / t_serial:,.0f} cases/h")
            print(f"sweep, {args.workers} workers: {t_par:.1f} s = {3600 * n / t_par:,.0f} cases/h")
            print(f"ratio {t_serial / t_par:.2f}x; same metrics: {same}; scheduler RSS {mem / 2**20:.0f} MiB")
            print(f"load after the run: {_load()}")
            idle = cpu_serial / (cpu_par / args.workers)
            print(
                f"CPU: serial {cpu_serial:.1f} s, workers {cpu_par:.1f} s in all; "
                f"ratio on idle cores (serial CPU / (worker CPU / workers)) {idle:.2f}x"
            )
            case_s = t_serial / n
            k = min(n, 10)
            part_s, row_bytes = part_cost(sweep, serial, k)
            print(
                f"scale model inputs: case {case_s:.3f} s, task overhead {1e3 * oh:.2f} ms, "
                f"Parquet part of {k} rows {1e3 * part_s:.2f} ms, {row_bytes:.0f} B per case"
            )
            for big_n, big_w in ((100_000, 100), (100_000, 1000)):
                wall, kk = projection(big_n, big_w, case_s, oh, part_s)
                print(
                    f"projection (not measured): {big_n:,} cases on {big_w} workers in chunks of {kk}: "
                    f"{wall / 60:.0f} min, table {big_n * row_bytes / 2**20:.0f} MiB"
                )


if __name__ == "__main__":
    main()
