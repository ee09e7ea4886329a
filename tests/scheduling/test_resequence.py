"""Shorter slews in a finished plan (scheduling.resequence): valid, never worse, and the time
saved goes to requests that still need exposure."""

import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "benchmarks"))

from scheduling_instances import build_instance  # noqa: E402

from lunarscope.scheduling import EngineeringBlock, Platform, Problem, Request, SlewModel, Target, validate  # noqa: E402
from lunarscope.scheduling.assemble import assemble  # noqa: E402
from lunarscope.scheduling.greedy import greedy  # noqa: E402
from lunarscope.scheduling.resequence import polish, resequence  # noqa: E402

T0 = 8.0e8
SLEW = SlewModel(0.5, 0.05, 30.0)


def _unit(ra_deg):
    a = np.radians(ra_deg)
    return np.array([np.cos(a), np.sin(a), 0.0])


def _slew_s(sched):
    return sum(a.stop - a.start for a in sched.activities if a.kind == "slew")


def _zigzag(engineering=()):
    """Four targets on the equator at 0°, 90°, 10°, 100°, always visible, observed in that
    zig-zag order; a fifth request on the 0° target still needs exposure."""
    span = 40000.0
    ras = [0.0, 90.0, 10.0, 100.0]
    tg = [Target(f"T{j}", _unit(ra), [[T0, T0 + span]]) for j, ra in enumerate(ras)]
    rq = [Request(f"T{j}", 3000.0, 600.0, priority=1.0, name=f"R{j}") for j in range(4)]
    rq.append(Request("T0", 20000.0, 600.0, priority=0.5, name="R4"))
    p = Problem(T0, T0 + span, tg, [], rq, Platform(SLEW, 1e6), list(engineering))
    visits, t, prev = [], T0, None
    for j in range(4):
        if prev is not None:
            t += float(SLEW.time_s(np.radians(abs(ras[j] - ras[prev])))) + 1e-3
        visits.append((j, t, t + 3000.0))
        t += 3000.0
        prev = j
    t += float(SLEW.time_s(np.radians(100.0))) + 1e-3
    visits.append((4, t, t + 600.0))  # R4 on T0 after T3 (100° away)
    return p, visits


def test_reordering_cuts_the_slews_and_the_time_saved_is_observed():
    p, visits = _zigzag()
    before = assemble(p, visits, p.engineering_planned, ())
    assert validate(before, p) == []
    moved, cut = resequence(p, visits, p.engineering_planned)
    after = assemble(p, moved, p.engineering_planned, ())
    assert not cut
    assert validate(after, p) == []
    assert _slew_s(after) < _slew_s(before) - 100.0
    assert after.science_value(p) > before.science_value(p)  # R4 got the seconds saved
    assert sorted(r for r, _, _ in moved) == sorted(r for r, _, _ in visits)


def test_a_slew_run_before_an_engineering_block_keeps_its_room():
    """The slew into the first visit after a block may run before the block (the block holds
    the new attitude); lengthening the visit before the block must not take that room (it
    did: the plan then had a slew across the block)."""
    span = 20000.0
    tg = [Target("A", _unit(0.0), [[T0, T0 + span]]), Target("B", _unit(120.0), [[T0 + 6100.0, T0 + span]])]
    rq = [Request("A", 9000.0, 600.0, name="RA"), Request("B", 3000.0, 600.0, name="RB")]
    eng = [EngineeringBlock("dump", 1e6, 1000.0, 0.0, first_start=T0 + 5000.0)]
    p = Problem(T0, T0 + span, tg, [], rq, Platform(SLEW, 1e6), eng)
    # A until 4700, slew (~280 s) before the block [5000, 6000], B from 6100
    visits = [(0, T0, T0 + 4700.0), (1, T0 + 6100.0, T0 + 9100.0)]
    sched = assemble(p, visits, p.engineering_planned, ())
    assert validate(sched, p) == []
    moved, _ = resequence(p, visits, p.engineering_planned)
    assert validate(assemble(p, moved, p.engineering_planned, ()), p) == []


def test_cadence_and_visit_counts_are_kept():
    p, visits = _zigzag()
    reqs = list(p.requests)
    reqs[1] = Request("T1", 3000.0, 600.0, priority=1.0, cadence_s=30000.0, n_visits=2, name="R1")
    p = Problem(p.start, p.stop, p.targets, [], reqs, p.spacecraft)
    visits = visits + [(1, visits[1][1] + 30000.0, visits[1][1] + 30600.0)]
    assert validate(assemble(p, visits, p.engineering_planned, ()), p) == []
    moved, _ = resequence(p, visits, p.engineering_planned)
    after = assemble(p, moved, p.engineering_planned, ())
    assert validate(after, p) == []
    assert sum(1 for r, _, _ in moved if r == 1) == 2


def test_body_fixed_antenna_is_left_as_it_is():
    p = build_instance(10, days=2.0, antenna="body_fixed")
    g = greedy(p)
    assert polish(p, g) is g


@pytest.mark.parametrize("n,days", [(30, 6.0), (80, 10.0)])
def test_polished_plans_validate_and_are_never_worse(n, days):
    p = build_instance(n, days=days)
    g = greedy(p)
    out = polish(p, g)
    assert validate(out, p) == []
    assert out.science_value(p) >= g.science_value(p) - 1e-9
    if n == 80:  # this instance gains (a fill after the reorder)
        assert out.science_value(p) > g.science_value(p) + 1e-3
    if out is not g:
        info = out.info["polish"]
        assert info["slew_s_after"] == pytest.approx(_slew_s(out))
        assert info["value_before"] == pytest.approx(g.science_value(p))


def test_a_deadline_stops_it_and_says_so():
    p = build_instance(40, days=6.0)
    g = greedy(p)
    visits = [(a.request, a.start, a.stop) for a in g.activities if a.kind == "observe"]
    moved, cut = resequence(p, visits, p.engineering_planned, deadline=0.0)
    assert cut
    assert sorted(moved) == sorted((int(r), float(a), float(b)) for r, a, b in visits)
