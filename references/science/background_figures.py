"""Figures for the backgrounds (issue 15 item 3): each model against its source or a published value.

    python references/science/background_figures.py

Prints, with the sources named in docs/science.md ("Backgrounds"):

1. zodiacal light at a few ecliptic positions, from the spacecraft geometry, vs Leinert et al.
   1998 Table 17, and the ecliptic pole in V mag arcsec⁻² vs the 23.3 of the HST handbooks;
2. the 1 S10 unit from the shipped solar spectrum and V☉ = −26.76 vs Leinert's 1.28e-8;
3. the near-field Moon integral carried out from the mean Earth distance vs the full-Moon
   V = −12.74 and Allen's phase curve;
4. the full Earth from the Moon vs −17 and the geometric-albedo value (p = 0.434);
5. zodipy's DIRBE model at 1.25 µm vs Leinert carried to 1.25 µm (when zodipy is installed);
6. the Moon quadrature from 100 km vs 4× the nodes, and the time per epoch.
"""

from __future__ import annotations

import math
import time

import numpy as np

from lunarscope.constants import AU_KM, EARTH_MOON_DISTANCE_KM, MOON_RADIUS_KM
from lunarscope.science import stray_light, zodiacal
from lunarscope.science.instrument import Instrument


def ecliptic_to_icrf(lon_deg, lat_deg):
    lo, la = np.radians(lon_deg), np.radians(lat_deg)
    v = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    c, s = math.cos(zodiacal.OBLIQUITY_J2000_RAD), math.sin(zodiacal.OBLIQUITY_J2000_RAD)
    return np.array([v[0], c * v[1] - s * v[2], s * v[1] + c * v[2]])


def main() -> None:
    print("1. zodiacal light, observer at 1 AU (1e-8 W m-2 sr-1 um-1 at 500 nm)")
    sun_lon = 123.0
    to_sun = ecliptic_to_icrf(sun_lon, 0.0)[None, :] * AU_KM
    lon, beta, values = zodiacal.table()
    for dl, b in ((180, 0), (90, 0), (90, 30), (135, 60), (45, 15), (60, 45), (0, 90)):
        p = ecliptic_to_icrf(sun_lon + dl, b)
        got = zodiacal.zodiacal_radiance(p, to_sun)[0] / 1e-8
        ref = values[list(lon).index(dl), list(beta).index(b)] / 1e-8
        print(f"   dlon {dl:3d}  beta {b:2d}: model {got:7.2f}  table {ref:7.2f}  diff {got / ref - 1:+.1e}")
    pole = zodiacal.zodiacal_radiance(ecliptic_to_icrf(0, 90), to_sun)[0]
    mag = 10 - 2.5 * math.log10(pole / zodiacal.S10_W_M2_SR_UM) + 2.5 * math.log10(3600.0**2)
    print(f"   ecliptic pole: {pole / zodiacal.S10_W_M2_SR_UM:.1f} S10 = {mag:.2f} V mag/arcsec2 (published 23.3)")

    e500 = stray_light.solar_irradiance_500nm()
    s10 = e500 * 10 ** (-0.4 * (10.0 - stray_light.SUN_V_MAG)) / math.radians(1.0) ** 2
    print(f"2. 1 S10 from the solar spectrum: {s10:.4e} vs Leinert 1.28e-8 ({s10 / 1.28e-8 - 1:+.1%})")

    print("3. Moon from the mean Earth distance (V mag)")
    for a in (0, 10, 30, 60, 90, 120, 150):
        ar = math.radians(a)
        r = np.array([[EARTH_MOON_DISTANCE_KM, 0, 0]])
        sun = np.array([[math.cos(ar), math.sin(ar), 0]]) * AU_KM
        v = stray_light.v_from_irradiance_500nm(stray_light.moon_irradiance_500nm(r, sun))[0]
        ref = float(stray_light.moon_phase_curve_v(a))
        print(f"   phase {a:3d}: model {v:7.3f}  Allen {ref:7.3f}  diff {v - ref:+.3f}")
    print(f"   full Moon published {stray_light.MOON_FULL_V_MAG}")

    r = np.array([[0.0, 0.0, MOON_RADIUS_KM + 100.0]])
    earth = np.array([[EARTH_MOON_DISTANCE_KM, 0.0, 0.0]])
    e, _ = stray_light.earth_irradiance_500nm(r, np.array([[-AU_KM, 0, 0]]), earth)
    v = stray_light.v_from_irradiance_500nm(e)[0]
    delta = float(np.linalg.norm(earth - r))
    v_alb = stray_light.SUN_V_MAG - 2.5 * math.log10(0.434 * (6371.0 / delta) ** 2)
    print(f"4. full Earth from 100 km above the Moon: V {v:.2f} (albedo 0.434: {v_alb:.2f}; usual figure -17)")

    if zodiacal.zodipy_available():
        from lunarscope.science.spectra import flam, solar_spectrum
        from lunarscope.sources import Sources
        from lunarscope.time import to_tdb

        src = Sources.default()
        t = np.array([float(to_tdb("2030-01-01T00:00:00Z"))])
        obs = src.ephemeris.state("moon", "sun", t)[:, :3]
        sun = solar_spectrum()
        ratio = flam(sun, [12500.0])[0] / flam(sun, [5000.0])[0]
        for p in (np.array([0.0, 0.0, 1.0]), ecliptic_to_icrf(0, 90), ecliptic_to_icrf(200, 20)):
            ir = zodiacal.zodipy_radiance(t, obs, p, 1.25)[0]
            _, _, el = zodiacal.helioecliptic(p, -obs)
            opt = zodiacal.zodiacal_radiance(p, -obs)[0] * ratio * zodiacal.reddening(1.25, el[0])
            print(
                f"5. 1.25 um, elongation {el[0]:5.1f}: zodipy {ir:.3e}  Leinert+colour {opt:.3e}  ({ir / opt - 1:+.1%})"
            )
    else:
        print("5. zodipy not installed: skipped")

    inst = Instrument.default()
    d = MOON_RADIUS_KM + 100.0
    rho = math.degrees(math.asin(MOON_RADIUS_KM / d))
    sun = np.array([[0.3, 1.0, 0.2]]) * AU_KM
    for gap in (1.0, 5.0, 20.0, 60.0):
        ang = math.radians(rho + gap)
        p = np.array([[-math.cos(ang), 0.8 * math.sin(ang), 0.6 * math.sin(ang)]])
        a = stray_light.moon_equivalent_radiance(inst, np.array([[d, 0, 0]]), sun, p)[0]
        b = stray_light.moon_equivalent_radiance(inst, np.array([[d, 0, 0]]), sun, p, n_e=256, n_phi=512)[0]
        print(f"6. Moon limb {gap:4.1f} deg off-axis from 100 km: {a:.4e} vs 8x nodes {b:.4e} ({a / b - 1:+.2%})")
    n = 4320
    rr = np.repeat(np.array([[d, 0, 0]]), n, 0)
    stray_light.moon_equivalent_radiance(inst, rr[:2], sun, p)
    t0 = time.perf_counter()
    stray_light.moon_equivalent_radiance(inst, rr, np.repeat(sun, n, 0), p)
    print(f"   Moon term: {(time.perf_counter() - t0) / n * 1e6:.0f} us per epoch ({n} epochs)")


if __name__ == "__main__":
    main()
