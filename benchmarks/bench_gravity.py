"""Benchmark: microseconds per spherical-harmonic acceleration evaluation.

    python benchmarks/bench_gravity.py            # degrees 70 and 200

``time_lunarscope_gravity(degree, n_points)`` is the single-point cost as a propagator pays
it: an njit loop calling ``kernel.accel`` once per point (one point per call, no batching).
Degree 70 uses the shipped GRGM1200A; higher degrees use a synthetic Kaula-like field
(cost does not depend on the coefficient values). Compile time is excluded (warm-up call).
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from lunarscope.gravity import GravityField, builtin_field
from lunarscope.gravity import kernel as K


@njit(cache=True)
def _loop(points, C, S, gm, R, nmax, mmax, al, be, ga):
    acc = np.zeros(3)
    for i in range(points.shape[0]):
        a = K.accel(points[i], C, S, gm, R, nmax, mmax, al, be, ga)
        acc += a
    return acc


@njit(cache=True)
def _loop_grad(points, C, S, gm, R, nmax, mmax, al, be, ga):
    acc = 0.0
    for i in range(points.shape[0]):
        a, h = K.accel_and_gradient(points[i], C, S, gm, R, nmax, mmax, al, be, ga)
        acc += a[0] + h[0, 0]
    return acc


def _field(degree: int) -> GravityField:
    base = builtin_field("GRGM1200A")
    if degree <= base.degree_max:
        return base.truncated(degree, degree)
    rng = np.random.default_rng(0)
    n = np.arange(degree + 1)[:, None]
    sig = np.where(n >= 2, 2.5e-4 / np.maximum(n, 1) ** 2, 0.0)
    C = np.tril(sig * rng.standard_normal((degree + 1, degree + 1)))
    S = np.tril(sig * rng.standard_normal((degree + 1, degree + 1)))
    C[0, 0] = 1.0
    return GravityField(base.gm_km3_s2, base.radius_km, degree, degree, C, S, name="bench")


def _points(n_points: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    v = rng.normal(size=(n_points, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    return v * rng.uniform(1750.0, 5000.0, size=n_points)[:, None]


def time_lunarscope_gravity(degree: int, n_points: int = 2000, gradient: bool = False) -> float:
    """Microseconds per single-point acceleration (or acceleration+gradient) evaluation."""
    args = _field(degree).kernel_args()
    pts = _points(n_points)
    fn = _loop_grad if gradient else _loop
    fn(pts[:2], *args)  # compile / load cache
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        fn(pts, *args)
        best = min(best, time.perf_counter() - t0)
    return best / n_points * 1e6


def main() -> None:
    for degree, n in ((70, 5000), (200, 1000)):
        us = time_lunarscope_gravity(degree, n)
        usg = time_lunarscope_gravity(degree, n, gradient=True)
        print(f"degree {degree:4d}: {us:8.2f} us/accel   {usg:8.2f} us/accel+gradient")


if __name__ == "__main__":
    main()
