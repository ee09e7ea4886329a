"""Benchmark: 30-day 100 km polar lunar orbit, lunarscope vs Orekit at equal accuracy.

Same problem for both tools (issue 3): the Orekit reference initial state of
``tests/data/orekit/polar100_30d.npz`` (``state0`` at ``t_tdb[0]`` = 2030-01-01T00:00:00 TDB),
GRGM1200A 70×70 read from ``tests/data/orekit/grgm1200a_70.sha`` in IAU_MOON (Orekit's Moon
body frame), Earth and Sun point masses from DE440, no SRP. Output grid every 600 s.

"Equal accuracy": for each tool the loosest tolerance of a short ladder whose maximum position
difference over the span (600 s grid) against a tighter run *of the same tool* is ≤ 1 m.

* lunarscope: DOP853 (``dynamics.propagate``), rtol 1e-9 … 1e-13 with atol_km = rtol × 1000 km
  (the absolute part equals the relative part at ~1000 km, the size of the position
  components; velocity atol is atol_km × 1e-3 s⁻¹ as everywhere in lunarscope); reference
  rtol 1e-14, atol_km 1e-11.
* Orekit 13 DormandPrince853 with ``ToleranceProvider`` Cartesian tolerances for a position
  tolerance dP (m), dP = 1e-1 … 1e-6 m. Reference: the committed ``polar100_30d.npz``
  (dP = 1e-6 m, not re-run as a reference), made by ``references/orekit/propagate_polar.py``
  with the same ``orekit_setup.propagate_polar`` the ladder runs call. This script checks it
  is the same setup (same initial state, GM, degree, Orekit version) and that re-running
  Orekit at 1e-6 m for 1 day reproduces the committed ``polar100_1d.npz``. Looser runs are
  compared with the 1e-6 m states; the 1e-6 m run itself (timed here again) is compared with
  the committed 1e-8 m convergence number ``convergence_max_dpos_km`` of the same file
  (3.7 cm over 30 days), after checking that the re-run reproduces the committed states.
  The ladder is searched from ``--orekit-start`` (default 1e-4 m), loosening while it passes
  and tightening while it fails, to keep Orekit runs few (~1–2 min each for 30 days on 2
  shared cores). A first full run measured 1e-3 m: 700 m, 1e-4 m: 168 m, 1e-5 m: 9.5 m.

Wall times are of the propagate call only, JIT/compilation warmed up beforehand, one run each,
same process, same machine. Orekit's Moon-centred frame is a Python ``TransformProvider``
(see ``benchmarks/orekit_anchor.py``), so its times include JPype crossings per force
evaluation. Also: µs per gravity evaluation at degree 70 and 200 (lunarscope
``kernel.accel`` from an njit loop vs Orekit ``HolmesFeatherstoneAttractionModel.gradient``
called from Python; Orekit raw and minus the measured JPype per-call overhead). Degree 200
uses the synthetic Kaula-like field of ``bench_gravity.py`` for both tools (written as a SHA
file for Orekit).

    python benchmarks/bench_propagation.py              # 30 days (~10-15 min)
    python benchmarks/bench_propagation.py --days 3     # smoke run (~2 min)
    python benchmarks/bench_propagation.py --skip-orekit-propagation   # lunarscope + gravity only
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
DATA = ROOT / "tests" / "data" / "orekit"

ONE_METRE_KM = 1e-3  # equal-accuracy criterion: ≤ 1 m against the tighter run
STEP_S = 600.0  # output grid (s), the committed 30-day reference's
ATOL_KM_PER_RTOL = 1000.0  # lunarscope ladder: atol_km = rtol × 1000 km
LUNARSCOPE_RTOLS = (1e-9, 1e-10, 1e-11, 1e-12, 1e-13)
LUNARSCOPE_REF_RTOL = 1e-14
OREKIT_DP_M = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # loose → tight; reference: committed 1e-6 m
OREKIT_REF_DP_M = 1e-6
SAME_STATES_KM = 1e-6  # a re-run "reproduces" the committed states to 1 mm
GOAL_RATIO = 2.0  # issue 3: lunarscope at most half of Orekit's time


def _reference(days: float):
    """Committed Orekit 1e-6 m run, restricted to [t0, t0 + days]."""
    ref = np.load(DATA / "polar100_30d.npz")
    t = ref["t_tdb"]
    if days > float(ref["days"]) + 1e-9:
        raise SystemExit(f"--days must be <= {float(ref['days']):g} (the committed reference)")
    keep = t <= t[0] + days * 86400.0 + 1e-6
    return ref, t[keep], ref["states"][keep]


def _max_final(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = np.linalg.norm(a[:, :3] - b[:, :3], axis=1)
    return float(d.max()), float(d[-1])


# ------------------------------------------------------------------------------ lunarscope


def case_force_model():
    """The benchmark case's force model: the committed GRGM1200A 70×70 SHA file in IAU_MOON
    (Orekit's Moon body frame), Earth and Sun point masses from DE440, no SRP."""
    from lunarscope.dynamics.forces import ForceModel
    from lunarscope.gravity import load_field
    from lunarscope.sources import Sources

    src = Sources.default()
    return ForceModel(
        load_field(str(DATA / "grgm1200a_70.sha")).truncated(70, 70),
        "IAU_MOON",
        ("earth", "sun"),
        srp=False,
        ephemeris=src.ephemeris,
        moon_pck=src.moon_pck,
    )


def lunarscope_runs(state0, t_grid, days) -> dict:
    from lunarscope.dynamics.propagator import propagate

    fm = case_force_model()
    t0, t1 = float(t_grid[0]), float(t_grid[0] + days * 86400.0)
    propagate(state0, t0, t0 + 3600.0, fm)  # numba cache load / compile

    def run(rtol):
        atol = rtol * ATOL_KM_PER_RTOL
        w = time.perf_counter()
        res = propagate(state0, t0, t1, fm, rtol=rtol, atol_km=atol)
        w = time.perf_counter() - w
        return {
            "rtol": rtol,
            "atol_km": atol,
            "wall_s": w,
            "n_steps": res.n_steps,
            "n_rhs": res.n_rhs,
            "states": res.trajectory.state(t_grid),
        }

    ref = run(LUNARSCOPE_REF_RTOL)
    rows = []
    for rtol in LUNARSCOPE_RTOLS:
        r = run(rtol)
        r["max_err_km"], r["final_err_km"] = _max_final(r.pop("states"), ref["states"])
        rows.append(r)
        print(
            f"  lunarscope rtol {rtol:7.0e} atol {r['atol_km']:7.0e} km: {r['wall_s']:7.2f} s, "
            f"{r['n_steps']:7d} steps, max |dr| vs rtol {LUNARSCOPE_REF_RTOL:g}: "
            f"{r['max_err_km'] * 1e3:10.4f} m (final {r['final_err_km'] * 1e3:.4f} m)",
            flush=True,
        )
    return {"ref": ref, "rows": rows}


# ------------------------------------------------------------------------------ Orekit


def orekit_same_setup_check(ref30) -> dict:
    """Show the committed 1e-6 m reference is this setup: same inputs, and a 1-day re-run at
    1e-6 m reproduces the committed 1-day file. Returns the numbers (also JIT warm-up)."""
    import orekit_anchor as oa

    osu = oa.osu
    osu.start()
    ref1 = np.load(DATA / "polar100_1d.npz")
    out = {
        "state0_diff": float(np.abs(osu.polar_initial_state_km() - ref30["state0"]).max()),
        "gm_diff": abs(osu.GM_MOON_GRGM_KM3_S2 - float(ref30["gm_moon_km3_s2"])),
        "degree": int(ref30["degree"]),
        "position_tolerance_m": float(ref30["position_tolerance_m"]),
        "orekit_version_file": str(ref30["orekit_version"]),
        "orekit_version_now": osu.orekit_version(),
    }
    oa.orekit_propagate_polar(0.25, 1e-6, step_s=600.0)  # JIT warm-up
    t, s, wall = oa.orekit_propagate_polar(1.0, 1e-6, step_s=60.0)
    assert np.array_equal(t, ref1["t_tdb"]), "1-day re-run has a different time grid"
    out["rerun_1d_max_dr_km"] = float(np.linalg.norm(s[:, :3] - ref1["states"][:, :3], axis=1).max())
    out["rerun_1d_wall_s"] = wall
    return out


def orekit_ladder(t_grid, ref_states, days, ref_convergence_km, start_dp) -> list:
    import orekit_anchor as oa

    results = {}

    def run(k):
        dp = OREKIT_DP_M[k]
        t, s, wall = oa.orekit_propagate_polar(days, dp, step_s=STEP_S)
        if not np.allclose(t, t_grid, rtol=0, atol=1e-6):
            raise RuntimeError("Orekit output grid differs from the reference grid")
        mx, fin = _max_final(s, ref_states)
        row = {"dp_m": dp, "wall_s": wall, "max_err_km": mx, "final_err_km": fin, "against": "dP 1e-6 m"}
        if dp == OREKIT_REF_DP_M:
            # the committed file *is* this run (checked), so its error is the stored 1e-6 vs 1e-8 m
            # convergence number of that file
            if mx > SAME_STATES_KM:
                raise RuntimeError(f"Orekit 1e-6 m re-run differs from the committed file by {mx * 1e3:.3f} m")
            row.update(
                rerun_vs_committed_km=mx,
                max_err_km=ref_convergence_km,
                final_err_km=np.nan,
                against="dP 1e-8 m (committed convergence)",
            )
        results[k] = row
        extra = (
            f"; re-run vs committed states {mx * 1e3:.3g} m" if dp == OREKIT_REF_DP_M else f" (final {fin * 1e3:.4f} m)"
        )
        print(
            f"  Orekit dP {dp:7.0e} m: {wall:7.2f} s, max |dr| vs {row['against']}: "
            f"{row['max_err_km'] * 1e3:10.4f} m{extra}",
            flush=True,
        )
        return row["max_err_km"] <= ONE_METRE_KM

    k = OREKIT_DP_M.index(start_dp)
    if run(k):
        while k > 0 and run(k - 1):
            k -= 1
    else:
        while k + 1 < len(OREKIT_DP_M) and not run(k + 1):
            k += 1
    return [results[i] for i in sorted(results)]


# ------------------------------------------------------------------------------ gravity


def orekit_gravity_eval_us_file(sha_path: Path, degree: int, n_points: int, warmup: int = 20000) -> float:
    """µs per HolmesFeatherstone ``gradient`` call for the field in ``sha_path``: the procedure of
    ``orekit_anchor.orekit_gravity_eval_us`` (which is fixed to the degree-70 file), best of 3
    timed passes over the points like ``bench_gravity.time_lunarscope_gravity``."""
    import orekit_anchor as oa

    osu = oa.osu
    osu.start()
    from org.hipparchus.geometry.euclidean.threed import Vector3D
    from org.orekit.forces.gravity import HolmesFeatherstoneAttractionModel

    provider = osu.load_gravity_provider(sha_path, degree, degree)
    model = HolmesFeatherstoneAttractionModel(osu.moon_body_frame(), provider)
    mu = float(provider.getMu())
    date = osu.epoch_date()
    rng = np.random.default_rng(oa.SEED)
    pts = [Vector3D(*map(float, p)) for p in oa._random_body_fixed_points_m(n_points, rng)]
    for i in range(warmup):
        model.gradient(date, pts[i % n_points], mu)
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for p in pts:
            model.gradient(date, p, mu)
        best = min(best, time.perf_counter() - t0)
    return best / n_points * 1e6


def gravity_timings(with_orekit: bool) -> list:
    from bench_gravity import _field, time_lunarscope_gravity

    from lunarscope.gravity.readers import write_sha

    rows = []
    overhead = None
    if with_orekit:
        import orekit_anchor as oa

        overhead = oa.jpype_call_overhead_us()
    for degree, n_ls, n_ok in ((70, 5000, 5000), (200, 1000, 2000)):
        row = {"degree": degree, "lunarscope_us": time_lunarscope_gravity(degree, n_ls)}
        if with_orekit:
            if degree == 70:  # the anchor's function (one timed pass), then best of 3 passes
                row["orekit_anchor_us"] = oa.orekit_gravity_eval_us(70, n_ok)
                row["orekit_us"] = orekit_gravity_eval_us_file(oa.osu.SHA_FILE, 70, n_ok)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    path = write_sha(_field(degree), Path(tmp) / f"synthetic_{degree}.sha")
                    row["orekit_us"] = orekit_gravity_eval_us_file(path, degree, n_ok, warmup=5000)
            row["jpype_overhead_us"] = overhead
            row["orekit_minus_overhead_us"] = row["orekit_us"] - overhead
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ main


def _loosest_passing(rows, key):
    ok = [r for r in rows if r["max_err_km"] <= ONE_METRE_KM]
    return max(ok, key=lambda r: r[key]) if ok else None


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0, help="span (days, <= 30)")
    ap.add_argument("--skip-orekit-propagation", action="store_true")
    ap.add_argument("--skip-orekit", action="store_true", help="no Orekit at all (no Java needed)")
    ap.add_argument(
        "--orekit-start",
        type=float,
        default=1e-4,
        choices=OREKIT_DP_M,
        help="first Orekit position tolerance tried (m)",
    )
    args = ap.parse_args(argv)
    with_orekit = not args.skip_orekit
    ref, t_grid, ref_states = _reference(args.days)
    state0 = ref["state0"]
    print(
        f"100 km polar orbit, {args.days:g} days from 2030-01-01 TDB, GRGM1200A 70x70 IAU_MOON "
        f"+ Earth + Sun; {t_grid.size} states every {STEP_S:.0f} s",
        flush=True,
    )
    out = {"days": args.days, "loadavg_start": os.getloadavg()}
    print(f"load average at start (2 shared cores): {out['loadavg_start'][0]:.2f}", flush=True)

    print("lunarscope ladder:", flush=True)
    ls = lunarscope_runs(state0, t_grid, args.days)
    ls_ref_vs_orekit = _max_final(ls["ref"]["states"], ref_states)
    print(
        f"  (lunarscope rtol {LUNARSCOPE_REF_RTOL:g} vs Orekit dP 1e-6 m: max |dr| "
        f"{ls_ref_vs_orekit[0] * 1e3:.4f} m; reference run {ls['ref']['wall_s']:.2f} s)",
        flush=True,
    )
    out["lunarscope"] = ls["rows"]
    out["lunarscope_ref_wall_s"] = ls["ref"]["wall_s"]
    out["lunarscope_ref_vs_orekit_ref_max_km"] = ls_ref_vs_orekit[0]
    ls_pick = _loosest_passing(ls["rows"], "rtol")
    out["lunarscope_pick"] = ls_pick

    ok_pick = None
    if with_orekit and not args.skip_orekit_propagation:
        print("Orekit setup check:", flush=True)
        chk = orekit_same_setup_check(ref)
        print(
            "  " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in chk.items()), flush=True
        )
        out["orekit_setup_check"] = chk
        print("Orekit ladder:", flush=True)
        conv = float(ref["convergence_max_dpos_km"]) if args.days == float(ref["days"]) else np.nan
        ok_rows = orekit_ladder(t_grid, ref_states, args.days, conv, args.orekit_start)
        out["orekit"] = ok_rows
        ok_pick = _loosest_passing(ok_rows, "dp_m")
        out["orekit_pick"] = ok_pick

    print("gravity evaluations:", flush=True)
    grav = gravity_timings(with_orekit)
    out["gravity"] = grav

    out["loadavg_end"] = os.getloadavg()
    print("\n" + "=" * 78)
    print(f"load average at start / end: {out['loadavg_start'][0]:.2f} / {out['loadavg_end'][0]:.2f}")
    print(f"Propagation at equal accuracy (<= 1 m vs a tighter run of the same tool), {args.days:g} days")
    if ls_pick:
        print(
            f"  lunarscope DOP853 rtol {ls_pick['rtol']:.0e} atol {ls_pick['atol_km']:.0e} km : "
            f"{ls_pick['wall_s']:8.2f} s  (max |dr| {ls_pick['max_err_km'] * 1e3:.3f} m)"
        )
    if ok_pick:
        print(
            f"  Orekit DP853 dP {ok_pick['dp_m']:.0e} m                   : "
            f"{ok_pick['wall_s']:8.2f} s  (max |dr| {ok_pick['max_err_km'] * 1e3:.3f} m vs "
            f"{ok_pick['against']})"
        )
    if ls_pick and ok_pick:
        ratio = ok_pick["wall_s"] / ls_pick["wall_s"]
        out["ratio_orekit_over_lunarscope"] = ratio
        print(f"  ratio Orekit / lunarscope: {ratio:.1f}x   (goal >= {GOAL_RATIO:g}x)")
    print("Gravity, us per evaluation")
    print("  degree   lunarscope   Orekit raw   JPype call   Orekit - JPype   ratio (Orekit-JPype)/ls")
    print("           (best of 3)  (best of 3)")
    for g in grav:
        if "orekit_us" in g:
            print(
                f"  {g['degree']:6d}   {g['lunarscope_us']:10.2f}   {g['orekit_us']:10.2f}   "
                f"{g['jpype_overhead_us']:10.2f}   {g['orekit_minus_overhead_us']:14.2f}   "
                f"{g['orekit_minus_overhead_us'] / g['lunarscope_us']:10.2f}x"
            )
        else:
            print(f"  {g['degree']:6d}   {g['lunarscope_us']:10.2f}")
    if grav and "orekit_anchor_us" in grav[0]:
        print(f"  (orekit_anchor.orekit_gravity_eval_us(70), one pass: {grav[0]['orekit_anchor_us']:.2f} us)")
    return out


if __name__ == "__main__":
    main()
