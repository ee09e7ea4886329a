"""Where one 10x10 orbit-day's time goes: the right-hand side's parts, the kernel, the Python.

Runs, in one process and alternately (minima of ``--rounds``):

- numba loops over the whole right-hand side (``moon_rhs``), the span fit (``span_eval``), the
  one-point field sum through ``accel_into`` and called directly (``_accel_packed``, what
  ``moon_rhs`` calls), and the two small allocations ``moon_rhs`` makes per call (ns per call);
- ``--orbits`` orbits x 1 d through the compiled RKN12 kernel alone and through ``propagate``
  (ms per orbit; the difference is the Python around the kernel);
- the lanes path of ``propagate_many`` (``dynamics.rkn12_lanes``): the 8-point field sum
  (``accel_lanes``, compiled with LLVM's SLP vectoriser as ``intrinsics.njit_slp`` does, and a
  copy compiled as numba does by default), the lanes' right-hand side (``moon_accel_lanes``) and
  the 16 stages of one step (``_stages``), in ns per lane (and evaluation); and the same orbits
  through the lanes kernel (``propagate_many`` on one thread).

The orbits and force model are ``bench_batch.py``'s (GRGM1200A truncated to ``--degree``, Earth,
Sun, MOON_PA, 2030-01-01), RKN12 at rtol 1e-8, atol 1e-5 km (its equal-accuracy tolerance at
10x10). To compare two commits, run this file from each (``git worktree add /tmp/old <commit>``,
``PYTHONPATH=/tmp/old/src python /tmp/old/benchmarks/rhs_breakdown.py``), alternately.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from bench_batch import T0_TDB, orbits

from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.dynamics.batch import propagate_many
from lunarscope.dynamics.forces import ForceModel, impact_event, moon_accel_lanes, moon_rhs, span_eval
from lunarscope.dynamics.integrators import _kernel_entry
from lunarscope.dynamics.propagator import propagate
from lunarscope.dynamics.rkn12_lanes import _stages
from lunarscope.dynamics.rkn12_tableau import N_STAGES
from lunarscope.gravity import builtin_field
from lunarscope.gravity.kernel import LANES, _accel_packed, accel_into, accel_lanes
from lunarscope.sources import Sources

RTOL = 1e-8
ATOL_KM = 1e-5
CALLS = 200_000  # calls per numba loop
DAY_S = 86400.0


@numba.njit
def _loop_rhs(n, y, args):
    s = 0.0
    for i in range(n):
        s += moon_rhs(T0_TDB + i * 0.8, y, args)[4]
    return s


@numba.njit
def _loop_span(n, args):
    geo = args[5]
    g = np.empty(geo.shape[2])
    s = 0.0
    for i in range(n):
        span_eval(T0_TDB + i * 0.8, geo, args[6], args[7], g)
        s += g[4]
    return s


@numba.njit
def _loop_accel_into(n, y, args):
    grav = args[0]
    out = np.empty(3)
    r = y[:3].copy()
    s = 0.0
    for _ in range(n):
        r[0] += 1e-9
        accel_into(r, *grav, out)
        s += out[1]
    return s


@numba.njit
def _loop_packed(n, y, args):
    grav = args[0]
    out = np.empty(3)
    x = y[0]
    s = 0.0
    for _ in range(n):
        x += 1e-9
        _accel_packed(x, y[1], y[2], grav[9], grav[2], grav[3], grav[4], grav[5], out)
        s += out[1]
    return s


@numba.njit
def _loop_alloc(n, ncomp):
    s = 0.0
    for i in range(n):
        a = np.empty(ncomp)
        b = np.empty(6)
        a[0] = i
        b[0] = a[0]
        s += b[0]
    return s


def _field_lanes_loop(field_fn):
    """A compiled loop over ``field_fn`` (accel_lanes or a copy compiled another way)."""

    @numba.njit
    def loop(n, r, args):
        grav = args[0]
        x, y, z = r[0].copy(), r[1].copy(), r[2].copy()
        ax, ay, az = np.empty(LANES), np.empty(LANES), np.empty(LANES)
        s = 0.0
        for _ in range(n):
            x[0] += 1e-9
            field_fn(x, y, z, grav[9], grav[2], grav[3], grav[4], grav[5], ax, ay, az)
            s += ax[1]
        return s

    return loop


@numba.njit
def _loop_rhs_lanes(n, r, args):
    g = np.empty((LANES, args[5].shape[2]))
    acc = np.empty((3, LANES))
    ts = np.empty(LANES)
    s = 0.0
    for i in range(n):
        for p in range(LANES):
            ts[p] = T0_TDB + i * 0.8 + p
        moon_accel_lanes(ts, r, args, g, acc)
        s += acc[0, 1]
    return s


def _loop_stages(n, states, args):
    t = np.full(LANES, T0_TDB)
    h = np.full(LANES, 700.0)
    y = np.ascontiguousarray(states.T)
    a0 = np.zeros((3, LANES))
    f = np.empty((N_STAGES, 3, LANES))
    r = np.empty((3, LANES))
    ts = np.empty(LANES)
    g = np.empty((LANES, args[5].shape[2]))
    acc = np.empty((3, LANES))
    y_new = np.empty((6, LANES))
    err = np.empty((6, LANES))
    s = 0.0
    for _ in range(n):
        y[0, 0] += 1e-9
        _stages(t, y, a0, h, args, f, r, ts, g, acc, y_new, err)
        s += y_new[0, 1]
    return s


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--degree", type=int, default=10)
    ap.add_argument("--orbits", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=4)
    a = ap.parse_args(argv)
    src = Sources.default()
    field = builtin_field("GRGM1200A").truncated(a.degree)
    fm = ForceModel(field, "MOON_PA", ("earth", "sun"), ephemeris=src.ephemeris, moon_pck=src.moon_pck)
    t1 = T0_TDB + DAY_S
    args = fm.args(T0_TDB, t1, MOON_RADIUS_KM)
    states = orbits(a.orbits, field.gm_km3_s2)
    y = states[0]
    ncomp = args[5].shape[2]
    loops = {
        "moon_rhs (whole right-hand side)": lambda: _loop_rhs(CALLS, y, args),
        "span fit (Earth, Sun, rotation)": lambda: _loop_span(CALLS, args),
        "field through accel_into": lambda: _loop_accel_into(CALLS, y, args),
        "field called directly (moon_rhs's path)": lambda: _loop_packed(CALLS, y, args),
        "two allocations (moon_rhs's per call)": lambda: _loop_alloc(CALLS, ncomp),
    }
    atol = np.array([ATOL_KM] * 3 + [ATOL_KM * 1e-3] * 3)
    entry, rhs_c, event_c, _ = _kernel_entry(moon_rhs, impact_event, args, "rkn12")

    def kernel_only():
        for s in states:
            entry(rhs_c, event_c, T0_TDB, s, t1, args, RTOL, atol, np.inf, 0.0, 1_000_000, 0.0, 1e-6)

    def through_propagate():
        for s in states:
            propagate(s, T0_TDB, t1, fm, rtol=RTOL, atol_km=ATOL_KM, method="rkn12")

    lane_states = states[:LANES] if len(states) >= LANES else np.resize(states, (LANES, 6))
    r_lanes = np.ascontiguousarray(lane_states[:, :3].T)
    # the field sum as the lanes kernel compiles it (intrinsics.njit_slp) and as numba would by default
    accel_lanes_default = numba.njit(error_model="numpy")(accel_lanes.py_func)
    lanes = {
        "lanes field sum (accel_lanes), SLP vectoriser on": _field_lanes_loop(accel_lanes),
        "lanes field sum, numba's default compilation (SLP off)": _field_lanes_loop(accel_lanes_default),
        "lanes right-hand side (moon_accel_lanes)": _loop_rhs_lanes,
        "16 lanes stages (_stages), per evaluation": _loop_stages,
    }
    lane_args = {name: (lane_states.copy(), args) if "stages" in name else (r_lanes, args) for name in lanes}
    per_call = {name: N_STAGES - 1 if "stages" in name else 1 for name in lanes}
    # CALLS / 4 evaluations per lane in each loop
    lanes = {
        name: (lambda f=fn, ra=lane_args[name], k=per_call[name]: f(CALLS // k // 4, *ra)) for name, fn in lanes.items()
    }

    def through_lanes():
        propagate_many(states, T0_TDB, t1, fm, rtol=RTOL, atol_km=ATOL_KM, method="rkn12", workers=1)

    runs = {**loops, **lanes, "kernel": kernel_only, "propagate": through_propagate}
    runs["lanes"] = through_lanes
    for run in runs.values():  # compile
        run()
    best = dict.fromkeys(runs, np.inf)
    for _ in range(a.rounds):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t)
    n_rhs = propagate(y, T0_TDB, t1, fm, rtol=RTOL, atol_km=ATOL_KM, method="rkn12").n_rhs
    print(f"{a.degree}x{a.degree} + Earth + Sun, minima of {a.rounds} rounds:")
    for name in loops:
        print(f"  {name:42s} {best[name] / CALLS * 1e9:6.0f} ns per call")
    for name in lanes:
        print(f"  {name:58s} {best[name] / (CALLS // 4) / LANES * 1e9:6.1f} ns per lane")
    k = best["kernel"] / a.orbits * 1e3
    p = best["propagate"] / a.orbits * 1e3
    q = best["lanes"] / a.orbits * 1e3
    print(
        f"  RKN12 rtol {RTOL:g}, 1 d: kernel {k:.3f} ms per orbit ({n_rhs} evaluations, "
        f"{k / n_rhs * 1e6:.0f} ns each), propagate {p:.3f} ms, Python around the kernel {p - k:.3f} ms"
    )
    print(
        f"  the same {a.orbits} orbits through the lanes kernel (propagate_many, 1 thread): {q:.3f} ms per orbit "
        f"-> {p / q:.2f}x propagate"
    )


if __name__ == "__main__":
    main()
