"""``lunarscope replan OUTDIR --add too.yaml --at TIME [--frozen 24h] [-o NEWDIR]``: targets of
opportunity added to a finished plan (docs/replan.md)."""

from __future__ import annotations

import sys

from .options import add_solver_options, check_solver_options


def add_parser(sub) -> None:
    p = sub.add_parser(
        "replan",
        help="add targets of opportunity to a plan from a time on",
        description="Re-plan a 'lunarscope plan' output folder after a trigger at TIME: what is already "
        "uplinked stays (commanding section: uplink stations, lead time; --frozen), the rest is planned "
        "again with the new requests of the ToO file, warm-started from the old plan. Writes a full "
        "output folder as plan does, with diff.csv.",
    )
    p.add_argument("outdir", metavar="OUTDIR", help="output folder of 'lunarscope plan'")
    p.add_argument("--add", required=True, metavar="TOO.yaml", help="targets and requests to add (mission-file format)")
    p.add_argument("--at", required=True, metavar="TIME", help="trigger time (the mission file's time forms)")
    p.add_argument(
        "--frozen", default=None, metavar="DURATION", help="keep at least this after TIME (default commanding.frozen)"
    )
    p.add_argument("-o", "--output", default=None, help="new output folder (default OUTDIR-replan-<UTC of TIME>)")
    p.add_argument(
        "--least-change",
        action="store_true",
        help="do not re-optimise: keep the old plan after the cut too, only making room for the ToO's first visits",
    )
    add_solver_options(p)
    p.set_defaults(run=run)


def run(args) -> int:

    from ..mission.commanding import duration_or_zero
    from ..mission.replan import replan_table, run_replan
    from .windows import check_input_file

    check_solver_options(args)
    frozen = None if args.frozen is None else duration_or_zero(args.frozen, "--frozen")
    check_input_file(args.add, "--add")
    result = run_replan(
        args.outdir,
        args.add,
        args.at,
        frozen_s=frozen,
        newdir=args.output,
        solver=args.solver,
        time_limit_s=args.time_limit,
        minimal=args.least_change,
    )
    print(replan_table(result), file=sys.stderr)
    print(f"new plan: {result.outdir} (diff.csv, report.html)", file=sys.stderr)
    return 0
