"""One year of 100 km, 86 deg orbits in the full field: the periapsis band of each.

Flies the orbits given as ``--orbit NAME:E:ARGP_DEG`` (osculating e and argument of periapsis in
MOON_ME at the epoch, at periapsis, RAAN 0 — what ``lunarscope design frozen`` writes) over
``--days`` with GRGM1200A ``--degree`` + Earth + Sun (DE440), rtol 1e-10, atol 1e-7 km (the
``design frozen`` model), and prints the osculating and one-orbit mean periapsis altitude range
and the monthly loop centre's excursion (``design.frozen.loop_of``) of each. docs/design-orbits.md
(frozen orbits, "over a full year") has the figures::

    python benchmarks/frozen_year_check.py --orbit frozen180:0.01086:288.76 \\
        --orbit frozen365:0.0103931:286.5345 --orbit zonal:0.009107:270 --orbit circular:0:0
"""

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orbit", action="append", required=True, help="NAME:E:ARGP_DEG (osculating, MOON_ME)")
    ap.add_argument("--altitude", type=float, default=100.0)
    ap.add_argument("--inclination", type=float, default=86.0)
    ap.add_argument("--degree", type=int, default=50)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()

    from lunarscope.constants import MOON_RADIUS_KM
    from lunarscope.design import frozen as fz
    from lunarscope.dynamics.batch import propagate_many
    from lunarscope.mission.core import mission_from_dict

    raw = {
        "name": "frozen-year",
        "start": "2030-01-01T00:00:00Z",
        "duration": f"{a.days} d",
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": {"a_km": MOON_RADIUS_KM + a.altitude, "e": 0, "i_deg": 86}},
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": a.degree, "order": a.degree},
            "third_bodies": ["earth", "sun"],
        },
        "propagator": {"rtol": 1e-10, "atol_km": 1e-7},
    }
    m = mission_from_dict(raw)
    gm, pck = m.force_model.field.gm_km3_s2, m.force_model.moon_pck
    names, states = [], []
    for spec in a.orbit:
        name, e, w = spec.split(":")
        e, w = float(e), np.radians(float(w))
        names.append(name)
        states.append(
            fz.initial_state(
                MOON_RADIUS_KM + a.altitude, e * np.cos(w), e * np.sin(w), a.inclination, 0.0, m.t_start, gm, pck
            )
        )
    t = time.perf_counter()
    res = propagate_many(
        np.array(states), m.t_start, m.t_stop, m.force_model, rtol=1e-10, atol_km=1e-7, workers=a.workers
    )
    print(
        f"{len(names)} orbits x {a.days:g} d, GRGM1200A {a.degree}x{a.degree} + Earth + Sun, "
        f"{a.workers} worker(s): {time.perf_counter() - t:.0f} s wall"
    )
    for name, r in zip(names, res):
        lp = fz.loop_of(r, gm, pck, step_s=300.0)
        imp = "" if r.impact_time is None else f" IMPACT after {(r.impact_time - m.t_start) / 86400:.1f} d"
        print(
            f"  {name}: osculating periapsis {lp.osc_hp_km.min():.1f} .. {lp.osc_hp_km.max():.1f} km, "
            f"mean {np.nanmin(lp.hp_km):.1f} .. {np.nanmax(lp.hp_km):.1f} km, centre excursion "
            f"{lp.centre_excursion:.2e}, centre ({lp.centre[0]:+.5f}, {lp.centre[1]:+.5f}){imp}"
        )


if __name__ == "__main__":
    main()
