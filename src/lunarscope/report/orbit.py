"""The report's "Orbit history" section: elements, apsides, eccentricity vector, beta angle and
ground track over the span, as self-contained SVG (no script needed).

``orbit_history_section(plan)`` reads ``plan.orbit_history`` (:class:`lunarscope.products.PlanOrbitHistory`,
made by ``mission.plan.plan_orbit_history``) and returns ``<section id="orbit-history">`` with
five charts (``svg[data-chart]``):

* ``elements``: osculating and mean a, e, i, Ω, ω vs UTC, one small panel each, measured in the
  plane the plan names (``orbits.planes``: MOON_ME = the lunar equator);
* ``apsides``: osculating periapsis and apoapsis altitude and the mean periapsis altitude
  a̅ (1 − |e̅|) − R, R = 1737.4 km;
* ``evector``: the eccentricity vector (e cos ω, e sin ω), osculating and mean, equal axes;
* ``beta``: beta angle β = asin(ĥ · ŝ) (Sun elevation above the orbit plane) vs UTC;
* ``groundtrack``: selenographic latitude / longitude (MOON_ME) on an equirectangular map with
  a 30° graticule, the mission's lunar sites marked and labelled.

Labels are placed with :func:`lunarscope.report.svg.place_labels` (no overlap, inside the chart;
a leader line when moved away from the point). Series are min/max-decimated to
``DISPLAY_POINTS`` vertices per line (extremes survive); byte-deterministic.
"""

from __future__ import annotations

import numpy as np

from lunarscope import time as lstime
from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.products import Plan
from lunarscope.report.svg import (
    TICK_FONT_PX,
    Linear,
    decimate_minmax,
    esc,
    leader_end,
    nice_ticks,
    num,
    place_labels,
    polyline_points,
    utc_time_ticks,
    value_axis,
    value_x_axis,
)
from lunarscope.report.svg import (
    chart_open as _svg_open,
)
from lunarscope.report.svg import (
    legend_row as _legend,
)

#: Chart width (px, the report's charts are 1000 wide).
WIDTH_PX = 1000
#: Most vertices drawn per line (min/max per bucket: 3 points per bucket, so ~1.3 per pixel column).
DISPLAY_POINTS = 1200
#: Most vertices of a mean-element line: a one-period running mean has no variation shorter than
#: the period, so fewer vertices draw it (the report's size: ~70 kB less on the demo).
MEAN_DISPLAY_POINTS = 400
#: An angle series (deg) jumping by more than this between samples has wrapped 360 → 0: the
#: line is broken there instead of drawn across the panel.
WRAP_JUMP_DEG = 180.0
#: Graticule step of the ground-track map (deg).
GRID_STEP_DEG = 30
OSC_COLOUR, MEAN_COLOUR = "#d62728", "#1f3b73"
PANELS = (  # (field, mean field, axis title, is an angle)
    ("a_km", "mean_a_km", "a (km)", False),
    ("e", "mean_e", "e", False),
    ("i_deg", "mean_i_deg", "i (°)", False),
    ("raan_deg", "mean_raan_deg", "Ω (°)", True),
    ("argp_deg", "mean_argp_deg", "ω (°)", True),
)


def _time_axis(sx: Linear, ticks, y_top: float, y_bottom: float, labels: bool, t0: float) -> list[str]:
    """Vertical grid lines at the UTC ticks; tick labels and the axis title only when ``labels``."""
    out = [
        '<g class="axis time-axis">',
        f'<line x1="{num(sx.p0)}" y1="{num(y_bottom)}" x2="{num(sx.p1)}" y2="{num(y_bottom)}"/>',
    ]
    for t, label in ticks:
        x = float(sx(t))
        out.append(f'<line class="gridline" x1="{num(x)}" y1="{num(y_top)}" x2="{num(x)}" y2="{num(y_bottom)}"/>')
        if labels:
            anchor = "end" if x > sx.p1 - 40 else ("start" if x < sx.p0 + 40 else "middle")
            out.append(
                f'<text class="tick" data-tdb="{t:.3f}" x="{num(x)}" y="{num(y_bottom + 16)}" '
                f'text-anchor="{anchor}">{esc(label)}</text>'
            )
    if labels:
        start = str(lstime.to_iso_utc(t0, 0)[0])
        out.append(
            f'<text class="lbl" x="{num((sx.p0 + sx.p1) / 2)}" y="{num(y_bottom + 33)}" '
            f'text-anchor="middle">Time (UTC), from {esc(start)}</text>'
        )
    out.append("</g>")
    return out


def _segments(
    t: np.ndarray, y: np.ndarray, angle: bool, most: int = DISPLAY_POINTS
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The series split where an angle wraps (jump > ``WRAP_JUMP_DEG``), each min/max-decimated."""
    if t.size == 0:
        return []
    cuts = np.flatnonzero(np.abs(np.diff(y)) > WRAP_JUMP_DEG) + 1 if angle else np.zeros(0, int)
    out = []
    bounds = [0, *cuts.tolist(), t.size]
    share = max(2, most // max(1, len(bounds) - 1))
    for a, b in zip(bounds[:-1], bounds[1:]):
        out.append(decimate_minmax(t[a:b], y[a:b], share))
    return out


def _lines(sx, sy, segs, series: str, colour: str, width: float, dash: str = "") -> list[str]:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return [
        f'<polyline class="mark" data-series="{series}" points="{polyline_points(sx(td), sy(yd))}" fill="none" '
        f'stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
        for td, yd in segs
        if td.size
    ]


def _range_ticks(arrays, target: int, pad_frac: float = 0.05, min_span: float = 0.0):
    """Nice ticks and a data range covering every finite value of ``arrays``."""
    vals = np.concatenate([np.asarray(a, float).ravel() for a in arrays]) if arrays else np.zeros(0)
    vals = vals[np.isfinite(vals)]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
    if hi - lo < min_span:
        mid = 0.5 * (hi + lo)
        lo, hi = mid - 0.5 * min_span, mid + 0.5 * min_span
    pad = pad_frac * (hi - lo if hi > lo else max(abs(hi), 1.0))
    ticks = nice_ticks(lo - pad, hi + pad, target)
    return ticks, min(ticks[0], lo - pad), max(ticks[-1], hi + pad)


def _elements_chart(h, t0: float, t1: float, ticks) -> str:
    left, right, top, panel_h, gap, bottom = 92, 20, 52, 86, 16, 50
    height = top + len(PANELS) * (panel_h + gap) - gap + bottom
    sx = Linear(t0, t1, left, WIDTH_PX - right)
    out = _svg_open(
        "elements",
        WIDTH_PX,
        height,
        f"Orbital elements in the {h.plane} plane: osculating and mean",
        time_axis=(t0, t1, sx.p0, sx.p1),
    )
    out += _legend(
        [("osculating", "osculating", OSC_COLOUR), ("mean", "mean (one-period running mean)", MEAN_COLOUR)], left, 40
    )
    for k, (field, mean_field, label, angle) in enumerate(PANELS):
        y0 = top + k * (panel_h + gap)
        osc, mean = getattr(h, field), getattr(h, mean_field)
        vt, lo, hi = _range_ticks([osc, mean], 3, min_span=1e-6 if field == "e" else 1e-3)
        sy = Linear(lo, hi, y0 + panel_h, y0)
        out.append(f'<g class="panel" data-panel="{esc(field)}">')
        out += _orbit_value_axis(sy, left, WIDTH_PX - right, label, [v for v in vt if lo <= v <= hi])
        out += _time_axis(sx, ticks, y0, y0 + panel_h, k == len(PANELS) - 1, t0)
        out += _lines(sx, sy, _segments(h.t_tdb, osc, angle), "osculating", OSC_COLOUR, 0.8)
        out += _lines(sx, sy, _segments(h.mean_t_tdb, mean, angle, MEAN_DISPLAY_POINTS), "mean", MEAN_COLOUR, 1.6)
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _apsides_chart(h, t0: float, t1: float, ticks) -> str:
    left, right, top, bottom, height = 92, 20, 52, 50, 320
    sx = Linear(t0, t1, left, WIDTH_PX - right)
    mean_peri = np.hypot(h.mean_ex, h.mean_ey)
    mean_peri = h.mean_a_km * (1.0 - mean_peri) - MOON_RADIUS_KM
    vt, lo, hi = _range_ticks([h.periapsis_alt_km, h.apoapsis_alt_km, mean_peri], 5)
    sy = Linear(lo, hi, height - bottom, top)
    out = _svg_open(
        "apsides",
        WIDTH_PX,
        height,
        f"Periapsis and apoapsis altitude above the {MOON_RADIUS_KM} km sphere",
        time_axis=(t0, t1, sx.p0, sx.p1),
    )
    out += _legend(
        [
            ("periapsis", "periapsis (osculating)", OSC_COLOUR),
            ("apoapsis", "apoapsis (osculating)", "#1f77b4"),
            ("mean-periapsis", "mean periapsis", MEAN_COLOUR),
        ],
        left,
        40,
    )
    out += _orbit_value_axis(sy, left, WIDTH_PX - right, "Altitude (km)", [v for v in vt if lo <= v <= hi])
    out += _time_axis(sx, ticks, top, height - bottom, True, t0)
    out += _lines(sx, sy, _segments(h.t_tdb, h.periapsis_alt_km, False), "periapsis", OSC_COLOUR, 1.0)
    out += _lines(sx, sy, _segments(h.t_tdb, h.apoapsis_alt_km, False), "apoapsis", "#1f77b4", 1.0)
    out += _lines(
        sx,
        sy,
        _segments(h.mean_t_tdb, mean_peri, False, MEAN_DISPLAY_POINTS),
        "mean-periapsis",
        MEAN_COLOUR,
        1.6,
        "5 3",
    )
    out.append("</svg>")
    return "\n".join(out)


def _beta_chart(h, t0: float, t1: float, ticks) -> str:
    left, right, top, bottom, height = 92, 20, 40, 50, 280
    sx = Linear(t0, t1, left, WIDTH_PX - right)
    vt, lo, hi = _range_ticks([h.beta_deg, np.zeros(1)], 5)
    sy = Linear(lo, hi, height - bottom, top)
    out = _svg_open(
        "beta", WIDTH_PX, height, "Beta angle: Sun elevation above the orbit plane", time_axis=(t0, t1, sx.p0, sx.p1)
    )
    out += _orbit_value_axis(sy, left, WIDTH_PX - right, "β (°)", [v for v in vt if lo <= v <= hi])
    out += _time_axis(sx, ticks, top, height - bottom, True, t0)
    y0 = num(float(sy(0.0)))
    out.append(
        f'<line x1="{num(left)}" y1="{y0}" x2="{num(WIDTH_PX - right)}" y2="{y0}" stroke="#777" stroke-width="1"/>'
    )
    out += _lines(sx, sy, _segments(h.t_tdb, h.beta_deg, False), "beta", "#e6a100", 1.4)
    out.append("</svg>")
    return "\n".join(out)


def _evector_chart(h) -> str:
    size, left, top, bottom = 400, 92, 40, 50
    width, height = WIDTH_PX, top + size + bottom
    xs, ys = np.concatenate([h.ex, h.mean_ex]), np.concatenate([h.ey, h.mean_ey])
    cx, cy = 0.5 * (xs.min() + xs.max()), 0.5 * (ys.min() + ys.max())
    half = max(float(np.ptp(xs)), float(np.ptp(ys)), 1e-4) * 0.55
    sx = Linear(cx - half, cx + half, left, left + size)  # equal axes: one scale for both
    sy = Linear(cy - half, cy + half, top + size, top)
    out = _svg_open("evector", width, height, "Eccentricity vector (e cos ω, e sin ω)")
    xt = [v for v in nice_ticks(sx.d0, sx.d1, 4) if sx.d0 <= v <= sx.d1]
    yt = [v for v in nice_ticks(sy.d0, sy.d1, 4) if sy.d0 <= v <= sy.d1]
    out += _orbit_value_axis(sy, left, left + size, "e sin ω", yt)
    out += value_x_axis(sx, xt, top, top + size, "e cos ω")
    n = max(2, DISPLAY_POINTS)
    k = np.unique(np.linspace(0, h.ex.size - 1, min(n, h.ex.size)).astype(int)) if h.ex.size else np.zeros(0, int)
    out.append(
        f'<polyline class="mark" data-series="osculating" points="{polyline_points(sx(h.ex[k]), sy(h.ey[k]))}" '
        f'fill="none" stroke="{OSC_COLOUR}" stroke-width="0.6" stroke-opacity="0.7"/>'
    )
    if h.mean_ex.size:
        m = np.unique(np.linspace(0, h.mean_ex.size - 1, min(MEAN_DISPLAY_POINTS, h.mean_ex.size)).astype(int))
        out.append(
            f'<polyline class="mark" data-series="mean" points="{polyline_points(sx(h.mean_ex[m]), sy(h.mean_ey[m]))}" '
            f'fill="none" stroke="{MEAN_COLOUR}" stroke-width="1.8"/>'
        )
    pts = [(float(sx(h.ex[0])), float(sy(h.ey[0])), "start"), (float(sx(h.ex[-1])), float(sy(h.ey[-1])), "end")]
    for x, y, what in pts:
        out.append(
            f'<circle class="mark" data-series="{what}" cx="{num(x)}" cy="{num(y)}" r="3.5" fill="#000">'
            f"<title>{what} (osculating)</title></circle>"
        )
    out += _point_labels([(x, y) for x, y, _ in pts], ["start", "end"], (left, top, left + size, top + size))
    out += _legend(
        [("osculating", "osculating", OSC_COLOUR), ("mean", "mean", MEAN_COLOUR)], left + size + 20, top + 14
    )
    out.append("</svg>")
    return "\n".join(out)


def _point_labels(anchors, texts, bounds, avoid=()) -> list[str]:
    """Labels beside their points without overlap (``svg.place_labels``), with leader lines."""
    out = []
    for (ax, ay), text, (x, y, leader) in zip(
        anchors, texts, place_labels(anchors, texts, bounds, TICK_FONT_PX, avoid)
    ):
        if leader:
            lx, ly = leader_end(ax, ay, x, y, text, TICK_FONT_PX)
            out.append(
                f'<line class="leader" x1="{num(ax)}" y1="{num(ay)}" x2="{num(lx)}" y2="{num(ly)}" '
                f'stroke="#555" stroke-width="0.7"/>'
            )
        out.append(f'<text class="tick point-label" x="{num(x)}" y="{num(y)}">{esc(text)}</text>')
    return out


def _groundtrack_chart(h, sites) -> str:
    left, top, map_w, map_h, bottom = 92, 40, 840, 420, 54  # 2:1, ~2.3 px per degree
    width, height = WIDTH_PX, top + map_h + bottom
    sx = Linear(-180.0, 180.0, left, left + map_w)
    sy = Linear(-90.0, 90.0, top + map_h, top)
    out = _svg_open("groundtrack", width, height, "Lunar ground track (selenographic, MOON_ME), equirectangular")
    out.append(
        f'<rect x="{num(left)}" y="{num(top)}" width="{num(map_w)}" height="{num(map_h)}" fill="#f4f4f2" stroke="#888"/>'
    )
    out.append('<g class="axis graticule">')
    for lon in range(-180, 181, GRID_STEP_DEG):
        x = num(float(sx(lon)))
        out.append(f'<line class="gridline" x1="{x}" y1="{num(top)}" x2="{x}" y2="{num(top + map_h)}"/>')
        anchor = "start" if lon == -180 else ("end" if lon == 180 else "middle")  # clear of the ±90° labels
        out.append(f'<text class="tick" x="{x}" y="{num(top + map_h + 15)}" text-anchor="{anchor}">{lon}°</text>')
    for lat in range(-90, 91, GRID_STEP_DEG):
        y = num(float(sy(lat)))
        out.append(f'<line class="gridline" x1="{num(left)}" y1="{y}" x2="{num(left + map_w)}" y2="{y}"/>')
        out.append(f'<text class="tick" x="{num(left - 6)}" y="{y}" dy="4" text-anchor="end">{lat}°</text>')
    out.append(
        f'<text class="lbl" x="{num(left + map_w / 2)}" y="{num(top + map_h + 36)}" text-anchor="middle">'
        "Selenographic longitude (° east)</text>"
    )
    out.append(
        f'<text class="lbl" transform="translate({num(left - 44)},{num(top + map_h / 2)}) rotate(-90)" '
        'text-anchor="middle">Selenographic latitude (°)</text></g>'
    )
    if h.track_t_tdb.size:
        px, py = sx(h.track_lon_deg), sy(h.track_lat_deg)
        d = "".join(f"M{num(a)} {num(b)}h0" for a, b in zip(px.tolist(), py.tolist()))
        out.append(
            f'<path class="mark" data-series="track" d="{d}" fill="none" stroke="{OSC_COLOUR}" '
            'stroke-width="1.8" stroke-linecap="round"/>'
        )
    anchors, texts = [], []
    for s in sites:
        x, y = float(sx(((s.lon_deg + 180.0) % 360.0) - 180.0)), float(sy(s.lat_deg))
        out.append(
            f'<path class="mark site" data-series="sites" d="M{num(x)} {num(y - 5)}l4.5 8h-9z" fill="#2ca02c" '
            f'stroke="#000" stroke-width="0.6"><title>{esc(s.name)} ({s.lat_deg:.3f}°, {s.lon_deg:.3f}°)</title></path>'
        )
        anchors.append((x, y))
        texts.append(s.name)
    out += _point_labels(anchors, texts, (left, top, left + map_w, top + map_h))
    out.append("</svg>")
    return "\n".join(out)


def _note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def orbit_history_section(plan: Plan) -> str:
    """``<section id="orbit-history">`` with the five charts (module docstring), or a note when
    the plan carries no orbit history."""
    h = plan.orbit_history
    head = '<section id="orbit-history">\n<h2>Orbit history</h2>\n'
    if h is None or h.t_tdb.size == 0:
        return head + '<p class="none">No orbit history in this plan.</p>\n</section>\n'
    m = plan.mission
    t0, t1 = float(m.start_tdb), float(m.stop_tdb)
    if not t1 > t0:
        t1 = t0 + 3600.0
    ticks = utc_time_ticks(t0, t1)
    dec = (
        f"computed from {h.samples} states every {h.step_s:g} s, kept at {h.t_tdb.size} samples (stride "
        f"{max(1, round((h.samples - 1) / max(h.t_tdb.size - 1, 1)))}), lines min/max-decimated to ≤ {DISPLAY_POINTS} vertices (mean lines ≤ {MEAN_DISPLAY_POINTS})"
    )
    lead = (
        f"Elements measured in the {h.plane} plane (orbits.planes: "
        + (
            "the lunar equator, MOON_ME axes at each epoch, rotation only; Ω turns with the Moon"
            if h.plane == "MOON_ME"
            else h.plane
        )
        + f"). Mean elements: {h.mean_method}, window {h.period_s / 3600:.3f} h."
    )
    parts = [
        f'<p class="lead">{esc(lead)}</p>',
        _elements_chart(h, t0, t1, ticks),
        _note(
            f"Osculating (Vallado 2013, Alg. 9) and mean elements; {dec}. Mean values exist from half a window after the start to half a window before the end."
        ),
        _apsides_chart(h, t0, t1, ticks),
        _note(
            f"Periapsis / apoapsis altitude a(1 ∓ e) − {MOON_RADIUS_KM} km; mean periapsis a̅(1 − |e̅|) − {MOON_RADIUS_KM} km from the mean eccentricity vector; {dec}."
        ),
        _evector_chart(h),
        _note(
            f"Eccentricity vector in the {h.plane} plane; mean = one-period running mean of (e cos ω, e sin ω); equal axes; {dec}."
        ),
        _beta_chart(h, t0, t1, ticks),
        _note(
            f"β = asin(ĥ · ŝ): ĥ the orbit normal, ŝ the Moon → Sun unit vector (mission ephemeris, geometric); {dec}."
        ),
        _groundtrack_chart(h, plan.sites),
        _note(
            f"Sub-spacecraft point: latitude asin(z/|r|), longitude atan2(y, x) in MOON_ME, {h.track_t_tdb.size} samples over the span (dots); triangles: the mission's lunar sites."
        ),
    ]
    return head + "\n".join(parts) + "\n</section>\n"


def _orbit_value_axis(sy, x, x_right, label, ticks):
    """``svg.value_axis`` with the title further left (this section's wider tick labels)."""
    return value_axis(sy, x, x_right, label, ticks, title_dx=74)
