"""Sky backgrounds at the telescope's place and time: zodiacal light, stray light from the Moon
and the Earth through the PST, and (optional) diffuse galactic light.

Every term is a spectral radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹), shape (N,), for N epochs
(TDB seconds), Moon-centred ICRF spacecraft positions (N,3) km and pointings (N,3) or (3,)
(ICRF unit vectors): the sky itself (``zodiacal``, ``galactic``) or the equivalent sky
radiance of stray light (``moon``, ``earth``; convention in :mod:`.stray_light`). The Sun and
Earth positions come from :func:`lunarscope.states.body_seen_from`, as for the windows.

Spectral shape: solar for ``moon``, ``earth`` and ``galactic``; ``zodiacal`` has its own, the
solar spectrum reddened with elongation (:mod:`.zodiacal`), which :func:`background_rate`
applies. Models, sources and accuracy: docs/science.md, "Backgrounds".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..states import body_seen_from
from . import galactic as _galactic
from . import stray_light, zodiacal

#: Term names in output order; ``galactic`` only when asked for.
TERMS = ("zodiacal", "moon", "earth", "galactic")
#: Zodiacal models of :func:`background_rate`: Leinert et al. 1998 (UV to near-IR, the default)
#: or zodipy's DIRBE model (optional package, ≥ 1.25 µm).
ZODIACAL_MODELS = ("leinert", "zodipy")

__all__ = [
    "TERMS",
    "Geometry",
    "background_geometry",
    "background_radiance",
    "background_rate",
    "pivot_wavelength_um",
    "radiances_at",
    "rates_from_radiance",
    "zodipy_terms",
]


@dataclass(frozen=True)
class Geometry:
    """Epochs ``t`` (N,), Moon-centred ICRF positions (N,3) km of the spacecraft ``r``, the Sun
    and the Earth, and unit pointings (N,3)."""

    t: np.ndarray
    r: np.ndarray
    sun: np.ndarray
    earth: np.ndarray
    pointing: np.ndarray


def background_geometry(sources, t_tdb, r_sc_moon_icrf_km, pointing_icrf, light_time: bool = False) -> Geometry:
    """Sun and Earth about the Moon at ``t_tdb`` from ``sources.ephemeris`` (geometric, or with
    light time to the spacecraft), with the inputs checked and broadcast to N epochs."""
    t = np.atleast_1d(np.asarray(t_tdb, float))
    r = np.atleast_2d(np.asarray(r_sc_moon_icrf_km, float))
    if t.ndim != 1 or r.shape != (t.size, 3):
        raise InputError("r_sc_moon_icrf_km", f"must be (N, 3) for N = {t.size} epochs, got {r.shape}")
    p = np.atleast_2d(np.asarray(pointing_icrf, float))
    if p.shape not in ((1, 3), (t.size, 3)):
        raise InputError("pointing_icrf", f"must be (3,) or (N, 3) for N = {t.size} epochs, got {p.shape}")
    n = np.linalg.norm(p, axis=1)
    if not np.all(np.isfinite(n) & (n > 0)):
        raise InputError("pointing_icrf", "must be non-zero finite vectors")
    p = np.ascontiguousarray(np.broadcast_to(p / n[:, None], (t.size, 3)))
    eph = getattr(sources, "ephemeris", sources)
    sun = body_seen_from(eph, "sun", t, r, light_time)
    earth = body_seen_from(eph, "earth", t, r, light_time)
    return Geometry(t=t, r=r, sun=sun, earth=earth, pointing=p)


def radiances_at(geom: Geometry, instrument, galactic=False) -> tuple[dict, np.ndarray]:
    """(:func:`background_radiance`'s terms, Sun–pointing elongation deg (N,)) at ``geom``."""
    to_sun = geom.sun - geom.r
    _, _, elong = zodiacal.helioecliptic(geom.pointing, to_sun)
    out = {
        "zodiacal": zodiacal.zodiacal_radiance(geom.pointing, to_sun),
        "moon": stray_light.moon_equivalent_radiance(instrument, geom.r, geom.sun, geom.pointing),
        "earth": stray_light.earth_equivalent_radiance(instrument, geom.r, geom.sun, geom.earth, geom.pointing),
    }
    if galactic:
        scale = 1.0 if galactic is True else float(galactic)
        out["galactic"] = _galactic.galactic_radiance(geom.pointing, scale)
    return out, elong


def background_radiance(
    sources, t_tdb, r_sc_moon_icrf_km, pointing_icrf, instrument, *, galactic=False, light_time: bool = False
) -> dict:
    """Term name → spectral radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹), arrays (N,): ``zodiacal``,
    ``moon``, ``earth`` and, with ``galactic`` (True, or a factor on the GALEX-calibrated law of
    ``science.galactic``), ``galactic``."""
    geom = background_geometry(sources, t_tdb, r_sc_moon_icrf_km, pointing_icrf, light_time)
    return radiances_at(geom, instrument, galactic)[0]


def background_rate(
    sources,
    t_tdb,
    r_sc_moon_icrf_km,
    pointing_icrf,
    instrument,
    band,
    *,
    galactic=False,
    light_time: bool = False,
    zodiacal_model: str = "leinert",
) -> dict:
    """Term name → count rate (e⁻/s per pixel, arrays (N,)) in ``band``, plus ``total`` (their
    sum; NaN where the zodiacal table has no value, within ~15° of the Sun). Solar shape for
    ``moon`` and ``earth``; ``galactic`` has its own power law (``science.galactic``); ``zodiacal``'s rate interpolates between its 30° and 90° reddened spectra
    (exact, the colour factor being linear in the slope; :func:`.zodiacal.reddening_weight`).

    ``zodiacal_model="zodipy"`` (optional package; bands whose pivot wavelength is ≥ 1.25 µm)
    takes the zodiacal term from zodipy's DIRBE model at the band's pivot wavelength instead,
    with a solar spectral shape across the band."""
    from .etc import surface_brightness_rate

    if zodiacal_model not in ZODIACAL_MODELS:
        raise InputError("zodiacal_model", f"{zodiacal_model!r} must be one of {', '.join(ZODIACAL_MODELS)}")
    geom = background_geometry(sources, t_tdb, r_sc_moon_icrf_km, pointing_icrf, light_time)
    rad, elong = radiances_at(geom, instrument, galactic)
    rates = rates_from_radiance(instrument, band, rad, elong, surface_brightness_rate)
    if zodiacal_model == "zodipy":
        rates["zodiacal"] = zodipy_terms(geom, instrument, band, surface_brightness_rate)[1]
        rates["total"] = sum(v for k, v in rates.items() if k != "total")
    return rates


def pivot_wavelength_um(band) -> float:
    """Pivot wavelength (µm) of a band: sqrt(∫ T λ dλ / ∫ T / λ dλ) (Tokunaga & Vacca 2005)."""
    w = np.asarray(band.wavelength_A, float)
    t = np.asarray(band.throughput, float)
    return math.sqrt(np.trapezoid(t * w, w) / np.trapezoid(t / w, w)) / 1e4


def zodipy_terms(geom: Geometry, instrument, band, surface_brightness_rate=None) -> tuple[np.ndarray, np.ndarray]:
    """(500 nm radiance W m⁻² sr⁻¹ µm⁻¹, rate e⁻/s per pixel), each (N,), of the zodiacal light
    from zodipy at the band's pivot wavelength λp taken as a solar-shaped source: its 500 nm
    radiance is L(λp) · f☉(500 nm) / f☉(λp)."""
    from .spectra import flam, solar_spectrum

    if surface_brightness_rate is None:
        from .etc import surface_brightness_rate
    b = instrument.band(band)
    lam = pivot_wavelength_um(b)
    observer = geom.r - geom.sun  # heliocentric ICRF position of the spacecraft
    radiance = zodiacal.zodipy_radiance(geom.t, observer, geom.pointing, lam)
    sun = solar_spectrum()
    l500 = radiance * float(flam(sun, [5000.0])[0] / flam(sun, [lam * 1e4])[0])
    return l500, l500 * float(surface_brightness_rate(instrument, b, 1.0))


def rates_from_radiance(instrument, band, radiances: dict, elongation_deg, surface_brightness_rate=None) -> dict:
    """Count rates (e⁻/s per pixel) from :func:`background_radiance`'s terms; the zodiacal term
    needs the Sun–pointing elongation (deg) for its colour."""
    if surface_brightness_rate is None:
        from .etc import surface_brightness_rate
    e30, e90 = zodiacal.REDDENING_ELONGATIONS_DEG
    k30 = float(surface_brightness_rate(instrument, band, 1.0, zodiacal.reddened_solar_spectrum(e30)))
    k90 = float(surface_brightness_rate(instrument, band, 1.0, zodiacal.reddened_solar_spectrum(e90)))
    k_sun = float(surface_brightness_rate(instrument, band, 1.0))
    out = {}
    for name, value in radiances.items():
        if name == "zodiacal":
            w = zodiacal.reddening_weight(elongation_deg)
            out[name] = np.asarray(value) * ((1.0 - w) * k30 + w * k90)
        elif name == "galactic":  # its own (blue) spectrum, science.galactic
            out[name] = np.asarray(value) * float(
                surface_brightness_rate(instrument, band, 1.0, _galactic.dgl_spectrum())
            )
        else:
            out[name] = np.asarray(value) * k_sun
    out["total"] = sum(out.values())
    return out
