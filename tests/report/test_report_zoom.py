"""Zoom, pan, legend toggles, tooltips and export of the report's time charts (issue 16 item 1).

The server side (every time chart carries its axis; thin bars keep their true width; merged rows
stay under the bar cap) is checked on the session's fixture plan; the script is run in headless
Chromium on a real quick-look report (3 days, greedy): zoom to one day through the page's API,
a box drag, Ctrl + wheel, a double-click reset, a legend click, SVG and PNG export, no script
errors. Chromium part skipped where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from chromium import CHROMIUM, run_chromium
from dom import charts, parse
from plan_fixture import REPO, STAMP

from lunarscope import time as lstime
from lunarscope.report import assets, html, render_report, write_report

#: Charts with a time axis (svg[data-t0]) in a full report.
TIME_CHARTS = {"altitude", "elements", "apsides", "beta", "timeline", "visibility", "gantt", "recorder"}
#: Charts without one: export buttons and tooltips only.
OTHER_CHARTS = {"orbit", "evector", "groundtrack", "skymap", "coverage", "downlink", "requests"}


def _unix_ms(utc_text: str) -> int:
    stamp = dt.datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    return round(stamp.timestamp() * 1000)


def test_time_charts_carry_their_axis(plan):
    found = charts(parse(render_report(plan)))
    assert {k for k, v in found.items() if "data-t0" in v.attrs} == TIME_CHARTS
    assert OTHER_CHARTS <= set(found) and not any("data-t0" in found[k].attrs for k in OTHER_CHARTS)
    m = plan.mission
    for name in TIME_CHARTS:
        a = found[name].attrs
        assert float(a["data-t0"]) == pytest.approx(m.start_tdb, abs=1e-3)
        assert float(a["data-t1"]) == pytest.approx(m.stop_tdb, abs=1e-3)
        assert 0 < float(a["data-x0"]) < float(a["data-x1"]) <= 1000
        assert int(a["data-utc0"]) == _unix_ms(m.start_utc), name  # the UTC origin of the script's labels


def test_thin_bars_keep_their_true_width(plan):
    gantt = charts(parse(render_report(plan)))["gantt"]
    thin = [n for n in gantt.iter() if n.tag == "rect" and "data-w" in n.attrs]
    assert thin, "the fixture's slews are narrower than MIN_BAR_PX at the full span"
    for n in thin:
        assert float(n.attrs["width"]) == pytest.approx(html.MIN_BAR_PX)
        assert 0 <= float(n.attrs["data-w"]) < html.MIN_BAR_PX


def test_merged_rows_stay_under_the_bar_cap(plan, monkeypatch):
    axis = html._TimeAxis(plan.mission.start_tdb, plan.mission.stop_tdb)
    span = axis.t1 - axis.t0
    items = [(axis.t0 + k * span / 900, axis.t0 + (k + 0.5) * span / 900, "s", "#000", "") for k in range(900)]
    rows = [{"label": "r", "items": items}]
    merged, gap = html._merged_rows(rows, axis, 1.0)
    assert len(merged[0]["s"]) == 900 and gap == 1.0
    monkeypatch.setattr(html, "MAX_BARS_PER_CHART", 100)
    merged, gap = html._merged_rows(rows, axis, 1.0)
    assert len(merged[0]["s"]) <= 100 and gap > 1.0
    assert merged[0]["s"][0][0] == axis.t0 and merged[0]["s"][-1][1] == pytest.approx(items[-1][1])


def test_script_constants_are_filled_in():
    assert "@" not in assets.JS
    assert f"MIN_SPAN = {assets.MIN_ZOOM_SPAN_S:g}" in assets.JS and "STEPS = [60, 120," in assets.JS


#: Run after the report's own script: zoom the Gantt to one day and record the axis labels, a
#: bar's position and the view; box-drag, Ctrl+wheel and double-click on the timeline; a legend
#: click; SVG and PNG export; hover text.
PROBE = """
<script>
document.addEventListener('DOMContentLoaded', function () {
  var root = document.documentElement, R = window.lunarscopeReport;
  function set(k, v) { root.setAttribute('data-probe-' + k, String(v)); }
  function labels(svg) {
    return Array.prototype.map.call(svg.querySelectorAll('g.time-axis text.tick'), function (t) { return t.textContent; }).join('|');
  }
  function barWith(svg, text) {
    return Array.prototype.filter.call(svg.querySelectorAll('rect.mark'), function (r) {
      var t = r.querySelector('title'); return t && t.textContent.indexOf(text) >= 0;
    })[0];
  }
  var g = document.querySelector('svg[data-chart="gantt"]'), bar = barWith(g, '@BAR@');
  set('labels-all', labels(g)); set('bar-x-all', bar.getAttribute('x'));
  var T0 = parseFloat(g.getAttribute('data-t0'));
  R.zoom('gantt', T0, T0 + 3600); R.zoomDay('gantt');  // the UTC day at the middle of the view
  set('view', R.view('gantt').join(' ')); set('labels-day', labels(g));
  set('bar-x-day', bar.getAttribute('x')); set('bar-w-day', bar.getAttribute('width'));
  var boxes = Array.prototype.map.call(g.querySelectorAll('g.time-axis text.tick'), function (t) { return t.getBBox(); });
  var overlaps = 0;
  boxes.forEach(function (p, i) { boxes.slice(i + 1).forEach(function (q) {
    if (p.x < q.x + q.width && q.x < p.x + p.width) { overlaps += 1; } }); });
  set('tick-overlaps', overlaps);
  set('tdb-day', Array.prototype.map.call(g.querySelectorAll('g.time-axis text.tick'), function (t) { return t.getAttribute('data-tdb'); }).join('|'));
  var tl = document.querySelector('svg[data-chart="timeline"]'), m = tl.getScreenCTM();
  var x0 = parseFloat(tl.getAttribute('data-x0')), x1 = parseFloat(tl.getAttribute('data-x1'));
  function client(x) { return { clientX: m.a * x + m.e, clientY: m.d * 120 + m.f, bubbles: true, button: 0 }; }
  var xa = x0 + 0.25 * (x1 - x0), xb = x0 + 0.5 * (x1 - x0);
  tl.dispatchEvent(new MouseEvent('mousedown', client(xa)));
  window.dispatchEvent(new MouseEvent('mousemove', client(xb)));
  window.dispatchEvent(new MouseEvent('mouseup', client(xb)));
  set('box-view', R.view('timeline').join(' '));
  var w = { deltaY: -100, ctrlKey: true, bubbles: true, cancelable: true };
  Object.assign(w, client((xa + xb) / 2));
  var ev = new WheelEvent('wheel', w); tl.dispatchEvent(ev);
  set('wheel-view', R.view('timeline').join(' ')); set('wheel-prevented', ev.defaultPrevented);
  tl.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
  set('reset-view', R.view('timeline').join(' ')); set('reset-labels', labels(tl));
  var entry = g.querySelector('[data-toggle="slew"]');
  entry.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  var slews = g.querySelectorAll('[data-series="slew"]');
  set('slew-hidden', Array.prototype.every.call(slews, function (n) { return getComputedStyle(n).display === 'none'; }));
  set('observe-shown', getComputedStyle(g.querySelector('[data-series="observe"]')).display !== 'none');
  entry.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  set('slew-back', getComputedStyle(slews[0]).display !== 'none');
  var svgText = R.exportSvg('gantt'), doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  set('svg-ok', doc.getElementsByTagName('parsererror').length === 0);
  var pre = document.createElement('pre'); pre.id = 'probe-svg'; pre.textContent = svgText; document.body.appendChild(pre);
  set('tools', document.querySelectorAll('.chart-tools').length);
  set('day-buttons', document.querySelectorAll('.chart-tools button[data-act="day"]').length);
  var r = bar.getBoundingClientRect();
  bar.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + 1, clientY: r.top + 1, bubbles: true }));
  set('tip', document.getElementById('chart-tip').textContent);
  R.exportPng('gantt').then(function (b) { set('png', b.size + ' ' + b.type); },
                            function (e) { set('png', 'error ' + e.message); });
});
</script>
"""


@pytest.fixture(scope="module")
def quick_look(tmp_path_factory):
    """(plan, report path) of examples/quick-look.yaml (3 days), greedy."""
    import warnings

    from lunarscope.mission import load_mission
    from lunarscope.mission.plan import run_plan

    out = tmp_path_factory.mktemp("quick-look")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_plan(
            load_mission(os.path.join(REPO, "examples", "quick-look.yaml")),
            str(out / "plan"),
            solver="greedy",
            generated_utc=STAMP,
            stream=io.StringIO(),
        )
    path = out / "report.html"
    write_report(path, result.plan)
    return result.plan, path


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium not installed")
def test_zoom_pan_toggle_export_in_chromium(tmp_path, quick_look):
    from test_chromium import _console_problems

    plan, path = quick_look
    day1 = [a for a in plan.schedule.activities if a.activity == "observe" and a.start_utc.startswith("2030-01-01")]
    act = day1[1]  # an observation inside the first day (quick-look observes on day 1)
    page = tmp_path / "zoom.html"
    page.write_text(path.read_text().replace("</body>", PROBE.replace("@BAR@", act.start_utc) + "</body>"))
    res = run_chromium(tmp_path / "profile", page.as_uri(), "--dump-dom", "--virtual-time-budget=5000")
    assert res.returncode == 0 and _console_problems(res.stderr) == [], res.stderr[-2000:]
    head = re.search(r"<html[^>]*>", res.stdout).group(0)
    a = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', head))
    assert a["data-js-status"] == "ok" and "data-js-errors" not in a, a.get("data-js-last-error")
    assert a["data-js-time-charts"] == str(len(TIME_CHARTS))

    # one UTC day: 2030-01-01 00:00 .. 2030-01-02 00:00, labelled by the hour
    day0, day1 = lstime.utc_calendar_to_tdb([2030, 2030], [1, 1], [1, 2], [0, 0], [0, 0], [0.0, 0.0])
    v0, v1 = (float(v) for v in a["data-probe-view"].split())
    assert v0 == pytest.approx(day0, abs=2e-3) and v1 == pytest.approx(day1, abs=2e-3)
    assert a["data-probe-labels-day"].split("|") == ["01-01 00:00"] + [f"{h:02d}:00" for h in range(3, 24, 3)] + [
        "01-02 00:00"
    ]
    assert a["data-probe-labels-day"] != a["data-probe-labels-all"]
    assert a["data-probe-tick-overlaps"] == "0"  # rendered label boxes of the zoomed axis stay apart
    ticks = np.array([float(v) for v in a["data-probe-tdb-day"].split("|")])
    assert np.allclose(ticks, day0 + 10800.0 * np.arange(9), atol=2e-3)  # no leap second in the span
    # the bar moved to where its start lies on the day's axis
    gantt = charts(parse(path.read_text()))["gantt"].attrs
    x0, x1 = float(gantt["data-x0"]), float(gantt["data-x1"])
    expected = x0 + (act.start_tdb - day0) * (x1 - x0) / 86400.0
    assert float(a["data-probe-bar-x-day"]) == pytest.approx(expected, abs=0.02)
    assert float(a["data-probe-bar-x-day"]) != pytest.approx(float(a["data-probe-bar-x-all"]), abs=1.0)
    assert float(a["data-probe-bar-w-day"]) == pytest.approx(act.duration_s * (x1 - x0) / 86400.0, abs=0.02)

    # box drag over the second quarter of the timeline, Ctrl+wheel zooms in about the cursor, double-click resets
    t0, t1 = plan.mission.start_tdb, plan.mission.stop_tdb
    b0, b1 = (float(v) for v in a["data-probe-box-view"].split())
    tol = 0.003 * (t1 - t0)  # mouse events carry whole CSS pixels: ~2 px of the 700 px plot
    assert b0 == pytest.approx(t0 + 0.25 * (t1 - t0), abs=tol) and b1 == pytest.approx(t0 + 0.5 * (t1 - t0), abs=tol)
    w0, w1 = (float(v) for v in a["data-probe-wheel-view"].split())
    assert b0 < w0 < w1 < b1 and a["data-probe-wheel-prevented"] == "true"
    r0, r1 = (float(v) for v in a["data-probe-reset-view"].split())
    assert r0 == pytest.approx(t0, abs=1e-3) and r1 == pytest.approx(t1, abs=1e-3)
    assert a["data-probe-reset-labels"] == "|".join(lab for _, lab in html._TimeAxis(t0, t1).ticks)

    # legend click hides the slews only, a second click brings them back
    assert a["data-probe-slew-hidden"] == "true" and a["data-probe-observe-shown"] == "true"
    assert a["data-probe-slew-back"] == "true"

    # toolbars on all 15 charts, zoom buttons on the time charts; hover shows the bar's own text
    assert a["data-probe-tools"] == "15" and a["data-probe-day-buttons"] == str(len(TIME_CHARTS))
    assert act.start_utc in a["data-probe-tip"] and act.stop_utc in a["data-probe-tip"]

    # SVG export: well-formed, the chart with its styles, the zoomed view; PNG export: a real PNG
    assert a["data-probe-svg-ok"] == "true"
    text = htmllib.unescape(re.search(r'<pre id="probe-svg">(.*?)</pre>', res.stdout, re.S).group(1))
    svg = ET.fromstring(text.split("?>", 1)[1])
    assert svg.get("data-chart") == "gantt" and svg.get("data-view") is not None
    assert svg.find("{http://www.w3.org/2000/svg}style").text.count("svg.chart") > 5
    size, kind = a["data-probe-png"].split()
    assert kind == "image/png" and int(size) > 10_000, a["data-probe-png"]


#: Pages of a long table: visible rows on page 1 and 2, then after a filter and after a sort.
PAGER_PROBE = """
<script>
document.addEventListener('DOMContentLoaded', function () {
  var root = document.documentElement, t = document.getElementById('contact-table');
  function set(k, v) { root.setAttribute('data-probe-' + k, String(v)); }
  function shown() {
    return Array.prototype.filter.call(t.tBodies[0].rows, function (r) { return getComputedStyle(r).display !== 'none'; });
  }
  var bar = document.querySelector('[data-pager="contact-table"]'), buttons = bar.querySelectorAll('button');
  set('p1', shown().length); set('p1-first', shown()[0].cells[1].textContent);
  buttons[2].click();
  set('p2', shown().length); set('p2-first', shown()[0].cells[1].textContent); set('p2-where', bar.textContent);
  buttons[3].click(); set('last', shown().length);
  var box = document.querySelector('input[data-filter="contact-table"]');
  box.value = 'tien-shan'; box.dispatchEvent(new Event('input'));
  set('filtered', shown().length); set('filtered-stations', shown().map(function (r) { return r.cells[0].textContent; }).join('|'));
  set('filtered-where', bar.textContent);
  t.querySelector('th[data-col="4"]').click(); set('sorted-page', bar.getAttribute('data-page'));
});
</script>
"""


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium not installed")
def test_long_tables_are_paged_in_chromium(tmp_path, plan):
    import dataclasses

    from test_chromium import _console_problems

    reps = -(-250 // len(plan.contacts))  # > 2 pages of contacts
    long = dataclasses.replace(plan, contacts=plan.contacts * reps)
    n = len(long.contacts)
    page = tmp_path / "pager.html"
    page.write_text(render_report(long).replace("</body>", PAGER_PROBE + "</body>"))
    res = run_chromium(tmp_path / "profile", page.as_uri(), "--dump-dom")
    assert res.returncode == 0 and _console_problems(res.stderr) == [], res.stderr[-2000:]
    a = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', re.search(r"<html[^>]*>", res.stdout).group(0)))
    size = assets.TABLE_PAGE_ROWS
    assert a["data-probe-p1"] == a["data-probe-p2"] == str(size)
    assert (
        a["data-probe-p1-first"] == long.contacts[0].aos_utc and a["data-probe-p2-first"] == long.contacts[size].aos_utc
    )
    assert f"rows {size + 1}\u2013{2 * size} of {n}" in htmllib.unescape(a["data-probe-p2-where"])
    assert a["data-probe-last"] == str(n - size * ((n - 1) // size))
    tien = sum(c.station == "Tien-Shan" for c in long.contacts)
    assert a["data-probe-filtered"] == str(min(tien, size)) and set(a["data-probe-filtered-stations"].split("|")) == {
        "Tien-Shan"
    }
    assert f"of {tien} " in htmllib.unescape(a["data-probe-filtered-where"])
    assert a["data-probe-sorted-page"] == "0"


def test_visibility_chart_keeps_the_highest_priority_targets(plan, monkeypatch):
    monkeypatch.setattr(html, "MAX_VISIBILITY_ROWS", 3)
    page = render_report(plan)
    rows = [n.attrs["data-row"] for n in charts(parse(page))["visibility"].iter() if "data-row" in n.attrs]
    order = {t.name: i for i, t in enumerate(plan.targets)}
    best = sorted(plan.targets, key=lambda t: (-(t.priority or 0.0), order[t.name]))[:3]
    assert rows == [t.name for t in plan.targets if t in best]
    assert f"Shown: the 3 highest-priority of the {len(plan.targets)} targets" in page


def test_rows_of_several_series_are_drawn_by_majority():
    """A coarse bin goes to the series covering most of it: bars never overlap, runs join."""
    row = {"v": [(0.0, 5.4), (10.0, 20.0), (20.5, 21.0)], "o": [(5.4, 10.0)], "e": [(21.0, 30.0)]}
    assert html._majority_bars(row, 0.0, 30.0, 1.0) == {
        "v": [(0.0, 5.0), (10.0, 21.0)],  # the 0.5 s gap at 20 s is in a bin v covers most of
        "o": [(5.0, 10.0)],
        "e": [(21.0, 30.0)],
    }
    bars = html._majority_bars(row, 0.0, 30.0, 4.0)
    edges = sorted(x for v in bars.values() for x in v)
    assert all(a[1] <= b[0] for a, b in zip(edges, edges[1:]))  # no two bars overlap
    assert sum(b - a for v in bars.values() for a, b in v) == 30.0  # every bin is covered here
