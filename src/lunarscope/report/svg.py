"""Small server-side SVG toolkit for the report: scales, UTC time ticks, decimation, colours,
sky projections. Everything returns text with fixed decimals so output is byte-deterministic."""

from __future__ import annotations

import datetime as _dt
import html
import math

import numpy as np

from lunarscope import time as lstime

#: Largest number of vertices drawn for one series (brief: ≤ ~5000 per chart).
MAX_SERIES_POINTS = 2000

#: Viridis anchor colours (matplotlib's ``viridis`` at 0, 1/8, ..., 1; van der Walt & Smith 2015).
VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"]


def esc(text) -> str:
    """Escape any value for HTML/SVG text and attribute values."""
    return html.escape("" if text is None else str(text), quote=True)


def num(x: float, decimals: int = 1) -> str:
    """Fixed-decimal text of a number; '-0.0' is written '0.0' so output does not depend on sign of zero."""
    s = f"{float(x):.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s) == 0.0 else s


def viridis(frac: float) -> str:
    """Colour for a value in [0, 1] by linear interpolation between the viridis anchors."""
    f = min(max(float(frac), 0.0), 1.0) * (len(VIRIDIS) - 1)
    k = min(int(f), len(VIRIDIS) - 2)
    w = f - k
    a = [int(VIRIDIS[k][i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(VIRIDIS[k + 1][i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(a, b))


class Linear:
    """Affine map from data [d0, d1] to pixels [p0, p1]."""

    def __init__(self, d0: float, d1: float, p0: float, p1: float):
        if not d1 > d0:
            d1 = d0 + 1.0
        self.d0, self.d1, self.p0, self.p1 = float(d0), float(d1), float(p0), float(p1)
        self.k = (self.p1 - self.p0) / (self.d1 - self.d0)

    def __call__(self, d):
        return self.p0 + (np.asarray(d, float) - self.d0) * self.k


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round-number ticks (1, 2, 5 × 10^k) covering [lo, hi]."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(target, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step:
        ticks.append(0.0 if abs(v) < 1e-12 * step else v)
        v += step
    return ticks


def tick_label(v: float, ticks: list[float]) -> str:
    """Shortest fixed-decimal text that tells the ticks apart."""
    if len(ticks) > 1:
        step = abs(ticks[1] - ticks[0])
        dec = max(
            0, -int(math.floor(math.log10(step))) + (1 if step / 10 ** math.floor(math.log10(step)) == 2.5 else 0)
        )
    else:
        dec = 1
    if abs(v) >= 10000 and dec == 0:
        return f"{v:,.0f}"
    return num(v, min(dec, 6))


# UTC tick steps (s) tried in order; the first giving at most ``target`` ticks is used.
_TIME_STEPS_S = [
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    5 * 86400,
    7 * 86400,
    10 * 86400,
    15 * 86400,
    30 * 86400,
    60 * 86400,
    90 * 86400,
    182 * 86400,
    365 * 86400,
]


#: Resolution of the UTC calendar time the ticks start from (decimals of a second: 1 ms).
_START_DECIMALS = 3


def _utc_calendar(t_tdb: float) -> _dt.datetime:
    """UTC calendar time of ``t_tdb`` to 1 ms as a naive datetime (a leap second :60 is
    clipped to :59.999999)."""
    iy, im, iday, h, mi, sec = lstime.utc_calendar([t_tdb], _START_DECIMALS)
    sec = min(float(sec[0]), 59.999999)
    return _dt.datetime(int(iy[0]), int(im[0]), int(iday[0]), int(h[0]), int(mi[0])) + _dt.timedelta(seconds=sec)


def _utc_calendar_to_tdb(stamps: list[_dt.datetime]) -> np.ndarray:
    """Naive UTC datetimes → TDB seconds past J2000 (:func:`lunarscope.time.utc_calendar_to_tdb`)."""
    f = np.array(
        [(s.year, s.month, s.day, s.hour, s.minute, s.second + s.microsecond / 1e6) for s in stamps], float
    ).reshape(-1, 6)
    return lstime.utc_calendar_to_tdb(*(f[:, k] for k in range(6)))


def utc_time_ticks(t0_tdb: float, t1_tdb: float, target: int = 8) -> list[tuple[float, str]]:
    """Ticks at round UTC times in [t0, t1] (TDB s): list of (t_tdb, label).

    Tick instants are round UTC calendar times converted exactly to TDB (ERFA's calendar
    conversion and :func:`lunarscope.time.utc_jd_to_tdb`), so a label names the UTC time at its
    tick; no time text is parsed.
    """
    if not t1_tdb > t0_tdb:
        t1_tdb = t0_tdb + 60.0
    span = t1_tdb - t0_tdb
    step = next((s for s in _TIME_STEPS_S if span / s <= target), _TIME_STEPS_S[-1])
    u0 = _utc_calendar(t0_tdb)  # also loads the leap-second table that dtf2d below needs
    base = _dt.datetime(u0.year, u0.month, u0.day)
    if step >= 30 * 86400:
        base = _dt.datetime(u0.year, u0.month, 1)
    n_before = math.floor((u0 - base).total_seconds() / step)
    first = base + _dt.timedelta(seconds=n_before * step)
    count = int(span / step) + 3
    stamps = [first + _dt.timedelta(seconds=k * step) for k in range(count)]
    tdb = _utc_calendar_to_tdb(stamps)
    out = []
    for stamp, t in zip(stamps, tdb):
        if t0_tdb - 1e-6 <= t <= t1_tdb + 1e-6:
            if step >= 86400:
                label = stamp.strftime("%Y-%m-%d")
            elif stamp.hour == 0 and stamp.minute == 0:
                label = stamp.strftime("%m-%d 00:00")
            else:
                label = stamp.strftime("%H:%M")
            out.append((float(t), label))
    return out


def decimate_minmax(x: np.ndarray, y: np.ndarray, max_points: int = MAX_SERIES_POINTS):
    """Keep at most ``max_points`` samples: per bucket the first, min and max (extremes survive)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = x.size
    if n <= max_points:
        return x, y
    n_buckets = max(1, max_points // 3)
    edges = np.linspace(0, n, n_buckets + 1).astype(int)
    keep = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        seg = y[a:b]
        keep.extend({a, a + int(np.argmin(seg)), a + int(np.argmax(seg))})
    keep.append(n - 1)
    idx = np.unique(np.asarray(keep))
    return x[idx], y[idx]


def decimate_stride(n: int, max_points: int = MAX_SERIES_POINTS) -> np.ndarray:
    """Indices of every k-th sample (first and last kept) so that at most ``max_points`` remain."""
    if n <= max_points:
        return np.arange(n)
    step = math.ceil((n - 1) / (max_points - 1))
    idx = np.arange(0, n, step)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def polyline_points(px: np.ndarray, py: np.ndarray, decimals: int = 1) -> str:
    """'x,y x,y ...' text for an SVG polyline."""
    return " ".join(f"{num(a, decimals)},{num(b, decimals)}" for a, b in zip(px.tolist(), py.tolist()))


def hammer_aitoff(ra_deg, dec_deg):
    """Hammer–Aitoff equal-area projection of (RA, Dec) in degrees → (x, y) in [-2√2, 2√2] × [-√2, √2].

    RA increases to the LEFT (sky seen from inside), centred on RA = 180°:
    lon = 180° − RA. x = 2√2 cos φ sin(λ/2)/√(1 + cos φ cos(λ/2)), y = √2 sin φ/√(...)
    (Snyder 1987, "Map Projections — A Working Manual", USGS PP 1395, p. 245).
    """
    lam = np.radians(180.0 - np.asarray(ra_deg, float))
    lam = (lam + np.pi) % (2 * np.pi) - np.pi
    phi = np.radians(np.asarray(dec_deg, float))
    d = np.sqrt(1.0 + np.cos(phi) * np.cos(lam / 2.0))
    return 2.0 * np.sqrt(2.0) * np.cos(phi) * np.sin(lam / 2.0) / d, np.sqrt(2.0) * np.sin(phi) / d


#: Width of one character of chart text as a fraction of the font size (DejaVu Sans / Arial
#: average ≈ 0.55 em; 0.62 keeps the estimate above what Chromium renders) and the text box
#: above / below the baseline (em; ascent + descent ≈ 1.17 em), used to keep labels apart.
CHAR_WIDTH_EM = 0.62
TEXT_ASCENT_EM = 0.95
TEXT_DESCENT_EM = 0.28
#: Font size of ``.tick`` text in the report's CSS (px): the size point labels are drawn at.
TICK_FONT_PX = 11.0
#: Gap kept between two placed labels and between a label and the chart edge (px).
LABEL_GAP_PX = 2.0


def text_box(x: float, y: float, text: str, font_px: float) -> tuple[float, float, float, float]:
    """Estimated box (x0, y0, x1, y1) of ``text`` drawn with text-anchor start at baseline (x, y)."""
    return (x, y - TEXT_ASCENT_EM * font_px, x + CHAR_WIDTH_EM * font_px * len(text), y + TEXT_DESCENT_EM * font_px)


def _overlap(a, b, gap: float) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def place_labels(anchors, texts, bounds, font_px: float = TICK_FONT_PX, avoid=(), near_px: float = 5.0):
    """Positions for labels that neither overlap each other (nor the ``avoid`` boxes) nor leave
    ``bounds`` = (x0, y0, x1, y1), each as near its anchor point as that allows.

    Greedy, in the given order: candidate boxes around the anchor (right, left, above, below and
    the four diagonals) at distances ``near_px``, 2·``near_px``, ... (up to 12 rings); the first
    that fits is taken. Returns, per label, ``(x, y, leader)``: the baseline start of the text
    (text-anchor start) and whether it sits away from its anchor (then draw a leader line from
    the anchor to the box: :func:`leader_end`). Box sizes are estimates (``text_box``)."""
    placed = [tuple(b) for b in avoid]
    out = []
    bx0, by0, bx1, by1 = bounds
    for (ax, ay), text in zip(anchors, texts):
        w = CHAR_WIDTH_EM * font_px * len(text)
        up, down = TEXT_ASCENT_EM * font_px, TEXT_DESCENT_EM * font_px
        best = None
        for ring in range(1, 13):
            d = near_px * ring
            for dx, dy in ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)):
                # the box's nearest edge sits d away from the anchor along (dx, dy)
                x = ax + d if dx > 0 else (ax - d - w if dx < 0 else ax - w / 2)
                y = ay - d - down if dy < 0 else (ay + d + up if dy > 0 else ay + (up - down) / 2)
                box = text_box(x, y, text, font_px)
                inside = (
                    box[0] >= bx0 + LABEL_GAP_PX
                    and box[2] <= bx1 - LABEL_GAP_PX
                    and box[1] >= by0 + LABEL_GAP_PX
                    and box[3] <= by1 - LABEL_GAP_PX
                )
                if inside and not any(_overlap(box, p, LABEL_GAP_PX) for p in placed):
                    best = (x, y, ring > 2, box)
                    break
            if best:
                break
        if best is None:  # nothing fits: clamp into the bounds beside the anchor
            x = min(max(ax + near_px, bx0 + LABEL_GAP_PX), bx1 - LABEL_GAP_PX - w)
            y = min(max(ay - near_px, by0 + LABEL_GAP_PX + up), by1 - LABEL_GAP_PX - down)
            best = (x, y, True, text_box(x, y, text, font_px))
        placed.append(best[3])
        out.append(best[:3])
    return out


def leader_end(ax: float, ay: float, x: float, y: float, text: str, font_px: float) -> tuple[float, float]:
    """The point of the label box (text at baseline start (x, y)) nearest the anchor (ax, ay)."""
    x0, y0, x1, y1 = text_box(x, y, text, font_px)
    return min(max(ax, x0), x1), min(max(ay, y0), y1)


def plot_axes(parts: list, x, y, xt, yt, box, xlabel: str, ylabel: str, xfmt=None, grid: str = "#ddd") -> None:
    """Append a plot frame to ``parts``: horizontal grid lines with labels at ``yt`` and vertical
    ones at ``xt`` (``xfmt(v)`` or ``tick_label``), the frame of ``box`` = (x0, y0, x1, y1) px and
    the axis titles; ``x``, ``y`` map data to px (``Linear``)."""
    x0, y0, x1, y1 = box
    for v in yt:
        py = num(y(v))
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{py}" y2="{py}" stroke="{grid}"/>')
        parts.append(f'<text x="{x0 - 6}" y="{py}" text-anchor="end" dy="4">{esc(tick_label(v, yt))}</text>')
    for v in xt:
        px = num(x(v))
        parts.append(f'<line x1="{px}" x2="{px}" y1="{y0}" y2="{y1}" stroke="{grid}"/>')
        lab = tick_label(v, xt) if xfmt is None else xfmt(v)
        parts.append(f'<text x="{px}" y="{y1 + 18}" text-anchor="middle">{esc(lab)}</text>')
    parts.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" stroke="#000"/>')
    parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{y1 + 38}" text-anchor="middle">{esc(xlabel)}</text>')
    cy = (y0 + y1) / 2
    parts.append(
        f'<text x="14" y="{cy:.1f}" text-anchor="middle" transform="rotate(-90 14 {cy:.1f})">{esc(ylabel)}</text>'
    )


def utc_unix_ms(t_tdb: float) -> int:
    """Milliseconds since 1970-01-01 UTC (POSIX count, no leap seconds) of the UTC calendar time
    of ``t_tdb`` (ERFA, to 1 ms): the origin the report's script labels zoomed time axes from."""
    epoch = _dt.datetime(1970, 1, 1)
    return round((_utc_calendar(t_tdb) - epoch) / _dt.timedelta(milliseconds=1))


def time_axis_attrs(t0_tdb: float, t1_tdb: float, x0_px: float, x1_px: float) -> str:
    """The ``data-t0``/``data-t1`` (TDB s), ``data-x0``/``data-x1`` (px of the plot area) and
    ``data-utc0`` (:func:`utc_unix_ms` of ``t0``) attributes of a time chart's ``<svg>``: what the
    report's script zooms, pans and relabels the time axis with (report/assets.py)."""
    return (
        f' data-t0="{t0_tdb:.3f}" data-t1="{t1_tdb:.3f}" data-x0="{num(x0_px, 2)}" data-x1="{num(x1_px, 2)}"'
        f' data-utc0="{utc_unix_ms(t0_tdb)}"'
    )


def chart_open(name: str, width: float, height: float, title: str, time_axis=None) -> list[str]:
    """The opening ``<svg class="chart" data-chart=name>`` of a report chart and its title;
    ``time_axis`` = (t0_tdb, t1_tdb, x0_px, x1_px) marks a time chart (:func:`time_axis_attrs`)."""
    extra = time_axis_attrs(*time_axis) if time_axis is not None else ""
    return [
        f'<svg class="chart" data-chart="{esc(name)}"{extra} viewBox="0 0 {num(width, 0)} {num(height, 0)}" '
        f'width="{num(width, 0)}" height="{num(height, 0)}" role="img" aria-label="{esc(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<text class="title" x="{num(width / 2, 1)}" y="18" text-anchor="middle">{esc(title)}</text>',
    ]


def value_axis(sy, x: float, x_right: float, label: str, ticks, title_dx: float = 52) -> list[str]:
    """Horizontal grid lines with tick labels left of ``x`` and the axis title rotated
    ``title_dx`` px left of it; ``sy`` maps values to px (``Linear``)."""
    out = ['<g class="axis value-axis">', f'<line x1="{num(x)}" y1="{num(sy.p0)}" x2="{num(x)}" y2="{num(sy.p1)}"/>']
    for v in ticks:
        y = num(float(sy(v)))
        out.append(f'<line class="gridline" x1="{num(x)}" y1="{y}" x2="{num(x_right)}" y2="{y}"/>')
        out.append(
            f'<text class="tick" x="{num(x - 6)}" y="{y}" dy="4" text-anchor="end">{esc(tick_label(v, ticks))}</text>'
        )
    out.append(
        f'<text class="lbl" transform="translate({num(x - title_dx)},{num((sy.p0 + sy.p1) / 2)}) rotate(-90)" '
        f'text-anchor="middle">{esc(label)}</text>'
    )
    out.append("</g>")
    return out


def legend_row(items, x: float, y: float, toggles: bool = True) -> list[str]:
    """Legend entries (key, label, colour) in a row from (x, y); with ``toggles`` each is
    clickable (the report's script hides the series of that key)."""
    out = ['<g class="legend">']
    for key, label, colour in items:
        attr = f' data-toggle="{esc(key)}"' if toggles else ""
        out.append(
            f'<g{attr}><rect x="{num(x)}" y="{num(y - 9)}" width="12" height="10" fill="{colour}"/>'
            f'<text class="tick" x="{num(x + 16)}" y="{num(y)}">{esc(label)}</text></g>'
        )
        x += 26 + 6.6 * len(label)
    out.append("</g>")
    return out


def value_x_axis(sx, ticks, y_top: float, y_bottom: float, label: str) -> list[str]:
    """A horizontal value axis along ``y_bottom`` from ``sx.p0`` to ``sx.p1``: vertical grid lines
    up to ``y_top`` at ``ticks``, their labels and the axis title below."""
    out = ['<g class="axis">', f'<line x1="{num(sx.p0)}" y1="{num(y_bottom)}" x2="{num(sx.p1)}" y2="{num(y_bottom)}"/>']
    for v in ticks:
        x = num(float(sx(v)))
        out.append(f'<line class="gridline" x1="{x}" y1="{num(y_top)}" x2="{x}" y2="{num(y_bottom)}"/>')
        out.append(
            f'<text class="tick" x="{x}" y="{num(y_bottom + 16)}" text-anchor="middle">{esc(tick_label(v, ticks))}</text>'
        )
    out.append(
        f'<text class="lbl" x="{num((sx.p0 + sx.p1) / 2)}" y="{num(y_bottom + 36)}" text-anchor="middle">{esc(label)}</text></g>'
    )
    return out
