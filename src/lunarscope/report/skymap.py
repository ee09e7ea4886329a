"""The report's sky-coverage map: observable hours per HEALPix pixel on a Mollweide projection.

``coverage_section(plan)`` returns ``<section id="coverage">`` with one self-contained
``<svg data-chart="coverage">``: the map as an inline PNG (``data:`` URI, a palette image of
``MAP_WIDTH_PX`` × ``MAP_WIDTH_PX/2`` cells, each coloured by the hours of the HEALPix pixel
under its centre), the RA/Dec graticule, the ecliptic and the galactic plane as polylines, and
a colour bar in hours. Projection: Mollweide, equal-area (Snyder 1987, "Map Projections — A
Working Manual", USGS PP 1395, pp. 249–252), centred on RA 12h with RA increasing to the left
like the report's target map. Byte-deterministic (fixed zlib level, fixed decimals).
"""

from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np

from lunarscope.products import Plan
from lunarscope.report.svg import esc, num, polyline_points, viridis

#: Width of the map's raster (cells); the height is half of it (the Mollweide ellipse is 2:1).
MAP_WIDTH_PX = 720
#: Colour levels of the map (viridis, quantised; palette index 0 is transparent).
COLOUR_LEVELS = 64
#: Mean obliquity of the ecliptic at J2000, deg (IAU 2006: 84381.406 arcsec; Capitaine et al. 2003).
OBLIQUITY_J2000_DEG = 84381.406 / 3600.0
#: North galactic pole and the galactic longitude of the north celestial pole in ICRS, deg
#: (Hipparcos catalogue, ESA 1997, vol. 1, sec. 1.5.3: α = 192.85948°, δ = 27.12825°, l = 122.93192°).
GALACTIC_POLE_RA_DEG, GALACTIC_POLE_DEC_DEG = 192.85948, 27.12825
#: Mollweide solve: Newton iterations for 2θ + sin 2θ = π sin φ (converges to 1e-12 rad in < 10
#: away from the poles; the poles are set exactly).
MOLLWEIDE_ITERATIONS = 30
#: zlib level of the PNG (fixed: the report is byte-deterministic).
PNG_ZLIB_LEVEL = 9

SQRT2 = math.sqrt(2.0)


def mollweide(ra_deg, dec_deg):
    """Mollweide projection (Snyder 1987, p. 251) of ICRS (RA, Dec) in degrees → (x, y) in
    [−2√2, 2√2] × [−√2, √2]; lon = 180° − RA (RA increases to the left, centred on 12h).
    x = (2√2/π) λ cos θ, y = √2 sin θ with 2θ + sin 2θ = π sin φ."""
    lam = np.radians(180.0 - np.asarray(ra_deg, float))
    lam = (lam + np.pi) % (2 * np.pi) - np.pi
    phi = np.radians(np.asarray(dec_deg, float))
    theta = np.array(phi, dtype=float, copy=True)
    target = np.pi * np.sin(phi)
    for _ in range(MOLLWEIDE_ITERATIONS):
        f = 2 * theta + np.sin(2 * theta) - target
        d = 2 + 2 * np.cos(2 * theta)
        theta = np.where(d > 1e-12, theta - f / np.where(d > 1e-12, d, 1.0), theta)
    theta = np.where(np.abs(phi) >= np.pi / 2 - 1e-12, np.sign(phi) * np.pi / 2, theta)
    return 2 * SQRT2 / np.pi * lam * np.cos(theta), SQRT2 * np.sin(theta)


def inverse_mollweide(x, y):
    """(RA, Dec) in degrees of map points (x, y) inside the ellipse, NaN outside (Snyder 1987, p. 252)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    inside = (x / (2 * SQRT2)) ** 2 + (y / SQRT2) ** 2 <= 1.0
    theta = np.arcsin(np.clip(y / SQRT2, -1.0, 1.0))
    phi = np.arcsin(np.clip((2 * theta + np.sin(2 * theta)) / np.pi, -1.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.pi * x / (2 * SQRT2 * np.cos(theta))
    ra = (180.0 - np.degrees(lam)) % 360.0
    dec = np.degrees(phi)
    ok = inside & np.isfinite(lam) & (np.abs(lam) <= np.pi)
    return np.where(ok, ra, np.nan), np.where(ok, dec, np.nan)


def great_circle(pole_ra_deg: float, pole_dec_deg: float, n: int = 361):
    """(RA, Dec) in degrees of ``n`` points on the great circle whose pole is given."""
    a, d = math.radians(pole_ra_deg), math.radians(pole_dec_deg)
    p = np.array([math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d)])
    e1 = np.cross([0.0, 0.0, 1.0], p)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(p, e1)
    s = np.linspace(0.0, 2 * np.pi, n)
    v = np.cos(s)[:, None] * e1 + np.sin(s)[:, None] * e2
    return np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0, np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1)))


def _png_palette(index: np.ndarray, palette: list[str]) -> bytes:
    """An 8-bit palette PNG (ISO/IEC 15948) of ``index`` (H, W) uint8; palette entry 0 transparent."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    h, w = index.shape
    plte = b"".join(bytes(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in palette)
    raw = b"".join(b"\x00" + row.tobytes() for row in np.ascontiguousarray(index, np.uint8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
        + chunk(b"PLTE", plte)
        + chunk(b"tRNS", b"\x00")
        + chunk(b"IDAT", zlib.compress(raw, PNG_ZLIB_LEVEL))
        + chunk(b"IEND", b"")
    )


def coverage_raster(hours: np.ndarray, nside: int, vmax: float, width: int = MAP_WIDTH_PX) -> np.ndarray:
    """(width/2, width) uint8 colour levels of the Mollweide map: 0 outside the sky ellipse,
    1 + round((COLOUR_LEVELS − 1)·hours/vmax) inside (hours of the pixel under each cell centre)."""
    import astropy.units as u
    from astropy_healpix import lonlat_to_healpix

    height = width // 2
    xs = (np.arange(width) + 0.5) / width * 4 * SQRT2 - 2 * SQRT2
    ys = SQRT2 - (np.arange(height) + 0.5) / height * 2 * SQRT2
    gx, gy = np.meshgrid(xs, ys)
    ra, dec = inverse_mollweide(gx, gy)
    ok = np.isfinite(ra)
    out = np.zeros((height, width), np.uint8)
    pix = lonlat_to_healpix(ra[ok] * u.deg, dec[ok] * u.deg, nside, order="ring")
    frac = np.clip(np.asarray(hours, float)[pix] / vmax, 0.0, 1.0) if vmax > 0 else np.zeros(pix.size)
    out[ok] = 1 + np.rint(frac * (COLOUR_LEVELS - 1)).astype(np.uint8)
    return out


def _lines(ra, dec, xy) -> list[str]:
    """Polyline point strings of a curve, split where it crosses the map's edge (RA 0h)."""
    x, y = xy(ra, dec)
    jumps = np.flatnonzero(np.abs(np.diff(x)) > 50.0) + 1
    return [polyline_points(px, py) for px, py in zip(np.split(x, jumps), np.split(y, jumps)) if px.size > 1]


#: The two reference planes drawn on the sky maps: (class, label, colour, dash, pole RA/Dec deg);
#: the ecliptic pole from the IAU 2006 obliquity at J2000, the galactic pole from Hipparcos (ESA 1997).
SKY_PLANES = (
    ("ecliptic", "Ecliptic", "#ff7f0e", "6 3", (270.0, 90.0 - OBLIQUITY_J2000_DEG)),
    ("galactic", "Galactic plane", "#d62728", "2 2", (GALACTIC_POLE_RA_DEG, GALACTIC_POLE_DEC_DEG)),
)


def sky_planes_svg(xy) -> list[str]:
    """SVG groups of the ecliptic and the galactic plane (``SKY_PLANES``) through the projection
    ``xy(ra_deg, dec_deg) -> (px, py)``, split where they cross the map's edge."""
    out = []
    for cls, label, colour, dash, pole in SKY_PLANES:
        out.append(f'<g class="plane {cls}" data-line="{cls}"><title>{esc(label)}</title>')
        for pts in _lines(*great_circle(*pole), xy):
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.6" stroke-dasharray="{dash}"/>'
            )
        out.append("</g>")
    return out


def graticule_svg(xy, fill: str = "#fbfcfd", line_attrs: str = "") -> list[str]:
    """An all-sky map's border (filled with ``fill``), parallels every 30° and meridians every 2 h
    with their labels, through the projection ``xy(ra_deg, dec_deg) -> (px, py)``."""
    out = ['<g class="axis graticule">']
    border_ra = np.concatenate([np.full(91, 1e-7), np.full(91, 360.0 - 1e-7)])
    border_dec = np.concatenate([np.linspace(-90, 90, 91), np.linspace(90, -90, 91)])
    bx, by = xy(border_ra, border_dec)
    out.append(f'<polygon points="{polyline_points(bx, by)}" fill="{fill}" stroke="#444"/>')
    for dec in (-60, -30, 0, 30, 60):
        ra = np.linspace(1e-7, 360.0 - 1e-7, 121)
        gx, gy = xy(ra, np.full_like(ra, dec))
        out.append(f'<polyline class="gridline" points="{polyline_points(gx, gy)}" fill="none"{line_attrs}/>')
        lx, ly = xy(360.0 - 1e-7, dec)
        out.append(
            f'<text class="tick" x="{num(float(lx) - 6)}" y="{num(float(ly))}" dy="4" text-anchor="end">{dec:+d}°</text>'
        )
    for ra_h in range(2, 24, 2):
        dec = np.linspace(-90, 90, 61)
        gx, gy = xy(np.full_like(dec, ra_h * 15.0), dec)
        out.append(f'<polyline class="gridline" points="{polyline_points(gx, gy)}" fill="none"{line_attrs}/>')
        lx, ly = xy(ra_h * 15.0, 0.0)
        out.append(f'<text class="tick" x="{num(float(lx) + 2)}" y="{num(float(ly) + 12)}">{ra_h}h</text>')
    out.append("</g>")
    return out


def small_circle(ra_deg: float, dec_deg: float, radius_deg: float, n: int = 181):
    """(RA, Dec) deg of ``n`` points at ``radius_deg`` from the direction (``ra_deg``, ``dec_deg``)."""
    a, d, rho = math.radians(ra_deg), math.radians(dec_deg), math.radians(radius_deg)
    u = np.array([math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d)])
    e1 = np.cross([0.0, 0.0, 1.0], u) if abs(u[2]) < 0.999 else np.array([1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    s = np.linspace(0.0, 2 * np.pi, n)
    v = math.cos(rho) * u + math.sin(rho) * (np.cos(s)[:, None] * e1 + np.sin(s)[:, None] * e2)
    return np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0, np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1)))


def split_lines(ra, dec, xy) -> list[str]:
    """Polyline point strings of a sky curve, split where it crosses the map's edge (RA 0h)."""
    return _lines(np.asarray(ra, float), np.asarray(dec, float), xy)


def _depth_text(depth: dict) -> str:
    """The reachable-sky sentence of ``PlanCoverage.depth`` ("" when it is empty)."""
    if not depth:
        return ""
    need = float(depth["hours_needed"])
    return (
        f"Reachable at AB {depth['mag_ab']:g}, SNR {depth['snr']:g} in {depth['band']} (needs {num(need, 2)} h "
        f"at the dark-sky background with the mission's instrument): {num(100 * float(depth['fraction']), 1)} % "
        "of the sky. "
    )


def coverage_section(plan: Plan) -> str:
    """``<section id="coverage">``: the sky-coverage map of ``plan.coverage`` (a note if absent)."""
    head = '<section id="coverage">\n<h2>Sky coverage</h2>\n'
    cov = plan.coverage
    if cov is None:
        return head + '<p class="none">No sky-coverage map in this plan.</p>\n</section>\n'
    hours = np.asarray(cov.hours, float)
    vmax = float(hours.max()) if hours.size else 0.0
    width, height = 1000, 560
    map_w = 820.0
    map_h = map_w / 2
    x0, y0 = (width - map_w) / 2, 34.0
    sx = map_w / (4 * SQRT2)

    def xy(ra, dec):
        px, py = mollweide(ra, dec)
        return x0 + map_w / 2 + sx * np.asarray(px), y0 + map_h / 2 - sx * np.asarray(py)

    title = f"Observable hours per sky pixel over the mission (HEALPix nside {cov.nside}, Mollweide, ICRS)"
    out = [
        f'<svg class="chart" data-chart="coverage" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="title" x="{num(width / 2)}" y="18" text-anchor="middle">{esc(title)}</text>',
    ]
    palette = ["#ffffff"] + [viridis(k / (COLOUR_LEVELS - 1)) for k in range(COLOUR_LEVELS)]
    png = _png_palette(coverage_raster(hours, cov.nside, vmax), palette)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    out.append('<g class="marks" data-series="coverage">')
    out.append(
        f'<image class="mark coverage-map" x="{num(x0)}" y="{num(y0)}" width="{num(map_w)}" height="{num(map_h)}" '
        f'preserveAspectRatio="none" data-nside="{cov.nside}" data-max-hours="{num(vmax, 3)}" href="{uri}"/>'
    )
    out.append("</g>")
    out += graticule_svg(xy, fill="none", line_attrs=' stroke="#fff" stroke-opacity="0.35"')
    planes = SKY_PLANES
    out += sky_planes_svg(xy)
    # legend for the two planes
    lx0, ly0 = x0, y0 + map_h + 26
    out.append('<g class="legend">')
    for k, (_, label, colour, dash, _) in enumerate(planes):
        x = lx0 + k * 150
        out.append(
            f'<line x1="{num(x)}" y1="{num(ly0)}" x2="{num(x + 28)}" y2="{num(ly0)}" stroke="{colour}" '
            f'stroke-width="1.6" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text class="lbl" x="{num(x + 34)}" y="{num(ly0 + 4)}">{esc(label)}</text>')
    out.append("</g>")
    # colour bar (hours)
    bw, bx0, by0 = 300.0, width - 300.0 - x0, y0 + map_h + 18
    out.append(f'<g class="legend colourbar" data-max-hours="{num(vmax, 3)}">')
    for k in range(32):
        out.append(
            f'<rect x="{num(bx0 + k * bw / 32)}" y="{num(by0)}" width="{num(bw / 32 + 0.3)}" height="10" '
            f'fill="{viridis((k + 0.5) / 32)}"/>'
        )
    for f in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<text class="tick" x="{num(bx0 + bw * f)}" y="{num(by0 + 24)}" text-anchor="middle">{num(vmax * f, 1)}</text>'
        )
    out.append(
        f'<text class="lbl" x="{num(bx0 + bw / 2)}" y="{num(by0 + 38)}" text-anchor="middle">Observable hours</text>'
    )
    out.append("</g></svg>")
    span = float(cov.span_hours)
    fr = lambda h: float(np.mean(hours >= h)) if hours.size else 0.0  # noqa: E731
    longest = np.asarray(cov.longest_hours, float)
    longest_fr = lambda h: float(np.mean(longest >= h)) if longest.size else 0.0  # noqa: E731
    c = cov.constraints
    used = ", ".join(
        f"{k} {c[k]:g}" for k in ("sun_exclusion_deg", "earth_limb_deg", "moon_limb_deg") if c.get(k) is not None
    )
    lead = (
        f"Hours each sky pixel is observable over the {num(span, 1)} h span under every constraint"
        f" ({used or 'occultation only'}{'; in umbra only' if c.get('eclipse_only') else ''}); "
        f"median {num(float(np.median(hours)) if hours.size else 0.0, 1)} h, "
        f"{num(100 * fr(1.0), 1)} % of the sky ≥ 1 h, {num(100 * fr(0.5 * span), 1)} % ≥ half the span, "
        f"{num(100 * longest_fr(24.0), 1)} % in one window of ≥ 24 h. "
        + _depth_text(cov.depth)
        + "Equal-area Mollweide projection centred on RA 12h, RA increasing to the left; the same map "
        "is in coverage.fits."
    )
    return head + f'<p class="lead">{esc(lead)}</p>' + "\n".join(out) + "\n</section>\n"


__all__ = [
    "SKY_PLANES",
    "coverage_raster",
    "coverage_section",
    "graticule_svg",
    "great_circle",
    "inverse_mollweide",
    "mollweide",
    "sky_planes_svg",
    "small_circle",
    "split_lines",
]
