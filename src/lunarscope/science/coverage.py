"""Sky coverage: hours each HEALPix pixel of the sky is observable over a mission.

Every pixel centre (HEALPix, RING ordering, ICRS; ``astropy_healpix``) is treated as a fixed
target and goes through the windows' compiled survey sweep (:meth:`TargetConstraints.windows
<lunarscope.windows.conditions.TargetConstraints.windows>`) under the job's constraints — the
same ``target_visible`` condition as the scheduler's targets: not occulted by the Moon or the
Earth (+ atmosphere), Sun exclusion, Earth-limb and Moon-limb angles as configured, and, with
``eclipse_only``, only while the spacecraft is in the umbra of the Moon or the Earth. Per pixel:
the observable hours (sum of the windows), the longest window (h), and from those the reachable
fraction of the sky at a given depth (pixels are equal-area, so a fraction of pixels is a
fraction of the sky).

The windows' guarantee carries over: no window or gap longer than ``min_window_s`` is missed,
boundaries within ``tolerance_s``; so per pixel the hours are within one ``min_window_s`` per
window of the truth (checked against a brute-force grid in ``tests/science/test_coverage.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..windows.compute import WindowJob
from ..windows.conditions import TargetConstraints, shadow_condition
from ..windows.finder import find_windows
from ..windows.intervals import Windows
from ..windows.scene import Scene

__all__ = [
    "DEFAULT_NSIDE",
    "SkyCoverage",
    "pixel_directions",
    "sky_coverage",
    "hours_for_depth",
    "DARK_SKY_RADIANCE_500NM",
]

#: Default HEALPix resolution: nside 32 = 12,288 pixels of 3.36 deg^2 (1.83 deg across); the
#: demo's 30 d coverage costs ~4 s (docs/science.md, "Sky coverage").
DEFAULT_NSIDE = 32
#: Largest nside accepted (12·1024² = 12.6 M pixels; the sweep's cost grows with the pixel count).
MAX_NSIDE = 1024
#: Window-boundary tolerance for coverage, s: hours need no millisecond boundaries (the
#: scheduler's windows keep the mission's own tolerance).
COVERAGE_TOLERANCE_S = 1.0
#: Seconds per hour.
SECONDS_PER_HOUR = 3600.0
#: Dark-sky background for :func:`hours_for_depth`: the zodiacal light at the ecliptic pole,
#: 77e-8 W m^-2 sr^-1 um^-1 at 500 nm (Leinert et al. 1998, A&AS 127, 1, Table 17, beta = 90
#: deg), with the solar spectral shape.
DARK_SKY_RADIANCE_500NM = 77e-8


def pixel_directions(nside: int) -> np.ndarray:
    """(12·nside², 3) ICRS unit vectors of the HEALPix pixel centres, RING ordering."""
    from astropy_healpix import healpy as ahp

    _check_nside(nside)
    x, y, z = ahp.pix2vec(int(nside), np.arange(12 * int(nside) ** 2), nest=False)
    return np.stack([x, y, z], axis=1)


def _check_nside(nside) -> None:
    from ..errors import InputError

    ok = isinstance(nside, (int, np.integer)) and not isinstance(nside, bool) and 1 <= nside <= MAX_NSIDE
    if not ok or (int(nside) & (int(nside) - 1)):
        raise InputError("nside", f"{nside!r} must be a power of 2 from 1 to {MAX_NSIDE}")


@dataclass(frozen=True, eq=False)
class SkyCoverage:
    """Observable time per HEALPix pixel (RING ordering, ICRS = FITS ``COORDSYS 'C'``).

    ``hours`` (npix,) observable hours over the span; ``longest_hours`` (npix,) the longest
    continuous window (h); ``span_hours`` the span (h); ``constraints`` the angles (deg) and
    switches used; ``windows`` (npix,) number of windows per pixel.
    """

    nside: int
    hours: np.ndarray
    longest_hours: np.ndarray
    windows: np.ndarray
    span_hours: float
    t_start: float
    t_stop: float
    constraints: dict = field(default_factory=dict)
    ordering: str = "RING"

    @property
    def npix(self) -> int:
        return 12 * self.nside**2

    @property
    def pixel_area_deg2(self) -> float:
        """Area of one pixel, deg² (4π sr / npix)."""
        return 4 * math.pi * (180 / math.pi) ** 2 / self.npix

    def reachable_fraction(self, hours_needed, continuous: bool = False):
        """Fraction of the sky whose observable hours (``continuous``: longest window) are at
        least ``hours_needed`` (h; scalar or array, broadcast)."""
        have = self.longest_hours if continuous else self.hours
        need = np.asarray(hours_needed, float)
        out = (have[:, None] >= need.reshape(-1)[None, :]).mean(axis=0)
        return float(out[0]) if need.ndim == 0 else out.reshape(need.shape)

    def hours_at(self, ra_deg, dec_deg) -> np.ndarray:
        """Observable hours of the pixels holding the ICRS directions (deg)."""
        import astropy.units as u
        from astropy_healpix import lonlat_to_healpix

        ra = np.asarray(ra_deg, float) * u.deg
        dec = np.asarray(dec_deg, float) * u.deg
        return self.hours[lonlat_to_healpix(ra, dec, self.nside, order="ring")]


def sky_coverage(
    job: WindowJob,
    trajectory,
    nside: int = DEFAULT_NSIDE,
    *,
    eclipse_only: bool = False,
    min_window_s: float | None = None,
    tolerance_s: float = COVERAGE_TOLERANCE_S,
    progress=None,
) -> SkyCoverage:
    """Observable hours of every HEALPix pixel centre over ``job``'s span along ``trajectory``.

    ``job``: a :class:`~lunarscope.windows.compute.WindowJob` (its span, sources, light time,
    ``sun_exclusion_deg``, ``earth_limb_deg``, ``moon_limb_deg``, ``earth_atmosphere_km`` and
    ``min_window_s``; its own targets are ignored). ``eclipse_only``: count only the time the
    spacecraft is in the umbra of the Moon or the Earth. ``min_window_s`` (s, default the job's):
    shorter windows may be missed. ``progress(fraction)`` is called when done.
    """
    if not isinstance(job, WindowJob):
        raise TypeError(
            f"sky_coverage needs a WindowJob (lunarscope.mission.stages.window_job), not {type(job).__name__}"
        )
    u = pixel_directions(nside)
    t0, t1 = float(job.t_start), float(job.t_stop)
    dmin = float(job.min_window_s if min_window_s is None else min_window_s)
    tol = float(tolerance_s)
    scene = Scene(trajectory, job.sources.ephemeris, job.sources.moon_pck, light_time=job.light_time)
    rad = lambda a: None if a is None else math.radians(a)  # noqa: E731
    tc = TargetConstraints(
        scene, u, rad(job.sun_exclusion_deg), rad(job.earth_limb_deg), rad(job.moon_limb_deg), job.earth_atmosphere_km
    )
    found = tc.windows(t0, t1, dmin, tol, (True,))
    wins = found[True] if found is not None else find_windows(tc.condition(t0, t1, True), t0, t1, dmin, tol)
    if eclipse_only:
        dark = Windows.empty()
        for body in ("moon", "earth"):
            dark = dark | find_windows(
                shadow_condition(scene, body, "umbra", t0, t1), t0, t1, min(dmin, job.shadow_min_window_s), tol
            )
        wins = [w & dark for w in wins]
    total = np.array([w.total_duration for w in wins]) / SECONDS_PER_HOUR
    longest = np.array([float(w.durations.max()) if len(w) else 0.0 for w in wins]) / SECONDS_PER_HOUR
    if progress is not None:
        progress(1.0)
    return SkyCoverage(
        nside=int(nside),
        hours=total,
        longest_hours=longest,
        windows=np.array([len(w) for w in wins], dtype=np.int64),
        span_hours=(t1 - t0) / SECONDS_PER_HOUR,
        t_start=t0,
        t_stop=t1,
        constraints={
            "sun_exclusion_deg": job.sun_exclusion_deg,
            "earth_limb_deg": job.earth_limb_deg,
            "moon_limb_deg": job.moon_limb_deg,
            "earth_atmosphere_km": job.earth_atmosphere_km,
            "eclipse_only": bool(eclipse_only),
            "min_window_s": dmin,
            "light_time": bool(job.light_time),
        },
    )


def hours_for_depth(instrument, band, mag_ab: float, snr: float, background_e_s_pix=None, spectrum=None) -> float:
    """Hours needed to reach ``snr`` on a point source of AB magnitude ``mag_ab`` in ``band``
    (a band name of ``instrument`` or a Band) by ``lunarscope.science.etc.exposure_for_snr``
    (CCD equation, docs/science.md). ``spectrum``: the source's shape (default flat f_ν),
    normalised to ``mag_ab`` in the band. Background (e⁻/s per pixel) by default the dark sky
    ``DARK_SKY_RADIANCE_500NM`` (zodiacal light at the ecliptic pole, solar spectral shape)
    through ``etc.surface_brightness_rate``; inf where the depth cannot be reached.

    With :meth:`SkyCoverage.reachable_fraction` it gives the fraction of the sky reachable at
    that depth: ``cov.reachable_fraction(hours_for_depth(inst, "NUV", 22.0, 5.0))``."""
    from . import etc  # the ETC: imported only when asked
    from .spectra import flat_fnu, normalized_ab

    b = instrument.band(band)
    if background_e_s_pix is None:
        background_e_s_pix = etc.surface_brightness_rate(instrument, b, DARK_SKY_RADIANCE_500NM)
    source = normalized_ab(flat_fnu() if spectrum is None else spectrum, mag_ab, b)
    exposure_s = etc.exposure_for_snr(instrument, b, source, snr, background_e_s_pix, warn_saturation=False)
    return float(np.asarray(exposure_s)) / SECONDS_PER_HOUR
