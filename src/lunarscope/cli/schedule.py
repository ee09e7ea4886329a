"""``lunarscope schedule MISSION.yaml -o schedule.csv [--solver greedy|cpsat] [--time-limit S]
[--windows windows.csv] [--trajectory FILE.oem]``."""

from __future__ import annotations

import sys

from .options import add_solver_options, check_solver_options


def add_parser(sub) -> None:
    p = sub.add_parser(
        "schedule",
        help="plan observations, slews and downlinks",
        description="Schedule the mission's requests inside their visibility windows, "
        "with slews, the recorder and downlinks. Writes the activity table.",
    )
    p.add_argument("mission", help="mission YAML file")
    p.add_argument("-o", "--output", required=True, help="CSV file to write")
    add_solver_options(p)
    p.add_argument("--windows", default=None, help="windows CSV from 'lunarscope windows' (skip the search)")
    p.add_argument("--trajectory", default=None, help="OEM to use instead of propagating")
    p.set_defaults(run=run)


def load_trajectory(mission, path):
    """The mission trajectory: read from an OEM when given, else propagated (with progress)."""
    from ..mission.run import Progress, propagate_mission
    from .windows import load_mission_trajectory

    if path:
        return load_mission_trajectory(path, mission)
    prog = Progress("propagate")
    traj = propagate_mission(mission, prog).trajectory
    prog.done()
    return traj


def run(args) -> int:

    from ..io.tables import check_output_file, write_text
    from ..mission import load_mission
    from ..mission.run import Progress
    from ..mission.scheduling_problem import build_problem, read_windows_csv, solve_mission
    from ..mission.stages import mission_windows
    from ..scheduling.validate import validate
    from ..time import to_iso_utc
    from .windows import check_input_file

    check_solver_options(args)
    check_input_file(args.windows, "--windows")
    check_input_file(args.trajectory, "--trajectory")
    check_output_file(args.output, "-o")
    mission = load_mission(args.mission)
    ops = mission.operations
    traj = None
    if args.windows:
        windows = read_windows_csv(args.windows, mission.t_start, mission.t_stop, mission)
        if args.trajectory or ops.antenna == "body_fixed":
            traj = load_trajectory(mission, args.trajectory)
    else:
        traj = load_trajectory(mission, args.trajectory)
        prog = Progress("windows")
        windows = mission_windows(mission, traj)
        prog.done()
    problem = build_problem(mission, windows, traj)
    solver = args.solver or ops.solver
    prog = Progress(f"schedule ({solver})")
    sched = solve_mission(mission, problem, solver, args.time_limit, progress=prog)
    prog.done()
    problems = validate(sched, problem)
    if problems:  # a plan that breaks a rule is a bug, never an output
        raise RuntimeError("schedule failed validation: " + "; ".join(problems[:5]))
    write_text(args.output, sched.to_csv(lambda t: to_iso_utc(t, 3), problem))
    print_metrics(sched, problem, sys.stderr)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def print_metrics(sched, problem, stream) -> None:
    m = sched.metrics(problem)
    keys = [
        ("scheduler", "solver"),
        ("status", "solver status"),
        ("science_value", "science value"),
        ("relaxation_bound", "upper bound"),
        ("bound_source", "bound from"),
        ("fraction_of_relaxation_bound", "fraction of bound"),
        ("observing_efficiency", "observing efficiency"),
        ("requests_full", "requests fully done"),
        ("requests_partial", "requests partly done"),
        ("requests_none", "requests not done"),
        ("recorder_peak_mbit", "recorder peak, Mbit"),
        ("recorder_final_mbit", "recorder final, Mbit"),
        ("latency_mean_s", "data latency mean, s"),
        ("latency_max_s", "data latency max, s"),
    ]
    for k, label in keys:
        if k in m and m[k] is not None:
            v = m[k]
            if isinstance(v, float) and abs(v) < 1e-6:
                v = 0.0  # rounding residue of the recorder bookkeeping
            print(f"  {label:28s} {v:.4g}" if isinstance(v, float) else f"  {label:28s} {v}", file=stream)
    unsched = sched.unschedulable(problem)
    if unsched:
        print(f"  unscheduled requests ({len(unsched)}):", file=stream)
        for name, why in list(unsched.items())[:20]:
            print(f"    {name}: {why}", file=stream)
