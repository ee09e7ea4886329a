"""``lunarscope design lifetime MISSION.yaml --inclinations 0:90:2 [--altitudes 100] [--raans 0] [-o OUT]``."""

from __future__ import annotations

import math
import sys

#: Most cases one ``design lifetime`` run may ask for (inclinations x altitudes x RAANs).
MAX_LIFETIME_CASES = 100_000


def parse_values(text: str, option: str) -> list[float]:
    """``START:STOP:STEP`` (STOP included when on the grid), or comma-separated numbers.

    Wrong syntax raises InputError naming ``option``."""
    from ..errors import InputError

    s = str(text).strip()
    try:
        if ":" in s:
            parts = [float(p) for p in s.split(":")]
            if len(parts) != 3:
                raise ValueError
            a, b, step = parts
            if not all(math.isfinite(v) for v in parts) or not step > 0 or b < a:
                raise InputError(option, f"{text!r}: need START:STOP:STEP with STEP > 0 and STOP >= START")
            n = int(math.floor((b - a) / step + 1e-9))
            if n + 1 > MAX_LIFETIME_CASES:
                raise InputError(option, f"{text!r} gives {n + 1} values; at most {MAX_LIFETIME_CASES}")
            return [round(a + k * step, 9) for k in range(n + 1)]
        vals = [float(p) for p in s.split(",")]
    except ValueError:
        raise InputError(option, f"{text!r} is not START:STOP:STEP or a comma-separated list of numbers") from None
    if not vals or not all(math.isfinite(v) for v in vals):
        raise InputError(option, f"{text!r}: values must be finite numbers")
    return vals


def add_parser(sub) -> None:
    p = sub.add_parser(
        "design",
        help="orbit design: lifetime maps, frozen orbits, three-body families, station keeping",
        description="Orbit design tools. 'lifetime': days to impact of circular orbits vs inclination, "
        "altitude and RAAN with the mission's force model and span. 'frozen': a frozen low orbit for an "
        "altitude and inclination. 'family': Earth-Moon CR3BP periodic-orbit families (halo, NRHO, DRO, "
        "Lyapunov). 'stationkeeping': station-keeping maneuvers and their Monte Carlo Δv budget.",
    )
    dsub = p.add_subparsers(dest="design_command", metavar="TOOL", parser_class=type(p))
    dsub.required = True
    lt = dsub.add_parser(
        "lifetime",
        help="lifetime of circular orbits vs inclination (CSV + chart)",
        description="Propagate circular orbits (elements in MOON_ME axes at the mission start) with "
        "the mission's force model and propagator settings over its span, all cores, and write "
        "lifetime.csv and lifetime.html into OUT.",
    )
    lt.add_argument("mission", help="mission YAML file (force model, span, propagator)")
    lt.add_argument("--inclinations", required=True, help="deg, START:STOP:STEP or a,b,c (0 .. 180)")
    lt.add_argument("--altitudes", default="100", help="km above the mean sphere, list or range (default 100)")
    lt.add_argument("--raans", default="0", help="deg in MOON_ME axes, list or range (default 0)")
    lt.add_argument("-o", "--output", default=".", help="folder for lifetime.csv and lifetime.html (default .)")
    lt.add_argument("--workers", type=int, default=None, help="processes (default: the cores available)")
    lt.set_defaults(run=run)
    from . import design_frozen

    design_frozen.add_tool(dsub)
    from . import design_family

    design_family.add_tool(dsub)
    from . import design_stationkeeping

    design_stationkeeping.add_tool(dsub)


def run(args) -> int:
    import os
    import time

    from ..design.lifetime import chart_html, check_cases, lifetime_map, write_csv
    from ..errors import InputError
    from ..mission import load_mission
    from ..mission.run import Progress

    incs = parse_values(args.inclinations, "--inclinations")
    alts = parse_values(args.altitudes, "--altitudes")
    raans = parse_values(args.raans, "--raans")
    check_cases(incs, alts, raans)
    n = len(incs) * len(alts) * len(raans)
    if n > MAX_LIFETIME_CASES:
        raise InputError("--inclinations", f"{n} cases; at most {MAX_LIFETIME_CASES}")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", f"{args.workers} must be >= 1")
    out = args.output
    from .options import check_output_folder

    check_output_folder(out)
    mission = load_mission(args.mission)
    p = mission.propagator
    print(mission.describe(), file=sys.stderr)
    prog = Progress(f"lifetime ({n} orbits)")
    t0 = time.perf_counter()
    cases = lifetime_map(
        incs,
        alts,
        raans,
        mission.t_start,
        mission.t_stop,
        mission.force_model,
        **p.integrator_kwargs(),
        workers=args.workers,
        progress=lambda d, m: prog(d / m),
    )
    wall = time.perf_counter() - t0
    span_d = (mission.t_stop - mission.t_start) / 86400.0
    os.makedirs(out, exist_ok=True)
    csv_path, html_path = os.path.join(out, "lifetime.csv"), os.path.join(out, "lifetime.html")
    tmp_csv, tmp_html = csv_path + ".part", html_path + ".part"  # renamed once both are written
    write_csv(tmp_csv, cases)
    fm = mission.force_model
    sub = (
        f"{mission.name}: circular orbits, elements in MOON_ME axes at the start; span {span_d:g} d; "
        f"gravity {fm.field.degree_max}x{fm.field.order_max}, third bodies {', '.join(fm.third_bodies) or 'none'}"
        f"{', SRP' if fm.srp else ''}; {n} orbits in {wall:.1f} s wall"
    )
    with open(tmp_html, "w", encoding="utf-8") as f:
        f.write(chart_html(cases, span_d, "Lunar orbit lifetime vs inclination", sub))
    os.replace(tmp_csv, csv_path)
    os.replace(tmp_html, html_path)
    n_imp = sum(c.lifetime_d is not None for c in cases)
    prog.done(f"{n_imp} of {n} impact within {span_d:g} d")
    print(f"wrote {csv_path} and {html_path}", file=sys.stderr)
    return 0
