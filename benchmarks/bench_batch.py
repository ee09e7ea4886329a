"""Benchmark: many orbits at once, ``propagate_many`` vs the serial loop of ``propagate``.

    python benchmarks/bench_batch.py                          # 100 orbits x 1 d at 20x20
    python benchmarks/bench_batch.py --orbits 1000 --degree 10
    python benchmarks/bench_batch.py --orbits 20 --hours 6     # quick
    python benchmarks/bench_batch.py --orbits 100 --degree 10 --heyoka   # + heyoka batch / ensemble
    python benchmarks/bench_batch.py --orbits 100 --degree 10 --heyoka --method rkn12

Orbits: near-circular lunar orbits, 100-300 km altitude, inclinations and nodes spread over
the sphere, GRGM1200A truncated to ``--degree`` in MOON_PA + Earth + Sun, ``--method`` (DOP853
by default, or RKN12) at the propagator defaults (rtol 1e-12). The serial loop and ``propagate_many`` run interleaved
(``--rounds``, minimum kept); the printed ratio is serial / batch, and the states of both at the
end of the span are compared (they must be identical: every orbit is the single-orbit run).
The CPU seconds of both (workers included) are printed too: on shared, busy cores the wall-clock
ratio understates what idle cores give; serial CPU / (batch CPU / workers) is the ratio idle
cores would show (it assumes the workers' CPU time spreads evenly).

``--heyoka`` (``heyoka_batch_anchor.py``): the same orbits and span in heyoka's batch mode
(``taylor_adaptive_batch``, one thread, SIMD lanes) and ensemble mode (``ensemble_propagate_until``
over ``--workers`` threads, of scalar and of batch integrators), in the same rounds, interleaved.
Equal accuracy first: on the first ``LADDER_ORBITS`` orbits each tool's tolerance ladder is run
(heyoka in compact mode: same orders and steps, compiles in seconds), and each tool is timed at
its loosest tolerance within 1 m (600 s grid over the span) of its own tightest run.
heyoka is then compiled at that tolerance (``--heyoka-compact``: compact mode, else the default
full mode whose compile takes minutes); compile times are printed apart from the propagation.
Ratios: heyoka time / ``propagate_many`` time, wall and CPU seconds.
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
LADDER_ORBITS = 8  # orbits on which each tool's tolerance ladder is run (--heyoka)
# lunarscope ladder, loose -> tight (atol_km = rtol x 1000 km)
LS_RTOLS = (1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13)
LS_REF_RTOL = 1e-14
HY_TOLS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14)  # heyoka ladder, loose -> tight
HY_REF_TOL = 1e-15
HALF_DECADE = 10**-0.5  # --half-decades: each ladder also gets the rungs tol x 10^-0.5 (3.2e-8, ...)
ATOL_KM_PER_RTOL = 1000.0
ONE_METRE_KM = 1e-3  # equal-accuracy criterion: <= 1 m over the span against the tool's tightest run
GRID_STEP_S = 600.0
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


def _with_half_decades(tols):
    """The ladder ``tols`` (decades) with a rung halfway (in log) below each: 1e-8, 3.2e-9, 1e-9, ..."""
    return tuple(sorted({*tols, *(t * HALF_DECADE for t in tols[:-1])}, reverse=True))


def _ladders(fm, states, t0, t1, system, method="dop853", half=False):
    """Loosest tolerance of each tool within 1 m of its own tightest run on ``states``; prints the rungs."""
    import heyoka_batch_anchor as hya

    grid = np.arange(0.0, t1 - t0, GRID_STEP_S)
    grid = np.append(grid, t1 - t0) if grid[-1] < t1 - t0 else grid

    def ours(rtol):
        return np.array(
            [
                propagate(s, t0, t1, fm, rtol=rtol, atol_km=rtol * ATOL_KM_PER_RTOL, method=method).trajectory.position(
                    t0 + grid
                )
                for s in states
            ]
        )

    def theirs(tol):
        ta, _ = hya.batch_integrator(system, tol, compact_mode=True)
        return hya.grid_positions(ta, states, grid)

    picked = {}
    for tool, run, ref_tol, tols in (
        ("lunarscope", ours, LS_REF_RTOL, LS_RTOLS),
        ("heyoka", theirs, HY_REF_TOL, HY_TOLS),
    ):
        ref = run(ref_tol)
        picked[tool] = ref_tol
        for tol in sorted(_with_half_decades(tols) if half else tols):  # tight -> loose: stop at the first that misses
            err = float(np.max(np.linalg.norm(run(tol) - ref, axis=2)))
            print(f"  ladder {tool:10s} tol {tol:.2g}: max |dr| vs {ref_tol:.0e} over the span {err * 1e3:9.4f} m")
            if err > ONE_METRE_KM:
                break
            picked[tool] = tol
        picked[tool + "_ref"] = ref
    d = float(np.max(np.linalg.norm(picked["lunarscope_ref"] - picked["heyoka_ref"], axis=2)))
    print(f"  tightest runs, lunarscope vs heyoka (the physics' difference): max |dr| {d * 1e3:.3f} m")
    return picked["lunarscope"], picked["heyoka"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orbits", type=int, default=100)
    ap.add_argument("--degree", type=int, default=20)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--workers", type=int, default=None, help="threads of propagate_many (default: the available cores)"
    )
    ap.add_argument(
        "--heyoka", action="store_true", help="add heyoka batch and ensemble modes (heyoka_batch_anchor.py)"
    )
    ap.add_argument("--heyoka-compact", action="store_true", help="time heyoka in compact mode (compiles in seconds)")
    ap.add_argument("--method", choices=("dop853", "rkn12"), default="dop853", help="lunarscope integrator")
    ap.add_argument(
        "--half-decades",
        action="store_true",
        help="both tolerance ladders also get the rungs halfway between decades (1e-8, 3.2e-9, 1e-9, ...)",
    )
    a = ap.parse_args(argv)
    src = Sources.default()
    field = builtin_field("GRGM1200A").truncated(a.degree)
    fm = ForceModel(field, "MOON_PA", ("earth", "sun"), ephemeris=src.ephemeris, moon_pck=src.moon_pck)
    states = orbits(a.orbits, field.gm_km3_s2)
    t1 = T0_TDB + a.hours * 3600.0
    meth = a.method
    propagate(states[0], T0_TDB, T0_TDB + 600.0, fm, method=meth)  # compile / load caches
    workers = a.workers or default_workers()
    hy_runs = {}
    if a.heyoka:
        import heyoka_batch_anchor as hya

        system, info = hya.build_system(fm, T0_TDB, t1)
        print(
            f"heyoka model: uniform rotation about a fixed axis, {info['rotation_arcsec']:.3f} arcsec from MOON_PA "
            f"at most over the span (axis {info['axis_from_pa_pole_arcsec']:.1f} arcsec from the PA pole); "
            f"Earth / Sun polynomials within {info['earth_fit_m'] * 1e3:.3f} / {info['sun_fit_m'] * 1e3:.3f} mm of DE440"
        )
        ls_rtol, hy_tol = _ladders(fm, states[:LADDER_ORBITS], T0_TDB, t1, system, meth, a.half_decades)
        print(f"equal accuracy (<= 1 m vs own tightest): lunarscope rtol {ls_rtol:.2g}, heyoka tol {hy_tol:.2g}")
        ta_b, c_b = hya.batch_integrator(system, hy_tol, compact_mode=a.heyoka_compact)
        ta_s, c_s = hya.scalar_integrator(system, hy_tol, compact_mode=a.heyoka_compact)
        mode = "compact" if a.heyoka_compact else "full"
        print(
            f"heyoka compile ({mode} mode, order {ta_b.order}): batch (SIMD width {ta_b.batch_size}) {c_b:.1f} s, "
            f"scalar {c_s:.1f} s"
        )
        span = t1 - T0_TDB
        hy_runs = {
            "heyoka batch (1 thread)": lambda: hya.run_batch(ta_b, states, span),
            f"heyoka ensemble ({workers} threads)": lambda: hya.run_ensemble(ta_s, states, span, workers),
            f"heyoka ensemble of batch ({workers} threads)": lambda: hya.run_ensemble_batch(
                ta_b, states, span, workers
            ),
        }
        if ls_rtol != 1e-12:
            hy_runs["lunarscope propagate_many at equal accuracy"] = lambda: propagate_many(
                states,
                T0_TDB,
                t1,
                fm,
                rtol=ls_rtol,
                atol_km=ls_rtol * ATOL_KM_PER_RTOL,
                workers=workers,
                method=meth,
            )
    best_serial = best_batch = cpu_serial = cpu_batch = np.inf
    hy_best = {k: [np.inf, np.inf] for k in hy_runs}
    hy_final = {}
    for _ in range(a.rounds):
        c, t = _cpu_s(), time.perf_counter()
        serial = [propagate(s, T0_TDB, t1, fm, method=meth) for s in states]
        best_serial = min(best_serial, time.perf_counter() - t)
        cpu_serial = min(cpu_serial, _cpu_s() - c)
        c, t = _cpu_s(), time.perf_counter()
        batch = propagate_many(states, T0_TDB, t1, fm, workers=workers, method=meth)
        best_batch = min(best_batch, time.perf_counter() - t)
        cpu_batch = min(cpu_batch, _cpu_s() - c)
        for name, run in hy_runs.items():
            c, t = _cpu_s(), time.perf_counter()
            hy_final[name] = run()
            hy_best[name] = [min(hy_best[name][0], time.perf_counter() - t), min(hy_best[name][1], _cpu_s() - c)]
    same = all(
        np.array_equal(p.trajectory.state([t1]), q.trajectory.state([t1])) and p.n_rhs == q.n_rhs
        for p, q in zip(serial, batch)
    )
    steps = sum(r.n_steps for r in serial)
    print(
        f"{a.orbits} orbits x {a.hours:g} h at {a.degree}x{a.degree} + Earth + Sun, {meth}: serial {best_serial:.2f} s, "
        f"propagate_many ({workers} workers) {best_batch:.2f} s -> {best_serial / best_batch:.2f}x; "
        f"{steps / a.orbits:.0f} steps/orbit; identical to the single runs: {same}; "
        f"CPU s serial {cpu_serial:.2f}, batch (all threads) {cpu_batch:.2f} -> idle-core bound "
        f"{cpu_serial / (cpu_batch / workers):.2f}x (serial CPU / (batch CPU / {workers})); "
        f"serial CPU per orbit-day {cpu_serial / (a.orbits * a.hours / 24.0) * 1e3:.2f} ms"
    )
    if hy_runs:
        key = "lunarscope propagate_many at equal accuracy"
        ours_wall, ours_cpu = hy_best[key] if key in hy_best else (best_batch, cpu_batch)
        print(
            f"lunarscope propagate_many at rtol {ls_rtol:.2g} ({workers} workers): {ours_wall:.2f} s, {ours_cpu:.2f} CPU-s "
            f"({ours_cpu / (a.orbits * a.hours / 24.0) * 1e3:.2f} CPU-ms per orbit-day)"
        )
        final_ours = np.array([r.trajectory.state([t1])[0] for r in batch])
        for name, (w, c) in hy_best.items():
            if name == key:
                continue
            d = float(np.max(np.linalg.norm(hy_final[name][:, :3] - final_ours[:, :3], axis=1)))
            print(
                f"{name}: {w:.2f} s, {c:.2f} CPU-s -> lunarscope throughput {w / ours_wall:.2f}x (wall), "
                f"{c / ours_cpu:.2f}x (CPU-s); final states within {d * 1e3:.2f} m of lunarscope's"
            )


if __name__ == "__main__":
    main()
