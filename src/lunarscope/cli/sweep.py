"""``lunarscope sweep SWEEP.yaml -o results/ [--scheduler ADDRESS | --workers N]``."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run many variants of a mission on a Dask cluster (a trade study)",
        description="Run every case of a sweep file (a base mission, the keys to vary, the "
        "stages and metrics; docs/sweep.md) on a local Dask cluster or an existing one, "
        "streaming one row per case into results/cases/*.parquet; the table is written "
        "to results/sweep.parquet. A rerun skips the cases already done.",
    )
    p.add_argument("sweep", help="sweep YAML file")
    p.add_argument("-o", "--output", required=True, help="results folder (created; reused to resume)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", default=None, help="address (tcp://host:8786) or scheduler file of an existing Dask cluster"
    )
    where.add_argument(
        "--workers", type=int, default=None, help="processes of the local cluster (default: one per core)"
    )
    p.add_argument("--chunk-size", type=int, default=None, help="cases per task (default: from the measured case time)")
    p.set_defaults(run=run)


class _ProgressLine:
    """``sweep: 12/48 cases, 1 error, 10 s, ETA 30 s`` on standard error (one updating line on
    a terminal, a line per 10 % otherwise)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self._last = -1

    def __call__(self, done, total, errors, elapsed_s, eta_s):
        step = int(10 * done / total) if total else 10
        if not self.tty and step == self._last and done < total:
            return
        self._last = step
        err = f", {errors} error{'s' if errors != 1 else ''}" if errors else ""
        eta = "" if eta_s is None or done >= total else f", ETA {eta_s:.0f} s"
        text = f"sweep: {done}/{total} cases{err}, {elapsed_s:.0f} s{eta}"
        if self.tty:
            self.stream.write(f"\r{text}\033[K" + ("\n" if done >= total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def run(args) -> int:
    import os

    from ..errors import InputError
    from ..io.tables import check_output_folder
    from ..sweep import Sweep
    from ..sweep.report import REPORT_NAME
    from ..sweep.run import PARTS_DIR, TABLE_NAME

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", f"{args.workers} must be >= 1")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError("--chunk-size", f"{args.chunk_size} must be >= 1")
    check_output_folder(args.output, "-o")
    if args.scheduler and not os.path.exists(args.scheduler) and "://" not in args.scheduler:
        raise InputError(
            "--scheduler", f"{args.scheduler!r} is neither a scheduler file nor an address tcp://host:port"
        )
    sweep = Sweep.from_yaml(args.sweep)
    cases = sweep.cases()  # every case validated before any work
    spec = sweep.spec
    print(
        f"sweep: {len(cases)} cases ({spec.sample.method}), stages {', '.join(spec.stages)}, "
        f"{len(spec.metrics)} metrics",
        file=sys.stderr,
    )

    def on_start(client):
        from ..sweep.run import dashboard_address

        n = len(client.scheduler_info().get("workers", {}))
        link = dashboard_address(client)
        where = args.scheduler or "local cluster"
        workers = f"{n} worker{'s' if n != 1 else ''}"
        print(f"dask: {where}, {workers}; dashboard: {link or 'not served (install bokeh)'}", file=sys.stderr)

    table = sweep.run(
        out=args.output,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=_ProgressLine(),
        on_start=on_start,
        chunk_size=args.chunk_size,
        as_arrow=True,
    )
    status = table.column("status").to_pylist()
    errors = sum(1 for s in status if s != "ok")
    print(
        f"wrote {os.path.join(args.output, TABLE_NAME)} ({len(status)} cases, {errors} with errors; "
        f"parts in {os.path.join(args.output, PARTS_DIR)}) and {os.path.join(args.output, REPORT_NAME)}",
        file=sys.stderr,
    )
    return 0
