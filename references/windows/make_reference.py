"""Brute-force reference windows for ``tests/windows/test_against_reference.py``.

Independent of lunarscope's geometry, windows, frames and sites code: the Sun, Earth and
Moon positions and the Moon orientation (MOON_ME, DE421) come from SPICE (spiceypy, the
kernels of ``tests/spice_kernels.py``); the Earth orientation (ITRS) from astropy's IERS-A
interpolation and ERFA ``c2t06a`` (see ``earth_rotation`` for why not SPICE's ITRF93); station positions from SPICE
``georec`` (WGS84), site positions from ``latrec`` on the 1737.4 km sphere; every condition
is coded here again from its definition. Only the spacecraft trajectory (the input, not the
geometry under test) comes from lunarscope's propagator, re-run from the committed mission
file.

Method: every condition is evaluated on a dense 1 s grid over the whole span; each sign
change between two samples is bisected (with fresh SPICE geometry at every step) until the
bracket is shorter than 1 µs; the window boundary is the end of the final bracket that is
inside (g >= 0). Windows shorter than 1 s (or gaps shorter than 1 s) can be missed by the
reference; the test tolerates windows shorter than ``min_window_s`` being absent.

Definitions (the same physical model lunarscope documents in docs/windows.md; radii:
Sun 695700 km (IAU 2015 B3), Earth 6378.137 km (WGS84), Moon 1737.4 km (IAU/LOLA)):

* umbra of body B: seen from the spacecraft, Sun apparent radius a, B's apparent radius b,
  centre separation c:  c <= b − a;  penumbra (partial only): b − a < c < a + b.
* target occulted by B: angle(target, B) < asin(R_B / d_B) (Earth: R + atmosphere).
* target_visible: not occulted by the Moon or the Earth, angle to the Sun >= sun_exclusion,
  angle above the Earth's (R + atmosphere) limb >= earth_limb, above the Moon's >= moon_limb.
* contact: elevation of the spacecraft at the station (geodetic ENU) >= mask(azimuth)
  (linear in azimuth, periodic), the segment station–spacecraft misses the Moon sphere
  (closest-point distance), range <= max_range_km.
* site_pass / site_earth_visible: elevation of the spacecraft / Earth centre >= horizon mask;
  site_sunlit: elevation of the Sun's centre >= min_sun_elevation_deg (spherical ENU).

Run (about 2-3 minutes per mission on one core):

    python references/windows/make_reference.py tests/data/windows/polar100.yaml \
        tests/data/windows/polar100_reference.csv
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import spice_kernels  # noqa: E402

R_SUN = 695700.0
R_EARTH = 6378.137
F_EARTH = 1.0 / 298.257223563
R_MOON = 1737.4
GRID_S = 1.0
BISECT_TO_S = 1e-6
CHUNK = 86400


def earth_rotation(et):
    """ICRF -> ITRS rotation (N,3,3) from astropy's IERS-A table and ERFA ``c2t06a``.

    Not SPICE's ITRF93: that older realization differs from the current ITRS (IAU 2006/2000A,
    IERS EOP) by about 8 mas in 2023-2026 (measured against ``pxform('J2000', 'ITRF93')``),
    which moves contact boundaries by about 1 ms. UT1 and the pole come from astropy's own
    interpolation of the same IERS-A file (astropy-iers-data) that lunarscope reads.
    """
    import erfa
    from astropy.time import Time
    from astropy.utils import iers
    from astropy_iers_data import IERS_A_FILE

    iers.conf.auto_download = False
    table = iers.IERS_A.open(IERS_A_FILE)
    iers.earth_orientation_table.set(table)
    t = Time(np.full(np.size(et), 2451545.0), np.asarray(et, float) / 86400.0, format="jd", scale="tdb")
    tt, ut1 = t.tt, t.ut1
    xp, yp = table.pm_xy(t.utc)
    arcsec = math.pi / (180.0 * 3600.0)
    return erfa.c2t06a(tt.jd1, tt.jd2, ut1.jd1, ut1.jd2, xp.to_value("arcsec") * arcsec, yp.to_value("arcsec") * arcsec)


class Geometry:
    """SPICE geometry at arbitrary TDB epochs (s past J2000 = SPICE ET)."""

    def __init__(self, mission_raw, trajectory):
        self.sp = spice_kernels.furnish()
        self.traj = trajectory
        self.raw = mission_raw
        sp = self.sp
        self.stations = []
        for s in mission_raw.get("stations", []) or []:
            lon, lat = math.radians(s["lon_deg"]), math.radians(s["lat_deg"])
            p = np.array(sp.georec(lon, lat, s.get("height_km", 0.0), R_EARTH, F_EARTH))
            mask = None
            if s.get("elevation_mask"):
                tab = sorted(
                    (float(a) % 360.0, float(e))
                    for a, e in s["elevation_mask"]
                    if not (float(a) == 360.0 and any(float(x) == 0.0 for x, _ in s["elevation_mask"]))
                )
                mask = np.array(tab)
            self.stations.append(
                dict(
                    name=s["name"],
                    p=p,
                    enu=self._enu(lat, lon),
                    min_el=math.radians(s.get("min_elevation_deg", 10.0)),
                    mask=mask,
                    max_range=s.get("max_range_km"),
                )
            )
        self.sites = []
        for s in mission_raw.get("sites", []) or []:
            lon, lat = math.radians(s["lon_deg"]), math.radians(s["lat_deg"])
            p = np.array(sp.latrec(R_MOON + s.get("height_km", 0.0), lon, lat))
            self.sites.append(
                dict(
                    name=s["name"],
                    p=p,
                    enu=self._enu(lat, lon),
                    horizon=math.radians(s.get("horizon_mask_deg", 0.0)),
                    min_sun=math.radians(s.get("min_sun_elevation_deg", 0.0)),
                )
            )
        c = mission_raw.get("constraints", {}) or {}
        self.sun_ex = math.radians(c["sun_exclusion_deg"]) if c.get("sun_exclusion_deg") is not None else None
        self.earth_limb = math.radians(c["earth_limb_deg"]) if c.get("earth_limb_deg") is not None else None
        self.moon_limb = math.radians(c["moon_limb_deg"]) if c.get("moon_limb_deg") is not None else None
        self.r_atm = R_EARTH + c.get("earth_atmosphere_km", 100.0)
        self.targets = mission_raw.get("targets", []) or []

    @staticmethod
    def _enu(lat, lon):
        sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])

    def target_units(self, t_mid):
        """Catalogue direction moved by proper motion (tangent plane, linear) to t_mid."""
        out = []
        for tg in self.targets:
            ra, dec = math.radians(tg["ra_deg"]), math.radians(tg["dec_deg"])
            u = np.array([math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)])
            e_ra = np.array([-math.sin(ra), math.cos(ra), 0.0])
            e_dec = np.array([-math.sin(dec) * math.cos(ra), -math.sin(dec) * math.sin(ra), math.cos(dec)])
            yr = t_mid / (365.25 * 86400.0)
            mas = math.radians(1.0 / 3.6e6)
            u = u + yr * mas * (tg.get("pm_ra_mas_yr", 0.0) * e_ra + tg.get("pm_dec_mas_yr", 0.0) * e_dec)
            out.append(u / np.linalg.norm(u))
        return np.array(out)

    def conditions(self):
        """(kind, subject) keys in evaluation order."""
        keys = [(k, b) for b in ("moon", "earth") for k in ("umbra", "penumbra")]
        keys += [("contact", s["name"]) for s in self.stations]
        for s in self.sites:
            keys += [("site_pass", s["name"]), ("site_sunlit", s["name"]), ("site_earth_visible", s["name"])]
        keys += [("target_visible", t["name"]) for t in self.targets]
        keys += [("target_occulted", t["name"]) for t in self.targets]
        return keys

    def evaluate(self, et, u):
        """Boolean-valued g >= 0 as float g (K, N) for all conditions at epochs ``et``."""
        sp = self.sp
        et = np.asarray(et, float)
        r = self.traj.state(et)[:, :3]  # spacecraft wrt Moon, ICRF
        sun = np.array(sp.spkpos("SUN", et, "J2000", "NONE", "MOON")[0]).reshape(-1, 3)
        earth = np.array(sp.spkpos("EARTH", et, "J2000", "NONE", "MOON")[0]).reshape(-1, 3)
        itrf = earth_rotation(et)
        me = np.array([sp.pxform("J2000", "MOON_ME", e) for e in et])

        def ang(a, b):
            return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))

        out = []
        to_sun, to_moon, to_earth = sun - r, -r, earth - r
        a = np.arcsin(R_SUN / np.linalg.norm(to_sun, axis=1))
        for to_b, rad in ((to_moon, R_MOON), (to_earth, R_EARTH)):
            b = (
                np.arcsin(R_MOON / np.linalg.norm(to_b, axis=1))
                if rad == R_MOON
                else np.arcsin(R_EARTH / np.linalg.norm(to_b, axis=1))
            )
            c = ang(to_sun, to_b)
            out.append((b - a) - c)  # umbra
            out.append(np.minimum(a + b - c, c - (b - a)))  # penumbra (partial only)
        for s in self.stations:
            p_icrf = np.einsum("nji,j->ni", itrf, s["p"])
            los = r - (earth + p_icrf)  # station -> spacecraft
            enu = np.einsum("ij,njk,nk->ni", s["enu"], itrf, los)
            el = np.arcsin(enu[:, 2] / np.linalg.norm(enu, axis=1))
            az = np.mod(np.arctan2(enu[:, 0], enu[:, 1]), 2 * np.pi)
            if s["mask"] is not None:
                m = np.radians(np.interp(np.degrees(az), s["mask"][:, 0], s["mask"][:, 1], period=360.0))
            else:
                m = s["min_el"]
            g = el - m
            # segment station -> spacecraft vs the Moon sphere (Moon at origin)
            st = earth + p_icrf
            d = r - st
            sfr = np.clip(np.sum(-st * d, axis=1) / np.sum(d * d, axis=1), 0, 1)
            clear = np.linalg.norm(st + sfr[:, None] * d, axis=1) - R_MOON
            g = np.where(clear < 0, np.minimum(g, -1e-3), g)
            if s["max_range"]:
                g = np.where(np.linalg.norm(los, axis=1) > s["max_range"], np.minimum(g, -1e-3), g)
            out.append(g)
        for s in self.sites:
            p_icrf = np.einsum("nji,j->ni", me, s["p"])
            for vec, thr in ((r, s["horizon"]), (sun, s["min_sun"]), (earth, s["horizon"])):
                enu = np.einsum("ij,njk,nk->ni", s["enu"], me, vec - p_icrf)
                out.append(np.arcsin(enu[:, 2] / np.linalg.norm(enu, axis=1)) - thr)
        if len(u):
            um = to_moon / np.linalg.norm(to_moon, axis=1)[:, None]
            ue = to_earth / np.linalg.norm(to_earth, axis=1)[:, None]
            us = to_sun / np.linalg.norm(to_sun, axis=1)[:, None]
            rho_m = np.arcsin(R_MOON / np.linalg.norm(to_moon, axis=1))
            rho_e = np.arcsin(self.r_atm / np.linalg.norm(to_earth, axis=1))
            vis, occ = [], []
            for k in range(len(u)):
                uk = np.broadcast_to(u[k], um.shape)
                lm = ang(uk, um) - rho_m
                le = ang(uk, ue) - rho_e
                g = np.minimum(lm, le)
                if self.moon_limb is not None:
                    g = np.minimum(g, lm - self.moon_limb)
                if self.earth_limb is not None:
                    g = np.minimum(g, le - self.earth_limb)
                if self.sun_ex is not None:
                    g = np.minimum(g, ang(uk, us) - self.sun_ex)
                vis.append(g)
                occ.append(-np.minimum(lm, le))
            out += vis + occ
        return np.array(out)


def reference_windows(path):
    from lunarscope.mission import load_mission
    from lunarscope.mission.run import propagate_mission

    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    mission = load_mission(path)
    traj = propagate_mission(mission).trajectory
    t0, t1 = mission.t_start, mission.t_stop
    geo = Geometry(raw, traj)
    keys = geo.conditions()
    u = geo.target_units(0.5 * (t0 + t1))
    n = int(np.floor((t1 - t0) / GRID_S))
    grid = t0 + GRID_S * np.arange(n + 1)
    if grid[-1] < t1:
        grid = np.append(grid, t1)
    inside = np.empty((len(keys), grid.size), bool)
    clock = time.time()
    for i in range(0, grid.size, CHUNK):
        inside[:, i : i + CHUNK] = geo.evaluate(grid[i : i + CHUNK], u) >= 0
    print(f"  sampled {grid.size} epochs in {time.time() - clock:.0f} s", file=sys.stderr)
    # brackets: (condition k, left sample j) where the sign changes
    kk, jj = np.nonzero(inside[:, 1:] != inside[:, :-1])
    lo, hi = grid[jj].copy(), grid[jj + 1].copy()
    lo_in = inside[kk, jj].copy()
    while kk.size and np.max(hi - lo) > BISECT_TO_S:
        mid = 0.5 * (lo + hi)
        # evaluate all conditions at the mid points (one SPICE pass), pick each bracket's row
        g = geo.evaluate(mid, u)[kk, np.arange(kk.size)] >= 0
        same = g == lo_in
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    rows = []
    for k, key in enumerate(keys):
        sel = kk == k
        starts, stops = [], []
        if inside[k, 0]:
            starts.append(t0)
        # rising edge: lo outside, hi inside -> window starts at hi; falling: ends at lo
        for l_, h_, li in zip(lo[sel], hi[sel], lo_in[sel]):
            (stops.append(l_) if li else starts.append(h_))
        if inside[k, -1]:
            stops.append(t1)
        for a, b in zip(sorted(starts), sorted(stops)):
            rows.append((key[0], key[1], a, b))
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mission")
    ap.add_argument("output")
    args = ap.parse_args()
    clock = time.time()
    rows = reference_windows(args.mission)
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(f"# brute-force reference windows for {os.path.basename(args.mission)}: SPICE geometry,\n")
        fh.write(
            f"# {GRID_S:g} s sampling, bisection to {BISECT_TO_S:g} s; made by references/windows/make_reference.py\n"
        )
        fh.write("kind,subject,start_tdb,stop_tdb\n")
        for kind, subj, a, b in rows:
            fh.write(f"{kind},{subj},{a:.7f},{b:.7f}\n")
    print(f"{args.output}: {len(rows)} windows in {time.time() - clock:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
