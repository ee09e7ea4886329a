"""The report's sky map (issue 16 item 5): the Sun's path and exclusion zone, the Earth's path,
the ecliptic and the galactic plane, and readable target labels."""

import numpy as np
import pytest
from dom import charts, parse

from lunarscope.report.html import MAX_SKY_LABELS, render_report
from lunarscope.report.svg import TICK_FONT_PX, text_box

#: Agreement of the plan's Sun/Earth directions with a direct ephemeris evaluation (deg): the
#: same computation, so only the arccos resolution of float64 near 0 (~1e-6 deg) remains.
DIRECTION_TOL_DEG = 2e-6


@pytest.fixture(scope="module")
def sky(plan):
    return charts(parse(render_report(plan)))["skymap"]


def _series(svg, name):
    return [n for n in svg.iter() if n.attrs.get("data-series") == name]


def test_sun_and_earth_paths_are_the_ephemeris_directions(plan_run):
    from lunarscope.states import body_seen_from

    _, result = plan_run
    paths, m = result.plan.sky_paths, result.mission
    t = np.asarray(paths.t_tdb)
    assert t[0] == pytest.approx(m.t_start) and np.all(np.diff(t) > 0)
    r = np.zeros((len(t), 3))  # from the Moon's centre (the spacecraft's parallax is left out)
    for body, ra, dec in (
        ("sun", paths.sun_ra_deg, paths.sun_dec_deg),
        ("earth", paths.earth_ra_deg, paths.earth_dec_deg),
    ):
        v = body_seen_from(m.sources.ephemeris, body, t, r) - r
        v /= np.linalg.norm(v, axis=1)[:, None]
        a, d = np.radians(ra), np.radians(dec)
        u = np.column_stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
        ang = np.degrees(np.arccos(np.clip(np.sum(u * v, axis=1), -1, 1)))
        assert ang.max() < DIRECTION_TOL_DEG
    assert paths.sun_exclusion_deg == m.observing.constraints.sun_exclusion_deg
    # summary.json does not carry the series
    import json

    out, _ = plan_run
    assert "sky_paths" not in json.loads((out / "summary.json").read_text())


def test_sky_map_draws_paths_zone_planes_and_labels(plan, sky):
    for name in ("sun-path", "earth-path", "sun-exclusion", "target-labels"):
        assert _series(sky, name), f"no {name}"
    lines = {n.attrs.get("data-line") for n in sky.iter() if n.tag == "g"}
    assert {"ecliptic", "galactic"} <= lines
    zones = [n for n in _series(sky, "sun-exclusion")[0].iter() if n.tag == "polyline"]
    assert len(zones) >= 3  # start, middle, end (more where a circle crosses the map's edge)
    labels = [n for n in _series(sky, "target-labels")[0].iter() if n.tag == "text"]
    assert len(labels) == min(MAX_SKY_LABELS, len(plan.targets))
    boxes = [text_box(float(n.attrs["x"]), float(n.attrs["y"]), n.all_text(), TICK_FONT_PX) for n in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), "labels overlap"
    # every target keeps its hover text
    tips = [n for n in _series(sky, "targets")[0].iter() if n.tag == "title"]
    assert len(tips) == len(plan.targets)
