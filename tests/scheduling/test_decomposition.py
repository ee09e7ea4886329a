"""Time decomposition: the component DP against brute force, the grid-mapping lemma on real
plans, the bound above every plan and below the LP, the repaired plan valid; repair; the
planned engineering times."""

import itertools

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
    cpsat,
    greedy,
    validate,
)
from lunarscope.scheduling.bounds import relaxation_bound
from lunarscope.scheduling.decomposition import _component_dp, _Pieces, decompose
from lunarscope.scheduling.insertion import insertion
from lunarscope.scheduling.portfolio import solve
from lunarscope.scheduling.repair import repair

T0 = 1.0e9
#: Science-value tolerance (dimensionless; sums of priorities ~1-30).
VALUE_EPS = 1e-9
#: DP values are sums of (reward per second x seconds): compare to this absolute tolerance.
DP_EPS = 1e-9
#: Value a repaired valid plan may lose: 1 ms of exposure per visit (repair.SLEW_MARGIN_S).
REPAIR_EPS = 1e-5


def _problem(seed=3, n_req=10, n_tgt=6, orbits=4, eng=True, cadence=True):
    rng = np.random.default_rng(seed)
    tg = []
    for j in range(n_tgt):
        w = [[T0 + k * 20000 + j * 1300, T0 + k * 20000 + j * 1300 + rng.uniform(5000, 9000)] for k in range(orbits)]
        tg.append(Target(f"T{j}", rng.normal(size=3), w))
    rq = []
    for i in range(n_req):
        rq.append(
            Request(
                f"T{i % n_tgt}",
                float(rng.uniform(4000, 15000)),
                float(rng.choice([600, 1200, 1800])),
                priority=float(rng.uniform(0.5, 3)),
                data_rate_mbit_s=1.0,
                n_visits=2 if i % 5 == 0 else None,
                cadence_s=30000.0 if (cadence and i % 5 == 1) else None,
                name=f"R{i}",
            )
        )
    st = [Station("S", [[T0 + 5000, T0 + 30000], [T0 + 45000, T0 + orbits * 20000]], 8.0, earth_direction=[1, 0, 0])]
    sc = Platform(SlewModel(0.5, 0.02, 60.0), 40000.0, 1000.0, "gimballed")
    blocks = (
        [EngineeringBlock("dump", period_s=30000.0, duration_s=1800.0, flex_s=4000.0, first_start=T0 + 12000)]
        if eng
        else []
    )
    return Problem(T0, T0 + orbits * 20000, tg, st, rq, sc, blocks)


def _brute(N, delta, tgt, c, bonus, m, KB, kappa, steps, eng=()):
    """Best value by explicit enumeration of activity sequences (no DP): visits (r, k1, k2) in
    time order, each inside one window of r, at least m[r] long, after the slew from the
    previous pointing (the allowance is earned unless the visit starts where the previous one
    ended), and every engineering occurrence (lo, hi, length) once, in order, holding the
    pointing."""
    P = steps.shape[1]
    best = -np.inf

    def rec(k, p, last_end, val, e):
        nonlocal best
        if e == len(eng):
            best = max(best, val)
        else:
            lo, hi, ln = eng[e]
            for ke in range(max(k, lo), hi + 1):
                if ke + ln <= N + 1:
                    rec(ke + ln, p, -1, val, e + 1)
        for r in range(len(tgt)):
            for k1 in range(k + steps[p, tgt[r]], N + 1):
                kb = KB[r, k1]
                if kb < 0:
                    continue
                for k2 in range(k1 + m[r], kb + 1):
                    gain = c[r] * delta * (k2 - k1) - kappa[r, k1] + (0.0 if k1 == last_end else bonus[r])
                    rec(k2, tgt[r], k2, val + gain, e)

    rec(0, P, -1, 0.0, 0)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_component_dp_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    N, R, P, delta = 9, 3, 2, 10.0
    tgt = rng.integers(0, P, R)
    c = rng.uniform(0.0, 1.0, R)
    bonus = rng.uniform(0.0, 5.0, R)
    m = rng.integers(1, 4, R)
    KB = np.full((R, N + 1), -1, np.int64)
    for r in range(R):
        a = int(rng.integers(0, 4))
        b = int(rng.integers(a + 2, N + 1))
        KB[r, a : b + 1] = b
        if rng.uniform() < 0.5 and b + 2 <= N:  # a second window
            KB[r, b + 2 :] = N
    kappa = rng.uniform(0.0, 3.0, (R, N + 1))
    steps = np.zeros((P + 1, P), np.int64)
    steps[:P] = rng.integers(1, 3, (P, P))
    np.fill_diagonal(steps[:P], 0)
    eng = [] if seed % 2 == 0 else [(1, 4, 2)] if seed % 4 == 1 else [(0, 3, 1), (5, 7, 0)]
    e = np.array(eng, np.int64).reshape(-1, 3)
    val, vis = _component_dp(N, delta, tgt, c, bonus, m, KB, kappa, steps, True, e[:, 0], e[:, 1], e[:, 2])
    assert val == pytest.approx(_brute(N, delta, tgt, c, bonus, m, KB, kappa, steps, eng), abs=DP_EPS)
    # the visits it returns achieve the value and obey the grid rules
    got, k, p, last = 0.0, 0, P, -1
    for r, k1, k2 in vis:
        assert k2 - k1 >= m[r] and 0 <= KB[r, k1] and k2 <= KB[r, k1]
        assert k1 >= k + steps[p, tgt[r]] or len(eng)  # (engineering may sit between: checked by value)
        got += c[r] * delta * (k2 - k1) - kappa[r, k1] + (0.0 if k1 == last else bonus[r])
        k, p, last = k2, tgt[r], k2
    if not len(eng):
        assert got == pytest.approx(val, abs=DP_EPS)


@pytest.mark.parametrize("delta", [7.0, 30.0])
def test_real_plans_map_onto_the_relaxed_grid(delta):
    """The lemma behind the bound: any valid plan, each visit [a, b] mapped to the grid points
    below a and b, obeys the relaxed grid rules and earns at least its real value."""
    p = _problem()
    pcs = _Pieces(p, delta, relaxed=True)
    w = np.array([r.priority / r.exposure_s for r in p.requests])
    for plan in (greedy(p), insertion(p)):
        assert validate(plan, p) == []
        obs = sorted((a for a in plan.activities if a.kind == "observe"), key=lambda a: a.start)
        for a0, N, KB, _eng in pcs.pieces:
            mine = [a for a in obs if a0 - 1e-6 <= a.start <= a0 + N * delta + delta]
            k, pt, last, dp_val, real = 0, pcs.steps.shape[1], -1, 0.0, 0.0
            for a in mine:
                r = a.request
                k1 = int(np.floor((a.start - a0) / delta + 1e-9))
                k2 = int(np.floor((a.stop - a0) / delta + 1e-9))
                assert k1 >= k + pcs.steps[pt, pcs.tgt[r]]
                assert k2 - k1 >= pcs.m[r] and KB[r, k1] >= 0 and k2 <= KB[r, k1]
                dp_val += w[r] * delta * (k2 - k1) + (0.0 if k1 == last else w[r] * delta)
                real += w[r] * (a.stop - a.start)
                k, pt, last = k2, pcs.tgt[r], k2
            assert dp_val >= real - DP_EPS


def test_bound_above_every_plan_and_below_the_lp():
    p = _problem(seed=5, n_req=12)
    g = greedy(p)
    c = cpsat(
        p, time_limit_s=30.0, hint=g, workers=1, seed=0, window_s=20000.0, window_dtime=0.2, passes=2, lp_bound=False
    )
    d = decompose(p, hint=c)
    lp = relaxation_bound(p)
    assert d.bound <= lp + VALUE_EPS
    for plan in (g, c):
        assert plan.science_value(p) <= d.bound + VALUE_EPS
    sched, bad = repair(p, d.select(10.0))
    assert bad == []
    assert sched.science_value(p) <= d.bound + VALUE_EPS
    # the refined grid never loosens the bound
    b = d.bound
    assert d.refine_bound(5.0) <= b


def test_solve_uses_the_decomposition_and_stays_valid():
    p = _problem(seed=8, n_req=14)
    s = solve(p, "cpsat", time_limit_s=30.0, workers=1)
    assert validate(s, p) == []
    info = s.info["decomposition"]
    assert info["iterations"] >= 1
    assert s.relaxation_bound <= relaxation_bound(p) + VALUE_EPS
    assert greedy(p).science_value(p) - VALUE_EPS <= s.science_value(p) <= s.relaxation_bound + VALUE_EPS


def test_repair_keeps_valid_plans_and_fixes_broken_ones():
    p = _problem(seed=2)
    g = greedy(p)
    visits = [(a.request, a.start, a.stop) for a in g.activities if a.kind == "observe"]
    eng = [a.start for a in sorted((a for a in g.activities if a.kind == "engineering"), key=lambda a: a.block)]
    same, bad = repair(p, visits, eng)
    assert bad == []
    # repair keeps SLEW_MARGIN_S (1 ms) after each slew: at most that much exposure per visit
    assert same.science_value(p) == pytest.approx(g.science_value(p), abs=REPAIR_EPS)
    # each of the first visits doubled for another request at the same time (overlap, no slew):
    # repaired into a valid plan, and the copies that cannot fit are dropped with a reason
    R = len(p.requests)
    broken = visits + [((r + 1) % R, s, e) for r, s, e in visits[:6]]
    why = {}
    _fixed, bad = repair(p, broken, why=why)
    assert bad == []
    assert sum(why.values()) >= 1


def test_engineering_planned_inside_flex_and_not_worse_than_nominal():
    p = _problem(seed=4)
    nom = p.engineering_nominal
    e0 = p.engineering_planned
    assert np.all(e0 >= nom[:, 0] - nom[:, 2] - 1e-9) and np.all(e0 <= nom[:, 0] + nom[:, 2] + 1e-9)
    iv = np.column_stack([e0, e0 + nom[:, 1]])
    for (a, b), (c, d) in itertools.combinations(iv, 2):
        assert b <= c or d <= a
    allw = np.vstack([w for w in p.usable_windows if len(w)])

    def overlap(s, d):
        from lunarscope.scheduling.requests import as_intervals

        U = as_intervals(allw, "u")
        return float(np.sum(np.clip(np.minimum(U[:, 1], s + d) - np.maximum(U[:, 0], s), 0, None)))

    for j in range(len(nom)):
        assert overlap(e0[j], nom[j, 1]) <= overlap(nom[j, 0], nom[j, 1]) + 1e-9
