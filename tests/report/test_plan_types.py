"""The typed plan (lunarscope.products) of the real fixture run: summary.json keeps its layout,
nodes check their fields, series are read-only, the plan pickles and round-trips."""

from __future__ import annotations

import dataclasses
import json
import pickle

import numpy as np
import pytest

from lunarscope.products import Plan, PlanOrbit, PlanTrajectory, PlanWindow

#: The key tree of summary.json (lists: the keys of their items), as before the plan was typed,
#: plus the per-request and per-target results (issue 16; contacts are in contacts.csv).
SUMMARY_KEYS = {
    "generated_utc": None,
    "products": None,
    "window_counts": None,
    "mission": {
        "name": None,
        "file": None,
        "sha256": None,
        "description": None,
        "start_utc": None,
        "stop_utc": None,
        "duration_days": None,
        "force_model": None,
        "spacecraft": None,
        "orbit": {"frame", "a_km", "e", "i_deg", "raan_deg", "argp_deg", "ta_deg"},
        "propagation": {
            "start_utc",
            "stop_utc",
            "altitude_min_km",
            "altitude_min_utc",
            "altitude_max_km",
            "radius_min_km",
            "steps",
            "impact_utc",
        },
    },
    "targets": {"name", "ra_deg", "dec_deg", "visible_fraction", "longest_window_s", "n_windows", "priority"},
    "stations": {"name", "lat_deg", "lon_deg", "height_km"},
    "sites": {"name", "lat_deg", "lon_deg"},
    "schedule": {
        "downlink_by_station": None,
        "unscheduled": {"target", "reason"},
        "requests": {
            "request",
            "target",
            "priority",
            "exposure_s",
            "counted_s",
            "visits",
            "completion",
            "first_visit_tdb",
            "last_visit_tdb",
            "first_visit_utc",
            "last_visit_utc",
            "reason",
        },
        "targets": {
            "target",
            "requests",
            "priority",
            "exposure_s",
            "counted_s",
            "visits",
            "completion",
            "first_visit_utc",
            "last_visit_utc",
        },
        "metrics": {
            "solver",
            "status",
            "science_value",
            "total_priority",
            "bound",
            "bound_source",
            "fraction_of_bound",
            "observing_efficiency",
            "slew_fraction",
            "engineering_fraction",
            "idle_fraction",
            "requests_full",
            "requests_partial",
            "requests_none",
            "recorder_peak_mbit",
            "recorder_final_mbit",
            "data_generated_mbit",
            "data_downlinked_mbit",
            "latency_mean_s",
            "latency_max_s",
        },
    },
}


def _keys_match(data, expect, where="summary"):
    if expect is None:
        return
    if isinstance(data, list):
        for i, item in enumerate(data):
            _keys_match(item, expect, f"{where}[{i}]")
        return
    assert isinstance(data, dict), where
    names = set(expect) if isinstance(expect, set) else set(expect.keys())
    assert set(data) == names, (where, sorted(set(data) ^ names))
    if isinstance(expect, dict):
        for k, sub in expect.items():
            _keys_match(data[k], sub, f"{where}.{k}")


def test_summary_json_layout_and_values(plan_run):
    """summary.json has the same key tree as before the plan was typed, and its values are the
    typed plan's own (read by attribute here)."""
    out, result = plan_run
    plan = result.plan
    summary = json.loads((out / "summary.json").read_text())
    _keys_match(summary, SUMMARY_KEYS)
    assert len(summary["targets"]) == len(plan.targets)
    assert [u["target"] for u in summary["schedule"]["unscheduled"]] == [u.target for u in plan.schedule.unscheduled]
    m = plan.schedule.metrics
    assert summary["schedule"]["metrics"]["science_value"] == m.science_value
    assert summary["schedule"]["metrics"]["requests_partial"] == m.requests_partial == 1
    assert summary["mission"]["start_utc"] == plan.mission.start_utc
    assert summary["mission"]["orbit"]["a_km"] == plan.mission.orbit.a_km == 1837.4
    assert summary["window_counts"] == plan.window_counts()
    assert sum(summary["window_counts"].values()) == len(plan.windows)
    assert summary["schedule"]["downlink_by_station"] == plan.schedule.downlink_by_station
    assert "contacts" not in summary and plan.contacts
    req = summary["schedule"]["requests"]
    assert [r["request"] for r in req] == [r.request for r in plan.schedule.requests]
    assert [r["counted_s"] for r in req] == [r.counted_s for r in plan.schedule.requests]
    assert [t["target"] for t in summary["schedule"]["targets"]] == [t.target for t in plan.schedule.targets]


def test_span_travels_as_tdb(plan_run):
    """The plan's span is the mission's own TDB instants (no UTC text parsed back)."""
    _, result = plan_run
    assert result.plan.mission.start_tdb == result.mission.t_start
    assert result.plan.mission.stop_tdb == result.mission.t_stop
    assert result.plan.trajectory.t_tdb[0] == pytest.approx(result.mission.t_start, abs=1e-3)


def test_series_are_read_only_and_nodes_frozen(plan):
    with pytest.raises(ValueError):
        plan.trajectory.r_km[0, 0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.mission.name = "x"
    assert plan.trajectory.r_km.shape[1] == 3 and plan.trajectory.r_km.dtype == np.float64


def test_construction_checks_and_normalises():
    w = PlanWindow(
        kind="umbra",
        subject="moon",
        start_tdb=np.float64(1.5),
        stop_tdb=2,
        start_utc="a",
        stop_utc="b",
        duration_s=np.float32(0.5),
    )
    assert type(w.start_tdb) is float and w.stop_tdb == 2 and type(w.duration_s) is float
    with pytest.raises(TypeError, match="PlanWindow.start_tdb"):
        PlanWindow(
            kind="umbra",
            subject="moon",
            start_tdb="2030-01-01",
            stop_tdb=2.0,
            start_utc="a",
            stop_utc="b",
            duration_s=1.0,
        )
    with pytest.raises(TypeError, match="PlanTrajectory.r_km"):
        PlanTrajectory(t_tdb=[0.0], t_utc=["a"], r_km=[[1.0, 2.0]], earth_dir=[[1.0, 0.0, 0.0]], altitude_km=[1.0])
    with pytest.raises(TypeError, match="PlanTrajectory.altitude_km"):
        PlanTrajectory(
            t_tdb=[0.0], t_utc=["a"], r_km=[[1.0, 2.0, 3.0]], earth_dir=[[1.0, 0.0, 0.0]], altitude_km=[1.0, 2.0]
        )
    # the optional marker of a Cartesian initial state is written only when set
    orbit = PlanOrbit(frame="ICRF", a_km=2000.0, e=0.1, i_deg=90.0, raan_deg=0.0, argp_deg=0.0, ta_deg=0.0)
    assert "elements_in_icrf_axes" not in orbit.to_dict()
    assert dataclasses.replace(orbit, elements_in_icrf_axes=True).to_dict()["elements_in_icrf_axes"] is True


def test_plan_pickles_and_round_trips(plan):
    again = pickle.loads(pickle.dumps(plan))
    assert isinstance(again, Plan) and again.to_dict() == plan.to_dict()
    assert Plan.from_dict(plan.to_dict()).to_dict() == plan.to_dict()
