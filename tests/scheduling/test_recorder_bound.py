"""The LP bound with recorder and downlink rows: valid against exact optima of tiny cases,
never above the plain LP, and much tighter when the recorder binds."""

import numpy as np
import pytest

from lunarscope.scheduling import Platform, Problem, Request, SlewModel, Station, Target, cpsat, greedy, validate
from lunarscope.scheduling.bounds import (
    SOURCE_LP,
    SOURCE_LP_RECORDER,
    bound_within,
    lp_source,
    recorder_rows,
    relaxation_bound,
)
from lunarscope.scheduling.insertion import insertion
from lunarscope.scheduling.schedule import Activity, Schedule

T0 = 1.0e9
#: Relative tolerance on science values (dimensionless).
REL_EPS = 1e-9
SLEW = SlewModel(0.5, 0.02, 60.0)
#: CP-SAT time (s) per random tiny case.
CPSAT_S = 2.0


def _best_valid(p, with_cpsat=False):
    """Best validated plan value of greedy, insertion and (optionally) a short CP-SAT run: a
    lower bound on the exact optimum."""
    best = 0.0
    plans = [greedy(p), insertion(p)]
    if with_cpsat:
        plans.append(cpsat(p, time_limit_s=CPSAT_S, window_s=20000.0, window_dtime=0.1, passes=2))
    for s in plans:
        if s is not None and not validate(s, p):
            best = max(best, s.science_value(p))
    return best


def _one_target(reqs, cap, init, contacts, rate, span=30000.0, window=None):
    w = window if window is not None else [[T0, T0 + span]]
    st = [Station("S", contacts, rate)] if contacts else []
    return Problem(T0, T0 + span, [Target("A", [1, 0, 0], w)], st, reqs, Platform(SLEW, cap, init))


def _obs(p, i, a, b):
    r = p.requests[i]
    return Activity(
        "observe", T0 + a, T0 + b, r.target, r.data_rate_mbit_s * (b - a), request=i, pointing=("target", r.target)
    )


# Exact optima of tiny cases. One target (no slews), so a plan is a set of observation
# intervals; each optimum below is an upper bound proved by hand from data conservation and
# is reached by the given plan (validated in the test), hence it is the exact optimum.
EXACT = {
    # window [0, 30000], contact [10000, 12000] at 1 Mbit/s, recorder 3000, 1 Mbit/s:
    # <= 3000 Mbit before the contact, net 0 during it, then <= 3000 - level more:
    # G(stop) <= 3000 + 2000 = 5000 Mbit -> 5000 s of 20000 s exposure.
    "straddling contact": (
        lambda: _one_target(
            [Request("A", 20000, 500, priority=2.0, data_rate_mbit_s=1.0, name="R")],
            3000.0,
            0.0,
            [[T0 + 10000, T0 + 12000]],
            1.0,
        ),
        2.0 * 5000 / 20000,
        lambda p: [
            _obs(p, 0, 7000, 12000),
            Activity("downlink", T0 + 10000, T0 + 12000, data_mbit=2000.0, station="S"),
        ],
    ),
    # no station, recorder 4000 (no room for more): R2 is worth more per Mbit (1/4000 > 1/5000).
    "two requests no downlink": (
        lambda: _one_target(
            [
                Request("A", 5000, 500, priority=1.0, data_rate_mbit_s=1.0, name="R1"),
                Request("A", 2000, 500, priority=1.0, data_rate_mbit_s=2.0, name="R2"),
            ],
            4000.0,
            0.0,
            [],
            1.0,
        ),
        1.0,
        lambda p: [_obs(p, 1, 0, 2000)],
    ),
    # recorder starts 1500 of 2500 full; contact [20000, 21000] at 0.5 Mbit/s after the window
    # [0, 15000]: 1000 Mbit of room in all (the contact comes after the window)
    "initial content, contact after the window": (
        lambda: _one_target(
            [
                Request("A", 4000, 100, priority=3.0, data_rate_mbit_s=2.0, name="R"),
                Request("A", 4000, 100, priority=1.0, data_rate_mbit_s=0.5, name="Q"),
            ],
            2500.0,
            1500.0,
            [[T0 + 20000, T0 + 21000]],
            0.5,
            window=[[T0, T0 + 15000]],
        ),
        # per Mbit: R 3/8000, Q 1/2000 = 4/8000 -> Q first: 2000 s = 1000 Mbit, value 0.5
        0.5,
        lambda p: [_obs(p, 1, 0, 2000)],
    ),
}


@pytest.mark.parametrize("case", sorted(EXACT))
def test_bound_holds_and_is_tight_on_exact_cases(case):
    build, opt, plan = EXACT[case]
    p = build()
    new, old = relaxation_bound(p), relaxation_bound(p, recorder=False)
    s = Schedule(activities=plan(p))
    assert validate(s, p) == []
    assert s.science_value(p) == pytest.approx(opt, rel=1e-12)  # the optimum is reached
    assert _best_valid(p) <= opt * (1 + REL_EPS)
    assert opt <= new * (1 + REL_EPS)
    assert new <= old * (1 + REL_EPS)
    assert new == pytest.approx(opt, rel=1e-5)  # and the bound is exact here
    assert lp_source(p) == SOURCE_LP_RECORDER


def _random_tiny(seed):
    rng = np.random.default_rng(seed)
    nt, nr = 2, int(rng.integers(2, 5))
    tg = [
        Target(
            f"T{j}", rng.normal(size=3), [[T0 + k * 9000 + j * 2000, T0 + k * 9000 + j * 2000 + 5000] for k in range(3)]
        )
        for j in range(nt)
    ]
    rq = [
        Request(
            f"T{i % nt}",
            float(rng.uniform(2000, 8000)),
            300,
            priority=float(rng.uniform(0.5, 3)),
            data_rate_mbit_s=float(rng.uniform(0.5, 3)),
            name=f"R{i}",
        )
        for i in range(nr)
    ]
    st = [Station("S", [[T0 + 7000, T0 + 8000], [T0 + 19000, T0 + 20000]], float(rng.uniform(0.2, 2)))]
    if seed % 2:
        st.append(Station("U", [[T0 + 7500, T0 + 9500]], float(rng.uniform(0.2, 2))))
    sc = Platform(SLEW, float(rng.uniform(1500, 4000)), float(rng.uniform(0, 1000)))
    return Problem(T0, T0 + 27000, tg, st, rq, sc)


@pytest.mark.parametrize("seed", range(6))
def test_bound_is_above_every_valid_plan_and_below_the_plain_lp(seed):
    p = _random_tiny(seed)
    new, old = relaxation_bound(p), relaxation_bound(p, recorder=False)
    assert _best_valid(p, with_cpsat=True) <= new * (1 + REL_EPS)
    assert new <= old * (1 + REL_EPS)


def test_recorder_bound_case_is_much_tighter_and_named():
    """Small recorder, slow downlink: the plain LP is the sum of priorities, the new one far below."""
    rq = [Request("A", 6000, 300, priority=1.0 + i, data_rate_mbit_s=2.0, name=f"R{i}") for i in range(3)]
    p = _one_target(rq, 2000.0, 0.0, [[T0 + 9000, T0 + 10000], [T0 + 20000, T0 + 21000]], 0.5)
    new, old = relaxation_bound(p), relaxation_bound(p, recorder=False)
    assert old == pytest.approx(6.0, rel=1e-6)
    # G(stop) <= 2000 + 2 x 500 = 3000 Mbit = 1500 s at 2 Mbit/s: best 1500/6000 of R2
    assert new == pytest.approx(3.0 * 1500 / 6000, rel=1e-5)
    assert new < 0.2 * old
    assert bound_within(p, None) == (pytest.approx(new), SOURCE_LP_RECORDER)


def test_ample_recorder_adds_no_rows():
    rq = [Request("A", 6000, 300, priority=1.0, data_rate_mbit_s=0.01, name="R")]
    p = _one_target(rq, 1e6, 0.0, [[T0 + 9000, T0 + 10000]], 0.5)
    assert recorder_rows(p)[1] == []
    assert lp_source(p) == SOURCE_LP
    assert relaxation_bound(p) == pytest.approx(relaxation_bound(p, recorder=False), rel=1e-12)
