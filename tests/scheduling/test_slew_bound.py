"""The slew-charged flow bound (``scheduling.slew_bound``): valid against exact optima of tiny
cases and every validated plan of random ones, never above the plain flow, equal to the LP
with the slew rows (weak duality, found multipliers), and the plan windows' borders that let
every engineering occurrence count."""

import os
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from lunarscope.scheduling import EngineeringBlock, Platform, Problem, Request, SlewModel, Target, greedy, validate
from lunarscope.scheduling.bounds import engineering_inside
from lunarscope.scheduling.hierarchical import hierarchical
from lunarscope.scheduling.insertion import insertion
from lunarscope.scheduling.longrange import _flow, flow_graph, plan_borders
from lunarscope.scheduling.requests import as_intervals
from lunarscope.scheduling.slew import angle_between
from lunarscope.scheduling.slew_bound import SOURCE_SLEW, nearest_slew_s, row_data, slew_bound

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
from scheduling_instances import build_instance  # noqa: E402

T0 = 1.0e9
#: Relative slack on bound comparisons (flow rounding and LP tolerances, dimensionless).
REL_EPS = 1e-6
#: What the flows' profit rounding adds to a bound here, at most (relative).
ROUNDING_REL = 1e-4
#: Rest-to-rest slew: 1 deg/s, 0.1 deg/s^2, 30 s settle.
SLEW = SlewModel(1.0, 0.1, 30.0)
#: Slow slews for the random cases: 0.2 deg/s, 0.01 deg/s^2, 60 s settle.
SLOW_SLEW = SlewModel(0.2, 0.01, 60.0)


def _two_targets(span=10000.0, exposure=6000.0, antenna="gimballed"):
    """Targets A and B 90 deg apart, always visible, one request each (priority 6)."""
    w = [[T0, T0 + span]]
    targets = [Target("A", [1, 0, 0], w), Target("B", [0, 1, 0], w)]
    reqs = [Request("A", exposure, 300.0, priority=6.0), Request("B", exposure, 300.0, priority=6.0)]
    return Problem(T0, T0 + span, targets, [], reqs, Platform(SLEW, 1e9, 0.0, antenna))


def test_exact_two_target_case():
    """Two requests that together want more than the span: the plan observes one, slews once
    (s = slew of 90 deg), observes the other; the optimum is (span - s) x 1e-3 per second. The
    plain flow says span x 1e-3; the LP with the row x_A + x_B + s (x_A + x_B) / 6000 <= span + s
    says (span + s) / (1 + s / 6000) x 1e-3, between the two."""
    p = _two_targets()
    s = float(SLEW.time_s(np.pi / 2))
    b = plan_borders(p)
    plain = _flow(p, b)[0]
    assert plain == pytest.approx(10.0, rel=ROUNDING_REL)
    exact = (10000.0 - s) * 1e-3
    lp = (10000.0 + s) / (1 + s / 6000.0) * 1e-3
    got = slew_bound(p, b, plain)
    assert got.bound >= exact * (1 - REL_EPS)
    assert got.bound == pytest.approx(lp, rel=ROUNDING_REL)
    assert got.bound < plain - 0.05
    plans = [q for q in (greedy(p), insertion(p)) if q is not None and not validate(q, p)]
    assert plans and max(q.science_value(p) for q in plans) == pytest.approx(exact, rel=1e-6)


def test_nearest_slew_is_the_nearest_other_target():
    p = build_instance(30, seed=2, days=8.0, n_targets=12)
    ts = np.arange(len(p.targets))
    got = nearest_slew_s(p, ts)
    d = p.target_dirs
    for i in ts:
        others = [j for j in ts if j != i]
        want = min(float(p.spacecraft.slew.time_s(angle_between(d[i], d[j]))) for j in others)
        assert got[i] == pytest.approx(want, rel=1e-12)
    assert np.isinf(nearest_slew_s(p, ts[:1])).all()  # alone: never slewed into


def _lp_with_rows(p, b):
    """The flow relaxation with the slew rows as an explicit LP (HiGHS): its optimum."""
    g = flow_graph(p, b)
    coef, rhs = row_data(p, g)
    R, n_rw, n_tw, W = len(g.v), len(g.ri), len(g.tw), g.n_windows
    A = len(g.tails) - 1  # no bypass arc
    N = int(g.heads.max()) + 1
    rows = np.concatenate([g.heads[:A], g.tails[:A]])
    cols = np.concatenate([np.arange(A), np.arange(A)])
    vals = np.concatenate([np.ones(A), -np.ones(A)])
    M = sp.csr_matrix((vals, (rows, cols)), shape=(N, A))[2:]
    w_of = g.tw % W
    S = sp.csr_matrix(
        (
            np.concatenate([coef, np.ones(W)]),
            (
                np.concatenate([w_of, np.arange(W)]),
                np.concatenate([R + n_rw + np.arange(n_tw), R + n_rw + n_tw + np.arange(W)]),
            ),
        ),
        shape=(W, A),
    )
    c = np.zeros(A)
    c[:R] = -g.v
    bounds = np.column_stack([np.zeros(A), g.capac[:A].astype(float)])
    res = linprog(c, A_ub=S, b_ub=rhs, A_eq=M, b_eq=np.zeros(M.shape[0]), bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun


def _dense(seed, n_targets=8, n_requests=24, days=3.0, exposure_h=(3.0, 12.0)):
    """A random case where slews bind: targets visible most of the time (random gaps of 0.5-3 h),
    exposures uniform in ``exposure_h`` (h), slow slews, a momentum dump every 12 h (flex 1 h)."""
    rng = np.random.default_rng(seed)
    span = days * 86400.0
    targets = []
    for k in range(n_targets):
        d = rng.normal(size=3)
        cuts = np.sort(rng.uniform(0, span, 2 * int(days)))
        gaps = np.column_stack([cuts, np.minimum(cuts + rng.uniform(1800, 10800, len(cuts)), span)])
        w = [[T0 + a, T0 + b] for a, b in zip(np.r_[0.0, gaps[:, 1]], np.r_[gaps[:, 0], span]) if b > a]
        targets.append(Target(f"T{k}", d / np.linalg.norm(d), as_intervals(w, "w")))
    reqs = [
        Request(
            f"T{int(rng.integers(n_targets))}",
            float(rng.uniform(*exposure_h)) * 3600.0,
            600.0,
            priority=float(rng.integers(1, 6)),
        )
        for _ in range(n_requests)
    ]
    eng = [EngineeringBlock("dump", 43200.0, 1200.0, 3600.0)]
    return Problem(T0, T0 + span, targets, [], reqs, Platform(SLOW_SLEW, 1e9, 0.0), eng)


@pytest.mark.parametrize("seed", [1, 4])
def test_equals_the_lp_with_the_rows_and_bounds_every_plan(seed):
    """Weak duality: the Lagrangian bound is >= the LP with the rows, and the multiplier search
    gets within 0.05 % of it; here the rows bind (the bound is below the plain flow's). Every
    validated plan stays below."""
    p = _dense(seed, n_targets=100, n_requests=200, days=8.0, exposure_h=(0.5, 3.0))
    b = plan_borders(p, 1)
    plain = _flow(p, b)[0]
    got = slew_bound(p, b, plain)
    lp = _lp_with_rows(p, b)
    assert lp < plain * (1 - 1e-3)
    assert got.bound >= lp * (1 - REL_EPS)
    assert got.bound <= lp * (1 + 5e-4 + ROUNDING_REL)
    for q in (greedy(p), insertion(p)):
        if q is not None and not validate(q, p):
            assert q.science_value(p) <= got.bound * (1 + REL_EPS)


def test_random_tiny_cases_stay_above_the_best_plan():
    """Tiny random cases (3-5 targets, slow slews): the bound is above every validated plan of
    greedy, insertion and the hierarchical scheduler, and never above the plain flow; in most
    of them it is below the plain flow."""
    lower = 0
    for seed in range(12):
        p = _dense(100 + seed, n_targets=3 + seed % 3, n_requests=8, days=2.0)
        b = plan_borders(p, 1)
        plain = _flow(p, b)[0]
        got = slew_bound(p, b, plain)
        assert got.bound <= plain * (1 + REL_EPS)
        lower += got.bound < plain * (1 - 1e-4)
        plans = [greedy(p), insertion(p), hierarchical(p, "cpsat", 30.0, workers=1, work_limit=0.05, days=1)]
        for q in plans:
            if q is not None and not validate(q, p):
                assert q.science_value(p) <= got.bound * (1 + REL_EPS), "a valid plan above the bound"
    assert lower >= 6


def test_body_fixed_antenna_has_no_slew_bound():
    p = _two_targets(antenna="body_fixed")
    assert slew_bound(p, plan_borders(p), 10.0) is None


def test_deadline_keeps_a_valid_bound_and_says_so():
    p = build_instance(60, seed=1, days=8.0, n_targets=25)
    b = plan_borders(p, 2)
    plain = _flow(p, b)[0]
    got = slew_bound(p, b, plain, deadline=time.perf_counter() - 1.0)
    assert got.cut and got.flows == 0 and got.bound == plain


def test_hierarchical_reports_the_slew_bound():
    """On a case where the slew rows bind, the hierarchical scheduler reports the slew-charged
    bound, names it, and its plan stays below it."""
    p = _dense(101, n_targets=4, n_requests=8, days=2.0)
    plan = hierarchical(p, "cpsat", 30.0, workers=1, work_limit=0.05, days=1)
    plain = _flow(p, plan_borders(p, 1))[0]
    assert plan.relaxation_bound < plain * (1 - 1e-4)
    assert plan.bound_source == SOURCE_SLEW
    assert not validate(plan, p)
    assert plan.science_value(p) <= plan.relaxation_bound * (1 + REL_EPS)


def test_borders_leave_every_flex_range_whole():
    """Borders never cut an engineering occurrence's flex range, so every occurrence inside the
    span counts in one window (it did not when the nominal time sat on a border)."""
    day = 86400.0
    w = [[T0, T0 + 20 * day]]
    p = Problem(
        T0,
        T0 + 20 * day,
        [Target("A", [1, 0, 0], w)],
        [],
        [Request("A", 1e6, 300.0)],
        Platform(SLEW, 1e9, 0.0),
        [EngineeringBlock("dump", 0.5 * day, 1200.0, 3600.0)],
    )
    b = plan_borders(p, 7)
    nom = p.engineering_nominal
    lo, hi = nom[:, 0] - nom[:, 2], nom[:, 0] + nom[:, 2] + nom[:, 1]
    for t in b[1:-1]:
        assert not np.any((lo < t) & (t < hi))
    whole = (lo >= p.start) & (hi <= p.stop)
    assert engineering_inside(p, b).sum() == pytest.approx(nom[whole, 1].sum())
