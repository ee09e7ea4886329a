"""The telescope and detector: collecting area, bands, pixels, PSF, detector noise, stray light.

``Instrument.default()`` is the documented default (``docs/science.md``): a 0.4 m UV/optical
telescope with a CCD/CMOS-like detector. The mission file's ``instrument:`` section builds one
(``lunarscope.mission.instrument``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .bands import Band

#: One arcsecond in radians.
ARCSEC_RAD = math.pi / (180.0 * 3600.0)
#: FWHM of a Gaussian in units of its σ: 2·sqrt(2 ln 2).
GAUSS_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))

#: Default point-source transmittance (PST) curve: off-axis angle (deg) -> PST (dimensionless),
#: interpolated linearly in log10(PST). An assumed curve of a well-baffled two-mirror telescope
#: (order of magnitude of published baffled-telescope PSTs, not a measured one): 1 inside the
#: field, 1e-3 at 2°, 1e-5 at 10°, 1e-7 at 30°, 1e-9 at 90° and beyond. Give your own table.
DEFAULT_PST_OFF_AXIS_DEG = (0.0, 0.5, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 180.0)
DEFAULT_PST = (1.0, 1.0, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 3e-8, 1e-8, 1e-9, 1e-9)


@dataclass(frozen=True, eq=False)
class Instrument:
    """A telescope with its detector.

    ``aperture_m``: primary diameter (m); ``obscuration``: central obscuration as a fraction of
    the diameter (linear); ``bands``: name -> Band (throughput = optics × QE); pixel scale and
    PSF FWHM in arcsec; ``read_noise_e`` (e⁻ rms per pixel per read), ``dark_e_s`` (e⁻/s/pixel),
    ``gain_e_adu`` (e⁻/ADU), ``full_well_e`` (e⁻); ``aperture_radius_fwhm``: photometric aperture
    radius in units of the FWHM; ``encircled_energy``: the fraction of a point source's light in
    that aperture (None: a Gaussian PSF's, 1 − exp(−r²/2σ²)); ``focal_ratio`` N (f/10 default, an
    assumption: the focal-plane solid angle of the stray-light PST convention); the PST table
    (deg, dimensionless).
    """

    aperture_m: float
    obscuration: float
    bands: dict
    pixel_scale_arcsec: float
    psf_fwhm_arcsec: float
    read_noise_e: float
    dark_e_s: float
    gain_e_adu: float
    full_well_e: float
    aperture_radius_fwhm: float = 1.0
    encircled_energy: float | None = None
    focal_ratio: float = 10.0  # N: the stray light's focal-plane solid angle π/(4N²) (science.stray_light)
    pst_off_axis_deg: tuple = DEFAULT_PST_OFF_AXIS_DEG
    pst_values: tuple = DEFAULT_PST
    name: str = "instrument"
    _log_pst: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        def bad(key, problem):
            raise InputError(f"instrument.{key}", problem)

        positive = (
            "aperture_m",
            "pixel_scale_arcsec",
            "psf_fwhm_arcsec",
            "gain_e_adu",
            "full_well_e",
            "aperture_radius_fwhm",
            "focal_ratio",
        )
        for key in positive:
            v = getattr(self, key)
            if not (isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) and v > 0):
                bad(key, f"{v!r} must be a number > 0")
        for key in ("read_noise_e", "dark_e_s"):
            v = getattr(self, key)
            if not (isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) and v >= 0):
                bad(key, f"{v!r} must be a number >= 0")
        ob = self.obscuration
        if not (isinstance(ob, numbers.Real) and not isinstance(ob, bool) and 0 <= ob < 1):
            bad("obscuration", f"{self.obscuration!r} must lie in [0, 1) (a fraction of the diameter)")
        ee = self.encircled_energy
        if ee is not None and not (isinstance(ee, numbers.Real) and not isinstance(ee, bool) and 0 < ee <= 1):
            bad("encircled_energy", f"{self.encircled_energy!r} must lie in (0, 1]")
        if not self.bands or not all(isinstance(b, Band) for b in self.bands.values()):
            bad("bands", "needs at least one band")
        th = np.asarray(self.pst_off_axis_deg, float)
        pv = np.asarray(self.pst_values, float)
        if th.ndim != 1 or th.size < 2 or th.size != pv.size or np.any(np.diff(th) <= 0) or th[0] < 0 or th[-1] > 180:
            bad("pst", "needs >= 2 rows of off-axis angles increasing within 0..180 deg, one PST value each")
        if np.any(~np.isfinite(pv)) or np.any(pv <= 0) or np.any(pv > 1):
            bad("pst", "PST values must lie in (0, 1]")
        object.__setattr__(self, "bands", dict(self.bands))
        object.__setattr__(self, "pst_off_axis_deg", tuple(float(x) for x in th))
        object.__setattr__(self, "pst_values", tuple(float(x) for x in pv))
        object.__setattr__(self, "_log_pst", np.log10(pv))

    # ------------------------------------------------------------------ derived quantities
    @property
    def area_m2(self) -> float:
        """Unobscured collecting area (m²): π (D/2)² (1 − ε²)."""
        return math.pi * (self.aperture_m / 2.0) ** 2 * (1.0 - self.obscuration**2)

    @property
    def area_cm2(self) -> float:
        return self.area_m2 * 1e4

    @property
    def pixel_solid_angle_sr(self) -> float:
        """Solid angle of one pixel (sr): (pixel scale in rad)²."""
        return (self.pixel_scale_arcsec * ARCSEC_RAD) ** 2

    @property
    def aperture_radius_arcsec(self) -> float:
        return self.aperture_radius_fwhm * self.psf_fwhm_arcsec

    @property
    def npix(self) -> float:
        """Pixels in the photometric aperture: π r² / pixel², at least 1."""
        return max(1.0, math.pi * self.aperture_radius_arcsec**2 / self.pixel_scale_arcsec**2)

    @property
    def ee_fraction(self) -> float:
        """Fraction of a point source's light inside the aperture (Gaussian PSF unless given)."""
        if self.encircled_energy is not None:
            return float(self.encircled_energy)
        sigma = self.psf_fwhm_arcsec / GAUSS_FWHM_PER_SIGMA
        return 1.0 - math.exp(-(self.aperture_radius_arcsec**2) / (2.0 * sigma**2))

    @property
    def peak_pixel_fraction(self) -> float:
        """Fraction of a point source's light in the brightest pixel (Gaussian PSF centred on a
        pixel): erf(p / (2√2 σ))², p the pixel scale."""
        sigma = self.psf_fwhm_arcsec / GAUSS_FWHM_PER_SIGMA
        return math.erf(self.pixel_scale_arcsec / (2.0 * math.sqrt(2.0) * sigma)) ** 2

    def band(self, name) -> Band:
        """The band called ``name`` (case-insensitive), or ``name`` itself if it is a Band."""
        if isinstance(name, Band):
            return name
        norm = {k.upper(): k for k in self.bands}
        if str(name).upper() not in norm:
            raise InputError("band", f"{name!r} is not a band of the instrument; bands: {', '.join(self.bands)}")
        return self.bands[norm[str(name).upper()]]

    def pst(self, off_axis_deg) -> np.ndarray:
        """Point-source transmittance at ``off_axis_deg`` (deg, any shape): the table
        interpolated linearly in log10(PST), held constant beyond its ends."""
        th = np.asarray(off_axis_deg, float)
        return 10.0 ** np.interp(th, self.pst_off_axis_deg, self._log_pst)

    # ------------------------------------------------------------------ the default
    @classmethod
    def default(cls) -> Instrument:
        """The documented default (docs/science.md, "Default instrument"): 0.4 m aperture,
        obscuration 0.35, 1.0"/pixel, FWHM 2.0", read noise 3 e⁻, dark 0.005 e⁻/s, gain
        1.5 e⁻/ADU, full well 100 000 e⁻; bands FUV (GALEX FUV × 0.10), NUV (GALEX NUV × 0.25),
        u (SDSS u × 0.40), g (SDSS g × 0.60) — end-to-end efficiencies (optics × QE) assumed."""
        return _default_instrument()

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def __setstate__(self, state):
        for k, v in state.items():
            object.__setattr__(self, k, v)


#: Default bands: key -> (named band, end-to-end efficiency optics × QE, assumed).
DEFAULT_BANDS = {"FUV": ("GALEX_FUV", 0.10), "NUV": ("GALEX_NUV", 0.25), "u": ("SDSS_u", 0.40), "g": ("SDSS_g", 0.60)}


def _default_instrument() -> Instrument:
    bands = {k: Band.named(n, eff).scaled(1.0, k) for k, (n, eff) in DEFAULT_BANDS.items()}
    return Instrument(
        aperture_m=0.4,
        obscuration=0.35,
        bands=bands,
        pixel_scale_arcsec=1.0,
        psf_fwhm_arcsec=2.0,
        read_noise_e=3.0,
        dark_e_s=0.005,
        gain_e_adu=1.5,
        full_well_e=100_000.0,
        name="default 0.4 m UV/optical",
    )
