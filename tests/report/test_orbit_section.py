"""The report's "Orbit history" section (report/orbit.py) and the plan's orbit history
(mission.plan.plan_orbit_history): charts in the page, values against independent
computations (a two-body orbit with the Sun along a known direction; vis-viva apsides), and in
headless Chromium no text label of the orbit sections overlaps another or leaves its chart."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from types import SimpleNamespace

import numpy as np
import pytest
from chromium import CHROMIUM, run_chromium
from dom import charts, marks, parse

from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.mission.plan import ORBIT_HISTORY_POINTS, plan_orbit_history
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.products import Plan, PlanOrbitHistory, PlanSite
from lunarscope.report import render_report
from lunarscope.report.orbit import DISPLAY_POINTS

ORBIT_CHARTS = ["elements", "apsides", "evector", "beta", "groundtrack"]
#: Rounding of the plan's series: km to 1e-3, angles to 1e-5 deg, e to 1e-7.
KM_TOL = 2e-3
DEG_TOL = 2e-5
#: Ground track: the plan's times are rounded to 1 ms and a 100 km orbit moves 0.056 deg/s.
TRACK_DEG_TOL = 1e-4
#: Overlap allowed between two rendered text boxes (px): anti-aliasing only.
OVERLAP_TOL_PX = 0.5


@pytest.fixture(scope="module")
def dom(plan):
    return parse(render_report(plan))


def _section(dom, sid):
    (sec,) = [n for n in dom.iter() if n.tag == "section" and n.attrs.get("id") == sid]
    return sec


def test_section_has_its_charts_labels_and_captions(plan, dom):
    sec = _section(dom, "orbit-history")
    found = charts(sec)
    assert list(found) == ORBIT_CHARTS
    for name in ORBIT_CHARTS:
        assert marks(found[name]), name
        assert found[name].find_all(lambda n: "title" in n.classes and n.all_text().strip()), name
    assert any(n.tag == "a" and n.attrs.get("href") == "#orbit-history" for n in dom.iter())  # in the nav
    labels = {
        name: " ".join(n.all_text() for n in found[name].find_all(lambda n: "lbl" in n.classes)) for name in found
    }
    for unit in ("a (km)", "i (°)", "Ω (°)", "ω (°)", "Time (UTC)"):
        assert unit in labels["elements"], unit
    assert "Altitude (km)" in labels["apsides"] and "β (°)" in labels["beta"]
    assert "e cos ω" in labels["evector"] and "e sin ω" in labels["evector"]
    assert "longitude (° east)" in labels["groundtrack"] and "latitude (°)" in labels["groundtrack"]
    text = sec.all_text()
    h = plan.orbit_history
    assert f"in the {h.plane} plane" in text and "one-period running mean" in text  # plane and method named
    assert f"kept at {h.t_tdb.size} samples" in text and f"≤ {DISPLAY_POINTS} vertices" in text  # decimation said
    # one osculating and one mean line per element panel; sites marked and labelled
    panels = found["elements"].find_all(lambda n: n.attrs.get("class") == "panel")
    assert [p.attrs["data-panel"] for p in panels] == ["a_km", "e", "i_deg", "raan_deg", "argp_deg"]
    for p in panels:
        series = {m.attrs["data-series"] for m in marks(p)}
        assert series == {"osculating", "mean"}, p.attrs["data-panel"]
    sites = [m for m in marks(found["groundtrack"]) if m.attrs.get("data-series") == "sites"]
    assert len(sites) == len(plan.sites) > 0
    names = [n.all_text() for n in found["groundtrack"].find_all(lambda n: "point-label" in n.classes)]
    assert names == [s.name for s in plan.sites]
    grid = found["groundtrack"].find_all(lambda n: n.tag == "text" and n.all_text().endswith("°"))
    assert {t.all_text() for t in grid} >= {f"{v}°" for v in range(-180, 181, 30)}


def test_history_in_the_plan(plan_run):
    out, result = plan_run
    h = result.plan.orbit_history
    assert h.plane == "MOON_ME"  # the fixture's orbit frame is MOON_ME_INERTIAL
    assert 0 < h.t_tdb.size <= ORBIT_HISTORY_POINTS and abs(h.t_tdb[0] - result.plan.mission.start_tdb) < 1e-3
    assert 0 < h.mean_t_tdb.size < h.samples
    assert np.all(np.isfinite(h.mean_a_km))
    # at the start the osculating elements are the mission's (MOON_ME_INERTIAL = MOON_ME axes at t0)
    o = result.plan.mission.orbit
    assert abs(h.a_km[0] - o.a_km) < KM_TOL and abs(h.i_deg[0] - o.i_deg) < DEG_TOL and h.e[0] < 1e-6
    # apsides from vis-viva on the trajectory's own states, in ICRF (a and e do not depend on axes)
    tr = result.trajectory
    s = tr.state(np.clip(h.t_tdb, tr.t_start, tr.t_stop))  # the plan rounds times to 1 ms
    gm = result.mission.gm_moon
    r, v = np.linalg.norm(s[:, :3], axis=1), np.linalg.norm(s[:, 3:], axis=1)
    a = 1.0 / (2.0 / r - v * v / gm)
    e = np.linalg.norm(np.cross(s[:, 3:], np.cross(s[:, :3], s[:, 3:])) / gm - s[:, :3] / r[:, None], axis=1)
    np.testing.assert_allclose(h.a_km, a, atol=KM_TOL)
    np.testing.assert_allclose(h.periapsis_alt_km, a * (1 - e) - MOON_RADIUS_KM, atol=KM_TOL)
    np.testing.assert_allclose(h.apoapsis_alt_km, a * (1 + e) - MOON_RADIUS_KM, atol=KM_TOL)
    # ground track against the trajectory in MOON_ME through frames.to_frame (state transform)
    me = tr.state_in("MOON_ME", np.clip(h.track_t_tdb, tr.t_start, tr.t_stop), result.mission.sources.moon_pck)[:, :3]
    np.testing.assert_allclose(
        h.track_lat_deg, np.degrees(np.arcsin(me[:, 2] / np.linalg.norm(me, axis=1))), atol=TRACK_DEG_TOL
    )
    lon = np.degrees(np.arctan2(me[:, 1], me[:, 0]))
    dlon = np.abs((h.track_lon_deg - lon + 180) % 360 - 180) * np.cos(np.radians(h.track_lat_deg))  # on the sphere
    assert np.all(dlon < TRACK_DEG_TOL)
    # a polar orbit reaches near both poles within one revolution
    assert h.track_lat_deg.max() > 80 and h.track_lat_deg.min() < -80
    # the typed plan survives JSON; summary.json leaves the long series out
    back = Plan.from_dict(json.loads(json.dumps(result.plan.to_dict())))
    np.testing.assert_array_equal(back.orbit_history.beta_deg, h.beta_deg)
    summary = json.loads((out / "summary.json").read_text())
    assert "orbit_history" not in summary


class _TwoBody:
    """A Keplerian orbit (Kepler's equation by Newton) with the Trajectory.sample interface."""

    def __init__(self, el, gm, t0, t1):
        self.el, self.gm, self.t_start, self.t_stop = el, gm, t0, t1

    def sample(self, step):
        a, e, i, raan, argp = self.el
        t = np.append(np.arange(self.t_start, self.t_stop, step), self.t_stop)
        m = np.sqrt(self.gm / a**3) * (t - self.t_start)
        ecc = m.copy()
        for _ in range(30):
            ecc -= (ecc - e * np.sin(ecc) - m) / (1 - e * np.cos(ecc))
        ta = 2 * np.arctan2(np.sqrt(1 + e) * np.sin(ecc / 2), np.sqrt(1 - e) * np.cos(ecc / 2))
        return t, keplerian_to_cartesian(a, e, i, raan, argp, ta, self.gm)


def test_beta_and_elements_of_a_constructed_orbit(plan_run):
    """Two-body orbit i = 60°, Ω = 40° in ICRF and the Sun fixed along ŝ: β = asin(ĥ · ŝ) with
    ĥ = (sin i sin Ω, −sin i cos Ω, cos i) (Vallado 2013, eq. 2-89's node geometry)."""
    _, result = plan_run
    gm = result.mission.gm_moon
    i, raan = np.radians(60.0), np.radians(40.0)
    el = (3000.0, 0.2, i, raan, np.radians(30.0))
    t0 = result.plan.mission.start_tdb
    traj = _TwoBody(el, gm, t0, t0 + 2 * 86400.0)
    sun_dir = np.array([1.0, -2.0, 0.5]) / np.linalg.norm([1.0, -2.0, 0.5])

    class Sun:
        def position(self, target, observer, t):
            assert (target, observer) == ("sun", "moon")
            return np.tile(1.496e8 * sun_dir, (np.size(t), 1))

    mission = SimpleNamespace(
        gm_moon=gm,
        orbit_frame="ICRF",
        state0_icrf=traj.sample(60.0)[1][0],
        sources=SimpleNamespace(moon_pck=result.mission.sources.moon_pck, ephemeris=Sun()),
    )
    h = plan_orbit_history(mission, traj)
    normal = np.array([np.sin(i) * np.sin(raan), -np.sin(i) * np.cos(raan), np.cos(i)])
    beta = np.degrees(np.arcsin(normal @ sun_dir))
    assert h.plane == "ICRF"
    np.testing.assert_allclose(h.beta_deg, beta, atol=DEG_TOL)
    np.testing.assert_allclose(h.a_km, 3000.0, atol=KM_TOL)
    np.testing.assert_allclose(h.e, 0.2, atol=1e-6)
    np.testing.assert_allclose(h.i_deg, 60.0, atol=DEG_TOL)
    np.testing.assert_allclose(h.raan_deg, 40.0, atol=DEG_TOL)
    np.testing.assert_allclose(h.periapsis_alt_km, 3000.0 * 0.8 - MOON_RADIUS_KM, atol=KM_TOL)
    np.testing.assert_allclose(h.apoapsis_alt_km, 3000.0 * 1.2 - MOON_RADIUS_KM, atol=KM_TOL)
    np.testing.assert_allclose(np.hypot(h.ex, h.ey), 0.2, atol=1e-6)
    # mean elements of a two-body orbit are the elements; the mean e-vector is (e cos ω, e sin ω)
    np.testing.assert_allclose(h.mean_a_km, 3000.0, atol=KM_TOL)
    np.testing.assert_allclose(h.mean_i_deg, 60.0, atol=DEG_TOL)
    np.testing.assert_allclose(h.mean_ex, 0.2 * np.cos(np.radians(30)), atol=1e-6)
    np.testing.assert_allclose(h.mean_ey, 0.2 * np.sin(np.radians(30)), atol=1e-6)
    period = 2 * np.pi * np.sqrt(3000.0**3 / gm)
    assert h.period_s == pytest.approx(period, abs=1e-3)
    assert h.mean_t_tdb[0] >= t0 + period / 2 and h.mean_t_tdb[-1] <= t0 + 2 * 86400.0 - period / 2


def test_history_node_checks_and_missing_history(plan):
    h = plan.orbit_history
    with pytest.raises(TypeError, match="PlanOrbitHistory.beta_deg"):
        dataclasses.replace(h, beta_deg=h.beta_deg[:-1])
    with pytest.raises(TypeError, match="PlanOrbitHistory.mean_e"):
        dataclasses.replace(h, mean_e=np.append(h.mean_e, 0.0))
    out = render_report(dataclasses.replace(plan, orbit_history=None))
    sec = _section(parse(out), "orbit-history")
    assert not charts(sec) and sec.find_all(lambda n: "none" in n.classes)
    assert "orbit_history" not in dataclasses.replace(plan, orbit_history=None).to_dict()
    assert isinstance(h, PlanOrbitHistory)


#: After the report's script: every text box (screen px) of each chart of the orbit sections.
PROBE = """
<script>
document.addEventListener('DOMContentLoaded', function () {
  var out = {};
  document.querySelectorAll('#orbit svg[data-chart], #orbit-history svg[data-chart]').forEach(function (svg) {
    var s = svg.getBoundingClientRect();
    out[svg.getAttribute('data-chart')] = {
      svg: [s.left, s.top, s.right, s.bottom],
      texts: Array.prototype.map.call(svg.querySelectorAll('text'), function (t) {
        var r = t.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom, t.textContent];
      })
    };
  });
  document.documentElement.setAttribute('data-probe-boxes', JSON.stringify(out));
});
</script>
"""


def _crowded(plan):
    """The fixture plan with five lunar sites within a few degrees of each other, one at the
    map's edge (labels must move apart and stay inside)."""
    sites = [PlanSite(name=f"Crater site {k}", lat_deg=-85.0 + 1.5 * k, lon_deg=178.0 - 1.0 * k) for k in range(4)] + [
        PlanSite(name="Shackleton rim", lat_deg=-89.9, lon_deg=0.0)
    ]
    return dataclasses.replace(plan, sites=tuple(sites))


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium not installed")
def test_labels_do_not_overlap_or_clip_in_chromium(tmp_path, plan):
    page = tmp_path / "report.html"
    page.write_text(render_report(_crowded(plan)).replace("</body>", PROBE + "</body>"), encoding="utf-8")
    res = run_chromium(tmp_path / "profile", page.as_uri(), "--window-size=1200,2000", "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    head = re.search(r"<html[^>]*>", res.stdout).group(0)
    raw = re.search(r'data-probe-boxes="([^"]*)"', head).group(1)
    boxes = json.loads(raw.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert set(boxes) == {"orbit", *ORBIT_CHARTS}
    earth = [t for t in boxes["orbit"]["texts"] if t[4].startswith("Earth (")]
    assert len(earth) == 6  # start and end in each of the three panels
    placed = [t[4] for t in boxes["groundtrack"]["texts"]]
    assert "Shackleton rim" in placed and "Crater site 3" in placed
    problems = []
    for name, chart in boxes.items():
        x0, y0, x1, y1 = chart["svg"]
        texts = [t for t in chart["texts"] if t[2] > t[0]]
        for t in texts:
            if (
                t[0] < x0 - OVERLAP_TOL_PX
                or t[2] > x1 + OVERLAP_TOL_PX
                or t[1] < y0 - OVERLAP_TOL_PX
                or t[3] > y1 + OVERLAP_TOL_PX
            ):
                problems.append(f"{name}: {t[4]!r} leaves the chart")
        for k, a in enumerate(texts):
            for b in texts[k + 1 :]:
                w = min(a[2], b[2]) - max(a[0], b[0])
                h = min(a[3], b[3]) - max(a[1], b[1])
                if w > OVERLAP_TOL_PX and h > OVERLAP_TOL_PX:
                    problems.append(f"{name}: {a[4]!r} overlaps {b[4]!r}")
    assert problems == []
