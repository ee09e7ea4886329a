"""Windows interval algebra against a brute-force model on an integer grid (Hypothesis).

Intervals get integer endpoints in [0, GRID]; a set is then fully described by which unit
cells (k, k+1) it covers (zero-length pieces are measure-zero and dropped by convention), so
every operation is checked against boolean-array logic on the cell centres.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lunarscope.errors import InputError
from lunarscope.windows import Windows

GRID = 40
CENTRES = np.arange(GRID + 20) - 10 + 0.5  # cell centres, with room for padding


@st.composite
def windows(draw):
    n = draw(st.integers(0, 8))
    pairs = []
    for _ in range(n):
        a = draw(st.integers(0, GRID))
        b = draw(st.integers(0, GRID))
        pairs.append((a, b))  # b < a or b == a give empty intervals, dropped
    return Windows([p[0] for p in pairs], [p[1] for p in pairs])


def cells(w: Windows) -> np.ndarray:
    return w.contains(CENTRES)


def model_from_pairs(starts, stops) -> np.ndarray:
    m = np.zeros(CENTRES.size, dtype=bool)
    for a, b in zip(starts, stops):
        m |= (CENTRES > a) & (CENTRES < b)
    return m


def assert_normal(w: Windows):
    s, e = w.starts, w.stops
    assert s.dtype == np.float64 and e.dtype == np.float64
    assert np.all(e > s)
    assert np.all(s[1:] > e[:-1])  # disjoint and not touching (touching ones merge)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, GRID), st.integers(0, GRID)), max_size=10))
def test_constructor_normalizes(pairs):
    s = [p[0] for p in pairs]
    e = [p[1] for p in pairs]
    w = Windows(s, e)
    assert_normal(w)
    np.testing.assert_array_equal(cells(w), model_from_pairs(s, e))


@settings(max_examples=150, deadline=None)
@given(windows(), windows())
def test_binary_operations_match_model(a, b):
    ca, cb = cells(a), cells(b)
    for result, expected in ((a | b, ca | cb), (a & b, ca & cb), (a - b, ca & ~cb)):
        assert_normal(result)
        np.testing.assert_array_equal(cells(result), expected)


@settings(max_examples=150, deadline=None)
@given(windows(), st.integers(-5, GRID + 5), st.integers(-5, GRID + 5))
def test_complement_and_clip_match_model(a, s, e):
    s, e = min(s, e), max(s, e)
    in_span = (CENTRES > s) & (CENTRES < e)
    comp = a.complement(s, e)
    assert_normal(comp)
    np.testing.assert_array_equal(cells(comp), in_span & ~cells(a))
    clipped = a.clip(s, e)
    assert_normal(clipped)
    np.testing.assert_array_equal(cells(clipped), in_span & cells(a))


@settings(max_examples=150, deadline=None)
@given(windows(), st.integers(-3, 4), st.integers(-3, 4))
def test_pad_matches_model(a, before, after):
    padded = a.pad(before, after)
    assert_normal(padded)
    expected = model_from_pairs(a.starts - before, a.stops + after)
    np.testing.assert_array_equal(cells(padded), expected)


@settings(max_examples=150, deadline=None)
@given(windows(), st.integers(0, 10))
def test_filter_durations_longest(a, dmin):
    runs = np.array([b - s for s, b in a])
    np.testing.assert_array_equal(a.durations, runs.reshape(-1))
    assert a.total_duration == pytest.approx(cells(a).sum())
    f = a.filter_min_duration(dmin)
    assert list(f) == [(s, b) for s, b in a if b - s >= dmin]
    if len(a):
        s, b = a.longest()
        assert b - s == a.durations.max()
    else:
        assert a.longest() is None


@settings(max_examples=150, deadline=None)
@given(windows(), windows(), st.integers(-2, GRID + 2), st.integers(-2, GRID + 2))
def test_identities(a, b, s, e):
    s, e = min(s, e), max(s, e)
    # De Morgan within a span
    lhs = (a | b).complement(s, e)
    rhs = a.complement(s, e) & b.complement(s, e)
    assert lhs == rhs
    lhs = (a & b).complement(s, e)
    rhs = a.complement(s, e) | b.complement(s, e)
    assert lhs == rhs
    # complement involution on the part inside the span
    assert a.complement(s, e).complement(s, e) == a.clip(s, e)
    # inclusion-exclusion of measure
    assert a.total_duration + b.total_duration == (a | b).total_duration + (a & b).total_duration
    # difference as intersection with the complement
    lo, hi = -10, GRID + 10
    assert a - b == a & b.complement(lo, hi)
    assert (a - b) | (a & b) == a


@settings(max_examples=100, deadline=None)
@given(windows())
def test_contains_is_closed(a):
    points = np.arange(-2, GRID + 3, 0.5)
    inside = a.contains(points)
    expected = np.array([any(s <= t <= e for s, e in a) for t in points], dtype=bool)
    np.testing.assert_array_equal(inside, expected)
    for t, flag in zip(points[::7], expected[::7]):
        assert (t in a) == flag


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=0, max_size=30))
def test_from_mask(mask):
    times = np.arange(len(mask)) * 2.0
    w = Windows.from_mask(times, mask)
    expected = []
    i = 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j + 1 < len(mask) and mask[j + 1]:
                j += 1
            if j > i:
                expected.append((times[i], times[j]))
            i = j + 1
        else:
            i += 1
    assert list(w) == expected


def test_zero_length_and_touching():
    assert len(Windows([1.0], [1.0])) == 0
    assert list(Windows([0.0, 1.0], [1.0, 2.0])) == [(0.0, 2.0)]
    assert len(Windows([0.0], [1.0]) & Windows([1.0], [2.0])) == 0
    assert list(Windows([2.0], [3.0]).complement(0.0, 5.0)) == [(0.0, 2.0), (3.0, 5.0)]


def test_immutable_table_isclose():
    w = Windows([5.0, 0.0], [6.0, 1.0])
    with pytest.raises(ValueError):
        w.starts[0] = 3.0
    with pytest.raises(AttributeError):
        w.starts = np.zeros(2)
    table = w.to_table()
    assert table.dtype.names == ("start", "stop", "duration")
    np.testing.assert_array_equal(table["start"], [0.0, 5.0])
    np.testing.assert_array_equal(table["duration"], [1.0, 1.0])
    assert w.isclose(Windows([0.0005, 5.0], [1.0, 6.0]), 1e-3)
    assert not w.isclose(Windows([0.002, 5.0], [1.0, 6.0]), 1e-3)
    assert not w.isclose(Windows([0.0], [1.0]), 1e-3)


def test_input_errors():
    with pytest.raises(InputError):
        Windows([0.0, 1.0], [1.0])
    with pytest.raises(InputError):
        Windows([np.nan], [1.0])
    with pytest.raises(InputError):
        Windows([[0.0]], [[1.0]])
    with pytest.raises(InputError):
        Windows.from_mask([2.0, 1.0], [True, True])
    with pytest.raises(InputError):
        Windows([0.0], [1.0]).complement(3.0, 2.0)


def test_large_input_membership_matches_raw_intervals():
    rng = np.random.default_rng(1)
    s = rng.uniform(0, 1e6, 200_000)
    e = s + rng.uniform(0, 10, s.size)
    w = Windows(s, e)
    assert_normal(w)
    probe = rng.uniform(0, 1e6, 500)
    direct = np.array([np.any((s <= t) & (t <= e)) for t in probe])
    np.testing.assert_array_equal(w.contains(probe), direct)
    assert w.total_duration <= float(np.sum(e - s))
