"""Station-keeping Δv of three-body orbits in the full model (docs/design-orbits.md, "Station-keeping
of three-body orbits"): the x-axis-crossing control of ``lunarscope.design.three_body_stationkeeping``
over a Monte Carlo of orbit-determination and execution errors, for the 9:2 L2 south NRHO, the L2
south halo of Az 15,000 km and the 2:1 DRO, from 2030-01-01.

    python benchmarks/three_body_sk.py [--family nrho,halo,dro] [--days 365] [--runs 10] [--workers 2]
                                       [--target-revs N[,N...]] [--burn-points apolune|both] [--min-dv-mps 0.01]
                                       [--truth-cr 1.3]
                                       [--seed 1] [--json out.json]

Force model: GRGM1200A 8×8 in MOON_PA, DE440 Earth and Sun, cannonball SRP (450 kg, 4 m², Cr 1.3) —
the reference missions' (examples/nrho-telescope.yaml). Errors: the module's defaults (OD 1 km and
1 cm/s per axis, execution 1.5 % and 1°, 1 sigma). Prints one table row per family and the cost.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np

from lunarscope.design import families as F
from lunarscope.design import three_body_stationkeeping as T
from lunarscope.dynamics.forces import ForceModel
from lunarscope.gravity import builtin_field
from lunarscope.sources import Sources
from lunarscope.time import to_tdb

START = "2030-01-01T00:00:00Z"
MEMBERS = {
    "nrho": (
        "9:2 L2 south NRHO",
        lambda: F.pick("nrho", "L2", "south", period_nd=F.resonance_period_nd("9:2"), option="--resonance"),
    ),
    "halo": ("L2 south halo, Az 15,000 km", lambda: F.pick("halo", "L2", "south", az_km=15000.0, option="--az-km")),
    "dro": ("2:1 DRO", lambda: F.pick("dro", None, None, period_nd=F.resonance_period_nd("2:1"), option="--resonance")),
}


def force_model():
    src = Sources.default()
    fld = builtin_field("GRGM1200A").truncated(8, 8)
    return ForceModel(fld, "MOON_PA", ("earth", "sun"), True, ephemeris=src.ephemeris, moon_pck=src.moon_pck)


def one(kind, args, fm):
    """One result per targeting horizon of ``--target-revs`` (one reference, long enough for the largest)."""
    name, pick = MEMBERS[kind]
    t0 = float(to_tdb(START))
    t1 = t0 + args.days * 86400.0
    w0 = time.perf_counter()
    member = pick()
    ns = [int(x) for x in args.target_revs.split(",")] if args.target_revs else [T.DEFAULT_TARGET_REVS[kind]]
    ref = T.reference(member, t0, t1, fm, max(ns))
    w_ref = time.perf_counter() - w0
    return [_one_horizon(kind, name, member, ref, n, t0, t1, w_ref, args, fm) for n in ns]


def _one_horizon(kind, name, member, ref, n, t0, t1, w_ref, args, fm):
    w0, c0 = time.perf_counter(), time.process_time()
    truth = T.with_cr(fm, args.truth_cr) if args.truth_cr is not None else None
    ctx = T.make_context(
        kind,
        ref,
        t0,
        t1,
        fm,
        target_revs=n,
        burn_points=args.burn_points,
        min_dv_kms=args.min_dv_mps / 1000.0,
        truth_force_model=truth,
    )
    errors = T.default_errors()
    w1 = time.perf_counter()
    nominal = T.simulate(ctx)
    free = T.simulate(ctx, errors, np.random.default_rng([args.seed, 0]), control=False)
    rows = T.monte_carlo(ctx, errors, args.runs, args.seed, workers=args.workers)
    w_mc = time.perf_counter() - w1
    s = T.statistics(rows)
    out = {
        "family": kind,
        "orbit": name,
        "days": args.days,
        "runs": args.runs,
        "target_revs": ctx.target_revs,
        "burn_points": ctx.burn_points,
        "min_dv_mps": 1000.0 * ctx.min_dv_kms,
        "period_d": ctx.period_s / 86400.0,
        "stability_index": member.stability_index,
        "reference_max_jump_km": ref.max_position_jump_km,
        "reference_max_jump_mps": 1000.0 * ref.max_velocity_jump_km_s,
        "nominal_dv_mps": nominal.dv_total_mps,
        "nominal_maneuvers": len(nominal.maneuvers),
        "nominal_max_deviation_km": nominal.max_deviation_km,
        "free_max_deviation_km": free.max_deviation_km,
        "free_lost_d": None if free.lost is None else (free.lost - t0) / 86400.0,
        **s,
        "dv_per_year_min_mps": float(min(r["dv_per_year_mps"] for r in rows)),
        "dv_per_year_max_mps": float(max(r["dv_per_year_mps"] for r in rows)),
        "wall_reference_s": w_ref,
        "wall_runs_s": w_mc,
        "wall_s": w_ref + time.perf_counter() - w0,
        "cpu_parent_s": time.process_time() - c0,
        "load": os.getloadavg()[0],
    }
    return out


def _f(x, d=2):
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:,.{d}f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", default="nrho,halo,dro", help="comma list of nrho, halo, dro")
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--target-revs", default=None, help="N or a comma list (one reference for all): default the module's per family"
    )
    ap.add_argument("--burn-points", default=None, choices=T.BURN_POINTS, help="default: the module's per family")
    ap.add_argument("--min-dv-mps", type=float, default=1000.0 * T.DEFAULT_MIN_DV_KMS, help="smallest burn, m/s")
    ap.add_argument("--truth-cr", type=float, default=None, help="truth model SRP coefficient (reference: 1.3)")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    fm = force_model()
    results = []
    print(
        "| orbit | span | burns at, horizon | Δv/yr mean (95th pct), range | maneuvers/yr (skipped/yr) | "
        "largest deviation mean (max) | at the burn points, max | target-crossing timing, max | uncontrolled | "
        "nominal (no errors) | wall (reference + runs) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind in [k.strip() for k in args.family.split(",") if k.strip()]:
        for r in one(kind, args, fm):
            results.append(r)
            yr = 365.25 / args.days
            free = (
                f"{_f(r['free_max_deviation_km'], 0)} km"
                if r["free_lost_d"] is None
                else f"lost day {r['free_lost_d']:.0f}"
            )
            print(
                f"| {r['orbit']} | {args.days:g} d | {r['burn_points']}, {r['target_revs']} − ½ rev | "
                f"{_f(r['dv_per_year_mean_mps'])} ({_f(r['dv_per_year_p95_mps'])}) m/s, {_f(r['dv_per_year_min_mps'])}–"
                f"{_f(r['dv_per_year_max_mps'])} | {_f(r['maneuvers_per_year_mean'], 1)} ({_f(r['skipped_mean'] * yr, 1)}) | "
                f"{_f(r['max_deviation_km_mean'], 0)} ({_f(r['max_deviation_km_max'], 0)}) km; lost {r['impacts']} | "
                f"{_f(r['max_burn_deviation_km_max'], 0)} km | {_f(r['max_timing_s_max'] / 60.0, 1)} min | {free} | "
                f"{_f(r['nominal_dv_mps'] * yr)} m/s/yr, {r['nominal_maneuvers']} burns, {_f(r['nominal_max_deviation_km'], 1)} km | "
                f"{r['wall_s']:.0f} s ({r['wall_reference_s']:.0f} + {r['wall_runs_s']:.0f}), load {r['load']:.1f} |",
                flush=True,
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
