"""Diffuse galactic light (DGL): a simple, optional term (off by default).

DGL is starlight scattered by interstellar dust; it is brightest near the galactic plane. We
model it as a plane-parallel slab seen from inside, whose brightness grows as csc|b| with
galactic latitude b (the optically thin slab law; Leinert et al. 1998, A&AS 127, 1, review
the DGL and its latitude dependence), capped at |b| = ``MIN_LATITUDE_DEG`` where the
thin-slab law fails. The scale, ``POLE_S10`` S10 at the galactic pole (1 S10 = 1.28e-8
W m⁻² sr⁻¹ µm⁻¹ at 500 nm), is an order-of-magnitude placeholder, not a fitted value: give your
own with ``scale_s10`` when the term matters. Spectral shape: solar (an approximation: the DGL
follows the integrated starlight, which is close to solar in the visible).
"""

from __future__ import annotations

import numpy as np

from .zodiacal import S10_W_M2_SR_UM

#: Third row of the ICRS → galactic rotation (ESA 1997, *The Hipparcos Catalogue* vol. 1,
#: sec. 1.5.3, eq. 1.5.11): the unit vector of the north galactic pole in ICRS components.
GALACTIC_POLE_ICRS = (-0.8676661490, -0.1980763734, 0.4559837762)
#: DGL at the galactic pole in S10 (placeholder scale; see the module docstring).
POLE_S10 = 1.0
#: Smallest |b| (deg) at which the csc|b| law is applied; nearer the plane it is held.
MIN_LATITUDE_DEG = 5.0


def galactic_latitude_deg(pointing_icrf) -> np.ndarray:
    """Galactic latitude (deg) of ICRF directions (…,3)."""
    u = np.asarray(pointing_icrf, float)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    return np.degrees(np.arcsin(np.clip(u @ np.asarray(GALACTIC_POLE_ICRS), -1.0, 1.0)))


def galactic_radiance(pointing_icrf, scale_s10: float = POLE_S10) -> np.ndarray:
    """DGL spectral radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹) along ICRF directions (…,3):
    scale · S10 · csc(max(|b|, MIN_LATITUDE_DEG))."""
    b = np.abs(galactic_latitude_deg(pointing_icrf))
    return scale_s10 * S10_W_M2_SR_UM / np.sin(np.radians(np.maximum(b, MIN_LATITUDE_DEG)))


__all__ = ["galactic_latitude_deg", "galactic_radiance", "GALACTIC_POLE_ICRS", "POLE_S10", "MIN_LATITUDE_DEG"]
