"""Physics check: PFS-2 (the Apollo 16 subsatellite) with its orbit plane derived from the
landing site, not scanned.

Facts used, with their sources (all second-hand, as docs/design-orbits.md says):

* Landing site (Descartes) 8.97301 deg S, 15.50019 deg E; LM ascent 1972-04-24T01:25:47 UTC
  (Apollo 16 infobox, Wikipedia, after the Apollo 16 Mission Report).
* Release 1972-04-24T21:56:09 UTC (a Wikipedia mirror); ~100 km, 10 deg to the lunar equator,
  retrograde ("clockwise as viewed from north", NSSDCA 1972-031D as quoted), i.e. i = 170 deg.
* Impact 1972-05-29 about 21:00 UT at 10.2 deg N, 112 deg E, "after 34 days" (NASA Solar System
  Exploration, after Siddiqi, *Deep Space Chronicle*).

The derivation. Lunar-orbit rendezvous is coplanar: at LM liftoff the command module's orbit
plane contains the landing site (the CSM's plane change before ascent puts it there). A plane
of inclination i through a point at latitude phi has the point at argument of latitude u with
sin u = sin(phi) / sin(i) — two solutions, u and 180 deg - u — and its node at longitude
lambda - atan2(cos i sin u, cos u) (spherical trigonometry of the ground track, e.g. Vallado,
*Fundamentals of Astrodynamics*, 4th ed., sec. 11.2). Each plane is carried from the MOON_ME axes
at liftoff to ICRF, then to the MOON_ME axes at release, and its node advanced by the J2 secular
rate -1.5 n J2 (R/a)^2 cos i (Vallado eq. 9-41) over the 20.5 h between them (about +1 deg), on
the assumption that no plane change happened between ascent and release. The argument of
latitude at release is unknown: four values (0, 90, 180, 270 deg) show how much it matters.

Each case is flown with GRGM1200A 50x50 in MOON_PA + Earth + Sun (DE440), DOP853 rtol 1e-10,
atol 1e-7 km, from release to impact (altitude 0 above the 1737.4 km sphere) or 45 days, and the
impact time and place (MOON_ME latitude, longitude) are printed against the observed ones.

    python references/physics/pfs2_node.py [--degree 50] [--days 45]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from orbit_history import SOURCES  # noqa: E402

from lunarscope import frames  # noqa: E402
from lunarscope.constants import MOON_RADIUS_KM  # noqa: E402
from lunarscope.dynamics.forces import ForceModel  # noqa: E402
from lunarscope.dynamics.propagator import propagate  # noqa: E402
from lunarscope.gravity import builtin_field  # noqa: E402
from lunarscope.orbits.elements import keplerian_to_cartesian  # noqa: E402
from lunarscope.time import to_iso_utc, to_tdb  # noqa: E402

SITE_LAT_DEG, SITE_LON_DEG = -8.97301, 15.50019
LIFTOFF_UTC = "1972-04-24T01:25:47Z"
RELEASE_UTC = "1972-04-24T21:56:09Z"
IMPACT_UTC = "1972-05-29T21:00:00Z"
IMPACT_LAT_DEG, IMPACT_LON_DEG = 10.2, 112.0
INCLINATION_DEG = 170.0
ALTITUDE_KM = 100.0
ARG_LAT_DEG = (0.0, 90.0, 180.0, 270.0)
RTOL, ATOL_KM = 1e-10, 1e-7
DAY_S = 86400.0


def planes_through_site(lat_deg: float, lon_deg: float, inc_deg: float) -> list[float]:
    """Node longitudes (deg, body-fixed) of the two planes of inclination ``inc_deg`` whose
    ground track passes over (lat, lon) (module doc)."""
    i, phi = math.radians(inc_deg), math.radians(lat_deg)
    s = math.sin(phi) / math.sin(i)
    if abs(s) > 1:
        raise ValueError(f"a {inc_deg} deg orbit never reaches latitude {lat_deg} deg")
    out = []
    for u in (math.asin(s), math.pi - math.asin(s)):
        dlon = math.atan2(math.cos(i) * math.sin(u), math.cos(u))
        out.append((lon_deg - math.degrees(dlon)) % 360.0)
    return out


def normal(inc_deg: float, raan_deg: float) -> np.ndarray:
    i, o = math.radians(inc_deg), math.radians(raan_deg)
    return np.array([math.sin(i) * math.sin(o), -math.sin(i) * math.cos(o), math.cos(i)])


def plane_of(h: np.ndarray) -> tuple[float, float]:
    """(inclination, RAAN) in degrees of the unit orbit normal ``h``."""
    return math.degrees(math.acos(h[2])), math.degrees(math.atan2(h[0], -h[1])) % 360.0


def j2_node_rate(field, a_km: float, inc_deg: float) -> float:
    """Secular node rate (rad/s) from J2 (Vallado eq. 9-41, e = 0); J2 = -sqrt(5) C20bar."""
    j2 = -math.sqrt(5.0) * float(field.C[2, 0])
    n = math.sqrt(field.gm_km3_s2 / a_km**3)
    return -1.5 * n * j2 * (field.radius_km / a_km) ** 2 * math.cos(math.radians(inc_deg))


def lat_lon_me(t: float, r_icrf: np.ndarray) -> tuple[float, float]:
    r = frames.rotation("MOON_ME", [t], SOURCES.moon_pck)[0] @ r_icrf
    return math.degrees(math.asin(r[2] / np.linalg.norm(r))), math.degrees(math.atan2(r[1], r[0])) % 360.0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--degree", type=int, default=50)
    ap.add_argument("--days", type=float, default=45.0)
    args = ap.parse_args(argv)
    t_l, t_r, t_imp = (float(to_tdb(x)) for x in (LIFTOFF_UTC, RELEASE_UTC, IMPACT_UTC))
    field = builtin_field("GRGM1200A").truncated(args.degree, args.degree)
    fm = ForceModel(field, "MOON_PA", ("earth", "sun"), ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck)
    a = MOON_RADIUS_KM + ALTITUDE_KM
    rot_l = frames.rotation("MOON_ME", [t_l], SOURCES.moon_pck)[0]  # r_ME = rot @ r_ICRF
    rot_r = frames.rotation("MOON_ME", [t_r], SOURCES.moon_pck)[0]
    drift = math.degrees(j2_node_rate(field, a, INCLINATION_DEG) * (t_r - t_l))
    print(
        f"PFS-2: plane through {SITE_LAT_DEG}, {SITE_LON_DEG} at LM liftoff {LIFTOFF_UTC}, i {INCLINATION_DEG} deg, "
        f"{ALTITUDE_KM} km circular, released {RELEASE_UTC}; J2 node drift to release {drift:+.2f} deg; "
        f"GRGM1200A {args.degree}x{args.degree} + Earth + Sun"
    )
    print(
        f"observed: impact {IMPACT_UTC} ({(t_imp - t_r) / DAY_S:.2f} d after release) at {IMPACT_LAT_DEG} N, {IMPACT_LON_DEG} E"
    )
    for k, node_l in enumerate(planes_through_site(SITE_LAT_DEG, SITE_LON_DEG, INCLINATION_DEG)):
        h_icrf = rot_l.T @ normal(INCLINATION_DEG, node_l)
        inc_r, raan_r = plane_of(rot_r @ h_icrf)
        raan_r = (raan_r + drift) % 360.0
        print(
            f"plane {k + 1}: node {node_l:.2f} deg E at liftoff -> MOON_ME at release: i {inc_r:.3f}, RAAN {raan_r:.2f} deg"
        )
        for u in ARG_LAT_DEG:
            s_me = keplerian_to_cartesian(
                a, 0.0, math.radians(inc_r), math.radians(raan_r), 0.0, math.radians(u), field.gm_km3_s2
            )
            s0 = np.concatenate([rot_r.T @ s_me[:3], rot_r.T @ s_me[3:]])
            wall = time.perf_counter()
            res = propagate(s0, t_r, t_r + args.days * DAY_S, fm, rtol=RTOL, atol_km=ATOL_KM, impact_altitude_km=0.0)
            wall = time.perf_counter() - wall
            if res.impact_time is None:
                print(f"  u {u:5.1f} deg: no impact in {args.days:g} d ({wall:.0f} s)")
                continue
            ti = float(res.impact_time)
            lat, lon = lat_lon_me(ti, np.asarray(res.trajectory.state(ti)).reshape(-1)[:3])
            print(
                f"  u {u:5.1f} deg: impact {to_iso_utc([ti], 0)[0]} UTC, {(ti - t_r) / DAY_S:.2f} d "
                f"({(ti - t_imp) / DAY_S:+.2f} d vs observed), at {lat:.1f} N, {lon:.1f} E ({wall:.0f} s)"
            )


if __name__ == "__main__":
    main()
