"""Benchmark: microseconds per spherical-harmonic acceleration, lunarscope vs heyoka's compiled
function on the same points in the same run.

    python benchmarks/bench_gravity.py                       # degrees 10, 20, 70, 200
    python benchmarks/bench_gravity.py --degrees 70 --rounds 7
    python benchmarks/bench_gravity.py --heyoka-max-degree 0 # lunarscope only

Contenders (all warm: compile time excluded, reported separately for heyoka):

* ``single``: the propagator's path, an njit loop calling ``kernel.accel_into`` once per point
  (``time_lunarscope_gravity``, also used by ``bench_propagation.py``); ``rhs``: the whole
  right-hand side ``forces.moon_rhs`` (rotation to MOON_PA, Earth and Sun from DE440, field)
  once per point, i.e. one force evaluation inside the integrator;
* ``batch``: ``kernel.accel_many`` on all points at once (SIMD over points, one thread);
* ``batch2``: ``kernel.accel_many_parallel`` (the same blocks over all cores);
* heyoka: ``heyoka.model.sh_gravity_acc`` compiled with ``heyoka.cfunc`` (SIMD batch over the
  points), called with ``batch_parallel=False`` (one thread) and ``True`` (all cores).

Each round times every contender once, interleaved; a contender's figure is its minimum over
the rounds and the printed ratios are ratios of minima (other jobs share the cores). One-thread
contenders are timed by the thread's CPU time, threaded ones by the wall clock (``THREADED``).
Degree 70 uses the shipped GRGM1200A; higher degrees a synthetic Kaula-like field (cost does
not depend on the coefficient values). heyoka's compile time grows fast with degree (~1 min at
70 on the development machine), hence ``--heyoka-max-degree`` (default 70).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numba import njit

from lunarscope.dynamics.forces import ForceModel, moon_rhs
from lunarscope.gravity import GravityField, builtin_field
from lunarscope.gravity import kernel as K
from lunarscope.sources import Sources

T0_TDB = 946728069.183926  # 2030-01-01T00:00:00Z, epoch of the right-hand-side timing
POINT_R_MIN_KM = 1750.0
POINT_R_MAX_KM = 5000.0
"""Radii of the random benchmark points (km): low lunar orbit to a few radii."""


@njit(cache=True)
def _loop(points, C, S, gm, R, nmax, mmax, al, be, ga, pk):
    acc = np.zeros(3)
    out = np.empty(3)
    for i in range(points.shape[0]):
        K.accel_into(points[i], C, S, gm, R, nmax, mmax, al, be, ga, pk, out)
        acc += out
    return acc


@njit(cache=True)
def _loop_rhs(points, times, rhs_args):
    """The full right-hand side (rotation, ephemerides, field) once per point: the cost the
    integrator pays per force evaluation."""
    acc = 0.0
    y = np.zeros(6)
    for i in range(points.shape[0]):
        y[0] = points[i, 0]
        y[1] = points[i, 1]
        y[2] = points[i, 2]
        acc += moon_rhs(times[i], y, rhs_args)[3]
    return acc


@njit(cache=True)
def _loop_grad(points, C, S, gm, R, nmax, mmax, al, be, ga, pk):
    acc = 0.0
    for i in range(points.shape[0]):
        a, h = K.accel_and_gradient(points[i], C, S, gm, R, nmax, mmax, al, be, ga, pk)
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
    return v * rng.uniform(POINT_R_MIN_KM, POINT_R_MAX_KM, size=n_points)[:, None]


def _best_us(fn, n_points: int, repeats: int, clock=time.perf_counter) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best / n_points * 1e6


THREADED = ("batch2", "heyoka2")
"""Contenders that run on several threads: timed by the wall clock. The others run in the
calling thread and are timed by its CPU time (``time.thread_time``), so time slices the
scheduler gives to other jobs on shared cores do not count against either tool."""


def time_lunarscope_gravity(degree: int, n_points: int = 2000, gradient: bool = False) -> float:
    """Microseconds per single-point acceleration (or acceleration+gradient) evaluation."""
    args = _field(degree).kernel_args()
    pts = _points(n_points)
    fn = _loop_grad if gradient else _loop
    fn(pts[:2], *args)  # compile / load cache
    return _best_us(lambda: fn(pts, *args), n_points, 3)


def heyoka_cfunc(field: GravityField):
    """heyoka compiled acceleration of ``field`` (inputs x, y, z in km; outputs km/s^2) and its
    compile time (s). heyoka's coefficient convention is the same 4pi normalization (Montenbruck
    & Gill 2000, sec. 3.2) ordered by degree, then order."""
    import heyoka as hy

    x, y, z = hy.make_vars("x", "y", "z")
    coefs = [[float(field.C[n, m]), float(field.S[n, m])] for n in range(field.degree_max + 1) for m in range(n + 1)]
    acc = hy.model.sh_gravity_acc([x, y, z], coefs, field.gm_km3_s2, field.radius_km)
    t0 = time.perf_counter()
    cf = hy.cfunc(acc, [x, y, z])
    return cf, time.perf_counter() - t0


def run(degree: int, n_points: int, rounds: int, with_heyoka: bool) -> dict:
    """One interleaved comparison at ``degree``; returns the minima (us/point) and agreement."""
    field = _field(degree)
    args = field.kernel_args()
    pts = _points(n_points)
    pts_t = np.ascontiguousarray(pts.T)
    out_t = np.empty((3, n_points))
    src = Sources.default()
    fm = ForceModel(field, "MOON_PA", ("earth", "sun"), ephemeris=src.ephemeris, moon_pck=src.moon_pck)
    rhs_args = fm.args(T0_TDB, T0_TDB + 86400.0)
    times = T0_TDB + np.linspace(0.0, 86400.0, n_points)
    contenders = {
        "single": lambda: _loop(pts, *args),
        "rhs": lambda: _loop_rhs(pts, times, rhs_args),
        "batch": lambda: K.accel_many(pts, *args),
        "batch2": lambda: K.accel_many_parallel(pts, *args),
    }
    row = {"degree": degree, "points": n_points}
    if with_heyoka:
        cf, row["heyoka_compile_s"] = heyoka_cfunc(field)
        contenders["heyoka"] = lambda: cf(pts_t, outputs=out_t, batch_parallel=False)
        contenders["heyoka2"] = lambda: cf(pts_t, outputs=out_t, batch_parallel=True)
    for fn in contenders.values():  # compile / load caches, warm up threads
        fn()
    best = dict.fromkeys(contenders, np.inf)
    for _ in range(rounds):
        for name, fn in contenders.items():
            clock = time.perf_counter if name in THREADED else time.thread_time
            best[name] = min(best[name], _best_us(fn, n_points, 1, clock))
    row.update(best)
    ref = K.accel_and_gradient_many(pts[:200], *args)[0]  # independent n-by-n sum
    scale = np.linalg.norm(ref, axis=1)
    row["agree_batch"] = float(np.max(np.linalg.norm(K.accel_many(pts[:200], *args) - ref, axis=1) / scale))
    if with_heyoka:
        cf(pts_t, outputs=out_t)
        row["agree_heyoka"] = float(np.max(np.linalg.norm(out_t.T[:200] - ref, axis=1) / scale))
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--degrees", default="10,20,70,200", help="comma-separated degrees (default 10,20,70,200)")
    ap.add_argument("--points", type=int, default=5000, help="points per timed call (default 5000)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; minima are kept (default 5)")
    ap.add_argument("--heyoka-max-degree", type=int, default=70, help="skip heyoka above this degree (default 70)")
    a = ap.parse_args(argv)
    try:
        import heyoka  # noqa: F401

        have_heyoka = True
    except ImportError:
        have_heyoka = False
        print("heyoka not installed (pip install heyoka): lunarscope only")
    for degree in (int(d) for d in a.degrees.split(",")):
        n = a.points if degree <= 100 else max(200, a.points // 5)
        r = run(degree, n, a.rounds, have_heyoka and degree <= a.heyoka_max_degree)
        line = (
            f"degree {degree:4d}: single {r['single']:7.3f} (whole rhs {r['rhs']:7.3f})  batch {r['batch']:7.3f}  "
            f"batch 2 threads {r['batch2']:7.3f} us/point"
        )
        if "heyoka" in r:
            line += (
                f" | heyoka 1 thread {r['heyoka']:7.3f}, all threads {r['heyoka2']:7.3f} us/point "
                f"(compile {r['heyoka_compile_s']:.1f} s) | ratio heyoka/lunarscope: "
                f"1 thread {r['heyoka'] / r['batch']:.2f}x, all threads {r['heyoka2'] / r['batch2']:.2f}x, "
                f"single-point vs heyoka batch {r['heyoka'] / r['single']:.2f}x"
            )
        line += f" | rel. diff vs n-by-n sum: batch {r['agree_batch']:.1e}"
        if "agree_heyoka" in r:
            line += f", heyoka {r['agree_heyoka']:.1e}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
