"""Metrics against hand-computed values (made-up windows) and on one real tiny case."""

from types import SimpleNamespace

import pytest
from sweep_helpers import tiny_sweep

from lunarscope.sweep.metrics import METRICS, CaseOutputs, evaluate
from lunarscope.windows.compute import WindowSet
from lunarscope.windows.intervals import Windows

DAY_S = 86400.0


def _outputs(impact=None):
    ws = WindowSet(0.0, DAY_S, targets=("T1", "T2"))
    ws[("umbra", "moon")] = Windows([1000.0], [2000.0])
    ws[("penumbra", "moon")] = Windows([900.0, 2000.0], [1000.0, 2100.0])
    ws[("penumbra", "earth")] = Windows([50000.0], [50100.0])
    ws[("contact", "A")] = Windows([0.0, 7200.0], [3600.0, 10800.0])
    ws[("contact", "B")] = Windows([3000.0], [5000.0])
    ws[("target_visible", "T1")] = Windows([0.0], [43200.0])
    ws[("target_visible", "T2")] = Windows([0.0], [8640.0])
    stations = (SimpleNamespace(name="A"), SimpleNamespace(name="B"))
    obs = SimpleNamespace(stations=stations, settings=SimpleNamespace(stations=None))
    mission = SimpleNamespace(t_start=0.0, t_stop=DAY_S, observing=obs)
    prop = SimpleNamespace(impact_time=impact)
    return CaseOutputs(mission, prop, ws, settings={"visible_threshold": 0.1})


def test_windows_metrics_by_hand():
    names = [
        m for m, spec in METRICS.items() if spec.stage == "windows" and spec.default
    ]  # the others need real inputs
    row = evaluate(names, _outputs(), ["propagate", "windows"])
    # eclipse: penumbra-umbra-penumbra 900..2100 is one eclipse of 1200 s, plus 100 s of Earth
    assert row["eclipse_fraction"] == pytest.approx(1300.0 / DAY_S, rel=1e-15)
    assert row["eclipse_max_s"] == 1200.0
    # contact union 0..5000 and 7200..10800 = 8600 s in a one-day span
    assert row["contact_h_per_day"] == pytest.approx(8600.0 / 3600.0)
    assert row["contact_h_per_day[A]"] == pytest.approx(2.0)
    assert row["contact_h_per_day[B]"] == pytest.approx(2000.0 / 3600.0)
    assert row["longest_contact_gap_h"] == pytest.approx((DAY_S - 10800.0) / 3600.0)
    assert row["visible_fraction_mean"] == pytest.approx(0.3)
    assert row["visible_fraction_min"] == pytest.approx(0.1)
    assert row["targets_visible_above"] == 2.0  # 0.1 >= threshold 0.1 counts
    assert row["observing_efficiency"] == pytest.approx(0.5)  # union of visibility


def test_lifetime_is_empty_without_impact():
    assert evaluate(["lifetime_d"], _outputs(), ["propagate"]) == {"lifetime_d": None}
    assert evaluate(["lifetime_d"], _outputs(impact=43200.0), ["propagate"]) == {"lifetime_d": 0.5}


def test_metrics_of_stages_not_run_stay_empty():
    assert evaluate(["eclipse_fraction", "lifetime_d"], _outputs(), ["propagate"]) == {"lifetime_d": None}


def test_every_metric_documents_its_definition():
    import os

    from sweep_helpers import ROOT

    doc = open(os.path.join(ROOT, "docs", "sweep.md"), encoding="utf-8").read()
    for name, m in METRICS.items():
        assert m.fn.__doc__ and len(m.fn.__doc__) > 40, name
        assert f"`{name}`" in doc, f"{name} missing from docs/sweep.md"


def test_real_tiny_case_agrees_with_its_windows():
    """One real one-day case, run in this process as a worker would."""
    from lunarscope.mission.core import mission_from_dict
    from lunarscope.mission.run import propagate_mission
    from lunarscope.mission.stages import mission_windows
    from lunarscope.sweep import Sweep
    from lunarscope.sweep.run import run_case

    sweep = Sweep.from_dict(tiny_sweep({"orbit.elements.raan_deg": [0]}))
    case = sweep.cases()[0]
    row = run_case(sweep.spec, case.index, case.key, case.values)
    assert row["status"] == "ok", row["error"]
    m = mission_from_dict(case.mission, sweep.spec.base_dir)
    ws = mission_windows(m, propagate_mission(m).trajectory)
    ecl = Windows.empty()
    for (kind, _), w in ws.items():
        if kind in ("umbra", "penumbra"):
            ecl = ecl | w
    assert row["eclipse_fraction"] == ecl.total_duration / DAY_S
    fr = [r["visible_fraction"] for r in ws.target_summary()]
    assert row["visible_fraction_min"] == min(fr)
    assert 800 < row["altitude_min_km"] < row["altitude_max_km"] < 9000
    assert row["lifetime_d"] is None and row["wall_s"] > 0
