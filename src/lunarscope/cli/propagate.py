"""``lunarscope propagate MISSION.yaml -o traj.oem [--step S]``."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "propagate",
        help="propagate the mission orbit and write a CCSDS OEM",
        description="Propagate the orbit of a mission file (force model, integrator "
        "settings, maneuvers) and write the trajectory as CCSDS OEM (KVN).",
    )
    p.add_argument("mission", help="mission YAML file")
    p.add_argument("-o", "--output", required=True, help="OEM file to write")
    p.add_argument(
        "--step", type=float, default=None, help="seconds between OEM states (default: propagator.output_step_s, 60 s)"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    import math

    from ..errors import InputError
    from ..io.tables import check_output_file
    from ..mission import load_mission
    from ..mission.run import Progress, propagate_mission, propagation_summary
    from ..time import check_grid_size

    if args.step is not None and not (math.isfinite(args.step) and args.step > 0):
        raise InputError("--step", f"{args.step} must be a finite number of seconds > 0")
    check_output_file(args.output, "-o")
    mission = load_mission(args.mission)
    step = args.step or mission.propagator.output_step_s
    check_grid_size(mission.t_start, mission.t_stop, step, "--step" if args.step else "propagator.output_step_s")
    prog = Progress("propagate")
    result = propagate_mission(mission, prog)
    print(mission.describe(), file=sys.stderr)  # after the first possible refusal (kernel coverage)
    result.trajectory.write_oem(
        args.output, step, comments=[f"lunarscope propagate {args.mission}", mission.describe()]
    )
    summ = propagation_summary(mission, result, step)
    prog.done(f"{summ['steps']} steps")
    print(
        f"altitude {summ['altitude_min_km']:.1f} .. {summ['altitude_max_km']:.1f} km "
        f"(minimum at {summ['altitude_min_utc']})",
        file=sys.stderr,
    )
    if summ["impact_utc"]:
        print(f"IMPACT at {summ['impact_utc']}", file=sys.stderr)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
