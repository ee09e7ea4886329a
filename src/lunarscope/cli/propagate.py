"""``lunarscope propagate MISSION.yaml -o traj.oem [--step S]``; with a ``batch:`` section
``-o`` is a folder: one OEM per orbit and ``batch_summary.csv`` (docs/cli.md#propagate)."""

from __future__ import annotations

import sys

#: Name of the per-orbit summary table written next to the OEM files of a batch.
BATCH_SUMMARY_FILE = "batch_summary.csv"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "propagate",
        help="propagate the mission orbit and write a CCSDS OEM",
        description="Propagate the orbit of a mission file (force model, integrator "
        "settings, maneuvers) and write the trajectory as CCSDS OEM (KVN).",
    )
    p.add_argument("mission", help="mission YAML file")
    p.add_argument("-o", "--output", required=True, help="OEM file to write (a folder when the mission has batch:)")
    p.add_argument(
        "--step", type=float, default=None, help="seconds between OEM states (default: propagator.output_step_s, 60 s)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="threads for a batch: mission (default: all available cores)"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    import math
    import os

    from ..errors import InputError
    from ..io.tables import check_output_file
    from ..mission import load_mission
    from ..mission.run import Progress, propagate_mission, propagation_summary
    from ..time import check_grid_size

    if args.step is not None and not (math.isfinite(args.step) and args.step > 0):
        raise InputError("--step", f"{args.step} must be a finite number of seconds > 0")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", f"{args.workers} must be >= 1")
    if not os.path.isdir(args.output):  # a folder is -o only for a batch: mission (checked below)
        check_output_file(args.output, "-o")
    mission = load_mission(args.mission)
    step = args.step or mission.propagator.output_step_s
    check_grid_size(mission.t_start, mission.t_stop, step, "--step" if args.step else "propagator.output_step_s")
    if mission.batch is not None:
        return run_batch(args, mission, step)
    check_output_file(args.output, "-o")
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


def run_batch(args, mission, step: float) -> int:
    """The ``batch:`` orbits through ``propagate_many`` on ``--workers`` threads; OEMs and the
    summary are written into a staging folder beside ``-o`` and moved in only when all are written
    (an error or Ctrl-C removes it: nothing half-written)."""
    import os
    import shutil
    import tempfile

    from ..dynamics.batch import propagate_many
    from ..io.tables import atomic_write, check_output_folder
    from ..mission.run import Progress, propagation_summary
    from ..time import to_iso_utc

    batch = mission.batch
    check_output_folder(args.output, "-o")
    pr = mission.propagator
    prog = Progress(f"propagate {len(batch)} orbits")
    results = propagate_many(
        batch.states0_icrf,
        mission.t_start,
        mission.t_stop,
        mission.force_model,
        **pr.integrator_kwargs(),
        names=batch.names,
        workers=args.workers,
        progress=lambda done, total: prog(done / total),
    )
    print(f"{mission.describe()}; {len(batch)} orbits from {batch.source}", file=sys.stderr)  # after the refusals
    out = os.path.abspath(args.output)
    stage = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.", suffix=".part", dir=os.path.dirname(out))
    try:
        header = (
            "name,status,impact_utc,altitude_min_km,altitude_max_km,end_utc,x_km,y_km,z_km,vx_kms,vy_kms,vz_kms,steps"
        )
        rows, impacts = [header], 0
        comments = [f"lunarscope propagate {args.mission} (batch)", mission.describe()]
        for name, res in zip(batch.names, results):
            traj = res.trajectory
            traj.write_oem(os.path.join(stage, f"{name}.oem"), step, comments=comments)
            summ = propagation_summary(mission, res, step)
            impacts += res.impact_time is not None
            end = traj.state([traj.t_stop])[0]
            rows.append(
                ",".join(
                    [
                        name,
                        "impact" if res.impact_time is not None else "ok",
                        summ["impact_utc"] or "",
                        f"{summ['altitude_min_km']:.3f}",
                        f"{summ['altitude_max_km']:.3f}",
                        to_iso_utc(traj.t_stop)[0],
                        *(f"{v:.9f}" for v in end),
                        str(res.n_steps),
                    ]
                )
            )
        with atomic_write(os.path.join(stage, BATCH_SUMMARY_FILE)) as fh:
            fh.write("\n".join(rows) + "\n")
        if not os.path.isdir(out):
            os.rename(stage, out)
        else:  # an existing folder: move the finished files in, the summary last
            names = sorted(os.listdir(stage), key=lambda n: n == BATCH_SUMMARY_FILE)
            for n in names:
                os.replace(os.path.join(stage, n), os.path.join(out, n))
            os.rmdir(stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    prog.done(f"{sum(r.n_steps for r in results)} steps; {impacts} of {len(batch)} orbits impact")
    print(f"wrote {len(batch)} OEM files and {BATCH_SUMMARY_FILE} to {args.output}", file=sys.stderr)
    return 0
