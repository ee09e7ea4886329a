"""``lunarscope background MISSION.yaml --target NAME [--band NAME] [--step 60s] [-o DIR]``.

The sky background towards one target over the mission span, term by term (zodiacal light,
Moon and Earth stray light through the PST, optional diffuse galactic light): a summary on
standard output (min / median / max of each term), ``background.csv`` and ``background.html``
(a self-contained SVG chart) in DIR. Models: docs/science.md, "Backgrounds".
"""

from __future__ import annotations

import math
import os
import sys

#: Default sampling step of the span.
DEFAULT_STEP = "60s"
#: Floor of the chart's log axis relative to the largest value plotted (terms that are zero,
#: e.g. the Earth behind the Moon, are drawn on the floor).
CHART_DECADES = 8
#: Chart size (px).
CHART_W, CHART_H = 1000, 420
#: Colours per term (matplotlib tab10).
COLOURS = {"zodiacal": "#1f77b4", "moon": "#7f7f7f", "earth": "#2ca02c", "galactic": "#9467bd", "total": "#d62728"}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "background",
        help="sky background terms towards a target over the span (zodiacal, Moon, Earth, galactic)",
        description="Zodiacal light and the stray light of the Moon and the Earth through the "
        "instrument's PST (and optionally diffuse galactic light) towards one target along the "
        "mission's orbit: prints min/median/max per term, writes background.csv and "
        "background.html in the output folder.",
    )
    p.add_argument("mission", help="mission YAML file")
    p.add_argument("--target", required=True, help="target name (from the mission's targets)")
    p.add_argument("--band", default=None, help="instrument band (default: the instrument's first band)")
    p.add_argument("--step", default=DEFAULT_STEP, help=f"sampling step, e.g. 60s, 5min, 1h (default {DEFAULT_STEP})")
    p.add_argument("-o", "--output", default=".", help="folder for background.csv and background.html (default .)")
    p.add_argument(
        "--trajectory", default=None, help="CCSDS OEM to use instead of propagating (must cover the mission span)"
    )
    p.add_argument("--galactic", action="store_true", help="add the diffuse galactic light term (off by default)")
    p.add_argument(
        "--zodiacal",
        choices=["leinert", "zodipy"],
        default="leinert",
        help="zodiacal model: Leinert et al. 1998 (default) or zodipy's DIRBE model (optional package, bands >= 1.25 um)",
    )
    p.set_defaults(run=run)


def _find_target(mission, name: str):
    from ..errors import InputError
    from ..time import short

    obs = mission.observing
    targets = tuple(getattr(obs, "targets", ()) or ())
    if not targets:
        raise InputError("--target", "the mission has no targets (add a targets: section)")
    for t in targets:
        if t.name == name:
            return t
    folded = [t for t in targets if t.name.lower() == str(name).lower()]
    if len(folded) == 1:
        return folded[0]
    names = ", ".join(t.name for t in targets[:10]) + (", ..." if len(targets) > 10 else "")
    raise InputError("--target", f"{short(name)} is not a target of the mission; targets: {names}")


def _band(instrument, name):
    from ..errors import InputError

    if name is None:
        return instrument.band(next(iter(instrument.bands)))
    try:
        return instrument.band(name)
    except InputError as exc:
        raise InputError("--band", exc.problem) from None


def _angles(geom):
    """Sun angle, Moon-limb angle and Earth angle (deg) of the pointing, each (N,)."""
    import numpy as np

    from ..constants import MOON_RADIUS_KM

    def sep(v):
        u = v / np.linalg.norm(v, axis=1, keepdims=True)
        return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", u, geom.pointing), -1.0, 1.0)))

    d = np.linalg.norm(geom.r, axis=1)
    limb = sep(-geom.r) - np.degrees(np.arcsin(np.minimum(1.0, MOON_RADIUS_KM / d)))
    return sep(geom.sun - geom.r), limb, sep(geom.earth - geom.r)


def compute(mission, trajectory, target, band, t, galactic: bool = False, zodiacal: str = "leinert") -> dict:
    """Columns of background.csv at TDB seconds ``t``: radiances, rates and angles (each (N,))."""
    from ..errors import InputError
    from ..mission.instrument import mission_instrument
    from ..science.background import background_geometry, radiances_at, rates_from_radiance, zodipy_terms

    instrument = mission_instrument(mission)
    r = trajectory.state(t)[:, :3]
    pointing = target.unit_vector(0.5 * (t[0] + t[-1]))
    geom = background_geometry(mission.sources, t, r, pointing)
    rad, elong = radiances_at(geom, instrument, galactic)
    rates = rates_from_radiance(instrument, band, rad, elong)
    if zodiacal == "zodipy":
        try:
            rad["zodiacal"], rates["zodiacal"] = zodipy_terms(geom, instrument, band)
        except InputError as exc:
            raise InputError("--zodiacal", exc.problem) from None
        rates["total"] = sum(v for k, v in rates.items() if k != "total")
    sun, limb, earth = _angles(geom)
    return {"radiance": rad, "rate": rates, "sun_deg": sun, "moon_limb_deg": limb, "earth_deg": earth}


def csv_text(t, cols: dict) -> str:
    from ..io.tables import format_rows
    from ..time import to_iso_utc

    header, columns, formats = ["time_utc", "t_tdb_s"], [list(to_iso_utc(t, 3)), t], ["s", ".3f"]
    for name, v in cols["radiance"].items():
        header.append(f"{name}_W_m2_sr_um")
        columns.append(v)
        formats.append(".6e")
    for name, v in cols["rate"].items():
        header.append(f"{name}_e_s_pix")
        columns.append(v)
        formats.append(".6e")
    for key in ("sun_deg", "moon_limb_deg", "earth_deg"):
        header.append(key)
        columns.append(cols[key])
        formats.append(".3f")
    return format_rows(header, columns, formats)


def chart_html(t, rates: dict, title: str, subtitle: str, band_name: str, hidden=None) -> str:
    """A self-contained page: the count rate of every term (log scale) against UTC time, with
    the stretches where ``hidden`` (N,) is true (the target behind the Moon) shaded."""
    import numpy as np

    from ..report.svg import Linear, decimate_minmax, esc, num, polyline_points, utc_time_ticks

    left, right, top, bottom = 80, 150, 30, 50
    finite = [np.asarray(v)[np.isfinite(v) & (np.asarray(v) > 0)] for v in rates.values()]
    hi = max((float(f.max()) for f in finite if f.size), default=1.0)
    lo_data = min((float(f.min()) for f in finite if f.size), default=hi / 10)
    y_hi = math.ceil(math.log10(hi))
    y_lo = max(math.floor(math.log10(lo_data)) - 1, y_hi - CHART_DECADES)  # zeros drawn below the data
    if y_hi <= y_lo:
        y_hi = y_lo + 1
    sx = Linear(float(t[0]), float(t[-1]), left, CHART_W - right)
    sy = Linear(y_lo, y_hi, CHART_H - bottom, top)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{esc(title)}">',
        f'<rect x="{left}" y="{top}" width="{CHART_W - left - right}" height="{CHART_H - top - bottom}" '
        'fill="none" stroke="#999"/>',
    ]
    if hidden is not None and np.any(hidden):
        h = np.asarray(hidden, bool)
        edges = np.flatnonzero(np.diff(np.r_[False, h, False].astype(int)))
        for a, b in zip(edges[::2], edges[1::2]):
            x0, x1 = float(sx(t[a])), float(sx(t[min(b, len(t) - 1)]))
            out.append(
                f'<rect class="hidden" x="{num(x0)}" y="{top}" width="{num(max(x1 - x0, 0.5))}" '
                f'height="{CHART_H - top - bottom}" fill="#000" fill-opacity="0.06"/>'
            )
    for k in range(y_lo, y_hi + 1):
        y = num(float(sy(k)))
        out.append(f'<line x1="{left}" y1="{y}" x2="{CHART_W - right}" y2="{y}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{y}" dy="4" text-anchor="end" font-size="11">1e{k}</text>')
    for tk, label in utc_time_ticks(float(t[0]), float(t[-1])):
        x = num(float(sx(tk)))
        out.append(f'<line x1="{x}" y1="{CHART_H - bottom}" x2="{x}" y2="{CHART_H - bottom + 5}" stroke="#666"/>')
        out.append(f'<text x="{x}" y="{CHART_H - bottom + 18}" text-anchor="middle" font-size="11">{esc(label)}</text>')
    out.append(
        f'<text x="16" y="{num((top + CHART_H - bottom) / 2)}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {num((top + CHART_H - bottom) / 2)})">e⁻/s per pixel ({esc(band_name)})</text>'
    )
    out.append(
        f'<text x="{num((left + CHART_W - right) / 2)}" y="{CHART_H - 10}" text-anchor="middle" font-size="12">UTC</text>'
    )
    for i, (name, v) in enumerate(rates.items()):
        v = np.asarray(v, float)
        y = np.log10(np.maximum(np.where(np.isfinite(v), v, 0.0), 10.0**y_lo))
        td, yd = decimate_minmax(np.asarray(t, float), y)
        colour = COLOURS.get(name, "#000")
        width = "2" if name == "total" else "1.2"
        out.append(
            f'<polyline data-series="{esc(name)}" points="{polyline_points(sx(td), sy(yd))}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"/>'
        )
        ly = top + 16 + 18 * i
        out.append(
            f'<line x1="{CHART_W - right + 12}" y1="{ly}" x2="{CHART_W - right + 36}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="{width}"/>'
        )
        out.append(f'<text x="{CHART_W - right + 42}" y="{ly}" dy="4" font-size="12">{esc(name)}</text>')
    if hidden is not None and np.any(hidden):
        ly = top + 16 + 18 * len(rates) + 8
        out.append(
            f'<rect x="{CHART_W - right + 12}" y="{ly - 6}" width="24" height="12" fill="#000" fill-opacity="0.06"/>'
        )
        out.append(f'<text x="{CHART_W - right + 42}" y="{ly}" dy="4" font-size="12">target behind</text>')
        out.append(f'<text x="{CHART_W - right + 42}" y="{ly + 14}" dy="4" font-size="12">the Moon</text>')
    out.append("</svg>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}p{color:#555}</style>"
        f"</head><body><h1>{esc(title)}</h1><p>{esc(subtitle)}</p>\n" + "\n".join(out) + "\n</body></html>\n"
    )


def _stats(v):
    import numpy as np

    v = np.asarray(v, float)
    f = v[np.isfinite(v)]
    if not f.size:
        return (math.nan,) * 3
    return float(f.min()), float(np.median(f)), float(f.max())


def run(args) -> int:
    import numpy as np

    from ..errors import InputError
    from ..io.tables import check_output_folder
    from ..mission import load_mission
    from ..mission.instrument import mission_instrument
    from ..mission.run import Progress, propagate_mission
    from ..mission.stages import check_no_impact
    from ..time import check_grid_size, parse_duration_s, time_grid, to_iso_utc
    from .windows import check_input_file, load_mission_trajectory

    step = parse_duration_s(args.step, "--step")
    check_input_file(args.trajectory, "--trajectory")
    check_output_folder(args.output, "-o")
    mission = load_mission(args.mission)
    target = _find_target(mission, args.target)
    instrument = mission_instrument(mission)
    band = _band(instrument, args.band)
    check_grid_size(mission.t_start, mission.t_stop, step, "--step")
    if args.zodiacal == "zodipy":
        from ..science.zodiacal import ZODIPY_MIN_WAVELENGTH_UM, zodipy_available

        if not zodipy_available():
            raise InputError("--zodiacal", "zodipy is not installed (pip install zodipy)")
        from ..science.background import pivot_wavelength_um

        lam = pivot_wavelength_um(band)
        if lam < ZODIPY_MIN_WAVELENGTH_UM:
            raise InputError(
                "--zodiacal", f"zodipy applies at >= {ZODIPY_MIN_WAVELENGTH_UM} um; band {band.name} is at {lam:.3f} um"
            )
    if args.trajectory:
        traj = load_mission_trajectory(args.trajectory, mission)
        print(mission.describe(), file=sys.stderr)
    else:
        prog = Progress("propagate")
        traj = propagate_mission(mission, prog).trajectory
        print(mission.describe(), file=sys.stderr)
        prog.done()
        check_no_impact(mission, traj)
    t = time_grid(mission.t_start, mission.t_stop, step)
    prog = Progress("background")
    cols = compute(mission, traj, target, band, t, galactic=args.galactic, zodiacal=args.zodiacal)
    prog.done(f"{t.size} epochs")
    rates = cols["rate"]
    if not np.any(np.isfinite(rates["total"])):
        raise InputError(
            "--target", f"{target.name} stays within ~15 deg of the Sun, where the zodiacal table has no value"
        )
    a, b = to_iso_utc([t[0], t[-1]], 0)
    subtitle = (
        f"{mission.name}: target {target.name} (RA {target.ra_deg:.4f}°, Dec {target.dec_deg:.4f}°), "
        f"band {band.name} of {instrument.name}, {a} .. {b} every {step:g} s"
    )
    csv_body = csv_text(t, cols)
    html = chart_html(
        t, rates, f"Sky background towards {target.name}", subtitle, band.name, hidden=cols["moon_limb_deg"] < 0
    )
    out = args.output
    os.makedirs(out, exist_ok=True)
    csv_path, html_path = os.path.join(out, "background.csv"), os.path.join(out, "background.html")
    tmp_csv, tmp_html = csv_path + ".part", html_path + ".part"  # renamed once both are written
    try:
        for path, text in ((tmp_csv, csv_body), (tmp_html, html)):
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        os.replace(tmp_csv, csv_path)
        os.replace(tmp_html, html_path)
    except OSError as exc:
        for path in (tmp_csv, tmp_html):
            if os.path.exists(path):
                os.unlink(path)
        raise InputError("-o", f"cannot write in {out}: {exc.strerror or exc}") from None
    print(f"wrote {csv_path} and {html_path}", file=sys.stderr)
    print(subtitle)
    print(f"{'term':<10} {'min':>11} {'median':>11} {'max':>11}  e-/s per pixel     radiance at 500 nm, median")
    for name, v in rates.items():
        lo, med, hi = _stats(v)
        rad = cols["radiance"].get(name)
        rad_txt = f"{_stats(rad)[1]:.3e} W m-2 sr-1 um-1" if rad is not None else ""
        print(f"{name:<10} {lo:11.4g} {med:11.4g} {hi:11.4g}  {'':17} {rad_txt}")
    return 0
