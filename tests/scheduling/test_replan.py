"""Re-planning from a time on (scheduling.replan): the frozen prefix stays bit for bit, the
combined plan validates on the full new problem (slew from the last frozen pointing, recorder,
engineering, cadence across the cut), a ToO starts no earlier than allowed and at its first
feasible time when the plan has room, and the value bookkeeping is exact."""

import numpy as np
import pytest

from lunarscope.scheduling import (
    EngineeringBlock,
    Platform,
    Problem,
    Request,
    SlewModel,
    Station,
    Target,
    greedy,
    validate,
)
from lunarscope.scheduling.replan import (
    ADVANCE_SLEW_MARGIN_S,
    first_visible_after,
    frozen_prefix,
    replan,
    slew_from_last,
)

T0 = 1.0e9
DAY_S = 86400.0
#: Time tolerance of the comparisons, s.
EPS_S = 1e-6


def _problem(extra_requests=(), extra_targets=(), antenna="gimballed", cap=4000.0):
    """Two days, four targets visible in alternating blocks, one station, a 12 h engineering
    block with flex, requests with visit limits and a cadence; ``extra_*`` appended (a ToO)."""
    blocks = np.array([[T0 + k * 7200.0, T0 + k * 7200.0 + 5400.0] for k in range(24)])
    tg = [
        Target("A", [1, 0, 0], blocks),
        Target("B", [0, 1, 0], blocks + 1800.0),
        Target("C", [0, 0, 1], [[T0, T0 + 2 * DAY_S]]),
        Target("D", [1, 1, 0], blocks[::2] + 3600.0),
        *extra_targets,
    ]
    st = [Station("S1", [[T0 + k * 21600.0, T0 + k * 21600.0 + 4000.0] for k in range(8)], 2.0, [-1, 0, 0])]
    rq = [
        Request("A", 20000, 1800, priority=3.0, data_rate_mbit_s=0.5),
        Request("B", 15000, 1200, priority=2.0, n_visits=6, data_rate_mbit_s=0.5),
        Request("C", 60000, 3600, priority=1.0, data_rate_mbit_s=0.2),
        Request("D", 9000, 1800, priority=4.0, cadence_s=6 * 3600.0, data_rate_mbit_s=0.5),
        *extra_requests,
    ]
    sc = Platform(SlewModel(0.5, 0.05, 30.0), cap, 0.0, antenna)
    eng = [EngineeringBlock("dump", 12 * 3600.0, 1200.0, 1800.0)]
    return Problem(T0, T0 + 2 * DAY_S, tg, st, rq, sc, eng)


TOO_TARGET = Target("ToO", [0, -1, 0.2], [[T0 + 0.9 * DAY_S, T0 + 1.6 * DAY_S]])


def _too_problem(priority=50.0):
    return _problem(
        [Request("ToO", 3600, 1800, priority=priority, validity=(T0 + DAY_S, T0 + 2 * DAY_S))], [TOO_TARGET]
    )


def _key(a):
    return (a.kind, a.start, a.stop, a.target, a.request, a.data_mbit, a.block)


def _replan(problem, old, t_free, **kw):
    kw.setdefault("solver", "greedy")
    kw.setdefault("time_limit_s", 20.0)
    return replan(problem, old, t_free, **kw)


@pytest.fixture(scope="module")
def old_plan():
    p = _problem()
    s = greedy(p)
    assert validate(s, p) == []
    return s


@pytest.mark.parametrize("t_free", [T0 + 0.3 * DAY_S, T0 + DAY_S + 1234.5, T0 + 1.7 * DAY_S])
def test_frozen_prefix_kept_bit_for_bit_and_plan_validates(old_plan, t_free):
    p = _too_problem()
    new, info = _replan(p, old_plan, t_free, asap=[4])
    assert validate(new, p) == []
    body = {"observe", "slew", "engineering"}
    frozen = [a for a in old_plan.activities if a.kind in body and a.start < t_free]
    have = {_key(a) for a in new.activities}
    running = [a for a in frozen if a.kind == "observe" and a.stop > t_free]
    assert frozen and all(_key(a) in have for a in frozen if a not in running)
    for a in running:  # ended at t_free, or after its minimum visit when that is later
        end = max(t_free, a.start + p.requests[a.request].min_visit_s)
        kept = [b for b in new.activities if b.kind == "observe" and b.request == a.request and b.start == a.start]
        assert kept and kept[0].stop == pytest.approx(min(end, a.stop), abs=1e-6)
    assert info["frozen_identical"] and info["t_cut"] >= t_free
    # downlinks that end before the cut are the same too (ASAP draining is causal)
    dl = [a for a in old_plan.activities if a.kind == "downlink" and a.stop <= t_free]
    assert all(_key(a) in have for a in dl)
    # nothing new starts before the cut
    ended = {(a.request, a.start) for a in running}
    new_only = [
        a
        for a in new.activities
        if a.kind in body and _key(a) not in {_key(b) for b in frozen} and (a.request, a.start) not in ended
    ]
    assert all(a.start >= info["t_cut"] - EPS_S for a in new_only)


def test_a_long_visit_running_at_the_change_time_is_ended_for_the_too():
    """An observation running when the new command load takes effect ends there (after its
    minimum visit), so the ToO need not wait hours for it (a 3.5 h visit delayed the demo's
    ToO by 3.6 h once the plans' visits got longer)."""
    p0 = _problem()
    old = greedy(p0)
    long = max((a for a in old.activities if a.kind == "observe"), key=lambda a: a.duration_s)
    r = p0.requests[long.request]
    t_free = long.start + max(r.min_visit_s, 0.25 * long.duration_s)
    assert t_free < long.stop - 600.0
    pre = frozen_prefix(p0, old, t_free)
    assert pre["t_cut"] == pytest.approx(t_free, abs=1e-6)
    cut = [a for a in pre["activities"] if a.kind == "observe" and a.start == long.start][0]
    assert cut.stop == pytest.approx(t_free) and cut.data_mbit == pytest.approx(
        r.data_rate_mbit_s * (t_free - long.start)
    )
    p = _too_problem()
    new, info = _replan(p, old, t_free, asap=[4])
    assert validate(new, p) == []
    assert info["frozen_identical"]


def test_too_first_feasible_time_when_room(old_plan):
    p = _too_problem()
    t_free = T0 + DAY_S + 600.0
    new, info = _replan(p, old_plan, t_free, asap=[4])
    first = min(a.start for a in new.activities if a.kind == "observe" and a.request == 4)
    assert first >= t_free
    # earliest: after the cut and the slew to it from the last frozen pointing, inside its window
    earliest = first_visible_after(p, 4, info["t_cut"] + slew_from_last(p, info, "ToO"))
    assert first == pytest.approx(earliest, abs=1e-3)
    assert new.counted_exposure(p)[4] == pytest.approx(3600.0)


def test_value_bookkeeping_is_exact(old_plan):
    p = _too_problem()
    new, info = _replan(p, old_plan, T0 + 0.8 * DAY_S)
    prefix = [a for a in new.activities if a.kind == "observe" and a.stop <= info["t_cut"]]
    got = np.zeros(len(p.requests))
    for a in prefix:
        if a.duration_s >= p.requests[a.request].min_visit_s - 1e-9:
            got[a.request] += a.duration_s
    want = sum(r.priority * min(1.0, g / r.exposure_s) for r, g in zip(p.requests, got))
    assert info["prefix_value"] == pytest.approx(want)
    assert new.science_value(p) >= info["prefix_value"]
    # the bound covers every plan that keeps the frozen part
    assert new.relaxation_bound is None or new.relaxation_bound >= new.science_value(p) - 1e-6


def test_cadence_and_visit_counts_across_the_cut(old_plan):
    p = _too_problem()
    t_free = T0 + 0.9 * DAY_S
    new, _ = _replan(p, old_plan, t_free)
    d = sorted(a.start for a in new.activities if a.kind == "observe" and a.request == 3)
    assert np.all(np.diff(d) >= 6 * 3600.0 - EPS_S)
    assert sum(1 for a in new.activities if a.kind == "observe" and a.request == 1) <= 6


def test_prefix_includes_the_visit_a_slew_leads_to(old_plan):
    slews = [a for a in old_plan.activities if a.kind == "slew"]
    s = slews[len(slews) // 2]
    t = 0.5 * (s.start + s.stop)
    pre = frozen_prefix(_problem(), old_plan, t)
    dest = min(
        (a for a in old_plan.activities if a.kind == "observe" and a.start >= s.stop - EPS_S), key=lambda a: a.start
    )
    # the visit it leads to is in, ended after its minimum visit (it starts after t)
    kept = [a for a in pre["activities"] if a.kind == "observe" and a.start == dest.start]
    end = min(dest.stop, dest.start + _problem().requests[dest.request].min_visit_s)
    assert kept and kept[0].stop == pytest.approx(end)
    assert pre["t_cut"] >= end - EPS_S


def test_body_fixed_antenna():
    p0 = _problem(antenna="body_fixed")
    old = greedy(p0)
    assert validate(old, p0) == []
    p = _problem([Request("ToO", 3600, 1800, priority=50.0)], [TOO_TARGET], antenna="body_fixed")
    new, info = _replan(p, old, T0 + 1.1 * DAY_S, asap=[4])
    assert validate(new, p) == []
    assert info["frozen_identical"]


def test_cpsat_warm_start_from_old_plan(old_plan):
    p = _too_problem()
    new, info = _replan(p, old_plan, T0 + DAY_S, solver="cpsat", time_limit_s=20.0, work_limit=0.2)
    assert validate(new, p) == []
    assert info["hint"] is True


def test_first_visit_moved_earlier_when_the_solver_put_it_late(old_plan):
    """A solver that schedules the ToO at the end of its window: the advance step moves its
    first visit to the earliest feasible time (the plan had room there: nothing of value lost)."""
    from lunarscope.scheduling.repair import repair

    def late_solver(sub, hint, **kw):
        plan = greedy(sub)
        i = sub.request_names.index("ToO#4")
        w = sub.usable_windows[i]
        s, e = float(w[-1, 1]) - 3700.0, max(sub.start, float(w[0, 0]))

        def clear(a, t):  # no overlap with [t - 600 s, t + 4300 s]
            return a.stop <= t - 600.0 or a.start >= t + 4300.0

        keep = [
            (a.request, a.start, a.stop)
            for a in plan.activities
            if a.kind == "observe" and a.request != i and clear(a, s) and clear(a, e)
        ]
        fixed, bad = repair(sub, keep + [(i, s, s + 3600.0)])
        assert not bad
        return fixed

    p = _too_problem(priority=0.5)
    new, info = _replan(p, old_plan, T0 + DAY_S + 600.0, asap=[4], solve=late_solver)
    assert validate(new, p) == [] and info["frozen_identical"]
    assert "ToO#4" in info["advanced"]
    first = min(a.start for a in new.activities if a.kind == "observe" and a.request == 4)
    assert first == pytest.approx(info["advanced"]["ToO#4"]["to"]) and first < info["advanced"]["ToO#4"]["from"]


def test_least_change_keeps_the_old_plan_and_inserts_the_too(old_plan):
    p = _too_problem()
    t_free = T0 + DAY_S + 600.0
    new, info = _replan(p, old_plan, t_free, asap=[4], minimal=True)
    assert validate(new, p) == [] and info["frozen_identical"]
    assert "least change" in new.status
    assert new.counted_exposure(p)[4] > 0
    old_v = {(a.request, a.start, a.stop) for a in old_plan.activities if a.kind == "observe"}
    new_v = {(a.request, a.start, a.stop) for a in new.activities if a.kind == "observe"}
    kept_after = [v for v in old_v if v[1] >= info["t_sub"] and v in new_v]
    after = [v for v in old_v if v[1] >= info["t_sub"]]
    assert len(kept_after) >= len(after) - 3  # only what the ToO's visit (plus a slew) displaced
    assert new.science_value(p) == pytest.approx(info["hint_value"])


def test_engineering_block_moved_within_its_flex_to_let_the_too_in():
    """A momentum dump planned at the ToO's first opportunity moves (inside its ±30 min flex) to
    after the ToO's minimum visit, the ToO starting at its earliest feasible time, instead of the
    ToO waiting for the dump (and here for the recorder: 3.5 h later without the move)."""
    base = _problem()
    old = greedy(base)
    t_dump = base.engineering_nominal[2, 0]  # T0 + 24 h, flex 1800 s, 1200 s long
    too = Target("ToO", [0, -1, 0.2], [[t_dump - 1500.0, t_dump - 1500.0 + 0.3 * DAY_S]])
    p = _problem([Request("ToO", 3600, 1800, priority=50.0, validity=(T0 + DAY_S - 7200.0, T0 + 2 * DAY_S))], [too])
    new, info = _replan(p, old, t_dump - 1800.0, asap=[4], solver="cpsat")
    assert validate(new, p) == [] and info["frozen_identical"]
    first = min(a.start for a in new.activities if a.kind == "observe" and a.request == 4)
    earliest = first_visible_after(p, 4, info["t_cut"] + slew_from_last(p, info, "ToO"))
    assert first == pytest.approx(earliest, abs=ADVANCE_SLEW_MARGIN_S + EPS_S)
    dump = next(a for a in new.activities if a.kind == "engineering" and a.block == 2)
    assert dump.start >= first + p.requests[4].min_visit_s - EPS_S  # after a counted first visit
    assert abs(dump.start - t_dump) <= 1800.0 + EPS_S  # inside its flex
    assert new.counted_exposure(p)[4] == pytest.approx(3600.0)  # the rest after the dump
