"""Per-request and per-target results, the contact and eclipse reports (issue 16): the plan's
rows against the schedule, the CSV products against the plan, the contact geometry against a
direct ITRF/ENU computation and astropy, and the report's tables sorted and filtered in
headless Chromium."""

from __future__ import annotations

import csv
import math
import os
import re

import numpy as np
import pytest
from test_chromium import CHROMIUM, _chromium, _console_problems

from lunarscope import frames
from lunarscope.mission.plan import CONTACTS_COLUMNS, ECLIPSES_COLUMNS, PRODUCTS, REQUESTS_COLUMNS
from lunarscope.mission.stages import window_job
from lunarscope.report import render_report

#: WGS84 (NIMA TR8350.2): equatorial radius (km) and flattening, for the test's own station position.
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
#: Brute-force grid step (s) of the independent maximum-elevation search, refined by a parabola.
CHECK_STEP_S = 1.0


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_request_results_follow_the_schedule(plan_run):
    _, result = plan_run
    plan, sched, problem = result.plan, result.schedule, result.problem
    reqs = plan.schedule.requests
    assert [r.request for r in reqs] == list(problem.request_names)
    got = sched.counted_exposure(problem)
    unsched = {u.target: u.reason for u in plan.schedule.unscheduled}
    for i, r in enumerate(reqs):
        visits = [a for a in sched.activities if a.kind == "observe" and a.request == i]
        assert r.counted_s == got[i] and r.visits == len(visits)
        assert r.exposure_s == problem.requests[i].exposure_s and r.priority == problem.requests[i].priority
        assert r.completion == min(1.0, got[i] / r.exposure_s)
        if visits:
            assert r.first_visit_tdb == min(a.start for a in visits) and r.last_visit_tdb == max(
                a.start for a in visits
            )
            assert r.first_visit_utc.startswith("2030-01-01T")
        else:
            assert r.first_visit_utc is None and r.last_visit_tdb is None
        if r.completion == 0:
            assert r.reason == unsched[r.request]  # the schedule's own reason
        elif r.completion < 1:
            assert r.reason.startswith("partly served:")
        else:
            assert r.reason == ""
    # the fixture: one partly served (exposure far above the span), one never visible
    assert sorted(r.completion < 1 for r in reqs).count(True) == 2
    assert plan.schedule.metrics.science_value == pytest.approx(sum(r.priority * r.completion for r in reqs))
    for t in plan.schedule.targets:
        mine = [r for r in reqs if r.target == t.target]
        assert t.requests == len(mine) and t.visits == sum(r.visits for r in mine)
        assert t.counted_s == pytest.approx(sum(r.counted_s for r in mine))
        assert t.exposure_s == sum(r.exposure_s for r in mine)


def test_csv_products_match_the_plan(plan_run):
    out, result = plan_run
    plan = result.plan
    for name in ("requests.csv", "contacts.csv", "eclipses.csv"):
        assert name in PRODUCTS and os.path.isfile(out / name)
    rows = _read_csv(out / "requests.csv")
    assert tuple(rows[0]) == REQUESTS_COLUMNS and len(rows) == len(plan.schedule.requests)
    for row, r in zip(rows, plan.schedule.requests):
        assert row["request"] == r.request and int(row["visits"]) == r.visits
        assert float(row["counted_s"]) == pytest.approx(r.counted_s, abs=1e-6)
        assert row["reason"] == r.reason and row["first_visit_utc"] == (r.first_visit_utc or "")
    rows = _read_csv(out / "contacts.csv")
    assert tuple(rows[0]) == CONTACTS_COLUMNS and len(rows) == len(plan.contacts) > 0
    assert [row["aos_utc"] for row in rows] == [c.aos_utc for c in plan.contacts]
    for row, c in zip(rows, plan.contacts):
        assert float(row["max_elevation_deg"]) == pytest.approx(c.max_elevation_deg, abs=1e-6)
        assert float(row["range_los_km"]) == pytest.approx(c.range_los_km, abs=1e-6)
    # every downlink lies in one contact of its station
    total = sum(c.data_mbit for c in plan.contacts)
    assert total == pytest.approx(plan.schedule.metrics.data_downlinked_mbit, rel=1e-9)
    assert sum(c.downlinks for c in plan.contacts) == sum(a.activity == "downlink" for a in plan.schedule.activities)
    rows = _read_csv(out / "eclipses.csv")
    ecl = plan.eclipses()
    assert tuple(rows[0]) == ECLIPSES_COLUMNS and len(rows) == len(ecl) > 0
    assert {row["kind"] for row in rows} == {"umbra", "penumbra"}
    assert [row["start_utc"] for row in rows] == [w.start_utc for w in ecl]


def _station_itrf_km(lat_deg, lon_deg, h_km):
    """Geodetic → ITRF on WGS84 (the test's own formula, not lunarscope.sites)."""
    la, lo = math.radians(lat_deg), math.radians(lon_deg)
    e2 = WGS84_F * (2 - WGS84_F)
    n = WGS84_A_KM / math.sqrt(1 - e2 * math.sin(la) ** 2)
    return np.array(
        [
            (n + h_km) * math.cos(la) * math.cos(lo),
            (n + h_km) * math.cos(la) * math.sin(lo),
            (n * (1 - e2) + h_km) * math.sin(la),
        ]
    )


def _direct(result, station, t):
    """Elevation (deg) and range (km) of the spacecraft from ``station`` at TDB ``t`` (N,):
    ICRF spacecraft − (Earth + Rᵀ p_ITRF), rotated to ITRF and projected on the local up."""
    eph = result.mission.sources.ephemeris
    r_sc = result.trajectory.state(t)[:, :3]
    earth = eph.position("earth", "moon", t)
    r_itrf = frames.rotation("ITRF", t)
    p = _station_itrf_km(station.lat_deg, station.lon_deg, station.height_km)
    rho_itrf = np.einsum("nij,nj->ni", r_itrf, r_sc - earth) - p
    la, lo = math.radians(station.lat_deg), math.radians(station.lon_deg)
    up = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    rng = np.linalg.norm(rho_itrf, axis=1)
    return np.degrees(np.arcsin(rho_itrf @ up / rng)), rng


def test_contact_geometry_against_a_direct_computation(plan_run):
    """Maximum elevation within 0.01° and ranges within 1 m of a direct ITRF/ENU computation on
    the same ephemeris (1 s grid + parabola), for the contact with an interior maximum."""
    _, result = plan_run
    plan = result.plan
    assert not window_job(result.mission).light_time  # geometric, as the direct computation
    stations = {s.name: s for s in plan.stations}
    inner = [c for c in plan.contacts if c.aos_utc < c.max_elevation_utc < c.los_utc]
    assert inner, "the fixture has a contact whose maximum elevation is inside it"
    for c in [inner[0], plan.contacts[0]]:
        st = stations[c.station]
        t = np.arange(c.aos_tdb, c.los_tdb, CHECK_STEP_S)
        el, rng = _direct(result, st, np.append(t, c.los_tdb))
        k = int(np.argmax(el))
        best = el[k]
        if 0 < k < len(t) - 1:  # vertex of the parabola through the three samples
            a, b, d = el[k - 1], el[k], el[k + 1]
            best = b + 0.125 * (a - d) ** 2 / (2 * b - a - d) if 2 * b - a - d > 0 else b
        assert c.max_elevation_deg == pytest.approx(best, abs=0.01)
        assert c.range_aos_km == pytest.approx(rng[0], abs=1e-3)
        assert c.range_los_km == pytest.approx(rng[-1], abs=1e-3)
        _, r_max = _direct(result, st, np.array([c.max_elevation_tdb]))
        assert c.range_max_elevation_km == pytest.approx(r_max[0], abs=1e-3)


def test_max_elevation_against_astropy(plan_run):
    """The maximum elevation of one contact agrees with astropy's topocentric geometry (GCRS
    station position from its own Earth model) to 0.01°."""
    import warnings

    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    _, result = plan_run
    plan = result.plan
    c = max(plan.contacts, key=lambda x: x.duration_s)
    st = {s.name: s for s in plan.stations}[c.station]
    t = np.array([c.max_elevation_tdb])
    loc = EarthLocation.from_geodetic(st.lon_deg * u.deg, st.lat_deg * u.deg, st.height_km * u.km)
    from astropy.utils import iers

    with (
        warnings.catch_warnings(),
        iers.conf.set_temp("auto_download", False),
        iers.conf.set_temp("auto_max_age", None),
    ):
        warnings.simplefilter("ignore")  # 2030 is beyond the IERS table: astropy predicts too (offline)
        when = Time(2451545.0, t[0] / 86400.0, format="jd", scale="tdb")
        pos, _ = loc.get_gcrs_posvel(when)
    p = pos.xyz.to_value(u.km)
    r_sc = result.trajectory.state(t)[0, :3]
    earth = result.mission.sources.ephemeris.position("earth", "moon", t)[0]
    rho = r_sc - (earth + p)
    la, lo = math.radians(st.lat_deg), math.radians(st.lon_deg)
    r_itrf = frames.rotation("ITRF", t)[0]
    up = r_itrf.T @ np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    el = math.degrees(math.asin(rho @ up / np.linalg.norm(rho)))
    assert c.max_elevation_deg == pytest.approx(el, abs=0.01)


def test_report_has_the_tables(plan):
    html = render_report(plan)
    for tid, n in (
        ("request-table", len(plan.schedule.requests)),
        ("target-table", len(plan.schedule.targets)),
        ("contact-table", len(plan.contacts)),
        ("eclipse-table", len(plan.eclipses())),
    ):
        body = re.search(rf'<table class="data" id="{tid}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
        assert body.count("<tr>") == n > 0, tid
        assert f'data-filter="{tid}"' in html
    assert 'id="time-cap" data-time-cap="not-hit"' in html
    assert f"<td>{plan.mission.force_model}</td>" in html.replace("&amp;", "&")
    assert plan.mission.name not in plan.mission.force_model and "degree 8" in plan.mission.force_model


def test_time_cap_flag_shown_when_hit(plan):
    import dataclasses

    m = dataclasses.replace(
        plan.schedule.metrics, status="cp-sat: feasible; wall-clock cap hit: result depends on machine speed"
    )
    capped = dataclasses.replace(plan, schedule=dataclasses.replace(plan.schedule, metrics=m))
    html = render_report(capped)
    assert 'data-time-cap="hit"' in html and '<span class="flag hit">hit</span>' in html


#: Run after the report's own script (registered later on DOMContentLoaded): sort the contact
#: table by maximum elevation twice, filter it by a station name, and record what the rows show.
PROBE = """
<script>
document.addEventListener('DOMContentLoaded', function () {
  var root = document.documentElement, t = document.getElementById('contact-table');
  function first() { return t.tBodies[0].rows[0].cells[4].getAttribute('data-sort'); }
  root.setAttribute('data-probe-before', first());
  var th = t.querySelector('th[data-col="4"]');
  th.click(); root.setAttribute('data-probe-asc', first());
  th.click(); root.setAttribute('data-probe-desc', first());
  var box = document.querySelector('input[data-filter="contact-table"]');
  box.value = 'tien-shan'; box.dispatchEvent(new Event('input'));
  var shown = Array.prototype.filter.call(t.tBodies[0].rows, function (r) { return getComputedStyle(r).display !== 'none'; });
  root.setAttribute('data-probe-shown', String(shown.length));
  root.setAttribute('data-probe-stations', shown.map(function (r) { return r.cells[0].textContent; }).join('|'));
  var rt = document.getElementById('request-table'), rh = rt.querySelector('th[data-col="6"]');
  rh.click(); root.setAttribute('data-probe-req', rt.tBodies[0].rows[0].cells[0].textContent);
});
</script>
"""


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium not installed")
def test_tables_sort_and_filter_in_chromium(tmp_path, plan):
    html = render_report(plan).replace("</body>", PROBE + "</body>")
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    res = _chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert res.returncode == 0 and _console_problems(res.stderr) == [], res.stderr[-2000:]
    head = re.search(r"<html[^>]*>", res.stdout).group(0)
    attrs = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', head))
    assert attrs["data-js-status"] == "ok" and "data-js-errors" not in attrs
    els = [c.max_elevation_deg for c in plan.contacts]
    assert float(attrs["data-probe-before"]) == els[0]  # time order first
    assert float(attrs["data-probe-asc"]) == min(els) and float(attrs["data-probe-desc"]) == max(els)
    assert attrs["data-probe-asc"] != attrs["data-probe-desc"]
    tien = [c for c in plan.contacts if c.station == "Tien-Shan"]
    assert 0 < int(attrs["data-probe-shown"]) == len(tien) < len(plan.contacts)
    assert set(attrs["data-probe-stations"].split("|")) == {"Tien-Shan"}
    lowest = min(plan.schedule.requests, key=lambda r: r.completion)
    assert attrs["data-probe-req"] == lowest.request


def test_no_contacts_or_requests_say_so(plan):
    import dataclasses

    bare = dataclasses.replace(
        plan, contacts=(), windows=(), schedule=dataclasses.replace(plan.schedule, requests=(), targets=())
    )
    html = render_report(bare)
    assert "No station contacts in this plan." in html and "No umbra or penumbra windows" in html
    assert "No requests in this plan." in html


def test_cli_summary_table_names_the_model_and_the_time_cap(plan_run):
    from lunarscope.mission.plan import summary_table

    _, result = plan_run
    text = summary_table(result)
    assert "force model" in text and result.plan.mission.force_model in text
    assert re.search(r"time cap\s+not hit", text)
