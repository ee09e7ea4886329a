"""Physics check: lifetime of a 125 km circular polar lunar orbit (issue 3).

Published reference: Gupta & Sharma (2011), Int. J. Astron. Astrophys. 1:155, report a lifetime
of about 384–411 days for a 125 km circular polar orbit starting 2010-01-01 with LP-family
(LP100/LP150) gravity fields. Here: GRGM1200A truncated to 50×50 in MOON_PA (lunarscope's
default gravity frame) + Earth and Sun point masses (DE440), no SRP; lunarscope DOP853 at
rtol 1e-11, atol 1e-8 km; terminal impact event at altitude 0 above the 1737.4 km sphere.

Initial elements (osculating, MOON_ME axes frozen at 2010-01-01T00:00:00 TDB): a = 1737.4 +
125 km, e = 0, i = 90°, argp = 0, true anomaly 0 and RAAN from ``--raan`` (default 0 90 180
270°). The published study's node and argument choices are not known to us, so the spread over
RAAN is part of the answer.

    python references/physics/lifetime_125km.py                 # 4 RAANs, 500 days each
    python references/physics/lifetime_125km.py --raan 0 --days 100

Prints one line per RAAN (impact date or minimum altitude) and writes
``references/physics/out/lifetime_125km<tag>.npz`` and ``figures/lifetime_125km<tag>.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from orbit_history import SOURCES, initial_state_me_inertial, periapsis_history, tdb_seconds

from lunarscope import frames
from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.gravity import builtin_field
from lunarscope.orbits.elements import cartesian_to_keplerian
from lunarscope.time import to_iso_utc

OUT = Path(__file__).resolve().parent / "out"  # npz histories (git-ignored)
FIG = Path(__file__).resolve().parent / "figures"  # PNG plots shown in docs/physics-checks.md
EPOCH = (2010, 1, 1)  # 00:00:00 TDB
ALTITUDE_KM = 125.0
DEGREE = 50
RTOL, ATOL_KM = 1e-11, 1e-8
SAMPLE_S = 60.0
DAY_S = 86400.0


def run_one(
    raan_deg: float,
    days: float,
    t0: float,
    fm: ForceModel,
    frame: str = "MOON_ME",
    rtol: float = RTOL,
    atol_km: float = ATOL_KM,
    inc_deg: float = 90.0,
) -> dict:
    gm = fm.field.gm_km3_s2
    s0 = initial_state_me_inertial(t0, MOON_RADIUS_KM + ALTITUDE_KM, 0.0, inc_deg, raan_deg, 0.0, 0.0, gm, frame)
    rot_me = frames.rotation("MOON_ME", [t0], SOURCES.moon_pck)[0]
    inc_me = np.degrees(cartesian_to_keplerian(np.concatenate([rot_me @ s0[:3], rot_me @ s0[3:]]), gm)[2])
    wall = time.perf_counter()
    res = propagate(s0, t0, t0 + days * DAY_S, fm, rtol=rtol, atol_km=atol_km, impact_altitude_km=0.0)
    wall = time.perf_counter() - wall
    t, states = res.trajectory.sample(SAMPLE_S)
    hist = periapsis_history(t, states, gm)
    out = {"raan_deg": raan_deg, "wall_s": wall, "n_steps": res.n_steps, "impact_t": res.impact_time, "t": t, **hist}
    if res.impact_time is not None:
        life = (res.impact_time - t0) / DAY_S
        msg = f"impact {to_iso_utc([res.impact_time], 0)[0]} UTC after {life:.1f} days"
    else:
        life = np.nan
        msg = f"no impact in {days:g} days; min altitude {hist['alt'].min():.2f} km"
    out["lifetime_days"] = life
    out["inc_me_deg"] = inc_me
    print(
        f"RAAN {raan_deg:5.1f} deg (lunar inclination {inc_me:.2f} deg): {msg}  "
        f"({res.n_steps} steps, {wall:.1f} s wall)",
        flush=True,
    )
    return out


def main(argv=None) -> list:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raan", type=float, nargs="+", default=[0.0, 90.0, 180.0, 270.0])
    ap.add_argument("--days", type=float, default=500.0)
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--degree", type=int, default=DEGREE, help="field degree and order (default 50)")
    ap.add_argument("--bodies", nargs="*", default=["earth", "sun"], help="third bodies (none: no args)")
    ap.add_argument(
        "--elements-frame",
        default="MOON_ME",
        choices=["MOON_ME", "MOON_PA", "ICRF"],
        help="axes (frozen at the epoch) of the initial elements",
    )
    ap.add_argument("--tag", default="", help="suffix of the output file names (variants)")
    ap.add_argument("--inc", type=float, default=90.0, help="initial inclination (deg, default 90)")
    ap.add_argument("--rtol", type=float, default=RTOL, help="atol_km = 1000 km x rtol (default 1e-11)")
    args = ap.parse_args(argv)
    atol = args.rtol * 1e3
    t0 = tdb_seconds(*EPOCH)
    deg = args.degree
    fm = ForceModel(
        builtin_field("GRGM1200A").truncated(deg, deg),
        "MOON_PA",
        tuple(args.bodies),
        ephemeris=SOURCES.ephemeris,
        moon_pck=SOURCES.moon_pck,
    )
    bodies = " + ".join(b.capitalize() for b in args.bodies) or "no third bodies"
    print(
        f"125 km polar orbit from 2010-01-01T00:00:00 TDB ({t0:.1f} s TDB), elements in "
        f"{args.elements_frame} axes, i {args.inc:g} deg, GRGM1200A {deg}x{deg} MOON_PA + {bodies}, rtol {args.rtol:g} "
        f"atol {atol:g} km, up to {args.days:g} days",
        flush=True,
    )
    runs = [run_one(r, args.days, t0, fm, args.elements_frame, args.rtol, atol, args.inc) for r in args.raan]
    life = np.array([r["lifetime_days"] for r in runs])
    if np.all(np.isfinite(life)):
        print(
            f"lifetime over RAAN {args.raan}: {life.min():.1f} .. {life.max():.1f} days "
            f"(mean {life.mean():.1f}); published 384-411 days (LP fields)"
        )
    OUT.mkdir(exist_ok=True)
    np.savez_compressed(
        OUT / f"lifetime_125km{args.tag}.npz",
        raan_deg=np.array(args.raan),
        lifetime_days=life,
        t0=t0,
        **{f"rev_t_{k}": r["rev_t"] for k, r in enumerate(runs)},
        **{f"rev_min_{k}": r["rev_min"] for k, r in enumerate(runs)},
    )
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        FIG.mkdir(exist_ok=True)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for r in runs:
            ok = np.isfinite(r["mean"])
            lbl = f"RAAN {r['raan_deg']:.0f}°" + (
                f": impact day {r['lifetime_days']:.0f}" if np.isfinite(r["lifetime_days"]) else ""
            )
            (line,) = ax.plot((r["rev_t"] - t0) / DAY_S, r["rev_min"], lw=0.6, label=lbl)
            ax.plot((r["t"][ok] - t0) / DAY_S, r["mean"][ok], lw=1.2, color=line.get_color(), alpha=0.6)
        ax.axvspan(384, 411, color="0.85", label="published lifetime 384–411 d (LP fields)")
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xlabel("days since 2010-01-01 TDB")
        ax.set_ylabel("altitude above 1737.4 km sphere (km)")
        ax.set_title(
            f"125 km polar orbit from 2010-01-01, GRGM1200A {deg}×{deg} + {bodies}\n"
            "thin: lowest altitude per revolution; thick: mean-element periapsis"
        )
        ax.legend(fontsize=7, loc="upper right")
        fig.tight_layout()
        fig.savefig(FIG / f"lifetime_125km{args.tag}.png", dpi=110)
        print(f"wrote {FIG / f'lifetime_125km{args.tag}.png'}")
    return runs


if __name__ == "__main__":
    main()
