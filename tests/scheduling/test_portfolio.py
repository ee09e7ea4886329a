"""The solver portfolio (scheduling.portfolio.solve): limits, determinism, progress, interrupts."""

import numpy as np

from lunarscope.scheduling import Platform, Problem, Request, SlewModel, Station, Target, greedy, validate

T0 = 1.0e9


def test_station_without_contacts_in_span():
    """A station with no contact at all gives an empty timeline share, not an IndexError."""
    tg = [Target("A", [1, 0, 0], [[T0, T0 + 7200]])]
    st = [Station("none", np.zeros((0, 2)), 10.0), Station("S1", [[T0 + 8000, T0 + 9000]], 5.0)]
    rq = [Request("A", 3000, 600, priority=2.0, data_rate_mbit_s=1.0)]
    p = Problem(T0, T0 + 10000, tg, st, rq, Platform(SlewModel(0.5, 0.02, 30.0), 1e5, 0.0), [])
    tl = p.downlink_timeline
    assert tl.shape == (1, 5) and tl[0, 3] == 1
    s = greedy(p)
    assert validate(s, p) == []


# --- the portfolio: wall-clock cap, deterministic budget, rejected plans, progress ---------
import os  # noqa: E402
import pathlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "benchmarks"))
from scheduling_instances import build_instance  # noqa: E402

from lunarscope.scheduling import interruptible, portfolio  # noqa: E402
from lunarscope.scheduling.bounds import SOURCE_CAPS, SOURCE_LP, bound_within, caps_bound, relaxation_bound  # noqa: E402
from lunarscope.scheduling.cpsat import WALL_CAP_TEXT  # noqa: E402
from lunarscope.scheduling.schedule import Activity, Schedule  # noqa: E402

#: Allowance (s) over the time limit for the last checks of a solve and a loaded test machine.
LIMIT_SLACK_S = 1.5


def test_time_limit_holds_with_the_lp_bound():
    """500 requests: the LP bound alone takes ~20 s; a 2 s limit must hold, and the bound
    reported is a valid one with its source named (not an unproven LP number)."""
    p = build_instance(500, days=30.0)
    t = time.perf_counter()
    s = portfolio.solve(p, "greedy", time_limit_s=2.0, hierarchy="off")
    wall = time.perf_counter() - t
    assert wall < 2.0 + LIMIT_SLACK_S
    assert validate(s, p) == []
    assert s.bound_source == SOURCE_CAPS and s.relaxation_bound == pytest.approx(caps_bound(p))
    assert s.relaxation_bound >= s.science_value(p)
    assert s.info["wall_limit_hit"] and WALL_CAP_TEXT in s.status


def test_bound_within_falls_back_to_a_valid_bound():
    p = build_instance(20, days=6.0)
    lp = relaxation_bound(p)
    assert bound_within(p, None) == (pytest.approx(lp), SOURCE_LP)
    b, src = bound_within(p, 0.0)
    assert src == SOURCE_CAPS and b >= lp - 1e-9


def test_greedy_and_insertion_stop_at_the_deadline():
    p = build_instance(60, days=10.0)
    g = greedy(p, deadline=time.perf_counter())
    assert validate(g, p) == [] and g.info["wall_limit_hit"] and "time limit hit" in g.status
    from lunarscope.scheduling.insertion import insertion

    s = insertion(p, deadline=time.perf_counter())
    assert validate(s, p) == [] and s.info["wall_limit_hit"]


def test_cpsat_budget_is_deterministic_and_the_wall_cap_is_reported():
    p = build_instance(8, days=6.0)
    runs = [portfolio.solve(p, "cpsat", time_limit_s=60.0, workers=2, work_limit=0.3) for _ in range(2)]
    a, b = ([(x.kind, x.request, x.start, x.stop) for x in r.activities] for r in runs)
    assert a == b
    assert not runs[0].info["wall_limit_hit"] and WALL_CAP_TEXT not in runs[0].status
    assert runs[0].info["work_spent"] <= 0.3 + 0.2  # one window may end past the budget
    capped = portfolio.solve(p, "cpsat", time_limit_s=0.6, workers=2, work_limit=1000.0)
    assert capped.info["wall_limit_hit"] and WALL_CAP_TEXT in capped.status
    assert validate(capped, p) == []


def test_rejected_heuristic_plan_is_reported(monkeypatch):
    p = build_instance(20, days=6.0)

    def broken(problem, deadline=None):  # two observations at the same time
        t = problem.start + 1000.0
        acts = [
            Activity("observe", t, t + 900.0, target=problem.requests[0].target, request=0),
            Activity("observe", t, t + 900.0, target=problem.requests[1].target, request=1),
        ]
        return Schedule(acts, scheduler="insertion")

    monkeypatch.setattr(portfolio, "insertion", broken)
    s = portfolio.solve(p, "greedy", time_limit_s=30.0)
    assert s.info["rejected"] and s.info["rejected"][0]["heuristic"] == "insertion"
    assert "rejected insertion plan: " + s.info["rejected"][0]["violation"] in s.status
    assert validate(s, p) == []


def test_progress_goes_from_0_to_1():
    p = build_instance(8, days=6.0)
    seen = []
    portfolio.solve(p, "cpsat", time_limit_s=30.0, work_limit=0.2, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b >= a for a, b in zip(seen, seen[1:])) and len(seen) > 4


def test_interruptible_run_answers_ctrl_c_at_once():
    stopped = threading.Event()
    release = threading.Event()

    def long_call():  # stands for a C solver that holds no GIL
        release.wait(30.0)
        return 1

    def stop():
        stopped.set()
        release.set()

    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        interruptible.run(long_call, stop=stop)
    assert time.perf_counter() - t < 1.0 and stopped.is_set()
    assert interruptible.run(lambda x: 2 * x, 21) == 42
    with pytest.raises(ValueError):
        interruptible.run(lambda: int("x"))


def test_work_limit_mission_key(tmp_path):
    from lunarscope.errors import InputError
    from lunarscope.mission import load_mission

    root = pathlib.Path(__file__).resolve().parents[2]
    text = (root / "examples" / "quick-look.yaml").read_text()
    for value, ok in (("0.5", True), ("-1", False)):
        path = tmp_path / "m.yaml"
        path.write_text(
            text.replace(
                "scheduling: {solver: greedy, time_limit_s: 10}",
                f"scheduling: {{solver: cpsat, time_limit_s: 10, work_limit: {value}}}",
            )
        )
        if ok:
            assert load_mission(str(path)).operations.work_limit == 0.5
        else:
            with pytest.raises(InputError, match="scheduling.work_limit"):
                load_mission(str(path))


def test_decomposition_plan_is_fitted_to_the_recorder():
    """The decomposition's schedules ignore the recorder; on a recorder-bound problem its repaired
    plan overflowed and was rejected (the plan was then 0.683 of the bound). Cut where the recorder
    would overflow, it validates and seeds CP-SAT (0.90 of the bound measured)."""
    import dataclasses

    base = build_instance(20, days=7)
    sc = dataclasses.replace(base.spacecraft, recorder_capacity_mbit=16000.0, recorder_initial_mbit=0.0)
    slow = [Station(s.name, s.contacts, 0.02 * s.rate_mbit_s, s.earth_direction) for s in base.stations]
    p = Problem(base.start, base.stop, base.targets, slow, base.requests, sc, base.engineering)
    s = portfolio.solve(p, "cpsat", 30.0, workers=1)
    assert validate(s, p) == []
    dec = s.info["decomposition"]
    assert dec["recorder_fitted"] and dec["repaired_value"] is not None
    assert not any(r["heuristic"] == "decomposition" for r in s.info["rejected"])
    assert s.science_value(p) >= 0.85 * s.relaxation_bound
