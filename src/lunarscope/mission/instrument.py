"""The mission file's ``instrument:`` section -> ``lunarscope.science.Instrument``.

Every key is documented in docs/mission-file.md ("instrument"); a key left out takes the value
of ``Instrument.default()``; a mission without the section has ``mission.instrument = None``
and ``mission_instrument(mission)`` gives the default where science is used. Errors name the
key, e.g. ``instrument.bands.NUV.efficiency: 1.5 must be <= 1``.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from ..errors import InputError
from .reader import Section

INSTRUMENT_KEYS = {
    "name",
    "aperture_m",
    "obscuration",
    "pixel_scale_arcsec",
    "psf_fwhm_arcsec",
    "aperture_radius_fwhm",
    "encircled_energy",
    "focal_ratio",
    "read_noise_e",
    "dark_e_s",
    "gain_e_adu",
    "full_well_e",
    "bands",
    "pst",
}
BAND_KEYS = {"named", "file", "lo_A", "hi_A", "efficiency"}
PST_KEYS = {"off_axis_deg", "values", "file"}
#: Largest telescope diameter accepted (m): guards a diameter given in cm or mm.
MAX_APERTURE_M = 50.0
#: Largest pixel scale / PSF FWHM accepted (arcsec): guards a value in arcmin or µrad.
MAX_ANGLE_ARCSEC = 3600.0
#: Largest focal ratio accepted (N): guards a focal length given instead of the ratio.
MAX_FOCAL_RATIO = 1000.0
#: Largest PST table file read (bytes).
MAX_PST_FILE_BYTES = 1024 * 1024


def _resolve(path: str, base: str) -> str:
    path = os.path.expanduser(str(path))
    return path if os.path.isabs(path) else os.path.join(base, path)


def _band(raw, key: str, name: str, base: str):
    from ..science.bands import MAX_BAND_WAVELENGTH_A, MIN_BAND_WAVELENGTH_A, NAMED_BANDS, Band

    b = Section(raw, key, BAND_KEYS)
    given = [k for k in ("named", "file", "lo_A") if b.has(k)]
    if len(given) != 1:
        raise InputError(key, "give exactly one of named (a named band), file (a table) or lo_A + hi_A (a top-hat)")
    eff = b.number("efficiency", 1.0, exclusive_minimum=0, maximum=1)
    if b.has("named"):
        norm = {k.upper(): k for k in NAMED_BANDS}
        n = b.string("named")
        if n.upper() not in norm:
            raise InputError(f"{key}.named", f"{n!r} is not a named band; use one of {', '.join(NAMED_BANDS)}")
        return Band.named(n, eff).scaled(1.0, name)
    if b.has("file"):
        band = Band.from_file(_resolve(b.string("file"), base), name, f"{key}.file")
        return band.scaled(eff) if eff != 1.0 else band
    lo = b.number("lo_A", required=True, minimum=MIN_BAND_WAVELENGTH_A, maximum=MAX_BAND_WAVELENGTH_A, unit="Å")
    hi = b.number("hi_A", required=True, minimum=MIN_BAND_WAVELENGTH_A, maximum=MAX_BAND_WAVELENGTH_A, unit="Å")
    if not hi > lo + 2:
        raise InputError(f"{key}.hi_A", f"{hi:g} must be more than 2 Å above lo_A {lo:g}")
    return Band.tophat(name, lo, hi, eff, f"top-hat {lo:g}-{hi:g} Å")


def _pst(raw, base: str) -> tuple[tuple, tuple]:
    from ..science.bands import parse_two_columns, read_table_text

    p = Section(raw, "instrument.pst", PST_KEYS)
    if p.has("file") == (p.has("off_axis_deg") or p.has("values")):
        raise InputError("instrument.pst", "give either file (a table off_axis_deg, pst) or off_axis_deg and values")
    if p.has("file"):
        path = _resolve(p.string("file"), base)
        text = read_table_text(path, "instrument.pst.file", MAX_PST_FILE_BYTES, "PST table")
        a = parse_two_columns(text, path, "instrument.pst.file", "off_axis_deg, pst")
        th, pv = a[:, 0], a[:, 1]
        field = "instrument.pst.file"
    else:
        th = np.array(_numbers(p, "off_axis_deg"), float)
        pv = np.array(_numbers(p, "values"), float)
        field = "instrument.pst"
    if th.size != pv.size or th.size < 2:
        raise InputError(field, f"needs >= 2 off-axis angles and as many values (got {th.size} and {pv.size})")
    if np.any(np.diff(th) <= 0) or th[0] < 0 or th[-1] > 180:
        raise InputError(field, "off-axis angles must increase strictly within 0..180 deg")
    if np.any(pv <= 0) or np.any(pv > 1):
        raise InputError(field, "PST values must lie in (0, 1] (a transmittance)")
    return tuple(th), tuple(pv)


def _numbers(sec: Section, key: str) -> list:
    v = sec.items(key, required=True)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in v):
        raise InputError(f"instrument.pst.{key}", "must be a list of numbers")
    return v


def parse_instrument(raw, base: str = "."):
    """``Instrument`` from the ``instrument:`` mapping; keys left out take the default's values."""
    from ..science.instrument import Instrument

    d = Instrument.default()
    sec = Section(raw, "instrument", INSTRUMENT_KEYS)
    num = sec.number
    kw = dict(
        name=sec.string("name", "instrument"),
        aperture_m=num("aperture_m", d.aperture_m, exclusive_minimum=0, maximum=MAX_APERTURE_M, unit="m"),
        obscuration=num("obscuration", d.obscuration, minimum=0, maximum=0.99),
        pixel_scale_arcsec=num(
            "pixel_scale_arcsec", d.pixel_scale_arcsec, exclusive_minimum=0, maximum=MAX_ANGLE_ARCSEC, unit="arcsec"
        ),
        psf_fwhm_arcsec=num(
            "psf_fwhm_arcsec", d.psf_fwhm_arcsec, exclusive_minimum=0, maximum=MAX_ANGLE_ARCSEC, unit="arcsec"
        ),
        aperture_radius_fwhm=num("aperture_radius_fwhm", d.aperture_radius_fwhm, exclusive_minimum=0, maximum=100),
        encircled_energy=num("encircled_energy", None, exclusive_minimum=0, maximum=1),
        focal_ratio=num("focal_ratio", d.focal_ratio, exclusive_minimum=0, maximum=MAX_FOCAL_RATIO),
        read_noise_e=num("read_noise_e", d.read_noise_e, minimum=0, unit="e-"),
        dark_e_s=num("dark_e_s", d.dark_e_s, minimum=0, unit="e-/s per pixel"),
        gain_e_adu=num("gain_e_adu", d.gain_e_adu, exclusive_minimum=0, unit="e-/ADU"),
        full_well_e=num("full_well_e", d.full_well_e, exclusive_minimum=0, unit="e-"),
    )
    if sec.has("bands"):
        bands_sec = sec.section("bands")
        if not bands_sec.raw:
            raise InputError("instrument.bands", "needs at least one band (name: {named: ..., efficiency: ...})")
        kw["bands"] = {
            str(name): _band(raw_band, f"instrument.bands.{name}", str(name), base)
            for name, raw_band in bands_sec.raw.items()
        }
    else:
        kw["bands"] = d.bands
    if sec.has("pst"):
        kw["pst_off_axis_deg"], kw["pst_values"] = _pst(sec.raw["pst"], base)
    return Instrument(**kw)


def attach(mission, root: Section, base: str):
    """``mission`` with ``instrument`` set from the ``instrument:`` section (None without it)."""
    if not root.has("instrument"):
        return mission
    return replace(mission, instrument=parse_instrument(root.raw["instrument"], base))


def mission_instrument(mission):
    """The mission's instrument, or ``Instrument.default()`` when the file has no ``instrument:``."""
    from ..science.instrument import Instrument

    inst = getattr(mission, "instrument", None)
    return inst if inst is not None else Instrument.default()
