"""The time decomposition's bound with recorder rows at component boundaries: exact on tiny
cases solved by hand (tighter than the LP with recorder where a row spans several contacts),
above every valid plan on random tiny cases, the same as before when the recorder cannot
bind, and named in ``Schedule.bound_source``."""

import numpy as np
import pytest

from lunarscope.scheduling import Platform, Problem, Request, SlewModel, Station, Target, cpsat, greedy, validate
from lunarscope.scheduling.bounds import relaxation_bound
from lunarscope.scheduling.decomposition import (
    SOURCE_DECOMPOSITION,
    SOURCE_DECOMPOSITION_RECORDER,
    applies,
    decompose,
)
from lunarscope.scheduling.insertion import insertion
from lunarscope.scheduling.portfolio import solve
from lunarscope.scheduling.schedule import Activity, Schedule

T0 = 1.0e9
#: Relative tolerance on science values (dimensionless).
REL_EPS = 1e-9
#: Relative slack of the decomposition's bound over a hand-proved optimum: the grid's rounding
#: allowance (one grid step of reward per visit, at most ~1e-3 here).
GRID_REL = 2e-3
SLEW = SlewModel(0.5, 0.02, 60.0)
#: CP-SAT time (s) per random tiny case.
CPSAT_S = 2.0


def _one_target(reqs, cap, init, contacts, windows, span):
    st = [Station("S", contacts, 1.0)] if contacts else []
    return Problem(T0, T0 + span, [Target("A", [1, 0, 0], windows)], st, reqs, Platform(SLEW, cap, init))


def _blocks(*ab):
    return [[T0 + a, T0 + b] for a, b in ab]


def _obs(p, i, a, b):
    r = p.requests[i]
    return Activity(
        "observe", T0 + a, T0 + b, r.target, r.data_rate_mbit_s * (b - a), request=i, pointing=("target", r.target)
    )


def _dl(a, b, mbit):
    return Activity("downlink", T0 + a, T0 + b, data_mbit=mbit, station="S")


def _four_blocks():
    """Four blocks of 5000 s, a 2000 s contact before the first and 1000 s contacts between
    them (1 Mbit/s), recorder 3000 Mbit from empty, one request at 1 Mbit/s. Data in
    [10000, 45000) <= 3000 + 3 x 1000 = 6000 Mbit (the level at 10000 is >= 0): 6000 s of
    40000 s. The LP's rows run from the start or from the last contact end only, so it
    allows 3000 + 3000 + 1000 + 1000 = 8000 s."""
    rq = [Request("A", 40000, 500, priority=2.0, data_rate_mbit_s=1.0, name="R")]
    w = _blocks((10000, 15000), (20000, 25000), (30000, 35000), (40000, 45000))
    c = _blocks((6000, 8000), (16000, 17000), (26000, 27000), (36000, 37000))
    return _one_target(rq, 3000.0, 0.0, c, w, 46000.0)


# Exact optima, each proved by hand from data conservation and reached by the given plan
# (validated in the test).
EXACT = {
    # cumulative from the start: G(end of block j) <= 3000 + 1000 j -> 6000 s of 20000 s
    "from the start": (
        lambda: _one_target(
            [Request("A", 20000, 500, priority=2.0, data_rate_mbit_s=1.0, name="R")],
            3000.0,
            0.0,
            _blocks((6000, 7000), (16000, 17000), (26000, 27000)),
            _blocks((0, 5000), (10000, 15000), (20000, 25000), (30000, 35000)),
            36000.0,
        ),
        2.0 * 6000 / 20000,
        lambda p: [
            _obs(p, 0, 0, 3000),
            _dl(6000, 7000, 1000.0),
            _obs(p, 0, 10000, 11000),
            _dl(16000, 17000, 1000.0),
            _obs(p, 0, 20000, 21000),
            _dl(26000, 27000, 1000.0),
            _obs(p, 0, 30000, 31000),
        ],
    ),
    # a row spanning several contacts from a block start (the LP has no such row)
    "over several contacts": (
        _four_blocks,
        2.0 * 6000 / 40000,
        lambda p: [
            _obs(p, 0, 10000, 13000),
            _dl(16000, 17000, 1000.0),
            _obs(p, 0, 20000, 21000),
            _dl(26000, 27000, 1000.0),
            _obs(p, 0, 30000, 31000),
            _dl(36000, 37000, 1000.0),
            _obs(p, 0, 40000, 41000),
        ],
    ),
    # recorder 1500 of 2500 full, no station: 1000 Mbit in all; Q is worth more per Mbit
    "initial content": (
        lambda: _one_target(
            [
                Request("A", 4000, 100, priority=3.0, data_rate_mbit_s=2.0, name="R"),
                Request("A", 4000, 100, priority=1.0, data_rate_mbit_s=0.5, name="Q"),
            ],
            2500.0,
            1500.0,
            [],
            _blocks((0, 1000), (5000, 6000), (10000, 11000)),
            12000.0,
        ),
        1.0 * 2000 / 4000,
        lambda p: [_obs(p, 1, 0, 1000), _obs(p, 1, 5000, 6000)],
    ),
}


@pytest.mark.parametrize("case", sorted(EXACT))
def test_bound_holds_and_is_tight_on_exact_cases(case):
    build, opt, plan = EXACT[case]
    p = build()
    s = Schedule(activities=plan(p))
    assert validate(s, p) == []
    assert s.science_value(p) == pytest.approx(opt, rel=1e-12)  # the optimum is reached
    d = decompose(p)
    assert d.info["recorder_rows"] > 0 and d.source == SOURCE_DECOMPOSITION_RECORDER
    own = d.info["own_bound"]  # the Lagrangian bound itself, not its minimum with the LP
    assert opt <= own * (1 + REL_EPS) and opt <= d.bound * (1 + REL_EPS)
    assert own <= opt * (1 + GRID_REL)
    # without the rows the decomposition alone knows only the exposure caps
    assert decompose(p, recorder=False).info["own_bound"] > 1.5 * opt


def test_row_over_several_contacts_beats_the_lp_with_recorder():
    p = _four_blocks()
    lp = relaxation_bound(p)
    assert lp == pytest.approx(2.0 * 8000 / 40000, rel=1e-5)
    assert decompose(p).bound <= 0.3 * (1 + GRID_REL) < lp


def _random_tiny(seed):
    """Two targets whose windows form three blocks with gaps of 2000 s; contacts in the gaps
    and (odd seeds) across a block start; a small recorder."""
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
            n_visits=2 if i == 2 else None,
            name=f"R{i}",
        )
        for i in range(nr)
    ]
    st = [Station("S", [[T0 + 7000, T0 + 8000], [T0 + 16000, T0 + 17500]], float(rng.uniform(0.2, 2)))]
    if seed % 2:
        st.append(Station("U", [[T0 + 7500, T0 + 9500]], float(rng.uniform(0.2, 2))))
    sc = Platform(SLEW, float(rng.uniform(1500, 4000)), float(rng.uniform(0, 1000)))
    return Problem(T0, T0 + 27000, tg, st, rq, sc)


@pytest.mark.parametrize("seed", range(6))
def test_bound_is_above_every_valid_plan(seed):
    p = _random_tiny(seed)
    d = decompose(p)
    assert d.info["recorder_rows"] > 0
    plans = [greedy(p), insertion(p), cpsat(p, time_limit_s=CPSAT_S, window_s=20000.0, window_dtime=0.1, passes=2)]
    best = max(s.science_value(p) for s in plans if not validate(s, p))
    assert best <= d.info["own_bound"] * (1 + REL_EPS)
    assert best <= d.bound * (1 + REL_EPS) and d.bound <= relaxation_bound(p) * (1 + REL_EPS)


def test_ample_recorder_gives_the_same_result_as_without_rows():
    rq = [Request("A", 9000, 500, priority=1.0 + i, data_rate_mbit_s=0.01, name=f"R{i}") for i in range(2)]
    p = _one_target(rq, 1e6, 0.0, _blocks((6000, 7000)), _blocks((0, 5000), (10000, 15000), (20000, 25000)), 26000.0)
    d, d0 = decompose(p), decompose(p, recorder=False)
    assert d.info["recorder_rows"] == 0 and d.source == SOURCE_DECOMPOSITION
    assert d.bound == d0.bound and d.info["history"] == d0.info["history"]


def test_portfolio_names_the_bound_with_recorder():
    p = _four_blocks()
    assert applies(p)
    s = solve(p, "cpsat", time_limit_s=20.0, workers=1)
    assert validate(s, p) == []
    assert s.bound_source == SOURCE_DECOMPOSITION_RECORDER
    assert s.science_value(p) <= s.relaxation_bound * (1 + REL_EPS)
    assert s.relaxation_bound <= 0.3 * (1 + GRID_REL)
