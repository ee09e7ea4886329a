"""``lunarscope windows MISSION.yaml -o windows.csv [--trajectory FILE.oem]``."""

from __future__ import annotations

import os
import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "windows",
        help="eclipses, contacts, lunar-site passes and target visibility windows",
        description="Find every event window of a mission (umbra, penumbra, contact, "
        "site_pass, site_sunlit, site_earth_visible, target_visible, "
        "target_occulted, radio_quiet) and write them as CSV; a per-target summary goes "
        "to <output stem>_targets.csv, the radio-quiet fraction of each orbit to "
        "<output stem>_radio_quiet.csv.",
    )
    p.add_argument("mission", help="mission YAML file")
    p.add_argument("-o", "--output", required=True, help="CSV file to write")
    p.add_argument(
        "--trajectory", default=None, help="CCSDS OEM to use instead of propagating (must cover the mission span)"
    )
    p.set_defaults(run=run)


def _load_trajectory(path: str, ephemeris):
    from ..errors import InputError
    from ..time import short
    from ..trajectory import Trajectory

    p = short(str(path))
    if not os.path.exists(path):
        raise InputError("--trajectory", f"{p} does not exist")
    try:
        return Trajectory.from_oem(path, ephemeris)
    except InputError as exc:
        raise InputError("--trajectory", f"{p}: {exc.problem}") from None
    except (ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
        raise InputError("--trajectory", f"{p} is not a readable CCSDS OEM ({short(str(exc))})") from None


def load_mission_trajectory(path: str, mission):
    """The OEM given with ``--trajectory``, checked to cover the mission span."""
    from ..errors import InputError
    from ..time import short, to_iso_utc

    traj = _load_trajectory(path, mission.sources.ephemeris)
    if traj.t_start > mission.t_start + 1e-6 or traj.t_stop < mission.t_stop - 1e-6:
        a, b = to_iso_utc([traj.t_start, traj.t_stop], 3)
        c, d = to_iso_utc([mission.t_start, mission.t_stop], 3)
        raise InputError("--trajectory", f"{short(str(path))} covers {a} .. {b}, not the mission span {c} .. {d}")
    return traj


def check_input_file(path: str | None, option: str) -> None:
    """An input file option names a regular file that exists (checked before any work)."""
    from ..errors import InputError
    from ..time import short

    if path is None:
        return
    if not os.path.exists(path):
        raise InputError(option, f"{short(str(path))} does not exist")
    if os.path.isdir(path):
        raise InputError(option, f"{short(str(path))} is a folder, not a file")


def run(args) -> int:
    from ..io.tables import check_output_file, write_text
    from ..mission import load_mission
    from ..mission.run import Progress, propagate_mission
    from ..mission.stages import mission_windows

    check_input_file(args.trajectory, "--trajectory")
    check_output_file(args.output, "-o")
    check_output_file(os.path.splitext(args.output)[0] + "_targets.csv", "-o")
    check_output_file(os.path.splitext(args.output)[0] + "_radio_quiet.csv", "-o")
    mission = load_mission(args.mission)
    if args.trajectory:
        traj = load_mission_trajectory(args.trajectory, mission)
        print(mission.describe(), file=sys.stderr)
    else:
        prog = Progress("propagate")
        traj = propagate_mission(mission, prog).trajectory
        print(mission.describe(), file=sys.stderr)  # after the first possible refusal (kernel coverage)
        prog.done()
    prog = Progress("windows")
    ws = mission_windows(mission, traj, progress=prog)
    prog.done(f"{sum(len(w) for w in ws.values())} windows")
    write_text(args.output, ws.to_csv_text())
    stem, _ = os.path.splitext(args.output)
    summary_path = stem + "_targets.csv"
    if ws.targets:
        write_text(summary_path, ws.summary_csv_text())
    print(f"wrote {args.output}" + (f" and {summary_path}" if ws.targets else ""), file=sys.stderr)
    orbits = ws.meta.get("radio_quiet_orbits")
    if orbits is not None:
        from ..time import to_iso_utc
        from ..windows.radio_quiet import orbits_csv_text

        rq_path = stem + "_radio_quiet.csv"
        write_text(rq_path, orbits_csv_text(orbits, lambda t: to_iso_utc(t, 3)))
        span = ws.t_stop - ws.t_start
        quiet = ws[("radio_quiet", "earth")].total_duration
        print(
            f"radio-quiet {100 * quiet / span:.2f} % of the span, {len(orbits['start'])} orbits; wrote {rq_path}",
            file=sys.stderr,
        )
    rows = ws.target_summary()
    if rows:
        w = max(6, max(len(r["target"]) for r in rows))
        print(f"{'target':<{w}}  visible %  windows  longest h")
        for r in rows:
            print(
                f"{r['target']:<{w}}  {100 * r['visible_fraction']:9.2f}  {r['windows']:7d}  "
                f"{r['longest_s'] / 3600:9.2f}"
            )
    return 0
