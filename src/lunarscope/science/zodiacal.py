"""Zodiacal light (sunlight scattered by interplanetary dust) seen from the spacecraft.

Brightness at 500 nm from Leinert et al. 1998 (A&AS 127, 1), Table 17, shipped as
``data/leinert1998_table17.csv`` (units 1e-8 W m⁻² sr⁻¹ µm⁻¹; 1 S10 = 1.28e-8 of them at
500 nm, Leinert et al. 1998). The table gives the brightness against the helioecliptic
longitude |λ − λ☉| and the ecliptic latitude |β| of the line of sight for an observer at 1 AU;
we interpolate bilinearly in log brightness (the table is smooth in log, not in linear units).
Cells the table leaves blank (within ~15° of the Sun) give NaN: those directions are inside any
practical Sun exclusion.

Observer at the Moon: the directions are taken from the spacecraft (the Sun's direction from
the spacecraft, the J2000 mean ecliptic), and the brightness is scaled with heliocentric
distance R as (R / 1 AU)^-2.3 (Helios 1/2 photometry, Leinert et al. 1981, A&A 103, 177:
exponent −2.3 ± 0.05, as adopted by Leinert et al. 1998). Over a year R is 0.983–1.017 AU, ±4 %.
The observer's offset from the dust symmetry plane (< 0.003 AU for the Moon) is neglected.

Colour: the spectrum is the solar spectrum reddened by Leinert et al. 1998's (sec. 8)
colour factor f_co(λ) = 1 + b·log10(λ / 500 nm) with b = 1.2 (λ < 500 nm) and 0.8 (λ > 500 nm)
at elongation ε = 30°, and 0.9 / 0.6 at ε = 90°; between 30° and 90° we interpolate b linearly
in ε and hold it constant outside (our choice, stated). Because f_co is linear in b, a band
count rate at any ε is the same linear interpolation between the rates of the two spectra
(:func:`reddening_weight`), so the band integrals are done twice, not per epoch.

Infrared (≥ 1.25 µm): :func:`zodipy_radiance` evaluates the DIRBE model (Kelsall et al. 1998)
through the optional package ``zodipy`` for an observer at the spacecraft's heliocentric
position; it needs no download (ERFA's built-in ephemeris) but is not installed by default.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np

from ..constants import AU_KM
from ..errors import InputError

#: Shipped Table 17 of Leinert et al. 1998 (see its header).
TABLE_FILE = os.path.join(os.path.dirname(__file__), "data", "leinert1998_table17.csv")
#: Unit of the table values: W m⁻² sr⁻¹ µm⁻¹ (spectral radiance at 500 nm).
TABLE_UNIT_W_M2_SR_UM = 1e-8
#: One S10 (a 10th-magnitude solar-type star per square degree) at 500 nm, W m⁻² sr⁻¹ µm⁻¹
#: (Leinert et al. 1998).
S10_W_M2_SR_UM = 1.28e-8
#: Heliocentric-distance exponent of the zodiacal brightness, I ∝ R^k (Leinert et al. 1981).
HELIO_DISTANCE_EXPONENT = -2.3
#: Mean obliquity of the ecliptic at J2000, rad (IAU 2006, Capitaine et al. 2003: 84381.406″).
OBLIQUITY_J2000_RAD = math.radians(84381.406 / 3600.0)
#: Reference wavelength of the table and of the colour factor, µm.
REFERENCE_WAVELENGTH_UM = 0.5
#: Elongations (deg) at which Leinert et al. 1998 give the reddening slopes.
REDDENING_ELONGATIONS_DEG = (30.0, 90.0)
#: Reddening slopes b per decade of λ: {elongation_deg: (b for λ < 500 nm, b for λ > 500 nm)}.
REDDENING_SLOPES = {30.0: (1.2, 0.8), 90.0: (0.9, 0.6)}
#: Floor on the colour factor (dimensionless): keeps it positive in the far UV (λ < 0.12 µm),
#: outside the range (0.2–2.5 µm) where the factor was measured.
REDDENING_FLOOR = 0.05
#: Shortest wavelength (µm) where zodipy's DIRBE model applies (its first DIRBE band).
ZODIPY_MIN_WAVELENGTH_UM = 1.25

__all__ = [
    "table",
    "table_radiance",
    "ecliptic_from_icrf",
    "helioecliptic",
    "zodiacal_radiance",
    "reddening",
    "reddening_weight",
    "reddened_solar_spectrum",
    "zodipy_available",
    "zodipy_radiance",
]


@lru_cache(maxsize=1)
def table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(|λ−λ☉| deg (19,), |β| deg (11,), radiance W m⁻² sr⁻¹ µm⁻¹ (19, 11), NaN where blank)."""
    with open(TABLE_FILE, encoding="utf-8") as fh:
        rows = [ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")]
    beta = np.array([float(x) for x in rows[0].split(",")[1:]])
    data = np.array([[float(x) for x in r.split(",")] for r in rows[1:]])
    values = data[:, 1:] * TABLE_UNIT_W_M2_SR_UM
    for a in (data[:, 0], beta, values):
        a.setflags(write=False)
    return data[:, 0], beta, values


def _bilinear_log(x, y, xg, yg, logv):
    """Bilinear interpolation of ``logv`` (len(xg), len(yg)) at points (x, y), clamped to the grid."""
    x = np.clip(x, xg[0], xg[-1])
    y = np.clip(y, yg[0], yg[-1])
    i = np.clip(np.searchsorted(xg, x, side="right") - 1, 0, len(xg) - 2)
    j = np.clip(np.searchsorted(yg, y, side="right") - 1, 0, len(yg) - 2)
    wx = (x - xg[i]) / (xg[i + 1] - xg[i])
    wy = (y - yg[j]) / (yg[j + 1] - yg[j])
    return (
        (1 - wx) * (1 - wy) * logv[i, j]
        + wx * (1 - wy) * logv[i + 1, j]
        + (1 - wx) * wy * logv[i, j + 1]
        + wx * wy * logv[i + 1, j + 1]
    )


def table_radiance(dlon_deg, beta_deg) -> np.ndarray:
    """Table 17 radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹), observer at 1 AU, at helioecliptic
    longitude λ−λ☉ and ecliptic latitude β (deg, any sign; the table is symmetric in both):
    bilinear in log10 brightness; NaN where an enclosing cell is blank (near the Sun)."""
    lon, beta, values = table()
    dl = np.abs((np.asarray(dlon_deg, float) + 180.0) % 360.0 - 180.0)
    b = np.abs(np.asarray(beta_deg, float))
    with np.errstate(invalid="ignore"):
        return 10.0 ** _bilinear_log(dl, b, lon, beta, np.log10(values))


def ecliptic_from_icrf(v) -> np.ndarray:
    """Components (…,3) in the J2000 mean ecliptic frame of ICRF vectors ``v`` (…,3)
    (rotation by the obliquity about x; the 23 mas ICRF frame bias is neglected)."""
    v = np.asarray(v, float)
    c, s = math.cos(OBLIQUITY_J2000_RAD), math.sin(OBLIQUITY_J2000_RAD)
    return np.stack([v[..., 0], c * v[..., 1] + s * v[..., 2], -s * v[..., 1] + c * v[..., 2]], axis=-1)


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def helioecliptic(pointing_icrf, to_sun_icrf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(|λ−λ☉| deg in [0, 180], β deg, elongation ε deg) of the line of sight ``pointing_icrf``
    (N,3) or (3,) with the Sun in direction ``to_sun_icrf`` (N,3) or (3,), any length, both from
    the observer; each result is (N,) (broadcast)."""
    u = np.atleast_2d(ecliptic_from_icrf(_unit(pointing_icrf)))
    s = np.atleast_2d(ecliptic_from_icrf(_unit(to_sun_icrf)))
    u, s = np.broadcast_arrays(u, s)
    lam = np.arctan2(u[..., 1], u[..., 0])
    lam_sun = np.arctan2(s[..., 1], s[..., 0])
    dlon = np.abs((np.degrees(lam - lam_sun) + 180.0) % 360.0 - 180.0)
    beta = np.degrees(np.arcsin(np.clip(u[..., 2], -1.0, 1.0)))
    c = np.clip(np.sum(u * s, axis=-1), -1.0, 1.0)
    return dlon, beta, np.degrees(np.arccos(c))


def zodiacal_radiance(pointing_icrf, to_sun_km) -> np.ndarray:
    """Zodiacal spectral radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹), shape (N,), along ``pointing_icrf``
    (N,3) or (3,) seen by an observer with the Sun at ``to_sun_km`` (N,3) km (ICRF, from the
    observer): Table 17 × (R / 1 AU)^-2.3 with R = |to_sun_km|."""
    to_sun = np.atleast_2d(np.asarray(to_sun_km, float))
    dlon, beta, _ = helioecliptic(pointing_icrf, to_sun)
    r_au = np.linalg.norm(to_sun, axis=-1) / AU_KM
    return table_radiance(dlon, beta) * r_au**HELIO_DISTANCE_EXPONENT


def _slopes(elongation_deg):
    (e0, e1) = REDDENING_ELONGATIONS_DEG
    w = np.clip((np.asarray(elongation_deg, float) - e0) / (e1 - e0), 0.0, 1.0)
    blue = (1 - w) * REDDENING_SLOPES[e0][0] + w * REDDENING_SLOPES[e1][0]
    red = (1 - w) * REDDENING_SLOPES[e0][1] + w * REDDENING_SLOPES[e1][1]
    return blue, red


def reddening(wavelength_um, elongation_deg) -> np.ndarray:
    """Colour factor f_co (dimensionless) of the zodiacal light relative to the solar spectrum,
    normalised to 1 at 500 nm (Leinert et al. 1998, sec. 8; see the module docstring)."""
    lam = np.asarray(wavelength_um, float)
    blue, red = _slopes(elongation_deg)
    x = np.log10(lam / REFERENCE_WAVELENGTH_UM)
    return np.maximum(REDDENING_FLOOR, 1.0 + np.where(x < 0, blue, red) * x)


def reddening_weight(elongation_deg) -> np.ndarray:
    """Weight w in [0, 1] with rate(ε) = (1 − w)·rate(30° spectrum) + w·rate(90° spectrum)."""
    (e0, e1) = REDDENING_ELONGATIONS_DEG
    return np.clip((np.asarray(elongation_deg, float) - e0) / (e1 - e0), 0.0, 1.0)


@lru_cache(maxsize=4)
def reddened_solar_spectrum(elongation_deg: float):
    """``synphot.SourceSpectrum``: the shipped solar spectrum × f_co at one elongation (deg).
    Cached: call it with ``REDDENING_ELONGATIONS_DEG`` so band integrals are reused."""
    from synphot import Empirical1D, SourceSpectrum

    from .spectra import solar_spectrum

    sun = solar_spectrum()
    wave = sun.waveset
    lam_um = wave.to_value("um")
    scaled = sun(wave) * reddening(lam_um, float(elongation_deg))
    return SourceSpectrum(Empirical1D, points=wave, lookup_table=scaled, keep_neg=False)


# ---------------------------------------------------------------------------------- zodipy
def zodipy_available() -> bool:
    """True when the optional package ``zodipy`` can be imported."""
    try:
        import zodipy  # noqa: F401
    except ImportError:
        return False
    return True


def zodipy_radiance(t_tdb, observer_helio_icrf_km, pointing_icrf, wavelength_um: float, model: str = "dirbe"):
    """Zodiacal spectral radiance (W m⁻² sr⁻¹ µm⁻¹), shape (N,), at ``wavelength_um`` (≥ 1.25 µm)
    from zodipy's ``model`` (default DIRBE, Kelsall et al. 1998) for an observer at heliocentric
    ICRF position ``observer_helio_icrf_km`` (N,3) at TDB seconds ``t_tdb`` (N,), looking along
    ``pointing_icrf`` (N,3). zodipy returns MJy sr⁻¹; converted with B_λ = B_ν c / λ²."""
    if not zodipy_available():
        raise InputError("zodiacal", "the infrared model needs the optional package zodipy (pip install zodipy)")
    if not wavelength_um >= ZODIPY_MIN_WAVELENGTH_UM:
        raise InputError("zodiacal", f"zodipy applies at >= {ZODIPY_MIN_WAVELENGTH_UM} um, not {wavelength_um} um")
    import astropy.units as u
    import zodipy
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    from ..time import J2000_JD

    t = np.atleast_1d(np.asarray(t_tdb, float))
    obs = ecliptic_from_icrf(np.atleast_2d(observer_helio_icrf_km)) / AU_KM
    p = np.broadcast_to(_unit(pointing_icrf), (t.size, 3))
    times = Time(J2000_JD, t / 86400.0, format="jd", scale="tdb")
    obspos = obs.T * u.AU
    if t.size == 1:  # zodipy wants one obstime and a (3,) position for a single epoch
        times, obspos = times[0], obspos[:, 0]
    coords = SkyCoord(x=p[:, 0], y=p[:, 1], z=p[:, 2], representation_type="cartesian", frame="icrs", obstime=times)
    m = zodipy.Model(wavelength_um * u.micron, name=model)
    mjy = np.atleast_1d(m.evaluate(coords, obspos=obspos).to_value(u.MJy / u.sr))
    # 1 MJy sr^-1 = 1e-20 W m^-2 Hz^-1 sr^-1; B_lambda = B_nu c / lambda^2, per µm.
    c_um_s = 2.99792458e14
    return mjy * 1e-20 * c_um_s / wavelength_um**2
