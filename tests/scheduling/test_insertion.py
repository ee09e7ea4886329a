"""Value-first insertion: valid plans with exact slews, and the best-of choice in solve()."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "benchmarks"))

from scheduling_instances import build_instance  # noqa: E402

from lunarscope.scheduling import greedy, relaxation_bound, validate  # noqa: E402
from lunarscope.scheduling.insertion import insertion  # noqa: E402


@pytest.mark.parametrize("n,days", [(20, 6.0), (60, 10.0)])
def test_insertion_plans_are_valid_and_below_the_bound(n, days):
    p = build_instance(n, days=days)
    s = insertion(p)
    assert validate(s, p) == []
    v = s.science_value(p)
    assert 0 < v <= relaxation_bound(p) + 1e-9
    # most valuable requests (value per second) are served first
    dens = sorted(range(len(p.requests)), key=lambda i: -p.requests[i].priority / p.requests[i].exposure_s)
    got = s.counted_exposure(p)
    assert got[dens[0]] > 0


def test_body_fixed_is_left_to_the_dispatcher():
    p = build_instance(10, days=3.0, antenna="body_fixed")
    assert insertion(p) is None
    assert validate(greedy(p), p) == []


def test_insertion_respects_a_small_recorder():
    """With a recorder that fills between contacts the insertion plan still validates (it
    ignored the recorder, and at 1000 targets its plan was dropped as invalid)."""
    from lunarscope.scheduling import Platform, Problem

    base = build_instance(60, days=6.0)
    sc = base.spacecraft
    p = Problem(
        base.start,
        base.stop,
        base.targets,
        base.stations[2:],
        base.requests,  # one slow station
        Platform(sc.slew, 15000.0, 0.0, "gimballed"),
        base.engineering,
    )
    s = insertion(p)
    assert validate(s, p) == []
    assert s.metrics(p)["recorder_peak_mbit"] <= 15000.0 + 1e-6
    assert s.science_value(p) > 0
