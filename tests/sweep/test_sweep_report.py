"""The sweep report: charts per metric and parameter, the Pareto front, the best cases with a
mission file that reruns in full, errors; and, where Chromium is installed, a real browser load."""

import os
import re

import pandas as pd
import pytest
from chromium import CHROMIUM, run_chromium
from sweep_helpers import tiny_sweep

from lunarscope.sweep import Sweep
from lunarscope.sweep.report import pareto_mask, render_sweep_report, write_sweep_report


def _sweep():
    raw = tiny_sweep(
        {"orbit.elements.raan_deg": [0, 90, 180], "start": ["2030-01-01T00:00:00Z", "2030-02-01T00:00:00Z"]},
        metrics=["eclipse_max_s", "contact_h_per_day", "lifetime_d"],
        report={"pareto": ["eclipse_max_s", "contact_h_per_day"], "best": "contact_h_per_day", "top": 3},
    )
    return Sweep.from_dict(raw)


def _table(sweep):
    """A made-up result table for the 6 cases (case 5 failed in its windows, after an impact)."""
    cases = sweep.cases()
    ecl = [100.0, 50.0, 50.0, 10.0, 300.0, None]
    con = [10.0, 12.0, 12.0, 8.0, 20.0, None]
    rows = []
    for c, e, h in zip(cases, ecl, con):
        rows.append(
            {
                "case": c.index,
                **c.values,
                "case_key": c.key,
                "eclipse_max_s": e,
                "contact_h_per_day": h,
                "contact_h_per_day[Tien-Shan]": h,
                "contact_h_per_day[DSS-43]": h,
                "lifetime_d": None if e is not None else 12.0,  # the failed case impacted
                "status": "ok" if e is not None else "error",
                "error": "" if e is not None else "windows: orbit: the spacecraft impacts <the Moon>",
                "wall_s": 0.5,
            }
        )
    return pd.DataFrame(rows)


def test_pareto_mask_keeps_ties_and_drops_dominated_points():
    # maximise a, minimise b
    assert pareto_mask([1, 1, 1, 0.5, 2], [0, 0, 1, 0, 5], "max", "min") == [True, True, False, False, True]


def test_report_sections_charts_front_and_best(tmp_path):
    sweep = _sweep()
    df = _table(sweep)
    html = render_sweep_report(sweep.spec, sweep.cases(), df, str(tmp_path))
    for sec in ("summary", "parameters", "pareto", "best", "errors"):
        assert f'<section id="{sec}">' in html
    # 4 metric columns (contact has 2 per-station columns) x 2 parameters; categories for times
    assert html.count('data-chart="scatter"') == 5 * 2
    assert html.count('data-chart="pareto"') == 1
    # front: min eclipse, max contact -> cases 3 (10 s, 8 h), 1 and 2 (tie 50 s, 12 h), 4 (300 s, 20 h)
    assert sorted(int(k) for k in re.findall(r'class="pt front" data-case="(\d+)"', html)) == [1, 2, 3, 4]
    best = re.search(r'<table id="best-table">(.*?)</table>', html, re.S).group(1)
    assert [int(k) for k in re.findall(r'<tr><td class="num">(\d+)</td>', best)] == [4, 1, 2]
    assert "lunarscope plan" in best and "&lt;the Moon&gt;" in html  # errors escaped
    # the failed case's lifetime is drawn (orange) against both parameters
    assert html.count('fill="#e07b39"') == 2
    assert "http://" not in html and "https://" not in html and "default-src 'none'" in html


def test_best_case_file_is_a_mission_that_reruns(tmp_path):
    from lunarscope.mission import load_mission

    sweep = _sweep()
    write_sweep_report(sweep.spec, sweep.cases(), _table(sweep), str(tmp_path))
    m = load_mission(str(tmp_path / "best" / "case-1.yaml"))  # raan 0, February (a best case)
    assert m.raw["orbit"]["elements"]["raan_deg"] == 0 and m.raw["start"] == "2030-02-01T00:00:00Z"
    assert (tmp_path / "sweep.html").exists()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium not installed")
def test_report_loads_in_chromium_without_errors(tmp_path):
    sweep = _sweep()
    path = write_sweep_report(sweep.spec, sweep.cases(), _table(sweep), str(tmp_path))
    res = run_chromium(tmp_path / "profile", "file://" + os.path.abspath(path), "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    problems = [ln for ln in res.stderr.splitlines() if "Uncaught" in ln or "ERROR:CONSOLE" in ln]
    assert problems == []
    head = re.search(r"<html[^>]*>", res.stdout).group(0)
    assert 'data-js-status="ok"' in head and "data-js-errors" not in head
    assert 'data-js-charts="11"' in head
    # 5 ok cases in 4 columns x 2 parameters, the failed case's lifetime_d x 2, 5 on the front
    assert res.stdout.count('class="pt') == 5 * 4 * 2 + 2 + 5


def test_twelve_launch_dates_are_thinned_so_their_labels_do_not_touch():
    """12 monthly starts (10-character dates) on a 270-unit axis: only as many labels as fit,
    centres at least one label width apart (the trade study's chart ran them together)."""
    from lunarscope.sweep.report import LABEL_CHAR_W, LABEL_GAP, scatter_svg

    starts = [f"2030-{m:02d}-01T00:00:00Z" for m in range(1, 13)]
    df = pd.DataFrame({"start": starts, "case": range(12), "m": range(12), "status": ["ok"] * 12})
    svg = scatter_svg(df, "start", "m")
    ticks = re.findall(r'<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="middle">(2030-\d\d-01)</text>', svg)
    assert 2 <= len(ticks) <= 4 and ticks[0][1] == "2030-01-01"
    xs = [float(x) for x, _ in ticks]
    assert min(b - a for a, b in zip(xs, xs[1:])) >= 10 * LABEL_CHAR_W + LABEL_GAP - 1e-9
