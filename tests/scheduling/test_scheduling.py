"""Scheduling layer: inputs, slew model, greedy, CP-SAT, validator (every plan is validated)."""

import numpy as np
import pytest

from lunarscope.errors import InputError
from lunarscope.scheduling import (
    Activity,
    EngineeringBlock,
    Platform,
    Problem,
    Request,
    Schedule,
    SlewModel,
    Station,
    Target,
    cpsat,
    greedy,
    relaxation_bound,
    validate,
)

T0 = 1.0e9
#: Time tolerance for schedule comparisons, s.
ONE_MS_S = 1e-3


def small_problem(antenna="gimballed", cap=1e5, **kw):
    tg = [
        Target("A", [1, 0, 0], [[T0, T0 + 7200]]),
        Target("B", [0, 1, 0], [[T0 + 3600, T0 + 10800]]),
        Target("C", [0, 0, 1], np.array([[T0, T0 + 500]])),
    ]
    st = [Station("S1", [[T0 + 8000, T0 + 14000]], 10.0, earth_direction=[-1, 0, 0])]
    rq = [
        Request("A", 3000, 600, priority=2.0, data_rate_mbit_s=1.0),
        Request("B", 4000, 600, priority=1.0, data_rate_mbit_s=1.0),
        Request("C", 1000, 1000, priority=5.0),
    ]
    sc = Platform(SlewModel(0.5, 0.02, 30.0), cap, 0.0, antenna)
    return Problem(T0, T0 + 14400, tg, st, rq, sc, kw.get("eng", []))


def test_slew_time_matches_bisection_on_reachable_angle():
    """Independent check: bisect T on the largest angle reachable rest-to-rest in time T."""
    m = SlewModel(0.5, 0.02, 30.0)
    w, a = np.radians(0.5), np.radians(0.02)

    def reach(T):  # accelerate half the time (capped at the rate limit), decelerate symmetrically
        ta = min(T / 2, w / a)
        return a * ta * ta + a * ta * (T - 2 * ta)

    for deg in (0.01, 1.0, 5.0, 12.5, 90.0, 180.0):
        th = np.radians(deg)
        lo, hi = 0.0, 1e5
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if reach(mid) < th else (lo, mid)
        assert abs(float(m.time_s(th)) - (hi + 30.0)) < ONE_MS_S
    assert float(m.time_s(0.0)) == 0.0


def test_greedy_valid_and_picks_value():
    p = small_problem()
    s = greedy(p)
    assert validate(s, p) == []
    m = s.metrics(p)
    assert m["requests_full"] == 2  # A and B fit; C's only window is 500 s < 1000 s
    assert "longest 500 s < minimum visit 1000 s" in m["unschedulable"]["C#2"]
    assert m["science_value"] == pytest.approx(3.0)
    assert m["science_value"] <= relaxation_bound(p) + 1e-9


def test_body_fixed_and_recorder_limits():
    p = small_problem("body_fixed", cap=3500.0)
    s = greedy(p)
    assert validate(s, p) == []
    assert s.metrics(p)["recorder_peak_mbit"] <= 3500.0 + 1e-6
    assert any(a.kind == "downlink" for a in s.activities)


def test_engineering_honoured():
    eng = [EngineeringBlock("dump", period_s=5000.0, duration_s=600.0, flex_s=300.0, first_start=T0 + 1000)]
    p = small_problem(eng=eng)
    for s in (greedy(p), cpsat(p, time_limit_s=5, hint=greedy(p))):
        assert validate(s, p) == []
        assert len(s.of_kind("engineering")) == len(p.engineering_nominal)


def test_cpsat_reaches_known_optimum():
    p = small_problem()
    g = greedy(p)
    s = cpsat(p, time_limit_s=10, hint=g)
    assert validate(s, p) == []
    assert s.science_value(p) == pytest.approx(3.0)  # all of A and B: the optimum
    assert s.model_bound is not None


def test_validator_catches_violations():
    p = small_problem()
    s = greedy(p)
    obs = [a for a in s.activities if a.kind == "observe"]
    bad = Schedule(s.activities + [Activity("observe", obs[0].start, obs[0].stop, "A", 0.0, request=0)])
    assert any("overlap" in v for v in validate(bad, p))
    outside = Schedule([Activity("observe", T0 + 9000, T0 + 9600, "A", 600.0, request=0)])
    assert any("visibility" in v for v in validate(outside, p))
    noslew = Schedule(
        [
            Activity("observe", T0, T0 + 600, "A", 600.0, request=0),
            Activity("observe", T0 + 3600, T0 + 4200, "B", 600.0, request=1),
        ]
    )
    assert any("without a slew" in v for v in validate(noslew, p))
    full = small_problem(cap=700.0)
    over = Schedule([Activity("observe", T0, T0 + 1000, "A", 1000.0, request=0)])
    assert any("above capacity" in v for v in validate(over, full))


def test_recorder_level_tolerance_is_the_time_resolution_times_the_fastest_rate():
    """A downlink timed at 1e9 s carries rate x duration with ~1e-7 s of rounding: at 10 Mbit/s
    the level can end 2e-6 Mbit below zero (a year-long survey plan did) and is still valid;
    a real shortfall is not."""
    p = small_problem()
    obs = Activity("observe", T0, T0 + 3000, "A", 3000.0, request=0, pointing=("target", "A"))

    def plan(extra_mbit):
        dl = Activity("downlink", T0 + 8000, T0 + 8300 + extra_mbit / 10.0, "Earth", 3000.0 + extra_mbit, "S1")
        dl.pointing = ("earth", 0, 0)
        return Schedule([obs, dl])

    assert not any("recorder" in v for v in validate(plan(2e-6), p))
    assert any("below zero" in v for v in validate(plan(1e-3), p))


def test_input_errors_name_the_field():
    with pytest.raises(InputError, match=r"requests\[0\].target"):
        Problem(T0, T0 + 10, [], [], [Request("X", 10, 5)], Platform(SlewModel(1, 1), 10.0))
    with pytest.raises(InputError, match="rate_mbit_s"):
        Station("S", [[T0, T0 + 1]], 0.0)
    with pytest.raises(InputError, match="recorder_capacity_mbit"):
        small_problem(cap=100.0)  # one 600 s visit at 1 Mbit/s needs 600 Mbit
    with pytest.raises(InputError, match="exposure_s"):
        Problem(
            T0,
            T0 + 10,
            [Target("A", [1, 0, 0], [[T0, T0 + 5]])],
            [],
            [Request("A", -1, 5)],
            Platform(SlewModel(1, 1), 10.0),
        )
    with pytest.raises(InputError, match="visibility"):
        Target("A", [1, 0, 0], [[T0 + 5, T0]])


def test_table_columns():
    p = small_problem()
    s = greedy(p)
    csv = s.to_csv(lambda t: [f"T{x:.0f}" for x in t], p)
    assert csv.splitlines()[0] == "activity,target,start_utc,stop_utc,duration_s,data_mbit,station,request"
    assert len(csv.splitlines()) == len(s.activities) + 1


def test_schedule_csv_request_column():
    """Each observation names its request (its name, else ``<target>#<index>``; ``r<index>``
    without the problem); slews, downlinks, engineering and idle rows leave it empty."""
    import csv as csvmod
    import io

    p = small_problem()
    s = greedy(p)
    rows = list(csvmod.DictReader(io.StringIO(s.to_csv(lambda t: [f"T{x:.0f}" for x in t], p))))
    assert any(r["activity"] == "observe" for r in rows)
    for a, r in zip(s.activities, rows):
        if a.kind == "observe":
            assert r["request"] == p.request_names[a.request] and r["request"]
        else:
            assert r["request"] == ""
    bare = list(csvmod.DictReader(io.StringIO(s.to_csv(lambda t: [f"T{x:.0f}" for x in t]))))
    assert [r["request"] for r in bare] == [f"r{a.request}" if a.kind == "observe" else "" for a in s.activities]
    import dataclasses

    named = dataclasses.replace(p, requests=[dataclasses.replace(r, name=f"deep, {r.target}") for r in p.requests])
    rows = list(csvmod.DictReader(io.StringIO(s.to_csv(lambda t: [f"T{x:.0f}" for x in t], named))))
    assert {r["request"] for r in rows if r["activity"] == "observe"} <= {"deep, A", "deep, B", "deep, C"}


def test_windows_duck_typing():
    class W:
        starts = np.array([T0, T0 + 100])
        stops = np.array([T0 + 50, T0 + 200])

    t = Target("A", [1, 0, 0], W())
    assert t.visibility.shape == (2, 2)


def test_benchmark_quick_smoke():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "bench_scheduling.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("20,6,gimballed,")
