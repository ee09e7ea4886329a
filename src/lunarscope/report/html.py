"""The mission report: one self-contained HTML file with inline SVG charts built in Python.

``render_report(plan)`` takes the typed plan (:class:`lunarscope.products.Plan`, the tree
behind ``summary.json``) and returns the HTML text. Every value is read by attribute, so a field
renamed in the plan fails here (``AttributeError``) instead of showing "—". The page opens
offline: no network, no external scripts or styles; the inline script (``report/assets.py``)
records errors, zooms and pans the time charts (each time chart's ``<svg>`` carries its axis in
``data-t0``/``data-t1``/``data-x0``/``data-x1``/``data-utc0``, ``svg.time_axis_attrs``), shows
tooltips, toggles legend entries, exports charts as SVG/PNG and sorts and filters the tables
(``report/tables.py``). Same input → byte-identical output (the only timestamp is
``plan.generated_utc``). Any list or series may be empty; the section then says so. All text
from the plan is HTML-escaped. Times are read as TDB (``*_tdb``); UTC text is only printed.

Charts are ``<svg data-chart="NAME">`` inside ``<section id="NAME">``; their data marks carry
``class="mark"`` (or sit in a ``<g class="marks">``) so tests and people can find them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lunarscope import time as lstime
from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.products import Plan, PlanWindow
from lunarscope.report import assets
from lunarscope.report.orbit import orbit_history_section
from lunarscope.report.skymap import coverage_section, graticule_svg, sky_planes_svg, small_circle, split_lines
from lunarscope.report.svg import (
    TICK_FONT_PX,
    Linear,
    decimate_minmax,
    decimate_stride,
    esc,
    hammer_aitoff,
    leader_end,
    nice_ticks,
    num,
    place_labels,
    polyline_points,
    tick_label,
    utc_time_ticks,
    value_x_axis,
    viridis,
)
from lunarscope.report.svg import (
    chart_open as _svg_open,
)
from lunarscope.report.svg import (
    legend_row as _legend,
)
from lunarscope.report.svg import (
    value_axis as _value_axis,
)
from lunarscope.report.tables import cell, data_table

CHART_W = 1000
#: Gaps between intervals narrower than this many pixels are closed when drawing a row.
MERGE_GAP_PX = 0.5
#: Narrow intervals are drawn at least this wide (px) so they stay visible.
MIN_BAR_PX = 0.6
#: Above this many schedule activities (or timeline windows), a chart omits per-bar tooltips and
#: merges its bars (file size).
MAX_TOOLTIPS = 4000
#: Time span (s) of the report's finest zoom button ("day"): merged rows keep the gaps that are at
#: least ``MERGE_GAP_PX`` wide at this span, so the day view still shows them.
DETAIL_SPAN_S = 86400.0
#: Most merged bars drawn in one chart; above it the merge gap doubles until they fit (file
#: size and script speed: ~70 bytes and one attribute update per bar on zoom).
MAX_BARS_PER_CHART = 20000

TIMELINE_COLOURS = {
    "umbra": "#2b2b2b",
    "penumbra": "#9a9a9a",
    "contact": "#1f77b4",
    "site_pass": "#2ca02c",
    "site_sunlit": "#e6b400",
    "site_earth_visible": "#17becf",
    "radio_quiet": "#8c564b",
}
TIMELINE_LABELS = {
    "umbra": "umbra",
    "penumbra": "penumbra",
    "contact": "station contact",
    "site_pass": "site pass",
    "site_sunlit": "site sunlit",
    "site_earth_visible": "site sees Earth",
    "radio_quiet": "radio-quiet (Earth hidden)",
}
ACTIVITY_COLOURS = {
    "observe": "#2ca02c",
    "slew": "#ff7f0e",
    "downlink": "#1f77b4",
    "engineering": "#9467bd",
    "idle": "#c7c7c7",
}
ACTIVITY_ORDER = ["observe", "slew", "downlink", "engineering", "idle"]


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def _fmt(v: Any, decimals: int = 3) -> str:
    """Human text of a metric value (None → em dash; floats with ≤ ``decimals`` significant places)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
            return f"{v:.{decimals}e}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:.{decimals}f}"
    return str(v)


def _tenths(v: float) -> str:
    """``v`` to 0.1 with thousands separators; a level a rounding error below zero (the
    recorder's final level of a schedule that empties it) reads 0.0, not -0.0."""
    return f"{round(float(v), 1) + 0.0:,.1f}"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600.0:.2f} h"


def _duration(seconds: float) -> str:
    """'42 s', '12 min 03 s', '3 h 05 min' (a bar's tooltip)."""
    s = int(round(float(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


#: How to zoom a time chart (the report's script, report/assets.py), said in each time chart's lead.
ZOOM_HINT = (
    "Zoom: drag across the plot, Ctrl/Alt + wheel, or the day / week / all buttons; shift-drag or ◀ ▶ to pan; "
    "double-click to reset."
)


def _pct(frac) -> str:
    return "—" if frac is None else f"{100.0 * float(frac):.1f} %"


def _none(text: str) -> str:
    return f'<p class="none">{esc(text)}</p>'


#: The text of a solver status whose search was stopped by the wall-clock cap (scheduling).
TIME_CAP_TEXT = "wall-clock cap hit"


def time_cap_hit(status: str | None) -> bool:
    """Whether the solver status says the wall-clock cap stopped the search."""
    return bool(status) and TIME_CAP_TEXT in status


def _section(sid: str, heading: str, body: str, lead: str = "") -> str:
    lead_html = f'<p class="lead">{esc(lead)}</p>' if lead else ""
    return f'<section id="{esc(sid)}">\n<h2>{esc(heading)}</h2>\n{lead_html}{body}\n</section>\n'


def _merge(intervals: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """Sort and merge intervals whose gap is ≤ ``gap`` (same units as the intervals)."""
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


class _TimeAxis:
    """Shared time axis (TDB s) of every time chart: same span, same UTC ticks."""

    def __init__(self, t0: float, t1: float):
        if not t1 > t0:
            t1 = t0 + 3600.0
        self.t0, self.t1 = float(t0), float(t1)
        self.ticks = utc_time_ticks(self.t0, self.t1)

    def scale(self, x0: float, x1: float) -> Linear:
        return Linear(self.t0, self.t1, x0, x1)

    def draw(self, sx: Linear, y_top: float, y_bottom: float) -> list[str]:
        """Vertical grid lines, tick labels at round UTC times and the axis title."""
        out = [
            '<g class="axis time-axis">',
            f'<line x1="{num(sx.p0)}" y1="{num(y_bottom)}" x2="{num(sx.p1)}" y2="{num(y_bottom)}"/>',
        ]
        for t, label in self.ticks:
            x = num(float(sx(t)))
            out.append(f'<line class="gridline" x1="{x}" y1="{num(y_top)}" x2="{x}" y2="{num(y_bottom)}"/>')
            out.append(f'<line x1="{x}" y1="{num(y_bottom)}" x2="{x}" y2="{num(y_bottom + 4)}"/>')
            xf = float(sx(t))
            anchor = "end" if xf > sx.p1 - 30 else ("start" if xf < sx.p0 + 30 else "middle")
            out.append(
                f'<text class="tick" data-tdb="{t:.3f}" x="{x}" y="{num(y_bottom + 16)}" '
                f'text-anchor="{anchor}">{esc(label)}</text>'
            )
        start = str(lstime.to_iso_utc(self.t0, 0)[0])
        out.append(
            f'<text class="lbl" x="{num((sx.p0 + sx.p1) / 2)}" y="{num(y_bottom + 33)}" '
            f'text-anchor="middle">Time (UTC), from {esc(start)}</text>'
        )
        out.append("</g>")
        return out


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def _summary(plan: Plan) -> str:
    mission = plan.mission
    metrics = plan.schedule.metrics
    umbra = sum(w.duration_s for w in plan.windows if w.kind == "umbra")
    penumbra = sum(w.duration_s for w in plan.windows if w.kind == "penumbra")
    contact = sum(w.duration_s for w in plan.windows if w.kind == "contact")
    cards = [
        ("Duration", f"{float(mission.duration_days):.2f} d"),
        ("Targets", str(len(plan.targets))),
        ("Science value", _fmt(metrics.science_value)),
        ("Fraction of bound", _pct(metrics.fraction_of_bound)),
        ("Observing efficiency", _pct(metrics.observing_efficiency)),
        (
            "Requests full / partial / none",
            f"{_fmt(metrics.requests_full)} / {_fmt(metrics.requests_partial)} / {_fmt(metrics.requests_none)}",
        ),
        ("Umbra / penumbra", f"{_hours(umbra)} / {_hours(penumbra)}"),
        ("Station contact", _hours(contact)),
        ("Recorder peak", f"{_fmt(metrics.recorder_peak_mbit)} Mbit"),
    ]
    html = []
    capped = time_cap_hit(metrics.status)
    if capped:
        html.append(f'<p class="warn"><strong>Solver stopped by its wall-clock cap:</strong> {esc(metrics.status)}</p>')
    html.append('<div class="cards">')
    for k, v in cards:
        html.append(f'<div class="card"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div></div>')
    html.append(
        f'<div class="card" id="solver-card"><div class="v">{esc(metrics.solver or "—")}</div>'
        f'<div class="k">Solver; bound: {esc(metrics.bound_source or "none")}</div></div>'
    )
    flag = '<span class="flag hit">hit</span>' if capped else '<span class="flag ok">not hit</span>'
    html.append(
        f'<div class="card" id="time-cap" data-time-cap="{"hit" if capped else "not-hit"}"><div class="v">{flag}</div>'
        '<div class="k">Time cap (result depends on machine speed when hit)</div></div>'
    )
    html.append("</div>")
    rows = [
        ("Mission", mission.name),
        ("Description", mission.description),
        ("Start (UTC)", mission.start_utc),
        ("Stop (UTC)", mission.stop_utc),
        ("Force model", mission.force_model),
    ]
    unit = {"a_km": "km", "i_deg": "°", "raan_deg": "°", "argp_deg": "°", "ta_deg": "°"}
    parts = [f"{k} = {_fmt(v, 6)}{(' ' + unit[k]) if k in unit else ''}" for k, v in mission.orbit.to_dict().items()]
    rows.append(("Initial orbit", "; ".join(parts)))
    if mission.spacecraft:
        rows.append(("Spacecraft", "; ".join(f"{k} = {_fmt(v)}" for k, v in mission.spacecraft.items())))
    rows.append(("Data latency mean / max", f"{_fmt(metrics.latency_mean_s)} s / {_fmt(metrics.latency_max_s)} s"))
    rows.append(("Recorder final", f"{_fmt(metrics.recorder_final_mbit)} Mbit"))
    rows.append(("Solver", metrics.solver))
    rows.append(("Solver status", metrics.status or "—"))
    rows.append(("Bound", f"{_fmt(metrics.bound)} ({metrics.bound_source or 'LP relaxation'})"))
    rows.append(("Time cap stopped the search", "yes" if capped else "no"))
    rows.append(("Ground stations", ", ".join(s.name for s in plan.stations) or "none"))
    rows.append(("Lunar sites", ", ".join(s.name for s in plan.sites) or "none"))
    html.append('<table class="kv">')
    for k, v in rows:
        html.append(f"<tr><th>{esc(k)}</th><td>{esc(_fmt(v))}</td></tr>")
    html.append("</table>")
    return _section("summary", "Mission summary", "\n".join(html))


def _orbit(plan: Plan) -> str:
    r = plan.trajectory.r_km
    if r.shape[0] == 0:
        return _section("orbit", "Orbit", _none("No trajectory in this plan."))
    e = plan.trajectory.earth_dir
    idx = decimate_stride(r.shape[0])
    rd = r[idx]
    extent = max(float(np.max(np.abs(r))), MOON_RADIUS_KM) * 1.08
    panel, gap, top, left = 290.0, 40.0, 36.0, 64.0
    width = left + 3 * panel + 2 * gap + 16
    height = top + panel + 58
    out = _svg_open("orbit", width, height, "Orbit, Moon-centred ICRF (orthographic projections)")
    km_per_px = 2 * extent / panel
    for p, (ia, ib, na, nb) in enumerate([(0, 1, "X", "Y"), (0, 2, "X", "Z"), (1, 2, "Y", "Z")]):
        x0 = left + p * (panel + gap)
        sx = Linear(-extent, extent, x0, x0 + panel)
        sy = Linear(-extent, extent, top + panel, top)
        cx, cy = float(sx(0.0)), float(sy(0.0))
        out.append(f'<g class="panel" data-panel="{na}{nb}" data-km-per-px="{km_per_px:.6f}">')
        out.append(
            f'<rect x="{num(x0)}" y="{num(top)}" width="{num(panel)}" height="{num(panel)}" fill="none" stroke="#888"/>'
        )
        ticks = [v for v in nice_ticks(-extent, extent, 4)]
        for v in ticks:
            tx, ty = num(float(sx(v))), num(float(sy(v)))
            out.append(f'<line class="gridline" x1="{tx}" y1="{num(top)}" x2="{tx}" y2="{num(top + panel)}"/>')
            out.append(
                f'<text class="tick" x="{tx}" y="{num(top + panel + 14)}" text-anchor="middle">'
                f'{esc(tick_label(v, ticks))}</text>'
            )
            out.append(f'<line class="gridline" x1="{num(x0)}" y1="{ty}" x2="{num(x0 + panel)}" y2="{ty}"/>')
            if p == 0:
                out.append(
                    f'<text class="tick" x="{num(x0 - 4)}" y="{ty}" dy="4" text-anchor="end">'
                    f'{esc(tick_label(v, ticks))}</text>'
                )
        out.append(
            f'<text class="lbl" x="{num(x0 + panel / 2)}" y="{num(top + panel + 32)}" '
            f'text-anchor="middle">{na} (km)</text>'
        )
        out.append(
            f'<text class="lbl" transform="translate({num(x0 - (48 if p == 0 else 8))},'
            f'{num(top + panel / 2)}) rotate(-90)" text-anchor="middle">{nb} (km)</text>'
        )
        out.append(
            f'<circle class="moon" cx="{num(cx, 2)}" cy="{num(cy, 2)}" '
            f'r="{num(MOON_RADIUS_KM / km_per_px, 3)}" data-radius-km="{MOON_RADIUS_KM}" '
            f'fill="#cfcfcf" stroke="#777"><title>Moon, radius {MOON_RADIUS_KM} km</title></circle>'
        )
        pts = polyline_points(sx(rd[:, ia]), sy(rd[:, ib]))
        out.append(
            f'<polyline class="mark" data-series="trajectory" points="{pts}" fill="none" '
            f'stroke="#d62728" stroke-width="0.8"/>'
        )
        out.append(
            f'<circle class="mark" data-series="start" cx="{num(float(sx(r[0, ia])))}" '
            f'cy="{num(float(sy(r[0, ib])))}" r="3.5" fill="#000"><title>start</title></circle>'
        )
        if e.shape[0] > 0:
            tips = []
            for k, dash, lab in ((0, "", "Earth (start)"), (e.shape[0] - 1, ' stroke-dasharray="4 3"', "Earth (end)")):
                u = e[k] / max(np.linalg.norm(e[k]), 1e-300)
                ln = 0.42 * panel
                ex, ey = cx + ln * u[ia], cy - ln * u[ib]
                out.append(
                    f'<line class="earth-dir" x1="{num(cx)}" y1="{num(cy)}" x2="{num(ex)}" y2="{num(ey)}" '
                    f'stroke="#1f77b4" stroke-width="1.6"{dash} marker-end="url(#arrow)"/>'
                )
                tips.append(((ex, ey), lab))
                if e.shape[0] == 1:
                    break
            # labels beside the arrow tips, never overlapping each other nor leaving the panel
            # (svg.place_labels); a leader line joins a label moved away from its tip
            anchors, texts = [a for a, _ in tips], [b for _, b in tips]
            for (ax, ay), lab, (lx, ly, leader) in zip(
                anchors, texts, place_labels(anchors, texts, (x0, top, x0 + panel, top + panel))
            ):
                if leader:
                    qx, qy = leader_end(ax, ay, lx, ly, lab, TICK_FONT_PX)
                    out.append(
                        f'<line class="leader" x1="{num(ax)}" y1="{num(ay)}" x2="{num(qx)}" y2="{num(qy)}" '
                        'stroke="#1f77b4" stroke-width="0.7"/>'
                    )
                out.append(
                    f'<text class="tick earth-label" x="{num(lx)}" y="{num(ly)}" fill="#1f77b4">{esc(lab)}</text>'
                )
        out.append("</g>")
    out.insert(
        1,
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f77b4"/>'
        '</marker></defs>',
    )
    out += _legend(
        [
            ("trajectory", "trajectory", "#d62728"),
            ("earth", "direction to Earth", "#1f77b4"),
            ("moon", f"Moon to scale (R = {MOON_RADIUS_KM} km)", "#cfcfcf"),
        ],
        left,
        height - 6,
        False,
    )
    out.append("</svg>")
    lead = (
        f"Three orthographic projections of the trajectory ({r.shape[0]} samples, "
        f"{len(idx)} drawn) in Moon-centred ICRF axes; the grey disc is the Moon to scale."
    )
    return _section("orbit", "Orbit", "\n".join(out), lead)


def _line_chart(
    name: str,
    title: str,
    t: np.ndarray,
    y: np.ndarray,
    ylabel: str,
    axis: _TimeAxis,
    y_min: float | None = None,
    hline: tuple[float, str] | None = None,
    step: bool = False,
) -> str:
    width, height = CHART_W, 300
    left, right, top, bottom = 80, 20, 34, 50
    sx = axis.scale(left, width - right)
    y_hi = float(np.max(y)) if y.size else 1.0
    y_lo = float(np.min(y)) if y_min is None else y_min
    if hline is not None:
        y_hi = max(y_hi, hline[0])
    pad = 0.05 * (y_hi - y_lo if y_hi > y_lo else 1.0)
    ticks = nice_ticks(y_lo if y_min is not None else y_lo - pad, y_hi + pad, 5)
    sy = Linear(min(ticks[0], y_lo), max(ticks[-1], y_hi + pad), height - bottom, top)
    out = _svg_open(name, width, height, title, time_axis=(axis.t0, axis.t1, sx.p0, sx.p1))
    out += _value_axis(sy, left, width - right, ylabel, [v for v in ticks if sy.d0 <= v <= sy.d1])
    out += axis.draw(sx, top, height - bottom)
    td, yd = decimate_minmax(t, y)
    if step and td.size > 1:
        td = np.repeat(td, 2)[1:]
        yd = np.repeat(yd, 2)[:-1]
    out.append(
        f'<polyline class="mark" data-series="{esc(name)}" points="{polyline_points(sx(td), sy(yd))}" '
        f'fill="none" stroke="#d62728" stroke-width="1.2"/>'
    )
    if hline is not None:
        yv = num(float(sy(hline[0])))
        out.append(
            f'<line class="mark capacity" data-series="capacity" x1="{num(left)}" y1="{yv}" '
            f'x2="{num(width - right)}" y2="{yv}" stroke="#1f77b4" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text class="tick" x="{num(width - right - 4)}" y="{yv}" dy="-4" text-anchor="end" '
            f'fill="#1f77b4">{esc(hline[1])}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _altitude(plan: Plan, axis: _TimeAxis) -> str:
    t = plan.trajectory.t_tdb
    alt = plan.trajectory.altitude_km
    if t.size == 0:
        return _section("altitude", "Altitude", _none("No altitude series in this plan."))
    lead = (
        f"Altitude above the mean lunar sphere (R = {MOON_RADIUS_KM} km): min {alt.min():.1f} km, "
        f"max {alt.max():.1f} km, mean {alt.mean():.1f} km. " + ZOOM_HINT
    )
    body = _line_chart("altitude", "Altitude above the Moon", t, alt, "Altitude (km)", axis)
    return _section("altitude", "Altitude over time", body, lead)


def _bar(x0: float, w_px: float, yb: float, bar_h: float, tip: str = "") -> str:
    """One interval bar; drawn at least ``MIN_BAR_PX`` wide, its true width then kept in
    ``data-w`` (px) so that the zoom script scales the true width, not the widened one."""
    w = max(w_px, MIN_BAR_PX)
    true_w = f' data-w="{num(max(w_px, 0.0), 3)}"' if w_px < MIN_BAR_PX else ""
    head = f'<rect class="mark" x="{num(x0, 2)}" y="{num(yb, 1)}" width="{num(w, 2)}" height="{num(bar_h, 1)}"{true_w}'
    return head + (f"><title>{esc(tip)}</title></rect>" if tip else "/>")


#: Most time bins per row when a row of several series is drawn by majority (``_majority_bars``):
#: sets the finest bin of a long span (1 year: 158 s) so the chart is drawn in seconds.
MAX_BINS_PER_ROW = 200_000


def _covered(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Time covered up to each ``t`` by the disjoint intervals [a, b) sorted by start (s)."""
    cum = np.concatenate([[0.0], np.cumsum(b - a)])
    j = np.searchsorted(a, t, side="right") - 1  # the last interval started by t
    jj = np.clip(j, 0, None)
    inside = np.where(j >= 0, np.minimum(t, b[jj]) - a[jj], 0.0)
    return np.where(j >= 0, cum[jj] + inside, 0.0)


def _majority_bars(by_series: dict[str, list], t0: float, t1: float, bin_s: float) -> dict[str, list]:
    """Bars of a row whose series share the time line (the visibility chart's visible / behind the
    Moon / excluded): the span cut into bins of ``bin_s``, each bin given to the series covering most
    of it, runs of one series joined into one bar (bins no series covers stay empty)."""
    n = max(1, math.ceil((t1 - t0) / bin_s))
    edges = np.minimum(t0 + bin_s * np.arange(n + 1), t1)
    keys = list(by_series)
    cover = np.zeros((len(keys), n))
    for k, key in enumerate(keys):
        iv = np.array(sorted(by_series[key]), float).reshape(-1, 2)
        cover[k] = np.diff(_covered(iv[:, 0], iv[:, 1], edges))
    state = np.where(cover.max(axis=0) > 0.0, np.argmax(cover, axis=0), -1)
    cuts = np.flatnonzero(np.diff(state)) + 1
    starts, stops = np.concatenate([[0], cuts]), np.concatenate([cuts, [n]])
    out: dict[str, list] = {key: [] for key in keys}
    for i0, i1 in zip(starts.tolist(), stops.tolist()):
        if state[i0] >= 0:
            out[keys[state[i0]]].append((float(edges[i0]), float(edges[i1])))
    return out


def _merged_rows(rows: list[dict], axis: _TimeAxis, gap_s: float) -> tuple[list[dict[str, list]], float]:
    """Per row, the bars (start, stop) of each series, and the resolution used (s): a row of one
    series merges gaps ≤ the resolution; a row of several is drawn by majority in bins of it
    (``_majority_bars``, so coarse bars of one series never paint over another's). The
    resolution starts at ``gap_s`` (at least span / ``MAX_BINS_PER_ROW`` for rows of several series)
    and doubles until the chart has at most ``MAX_BARS_PER_CHART`` bars."""
    clipped = []
    for row in rows:
        by_series: dict[str, list] = {}
        for a, b, series, *_ in row["items"]:
            if b >= axis.t0 and a <= axis.t1:
                by_series.setdefault(series, []).append((max(a, axis.t0), min(b, axis.t1)))
        clipped.append(by_series)
    if any(len(s) > 1 for s in clipped):
        gap_s = max(gap_s, (axis.t1 - axis.t0) / MAX_BINS_PER_ROW)
    while True:
        merged = [
            _majority_bars(s, axis.t0, axis.t1, gap_s) if len(s) > 1 else {k: _merge(v, gap_s) for k, v in s.items()}
            for s in clipped
        ]
        if sum(len(v) for m in merged for v in m.values()) <= MAX_BARS_PER_CHART:
            return merged, gap_s
        gap_s *= 2.0


def _rows_chart(
    name: str,
    title: str,
    rows: list[dict],
    axis: _TimeAxis,
    label_w: float,
    row_h: float,
    legend: list[tuple[str, str, str]] | None = None,
    right_w: float = 20,
    tooltips: bool = True,
) -> tuple[str, float]:
    """Interval rows: each row {label, right, items:[(t0, t1, series, colour, tip)]}. Returns the
    SVG and the merge gap (s) of rows drawn without tooltips: gaps narrower than
    ``MERGE_GAP_PX`` at the ``DETAIL_SPAN_S`` zoom (or the whole span if shorter) are closed."""
    width = CHART_W
    top = 34 + (18 if legend else 0)
    bottom = 50
    height = top + row_h * len(rows) + bottom
    sx = axis.scale(label_w, width - right_w)
    detail_k = (sx.p1 - sx.p0) / min(axis.t1 - axis.t0, DETAIL_SPAN_S)  # px per s at the day view
    merged, gap_s = _merged_rows(rows, axis, MERGE_GAP_PX / detail_k)
    font = min(12.0, max(6.0, row_h * 0.85))
    out = _svg_open(name, width, height, title, time_axis=(axis.t0, axis.t1, sx.p0, sx.p1))
    if legend:
        out += _legend(legend, label_w, 44)
    out += axis.draw(sx, top, height - bottom)
    for i, row in enumerate(rows):
        y = top + i * row_h
        out.append(f'<g class="row" data-row="{esc(row["label"])}">')
        if i % 2 == 1:
            out.append(
                f'<rect x="{num(label_w)}" y="{num(y)}" width="{num(width - right_w - label_w)}" '
                f'height="{num(row_h)}" fill="#f3f5f7"/>'
            )
        out.append(
            f'<text class="tick" x="{num(label_w - 6)}" y="{num(y + row_h * 0.5)}" dy="{num(font * 0.35)}" '
            f'text-anchor="end" style="font-size:{num(font)}px">{esc(row["label"])}</text>'
        )
        if row.get("right"):
            out.append(
                f'<text class="tick" x="{num(width - right_w + 4)}" y="{num(y + row_h * 0.5)}" '
                f'dy="{num(font * 0.35)}" style="font-size:{num(font)}px">{esc(row["right"])}</text>'
            )
        by_series: dict[str, list] = {}
        for item in row["items"]:
            by_series.setdefault(item[2], []).append(item)
        bar_h = max(row_h * 0.72, 1.0)
        yb = y + (row_h - bar_h) / 2
        for series, items in by_series.items():
            colour = items[0][3]
            out.append(f'<g class="marks" data-series="{esc(series)}" fill="{colour}">')
            if tooltips and all(it[4] for it in items):
                for a, b, _s, _c, tip in sorted(items, key=lambda it: (it[0], it[1])):
                    x0, x1 = float(sx(max(a, axis.t0))), float(sx(min(b, axis.t1)))
                    if x1 < sx.p0 or x0 > sx.p1:
                        continue
                    out.append(_bar(x0, x1 - x0, yb, bar_h, tip))
            else:
                for a, b in merged[i].get(series, []):
                    x0 = float(sx(a))
                    out.append(_bar(x0, float(sx(b)) - x0, yb, bar_h))
            out.append("</g>")
        if row.get("tip"):
            out.append(f"<title>{esc(row['tip'])}</title>")
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out), gap_s


def _gap_text(gap_s: float) -> str:
    """'gaps under 49 s merged' in the unit that suits the gap."""
    return f"{gap_s:.0f} s" if gap_s < 120 else (f"{gap_s / 60:.0f} min" if gap_s < 7200 else f"{gap_s / 3600:.1f} h")


def _timeline(plan: Plan, axis: _TimeAxis) -> str:
    groups: dict[tuple[str, str], list[PlanWindow]] = {}
    order = ["umbra", "penumbra", "contact", "site_pass", "site_sunlit", "site_earth_visible", "radio_quiet"]
    for w in plan.windows:
        if w.kind in TIMELINE_COLOURS:
            groups.setdefault((w.kind, w.subject), []).append(w)
    if not groups:
        return _section("timeline", "Events timeline", _none("No eclipse, contact or lunar-site windows in this plan."))
    keys = sorted(groups, key=lambda k: (order.index(k[0]), k[1]))
    tips = sum(len(v) for v in groups.values()) <= MAX_TOOLTIPS
    rows = []
    for kind, subject in keys:
        ws = groups[(kind, subject)]
        total = sum(w.duration_s for w in ws)
        items = [
            (
                w.start_tdb,
                w.stop_tdb,
                kind,
                TIMELINE_COLOURS[kind],
                f"{TIMELINE_LABELS[kind]} {subject} {w.start_utc} → {w.stop_utc} ({_duration(w.duration_s)})"
                if tips
                else "",
            )
            for w in ws
        ]
        rows.append(
            {
                "label": f"{TIMELINE_LABELS[kind]}: {subject}",
                "items": items,
                "right": _hours(total),
                "tip": f"{TIMELINE_LABELS[kind]} {subject}: {len(ws)} windows, {_hours(total)}",
            }
        )
    present = [k for k in order if any(key[0] == k for key in keys)]
    legend = [(k, TIMELINE_LABELS[k], TIMELINE_COLOURS[k]) for k in present]
    body, gap_s = _rows_chart(
        "timeline",
        "Eclipses, station contacts and lunar-site passes",
        rows,
        axis,
        label_w=230,
        row_h=22,
        legend=legend,
        right_w=70,
        tooltips=tips,
    )
    lead = (
        "One row per subject; the column on the right is the total time in each row. "
        + (
            "Hover a bar for its UTC start, stop and duration. "
            if tips
            else f"{sum(len(v) for v in groups.values())} windows: bars merged across gaps under {_gap_text(gap_s)}. "
        )
        + ZOOM_HINT
    )
    return _section("timeline", "Events timeline", body, lead)


#: Most target rows of the visibility chart (the highest priority first): rows stay ≥ 9 px high and
#: their labels readable; the target table lists every target.
MAX_VISIBILITY_ROWS = 100
#: Colours of the target-visibility chart: visible, behind the Moon, excluded by another constraint.
VISIBILITY_COLOURS = {"visible": "#2c7fb8", "occulted": "#9e9e9e", "excluded": "#f0a35e"}


def _complement(intervals: list[tuple[float, float]], t0: float, t1: float) -> list[tuple[float, float]]:
    """The parts of [t0, t1) that none of ``intervals`` covers."""
    out, t = [], t0
    for a, b in sorted(intervals):
        if a > t:
            out.append((t, min(a, t1)))
        t = max(t, b)
        if t >= t1:
            break
    if t < t1:
        out.append((t, t1))
    return [(a, b) for a, b in out if b > a]


def _visibility(plan: Plan, axis: _TimeAxis) -> str:
    by_target: dict[str, list[PlanWindow]] = {}
    occulted: dict[str, list[PlanWindow]] = {}
    for w in plan.windows:
        if w.kind == "target_visible":
            by_target.setdefault(w.subject, []).append(w)
        elif w.kind == "target_occulted":
            occulted.setdefault(w.subject, []).append(w)
    names = [t.name for t in plan.targets]
    names += [n for n in by_target if n not in names]
    if not names:
        return _section("visibility", "Target visibility", _none("No targets in this plan."))
    info = {t.name: t for t in plan.targets}
    n_all = len(names)
    if n_all > MAX_VISIBILITY_ROWS:  # the highest-priority targets, in the plan's order
        order = {n: i for i, n in enumerate(names)}
        rank = sorted(names, key=lambda n: (-(info[n].priority or 0.0) if n in info else 0.0, order[n]))
        keep = set(rank[:MAX_VISIBILITY_ROWS])
        names = [n for n in names if n in keep]
    with_occ = bool(occulted)
    rows = []
    for name in names:
        ws = by_target.get(name, [])
        frac = info[name].visible_fraction if name in info else None
        occ = occulted.get(name, [])
        items = [(w.start_tdb, w.stop_tdb, "visible", VISIBILITY_COLOURS["visible"], "") for w in ws]
        items += [(w.start_tdb, w.stop_tdb, "occulted", VISIBILITY_COLOURS["occulted"], "") for w in occ]
        if with_occ:  # the occultation windows were computed: the rest is excluded by a constraint
            covered = [(w.start_tdb, w.stop_tdb) for w in ws + occ]
            t0, t1 = plan.mission.start_tdb, plan.mission.stop_tdb
            items += [(a, b, "excluded", VISIBILITY_COLOURS["excluded"], "") for a, b in _complement(covered, t0, t1)]
        rows.append(
            {
                "label": name,
                "items": items,
                "right": _pct(frac) if frac is not None else "",
                "tip": f"{name}: {len(ws)} visible windows, visible {_pct(frac)}",
            }
        )
    row_h = float(min(18.0, max(5.0, 900.0 / len(rows))))
    legend = [("visible", "visible", VISIBILITY_COLOURS["visible"])]
    if with_occ:
        legend += [
            ("occulted", "behind the Moon", VISIBILITY_COLOURS["occulted"]),
            ("excluded", "Sun / Earth / limb exclusion", VISIBILITY_COLOURS["excluded"]),
        ]
    body, gap_s = _rows_chart(
        "visibility",
        "Target visibility by constraint (target_visible and target_occulted windows)",
        rows,
        axis,
        label_w=170,
        row_h=row_h,
        legend=legend,
        right_w=60,
        tooltips=False,
    )
    lead = (
        f"{len(rows)} targets, astroplan-style: blue when the target is observable (unocculted and outside "
        "the exclusion angles), grey while the Moon hides it, orange when another pointing constraint "
        "(the Sun's, the Earth's or a limb angle) excludes it. Right column: visible fraction of the mission. "
        f"Drawn in bins of {_gap_text(gap_s)}, each in the colour of the state covering most of it. "
        + (
            f"Shown: the {len(rows)} highest-priority of the {n_all} targets (the target table lists all). "
            if n_all > len(rows)
            else ""
        )
        + ZOOM_HINT
    )
    return _section("visibility", "Target visibility", body, lead)


def _skymap(plan: Plan) -> str:
    targets = plan.targets
    if not targets:
        return _section("skymap", "Sky map", _none("No targets with coordinates in this plan."))
    width, height = CHART_W, 470
    cx, cy = width / 2, 40 + 335.0 / 2
    scale = 335.0 / (2 * math.sqrt(2))  # px per projection unit: map half-width 335 px
    out = _svg_open("skymap", width, height, "Targets on the sky (Hammer–Aitoff, ICRS), coloured by visible fraction")

    def xy(ra, dec):
        x, y = hammer_aitoff(ra, dec)
        return cx - 0 + scale * np.asarray(x), cy - scale * np.asarray(y)

    out += graticule_svg(xy)
    out += sky_planes_svg(xy)
    out += _sky_paths(plan.sky_paths, xy)
    out.append('<g class="marks" data-series="targets">')
    for t in sorted(targets, key=lambda t: (-t.visible_fraction, t.name)):
        frac = t.visible_fraction
        x, y = xy(float(t.ra_deg), float(t.dec_deg))
        colour = viridis(frac)
        tip = (
            f"{t.name}: RA {float(t.ra_deg):.3f}°, Dec {float(t.dec_deg):+.3f}°, "
            f"visible {_pct(frac)}, priority {_fmt(t.priority)}"
        )
        out.append(
            f'<circle class="mark" cx="{num(float(x), 2)}" cy="{num(float(y), 2)}" r="5" fill="{colour}" '
            f'stroke="#222" stroke-width="0.6"><title>{esc(tip)}</title></circle>'
        )
    out.append("</g>")
    out += _target_labels(
        targets, xy, (cx - 2 * math.sqrt(2) * scale, 30.0, cx + 2 * math.sqrt(2) * scale, height - 60)
    )
    out += _sky_legend(plan.sky_paths, 12.0, height - 48)
    # colour bar
    bx0, by0, bw = width / 2 - 150, height - 42, 300
    out.append('<g class="legend colourbar">')
    for k in range(30):
        out.append(
            f'<rect x="{num(bx0 + k * bw / 30)}" y="{num(by0)}" width="{num(bw / 30 + 0.3)}" height="10" '
            f'fill="{viridis((k + 0.5) / 30)}"/>'
        )
    for v in (0, 25, 50, 75, 100):
        out.append(
            f'<text class="tick" x="{num(bx0 + bw * v / 100)}" y="{num(by0 + 24)}" text-anchor="middle">{v}%</text>'
        )
    out.append(
        f'<text class="lbl" x="{num(bx0 + bw / 2)}" y="{num(by0 + 38)}" text-anchor="middle">'
        f'Visible fraction of the mission</text>'
    )
    out.append(
        f'<text class="lbl" x="{num(cx)}" y="{num(cy + scale * math.sqrt(2) + 18)}" '
        f'text-anchor="middle">Right ascension (hours, increasing to the left) / Declination (°)</text>'
    )
    out.append("</g></svg>")
    lead = (
        "Equal-area Hammer–Aitoff projection centred on RA 12h, RA increasing to the left (sky as seen from inside). "
        f"The {min(len(targets), MAX_SKY_LABELS)} highest-priority targets are labelled; hover a dot for any target. "
        "The Sun's and the Earth's paths over the span seen from the Moon's centre (filled: start, open: end; "
        "the spacecraft's parallax, at most 1.6° for the Earth, is left out), the Sun's exclusion zone at the "
        "start, middle and end, the ecliptic and the galactic plane."
    )
    return _section("skymap", "Sky map", "\n".join(out), lead)


#: Most targets labelled on the sky map (highest priority first; hover gives the rest).
MAX_SKY_LABELS = 15
#: Colours of the Sun's and the Earth's sky paths.
SUN_PATH_COLOUR, EARTH_PATH_COLOUR = "#e6a100", "#1f77b4"


def _sky_paths(paths, xy) -> list[str]:
    """The Sun's path and exclusion zone (start, middle, end) and the Earth's path, as SVG."""
    if paths is None:
        return []
    out = ['<g class="marks" data-series="sun-path"><title>Sun seen from the Moon over the span</title>']
    for pts in split_lines(paths.sun_ra_deg, paths.sun_dec_deg, xy):
        out.append(f'<polyline points="{pts}" fill="none" stroke="{SUN_PATH_COLOUR}" stroke-width="2.2"/>')
    out.append("</g>")
    n = len(paths.t_tdb)
    if paths.sun_exclusion_deg and n:
        out.append('<g class="marks" data-series="sun-exclusion"><title>Sun exclusion zone</title>')
        for k in sorted({0, n // 2, n - 1}):
            ra, dec = small_circle(float(paths.sun_ra_deg[k]), float(paths.sun_dec_deg[k]), paths.sun_exclusion_deg)
            for pts in split_lines(ra, dec, xy):
                out.append(
                    f'<polyline points="{pts}" fill="none" stroke="{SUN_PATH_COLOUR}" stroke-width="1.2" '
                    'stroke-dasharray="4 3"/>'
                )
        out.append("</g>")
    out.append('<g class="marks" data-series="earth-path"><title>Earth seen from the Moon over the span</title>')
    for pts in split_lines(paths.earth_ra_deg, paths.earth_dec_deg, xy):
        out.append(f'<polyline points="{pts}" fill="none" stroke="{EARTH_PATH_COLOUR}" stroke-width="1.6"/>')
    out.append("</g>")
    if n:  # where each body starts (filled) and ends (open)
        out.append('<g class="marks" data-series="sky-path-ends">')
        for body, ra, dec, colour in (
            ("Sun", paths.sun_ra_deg, paths.sun_dec_deg, SUN_PATH_COLOUR),
            ("Earth", paths.earth_ra_deg, paths.earth_dec_deg, EARTH_PATH_COLOUR),
        ):
            for k, when, fill in ((0, "start", colour), (n - 1, "end", "white")):
                x, y = xy(float(ra[k]), float(dec[k]))
                out.append(
                    f'<circle cx="{num(float(x))}" cy="{num(float(y))}" r="4.5" fill="{fill}" stroke="{colour}" '
                    f'stroke-width="1.5"><title>{body} at the {when}: RA {float(ra[k]):.2f}°, Dec {float(dec[k]):+.2f}°</title></circle>'
                )
        out.append("</g>")
    return out


def _target_labels(targets, xy, bounds) -> list[str]:
    """Labels of the ``MAX_SKY_LABELS`` highest-priority targets, placed so none overlaps."""
    top = sorted(targets, key=lambda t: (-(t.priority or 0.0), -t.visible_fraction, t.name))[:MAX_SKY_LABELS]
    if not top:
        return []
    anchors = [tuple(float(v) for v in xy(float(t.ra_deg), float(t.dec_deg))) for t in top]
    names = [t.name for t in top]
    out = ['<g class="labels" data-series="target-labels">']
    for (ax, ay), name, (x, y, leader) in zip(anchors, names, place_labels(anchors, names, bounds, near_px=7.0)):
        if leader:
            lx, ly = leader_end(ax, ay, x, y, name, TICK_FONT_PX)
            out.append(f'<line x1="{num(ax)}" y1="{num(ay)}" x2="{num(lx)}" y2="{num(ly)}" stroke="#666"/>')
        out.append(f'<text class="tick" x="{num(x)}" y="{num(y)}">{esc(name)}</text>')
    out.append("</g>")
    return out


def _sky_legend(paths, x0: float, y0: float) -> list[str]:
    """Legend of the sky map's lines."""
    items = [("Ecliptic", "#ff7f0e", "6 3"), ("Galactic plane", "#d62728", "2 2")]
    if paths is not None:
        items = [
            ("Sun path", SUN_PATH_COLOUR, ""),
            ("Sun exclusion", SUN_PATH_COLOUR, "4 3"),
            ("Earth path", EARTH_PATH_COLOUR, ""),
        ] + items
    out = ['<g class="legend">']
    for k, (label, colour, dash) in enumerate(items):
        y = y0 + 13 * k - 13 * (len(items) - 1)
        out.append(
            f'<line x1="{num(x0)}" y1="{num(y)}" x2="{num(x0 + 22)}" y2="{num(y)}" stroke="{colour}" stroke-width="1.8"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        out.append(f'<text class="tick" x="{num(x0 + 26)}" y="{num(y + 4)}">{esc(label)}</text>')
    out.append("</g>")
    return out


def _schedule(plan: Plan, axis: _TimeAxis) -> str:
    acts = plan.schedule.activities
    if not acts:
        return _section("schedule", "Schedule", _none("No scheduled activities in this plan."))
    kinds = [k for k in ACTIVITY_ORDER if any(a.activity == k for a in acts)]
    kinds += sorted({a.activity for a in acts} - set(kinds))
    tips = len(acts) <= MAX_TOOLTIPS
    rows = []
    for k in kinds:
        sel = [a for a in acts if a.activity == k]
        total = sum(a.duration_s for a in sel)
        colour = ACTIVITY_COLOURS.get(k, "#7f7f7f")
        items = []
        for a in sel:
            tip = (
                f"{k} {a.target} {a.start_utc} → {a.stop_utc} ({_duration(a.duration_s)}"
                + (f", {a.data_mbit:.1f} Mbit" if a.data_mbit else "")
                + (f", station {a.station}" if a.station else "")
                + ")"
            )
            items.append((a.start_tdb, a.stop_tdb, k, colour, tip if tips else ""))
        rows.append(
            {"label": k, "items": items, "right": _hours(total), "tip": f"{k}: {len(sel)} activities, {_hours(total)}"}
        )
    legend = [(k, k, ACTIVITY_COLOURS.get(k, "#7f7f7f")) for k in kinds]
    body, gap_s = _rows_chart(
        "gantt", "Schedule (Gantt)", rows, axis, label_w=110, row_h=34, legend=legend, right_w=70, tooltips=tips
    )
    lead = (
        f"{len(acts)} activities. "
        + (
            "Hover a bar for target, times and data volume; click a legend entry to hide it. "
            if tips
            else f"Over {MAX_TOOLTIPS} activities: bars merged across gaps under {_gap_text(gap_s)}, no per-bar "
            "tooltips (schedule.csv lists every activity); click a legend entry to hide it. "
        )
        + ZOOM_HINT
    )
    return _section("schedule", "Schedule", body, lead)


def _recorder(plan: Plan, axis: _TimeAxis) -> str:
    rec = plan.schedule.recorder
    t, lvl = rec.t_tdb, rec.level_mbit
    if t.size == 0:
        return _section("recorder", "Recorder", _none("No recorder series in this plan."))
    cap = rec.capacity_mbit
    hline = (float(cap), f"capacity {float(cap):,.0f} Mbit") if cap is not None else None
    body = _line_chart(
        "recorder",
        "On-board recorder fill level",
        t,
        lvl,
        "Stored data (Mbit)",
        axis,
        y_min=0.0,
        hline=hline,
        step=True,
    )
    lead = (
        f"Peak {_tenths(lvl.max())} Mbit, final {_tenths(lvl[-1])} Mbit"
        + (f", capacity {float(cap):,.0f} Mbit. " if cap is not None else ". ")
        + ZOOM_HINT
    )
    return _section("recorder", "Recorder level", body, lead)


def _downlink(plan: Plan) -> str:
    d = plan.schedule.downlink_by_station
    if not d:
        return _section("downlink", "Downlink per station", _none("No downlinks in this plan."))
    items = [(str(k), float(v)) for k, v in d.items()]
    width = CHART_W
    left, right, top, row_h = 170, 120, 40, 30
    height = top + row_h * len(items) + 50
    vmax = max([v for _, v in items] + [1e-9])
    ticks = nice_ticks(0.0, vmax, 6)
    sx = Linear(0.0, max(ticks[-1], vmax), left, width - right)
    out = _svg_open("downlink", width, height, "Downlinked data volume per ground station")
    yb = top + row_h * len(items)
    out += value_x_axis(sx, ticks, top, yb, "Downlinked volume (Mbit)")
    out.append('<g class="marks" data-series="downlink" fill="#1f77b4">')
    for i, (name, v) in enumerate(items):
        y = top + i * row_h
        out.append(
            f'<text class="tick" x="{num(left - 6)}" y="{num(y + row_h / 2)}" dy="4" text-anchor="end">{esc(name)}</text>'
        )
        out.append(
            f'<rect class="mark" x="{num(left)}" y="{num(y + 5)}" width="{num(max(float(sx(v)) - left, 0.0), 2)}" '
            f'height="{num(row_h - 10)}"><title>{esc(name)}: {v:,.1f} Mbit</title></rect>'
        )
        out.append(
            f'<text class="tick" x="{num(float(sx(v)) + 6)}" y="{num(y + row_h / 2)}" dy="4">{v:,.1f} Mbit</text>'
        )
    out.append("</g></svg>")
    total = sum(v for _, v in items)
    return _section("downlink", "Downlink per station", "\n".join(out), f"Total downlinked: {total:,.1f} Mbit.")


def _requests(plan: Plan) -> str:
    metrics = plan.schedule.metrics
    unscheduled = plan.schedule.unscheduled
    parts = []
    rows = [
        ("Observing efficiency (observing time / mission time)", _pct(metrics.observing_efficiency)),
        (
            "Rest of the time: slewing / engineering / idle",
            f"{_pct(metrics.slew_fraction)} / {_pct(metrics.engineering_fraction)} / {_pct(metrics.idle_fraction)}",
        ),
        ("Science value", _fmt(metrics.science_value)),
        (
            "Upper bound on science value" + (f" ({metrics.bound_source})" if metrics.bound_source else ""),
            _fmt(metrics.bound),
        ),
        ("Fraction of bound", _pct(metrics.fraction_of_bound)),
        (
            "Requests fully / partly / not served",
            f"{_fmt(metrics.requests_full)} / {_fmt(metrics.requests_partial)} / {_fmt(metrics.requests_none)}",
        ),
    ]
    parts.append(
        '<table class="kv">' + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</table>"
    )
    counts = [("full", metrics.requests_full), ("partial", metrics.requests_partial), ("none", metrics.requests_none)]
    if sum(c for _, c in counts) > 0:
        total = float(sum(c for _, c in counts))
        width, height, left, bar_w = CHART_W, 96, 20, CHART_W - 40
        colours = {"full": "#2ca02c", "partial": "#e6b400", "none": "#d62728"}
        out = _svg_open("requests", width, height, "Requests served")
        x = float(left)
        out.append('<g class="marks">')
        for k, c in counts:
            w = bar_w * c / total
            out.append(
                f'<rect class="mark" data-series="{k}" x="{num(x, 2)}" y="30" width="{num(w, 2)}" height="26" '
                f'fill="{colours[k]}"><title>{k}: {c}</title></rect>'
            )
            if w > 60:
                out.append(
                    f'<text class="tick" x="{num(x + w / 2)}" y="47" text-anchor="middle" fill="#fff">'
                    f'{esc(k)}: {c}</text>'
                )
            x += w
        out.append("</g>")
        out += _legend([(k, f"{k} ({c})", colours[k]) for k, c in counts], left, 82, False)
        out.append("</svg>")
        parts.append("\n".join(out))
    if unscheduled:
        tbl = ['<table id="unscheduled-table"><tr><th>#</th><th>Target</th><th>Reason</th></tr>']
        for i, u in enumerate(unscheduled, 1):
            tbl.append(f'<tr><td class="num">{i}</td><td>{esc(u.target)}</td><td>{esc(u.reason)}</td></tr>')
        tbl.append("</table>")
        parts.append(f"<h3>Unscheduled requests ({len(unscheduled)})</h3>" + "\n".join(tbl))
    else:
        parts.append(_none("Every request was at least partly scheduled (no unscheduled requests)."))
    parts.append(_request_tables(plan))
    return _section("requests", "Efficiency and request results", "\n".join(parts))


def _num(v, fmt: str = ".1f") -> tuple[str, float | None]:
    return cell("—" if v is None else format(v, fmt), v)


def _request_tables(plan: Plan) -> str:
    """Per-request (``#request-table``) and per-target (``#target-table``) results."""
    reqs, tgts = plan.schedule.requests, plan.schedule.targets
    if not reqs:
        return _none("No requests in this plan.")
    cols = [
        ("Request", "text"),
        ("Target", "text"),
        ("Priority", "num"),
        ("Requested (s)", "num"),
        ("Achieved (s)", "num"),
        ("Visits", "num"),
        ("Completion", "num"),
        ("First visit (UTC)", "text"),
        ("Last visit (UTC)", "text"),
        ("Reason when not done", "text"),
    ]
    rows = [
        [
            cell(r.request),
            cell(r.target),
            _num(r.priority, "g"),
            _num(r.exposure_s),
            _num(r.counted_s),
            _num(r.visits, "d"),
            cell(_pct(r.completion), r.completion),
            cell(r.first_visit_utc or "—"),
            cell(r.last_visit_utc or "—"),
            cell(r.reason),
        ]
        for r in reqs
    ]
    if any(r.snr_achieved is not None for r in reqs):  # requests with a source: requested vs achieved SNR
        cols[7:7] = [("SNR requested", "num"), ("SNR achieved", "num")]
        for r, row in zip(reqs, rows):
            row[7:7] = [_num(r.snr_requested, "g"), _num(r.snr_achieved)]
    out = [f"<h3>Requests ({len(reqs)})</h3>", data_table("request-table", cols, rows, "requests")]
    tcols = [
        ("Target", "text"),
        ("Requests", "num"),
        ("Priority (sum)", "num"),
        ("Requested (s)", "num"),
        ("Achieved (s)", "num"),
        ("Visits", "num"),
        ("Completion", "num"),
        ("First visit (UTC)", "text"),
        ("Last visit (UTC)", "text"),
    ]
    trows = [
        [
            cell(t.target),
            _num(t.requests, "d"),
            _num(t.priority, "g"),
            _num(t.exposure_s),
            _num(t.counted_s),
            _num(t.visits, "d"),
            cell(_pct(t.completion), t.completion),
            cell(t.first_visit_utc or "—"),
            cell(t.last_visit_utc or "—"),
        ]
        for t in tgts
    ]
    out += [f"<h3>Targets ({len(tgts)})</h3>", data_table("target-table", tcols, trows, "targets")]
    return "\n".join(out)


def _contacts(plan: Plan) -> str:
    """Station contact report (``#contact-table``), as STK's: AOS/LOS, duration, maximum
    elevation, range at AOS / maximum elevation / LOS, data downlinked."""
    cs = plan.contacts
    if not cs:
        return _section("contacts", "Contact report", _none("No station contacts in this plan."))
    cols = [
        ("Station", "text"),
        ("AOS (UTC)", "text"),
        ("LOS (UTC)", "text"),
        ("Duration (s)", "num"),
        ("Max elevation (°)", "num"),
        ("Max elevation at (UTC)", "text"),
        ("Range at AOS (km)", "num"),
        ("Range at max el. (km)", "num"),
        ("Range at LOS (km)", "num"),
        ("Downlinked (Mbit)", "num"),
        ("Downlinks", "num"),
    ]
    rows = [
        [
            cell(c.station),
            cell(c.aos_utc),
            cell(c.los_utc),
            _num(c.duration_s),
            _num(c.max_elevation_deg, ".3f"),
            cell(c.max_elevation_utc),
            _num(c.range_aos_km, ",.3f"),
            _num(c.range_max_elevation_km, ",.3f"),
            _num(c.range_los_km, ",.3f"),
            _num(c.data_mbit, ",.1f"),
            _num(c.downlinks, "d"),
        ]
        for c in cs
    ]
    lead = (
        f"{len(cs)} contacts; elevation and range from the station to the spacecraft along the same line of "
        "sight as the contact windows (sampled every 10 s, maximum refined). A contact cut by the mission "
        "span starts or stops at its edge."
    )
    return _section("contacts", "Contact report", data_table("contact-table", cols, rows, "contacts"), lead)


def _eclipses(plan: Plan) -> str:
    """Eclipse report (``#eclipse-table``): umbra and penumbra windows by the Moon or the Earth."""
    es = plan.eclipses()
    if not es:
        return _section(
            "eclipses",
            "Eclipse report",
            _none(
                "No umbra or penumbra windows in this plan (none in the span, or eclipse windows not among "
                "the mission's window kinds)."
            ),
        )
    cols = [
        ("Kind", "text"),
        ("Body", "text"),
        ("Start (UTC)", "text"),
        ("Stop (UTC)", "text"),
        ("Duration (s)", "num"),
    ]
    rows = [[cell(w.kind), cell(w.subject), cell(w.start_utc), cell(w.stop_utc), _num(w.duration_s)] for w in es]
    lead = f"{len(es)} windows; umbra: the whole solar disc hidden, penumbra: part of it (disjoint from umbra)."
    return _section("eclipses", "Eclipse report", data_table("eclipse-table", cols, rows, "eclipses"), lead)


# ---------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------


def render_report(plan: Plan) -> str:
    """The report as one self-contained HTML document (text). See the module docstring."""
    if not isinstance(plan, Plan):
        raise TypeError(
            f"render_report needs a lunarscope.products.Plan, got {type(plan).__name__} "
            "(a dict from Plan.to_dict() becomes one with Plan.from_dict)"
        )
    mission = plan.mission
    axis = _TimeAxis(mission.start_tdb, mission.stop_tdb)  # the mission span, as TDB
    name = mission.name or "lunarscope plan"
    sections = [
        _summary(plan),
        _orbit(plan),
        _altitude(plan, axis),
        orbit_history_section(plan),
        _timeline(plan, axis),
        _visibility(plan, axis),
        _skymap(plan),
        coverage_section(plan),
        _schedule(plan, axis),
        _recorder(plan, axis),
        _downlink(plan),
        _requests(plan),
        _contacts(plan),
        _eclipses(plan),
    ]
    nav_items = [
        ("summary", "Summary"),
        ("orbit", "Orbit"),
        ("altitude", "Altitude"),
        ("orbit-history", "Orbit history"),
        ("timeline", "Events"),
        ("visibility", "Visibility"),
        ("skymap", "Sky map"),
        ("coverage", "Coverage"),
        ("schedule", "Schedule"),
        ("recorder", "Recorder"),
        ("downlink", "Downlink"),
        ("requests", "Requests"),
        ("contacts", "Contacts"),
        ("eclipses", "Eclipses"),
    ]
    nav = "<nav>" + "".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in nav_items) + "</nav>"
    generated = plan.generated_utc
    subtitle = f"{mission.start_utc} → {mission.stop_utc} (UTC)"
    head = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(name)} — lunarscope report</title>\n<style>{assets.CSS}</style>\n</head>\n<body>\n"
    )
    top = f"<header><h1>{esc(name)}</h1><p class=\"lead\">{esc(subtitle)}</p>{nav}</header>\n"
    foot = (
        "<footer>Generated by lunarscope"
        + (f" at {esc(generated)}" if generated else "")
        + ". Times are UTC; every chart is SVG drawn from the plan data (readable with scripts off); the inline "
        "script adds zoom, pan, tooltips, legend toggles and PNG/SVG export.</footer>\n"
    )
    return page(head, top, sections, foot)


def page(head: str, top: str, sections, foot: str) -> str:
    """A self-contained page: ``head`` (doctype to <body>), header, the sections in <main>,
    footer, and the report's script inline (the plan report and the sweep report)."""
    body = "<main>\n" + "".join(sections) + "</main>\n"
    return head + top + body + foot + f"<script>{assets.JS}</script>\n</body>\n</html>\n"


def write_report(path, plan: Plan) -> None:
    """Render and write the report atomically (temp file + os.replace)."""
    from lunarscope.io.tables import atomic_write

    text = render_report(plan)
    with atomic_write(str(path), newline="") as fh:
        fh.write(text)
