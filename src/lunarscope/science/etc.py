"""Exposure-time calculator: count rates, the CCD equation, SNR and the exposure for an SNR.

Count rates (e⁻/s; the band throughput includes the detector QE, so photons become electrons):

- point source in the photometric aperture:  S = A · EE · ∫ N_λ T dλ
- extended source (flux per arcsec²):        S = A · (π r²) · ∫ N_λ T dλ
- diffuse background per pixel:             B = A · Ω_pix · ∫ N_λ,sr T dλ

with A the collecting area (cm²), N_λ the photon flux density (photons s⁻¹ cm⁻² Å⁻¹), T the
band throughput, EE the encircled-energy fraction of the aperture of radius r and Ω_pix the
pixel solid angle. Band integrals are computed once per (band, spectrum) and cached.

Noise: the CCD equation (Howell 2006, *Handbook of CCD Astronomy*, 2nd ed., eq. 4.4;
Merline & Howell 1995, Exp. Astron. 6, 163):

    SNR = S t / sqrt( S t + n_pix k [ (B + D) t + n_read (R² + G² σ_q²) ] ),   k = 1 + n_pix / n_B

S source rate in the aperture, B sky (sum of background terms) and D dark current per pixel
(e⁻/s), R read noise (e⁻ rms per read), n_read reads, G the gain (e⁻/ADU) and σ_q² = 1/12 ADU²
the ADC quantisation variance (optional), n_B the pixels used to estimate the background
(k = 1 when it is known exactly). Solving SNR(t) = q for t gives the quadratic
S² t² − q² (S + n_pix k (B + D)) t − q² n_pix k n_read (R² + G² σ_q²) = 0, whose positive root is
``exposure_for_snr``.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict

import numpy as np

from .bands import Band
from .instrument import Instrument
from .spectra import W_M2_UM_IN_FLAM, band_grid_A, photlam, solar_spectrum

#: ADC quantisation variance (ADU²): a uniform rounding error of one ADU has variance 1/12
#: (Howell 2006 §4.4, σ_f ≈ 0.289 ADU).
QUANTISATION_VARIANCE_ADU2 = 1.0 / 12.0
#: Reference wavelength of background radiances (Å): the contract's "radiance at 500 nm".
RADIANCE_REFERENCE_A = 5000.0
#: Most (band, spectrum) integrals kept in the cache.
MAX_CACHED_INTEGRALS = 512
#: Largest exposure returned (s); beyond it the source is too faint for the SNR (returned as inf).
MAX_EXPOSURE_S = 1.0e9

_INTEGRALS: OrderedDict = OrderedDict()
_INTEGRALS_LOCK = threading.Lock()  # the scheduler may evaluate from several threads


def _cached(key, spectrum, compute):
    """Cache keyed by the band key and the spectrum object (kept alive in the entry, so its id
    cannot be reused while the entry lives); least recently used entries are dropped."""
    k = (key, id(spectrum))
    with _INTEGRALS_LOCK:
        hit = _INTEGRALS.get(k)
        if hit is not None and hit[0] is spectrum:
            _INTEGRALS.move_to_end(k)
            return hit[1]
    value = compute()
    with _INTEGRALS_LOCK:
        _INTEGRALS[k] = (spectrum, value)
        while len(_INTEGRALS) > MAX_CACHED_INTEGRALS:
            _INTEGRALS.popitem(last=False)
    return value


def band_photon_flux(band: Band, spectrum) -> float:
    """∫ N_λ T dλ (photons s⁻¹ cm⁻²; per arcsec² or per sr if the spectrum is) — cached."""

    def compute():
        w = band_grid_A(band, spectrum)
        t = np.interp(w, band.wavelength_A, band.throughput, left=0.0, right=0.0)
        return float(np.trapezoid(photlam(spectrum, w) * t, w))

    return _cached(("flux", band.key), spectrum, compute)


def _radiance_factor(band: Band, spectrum) -> float:
    """Photons s⁻¹ cm⁻² sr⁻¹ in ``band`` for a spectrum of ``spectrum``'s shape whose radiance
    at RADIANCE_REFERENCE_A is 1 W m⁻² sr⁻¹ µm⁻¹ — cached."""

    def compute():
        from .spectra import flam

        f500 = float(flam(spectrum, [RADIANCE_REFERENCE_A])[0])
        if not f500 > 0:
            from ..errors import InputError

            raise InputError("spectrum", "the background spectrum is zero at 500 nm, where radiances are given")
        return band_photon_flux(band, spectrum) * W_M2_UM_IN_FLAM / f500

    return _cached(("radiance", band.key), spectrum, compute)


def surface_brightness_rate(instrument: Instrument, band, radiance_500nm, spectrum=None) -> np.ndarray:
    """e⁻/s per pixel from a diffuse source of ``spectrum``'s shape (default: the Sun's) whose
    spectral radiance at 500 nm is ``radiance_500nm`` (W m⁻² sr⁻¹ µm⁻¹, any shape):
    B = A_cm² · Ω_pix · radiance · ∫ N_λ T dλ / f_λ(500 nm) (the integral cached)."""
    b = instrument.band(band)
    sp = solar_spectrum() if spectrum is None else spectrum
    factor = _radiance_factor(b, sp) * instrument.area_cm2 * instrument.pixel_solid_angle_sr
    return np.asarray(radiance_500nm, float) * factor


def point_source_rate(instrument: Instrument, band, source, *, extended: bool = False) -> float:
    """e⁻/s from ``source`` (a ``SourceSpectrum`` in absolute units) in the photometric aperture.
    ``extended``: the spectrum is per arcsec² and fills the aperture (π r² arcsec², no EE)."""
    b = instrument.band(band)
    flux = band_photon_flux(b, source) * instrument.area_cm2
    if extended:
        return flux * math.pi * instrument.aperture_radius_arcsec**2
    return flux * instrument.ee_fraction


def _source_rate(instrument, band, source, extended):
    """e⁻/s in the aperture: ``source`` itself when it is a number or an array of numbers."""
    if isinstance(source, (int, float, np.floating, np.integer, np.ndarray, list, tuple)):
        return np.asarray(source, float) if np.ndim(source) else float(source)
    return point_source_rate(instrument, band, source, extended=extended)


def _noise_parts(instrument, background_e_s_pix, n_reads, quantisation, n_background_pix):
    npix = instrument.npix
    k = 1.0 + (npix / n_background_pix if n_background_pix else 0.0)
    per_pix_rate = np.asarray(background_e_s_pix, float) + instrument.dark_e_s
    q = QUANTISATION_VARIANCE_ADU2 * instrument.gain_e_adu**2 if quantisation else 0.0
    read_var = n_reads * (instrument.read_noise_e**2 + q)
    return npix * k * per_pix_rate, npix * k * read_var


def _check_saturation(instrument, s_rate, background_e_s_pix, exposure_s, n_reads):
    frames = max(int(n_reads), 1)
    peak = (s_rate * instrument.peak_pixel_fraction + np.asarray(background_e_s_pix, float) + instrument.dark_e_s) * (
        np.asarray(exposure_s, float) / frames
    )
    worst = float(np.nanmax(peak)) if np.size(peak) else 0.0
    if worst > instrument.full_well_e:
        warnings.warn(
            f"saturation: the brightest pixel collects {worst:,.0f} e⁻ per read, above the full well of "
            f"{instrument.full_well_e:,.0f} e⁻; split the exposure into more reads",
            stacklevel=3,
        )


def snr(
    instrument: Instrument,
    band,
    source,
    exposure_s,
    background_e_s_pix=0.0,
    *,
    n_reads: int = 1,
    quantisation: bool = True,
    n_background_pix: float | None = None,
    extended: bool = False,
    warn_saturation: bool = True,
) -> np.ndarray:
    """Signal-to-noise ratio after ``exposure_s`` (s, total over ``n_reads`` reads) by the CCD
    equation (module docstring). ``source``: a ``SourceSpectrum`` or its e⁻/s in the aperture
    (a number or an array broadcasting with the others);
    ``background_e_s_pix``: sky e⁻/s per pixel (array: one SNR per element). Warns when the
    brightest pixel passes the full well in one read (``warn_saturation=False``: silent)."""
    s = _source_rate(instrument, band, source, extended)
    t = np.asarray(exposure_s, float)
    rate_term, read_term = _noise_parts(instrument, background_e_s_pix, n_reads, quantisation, n_background_pix)
    if warn_saturation:
        _check_saturation(instrument, s, background_e_s_pix, t, n_reads)
    signal = s * t
    with np.errstate(invalid="ignore", divide="ignore"):
        out = signal / np.sqrt(signal + rate_term * t + read_term)
    return np.where(t > 0, out, 0.0)


def exposure_for_snr(
    instrument: Instrument,
    band,
    source,
    snr,
    background_e_s_pix=0.0,
    *,
    n_reads: int = 1,
    quantisation: bool = True,
    n_background_pix: float | None = None,
    extended: bool = False,
    warn_saturation: bool = True,
) -> np.ndarray:
    """Exposure (s) reaching ``snr``: the positive root of the CCD-equation quadratic
    t = [q² a + sqrt(q⁴ a² + 4 S² q² c)] / (2 S²), a = S + n_pix k (B + D), c = read term
    (module docstring); inf where the source gives no signal or the exposure passes
    MAX_EXPOSURE_S, NaN where the background is NaN. Warns on saturation like ``snr``."""
    s = _source_rate(instrument, band, source, extended)
    q2 = np.asarray(snr, float) ** 2
    rate_term, read_term = _noise_parts(instrument, background_e_s_pix, n_reads, quantisation, n_background_pix)
    a = s + rate_term
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (q2 * a + np.sqrt(q2 * q2 * a * a + 4.0 * s * s * q2 * read_term)) / (2.0 * s * s)
    t = np.where(np.asarray(s) > 0, np.where(t > MAX_EXPOSURE_S, np.inf, t), np.inf)  # NaN background stays NaN
    if warn_saturation:
        _check_saturation(instrument, s, background_e_s_pix, np.where(np.isfinite(t), t, 0.0), n_reads)
    return t


def noise_budget(
    instrument: Instrument,
    band,
    source,
    exposure_s: float,
    background_e_s_pix: dict | float = 0.0,
    *,
    n_reads: int = 1,
    quantisation: bool = True,
    extended: bool = False,
) -> dict:
    """Per-term rates and variances for one exposure (for printing): source e⁻/s, each background
    term e⁻/s/pixel and in the aperture, dark, read noise, quantisation, and the SNR."""
    terms = background_e_s_pix if isinstance(background_e_s_pix, dict) else {"sky": background_e_s_pix}
    terms = {k: float(np.asarray(v, float).reshape(-1)[0]) for k, v in terms.items() if k != "total"}
    s = _source_rate(instrument, band, source, extended)
    npix = instrument.npix
    t = float(exposure_s)
    qv = QUANTISATION_VARIANCE_ADU2 * instrument.gain_e_adu**2 if quantisation else 0.0
    sky = sum(terms.values())
    return {
        "npix": npix,
        "ee_fraction": instrument.ee_fraction if not extended else 1.0,
        "source_e_s": s,
        "background_e_s_pix": terms,
        "dark_e_s_pix": instrument.dark_e_s,
        "read_noise_e": instrument.read_noise_e,
        "variance_e2": {
            "source": s * t,
            **{k: npix * v * t for k, v in terms.items()},
            "dark": npix * instrument.dark_e_s * t,
            "read": npix * n_reads * instrument.read_noise_e**2,
            "quantisation": npix * n_reads * qv,
        },
        "snr": float(snr(instrument, band, s, t, sky, n_reads=n_reads, quantisation=quantisation)),
    }
