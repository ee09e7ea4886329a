"""``lunarscope plan MISSION.yaml -o OUTDIR``: the whole pipeline and the report."""

from __future__ import annotations

import os
import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="propagate, find windows, schedule, and write the report",
        description="Run propagate → windows → schedule on a mission file and write "
        "report.html, trajectory.oem, windows.csv, schedule.csv, "
        "summary.json, mission.czml and the IVOA ObsLocTAP table (obsloctap.vot, obsloctap.csv) into OUTDIR.",
    )
    p.add_argument("mission", help="mission YAML file")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--solver", choices=["greedy", "cpsat"], default=None, help="override scheduling.solver")
    p.add_argument("--time-limit", type=float, default=None, help="override scheduling.time_limit_s")
    p.set_defaults(run=run)


def run(args) -> int:
    import math

    from ..errors import InputError
    from ..io.tables import check_output_folder
    from ..mission import load_mission
    from ..mission.plan import run_plan, summary_table

    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise InputError("--time-limit", f"{args.time_limit} must be a finite number of seconds > 0")
    check_output_folder(args.output, "-o")
    mission = load_mission(args.mission)
    result = run_plan(mission, args.output, solver=args.solver, time_limit_s=args.time_limit)
    print(summary_table(result), file=sys.stderr)
    print(f"report: {os.path.join(args.output, 'report.html')}", file=sys.stderr)
    return 0
