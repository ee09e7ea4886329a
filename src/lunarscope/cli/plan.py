"""``lunarscope plan MISSION.yaml -o OUTDIR``: the whole pipeline and the report."""

from __future__ import annotations

import os
import sys

from .options import add_solver_options, check_solver_options


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
    add_solver_options(p)
    p.set_defaults(run=run)


def run(args) -> int:

    from ..io.tables import check_output_folder
    from ..mission import load_mission
    from ..mission.plan import run_plan, summary_table

    check_solver_options(args)
    check_output_folder(args.output, "-o")
    mission = load_mission(args.mission)
    result = run_plan(mission, args.output, solver=args.solver, time_limit_s=args.time_limit)
    print(summary_table(result), file=sys.stderr)
    print(f"report: {os.path.join(args.output, 'report.html')}", file=sys.stderr)
    return 0
