"""Benchmark: many orbits at once, ``propagate_many`` vs the serial loop of ``propagate``.

    python benchmarks/bench_batch.py                          # 100 orbits x 1 d at 20x20
    python benchmarks/bench_batch.py --orbits 1000 --degree 10
    python benchmarks/bench_batch.py --orbits 20 --hours 6     # quick

Orbits: near-circular lunar orbits, 100-300 km altitude, inclinations and nodes spread over
the sphere, GRGM1200A truncated to ``--degree`` in MOON_PA + Earth + Sun, DOP853 at the
propagator defaults (rtol 1e-12). The serial loop and ``propagate_many`` run interleaved
(``--rounds``, minimum kept); the printed ratio is serial / batch, and the states of both at the
end of the span are compared (they must be identical: every orbit is the single-orbit run).
The CPU seconds of both (workers included) are printed too: on shared, busy cores the wall-clock
ratio understates what idle cores give; serial CPU / (batch CPU / workers) is the ratio idle
cores would show (it assumes the workers' CPU time spreads evenly).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from lunarscope.dynamics.batch import default_workers, propagate_many
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.gravity import builtin_field
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.sources import Sources

T0_TDB = 946728069.183926  # 2030-01-01T00:00:00Z
ALT_MIN_KM = 100.0
ALT_MAX_KM = 300.0


def orbits(m: int, gm: float, seed: int = 3) -> np.ndarray:
    """(m, 6) Moon-centred ICRF states of near-circular orbits (km, km/s)."""
    rng = np.random.default_rng(seed)
    out = np.empty((m, 6))
    for i in range(m):
        a = 1737.4 + rng.uniform(ALT_MIN_KM, ALT_MAX_KM)
        inc = np.arccos(rng.uniform(-1.0, 1.0))
        out[i] = np.asarray(
            keplerian_to_cartesian(a, 0.01 * rng.uniform(), inc, rng.uniform(0, 2 * np.pi), 0.0, 0.0, gm), float
        ).reshape(6)
    return out


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orbits", type=int, default=100)
    ap.add_argument("--degree", type=int, default=20)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=None, help="processes (default: the available cores)")
    a = ap.parse_args(argv)
    src = Sources.default()
    field = builtin_field("GRGM1200A").truncated(a.degree)
    fm = ForceModel(field, "MOON_PA", ("earth", "sun"), ephemeris=src.ephemeris, moon_pck=src.moon_pck)
    states = orbits(a.orbits, field.gm_km3_s2)
    t1 = T0_TDB + a.hours * 3600.0
    propagate(states[0], T0_TDB, T0_TDB + 600.0, fm)  # compile / load caches
    workers = a.workers or default_workers()
    best_serial = best_batch = cpu_serial = cpu_batch = np.inf
    for _ in range(a.rounds):
        c, t = _cpu_s(), time.perf_counter()
        serial = [propagate(s, T0_TDB, t1, fm) for s in states]
        best_serial = min(best_serial, time.perf_counter() - t)
        cpu_serial = min(cpu_serial, _cpu_s() - c)
        c, t = _cpu_s(), time.perf_counter()
        batch = propagate_many(states, T0_TDB, t1, fm, workers=workers)
        best_batch = min(best_batch, time.perf_counter() - t)
        cpu_batch = min(cpu_batch, _cpu_s() - c)
    same = all(
        np.array_equal(p.trajectory.state([t1]), q.trajectory.state([t1])) and p.n_rhs == q.n_rhs
        for p, q in zip(serial, batch)
    )
    steps = sum(r.n_steps for r in serial)
    print(
        f"{a.orbits} orbits x {a.hours:g} h at {a.degree}x{a.degree} + Earth + Sun: serial {best_serial:.2f} s, "
        f"propagate_many ({workers} workers) {best_batch:.2f} s -> {best_serial / best_batch:.2f}x; "
        f"{steps / a.orbits:.0f} steps/orbit; identical to the single runs: {same}; "
        f"CPU s serial {cpu_serial:.2f}, batch (all processes) {cpu_batch:.2f} -> idle-core bound "
        f"{cpu_serial / (cpu_batch / workers):.2f}x (serial CPU / (batch CPU / {workers}))"
    )


if __name__ == "__main__":
    main()
