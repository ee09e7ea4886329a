"""``lunarscope ephem``: states of a target relative to an observer on a time grid, as CSV."""

from __future__ import annotations

import os

from ..io.tables import format_rows, write_text
from ..time import short, time_grid, to_iso_utc

COLUMNS = ["time_utc", "tdb_s", "x_km", "y_km", "z_km", "vx_kms", "vy_kms", "vz_kms"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "ephem",
        help="state of a target relative to an observer, as CSV",
        description="Geometric (default) or light-time-corrected states. Bodies: sun, earth, moon, "
        "emb, ssb, mercury, venus, mars, jupiter, saturn, uranus, neptune, pluto; sites: "
        "earth:LAT,LON,HEIGHT_KM (WGS84) or moon:LAT,LON,HEIGHT_KM (MOON_ME sphere).",
    )
    p.add_argument("--target", required=True, help="body name or site")
    p.add_argument("--observer", required=True, help="body name or site")
    p.add_argument(
        "--frame", default="ICRF", help="ICRF, MOON_PA, MOON_ME, IAU_MOON, ITRF, or ENU (at an observer site)"
    )
    p.add_argument("--start", required=True, help="ISO-8601 UTC, e.g. 2030-01-01T00:00:00Z")
    p.add_argument("--stop", required=True, help="ISO-8601 UTC")
    p.add_argument("--step", required=True, type=float, help="seconds between epochs")
    p.add_argument(
        "--aberration",
        default="NONE",
        choices=["NONE", "LT"],
        help="NONE: geometric (default); LT: light-time corrected",
    )
    p.add_argument("--ephemeris", default=None, help="SPK file (.bsp) instead of DE440")
    p.add_argument("--moon-pck", default=None, help="binary PCK (.bpc) for MOON_PA instead of DE421's")
    p.add_argument("-o", "--output", default=None, help="CSV file (default: standard output)")
    p.set_defaults(run=run)


def run(args) -> int:
    import math

    from ..errors import InputError
    from ..io.tables import check_output_file
    from ..sources import Sources
    from ..states import relative_state

    if not (math.isfinite(args.step) and args.step > 0):
        raise InputError("--step", f"{args.step} must be a finite number of seconds > 0")
    for option, value in (("--ephemeris", args.ephemeris), ("--moon-pck", args.moon_pck)):
        if value is not None and not os.path.isfile(value):
            raise InputError(
                option, f"{short(value)} is not a file" if os.path.exists(value) else f"{short(value)} does not exist"
            )
    check_output_file(args.output, "-o")
    try:
        t = time_grid(args.start, args.stop, args.step)
    except InputError as exc:  # name the command-line options
        raise InputError(
            f"--{exc.field}" if exc.field in ("start", "stop", "step") else exc.field, exc.problem
        ) from None
    sources = Sources.from_paths(args.ephemeris, args.moon_pck)
    s = relative_state(args.target, args.observer, t, args.frame, sources=sources, aberration=args.aberration)
    cols = [to_iso_utc(t)] + [t] + [s[:, k] for k in range(6)]
    text = format_rows(COLUMNS, cols, ["s", ".6f"] + [".6f"] * 3 + [".9f"] * 3)
    write_text(args.output, text)
    return 0
