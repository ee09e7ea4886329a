"""The report's sky-coverage map (lunarscope.report.skymap) on the real fixture plan: present,
well-formed (the inline PNG decodes to the map of plan.coverage), ecliptic and galactic plane
where they belong, colour bar in hours, the projection against matplotlib's, and the page loads
in headless Chromium without a console error (the data: image passes the page's CSP)."""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import zlib

import numpy as np
import pytest
from chromium import CHROMIUM, run_chromium
from dom import charts, marks, parse

from lunarscope.report import render_report
from lunarscope.report.skymap import (
    COLOUR_LEVELS,
    MAP_WIDTH_PX,
    OBLIQUITY_J2000_DEG,
    coverage_section,
    inverse_mollweide,
    mollweide,
)

#: Map geometry of coverage_section (px): left, top, width of the ellipse's box.
MAP_X0, MAP_Y0, MAP_W = 90.0, 34.0, 820.0
#: Drawn curves must pass within this of their true points (px).
CURVE_TOL_PX = 2.0


@pytest.fixture(scope="module")
def svg(plan):
    return charts(parse(render_report(plan)))["coverage"]


def _png(uri: str):
    """(width, height, palette indices (H, W)) of an 8-bit palette PNG data URI, unfiltered."""
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, chunks = 8, b"", {}
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        assert zlib.crc32(kind + body) == int.from_bytes(data[pos + 8 + n : pos + 12 + n], "big"), kind
        chunks[kind] = body
        idat += body if kind == b"IDAT" else b""
        pos += 12 + n
    w, h = int.from_bytes(chunks[b"IHDR"][:4], "big"), int.from_bytes(chunks[b"IHDR"][4:8], "big")
    assert chunks[b"IHDR"][8:10] == bytes([8, 3])  # 8-bit palette
    assert len(chunks[b"PLTE"]) == 3 * (COLOUR_LEVELS + 1) and chunks[b"tRNS"] == b"\x00"
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, w + 1)
    assert np.all(raw[:, 0] == 0)  # filter type None on every row
    return w, h, raw[:, 1:]


def test_map_is_present_and_decodes_to_the_plan_coverage(plan, svg):
    cov = plan.coverage
    assert cov is not None and cov.nside >= 8
    (img,) = [n for n in marks(svg) if n.tag == "image"]
    assert img.attrs["href"].startswith("data:image/png;base64,")
    assert int(img.attrs["data-nside"]) == cov.nside
    w, h, idx = _png(img.attrs["href"])
    assert (w, h) == (MAP_WIDTH_PX, MAP_WIDTH_PX // 2)
    # every cell: 0 outside the ellipse, else the level of the HEALPix pixel under its centre
    from astropy_healpix import healpy as ahp

    x = (np.arange(w) + 0.5) / w * 4 * np.sqrt(2) - 2 * np.sqrt(2)
    y = np.sqrt(2) - (np.arange(h) + 0.5) / h * 2 * np.sqrt(2)
    gx, gy = np.meshgrid(x, y)
    inside = (gx / (2 * np.sqrt(2))) ** 2 + (gy / np.sqrt(2)) ** 2 <= 1
    assert np.all(idx[~inside] == 0) and np.all(idx[inside] >= 1)
    ra, dec = inverse_mollweide(gx[inside], gy[inside])
    hours = np.asarray(cov.hours)[ahp.ang2pix(cov.nside, ra, dec, lonlat=True)]
    vmax = float(np.max(cov.hours))
    want = 1 + np.rint(hours / vmax * (COLOUR_LEVELS - 1))
    assert np.array_equal(idx[inside], want.astype(np.uint8))
    assert len(np.unique(idx[inside])) > 3  # not a flat map
    # the colour bar runs from 0 to the largest hours
    (bar,) = svg.find_all(lambda n: "colourbar" in n.classes)
    assert float(bar.attrs["data-max-hours"]) == pytest.approx(vmax, abs=1e-3)
    assert "Observable hours" in bar.all_text()


def _points(group):
    pts = []
    for line in group.find_all(lambda n: n.tag == "polyline"):
        pts += [tuple(map(float, p.split(","))) for p in line.attrs["points"].split()]
    return np.array(pts)


def _px(ra, dec):
    x, y = mollweide(ra, dec)
    return MAP_X0 + MAP_W / 2 + MAP_W / (4 * np.sqrt(2)) * x, MAP_Y0 + MAP_W / 4 - MAP_W / (4 * np.sqrt(2)) * y


@pytest.mark.parametrize(
    "line, ra, dec",
    [
        ("ecliptic", 90.0, OBLIQUITY_J2000_DEG),  # solstices
        ("ecliptic", 270.0, -OBLIQUITY_J2000_DEG),
        ("galactic", 266.40499, -28.93617),  # l = 0, b = 0 (astropy Galactic -> ICRS)
        ("galactic", 86.40499, 28.93617),  # l = 180
    ],
)
def test_planes_pass_through_their_points(svg, line, ra, dec):
    (group,) = svg.find_all(lambda n: n.attrs.get("data-line") == line)
    pts = _points(group)
    assert len(pts) > 100
    x, y = _px(ra, dec)
    assert np.min(np.hypot(pts[:, 0] - x, pts[:, 1] - y)) < CURVE_TOL_PX
    # every vertex is inside the map's box
    assert np.all((pts[:, 0] >= MAP_X0 - 0.1) & (pts[:, 0] <= MAP_X0 + MAP_W + 0.1))
    assert np.all((pts[:, 1] >= MAP_Y0 - 0.1) & (pts[:, 1] <= MAP_Y0 + MAP_W / 2 + 0.1))


def test_galactic_points_match_astropy():
    from astropy.coordinates import SkyCoord

    c = SkyCoord(l=[0.0, 180.0], b=[0.0, 0.0], unit="deg", frame="galactic").icrs
    assert np.allclose(c.ra.deg, [266.40499, 86.40499], atol=1e-4)
    assert np.allclose(c.dec.deg, [-28.93617, 28.93617], atol=1e-4)


def test_mollweide_matches_matplotlib_and_inverts():
    mpl_geo = pytest.importorskip("matplotlib.projections.geo")
    rng = np.random.default_rng(5)
    ra = rng.uniform(0.001, 359.999, 500)
    dec = rng.uniform(-89.9, 89.9, 500)
    x, y = mollweide(ra, dec)
    lon = np.radians((180.0 - ra + 180.0) % 360.0 - 180.0)
    ref = mpl_geo.MollweideAxes.MollweideTransform(75).transform_non_affine(np.c_[lon, np.radians(dec)])
    # matplotlib stops its Newton iteration at |dθ| < 1e-3 rad (1.5e-3 here); ours solves to rounding
    assert np.allclose(x, ref[:, 0], atol=5e-3) and np.allclose(y, ref[:, 1], atol=5e-3)
    theta = np.arcsin(y / np.sqrt(2))
    assert np.allclose(2 * theta + np.sin(2 * theta), np.pi * np.sin(np.radians(dec)), atol=1e-12)
    assert np.allclose(x, 2 * np.sqrt(2) / np.pi * lon * np.cos(theta), atol=1e-12)
    ra2, dec2 = inverse_mollweide(x, y)
    assert np.allclose(dec2, dec, atol=1e-9)
    assert np.allclose((ra2 - ra + 180) % 360 - 180, 0.0, atol=1e-8)
    assert np.all(np.isnan(inverse_mollweide(np.array([2.9]), np.array([0.0]))[0]))  # outside the ellipse


def test_plan_without_coverage_says_so(plan):
    text = coverage_section(dataclasses.replace(plan, coverage=None))
    assert 'id="coverage"' in text and 'class="none"' in text and "<svg" not in text


def test_map_is_deterministic_and_small(plan):
    a, b = coverage_section(plan), coverage_section(plan)
    assert a == b
    assert len(a) < 150_000  # bytes of the section (the PNG compresses the map)
    assert not re.search(r"\ssrc\s*=|https?://(?!www\.w3\.org/2000/svg)", a)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium not installed")
def test_map_loads_in_chromium(tmp_path, plan):
    path = tmp_path / "report.html"
    path.write_text(render_report(plan), encoding="utf-8")
    res = run_chromium(tmp_path / "profile", path.as_uri(), "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    bad = [
        ln
        for ln in res.stderr.splitlines()
        if "Uncaught" in ln or "ERROR:CONSOLE" in ln or ("CONSOLE" in ln and re.search(r"Error|Refused|Failed", ln))
    ]
    assert bad == []
    found = charts(parse(res.stdout))
    assert "coverage" in found
    (img,) = [n for n in marks(found["coverage"]) if n.tag == "image"]
    assert img.attrs["href"].startswith("data:image/png;base64,")


def test_plan_writes_coverage_fits(plan_run):
    from lunarscope.io.healpix import read_coverage_fits

    out, result = plan_run
    cov = result.plan.coverage
    back = read_coverage_fits(str(out / "coverage.fits"))
    assert (back.nside, back.ordering) == (cov.nside, "RING")
    np.testing.assert_allclose(back.hours, cov.hours, rtol=1e-6, atol=1e-6)  # float32 in the file
    np.testing.assert_allclose(back.longest_hours, cov.longest_hours, rtol=1e-6, atol=1e-6)
    assert back.constraints["sun_exclusion_deg"] == 45.0 and back.constraints["min_window_s"] == 60.0
    # the reachable sky at the reference depth (AB 22, SNR 5, NUV, the mission's instrument)
    from lunarscope.mission.instrument import mission_instrument
    from lunarscope.science.coverage import hours_for_depth

    d = cov.depth
    need = hours_for_depth(mission_instrument(result.mission), "NUV", 22.0, 5.0)
    assert (d["mag_ab"], d["snr"], d["band"]) == (22.0, 5.0, "NUV") and d["hours_needed"] == pytest.approx(need)
    assert d["fraction"] == pytest.approx(np.mean(np.asarray(cov.hours) >= need))
    assert "Reachable at AB 22, SNR 5 in NUV" in (out / "report.html").read_text()
    import json

    summary = json.loads((out / "summary.json").read_text())
    assert "coverage.fits" in summary["products"] and "coverage" not in summary
