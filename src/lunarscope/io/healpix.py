"""``coverage.fits``: the sky-coverage map as a standard HEALPix FITS file.

Layout (the HEALPix FITS convention of Górski et al. 2005, ApJ 622, 759, and the HEALPix
"FITS format" notes, as healpy and the HEALPix C/Fortran libraries read it): an empty primary
HDU, then one binary table ``COVERAGE`` with one row per pixel (``INDXSCHM = 'IMPLICIT'``) and
the columns ``HOURS`` (observable hours over the span, ``TUNIT1 = 'h'``) and ``LONGEST``
(longest continuous window, ``TUNIT2 = 'h'``), float32; header keys ``PIXTYPE = 'HEALPIX'``,
``ORDERING = 'RING'``, ``NSIDE``, ``FIRSTPIX``/``LASTPIX``, ``COORDSYS = 'C'`` (celestial,
ICRS) and the span (``DATE-BEG``/``DATE-END``, UTC) and constraints used. Written atomically
(temp file, then rename) through :func:`lunarscope.io.tables.atomic_write`.
"""

from __future__ import annotations

import io

import numpy as np

from ..products import PlanCoverage
from .tables import atomic_write

#: File name of the map among the plan's products.
COVERAGE_NAME = "coverage.fits"
#: Extension name of the binary table.
EXTNAME = "COVERAGE"
#: Header keys for the constraint values (FITS keys are at most 8 characters).
_CONSTRAINT_KEYS = {
    "sun_exclusion_deg": ("SUNEXCL", "Sun exclusion angle [deg]"),
    "earth_limb_deg": ("EARTHLMB", "Earth-limb angle [deg]"),
    "moon_limb_deg": ("MOONLMB", "Moon-limb angle [deg]"),
    "earth_atmosphere_km": ("EARTHATM", "Earth atmosphere height [km]"),
    "eclipse_only": ("ECLONLY", "count only time in umbra"),
    "min_window_s": ("MINWIN", "shortest window guaranteed found [s]"),
    "light_time": ("LIGHTTIM", "Sun/Earth light time applied"),
}


def coverage_hdulist(coverage: PlanCoverage, start_utc: str = "", stop_utc: str = "", mission: str = ""):
    """The ``astropy.io.fits.HDUList`` of ``coverage`` (module docstring for the layout)."""
    from astropy.io import fits

    cols = [
        fits.Column(name="HOURS", format="E", unit="h", array=np.asarray(coverage.hours, np.float32)),
        fits.Column(name="LONGEST", format="E", unit="h", array=np.asarray(coverage.longest_hours, np.float32)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name=EXTNAME)
    h = hdu.header
    h["PIXTYPE"] = ("HEALPIX", "HEALPIX pixelisation")
    h["ORDERING"] = (coverage.ordering, "pixel ordering scheme, RING or NESTED")
    h["NSIDE"] = (coverage.nside, "resolution parameter of HEALPIX")
    h["FIRSTPIX"] = (0, "first pixel # (0 based)")
    h["LASTPIX"] = (12 * coverage.nside**2 - 1, "last pixel # (0 based)")
    h["INDXSCHM"] = ("IMPLICIT", "indexing: IMPLICIT or EXPLICIT")
    h["OBJECT"] = ("FULLSKY", "sky coverage")
    h["COORDSYS"] = ("C", "celestial (ICRS)")
    h["SPANHRS"] = (float(coverage.span_hours), "mission span [h]")
    if start_utc:
        h["DATE-BEG"] = (start_utc.rstrip("Z"), "span start (UTC)")
    if stop_utc:
        h["DATE-END"] = (stop_utc.rstrip("Z"), "span stop (UTC)")
    if mission:
        h["MISSION"] = (mission[:68], "lunarscope mission name")
    for key, (fkey, comment) in _CONSTRAINT_KEYS.items():
        value = coverage.constraints.get(key)
        if value is not None:
            h[fkey] = (value if isinstance(value, bool) else float(value), comment)
    h["CREATOR"] = ("lunarscope", "lunarscope.science.coverage")
    return fits.HDUList([fits.PrimaryHDU(), hdu])


def coverage_fits_bytes(coverage: PlanCoverage, **meta) -> bytes:
    """The bytes of ``coverage.fits`` (``meta``: ``start_utc``, ``stop_utc``, ``mission``)."""
    buf = io.BytesIO()
    coverage_hdulist(coverage, **meta).writeto(buf, output_verify="exception")
    return buf.getvalue()


def write_coverage_fits(path: str, coverage: PlanCoverage, **meta) -> str:
    """Write ``coverage`` to ``path`` atomically; returns ``path``."""
    data = coverage_fits_bytes(coverage, **meta)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return path


def read_coverage_fits(path: str) -> PlanCoverage:
    """Read a map written by :func:`write_coverage_fits` back (hours as float32 values)."""
    from astropy.io import fits

    with fits.open(path) as hdul:
        hdu = hdul[EXTNAME]
        h = hdu.header
        constraints = {k: h[f] for k, (f, _) in _CONSTRAINT_KEYS.items() if f in h}
        return PlanCoverage(
            nside=int(h["NSIDE"]),
            ordering=str(h["ORDERING"]),
            span_hours=float(h["SPANHRS"]),
            hours=np.asarray(hdu.data["HOURS"], float),
            longest_hours=np.asarray(hdu.data["LONGEST"], float),
            constraints=constraints,
        )


__all__ = ["COVERAGE_NAME", "coverage_fits_bytes", "coverage_hdulist", "read_coverage_fits", "write_coverage_fits"]
