"""Source spectra as ``synphot.SourceSpectrum``: the Sun, flat fν, blackbody, power law, tables.

Everything is offline: the solar spectrum is the shipped ASTM E490-00a (2014) table
(``data/solar_e490_2014.csv``, 119.5 nm – 1000 µm, its header names the source); the other
shapes are analytic. ``normalized_ab`` scales any shape to an AB magnitude in a band, with the
photon-counting AB magnitude (Fukugita et al. 1996, AJ 111, 1748, eq. 7; Oke & Gunn 1983):

    m_AB = -2.5 log10( ∫ f_λ T λ dλ / ∫ T c/λ dλ ) - 48.60      (f_λ in erg s⁻¹ cm⁻² Å⁻¹)
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from ..errors import InputError
from .bands import Band, parse_two_columns, read_table_text

#: Shipped solar spectrum (ASTM E490-00a 2014, Table 3; header states source and units).
SOLAR_TABLE = os.path.join(os.path.dirname(__file__), "data", "solar_e490_2014.csv")
#: 1 W m⁻² µm⁻¹ in erg s⁻¹ cm⁻² Å⁻¹ (1e7 erg/J ÷ 1e4 cm²/m² ÷ 1e4 Å/µm).
W_M2_UM_IN_FLAM = 0.1
#: Speed of light in Å/s (CODATA exact 299 792 458 m/s).
C_A_S = 2.99792458e18
#: AB zero point: f_ν of an m_AB = 0 source is 10^(-48.60/2.5) erg s⁻¹ cm⁻² Hz⁻¹ (Oke & Gunn 1983).
AB_ZERO_POINT = 48.60
#: Samples across a band used for band integrals (besides the band's and spectrum's own nodes).
BAND_GRID_SAMPLES = 2000
#: Largest user spectrum table read (bytes).
MAX_SPECTRUM_FILE_BYTES = 16 * 1024 * 1024
#: Blackbody temperatures accepted (K).
MIN_BLACKBODY_K, MAX_BLACKBODY_K = 100.0, 1.0e6
#: Power-law indices accepted (f_ν ∝ ν^α).
MAX_POWER_LAW_INDEX = 20.0
#: Reference wavelength of power laws (Å); only the shape matters after normalisation.
POWER_LAW_REFERENCE_A = 5000.0


@lru_cache(maxsize=1)
def solar_spectrum():
    """The Sun at 1 AU (ASTM E490-00a 2014 Table 3): a ``SourceSpectrum`` in absolute units."""
    import astropy.units as u
    from synphot import SourceSpectrum, units
    from synphot.models import Empirical1D

    a = np.loadtxt(SOLAR_TABLE, delimiter=",", comments="#", skiprows=8)
    return SourceSpectrum(
        Empirical1D,
        points=a[:, 0] * 1e4 * u.AA,
        lookup_table=a[:, 1] * W_M2_UM_IN_FLAM * units.FLAM,
        keep_neg=False,
        meta={"name": "Sun at 1 AU, ASTM E490-00a (2014)"},
    )


def flat_fnu(mag_ab: float = 0.0):
    """Flat f_ν source of AB magnitude ``mag_ab`` at every wavelength."""
    import astropy.units as u
    from synphot import SourceSpectrum
    from synphot.models import ConstFlux1D

    return SourceSpectrum(ConstFlux1D, amplitude=float(mag_ab) * u.ABmag)


def blackbody(temperature_k: float):
    """Blackbody shape B_λ(T) (synphot ``BlackBodyNorm1D``: a 1 R_sun star at 1 kpc); normalise it."""
    from synphot import SourceSpectrum
    from synphot.models import BlackBodyNorm1D

    t = float(temperature_k)
    if not MIN_BLACKBODY_K <= t <= MAX_BLACKBODY_K:
        raise InputError(
            "spectrum", f"blackbody temperature {t:g} K must lie in {MIN_BLACKBODY_K:g}..{MAX_BLACKBODY_K:g} K"
        )
    return SourceSpectrum(BlackBodyNorm1D, temperature=t)


def power_law(alpha: float):
    """Power law f_ν ∝ ν^alpha (alpha = 0 is flat f_ν), 1 FNU-scaled at POWER_LAW_REFERENCE_A; normalise it."""
    import astropy.units as u
    from synphot import SourceSpectrum, units
    from synphot.models import PowerLawFlux1D

    a = float(alpha)
    if not abs(a) <= MAX_POWER_LAW_INDEX:
        raise InputError(
            "spectrum", f"power-law index {a:g} must lie in -{MAX_POWER_LAW_INDEX:g}..{MAX_POWER_LAW_INDEX:g}"
        )
    # PowerLawFlux1D is amplitude·(λ/λ0)^(-alpha); f_ν ∝ ν^α = λ^(-α)
    return SourceSpectrum(PowerLawFlux1D, amplitude=1e-26 * units.FNU, x_0=POWER_LAW_REFERENCE_A * u.AA, alpha=a)


def from_table(path: str, field_name: str = "spectrum"):
    """A spectrum from a table file: columns ``wavelength_A, flux`` with the flux in
    erg s⁻¹ cm⁻² Å⁻¹ (f_λ), CSV or whitespace, ``#`` comments; zero outside the table."""
    import astropy.units as u
    from synphot import SourceSpectrum, units
    from synphot.models import Empirical1D

    text = read_table_text(path, field_name, MAX_SPECTRUM_FILE_BYTES, "spectrum table")
    a = parse_two_columns(text, path, field_name, "wavelength_A, flux_erg_s_cm2_A")
    if np.any(np.diff(a[:, 0]) <= 0) or a[0, 0] <= 0:
        raise InputError(field_name, f"{path}: wavelengths must be positive and increase strictly")
    if np.any(a[:, 1] < 0) or not np.any(a[:, 1] > 0):
        raise InputError(field_name, f"{path}: fluxes must be >= 0 and not all 0")
    return SourceSpectrum(Empirical1D, points=a[:, 0] * u.AA, lookup_table=a[:, 1] * units.FLAM, fill_value=0.0)


def parse_spectrum(text: str, field_name: str = "spectrum"):
    """A spectrum shape from text: ``flat`` (f_ν), ``solar``, ``bb:T_K``, ``pl:ALPHA``
    (f_ν ∝ ν^ALPHA) or the path of a table file (``from_table``)."""
    s = str(text).strip()
    low = s.lower()
    try:
        if low in ("flat", "flat_fnu", "ab"):
            return flat_fnu(0.0)
        if low in ("solar", "sun"):
            return solar_spectrum()
        if low.startswith(("bb:", "pl:")):
            value = float(s[3:])
            return blackbody(value) if low.startswith("bb:") else power_law(value)
    except ValueError:
        raise InputError(
            field_name, f"{s!r}: the number after {s[:3]!r} is not a number (e.g. bb:5800, pl:-1)"
        ) from None
    except InputError as exc:
        raise InputError(field_name, exc.problem) from None
    if os.path.exists(s):
        return from_table(s, field_name)
    raise InputError(field_name, f"{s[:80]!r} is not flat, solar, bb:T_K, pl:ALPHA or an existing table file")


def band_grid_A(band: Band, spectrum) -> np.ndarray:
    """Wavelengths (Å) for band integrals: the band's nodes, the spectrum's own nodes inside the
    band and BAND_GRID_SAMPLES uniform samples across it."""
    lo, hi = band.support_A
    parts = [
        band.wavelength_A[(band.wavelength_A >= lo) & (band.wavelength_A <= hi)],
        np.linspace(lo, hi, BAND_GRID_SAMPLES),
    ]
    ws = getattr(spectrum, "waveset", None)
    if ws is not None:
        w = np.asarray(ws.to_value("AA") if hasattr(ws, "to_value") else ws, float)
        parts.append(w[(w > lo) & (w < hi)])
    return np.unique(np.concatenate(parts))


def photlam(spectrum, wavelength_A: np.ndarray) -> np.ndarray:
    """Photon flux density of ``spectrum`` at ``wavelength_A`` (photons s⁻¹ cm⁻² Å⁻¹)."""
    import astropy.units as u

    return np.asarray(spectrum(np.asarray(wavelength_A, float) * u.AA).value, float)


def flam(spectrum, wavelength_A) -> np.ndarray:
    """f_λ of ``spectrum`` at ``wavelength_A`` (erg s⁻¹ cm⁻² Å⁻¹): photlam × hc/λ."""
    h_erg_s = 6.62607015e-27  # Planck constant (CODATA 2018, exact), erg s
    w = np.asarray(wavelength_A, float)
    return photlam(spectrum, w) * h_erg_s * C_A_S / w


def ab_magnitude(spectrum, band: Band) -> float:
    """Photon-counting AB magnitude of ``spectrum`` in ``band`` (formula in the module docstring)."""
    w = band_grid_A(band, spectrum)
    t = np.interp(w, band.wavelength_A, band.throughput, left=0.0, right=0.0)
    num = np.trapezoid(flam(spectrum, w) * t * w, w)
    den = np.trapezoid(t * C_A_S / w, w)
    if not num > 0:
        raise InputError("spectrum", f"the spectrum has no flux in band {band.name}")
    return float(-2.5 * np.log10(num / den) - AB_ZERO_POINT)


def normalized_ab(shape, mag_ab: float, band: Band):
    """``shape`` scaled so that its AB magnitude in ``band`` is ``mag_ab``."""
    return shape * float(10.0 ** (-0.4 * (float(mag_ab) - ab_magnitude(shape, band))))
