"""Physics check: periapsis altitude of a 100 km circular polar lunar orbit over 180 days.

Setup: epoch 2030-01-01T00:00:00 TDB; osculating elements in MOON_ME axes frozen at the epoch
("MOON_ME_INERTIAL"): a = 1737.4 + 100 km, e = 0, i = 90°, RAAN 0, argp 0, true anomaly 0;
GRGM1200A 70×70 in MOON_PA (lunarscope's default gravity frame) + Earth and Sun point masses
(DE440), no SRP; lunarscope DOP853 at rtol 1e-12, atol 1e-9 km (the project defaults); impact
event at altitude 0. States sampled every 60 s.

What to expect, qualitatively: low polar lunar orbits are not stable; odd zonal and mascon
terms of the field pump the eccentricity, so periapsis falls by tens of km within months (for the
125 km case see ``lifetime_125km.py`` and Gupta & Sharma 2011, IJAA 1:155). This script gives
lunarscope's numbers; it is not an independent check by itself.

    python references/physics/periapsis_100km_180d.py [--days 180] [--raan 0]

Prints monthly periapsis statistics; writes references/physics/figures/periapsis_100km_180d.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from orbit_history import SOURCES, initial_state_me_inertial, periapsis_history, tdb_seconds

from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.gravity import builtin_field
from lunarscope.time import to_iso_utc

FIG = Path(__file__).resolve().parent / "figures"  # PNG plots shown in docs/physics-checks.md
ALTITUDE_KM = 100.0
DEGREE = 70
RTOL, ATOL_KM = 1e-12, 1e-9
SAMPLE_S = 60.0
DAY_S = 86400.0


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=180.0)
    ap.add_argument("--raan", type=float, default=0.0, help="RAAN in MOON_ME_INERTIAL (deg)")
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    t0 = tdb_seconds(2030, 1, 1)
    fm = ForceModel(
        builtin_field("GRGM1200A").truncated(DEGREE, DEGREE),
        "MOON_PA",
        ("earth", "sun"),
        ephemeris=SOURCES.ephemeris,
        moon_pck=SOURCES.moon_pck,
    )
    gm = fm.field.gm_km3_s2
    s0 = initial_state_me_inertial(t0, MOON_RADIUS_KM + ALTITUDE_KM, 0.0, 90.0, args.raan, 0.0, 0.0, gm)
    wall = time.perf_counter()
    res = propagate(s0, t0, t0 + args.days * DAY_S, fm, rtol=RTOL, atol_km=ATOL_KM)
    wall = time.perf_counter() - wall
    t, states = res.trajectory.sample(SAMPLE_S)
    h = periapsis_history(t, states, gm)
    print(
        f"100 km polar orbit from 2030-01-01T00:00:00 TDB, RAAN {args.raan:g} deg (MOON_ME_INERTIAL), "
        f"GRGM1200A {DEGREE}x{DEGREE} MOON_PA + Earth + Sun: {res.n_steps} steps, {wall:.1f} s wall"
    )
    print(" day   mean periapsis alt (km)   lowest alt in the 30 days (km)   osculating rp range (km)")
    day = (t - t0) / DAY_S
    rday = (h["rev_t"] - t0) / DAY_S
    for d0 in np.arange(0.0, args.days, 30.0):
        sel = (day >= d0) & (day < d0 + 30.0)
        rsel = (rday >= d0) & (rday < d0 + 30.0)
        if not np.any(rsel):
            break
        m = h["mean"][sel]
        m = m[np.isfinite(m)]
        mtxt = f"{m.min():7.2f} .. {m.max():7.2f}" if m.size else "      -"
        print(
            f"{d0:4.0f}   {mtxt:>22}   {h['rev_min'][rsel].min():12.2f}"
            f"                     {h['osc'][sel].min():7.2f} .. {h['osc'][sel].max():7.2f}"
        )
    k = int(np.argmin(h["alt"]))
    summary = {
        "min_alt_km": float(h["alt"][k]),
        "min_alt_day": float(day[k]),
        "impact_t": res.impact_time,
        "wall_s": wall,
        "n_steps": res.n_steps,
        "final_mean_rp_alt_km": float(h["mean"][np.isfinite(h["mean"])][-1]),
    }
    if res.impact_time is not None:
        print(f"IMPACT at {to_iso_utc([res.impact_time], 0)[0]} UTC, day {(res.impact_time - t0) / DAY_S:.1f}")
    print(
        f"lowest altitude {summary['min_alt_km']:.2f} km on day {summary['min_alt_day']:.1f}; "
        f"mean-element periapsis altitude at the end {summary['final_mean_rp_alt_km']:.2f} km"
    )
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        FIG.mkdir(exist_ok=True)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ok = np.isfinite(h["mean"])
        ax.plot(day[::10], h["osc"][::10], lw=0.3, color="0.7", label="osculating a(1−e) − R")
        ax.plot(rday, h["rev_min"], lw=0.7, label="lowest altitude per revolution")
        ax.plot(day[ok], h["mean"][ok], lw=1.4, label="mean-element periapsis (1-rev average)")
        ax.set_xlabel("days since 2030-01-01 TDB")
        ax.set_ylabel("altitude above 1737.4 km sphere (km)")
        ax.set_title(
            f"100 km circular polar orbit from 2030-01-01 (RAAN {args.raan:g}° MOON_ME_INERTIAL)\n"
            f"GRGM1200A {DEGREE}×{DEGREE} (MOON_PA) + Earth + Sun",
            fontsize=10,
        )
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = "periapsis_100km_180d.png" if args.raan == 0 else f"periapsis_100km_180d_raan{args.raan:g}.png"
        fig.savefig(FIG / name, dpi=110)
        print(f"wrote {FIG / name}")
    return summary


if __name__ == "__main__":
    main()
