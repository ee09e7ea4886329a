"""The HTML report of a real plan (tests/report/conftest.py): structure, determinism, escaping,
empty parts, a renamed field failing loudly, scales and time axes."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from dom import charts, marks, parse
from plan_fixture import STAMP

from lunarscope.products import Plan, PlanRecorder, PlanTrajectory, PlanUnscheduled
from lunarscope.report import render_report, write_report
from lunarscope.report.html import MOON_RADIUS_KM
from lunarscope.report.svg import MAX_SERIES_POINTS, decimate_minmax, hammer_aitoff, utc_time_ticks

SECTIONS = [
    "summary",
    "orbit",
    "altitude",
    "timeline",
    "visibility",
    "skymap",
    "schedule",
    "recorder",
    "downlink",
    "requests",
]
CHARTS = ["orbit", "altitude", "timeline", "visibility", "skymap", "gantt", "recorder", "downlink", "requests"]
ONE_MS = 1e-3  # s
HALF_PIXEL = 0.5  # px
MAX_POINTS_PER_CHART = 5000


EMPTY_TRAJECTORY = PlanTrajectory(t_tdb=[], t_utc=[], r_km=[], earth_dir=[], altitude_km=[])


@pytest.fixture(scope="module")
def html(plan):
    return render_report(plan)


@pytest.fixture(scope="module")
def dom(html):
    return parse(html)


def test_every_section_and_chart_has_data_marks(plan, dom):
    ids = {n.attrs.get("id") for n in dom.iter() if n.tag == "section"}
    assert set(SECTIONS) <= ids
    found = charts(dom)
    assert set(CHARTS) <= set(found)
    for name in CHARTS:
        assert marks(found[name]), f"chart {name} has no data marks"
    # one visibility row and one sky-map point per target; one bar per station with downlinks
    rows = found["visibility"].find_all(lambda n: "row" in n.classes)
    assert [r.attrs["data-row"] for r in rows] == [t.name for t in plan.targets]
    assert len(marks(found["skymap"])) == len(plan.targets)
    assert len(marks(found["downlink"])) == len(plan.schedule.downlink_by_station) >= 1
    subjects = {(w.kind, w.subject) for w in plan.windows if w.kind not in ("target_visible", "target_occulted")}
    assert {k for k, _ in subjects} >= {"umbra", "penumbra", "contact", "site_pass"}  # the fixture has them all
    assert len(found["timeline"].find_all(lambda n: "row" in n.classes)) == len(subjects)
    table = [n for n in dom.iter() if n.attrs.get("id") == "unscheduled-table"]
    assert len(plan.schedule.unscheduled) >= 1
    assert len(table) == 1 and len(table[0].find_all(lambda n: n.tag == "tr")) == len(plan.schedule.unscheduled) + 1
    gantt_rows = [r.attrs["data-row"] for r in found["gantt"].find_all(lambda n: "row" in n.classes)]
    assert gantt_rows == ["observe", "slew", "downlink", "engineering"]


def test_numbers_on_the_page_come_from_the_plan(plan, html):
    """The summary cards show the plan's own values: none of them is the "—" of a missing field."""
    m = plan.schedule.metrics
    cards = dict((k, v) for v, k in re.findall(r'<div class="v">([^<]*)</div><div class="k">([^<]*)</div>', html))
    assert cards["Science value"] == f"{m.science_value:.3f}"
    assert cards["Fraction of bound"] == f"{100 * m.fraction_of_bound:.1f} %"
    assert cards["Requests full / partial / none"] == f"{m.requests_full} / {m.requests_partial} / {m.requests_none}"
    assert (m.requests_full, m.requests_partial, m.requests_none) == (2, 1, 1)
    assert "—" not in "".join(cards.values())
    assert f"<td>{plan.mission.start_utc}</td>" in html and "Solver</th><td>greedy" in html


def test_solver_status_and_wall_cap_are_shown(plan, html):
    """The solver status and the bound's source are on the page; a search stopped by the
    wall-clock cap (machine-speed dependent) is flagged at the top of the summary."""
    m = plan.schedule.metrics
    assert f"Solver status</th><td>{m.status}" in html and '<p class="warn">' not in html
    capped = dataclasses.replace(m, status="LNS: 3/9 windows (wall-clock cap hit: result depends on machine speed)")
    page = render_report(dataclasses.replace(plan, schedule=dataclasses.replace(plan.schedule, metrics=capped)))
    assert '<p class="warn"><strong>Solver stopped by its wall-clock cap:' in page


def test_a_dict_is_refused():
    """The report reads a typed Plan; a plain dict (e.g. summary.json read back) is a TypeError."""
    with pytest.raises(TypeError, match="Plan"):
        render_report({"mission": {"name": "x"}})


def test_renamed_field_fails_loudly(plan):
    """A field renamed in the plan type but not in the report raises AttributeError naming the
    field, instead of rendering "—"; building a node with a renamed or missing field, or from a
    dict with a renamed key, is a TypeError naming it."""
    metrics = plan.schedule.metrics
    renamed = dataclasses.make_dataclass(
        "PlanMetrics",
        [("bound_fraction" if f.name == "fraction_of_bound" else f.name, object) for f in dataclasses.fields(metrics)],
        frozen=True,
    )
    values = [getattr(metrics, f.name) for f in dataclasses.fields(metrics)]
    schedule = dataclasses.replace(plan.schedule)
    object.__setattr__(schedule, "metrics", renamed(*values))  # what a rename in products.py would give
    with pytest.raises(AttributeError, match="fraction_of_bound"):
        render_report(dataclasses.replace(plan, schedule=schedule))
    # construction checks names and types
    with pytest.raises(TypeError, match="bound_fraction"):
        dataclasses.replace(metrics, bound_fraction=0.5)
    with pytest.raises(TypeError, match="science_value"):
        dataclasses.replace(metrics, science_value="29")
    with pytest.raises(TypeError, match="PlanSchedule.metrics"):
        dataclasses.replace(plan.schedule, metrics=renamed(*values))
    data = plan.to_dict()
    data["schedule"]["metrics"]["bound_fraction"] = data["schedule"]["metrics"].pop("fraction_of_bound")
    with pytest.raises(TypeError, match="'bound_fraction'"):
        Plan.from_dict(data)
    del data["schedule"]["metrics"]["bound_fraction"]
    with pytest.raises(TypeError, match="missing field 'fraction_of_bound'"):
        Plan.from_dict(data)


def test_charts_have_titles_axis_labels_and_legends(dom):
    found = charts(dom)
    for name in CHARTS:
        assert found[name].find_all(lambda n: "title" in n.classes and n.all_text().strip()), name
    for name in ("altitude", "timeline", "visibility", "gantt", "recorder"):
        labels = " ".join(n.all_text() for n in found[name].find_all(lambda n: "lbl" in n.classes))
        assert "Time (UTC)" in labels, name
    assert "Altitude (km)" in found["altitude"].all_text()
    assert "Stored data (Mbit)" in found["recorder"].all_text()
    assert found["recorder"].find_all(lambda n: "capacity" in n.classes)
    for name in ("timeline", "gantt", "orbit"):
        assert found[name].find_all(lambda n: "legend" in n.classes), name


def test_output_is_deterministic(plan, html):
    assert render_report(plan) == html
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))  # through JSON text and back
    assert again.to_dict() == plan.to_dict()
    assert render_report(again) == html
    assert html.count(STAMP) == 1  # the only timestamp is the one passed in


def test_self_contained_offline(html):
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"\ssrc\s*=", html)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    # only references to fragments of the page itself (the arrow marker; the zoom script's clip paths)
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))
    assert "default-src 'none'" in html  # the CSP forbids any fetch even if something slipped in
    assert html.count("<script") == 1


def test_all_plan_text_is_escaped(plan):
    first = plan.targets[0].name
    windows = [
        dataclasses.replace(w, subject="<img onerror=x>") if w.kind == "target_visible" and w.subject == first else w
        for w in plan.windows
    ]
    unscheduled = plan.schedule.unscheduled + (
        PlanUnscheduled(target="\"quoted\" & <b>", reason="</table><script>x()</script>"),
    )
    evil = dataclasses.replace(
        plan,
        mission=dataclasses.replace(plan.mission, name="<script>alert('m')</script>"),
        targets=(dataclasses.replace(plan.targets[0], name="<img onerror=x>"),) + plan.targets[1:],
        windows=windows,
        schedule=dataclasses.replace(plan.schedule, unscheduled=unscheduled),
    )
    out = render_report(evil)
    assert "<script>alert" not in out and "<img" not in out and "</table><script>" not in out
    assert "&lt;script&gt;alert(&#x27;m&#x27;)&lt;/script&gt;" in out
    assert out.count("<script") == 1
    assert "&quot;quoted&quot; &amp; &lt;b&gt;" in out
    assert parse(out)  # still parses


def _emptied(plan, drop: str):
    """``plan`` with one part (or every list and series) empty."""
    no_schedule = dataclasses.replace(
        plan.schedule,
        activities=(),
        unscheduled=(),
        downlink_by_station={},
        recorder=PlanRecorder(t_tdb=[], level_mbit=[], capacity_mbit=None),
    )
    if drop == "everything":
        return dataclasses.replace(
            plan, trajectory=EMPTY_TRAJECTORY, windows=(), targets=(), stations=(), sites=(), schedule=no_schedule
        )
    if drop == "windows":
        return dataclasses.replace(plan, windows=())
    if drop == "schedule":
        return dataclasses.replace(plan, schedule=no_schedule)
    if drop == "trajectory":
        return dataclasses.replace(plan, trajectory=EMPTY_TRAJECTORY)
    kind = {"targets": "target_", "sites": "site_"}[drop]
    return dataclasses.replace(plan, **{drop: ()}, windows=[w for w in plan.windows if not w.kind.startswith(kind)])


@pytest.mark.parametrize("drop", ["everything", "windows", "schedule", "trajectory", "targets", "sites"])
def test_missing_parts_render_a_none_note(plan, drop):
    out = render_report(_emptied(plan, drop))
    d = parse(out)
    ids = {n.attrs.get("id") for n in d.iter() if n.tag == "section"}
    assert set(SECTIONS) <= ids
    notes = {n.parent.attrs.get("id") for n in d.iter() if "none" in n.classes}
    expect = {
        "everything": {"orbit", "altitude", "timeline", "visibility", "skymap", "schedule", "recorder", "downlink"},
        "windows": {"timeline"},
        "schedule": {"schedule", "recorder", "downlink"},
        "trajectory": {"orbit", "altitude"},
        "targets": {"visibility", "skymap"},
        "sites": set(),
    }[drop]
    assert expect <= notes
    if drop == "sites":
        assert "Lunar sites</th><td>none" in out


def test_long_series_are_decimated(plan):
    """200 000 trajectory samples and 50 000 recorder samples: every polyline stays ≤ 5000 points."""
    n = 200_000
    t0 = plan.mission.start_tdb
    t = t0 + np.arange(n) * 13.0
    ang = 2 * np.pi * (t - t0) / 7000.0
    r = np.stack([2000 * np.cos(ang), 2000 * np.sin(ang), 300 * np.sin(ang / 7)], -1)
    traj = PlanTrajectory(
        t_tdb=t,
        t_utc=[""] * n,
        r_km=r,
        earth_dir=np.tile([1.0, 0.0, 0.0], (n, 1)),
        altitude_km=np.linalg.norm(r, axis=1) - 1737.4,
    )
    rec = PlanRecorder(
        t_tdb=np.linspace(t[0], t[-1], 50_000),
        level_mbit=np.abs(np.sin(np.arange(50_000) / 300.0) * 1e4),
        capacity_mbit=12000.0,
    )
    long = dataclasses.replace(
        plan,
        mission=dataclasses.replace(plan.mission, stop_tdb=float(t[-1])),
        trajectory=traj,
        schedule=dataclasses.replace(plan.schedule, recorder=rec),
    )
    out = render_report(long)
    d = parse(out)
    for name, svg in charts(d).items():
        total = 0
        for pl in svg.find_all(lambda n: n.tag == "polyline" and "mark" in n.classes):
            total += len(pl.attrs["points"].split())
        assert total <= MAX_POINTS_PER_CHART * (3 if name == "orbit" else 1), name
    assert len(out) < 2_000_000
    # min/max decimation keeps the extremes of the series
    alt = np.linalg.norm(r, axis=1) - 1737.4
    _, yd = decimate_minmax(t, alt)
    assert yd.size <= MAX_SERIES_POINTS and yd.max() == alt.max() and yd.min() == alt.min()


def test_moon_drawn_to_scale_and_positions_in_km(plan, dom):
    orbit = charts(dom)["orbit"]
    panels = orbit.find_all(lambda n: n.tag == "g" and "panel" in n.classes)
    assert [p.attrs["data-panel"] for p in panels] == ["XY", "XZ", "YZ"]
    r0 = plan.trajectory.r_km[0]
    for p, (ia, ib) in zip(panels, [(0, 1), (0, 2), (1, 2)]):
        k = float(p.attrs["data-km-per-px"])
        moon = p.find_all(lambda n: "moon" in n.classes)[0]
        # radius printed to 1e-3 px
        assert abs(float(moon.attrs["r"]) * k - MOON_RADIUS_KM) <= 0.5e-3 * k
        cx, cy = float(moon.attrs["cx"]), float(moon.attrs["cy"])
        start = [n for n in p.iter() if n.attrs.get("data-series") == "start"][0]
        # back from pixels to km: x right, y up
        x_km = (float(start.attrs["cx"]) - cx) * k
        y_km = (cy - float(start.attrs["cy"])) * k
        assert abs(x_km - r0[ia]) <= HALF_PIXEL * k and abs(y_km - r0[ib]) <= HALF_PIXEL * k


def test_time_ticks_name_their_utc_instant(dom):
    """Tick labels are round UTC times; their TDB positions agree with astropy to 1 ms."""
    from astropy.time import Time

    alt = charts(dom)["altitude"]
    ticks = [n for n in alt.iter() if n.tag == "text" and "data-tdb" in n.attrs]
    assert len(ticks) >= 4
    xs = np.array([float(n.attrs["x"]) for n in ticks])
    ts = np.array([float(n.attrs["data-tdb"]) for n in ticks])
    j2000 = Time("2000-01-01T12:00:00", scale="tdb")
    for n, t in zip(ticks, ts):
        label = n.all_text()
        m = re.fullmatch(r"(\d\d)-(\d\d) 00:00|(\d\d):(\d\d)|(\d{4}-\d\d-\d\d)", label)
        assert m, label
        stamp = Time(j2000.jd1, j2000.jd2 + t / 86400.0, format="jd", scale="tdb").utc.isot
        if m.group(1):
            assert stamp[5:16] == f"{m.group(1)}-{m.group(2)}T00:00", (label, stamp)
        elif m.group(3):
            assert stamp[11:16] == f"{m.group(3)}:{m.group(4)}", (label, stamp)
        else:
            assert stamp[:16] == f"{m.group(5)}T00:00", (label, stamp)
        back = (Time(stamp[:16] + ":00", scale="utc").tdb - j2000).sec
        assert abs(back - t) <= ONE_MS
    # linear axis: the px/s ratio between consecutive ticks agrees to the 0.1 px print resolution
    k = np.diff(xs) / np.diff(ts)
    assert np.ptp(k) * np.min(np.diff(ts)) <= 0.2


def test_utc_ticks_choose_round_steps():
    t0 = 946_728_000.0
    for span, step_ok in ((6 * 3600, {1800, 3600}), (30 * 86400, {5 * 86400, 7 * 86400}), (2 * 86400, {6 * 3600})):
        ticks = utc_time_ticks(t0, t0 + span)
        steps = {round(b[0] - a[0]) for a, b in zip(ticks, ticks[1:])}
        assert steps <= step_ok, (span, steps)


def test_visibility_bars_cover_the_visible_time(plan, dom):
    """Total bar width of each target row equals visible time × px/s within 1 px per bar."""
    vis = charts(dom)["visibility"]
    ticks = [n for n in vis.iter() if n.tag == "text" and "data-tdb" in n.attrs]
    t = np.array([float(n.attrs["data-tdb"]) for n in ticks])
    x = np.array([float(n.attrs["x"]) for n in ticks])
    k = (x[-1] - x[0]) / (t[-1] - t[0])
    for row, target in zip(vis.find_all(lambda n: "row" in n.classes), plan.targets):
        groups = [n for n in row.iter() if n.tag == "g" and n.attrs.get("data-series") == "visible"]
        bars = [n for g in groups for n in g.iter() if "mark" in n.classes]
        width = sum(float(b.attrs["width"]) for b in bars)
        visible = sum(w.duration_s for w in plan.windows if w.kind == "target_visible" and w.subject == target.name)
        assert abs(width - visible * k) <= 1.0 * max(len(bars), 1) + 0.5, target.name
        starts = sorted(w.start_tdb for w in plan.windows if w.kind == "target_visible" and w.subject == target.name)
        if starts:  # the first bar starts where the first window starts (axis clipped at the span)
            x_first = x[0] + (max(starts[0], t[0]) - t[0]) * k
            assert abs(min(float(b.attrs["x"]) for b in bars) - x_first) <= 2 * HALF_PIXEL


def test_hammer_aitoff_matches_matplotlib():
    mpl_geo = pytest.importorskip("matplotlib.projections.geo")
    rng = np.random.default_rng(3)
    ra = rng.uniform(0.001, 359.999, 500)
    dec = rng.uniform(-89.9, 89.9, 500)
    x, y = hammer_aitoff(ra, dec)
    lon = np.radians((180.0 - ra + 180.0) % 360.0 - 180.0)
    ref = mpl_geo.HammerAxes.HammerTransform(75).transform_non_affine(np.c_[lon, np.radians(dec)])
    assert np.allclose(x, ref[:, 0], atol=1e-12) and np.allclose(y, ref[:, 1], atol=1e-12)


def test_write_report_is_atomic(tmp_path, plan):
    path = tmp_path / "report.html"
    write_report(path, plan)
    assert path.read_text() == render_report(plan)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_recorder_levels_a_rounding_error_below_zero_read_zero():
    from lunarscope.report.html import _tenths

    assert _tenths(-1e-12) == "0.0"
    assert _tenths(-0.04) == "0.0"
    assert _tenths(-3.26) == "-3.3"
    assert _tenths(12345.67) == "12,345.7"
