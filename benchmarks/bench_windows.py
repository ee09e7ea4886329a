"""Target-visibility windows: lunarscope vs the SPICE Geometry Finder and vs a 1 s grid.

Problem: ELFO (a 6541.4 km, e 0.6, i 56.2°, ω 90°) for one year from 2026-03-01, 1,000
targets on a Fibonacci sphere, constraints Moon occultation + Sun 45° + Earth limb 20°
(Earth radius + 100 km) + Moon limb 10°, windows longer than 60 s guaranteed, boundaries to
1 ms.

Routes (one run, same machine, same trajectory):

1. lunarscope: the production path, a ``WindowJob`` through ``compute_windows`` (the compiled
   target sweep of ``windows.sweep``: shared grid geometry, per-cell per-term rate bounds),
   min duration 60 s, tolerance 1 ms. Also, on a shorter span, the general finder
   (``find_windows`` with the span-wide constant bound: the route before the sweep).
2. SPICE GF through spiceypy: the trajectory written as an SPK (type 13, Hermite, 60 s
   states, ``spkw13``), then per target ``gfuds`` on the same g(t) (min over the constraints,
   Sun/Earth/Moon from ``spkpos`` relative to the spacecraft), step 60 s (GF finds every
   window longer than the step), convergence tolerance 1 ms (``gfstol``). Far too slow for
   1,000 targets x 1 year: run on a subset of targets and days and EXTRAPOLATED linearly in
   (targets x days); the output says so.
3. astroplan-style grid: numpy evaluation of all targets on a 1 s grid (the same g), each
   sign change bisected to 1 ms. Run on a shorter span and extrapolated linearly in days.

Agreement: on the subset, every window of routes 2 and 3 matches one of lunarscope's with
both boundaries within 2 ms (each route's 1 ms tolerance), and vice versa (windows longer
than 60 s).

    python benchmarks/bench_windows.py            # full problem (lunarscope whole, others sampled)
    python benchmarks/bench_windows.py --quick    # smoke test (10 days, 100 targets)
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

R_MOON, R_EARTH, ATM = 1737.4, 6378.137, 100.0
SUN_DEG, EARTH_DEG, MOON_DEG = 45.0, 20.0, 10.0
MIN_S, TOL_S = 60.0, 1e-3
SC_ID = -999


def fibonacci_sphere(m: int) -> np.ndarray:
    """m unit vectors spread evenly over the sphere (golden-angle spiral; González 2010)."""
    k = np.arange(m) + 0.5
    z = 1 - 2 * k / m
    phi = np.pi * (3 - np.sqrt(5)) * k
    r = np.sqrt(1 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def trajectory(days: float):
    from lunarscope.mission.core import mission_from_dict
    from lunarscope.mission.run import propagate_mission

    with open(os.path.join(ROOT, "tests", "data", "windows", "elfo.yaml"), encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = f"{days} d"
    for k in ("stations", "sites", "targets"):
        raw.pop(k, None)
    m = mission_from_dict(raw)
    return m.t_start, m.t_stop, propagate_mission(m).trajectory, m.sources


def g_numpy(u, sc, sun, earth):
    """g (M, N) for unit targets u from spacecraft-relative body vectors (N,3) (routes 2, 3)."""

    def sep(d):
        d = d / np.linalg.norm(d, axis=1)[:, None]
        c = u @ d.T
        return np.arctan2(np.sqrt(np.maximum(0, (1 - c) * (1 + c))), c)

    to_moon = -sc
    rho_m = np.arcsin(R_MOON / np.linalg.norm(to_moon, axis=1))
    rho_e = np.arcsin((R_EARTH + ATM) / np.linalg.norm(earth, axis=1))
    lm = sep(to_moon) - rho_m
    le = sep(earth) - rho_e
    g = np.minimum(lm, le)
    g = np.minimum(g, lm - math.radians(MOON_DEG))
    g = np.minimum(g, le - math.radians(EARTH_DEG))
    return np.minimum(g, sep(sun) - math.radians(SUN_DEG))


# ---------------------------------------------------------------------------- routes
def route_lunarscope(traj, t0, t1, u, sources):
    """The production path: a WindowJob through ``compute_windows`` (the target sweep)."""
    from lunarscope.windows.compute import WindowJob, compute_windows

    names = tuple(f"T{i:05d}" for i in range(len(u)))
    job = WindowJob(
        t0, t1, sources, ("target_visible",), target_names=names, target_units=u,
        sun_exclusion_deg=SUN_DEG, earth_limb_deg=EARTH_DEG, moon_limb_deg=MOON_DEG,
        earth_atmosphere_km=ATM, min_window_s=MIN_S, tolerance_s=TOL_S,
    )  # fmt: skip
    clock = time.perf_counter()
    ws = compute_windows(job, traj)
    elapsed = time.perf_counter() - clock
    return elapsed, [list(ws[("target_visible", n)]) for n in names], ws.meta.get("target_sweep", {})


def route_general(traj, t0, t1, u, sources):
    """The general finder (``find_windows``, span-wide constant rate bound), as before the sweep."""
    from lunarscope.windows import Condition, find_windows
    from lunarscope.windows.conditions import TargetConstraints
    from lunarscope.windows.scene import Scene

    clock = time.perf_counter()
    scene = Scene(traj, sources.ephemeris, sources.moon_pck)
    tc = TargetConstraints(scene, u, math.radians(SUN_DEG), math.radians(EARTH_DEG), math.radians(MOON_DEG), ATM)
    c = tc.condition(t0, t1, True)
    wins = find_windows(Condition(c.g, c.rate_bound, c.g_rows, c.name), t0, t1, MIN_S, TOL_S)  # no sweep
    return time.perf_counter() - clock, [list(w) for w in wins], scene.evaluations


def route_grid(traj, t0, t1, u, eph):
    """1 s grid, all targets, bisection to TOL_S on every sign change."""
    clock = time.perf_counter()

    def geom(t):
        sc = traj.state(t)[:, :3]
        return sc, eph.position("sun", "moon", t) - sc, eph.position("earth", "moon", t) - sc

    grid = np.arange(t0, t1 + 0.5, 1.0)
    grid[-1] = min(grid[-1], t1)
    out = [[] for _ in range(len(u))]
    _prev_t, _prev_in = None, None
    for i in range(0, grid.size, 3600):
        t = grid[i : i + 3601]
        inside = g_numpy(u, *geom(t)) >= 0
        if i == 0:
            for m in np.flatnonzero(inside[:, 0]):
                out[m].append([t0, None])
        mm, jj = np.nonzero(inside[:, 1:] != inside[:, :-1])
        lo, hi, lo_in = t[jj], t[jj + 1], inside[mm, jj]
        while mm.size and np.max(hi - lo) > TOL_S:
            mid = 0.5 * (lo + hi)
            vals = _pairs(u, mm, mid, geom)
            same = (vals >= 0) == lo_in
            lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
        order = np.argsort(lo, kind="stable")
        for m, a, b, li in zip(mm[order], lo[order], hi[order], lo_in[order]):
            if li:
                out[m][-1][1] = a
            else:
                out[m].append([b, None])
        if i + 3601 >= grid.size:
            for m in np.flatnonzero(inside[:, -1]):
                out[m][-1][1] = t1
            break
    return time.perf_counter() - clock, [[tuple(w) for w in ws] for ws in out]


def _pairs(u, mm, t, geom):
    """g of target mm[k] at t[k] (geometry evaluated once for all pairs)."""
    sc, sun, earth = geom(t)
    out = np.empty(mm.size)
    for k0 in range(0, mm.size, 2000):
        sl = slice(k0, k0 + 2000)
        full = g_numpy(u[mm[sl]], sc[sl], sun[sl], earth[sl])  # (K, K): keep the diagonal
        out[sl] = np.diagonal(full)
    return out


def route_spice(traj, t0, t1, u, step_s=MIN_S):
    """SPICE GF (gfuds) per target on an SPK of the trajectory."""
    import spice_kernels

    sp = spice_kernels.furnish()
    folder = tempfile.mkdtemp(prefix="bench_windows_")
    spk = os.path.join(folder, "sc.bsp")
    ts = np.arange(t0 - 600.0, t1 + 600.0 + 1, 60.0)
    ts = ts[(ts >= traj.t_start) & (ts <= traj.t_stop)]
    states = traj.state(ts)
    handle = sp.spkopn(spk, "bench", 0)
    sp.spkw13(handle, SC_ID, 301, "J2000", ts[0], ts[-1], "elfo", 7, ts.size, states, ts)
    sp.spkcls(handle)
    sp.furnsh(spk)
    sp.gfstol(TOL_S)
    results = []
    clock = time.perf_counter()
    try:
        for m in range(len(u)):
            um = u[m : m + 1]

            @sp.utils.callbacks.SpiceUDFUNS
            def udfuns(et, um=um):
                sun = sp.spkpos("SUN", et, "J2000", "NONE", str(SC_ID))[0]
                earth = sp.spkpos("EARTH", et, "J2000", "NONE", str(SC_ID))[0]
                moon = sp.spkpos("MOON", et, "J2000", "NONE", str(SC_ID))[0]
                return float(g_numpy(um, -np.array([moon]), np.array([sun]), np.array([earth]))[0, 0])

            @sp.utils.callbacks.SpiceUDFUNB
            def udqdec(udf, et):
                return sp.uddc(udf, et, 1.0)

            cnfine = sp.cell_double(2)
            sp.wninsd(t0, t1, cnfine)
            result = sp.cell_double(200000)
            sp.gfuds(udfuns, udqdec, ">", 0.0, 0.0, step_s, 100000, cnfine, result)
            n = sp.wncard(result)
            results.append([sp.wnfetd(result, i) for i in range(n)])
    finally:
        sp.unload(spk)
    return time.perf_counter() - clock, results


def agree(a, b, tol=2 * TOL_S, min_s=MIN_S):
    """Windows longer than min_s (not touching span ends) of a match b and vice versa."""
    bad = 0
    for x, y in ((a, b), (b, a)):
        for s, e in x:
            if e - s < min_s:
                continue
            if not any(abs(s - c) <= tol and abs(e - d) <= tol for c, d in y):
                bad += 1
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke test: 10 days, 100 targets")
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument("--targets", type=int, default=None)
    ap.add_argument("--spice-targets", type=int, default=None)
    ap.add_argument("--spice-days", type=float, default=None)
    ap.add_argument("--grid-days", type=float, default=None)
    ap.add_argument("--general-days", type=float, default=None, help="span for the general-finder route (default 10 d)")
    ap.add_argument("--sweep-only", action="store_true", help="only lunarscope and the general finder (scaling runs)")
    args = ap.parse_args()
    days = args.days or (10.0 if args.quick else 365.0)
    m = args.targets or (100 if args.quick else 1000)
    s_m = args.spice_targets or (2 if args.quick else 5)
    s_days = args.spice_days or (2.0 if args.quick else 10.0)
    g_days = args.grid_days or (1.0 if args.quick else 5.0)
    t0, t1, traj, sources = trajectory(days)
    eph = sources.ephemeris
    u = fibonacci_sphere(m)
    print(
        f"problem: ELFO, {days:g} d, {m} targets, Sun {SUN_DEG:g} / Earth limb {EARTH_DEG:g} / "
        f"Moon limb {MOON_DEG:g} deg + occultation, min window {MIN_S:g} s, tolerance {TOL_S * 1e3:g} ms"
    )
    route_lunarscope(traj, t0, t0 + 86400.0, u[:4], sources)  # warm numba caches and the ephemeris
    cpu = time.process_time()
    t_ls, w_ls, stats = route_lunarscope(traj, t0, t1, u, sources)
    cpu = time.process_time() - cpu
    n_win = sum(len(w) for w in w_ls)
    print(
        f"lunarscope : {t_ls:8.2f} s wall, {cpu:.2f} s CPU ({numba_threads()} threads, load {load()}); "
        f"{n_win} windows; sweep {stats}"
    )

    # the general finder on a shorter span (it took 435 s for the whole year), same targets
    gn_days = min(days, args.general_days or (2.0 if args.quick else 10.0))
    q1 = t0 + gn_days * 86400.0
    t_gn, w_gn, nev = route_general(traj, t0, q1, u, sources)
    t_ls_q, w_ls_q, _ = route_lunarscope(traj, t0, q1, u, sources)
    bad_gn = sum(agree(a, b) for a, b in zip(w_gn, w_ls_q))
    print(
        f"general    : {t_gn:8.2f} s for {m} targets x {gn_days:g} d ({nev} epochs) vs sweep {t_ls_q:.2f} s "
        f"-> {t_gn / t_ls_q:.0f}x; windows disagreeing: {bad_gn}"
    )

    if args.sweep_only:
        return 0 if bad_gn == 0 else 1

    # SPICE subset: targets spread over the sample, first s_days
    # (1 s inside the trajectory at each end: SPICE's derivative test samples et +- 1 s)
    sub = np.linspace(0, m - 1, s_m).astype(int)
    s0, s1 = t0 + 1.0, t0 + s_days * 86400.0
    t_sp, w_sp = route_spice(traj, s0, s1, u[sub])
    _, w_ls_sub, _ = route_lunarscope(traj, s0, s1, u[sub], sources)
    bad_sp = sum(agree(a, b) for a, b in zip(w_sp, w_ls_sub))
    scale_sp = (m / s_m) * (days / s_days)
    est_sp = t_sp * scale_sp
    print(
        f"SPICE GF   : {t_sp:8.2f} s for {s_m} targets x {s_days:g} d; EXTRAPOLATED x{scale_sp:.0f} "
        f"(linear in targets x days) -> {est_sp:9.0f} s; windows disagreeing: {bad_sp}"
    )

    g1 = t0 + g_days * 86400.0
    t_gr, w_gr = route_grid(traj, t0, g1, u, eph)
    _, w_ls_g, _ = route_lunarscope(traj, t0, g1, u, sources)
    bad_gr = sum(agree(a, b) for a, b in zip(w_gr, w_ls_g))
    est_gr = t_gr * days / g_days
    print(
        f"1 s grid   : {t_gr:8.2f} s for {m} targets x {g_days:g} d; EXTRAPOLATED x{days / g_days:.0f} "
        f"(linear in days) -> {est_gr:9.0f} s; windows disagreeing: {bad_gr}"
    )
    print(
        f"ratio SPICE GF / lunarscope = {est_sp / t_ls:.0f}x (goal >= 50x); "
        f"1 s grid / lunarscope = {est_gr / t_ls:.0f}x"
    )
    return 0 if bad_sp == 0 and bad_gr == 0 and bad_gn == 0 else 1


def numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def load() -> str:
    """1-minute load average (the machine is shared: other jobs inflate wall times)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover - platform without getloadavg
        return "?"


if __name__ == "__main__":
    sys.exit(main())
