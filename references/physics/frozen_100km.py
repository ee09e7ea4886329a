"""Frozen 100 km lunar orbit (issue 14 item 2): zonal first guess, full-field correction, check.

1. Zonal existence map at 100 km, i = 0..90 deg (J2..J9, J2..J30, J2..J50 of GRGM1200A):
   inclinations where the smallest frozen e has a near-zero local minimum (``--map``).
2. At ``--inclination`` (default 86 deg): the J2..J30 first guess, the Newton correction of the
   loop centre's drift over ``--span`` days in GRGM1200A ``--degree`` x ``--degree`` + Earth + Sun
   (DE440), no SRP, rtol 1e-10, atol 1e-7 km; then the corrected orbit and a circular one
   (same a, i, RAAN) over ``--check-days``: mean and osculating periapsis altitude ranges.

    python references/physics/frozen_100km.py --map
    python references/physics/frozen_100km.py --span 180 --check-days 365 --iterations 2

Prints the numbers quoted in docs/design-orbits.md ("Frozen orbits").
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--map", action="store_true", help="only the zonal existence map")
    ap.add_argument("--inclination", type=float, default=86.0)
    ap.add_argument("--altitude", type=float, default=100.0)
    ap.add_argument("--degree", type=int, default=50)
    ap.add_argument("--span", type=float, default=180.0, help="days of the correction")
    ap.add_argument("--check-days", type=float, default=365.0)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()

    from lunarscope.design import frozen as fz
    from lunarscope.dynamics.batch import propagate_many
    from lunarscope.mission.core import mission_from_dict

    raw = {
        "name": "frozen-100km",
        "start": "2030-01-01T00:00:00Z",
        "duration": f"{max(a.span, a.check_days)} d",
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": {"a_km": 1837.4, "e": 0, "i_deg": 86}},
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": a.degree, "order": a.degree},
            "third_bodies": ["earth", "sun"],
        },
        "propagator": {"rtol": 1e-10, "atol_km": 1e-7},
    }
    m = mission_from_dict(raw)
    fld = m.force_model.field
    if a.map:
        from lunarscope.gravity import builtin_field

        full = builtin_field("GRGM1200A")
        for deg in (9, 30, 50):
            t = time.perf_counter()
            rows = fz.existence_map(np.arange(0, 90.1, 1.0), full, altitude_km=a.altitude, degree=deg)
            mins = fz.near_circular_inclinations(rows)
            none = [r.i_deg for r in rows if not r.exists]
            print(
                f"J2..J{deg}: near-circular frozen inclinations {[round(x, 1) for x in mins]} deg; "
                f"no frozen orbit with periapsis above ground at {none}; {time.perf_counter() - t:.1f} s"
            )
        return
    t0 = m.t_start
    g = fz.frozen_first_guess(a.inclination, fld, altitude_km=a.altitude)
    print(
        f"zonal J2..J{fz.ZONAL_DEGREE_DEFAULT} first guess: e = {g.e:.5f}, argp = {g.argp_deg:g} deg, "
        f"periapsis {g.periapsis_alt_km:.1f} km"
    )
    c = fz.correct_frozen(g, t0, t0 + a.span * 86400.0, m.force_model, iterations=a.iterations, workers=a.workers)
    for k, h in enumerate(c.history):
        print(f"  iteration {k}: ex {h[0]:+.5f} ey {h[1]:+.5f}  centre drift {h[2]:.2e}  excursion {h[3]:.2e}")
    print(
        f"corrected: e = {c.e:.5f}, argp = {c.argp_deg:.2f} deg (osculating at the epoch, MOON_ME); "
        f"{c.n_orbits} orbits x {a.span:g} d in {c.wall_s:.0f} s wall"
    )
    gm, pck = fld.gm_km3_s2, m.force_model.moon_pck
    s_f = fz.initial_state(g.a_km, c.ex, c.ey, g.i_deg, 0.0, t0, gm, pck)
    s_c = fz.initial_state(g.a_km, 0.0, 0.0, g.i_deg, 0.0, t0, gm, pck)
    t = time.perf_counter()
    res = propagate_many(
        np.array([s_f, s_c]),
        t0,
        t0 + a.check_days * 86400.0,
        m.force_model,
        rtol=1e-10,
        atol_km=1e-7,
        workers=a.workers,
    )
    print(f"check: 2 orbits x {a.check_days:g} d in {time.perf_counter() - t:.0f} s wall")
    for name, r in zip(("frozen", "circular"), res):
        lp = fz.loop_of(r, gm, pck, step_s=300.0)
        imp = "" if r.impact_time is None else f" IMPACT after {(r.impact_time - t0) / 86400:.1f} d"
        print(
            f"  {name}: mean periapsis {np.nanmin(lp.hp_km):.1f} .. {np.nanmax(lp.hp_km):.1f} km, "
            f"osculating {lp.osc_hp_km.min():.1f} .. {lp.osc_hp_km.max():.1f} km, "
            f"centre excursion {lp.centre_excursion:.2e}, centre {lp.centre[0]:+.5f} {lp.centre[1]:+.5f}{imp}"
        )


if __name__ == "__main__":
    main()
