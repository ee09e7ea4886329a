"""Elliptical lunar frozen orbits (issue 14 item 3): averaged model and full-model check.

Orbits (epoch 2030-01-01T00:00:00 UTC, ta = 0):
  ely   Ely (2005) ELFO a 6541.4 km, e 0.6, i 56.2 deg, argp 90 deg, RAAN 0, elements in the
        EARTH_MOON plane at the epoch (Ely's convention);
  demo  the same numbers read in MOON_ME_INERTIAL axes (how examples/circumlunar-telescope.yaml
        flew them until it was given Ely's orbit in MOON_ME axes: i 57.29, RAAN 285.15, argp 98.02).
For each: the doubly averaged model (lunar J2 + Earth + Sun, quadrupole; lunarscope.design.elfo)
over ``--avg-years``, and the full model (GRGM1200A ``--degree`` x ``--degree`` + Earth + Sun,
DE440, no SRP, rtol 1e-10, atol 1e-6 km) over ``--days``: periapsis altitude range (mean and
osculating), e, i, argp ranges in the EARTH_MOON plane, eccentricity-vector excursion.

    python references/physics/elfo_check.py --days 365 --degree 10

Prints the numbers quoted in docs/design-orbits.md ("Frozen orbits").
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def show(ex, extra=""):
    print(
        f"  {ex.label:<28} {ex.span_d:7.0f} d  hp {ex.hp_min_km:7.1f} .. {ex.hp_max_km:7.1f} km  "
        f"e {ex.e_range[0]:.4f} .. {ex.e_range[1]:.4f}  i {ex.i_range[0]:.2f} .. {ex.i_range[1]:.2f}  "
        f"argp {ex.argp_range[0]:.1f} .. {ex.argp_range[1]:.1f}  |de| {ex.evec_excursion:.4f}"
        f"{'' if ex.below_surface_d is None else f'  periapsis below 0 km on day {ex.below_surface_d:.0f}'}{extra}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=365.0, help="full-model span (0: skip)")
    ap.add_argument("--avg-years", type=float, default=10.0)
    ap.add_argument("--degree", type=int, default=10)
    a = ap.parse_args()

    from lunarscope import frames
    from lunarscope.design import elfo
    from lunarscope.mission.core import mission_from_dict
    from lunarscope.orbits.planes import elements_in_plane, plane_rotation

    raw = {
        "name": "elfo",
        "start": "2030-01-01T00:00:00Z",
        "duration": f"{max(a.days, 1.0)} d",
        "orbit": {
            "frame": "MOON_ME_INERTIAL",
            "elements": {"a_km": 6541.4, "e": 0.6, "i_deg": 56.2, "raan_deg": 0, "argp_deg": 90, "ta_deg": 0},
        },
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": a.degree, "order": a.degree},
            "third_bodies": ["earth", "sun"],
        },
    }
    m = mission_from_dict(raw)
    t0, fm, src = m.t_start, m.force_model, m.sources
    gm = fm.field.gm_km3_s2
    model = elfo.model_at(t0, fm.field, src.ephemeris, src.moon_pck, sun=True)
    earth_only = elfo.model_at(t0, fm.field, src.ephemeris, src.moon_pck, sun=False)
    print(f"lunar pole in EARTH_MOON axes at the epoch: {np.degrees(np.arccos(model.pole[2])):.3f} deg from z")
    print(
        f"Kozai e(56.2 deg) = {float(elfo.kozai_frozen_e(56.2)):.4f}; i for e = 0.6: "
        f"{float(elfo.kozai_frozen_i_deg(0.6)):.2f} deg"
    )
    for lab, mdl in (("Earth + J2", earth_only), ("Earth + Sun + J2", model)):
        print(f"averaged model {lab}: frozen e at i 56.2 (argp 90, RAAN 0) = {mdl.frozen_e(6541.4, 56.2):.4f}")
    rot_em = plane_rotation("EARTH_MOON", [t0], ephemeris=src.ephemeris)[0]
    rot_me = frames.rotation("MOON_ME", [t0], src.moon_pck)[0]
    states = {
        "ely (EARTH_MOON elements)": elfo.elements_to_state(6541.4, 0.6, 56.2, 0.0, 90.0, 0.0, gm, rot_em),
        "demo (MOON_ME elements)": elfo.elements_to_state(6541.4, 0.6, 56.2, 0.0, 90.0, 0.0, gm, rot_me),
    }
    for name, s in states.items():
        el = elements_in_plane([t0], s[None], gm, "EARTH_MOON", ephemeris=src.ephemeris)[0]
        i_em, raan_em, w_em = np.degrees(el[2:5])
        print(f"{name}: osculating in EARTH_MOON: e {el[1]:.4f}, i {i_em:.2f}, RAAN {raan_em:.2f}, argp {w_em:.2f}")
        t = time.perf_counter()
        _, _, ex = elfo.averaged_check(
            model,
            el[0],
            el[1],
            i_em,
            raan_em,
            w_em,
            a.avg_years * 365.25 * 86400.0,
            label="averaged " + name.split()[0],
        )
        show(ex, f"  ({time.perf_counter() - t:.1f} s)")
        if a.days > 0:
            t = time.perf_counter()
            h, osc_hp, exf, imp = elfo.full_model_check(
                s, t0, t0 + a.days * 86400.0, fm, src.ephemeris, label=f"full {a.degree}x{a.degree} " + name.split()[0]
            )
            show(
                exf,
                f"  osculating hp {osc_hp.min():.1f} .. {osc_hp.max():.1f} km"
                f"{'' if imp is None else ' IMPACT'}  ({time.perf_counter() - t:.0f} s)",
            )


if __name__ == "__main__":
    main()
