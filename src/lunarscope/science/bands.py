"""Photometric bands: a wavelength grid (Å) and the total throughput (optics × detector QE).

A named band is a top-hat with stated edges (``NAMED_BANDS``, each with its source); a user
band is a table file with two columns ``wavelength_A, throughput`` (CSV or whitespace, ``#``
comments). An instrument scales a band by its end-to-end efficiency (``Band.scaled``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

#: Width of the linear ramp on each side of a top-hat band (Å): synphot and our integrals
#: need a tabulated curve, and a 1 Å ramp keeps the edges at the stated wavelengths to ±0.5 Å.
TOPHAT_RAMP_A = 1.0
#: Largest band table file read (bytes); real filter curves are a few kB.
MAX_BAND_FILE_BYTES = 4 * 1024 * 1024
#: Wavelengths accepted in a band table (Å): far-UV to mid-IR, guards against µm/nm given for Å.
MIN_BAND_WAVELENGTH_A = 100.0
MAX_BAND_WAVELENGTH_A = 300_000.0

#: Named top-hat bands: name -> (lower edge Å, upper edge Å, source of the edges).
NAMED_BANDS: dict[str, tuple[float, float, str]] = {
    "GALEX_FUV": (
        1344.0,
        1786.0,
        "GALEX FUV, Morrissey et al. 2007, ApJS 173, 682 (also Bianchi 2014, Ap&SS 354, 103)",
    ),
    "GALEX_NUV": (
        1771.0,
        2831.0,
        "GALEX NUV, Morrissey et al. 2007, ApJS 173, 682 (also Bianchi 2014, Ap&SS 354, 103)",
    ),
    "UVEX_FUV": (1390.0, 1900.0, "UVEX FUV, Kulkarni et al. 2021, arXiv:2111.15608"),
    "UVEX_NUV": (2030.0, 2700.0, "UVEX NUV, Kulkarni et al. 2021, arXiv:2111.15608"),
    "ULTRASAT": (2300.0, 2900.0, "ULTRASAT NUV, Shvartzvald et al. 2024, ApJ 964, 74"),
    "SDSS_u": (3274.0, 3856.0, "SDSS u centre 3565 Å ± FWHM/2 (582 Å), SVO Filter Profile Service"),
    "SDSS_g": (4069.0, 5332.0, "SDSS g centre 4700 Å ± FWHM/2 (1263 Å), SVO Filter Profile Service"),
}


def read_table_text(path: str, field_name: str, max_bytes: int, what: str) -> str:
    """UTF-8 text of the regular file ``path`` (at most ``max_bytes``); InputError naming
    ``field_name`` for a missing file, a folder, a device, a binary or an oversized file."""
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(field_name, f"{path} cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(field_name, f"{path} is not a regular file (a folder or device), not a {what}")
    if st.st_size > max_bytes:
        raise InputError(
            field_name, f"{path} is {st.st_size:,} bytes, more than the limit of {max_bytes:,} for a {what}"
        )
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if b"\0" in data[:65536]:
        raise InputError(field_name, f"{path} is a binary file, not a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(field_name, f"{path} is not UTF-8 text; save the {what} as UTF-8") from None


def parse_two_columns(text: str, path: str, field_name: str, columns: str) -> np.ndarray:
    """(N, 2) float array from a two-column table (CSV or whitespace; ``#`` comments; one
    optional header line before the first row)."""
    rows = []
    for k, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(",", " ").split()
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            if not rows:  # a header line such as "wavelength_A,throughput"
                continue
            raise InputError(field_name, f"{path} line {k}: {line[:60]!r} is not two numbers ({columns})") from None
        if len(vals) != 2:
            raise InputError(field_name, f"{path} line {k}: expected 2 columns ({columns})")
        rows.append(vals)
    if len(rows) < 2:
        raise InputError(field_name, f"{path} holds fewer than 2 rows of {columns}")
    return np.array(rows)


@dataclass(frozen=True, eq=False)
class Band:
    """A band: ``wavelength_A`` (Å, increasing) and ``throughput`` (0..1, optics × QE)."""

    name: str
    wavelength_A: np.ndarray
    throughput: np.ndarray
    description: str = ""
    key: str = field(default="", repr=False)

    def __post_init__(self):
        w = np.array(self.wavelength_A, float).reshape(-1)
        t = np.array(self.throughput, float).reshape(-1)
        if w.size < 2 or w.size != t.size:
            raise InputError(f"band {self.name}", "needs at least 2 wavelengths and one throughput per wavelength")
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(t))):
            raise InputError(f"band {self.name}", "wavelengths and throughputs must be finite numbers")
        if np.any(np.diff(w) <= 0):
            raise InputError(f"band {self.name}", "wavelengths must increase strictly")
        if w[0] < MIN_BAND_WAVELENGTH_A or w[-1] > MAX_BAND_WAVELENGTH_A:
            raise InputError(
                f"band {self.name}",
                f"wavelengths {w[0]:g}..{w[-1]:g} Å outside {MIN_BAND_WAVELENGTH_A:g}..{MAX_BAND_WAVELENGTH_A:g} Å "
                "(the table is in Å, not nm or µm)",
            )
        if np.any(t < 0) or np.any(t > 1) or not np.any(t > 0):
            raise InputError(f"band {self.name}", "throughputs must lie in [0, 1] and not all be 0")
        w.setflags(write=False)
        t.setflags(write=False)
        object.__setattr__(self, "wavelength_A", w)
        object.__setattr__(self, "throughput", t)
        digest = hashlib.sha1(w.tobytes() + t.tobytes()).hexdigest()[:16]
        object.__setattr__(self, "key", f"{self.name}:{digest}")

    @classmethod
    def tophat(cls, name: str, lo_A: float, hi_A: float, throughput: float = 1.0, description: str = "") -> Band:
        """Top-hat of ``throughput`` between ``lo_A`` and ``hi_A`` (Å), with ±TOPHAT_RAMP_A/2 ramps."""
        h = TOPHAT_RAMP_A / 2
        w = [lo_A - h, lo_A + h, hi_A - h, hi_A + h]
        return cls(name, np.array(w), np.array([0.0, throughput, throughput, 0.0]), description)

    @classmethod
    def named(cls, name: str, efficiency: float = 1.0) -> Band:
        """A band of ``NAMED_BANDS`` scaled by ``efficiency`` (case-insensitive name)."""
        norm = {k.upper(): k for k in NAMED_BANDS}
        if str(name).upper() not in norm:
            raise InputError("band", f"unknown band {name!r}; named bands: {', '.join(NAMED_BANDS)}")
        key = norm[str(name).upper()]
        lo, hi, src = NAMED_BANDS[key]
        return cls.tophat(key, lo, hi, efficiency, f"top-hat {lo:g}-{hi:g} Å ({src})")

    @classmethod
    def from_file(cls, path: str, name: str | None = None, field_name: str = "band.file") -> Band:
        """Band from a table file: columns ``wavelength_A, throughput`` (CSV or whitespace)."""
        text = read_table_text(path, field_name, MAX_BAND_FILE_BYTES, "band table")
        a = parse_two_columns(text, path, field_name, "wavelength_A, throughput")
        try:
            return cls(name or os.path.splitext(os.path.basename(path))[0], a[:, 0], a[:, 1], f"table {path}")
        except InputError as exc:
            raise InputError(field_name, f"{path}: {exc.problem}") from None

    def scaled(self, efficiency: float, name: str | None = None) -> Band:
        """The same band with its throughput multiplied by ``efficiency``."""
        return Band(name or self.name, self.wavelength_A, self.throughput * efficiency, self.description)

    @property
    def support_A(self) -> tuple[float, float]:
        """First and last wavelength (Å) where the throughput is non-zero."""
        nz = np.flatnonzero(self.throughput > 0)
        w = self.wavelength_A
        return float(w[max(nz[0] - 1, 0)]), float(w[min(nz[-1] + 1, w.size - 1)])

    @property
    def pivot_A(self) -> float:
        """Pivot wavelength (Å): sqrt(∫T λ dλ / ∫T/λ dλ) (Tokunaga & Vacca 2005, PASP 117, 421)."""
        w, t = self.wavelength_A, self.throughput
        return float(np.sqrt(np.trapezoid(t * w, w) / np.trapezoid(t / w, w)))

    def synphot_bandpass(self):
        """The band as a ``synphot.SpectralElement`` (Empirical1D, zero outside the table)."""
        import astropy.units as u
        from synphot import SpectralElement
        from synphot.models import Empirical1D

        return SpectralElement(
            Empirical1D, points=self.wavelength_A * u.AA, lookup_table=self.throughput, fill_value=0.0
        )

    def __getstate__(self):
        return {k: getattr(self, k) for k in ("name", "wavelength_A", "throughput", "description", "key")}

    def __setstate__(self, state):
        for k, v in state.items():
            object.__setattr__(self, k, v)
