"""``lunarscope design stationkeeping MISSION.yaml --box "periapsis_km: [80, 120]" --runs 200 [-o OUT]``.

Plans the station keeping of the mission's orbit (``lunarscope.design.stationkeeping``): a
nominal run without errors, the uncontrolled orbit, and a Monte Carlo over orbit-determination
and execution errors. Writes ``stationkeeping.csv`` (one row per Monte Carlo run),
``maneuvers.csv`` (the nominal run's burns), ``stationkeeping.html`` (Δv histogram, mean
periapsis with and without control, mean eccentricity vector) and ``mission.yaml`` (the mission
with the nominal burns under ``maneuvers`` and an engineering block each).

A three-body orbit (``orbit: {family: ...}``) is kept by the x-axis-crossing control instead
(``lunarscope.design.three_body_stationkeeping``; ``--target-revs``, ``--burn-points``,
``--min-dv-mps``; no box): the reference over the span is computed, then a nominal run, one
uncontrolled run with errors and the Monte Carlo; it writes ``stationkeeping.csv``,
``maneuvers.csv`` (the burns of Monte Carlo run 0: the nominal run of an orbit that is its own
reference has none) and ``stationkeeping.html`` (Δv histogram, deviation from the reference), and
no ``mission.yaml`` (nothing to insert; docs/cli.md).
"""

from __future__ import annotations

import math
import sys

from .options import check_output_folder

#: Default Monte Carlo runs without ``--runs`` or ``station_keeping.runs``.
DEFAULT_RUNS = 200


def add_tool(dsub) -> None:
    p = dsub.add_parser(
        "stationkeeping",
        help="station-keeping planner and Monte Carlo (CSV, plots, mission with the maneuvers)",
        description="Keep the mission's orbit inside a box (mean periapsis/apoapsis altitude band or a "
        "circle on the mean eccentricity vector) with pairs of burns: a nominal run, the uncontrolled "
        "orbit and a Monte Carlo over orbit-determination and execution errors. Writes "
        "stationkeeping.csv, maneuvers.csv, stationkeeping.html and mission.yaml into OUT.",
    )
    p.add_argument("mission", help="mission YAML file (orbit, force model, span; station_keeping: optional)")
    p.add_argument(
        "--box",
        default=None,
        help='YAML mapping, e.g. "periapsis_km: [80, 120]", "apoapsis_km: [..]", '
        '"e_vector: {center: [0, -0.01], radius: 0.002}" (default: station_keeping.box)',
    )
    p.add_argument(
        "--runs", type=int, default=None, help=f"Monte Carlo runs (default station_keeping.runs or {DEFAULT_RUNS})"
    )
    p.add_argument(
        "--span", default=None, help="planning span from the mission start, e.g. 365d (default: the mission)"
    )
    p.add_argument("--seed", type=int, default=None, help="Monte Carlo seed (default station_keeping.seed or 1)")
    p.add_argument(
        "--policy",
        default=None,
        help="correction target: reset (back to the start mean e-vector), across (where its predicted drift "
        "crosses the box; near-circular orbits) or auto (across for a near-circular orbit, reset for an ELFO) "
        "(default station_keeping.policy or auto)",
    )
    p.add_argument(
        "--od-sigma",
        default=None,
        help="orbit-determination 1-sigma per RTN axis: POS_M,VEL_MPS or R,T,N(m),R,T,N(m/s) (default 50,0.05)",
    )
    p.add_argument("--exec-sigma", default=None, help="execution 1-sigma: MAGNITUDE_PCT,POINTING_DEG (default 2,1)")
    p.add_argument(
        "--target-revs",
        type=int,
        default=None,
        help="three-body orbits: target the crossing N - 1/2 revolutions after each burn, 1..6 "
        "(default station_keeping.target_revs or the family's: nrho 4, halo 1, dro 1)",
    )
    p.add_argument(
        "--burn-points",
        default=None,
        help="three-body orbits: apolune (one burn a revolution) or both (every x-z crossing; halo default)",
    )
    p.add_argument(
        "--min-dv-mps", type=float, default=None, help="three-body orbits: smallest burn executed, m/s (default 0.01)"
    )
    p.add_argument("--workers", type=int, default=None, help="processes (default: the cores available)")
    p.add_argument("-o", "--output", default=".", help="folder for the four files (default .)")
    p.set_defaults(run=run)


def _box(text):
    import yaml

    from ..design.stationkeeping import parse_box
    from ..errors import InputError

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raise InputError("--box", f"{text!r} is not YAML; e.g. --box \"periapsis_km: [80, 120]\"") from None
    if not isinstance(raw, dict):
        raise InputError("--box", f"{text!r} must be a YAML mapping, e.g. \"periapsis_km: [80, 120]\"")
    return parse_box(raw, "--box")


def run(args) -> int:
    import dataclasses
    import time

    import yaml

    from ..constants import SECONDS_PER_DAY
    from ..design import stationkeeping as sk
    from ..errors import InputError
    from ..mission import station_keeping as msk
    from ..mission.run import Progress
    from ..time import parse_duration_s

    box = _box(args.box) if args.box is not None else None
    if args.runs is not None and not 1 <= args.runs <= sk.MAX_RUNS:
        raise InputError("--runs", f"{args.runs} must be in 1 .. {sk.MAX_RUNS}")
    if args.seed is not None and args.seed < 0:
        raise InputError("--seed", f"{args.seed} must be >= 0")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", f"{args.workers} must be >= 1")
    if args.policy is not None and args.policy not in sk.POLICIES:
        raise InputError("--policy", f"{args.policy!r} is not a policy; use one of {', '.join(sk.POLICIES)}")
    span = parse_duration_s(args.span.replace(" ", ""), "--span") if args.span is not None else None
    od = sk.parse_od_sigma(args.od_sigma, "--od-sigma") if args.od_sigma is not None else None
    ex = sk.parse_exec_sigma(args.exec_sigma, "--exec-sigma") if args.exec_sigma is not None else None
    check_output_folder(args.output)
    mission, spec, raw, base = msk.load_for_design(args.mission)
    if msk.family_of(mission) is not None:
        return _run_three_body(args, mission, spec, box, span, od, ex)
    for opt, val in (
        ("--target-revs", args.target_revs),
        ("--burn-points", args.burn_points),
        ("--min-dv-mps", args.min_dv_mps),
    ):
        if val is not None:
            raise InputError(opt, "is for three-body orbits (orbit: {family: ...}); this orbit is kept in a box")
    if spec is None:
        if box is None:
            raise InputError("--box", "is required: the mission has no station_keeping section")
        d = sk.Errors.default()
        spec = msk.StationKeeping(
            box,
            mission.t_stop - mission.t_start,
            d.od_position_km,
            d.od_velocity_kms,
            d.magnitude_frac,
            d.pointing_deg,
            1,
            DEFAULT_RUNS,
            msk.DEFAULT_BLOCK_NAME,
            parse_duration_s(msk.DEFAULT_BLOCK_DURATION, "duration"),
            parse_duration_s(msk.DEFAULT_BLOCK_BEFORE, "before"),
        )
    changes = {}
    if box is not None:
        changes["box"] = box
    if span is not None:
        if not 0 < span <= mission.t_stop - mission.t_start + 1e-6:
            raise InputError("--span", f"{args.span} must be > 0 and not longer than the mission span")
        changes["span_s"] = span
    if od is not None:
        changes["od_position_km"], changes["od_velocity_kms"] = od
    if ex is not None:
        changes["magnitude_frac"], changes["pointing_deg"] = ex
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.runs is not None:
        changes["runs"] = args.runs
    if args.policy is not None:
        changes["policy"] = args.policy
    spec = dataclasses.replace(spec, **changes)
    errors = sk.Errors(spec.od_position_km, spec.od_velocity_kms, spec.magnitude_frac, spec.pointing_deg)
    ctx = msk.context(
        mission,
        spec,
        key="--box" if box is not None else "station_keeping.box",
        policy_key="--policy" if args.policy is not None else "station_keeping.policy",
    )
    print(mission.describe(), file=sys.stderr)
    print(f"box: {spec.box.describe()}; policy {_policy(spec, ctx)}; {errors.describe()}", file=sys.stderr)
    t_wall = time.perf_counter()
    prog = Progress("nominal and uncontrolled runs")
    nominal = sk.simulate(ctx, mission.state0_icrf, progress=lambda f: prog(0.5 * f))
    free = sk.simulate(ctx, mission.state0_icrf, control=False, progress=lambda f: prog(0.5 + 0.5 * f))
    prog.done(
        f"nominal {nominal.dv_per_year_mps:.2f} m/s per year, {nominal.corrections} corrections, mean periapsis "
        f"{_range(nominal.hp_km)} km; uncontrolled {_range(free.hp_km)} km"
        + ("" if free.impact is None else f", impact day {(free.impact - mission.t_start) / SECONDS_PER_DAY:.1f}")
    )
    prog = Progress(f"Monte Carlo ({spec.runs} runs)")
    rows = sk.monte_carlo(
        ctx, mission.state0_icrf, errors, spec.runs, spec.seed, workers=args.workers, progress=lambda d, n: prog(d / n)
    )
    stats = sk.statistics(rows)
    wall = time.perf_counter() - t_wall
    prog.done(
        f"dv per year mean {stats['dv_per_year_mean_mps']:.2f} m/s, 95th percentile {stats['dv_per_year_p95_mps']:.2f} m/s"
    )
    span_d = (ctx.t_stop - ctx.t_start) / SECONDS_PER_DAY
    sub = (
        f"{mission.name}: {spec.box.describe()}; policy {_policy(spec, ctx)}; span {span_d:g} d; {errors.describe()}; "
        f"{spec.runs} runs (seed {spec.seed}) in {wall:.0f} s wall"
    )
    doc = msk.mission_with_maneuvers(raw, base, mission, spec, nominal.maneuvers)

    def write_page(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(
                page(nominal, free, rows, stats, spec.box, mission.t_start, f"Station keeping: {mission.name}", sub)
            )

    def write_mission(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"# lunarscope design stationkeeping: {spec.box.describe()}\n")
            f.write(f"# {len(nominal.maneuvers)} nominal burns inserted under maneuvers, one engineering block each\n")
            yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)

    paths = _write_all(
        args.output,
        {
            "stationkeeping.csv": lambda path: _write_runs(path, rows, mission.t_start),
            "maneuvers.csv": lambda path: _write_maneuvers(path, nominal, mission.t_start),
            "stationkeeping.html": write_page,
            "mission.yaml": write_mission,
        },
    )
    print(
        f"nominal: {nominal.dv_per_year_mps:.2f} m/s per year, {nominal.corrections} corrections; Monte Carlo "
        f"{stats['runs']} runs: mean {stats['dv_per_year_mean_mps']:.2f}, 95th percentile "
        f"{stats['dv_per_year_p95_mps']:.2f} m/s per year, {stats['corrections_mean']:.1f} corrections, spacing "
        f"{stats['spacing_mean_d']:.1f} d",
        file=sys.stderr,
    )
    print(f"wrote {', '.join(paths)}", file=sys.stderr)
    return 0


def _run_three_body(args, mission, spec, box, span, od, ex) -> int:
    """``design stationkeeping`` of a three-body orbit: x-axis-crossing control (module docstring)."""
    import time

    import numpy as np

    from ..constants import SECONDS_PER_DAY
    from ..design import stationkeeping as sk
    from ..design import three_body_stationkeeping as tb
    from ..design.ephemeris_shooting import family_member
    from ..errors import InputError
    from ..mission.reader import Section
    from ..mission.run import Progress

    if box is not None:
        raise InputError(
            "--box",
            "is for low orbits and ELFOs; a three-body orbit (orbit.family) is kept by strategy x_axis_crossing",
        )
    if args.policy is not None:
        raise InputError(
            "--policy", "is for low orbits kept in a box; a three-body orbit (orbit.family) has no box to cross"
        )
    if args.burn_points is not None and args.burn_points not in tb.BURN_POINTS:
        raise InputError("--burn-points", f"{args.burn_points!r} must be one of {', '.join(tb.BURN_POINTS)}")
    if args.target_revs is not None and not 1 <= args.target_revs <= tb.MAX_TARGET_REVS:
        raise InputError("--target-revs", f"{args.target_revs} must be in 1 .. {tb.MAX_TARGET_REVS}")
    if args.min_dv_mps is not None and not (math.isfinite(args.min_dv_mps) and args.min_dv_mps >= 0):
        raise InputError("--min-dv-mps", f"{args.min_dv_mps} must be >= 0 m/s")
    d = tb.default_errors()
    full = mission.t_stop - mission.t_start
    if span is not None and not 0 < span <= full + 1e-6:
        raise InputError("--span", f"{args.span} must be > 0 and not longer than the mission span")
    span_s = span if span is not None else (spec.span_s if spec is not None else full)
    base = spec if spec is not None else d  # the section's settings, or the three-body defaults
    pos, vel = od if od is not None else (base.od_position_km, base.od_velocity_kms)
    mag, point = ex if ex is not None else (base.magnitude_frac, base.pointing_deg)
    errors = sk.Errors(pos, vel, mag, point)
    seed = args.seed if args.seed is not None else (spec.seed if spec else 1)
    runs = args.runs if args.runs is not None else (spec.runs if spec else DEFAULT_RUNS)
    kind = str(mission.raw["orbit"]["family"]).lower()
    member = family_member(Section(mission.raw["orbit"], "orbit"))
    n = args.target_revs or (spec.target_revs if spec else None) or tb.DEFAULT_TARGET_REVS.get(kind, 1)
    t0, t1 = mission.t_start, mission.t_start + span_s
    print(mission.describe(), file=sys.stderr)
    t_wall = time.perf_counter()
    prog = Progress("reference orbit (multiple shooting)")
    ref = tb.reference(member, t0, t1, mission.force_model, n, progress=lambda a, b: prog(a / b))
    prog.done(
        f"{len(ref.t)} patch points, largest jumps {ref.max_position_jump_km:.2g} km, {1000 * ref.max_velocity_jump_km_s:.2g} m/s"
    )
    ctx = tb.make_context(
        kind,
        ref,
        t0,
        t1,
        mission.force_model,
        target_revs=n,
        burn_points=args.burn_points or (spec.burn_points if spec else None),
        min_dv_kms=(args.min_dv_mps / 1000.0)
        if args.min_dv_mps is not None
        else (spec.min_dv_kms if spec else tb.DEFAULT_MIN_DV_KMS),
        key="station_keeping",
    )
    print(
        f"strategy {tb.STRATEGY}: burns at {ctx.burn_points}, target {ctx.target_revs} - 1/2 revolutions on, "
        f"min burn {1000 * ctx.min_dv_kms:g} m/s; {errors.describe()}",
        file=sys.stderr,
    )
    prog = Progress("nominal, uncontrolled and Monte Carlo run 0")
    nominal = tb.simulate(ctx, progress=lambda f: prog(f / 3))
    free = tb.simulate(ctx, errors, np.random.default_rng([seed, 0]), control=False)
    run0 = tb.simulate(ctx, errors, np.random.default_rng([seed, 0]), progress=lambda f: prog((2 + f) / 3))
    prog.done(
        f"nominal {nominal.dv_total_mps:.3f} m/s ({len(nominal.maneuvers)} burns), largest deviation {nominal.max_deviation_km:.1f} km; "
        f"uncontrolled {free.max_deviation_km:.0f} km"
    )
    prog = Progress(f"Monte Carlo ({runs} runs)")
    rows = tb.monte_carlo(ctx, errors, runs, seed, workers=args.workers, progress=lambda k, m: prog(k / m))
    stats = tb.statistics(rows)
    wall = time.perf_counter() - t_wall
    prog.done(
        f"dv per year mean {stats['dv_per_year_mean_mps']:.2f} m/s, 95th percentile {stats['dv_per_year_p95_mps']:.2f} m/s"
    )
    sub = (
        f"{mission.name}: {tb.STRATEGY} ({ctx.burn_points}, {ctx.target_revs} - 1/2 revolutions); span "
        f"{span_s / SECONDS_PER_DAY:g} d; {errors.describe()}; {runs} runs (seed {seed}) in {wall:.0f} s wall"
    )

    def write_runs(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(
                "run,dv_per_year_mps,dv_total_mps,maneuvers,skipped,maneuvers_per_year,mean_spacing_d,max_deviation_km,lost_d\n"
            )
            for k, r in enumerate(rows):
                lost = None if r["impact"] is None else (r["impact"] - t0) / SECONDS_PER_DAY
                f.write(
                    f"{k},{_fmt(r['dv_per_year_mps'], 4)},{_fmt(r['dv_total_mps'], 4)},{r['burns']},{r['skipped']},"
                    f"{_fmt(r['maneuvers_per_year'], 3)},{_fmt(r['mean_spacing_d'], 3)},{_fmt(r['max_deviation_km'], 3)},{_fmt(lost, 4)}\n"
                )

    def write_page(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(page_three_body(nominal, free, run0, rows, stats, t0, f"Station keeping: {mission.name}", sub))

    paths = _write_all(
        args.output,
        {
            "stationkeeping.csv": write_runs,
            "maneuvers.csv": lambda path: _write_maneuvers(path, run0, t0),
            "stationkeeping.html": write_page,
        },
    )
    print(
        f"nominal: {nominal.dv_total_mps:.3f} m/s in {len(nominal.maneuvers)} burns; Monte Carlo {stats['runs']} runs: "
        f"mean {stats['dv_per_year_mean_mps']:.2f}, 95th percentile {stats['dv_per_year_p95_mps']:.2f} m/s per year, "
        f"{stats['maneuvers_per_year_mean']:.1f} maneuvers per year, largest deviation {stats['max_deviation_km_max']:.0f} km, "
        f"lost {stats['impacts']}",
        file=sys.stderr,
    )
    print(f"wrote {', '.join(paths)}", file=sys.stderr)
    return 0


def _write_all(out: str, files: dict) -> list:
    """Write ``files`` ({name: writer(path)}) into the folder ``out``: each to ``name.part``, then
    all renamed into place; on any error (Ctrl-C included) no part and no new file is left."""
    import os

    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, name) for name in files]
    parts = [p + ".part" for p in paths]
    try:
        for part, write in zip(parts, files.values()):
            write(part)
        for a, b in zip(parts, paths):
            os.replace(a, b)
    finally:
        for a in parts:
            if os.path.exists(a):
                os.remove(a)
    return paths


def _page_shell(title: str, subtitle: str, histogram_svg: str, stats: dict, rest: str) -> str:
    """The station-keeping page: title, subtitle, the Δv histogram, the statistics table, ``rest``."""
    from ..report.svg import esc

    table = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(v if isinstance(v, int) else f'{v:.3f}')}</td></tr>" for k, v in stats.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head><body style=\"font-family:sans-serif\">"
        f"<h1>{esc(title)}</h1><p>{esc(subtitle)}</p>"
        "<h2>Δv per year, Monte Carlo</h2>"
        + histogram_svg
        + '<table border="1" cellpadding="3">'
        + table
        + "</table>"
        + rest
        + "</body></html>\n"
    )


def _policy(spec, ctx) -> str:
    """The policy as asked for, and what ``auto`` chose for this orbit."""
    return f"auto ({ctx.policy})" if spec.policy == "auto" else ctx.policy


def _range(x) -> str:
    import numpy as np

    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return "-" if x.size == 0 else f"{x.min():.1f} .. {x.max():.1f}"


def _fmt(x, d=3):
    return "" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{d}f}"


def _write_runs(path, rows, t0):
    with open(path, "w", encoding="utf-8") as f:
        f.write("run,dv_per_year_mps,dv_total_mps,corrections,burns,mean_spacing_d,min_hp_km,max_hp_km,impact_d\n")
        for k, r in enumerate(rows):
            imp = None if r["impact"] is None else (r["impact"] - t0) / 86400.0
            f.write(
                f"{k},{_fmt(r['dv_per_year_mps'], 4)},{_fmt(r['dv_total_mps'], 4)},{r['corrections']},{r['burns']},"
                f"{_fmt(r['mean_spacing_d'], 3)},{_fmt(r['min_hp_km'], 3)},{_fmt(r['max_hp_km'], 3)},{_fmt(imp, 4)}\n"
            )


def _write_maneuvers(path, run, t0):
    from ..time import to_iso_utc

    with open(path, "w", encoding="utf-8") as f:
        f.write("time_utc,day,dv_r_mps,dv_t_mps,dv_n_mps,dv_mps,frame\n")
        for m in run.maneuvers:
            dv = [1000.0 * x for x in m.dv_kms]
            f.write(
                f"{to_iso_utc([m.t], 3)[0]},{(m.t - t0) / 86400.0:.6f},{dv[0]:.6f},{dv[1]:.6f},{dv[2]:.6f},"
                f"{math.sqrt(sum(x * x for x in dv)):.6f},{m.frame}\n"
            )


def _poly(parts, px, py, colour, width=1.5):
    import numpy as np

    from ..report.svg import decimate_stride, polyline_points

    ok = np.isfinite(px) & np.isfinite(py)
    px, py = np.asarray(px)[ok], np.asarray(py)[ok]
    if px.size < 2:
        return
    idx = decimate_stride(px.size)
    parts.append(
        f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{polyline_points(px[idx], py[idx])}"/>'
    )


def _svg_open(w, h):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">'
    ]


def _histogram_svg(rows, stats) -> str:
    """Δv-per-year histogram of the Monte Carlo rows with the mean and the 95th percentile."""
    import numpy as np

    from ..report.svg import Linear, esc, nice_ticks, num, plot_axes

    dv = np.array([r["dv_per_year_mps"] for r in rows], float)
    lo, hi = float(dv.min()), float(dv.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    nb = int(min(30, max(5, round(math.sqrt(dv.size)))))
    counts, edges = np.histogram(dv, bins=nb, range=(lo, hi))
    w, h, ml, mr, mt, mb = 760, 320, 70, 30, 20, 50
    x = Linear(lo, hi, ml, w - mr)
    y = Linear(0, max(1, int(counts.max())) * 1.1, h - mb, mt)
    parts = _svg_open(w, h)
    plot_axes(
        parts,
        x,
        y,
        nice_ticks(lo, hi, 7),
        nice_ticks(0, y.d1, 5),
        (ml, mt, w - mr, h - mb),
        "Δv per year (m/s)",
        "runs",
    )
    for c, a, b in zip(counts, edges[:-1], edges[1:]):
        if c:
            parts.append(
                f'<rect x="{num(x(a))}" y="{num(y(c))}" width="{num(max(1.0, x(b) - x(a) - 1))}" '
                f'height="{num(y(0) - y(c))}" fill="#3b528b"><title>{a:.2f}–{b:.2f} m/s: {c} runs</title></rect>'
            )
    for val, col, name in (
        (stats["dv_per_year_mean_mps"], "#b5651d", "mean"),
        (stats["dv_per_year_p95_mps"], "#c00", "95th pct"),
    ):
        if lo <= val <= hi:
            parts.append(
                f'<line x1="{num(x(val))}" x2="{num(x(val))}" y1="{mt}" y2="{h - mb}" stroke="{col}" stroke-dasharray="4 3"/>'
            )
            right = x(val) > w - mr - 120  # near the right edge: label to the left of the line
            tx, anchor = (x(val) - 4, "end") if right else (x(val) + 4, "start")
            ty = mt + 12 if name == "mean" else mt + 28
            parts.append(
                f'<text x="{num(tx)}" y="{ty}" fill="{col}" text-anchor="{anchor}">{esc(name)} {val:.2f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def page_three_body(nominal, free, run0, rows, stats, t0, title, subtitle="") -> str:
    """Self-contained HTML for a three-body orbit: Δv-per-year histogram of the Monte Carlo and the
    distance from the reference (log scale) of the nominal run, Monte Carlo run 0 and the uncontrolled
    run with errors; ticks: run 0's burns."""
    import numpy as np

    from ..report.svg import Linear, esc, num, plot_axes

    svg1 = _histogram_svg(rows, stats)
    w, h, ml, mr, mt, mb = 860, 360, 70, 260, 20, 50
    runs = [
        (nominal, "#3b528b", "nominal (no errors)"),
        (run0, "#2a9d55", "Monte Carlo run 0"),
        (free, "#b5651d", "uncontrolled, with errors"),
    ]
    floor = 1e-3  # km: the log axis starts at 1 m
    vals = np.concatenate(
        [np.maximum(r.deviation_km, floor) for r, _, _ in runs if r.deviation_km.size] or [np.array([floor, 1.0])]
    )
    lo, hi = math.floor(math.log10(vals.min())), math.ceil(math.log10(max(vals.max(), 10 * floor)))
    d1 = (
        max(float((r.t[-1] - t0) / 86400.0) for r, _, _ in runs if r.t.size)
        if any(r.t.size for r, _, _ in runs)
        else 1.0
    )
    x = Linear(0.0, d1, ml, w - mr)
    y = Linear(lo, hi, h - mb, mt)
    parts = _svg_open(w, h)
    from ..report.svg import nice_ticks

    plot_axes(
        parts,
        x,
        y,
        nice_ticks(0, d1, 8),
        list(range(lo, hi + 1)),
        (ml, mt, w - mr, h - mb),
        "days from the start",
        "log10 distance from the reference (km)",
    )
    for k, (r, col, name) in enumerate(runs):
        if r.t.size:
            _poly(parts, x((r.t - t0) / 86400.0), y(np.log10(np.maximum(r.deviation_km, floor))), col)
        ly = mt + 14 + 18 * k
        parts.append(
            f'<line x1="{w - mr + 12}" x2="{w - mr + 32}" y1="{ly}" y2="{ly}" stroke="{col}" stroke-width="2"/>'
        )
        lost = "" if r.lost is None else f", lost day {(r.lost - t0) / 86400.0:.1f}"
        parts.append(f'<text x="{w - mr + 38}" y="{ly + 4}">{esc(name + lost)}</text>')
    for m in run0.maneuvers:
        xm = num(x((m.t - t0) / 86400.0))
        parts.append(f'<line x1="{xm}" x2="{xm}" y1="{h - mb}" y2="{h - mb - 8}" stroke="#000"/>')
    parts.append("</svg>")
    return _page_shell(
        title,
        subtitle,
        svg1,
        stats,
        "<h2>Distance from the reference</h2><p>Ticks: the burns of Monte Carlo run 0.</p>" + "".join(parts),
    )


def page(nominal, free, rows, stats, box, t0, title, subtitle="") -> str:
    """Self-contained HTML (inline SVG, ``report.svg`` helpers): Δv-per-year histogram of the
    Monte Carlo, mean periapsis altitude with and without control, mean eccentricity vector."""
    import numpy as np

    from ..report.svg import Linear, esc, nice_ticks, num, plot_axes

    svg1 = _histogram_svg(rows, stats)
    ml, mt, mb = 70, 20, 50  # margins (px), as the histogram's
    # 2: mean periapsis altitude
    w2, h2, mr2 = 860, 360, 260
    runs = [(nominal, "#3b528b", "controlled (nominal)"), (free, "#b5651d", "uncontrolled")]
    days = [(r.t - t0) / 86400.0 for r, _, _ in runs]
    hp = np.concatenate([r.hp_km for r, _, _ in runs])
    hp = hp[np.isfinite(hp)]
    band = box.periapsis_km
    vals = list(hp) + (list(band) if band else [])
    ylo, yhi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    pad = max(1.0, 0.05 * (yhi - ylo))
    d1 = max(float(d[-1]) for d in days if d.size) if any(d.size for d in days) else 1.0
    x2 = Linear(0.0, d1, ml, w2 - mr2)
    y2 = Linear(max(-50.0, ylo - pad), yhi + pad, h2 - mb, mt)
    parts = _svg_open(w2, h2)
    plot_axes(
        parts,
        x2,
        y2,
        nice_ticks(0, d1, 8),
        nice_ticks(y2.d0, y2.d1, 6),
        (ml, mt, w2 - mr2, h2 - mb),
        "days from the start",
        "mean periapsis altitude (km)",
    )
    if band:
        parts.append(
            f'<rect x="{ml}" y="{num(y2(band[1]))}" width="{w2 - mr2 - ml}" height="{num(y2(band[0]) - y2(band[1]))}" '
            'fill="#2c728e" fill-opacity="0.12"><title>box</title></rect>'
        )
    for k, ((r, col, name), d) in enumerate(zip(runs, days)):
        _poly(parts, x2(d), y2(r.hp_km), col)
        ly = mt + 14 + 18 * k
        parts.append(
            f'<line x1="{w2 - mr2 + 12}" x2="{w2 - mr2 + 32}" y1="{ly}" y2="{ly}" stroke="{col}" stroke-width="2"/>'
        )
        imp = "" if r.impact is None else f", impact day {(r.impact - t0) / 86400.0:.1f}"
        parts.append(f'<text x="{w2 - mr2 + 38}" y="{ly + 4}">{esc(name + imp)}</text>')
        parts.append(f'<text x="{w2 - mr2 + 38}" y="{ly + 40}">{esc(name)}: {esc(_range(r.hp_km))} km</text>')
    for m in nominal.maneuvers[::2]:
        parts.append(
            f'<line x1="{num(x2((m.t - t0) / 86400.0))}" x2="{num(x2((m.t - t0) / 86400.0))}" y1="{h2 - mb}" y2="{h2 - mb - 8}" stroke="#000"/>'
        )
    parts.append("</svg>")
    svg2 = "".join(parts)
    # 3: mean e-vector, equal scales on the data's extent (and the box circle, and the origin
    # when it is near)
    xs = np.concatenate([r.ex for r, _, _ in runs])
    ys = np.concatenate([r.ey for r, _, _ in runs])
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = list(xs[ok]), list(ys[ok])
    if box.e_center is not None:
        xs += [box.e_center[0] - box.e_radius, box.e_center[0] + box.e_radius]
        ys += [box.e_center[1] - box.e_radius, box.e_center[1] + box.e_radius]
    if not xs:
        xs, ys = [-0.01, 0.01], [-0.01, 0.01]
    cx, cy = 0.5 * (min(xs) + max(xs)), 0.5 * (min(ys) + max(ys))
    half = 0.55 * max(max(xs) - min(xs), max(ys) - min(ys), 1e-4)
    if math.hypot(cx, cy) < 2 * half:  # keep the origin in view
        half = max(half, abs(cx) + 0.1 * half, abs(cy) + 0.1 * half)
    size, m3 = 420, 70
    x3 = Linear(cx - half, cx + half, m3, m3 + size)
    y3 = Linear(cy - half, cy + half, mt + size, mt)
    parts = _svg_open(m3 + size + 260, mt + size + 50)
    ticks_x = [v for v in nice_ticks(cx - half, cx + half, 6) if cx - half <= v <= cx + half]
    ticks_y = [v for v in nice_ticks(cy - half, cy + half, 6) if cy - half <= v <= cy + half]
    plot_axes(
        parts,
        x3,
        y3,
        ticks_x,
        ticks_y,
        (m3, mt, m3 + size, mt + size),
        f"e cos ω ({box.plane})",
        f"e sin ω ({box.plane})",
    )
    if box.e_center is not None:
        parts.append(
            f'<circle cx="{num(x3(box.e_center[0]))}" cy="{num(y3(box.e_center[1]))}" '
            f'r="{num(x3(box.e_radius) - x3(0))}" fill="#2c728e" fill-opacity="0.12" stroke="#2c728e"/>'
        )
    for k, (r, col, name) in enumerate(runs):
        _poly(parts, x3(r.ex), y3(r.ey), col, 1.0)
        ly = mt + 14 + 18 * k
        parts.append(
            f'<line x1="{m3 + size + 16}" x2="{m3 + size + 36}" y1="{ly}" y2="{ly}" stroke="{col}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{m3 + size + 42}" y="{ly + 4}">{esc(name)}</text>')
    parts.append("</svg>")
    svg3 = "".join(parts)
    return _page_shell(
        title,
        subtitle,
        svg1,
        stats,
        "<h2>Mean periapsis altitude, with and without control</h2><p>Shaded: the box; ticks: corrections.</p>"
        + svg2
        + "<h2>Mean eccentricity vector</h2>"
        + svg3,
    )
