"""Diffuse galactic light (DGL): an optional term (off by default), calibrated on GALEX.

DGL is starlight scattered by interstellar dust; it is brightest near the galactic plane. From
all-sky GALEX maps, Murthy, Henry & Sujatha (2010, ApJ 724, 1389) find that the diffuse UV light
follows a cosecant law in galactic latitude b with slopes of 545 photon units (photons cm⁻² s⁻¹
sr⁻¹ Å⁻¹) in FUV (1530 Å) and 433 in NUV (2310 Å): I(λ, b) = S(λ) csc|b|, the optically thin
slab law, held below |b| = ``MIN_LATITUDE_DEG`` where it fails. Between and beyond the two
GALEX bands the slope is a power law in photon flux through both points, N_λ ∝ λ^k with
k = ln(433/545) / ln(2310/1530) = −0.558 (f_ν ∝ ν^−(k+1)); longward of NUV this is an
extrapolation (the optical DGL follows the integrated starlight and is redder; Brandt & Draine
2012, ApJ 744, 129), so treat optical values as order-of-magnitude. The GALEX slopes include
no zero-level offset (the ~200–600 photon-unit residual at the poles is left out).
"""

from __future__ import annotations

import math

import numpy as np

#: Third row of the ICRS → galactic rotation (ESA 1997, *The Hipparcos Catalogue* vol. 1,
#: sec. 1.5.3, eq. 1.5.11): the unit vector of the north galactic pole in ICRS components.
GALACTIC_POLE_ICRS = (-0.8676661490, -0.1980763734, 0.4559837762)
#: GALEX csc|b| slopes of the diffuse UV light: (wavelength Å, photons cm⁻² s⁻¹ sr⁻¹ Å⁻¹)
#: in FUV and NUV (Murthy, Henry & Sujatha 2010, ApJ 724, 1389, abstract).
GALEX_CSC_SLOPES = ((1530.0, 545.0), (2310.0, 433.0))
#: Smallest |b| (deg) at which the csc|b| law is applied; nearer the plane it is held.
MIN_LATITUDE_DEG = 5.0
#: Planck constant × speed of light, erg Å (CODATA 2018: h = 6.62607015e-27 erg s, c exact).
HC_ERG_A = 6.62607015e-27 * 2.99792458e18
#: 1 erg s⁻¹ cm⁻² Å⁻¹ in W m⁻² µm⁻¹ (1e-7 W / 1e-4 m² / 1e-4 µm).
FLAM_CGS_TO_W_M2_UM = 10.0


def photon_index() -> float:
    """k of the photon-flux power law N_λ ∝ λ^k through the two GALEX slopes."""
    (l1, s1), (l2, s2) = GALEX_CSC_SLOPES
    return math.log(s2 / s1) / math.log(l2 / l1)


def csc_slope_photon_units(wavelength_a) -> np.ndarray:
    """S(λ): the csc|b| slope in photons cm⁻² s⁻¹ sr⁻¹ Å⁻¹ at ``wavelength_a`` (Å)."""
    l2, s2 = GALEX_CSC_SLOPES[1]
    return s2 * (np.asarray(wavelength_a, float) / l2) ** photon_index()


def pole_radiance_500nm() -> float:
    """Spectral radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹) of the law at csc|b| = 1."""
    return float(csc_slope_photon_units(5000.0)) * HC_ERG_A / 5000.0 * FLAM_CGS_TO_W_M2_UM


def dgl_spectrum():
    """The DGL's spectral shape (synphot): f_ν ∝ ν^−(k+1), for ``etc.surface_brightness_rate``."""
    from .spectra import power_law

    return power_law(-(photon_index() + 1.0))


def galactic_latitude_deg(pointing_icrf) -> np.ndarray:
    """Galactic latitude (deg) of ICRF directions (…,3)."""
    u = np.asarray(pointing_icrf, float)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    return np.degrees(np.arcsin(np.clip(u @ np.asarray(GALACTIC_POLE_ICRS), -1.0, 1.0)))


def galactic_radiance(pointing_icrf, scale: float = 1.0) -> np.ndarray:
    """DGL spectral radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹) along ICRF directions (…,3):
    scale · L_pole(500 nm) · csc(max(|b|, MIN_LATITUDE_DEG)); ``scale`` multiplies the GALEX law."""
    b = np.abs(galactic_latitude_deg(pointing_icrf))
    return scale * pole_radiance_500nm() / np.sin(np.radians(np.maximum(b, MIN_LATITUDE_DEG)))


__all__ = [
    "GALACTIC_POLE_ICRS",
    "GALEX_CSC_SLOPES",
    "MIN_LATITUDE_DEG",
    "csc_slope_photon_units",
    "dgl_spectrum",
    "galactic_latitude_deg",
    "galactic_radiance",
    "photon_index",
    "pole_radiance_500nm",
]
