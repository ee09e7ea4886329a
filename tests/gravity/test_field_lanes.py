"""accel_lanes: the one-point field sum over 8 points at once, with each point's bits."""

import numba
import numpy as np
import pytest

from lunarscope.gravity import builtin_field
from lunarscope.gravity.kernel import LANES, _accel_packed, accel_lanes
from lunarscope.intrinsics import fma, stack_empty1, stack_empty2, stack_empty3


@pytest.mark.parametrize("degree", [2, 10, 70])
def test_accel_lanes_equals_the_one_point_kernel(degree):
    f = builtin_field("GRGM1200A").truncated(degree)
    k = f.kernel_args()
    rng = np.random.default_rng(degree)
    ax, ay, az, one = np.empty(LANES), np.empty(LANES), np.empty(LANES), np.empty(3)
    for _ in range(50):
        r = rng.normal(size=(3, LANES))
        r *= (1740.0 + rng.uniform(0.0, 5000.0, LANES)) / np.linalg.norm(r, axis=0)
        r[:, 0] = (0.0, 0.0, 1800.0)  # a pole
        x, y, z = (np.ascontiguousarray(c) for c in r)
        accel_lanes(x, y, z, k[9], k[2], k[3], k[4], k[5], ax, ay, az)
        for p in range(LANES):
            _accel_packed(x[p], y[p], z[p], k[9], k[2], k[3], k[4], k[5], one)
            assert np.array_equal(one, [ax[p], ay[p], az[p]])


@numba.njit
def _use_stack(x):
    a = stack_empty1(4)
    b = stack_empty2(3, 4)
    c = stack_empty3(2, 3, 4)
    for i in range(4):
        a[i] = x + i
        for m in range(3):
            b[m, i] = a[i] * m
            for q in range(2):
                c[q, m, i] = b[m, i] + q
    return a.sum(), b.sum(), c.sum(), b.shape, c.strides


def test_stack_arrays_have_their_shapes_and_hold_values():
    sa, sb, sc, shape, strides = _use_stack(1.0)
    a = 1.0 + np.arange(4)
    b = a[None, :] * np.arange(3)[:, None]
    assert (sa, sb, sc) == (a.sum(), b.sum(), 2 * b.sum() + 12.0)
    assert shape == (3, 4) and strides == (96, 32, 8)


@numba.njit
def _fma(a, b, c):
    return fma(a, b, c)


def test_fma_rounds_once():
    # 0.1 * 10 rounds to exactly 1.0; fused, the product's error 2^-54 survives
    assert 0.1 * 10.0 - 1.0 == 0.0
    assert _fma(0.1, 10.0, -1.0) == 2.0**-54
