"""Deterministic synthetic lunar-like gravity fields for tests (shared with the reference script).

Coefficients are uniform random numbers from a splitmix64 stream (pure integer arithmetic, so
identical on every platform and numpy version) scaled to a Kaula-like rule for the Moon:
per-coefficient rms sigma_n = KAULA_K / n^2 (GRAIL: Zuber et al. 2013, Science 339, 668).
"""

from __future__ import annotations

import numpy as np

from lunarscope.gravity import GravityField

KAULA_K = 2.5e-4
GM_KM3_S2 = 4902.80011526323
RADIUS_KM = 1738.0


def _splitmix64(count: int, seed: int) -> np.ndarray:
    """Uniform floats in [0, 1) from splitmix64 (Steele, Lea & Flood 2014)."""
    with np.errstate(over="ignore"):
        idx = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(seed) + idx * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def synthetic_field(nmax: int, seed: int = 20240601) -> GravityField:
    """Field of degree ``nmax`` with C00 = 1, degree 1 = 0 and Kaula-scaled random terms."""
    size = nmax + 1
    u = _splitmix64(2 * size * size, seed).reshape(2, size, size)
    n = np.arange(size, dtype=np.float64)[:, None]
    sigma = np.where(n >= 2, KAULA_K / np.maximum(n, 1.0) ** 2, 0.0)
    C = np.sqrt(3.0) * sigma * (2.0 * u[0] - 1.0)
    S = np.sqrt(3.0) * sigma * (2.0 * u[1] - 1.0)
    C = np.tril(C)
    S = np.tril(S)
    S[:, 0] = 0.0
    C[0, 0] = 1.0
    return GravityField(
        gm_km3_s2=GM_KM3_S2,
        radius_km=RADIUS_KM,
        degree_max=nmax,
        order_max=nmax,
        C=C,
        S=S,
        frame="MOON_PA",
        name=f"synthetic-{nmax}-{seed}",
        source="tests/gravity/gravity_synthetic.py",
    )
