"""Efficiency-weighted requests (SNR requests): counted seconds, inverse, and the solvers'
preference for the efficient (dark) stretches."""

import numpy as np
import pytest

from lunarscope.errors import InputError
from lunarscope.scheduling import Platform, Problem, Request, SlewModel, Target, relaxation_bound, validate
from lunarscope.scheduling.efficiency import Efficiency
from lunarscope.scheduling.greedy import greedy
from lunarscope.scheduling.insertion import insertion
from lunarscope.scheduling.portfolio import solve

T0 = 9.0e8
#: Numerical-integration agreement of the counted seconds (s): float64 sums over ~1e5 s.
COUNT_TOL_S = 1e-6


def test_counted_seconds_match_a_numerical_integral_and_invert():
    rng = np.random.default_rng(3)
    t = T0 + np.cumsum(rng.uniform(10.0, 300.0, 200))
    w = rng.uniform(0.05, 1.0, 199)
    eff = Efficiency(t, w)
    a = rng.uniform(t[0] - 500, t[-1], 50)
    b = a + rng.uniform(0.0, 3000.0, 50)
    fine = np.linspace(t[0] - 1000, t[-1] + 4000, 2_000_001)
    dt = fine[1] - fine[0]
    mid = fine[:-1] + dt / 2
    for ai, bi, ci in zip(a, b, eff.counted(a, b)):
        sel = (mid >= ai) & (mid < bi)
        assert ci == pytest.approx(np.sum(eff.at(mid[sel])) * dt, abs=2 * dt)
    back = eff.stop_for(a, eff.counted(a, b))
    assert np.allclose(back, b, atol=COUNT_TOL_S, rtol=0)
    assert eff.at(t[0] - 10) == w[0] and eff.at(t[-1] + 10) == w[-1]


@pytest.mark.parametrize(
    "t,w",
    [([0.0, 1.0], [0.0]), ([0.0, 1.0], [1.5]), ([1.0, 0.0], [0.5]), ([0.0, 1.0, 2.0], [0.5])],
)
def test_bad_efficiency_is_refused(t, w):
    with pytest.raises(InputError):
        Efficiency(t, w)


def _problem(efficiency):
    """One target visible in a bright window (w = 0.25) then a dark one (w = 1)."""
    vis = np.array([[T0 + 0.0, T0 + 3000.0], [T0 + 5000.0, T0 + 8000.0]])
    eff = Efficiency([T0, T0 + 4000.0, T0 + 10_000.0], [0.25, 1.0]) if efficiency else None
    req = Request("A", exposure_s=1800.0, min_visit_s=300.0, efficiency=eff)
    return Problem(
        T0, T0 + 10_000.0, [Target("A", [1, 0, 0], vis)], [], [req], Platform(SlewModel(0.5, 0.02, 30.0), 1e6)
    )


@pytest.mark.parametrize("planner", [greedy, insertion])
def test_planners_prefer_the_efficient_window_and_count_weighted_seconds(planner):
    p = _problem(True)
    s = planner(p)
    assert validate(s, p) == []
    obs = s.of_kind("observe")
    # the dark window alone satisfies the request: 1800 counted seconds in 1800 s
    assert s.science_value(p) == pytest.approx(1.0)
    bright_s = sum(a.duration_s for a in obs if a.stop <= T0 + 3000.0)
    dark_s = sum(a.duration_s for a in obs if a.start >= T0 + 5000.0)
    assert 0.25 * bright_s + dark_s == pytest.approx(s.counted_exposure(p)[0]) and dark_s > 0
    if planner is insertion:  # value-first: it never spends time in the bright window
        assert bright_s == 0 and dark_s == pytest.approx(1800.0)
    else:  # the time-ordered dispatcher takes what it can now: 3000 bright s count 750 s
        assert bright_s == pytest.approx(3000.0) and dark_s == pytest.approx(1050.0)


def test_bright_time_counts_a_quarter():
    p = _problem(True)
    # only the bright window: 3000 s there count 750 s of the 1800 s needed
    bright = Problem(
        p.start,
        p.start + 4000.0,
        [Target("A", [1, 0, 0], [[T0, T0 + 3000.0]])],
        [],
        p.requests,
        p.spacecraft,
    )
    s = insertion(bright)
    assert validate(s, bright) == []
    assert s.counted_exposure(bright)[0] == pytest.approx(750.0)
    assert s.science_value(bright) == pytest.approx(750.0 / 1800.0)
    # unit efficiency gives a bound that stays above the weighted value
    assert relaxation_bound(bright) >= s.science_value(bright) - 1e-9


def test_portfolio_plan_of_a_weighted_problem_is_valid_and_full():
    p = _problem(True)
    s = solve(p, time_limit_s=5.0)
    assert validate(s, p) == []
    assert s.science_value(p) == pytest.approx(1.0)
