"""Event finder against analytic roots and a brute-force (1 s sampling + bisection) reference."""

import numpy as np
import pytest

from lunarscope.errors import InputError
from lunarscope.windows import MIN_TOL_S, Condition, Windows, find_windows

#: Reference epoch of the test functions (2025-05-09, TDB s past J2000): realistic |t|.
T_REF = 8.0e8
#: Rounding slack when comparing analytic roots near T_REF (a few float64 spacings), s.
FLOAT_SLACK_S = 4 * np.spacing(T_REF)
ONE_MS = 1e-3
ONE_US = 1e-6
DAY_S = 86400.0


class Counter:
    """Wraps g / g_rows and counts calls and evaluated (time, condition) pairs."""

    def __init__(self, g, rows_per_time=1):
        self.g = g
        self.rows_per_time = rows_per_time
        self.calls = 0
        self.points = 0

    def __call__(self, *args):
        self.calls += 1
        self.points += args[0].size * self.rows_per_time
        return self.g(*args)


def sine_condition(omega, phase, level):
    """g_m(t) = sin(omega_m (t - T_REF) + phase_m) - level_m; returns g, g_rows, rate bound."""
    omega, phase, level = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (omega, phase, level))
    omega, phase, level = np.broadcast_arrays(omega, phase, level)

    def g(t):
        x = (t - T_REF)[None, :]
        return np.sin(omega[:, None] * x + phase[:, None]) - level[:, None]

    def g_rows(t, rows):
        return np.sin(omega[rows] * (t - T_REF) + phase[rows]) - level[rows]

    return g, g_rows, omega.copy()


def analytic_windows(omega, phase, level, t0, t1):
    """Exact windows of sin(omega (t - T_REF) + phase) >= level, clipped to [t0, t1]."""
    a = np.arcsin(level)
    x0, x1 = t0 - T_REF, t1 - T_REF
    k = np.arange(
        np.floor((omega * x0 + phase - np.pi) / (2 * np.pi)) - 1,
        np.ceil((omega * x1 + phase) / (2 * np.pi)) + 2,
    )
    starts = (a + 2 * np.pi * k - phase) / omega + T_REF
    stops = (np.pi - a + 2 * np.pi * k - phase) / omega + T_REF
    return Windows(starts, stops).clip(t0, t1)


def assert_close(found: Windows, expected: Windows, tol_s: float):
    assert len(found) == len(expected), (found, expected)
    # span ends are exact; the other boundaries within tol of the true root
    assert found.isclose(expected, tol_s + FLOAT_SLACK_S)


def brute_force(g, t0, t1, step_s=1.0, tol_s=ONE_US):
    """Dense reference: samples every step_s, bisects each sign change to tol_s (scalar g)."""
    t = np.r_[np.arange(t0, t1, step_s), t1]
    inside = g(t) >= 0
    i = np.flatnonzero(inside[:-1] != inside[1:])
    lo, hi = t[i].copy(), t[i + 1].copy()
    lo_in = inside[i]
    for _ in range(60):  # 1 s / 2**60 is far below float64 resolution at T_REF
        if not np.any(hi - lo > tol_s):
            break
        mid = 0.5 * (lo + hi)
        same = (g(mid) >= 0) == lo_in
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    edge = np.where(lo_in, lo, hi)  # the inside end
    starts = np.r_[[t0] if inside[0] else [], edge[~lo_in]]
    stops = np.r_[edge[lo_in], [t1] if inside[-1] else []]
    return Windows(starts, stops)


@pytest.mark.parametrize("tol_s", [ONE_MS, ONE_US])
@pytest.mark.parametrize("rate", [False, True])
def test_single_sinusoid_boundaries_within_tol(tol_s, rate):
    omega, phase, level = 2 * np.pi / 5400.0, 0.7, 0.3
    g, _, bound = sine_condition(omega, phase, level)
    t0, t1 = T_REF + 123.4, T_REF + DAY_S
    found = find_windows(lambda t: g(t)[0], t0, t1, 60.0, tol_s, rate_bound=bound if rate else None)
    assert isinstance(found, Windows)
    assert_close(found, analytic_windows(omega, phase, level, t0, t1), tol_s)
    # reported ends are evaluated inside points (never a false window)
    assert np.all(g(found.starts)[0] >= 0) and np.all(g(found.stops)[0] >= 0)


@pytest.mark.parametrize("tol_s", [ONE_MS, ONE_US])
def test_thousand_conditions_with_g_rows(tol_s):
    m = 1000
    rng = np.random.default_rng(7)
    omega = 2 * np.pi / rng.uniform(3000.0, 9000.0, m)
    phase = rng.uniform(0, 2 * np.pi, m)
    level = rng.uniform(-0.9, 0.9, m)
    g, g_rows, bound = sine_condition(omega, phase, level)
    cg, cr = Counter(g, m), Counter(g_rows)
    t0, t1 = T_REF, T_REF + DAY_S
    found = find_windows(cg, t0, t1, 60.0, tol_s, rate_bound=bound, g_rows=cr)
    assert isinstance(found, list) and len(found) == m
    for i in range(m):
        assert_close(found[i], analytic_windows(omega[i], phase[i], level[i], t0, t1), tol_s)
    # all brackets refined together: a handful of calls, not one per bracket
    assert cg.calls + cr.calls < 60
    # the rate bound pays: far fewer evaluations than the same finder without it
    dg, dr = Counter(g, m), Counter(g_rows)
    dense = find_windows(dg, t0, t1, 60.0, tol_s, g_rows=dr)
    assert all(dense[i].isclose(found[i], 2 * tol_s) for i in range(m))
    assert cg.points + cr.points < 0.4 * (dg.points + dr.points)


def test_many_conditions_without_g_rows_share_a_grid():
    m = 50
    rng = np.random.default_rng(3)
    omega = 2 * np.pi / rng.uniform(3000.0, 9000.0, m)
    phase = rng.uniform(0, 2 * np.pi, m)
    level = rng.uniform(-0.9, 0.9, m)
    g, _, bound = sine_condition(omega, phase, level)
    t0, t1 = T_REF, T_REF + DAY_S / 2
    for rb in (None, bound):
        found = find_windows(g, t0, t1, 60.0, ONE_MS, rate_bound=rb)
        for i in range(m):
            assert_close(found[i], analytic_windows(omega[i], phase[i], level[i], t0, t1), ONE_MS)


def bumps(period_s, width_s, offset_s):
    """g >= 0 on windows exactly width_s long, once per period_s: cos(w x) - cos(w width/2)."""
    w = 2 * np.pi / period_s
    c = np.cos(w * width_s / 2)

    def g(t):
        return np.cos(w * (t - T_REF - offset_s)) - c

    return g, w  # |dg/dt| <= w


def true_bumps(period_s, width_s, offset_s, t0, t1):
    k = np.arange(-2, (t1 - t0) / period_s + 3)
    centre = T_REF + offset_s + k * period_s
    return Windows(centre - width_s / 2, centre + width_s / 2).clip(t0, t1)


@pytest.mark.parametrize("offset_s", [0.0, 17.3, 29.9, 44.4])
@pytest.mark.parametrize("rate", [False, True])
def test_windows_and_gaps_just_above_min_duration_are_found(offset_s, rate):
    t0, t1, min_dur, period = T_REF, T_REF + DAY_S, 60.0, 997.3
    width = min_dur * 1.001
    g, bound = bumps(period, width, offset_s)
    found = find_windows(g, t0, t1, min_dur, ONE_MS, rate_bound=bound if rate else None)
    assert_close(found, true_bumps(period, width, offset_s, t0, t1), ONE_MS)
    # gaps just above min_duration: the complement condition, with period - width gaps
    g2, bound2 = bumps(period, period - width, offset_s + 500.0)
    found = find_windows(lambda t: -g2(t), t0, t1, min_dur, ONE_MS, rate_bound=bound2 if rate else None)
    expected = true_bumps(period, period - width, offset_s + 500.0, t0, t1).complement(t0, t1)
    assert_close(found, expected, ONE_MS)


@pytest.mark.parametrize("rate", [False, True])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_guarantee_at_every_grid_phase(rate, sign):
    """One window (sign=+1) or gap (sign=-1) 1.0001 x min_duration long, at 3000 phases
    across a sampling step: every one is found. g_m = sign (w/2 - |t - c_m|), |dg/dt| = 1."""
    min_dur, m = 60.0, 3000
    width = min_dur * 1.0001
    t0, t1 = T_REF, T_REF + 400.0
    centre = t0 + 100.0 + np.linspace(0.0, 1.05 * min_dur, m) + width / 2

    def g(t):
        return sign * (width / 2 - np.abs(t[None, :] - centre[:, None]))

    def g_rows(t, rows):
        return sign * (width / 2 - np.abs(t - centre[rows]))

    found = find_windows(g, t0, t1, min_dur, ONE_MS, rate_bound=1.0 if rate else None, g_rows=g_rows)
    for i in range(m):
        w = Windows([centre[i] - width / 2], [centre[i] + width / 2])
        expected = w if sign > 0 else w.complement(t0, t1)
        assert_close(found[i], expected, ONE_MS)


@pytest.mark.parametrize("offset_s", [0.0, 11.0, 23.7, 41.2])
def test_windows_below_min_duration_never_false(offset_s):
    t0, t1, min_dur = T_REF, T_REF + 20000.0, 60.0
    g, _ = bumps(1000.0, 30.0, offset_s)
    found = find_windows(g, t0, t1, min_dur, ONE_MS)
    truth = true_bumps(1000.0, 30.0, offset_s, t0, t1)
    # each reported window matches a true one to tol (some true ones may be missing)
    for s, e in found:
        i = np.argmin(np.abs(truth.starts - s))
        assert abs(truth.starts[i] - s) <= ONE_MS + FLOAT_SLACK_S
        assert abs(truth.stops[i] - e) <= ONE_MS + FLOAT_SLACK_S


def test_rate_bound_matches_dense_reference_with_fewer_evaluations():
    # an irregular signal: sum of three sinusoids, |dg/dt| <= sum of amplitude * frequency
    amp = np.array([1.0, 0.5, 0.3])
    om = 2 * np.pi / np.array([7000.0, 1900.0, 650.0])
    ph = np.array([0.1, 2.0, 4.0])

    def g(t):
        x = (t - T_REF)[:, None]
        return np.sum(amp * np.sin(om * x + ph), axis=1) - 0.2

    bound = float(np.sum(amp * om))
    t0, t1 = T_REF, T_REF + 2 * DAY_S
    reference = brute_force(g, t0, t1)
    dense, skip = Counter(g), Counter(g)
    w_dense = find_windows(dense, t0, t1, 30.0, ONE_MS)
    w_skip = find_windows(skip, t0, t1, 30.0, ONE_MS, rate_bound=bound)
    assert len(reference) > 50
    assert_close(w_dense, reference, ONE_MS)
    assert_close(w_skip, reference, ONE_MS)
    assert skip.points < 0.5 * dense.points


def test_condition_combinators_match_windows_algebra():
    t0, t1 = T_REF, T_REF + DAY_S
    g1, _, b1 = sine_condition(2 * np.pi / 5400.0, 0.3, 0.2)
    g2, _, b2 = sine_condition(2 * np.pi / 7100.0, 1.9, -0.4)
    c1 = Condition(lambda t: g1(t)[0], rate_bound=b1[0], name="a")
    c2 = Condition(lambda t: g2(t)[0], rate_bound=b2[0], name="b")
    w1 = find_windows(c1, t0, t1, 60.0, ONE_US)
    w2 = find_windows(c2, t0, t1, 60.0, ONE_US)
    both = c1 & c2
    assert both.rate_bound == max(b1[0], b2[0])
    tol = ONE_US + FLOAT_SLACK_S
    step = 10.0  # combinations make short windows/gaps (one is 47 s): sample finer than those
    cases = [
        (both, w1 & w2),
        (c1 | c2, w1 | w2),
        (~c1, w1.complement(t0, t1)),
        (c1 & ~c2, w1 - w2),
    ]
    for cond, exact in cases:
        features = np.r_[exact.durations, exact.complement(t0, t1).durations]
        assert features.min() > step  # every window and gap is above the sampling step
        found = find_windows(cond, t0, t1, 60.0, ONE_US, max_step_s=step)
        assert found.isclose(exact, tol), cond.name


def test_combinators_broadcast_and_keep_g_rows():
    m = 20
    rng = np.random.default_rng(5)
    g, g_rows, bound = sine_condition(2 * np.pi / rng.uniform(3000, 9000, m), rng.uniform(0, 6, m), 0.1)
    many = Condition(g, bound, g_rows)
    g1, _, b1 = sine_condition(2 * np.pi / 86400.0, 0.0, 0.0)
    one = Condition(lambda t: g1(t)[0], b1[0])
    combo = many & one
    assert combo.g_rows is not None
    t0, t1 = T_REF, T_REF + DAY_S
    found = find_windows(combo, t0, t1, 60.0, ONE_MS)
    ref_many = find_windows(many, t0, t1, 60.0, ONE_MS)
    ref_one = find_windows(one, t0, t1, 60.0, ONE_MS)
    for i in range(m):
        assert found[i].isclose(ref_many[i] & ref_one, ONE_MS + FLOAT_SLACK_S)
    np.testing.assert_array_equal(combo.rate_bound, np.maximum(bound, b1[0]))


def test_span_end_clipping_and_constant_conditions():
    t0, t1 = T_REF, T_REF + 1000.0
    assert list(find_windows(lambda t: np.ones_like(t), t0, t1, 10.0)) == [(t0, t1)]
    assert len(find_windows(lambda t: -np.ones_like(t), t0, t1, 10.0)) == 0
    # a ramp crossing zero at T_REF + 400.25: one window clipped at the span end
    found = find_windows(lambda t: t - (T_REF + 400.25), t0, t1, 10.0, ONE_US, rate_bound=1.0)
    assert len(found) == 1 and found.stops[0] == t1
    assert abs(found.starts[0] - (T_REF + 400.25)) <= ONE_US
    found = find_windows(lambda t: (T_REF + 400.25) - t, t0, t1, 10.0, ONE_US)
    assert found.starts[0] == t0 and abs(found.stops[0] - (T_REF + 400.25)) <= ONE_US


def test_max_step_finds_short_windows():
    t0, t1 = T_REF, T_REF + 20000.0
    g, _ = bumps(1000.0, 30.0, 7.0)
    found = find_windows(g, t0, t1, 600.0, ONE_MS, max_step_s=29.0)
    assert_close(found, true_bumps(1000.0, 30.0, 7.0, t0, t1), ONE_MS)


def test_input_errors():
    g = np.sin
    with pytest.raises(InputError, match="tol_s"):
        find_windows(g, 0.0, 10.0, 1.0, tol_s=MIN_TOL_S / 2)
    with pytest.raises(InputError, match="span_stop"):
        find_windows(g, 10.0, 0.0, 1.0)
    with pytest.raises(InputError, match="min_duration_s"):
        find_windows(g, 0.0, 10.0, 0.0)
    with pytest.raises(InputError, match="g"):
        find_windows(lambda t: np.zeros((2, 3, t.size)), 0.0, 10.0, 1.0)
    with pytest.raises(InputError, match="NaN"):
        find_windows(lambda t: np.where(t > 5, np.nan, 1.0), 0.0, 10.0, 1.0)
    with pytest.raises(InputError, match="rate_bound"):
        find_windows(g, 0.0, 10.0, 1.0, rate_bound=0.0)
    with pytest.raises(InputError, match="max_step_s"):
        find_windows(g, 0.0, 10.0, 1.0, max_step_s=-1.0)


@pytest.mark.parametrize("with_rows", [False, True])
def test_memory_chunking_gives_same_windows(monkeypatch, with_rows):
    """A tiny evaluation budget forces every chunking path; the windows must not change."""
    from lunarscope.windows import finder

    m = 12
    rng = np.random.default_rng(9)
    omega = 2 * np.pi / rng.uniform(3000.0, 9000.0, m)
    phase = rng.uniform(0, 2 * np.pi, m)
    level = rng.uniform(-0.9, 0.9, m)
    g, g_rows, bound = sine_condition(omega, phase, level)
    t0, t1 = T_REF, T_REF + DAY_S / 2
    kwargs = {"rate_bound": bound, "g_rows": g_rows if with_rows else None}
    big = find_windows(g, t0, t1, 60.0, ONE_MS, **kwargs)
    monkeypatch.setattr(finder, "_BUDGET", 64)
    small = find_windows(g, t0, t1, 60.0, ONE_MS, **kwargs)
    for i in range(m):
        assert small[i].isclose(big[i], 2 * ONE_MS)
        assert_close(small[i], analytic_windows(omega[i], phase[i], level[i], t0, t1), ONE_MS)


def test_condition_find_and_windows_helpers():
    g1, _, b1 = sine_condition(2 * np.pi / 5400.0, 0.3, 0.2)
    c = Condition(lambda t: g1(t)[0], rate_bound=b1[0], name="sun")
    t0, t1 = T_REF, T_REF + DAY_S
    assert c.find(t0, t1, 60.0, ONE_MS).isclose(
        analytic_windows(2 * np.pi / 5400.0, 0.3, 0.2, t0, t1), ONE_MS + FLOAT_SLACK_S
    )
    assert (~c).name == "~sun"
    w = Windows.from_intervals([(3.0, 4.0), (0.0, 1.0)])
    assert list(w.shift(10.0)) == [(10.0, 11.0), (13.0, 14.0)]
    assert len(Windows.empty()) == 0 and Windows.empty().longest() is None
