"""``lunarscope design frozen --altitude-km 100 --inclination-deg 86 --epoch T [--span 180d] [--mission M] [-o DIR]``.

Zonal first guess (J2..J30 of the field) + full-field correction of the loop centre's drift
(``lunarscope.design.frozen``); writes ``orbit.yaml`` (an ``orbit:`` section for a mission file
starting at the epoch) and ``frozen.html`` (eccentricity-vector loop and centre, periapsis
altitude frozen vs the circular orbit of the same a, i, RAAN).
"""

from __future__ import annotations

import math
import sys

from .options import check_output_folder

#: Force model used without ``--mission``: GRGM1200A 50x50 (MOON_PA) + Earth + Sun (DE440), no SRP.
DEFAULT_GRAVITY_DEGREE = 50
#: Propagator tolerances without ``--mission`` (relative; absolute km), as the lifetime figures.
DEFAULT_RTOL = 1e-10
DEFAULT_ATOL_KM = 1e-7
#: Default span of the correction and of the plots (days).
DEFAULT_SPAN = "180d"


def add_tool(dsub) -> None:
    p = dsub.add_parser(
        "frozen",
        help="frozen low orbit: zonal first guess + full-field correction (orbit.yaml + plots)",
        description="Find the frozen (e, argp) of a low lunar orbit: a first guess from the zonal "
        "harmonics J2..J30 (averaged Lagrange equations), then Newton steps in the full force "
        "model that stop the drift of the centre of the mean eccentricity vector's monthly loop "
        "over SPAN. Writes orbit.yaml and frozen.html into OUT.",
    )
    p.add_argument("--altitude-km", type=float, required=True, help="km above the 1737.4 km sphere (a = R + h)")
    p.add_argument("--inclination-deg", type=float, required=True, help="deg to the lunar equator (MOON_ME)")
    p.add_argument("--epoch", default=None, help="UTC start, e.g. 2030-01-01T00:00:00Z (default: the mission start)")
    p.add_argument("--span", default=DEFAULT_SPAN, help=f"correction and plot span, e.g. 180d (default {DEFAULT_SPAN})")
    p.add_argument("--raan-deg", type=float, default=0.0, help="node in MOON_ME axes at the epoch (default 0)")
    p.add_argument("--mission", default=None, help="mission YAML whose force model and tolerances are used")
    p.add_argument("--iterations", type=int, default=2, help="Newton steps (3 orbits each; 0: zonal guess only)")
    p.add_argument(
        "--zonal-degree",
        type=int,
        default=None,
        help="highest zonal of the first guess (default 30, or the field's degree if lower)",
    )
    p.add_argument("--workers", type=int, default=None, help="processes (default: the cores available)")
    p.add_argument("-o", "--output", default=".", help="folder for orbit.yaml and frozen.html (default .)")
    p.set_defaults(run=run)


def _force_model(args, span_s: float):
    """(force model, t0 TDB, rtol, atol_km, description) from --mission or the defaults."""
    from ..errors import InputError
    from ..mission import load_mission
    from ..mission.core import mission_from_dict
    from ..time import mission_time

    if args.mission is not None:
        m = load_mission(args.mission)
        t0 = m.t_start if args.epoch is None else mission_time(args.epoch, "--epoch")
        return m.force_model, t0, m.propagator.rtol, m.propagator.atol_km, m.describe()
    if args.epoch is None:
        raise InputError("--epoch", "is required without --mission (e.g. --epoch 2030-01-01T00:00:00Z)")
    mission_time(args.epoch, "--epoch")  # the key named in an error is --epoch
    raw = {
        "name": "design-frozen",
        "start": args.epoch,
        "duration": f"{span_s} s",
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": {"a_km": 1837.4, "e": 0.0, "i_deg": 0.0}},
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": DEFAULT_GRAVITY_DEGREE, "order": DEFAULT_GRAVITY_DEGREE},
            "third_bodies": ["earth", "sun"],
        },
    }
    m = mission_from_dict(raw)
    return m.force_model, m.t_start, DEFAULT_RTOL, DEFAULT_ATOL_KM, m.describe()


def run(args) -> int:
    import os
    import time

    from ..constants import MOON_RADIUS_KM, SECONDS_PER_DAY
    from ..design import frozen as fz
    from ..errors import InputError
    from ..mission.run import Progress
    from ..time import parse_duration_s, to_iso_utc

    h, inc = args.altitude_km, args.inclination_deg
    if not (math.isfinite(h) and h > 0):
        raise InputError("--altitude-km", f"{h:g} km must be > 0 km")
    if not (math.isfinite(inc) and 0.0 <= inc <= 180.0):
        raise InputError("--inclination-deg", f"{inc:g} deg must be in 0 .. 180 deg")
    if not math.isfinite(args.raan_deg):
        raise InputError("--raan-deg", "must be a finite number of degrees")
    if args.iterations < 0:
        raise InputError("--iterations", f"{args.iterations} must be >= 0")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", f"{args.workers} must be >= 1")
    span_s = parse_duration_s(args.span.replace(" ", ""), "--span")
    if not span_s >= fz.MIN_CORRECTION_SPAN_S - 1e-6:
        raise InputError(
            "--span",
            f"{args.span} is too short: the loop centre needs at least "
            f"{math.ceil(fz.MIN_CORRECTION_SPAN_S / SECONDS_PER_DAY)}d (two {fz.LOOP_PERIOD_S / SECONDS_PER_DAY:.2f} d loops)",
        )
    check_output_folder(args.output)
    fm, t0, rtol, atol, describe = _force_model(args, span_s)
    deg = min(fz.ZONAL_DEGREE_DEFAULT, fm.field.degree_max) if args.zonal_degree is None else args.zonal_degree
    if not fz.ZONAL_DEGREE_MIN <= deg <= fm.field.degree_max:
        raise InputError(
            "--zonal-degree", f"{deg} must be in {fz.ZONAL_DEGREE_MIN} .. {fm.field.degree_max} (the field's degree)"
        )
    guess = fz.frozen_first_guess(inc, fm.field, altitude_km=h, degree=deg, key="--inclination-deg")
    print(describe, file=sys.stderr)
    prog = Progress(f"frozen correction ({3 * args.iterations + 2} orbits x {span_s / SECONDS_PER_DAY:g} d)")
    t_wall = time.perf_counter()
    corr = fz.correct_frozen(
        guess,
        t0,
        t0 + span_s,
        fm,
        raan_deg=args.raan_deg,
        iterations=args.iterations,
        rtol=rtol,
        atol_km=atol,
        workers=args.workers,
        neighbour=True,
        progress=lambda d, n: prog(d / n),
    )
    wall = time.perf_counter() - t_wall
    loop, other = corr.loop, corr.neighbour
    epoch = str(to_iso_utc([t0], 0)[0])
    fld = fm.field
    model = (
        f"{fld.name} {fld.degree_max}x{fld.order_max}, third bodies {', '.join(fm.third_bodies) or 'none'}"
        f"{', SRP' if fm.srp else ''}"
    )
    lines = [
        f"# lunarscope design frozen: {h:g} km, i {inc:g} deg, RAAN {args.raan_deg:g} deg (MOON_ME at the epoch)",
        f"# epoch {epoch}: paste under a mission whose start is this epoch",
        f"# zonal J2..J{deg} first guess (mean): e {guess.e:.6f}, argp {guess.argp_deg:g} deg",
        f"# full-field correction ({model}; {span_s / SECONDS_PER_DAY:g} d, {args.iterations} Newton steps, "
        f"{corr.n_orbits} orbits, {wall:.0f} s): loop-centre excursion {loop.centre_excursion:.2e}, "
        f"mean periapsis {_range(loop.hp_km)} km",
        "orbit:",
        "  frame: MOON_ME_INERTIAL",
        f"  elements: {{a_km: {guess.a_km:.4f}, e: {corr.e:.7f}, i_deg: {inc:g}, raan_deg: {args.raan_deg:g}, "
        f"argp_deg: {corr.argp_deg:.4f}, ta_deg: 0}}",
        "",
    ]
    out = args.output
    os.makedirs(out, exist_ok=True)
    yaml_path, html_path = os.path.join(out, "orbit.yaml"), os.path.join(out, "frozen.html")
    tmp_yaml, tmp_html = yaml_path + ".part", html_path + ".part"
    with open(tmp_yaml, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    sub = (
        f"{h:g} km (a = {guess.a_km:.1f} km, R = {MOON_RADIUS_KM} km), i = {inc:g} deg, RAAN {args.raan_deg:g} deg "
        f"(MOON_ME at {epoch}); {model}; corrected e {corr.e:.5f}, argp {corr.argp_deg:.2f} deg (osculating at "
        f"the epoch); loop-centre excursion {loop.centre_excursion:.2e} (frozen) vs "
        f"{other.centre_excursion:.2e} (circular); {corr.n_orbits} orbits in {wall:.0f} s wall"
    )
    with open(tmp_html, "w", encoding="utf-8") as f:
        f.write(fz.plot_page(corr, t0, f"Frozen orbit: {h:g} km, i = {inc:g} deg", sub))
    os.replace(tmp_yaml, yaml_path)
    os.replace(tmp_html, html_path)
    prog.done(
        f"e {corr.e:.5f}, argp {corr.argp_deg:.2f} deg; periapsis {_range(loop.osc_hp_km)} km (frozen) vs "
        f"{_range(other.osc_hp_km)} km (circular)"
    )
    print(f"wrote {yaml_path} and {html_path}", file=sys.stderr)
    return 0


def _range(x) -> str:
    import numpy as np

    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return "-" if x.size == 0 else f"{x.min():.1f} .. {x.max():.1f}"
