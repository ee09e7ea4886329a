"""Places on the Earth and the Moon, and points users can name.

* ``EarthStation``: geodetic WGS84 latitude, longitude, height (NIMA TR8350.2: a = 6378.137 km,
  1/f = 298.257223563), fixed in ITRF.
* ``LunarSite``: selenographic latitude, longitude, height above the mean sphere
  (``constants.MOON_RADIUS_KM``, LOLA datum; Archinal et al. 2011), fixed in MOON_ME.

Latitude, longitude and height may be given as astropy ``Quantity`` (``43 * u.deg``,
``2.7 * u.km``); they are converted once, in ``__post_init__``, to plain floats in degrees and km.
Lunar sites need the lunar PCK (``pck``: a MoonPCK, path or ``Sources``) to be placed.

Both give their state relative to their body's centre in ICRF axes (``state_icrf``) and their
east-north-up axes (``enu_matrix``, rows e, n, u in body-fixed components).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import erfa
import numpy as np

from . import frames
from .constants import EARTH_RADIUS_KM, MOON_RADIUS_KM
from .errors import InputError
from .frames.rotations import apply_transposed

#: WGS84 semi-major axis, km (NIMA TR8350.2; the same number as constants.EARTH_RADIUS_KM).
WGS84_A_KM = EARTH_RADIUS_KM
WGS84_INV_F = 298.257223563
#: Mean lunar radius the sites sit on, km (constants.MOON_RADIUS_KM).
MOON_MEAN_RADIUS_KM = MOON_RADIUS_KM


def _plain(value, unit: str, field: str):
    """A float from a number or an astropy Quantity convertible to ``unit``."""
    if hasattr(value, "unit") and hasattr(value, "to_value"):
        try:
            value = value.to_value(unit)
        except Exception:
            raise InputError(field, f"{value} is not convertible to {unit}") from None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(field, f"{value!r} is not a number ({unit})") from None


def _check_latlon(lat_deg: float, lon_deg: float, height_km: float, field: str) -> None:
    for name, v in (("latitude", lat_deg), ("longitude", lon_deg), ("height", height_km)):
        if not np.isfinite(v):
            raise InputError(field, f"{name} {v!r} is not a finite number")
    if not -90.0 <= lat_deg <= 90.0:
        raise InputError(field, f"latitude {lat_deg}° is outside [-90°, 90°]")
    if not -360.0 <= lon_deg <= 360.0:
        raise InputError(field, f"longitude {lon_deg}° is outside [-360°, 360°]")


def _enu(lat_rad: float, lon_rad: float) -> np.ndarray:
    """Rows east, north, up in body-fixed components for a normal at (lat, lon)."""
    sl, cl = np.sin(lat_rad), np.cos(lat_rad)
    so, co = np.sin(lon_rad), np.cos(lon_rad)
    return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])


@dataclass(frozen=True)
class Site:
    """A point fixed in a body frame, with its own topocentric (ENU) axes.

    Subclasses define ``position_body_km`` (3,), the body-fixed position in ``frame``.
    """

    name: str
    lat_deg: float
    lon_deg: float
    height_km: float
    body: str
    frame: str

    def __post_init__(self):
        where = f"site {self.name}"
        for attr, unit in (("lat_deg", "deg"), ("lon_deg", "deg"), ("height_km", "km")):
            object.__setattr__(self, attr, _plain(getattr(self, attr), unit, where))
        _check_latlon(self.lat_deg, self.lon_deg, self.height_km, where)

    @property
    def enu_matrix(self) -> np.ndarray:
        """(3,3) rows east, north, up in body-fixed components."""
        return _enu(np.radians(self.lat_deg), np.radians(self.lon_deg))

    def state_icrf(self, t, pck=None) -> np.ndarray:
        """State (N,6) relative to the body centre, ICRF axes (km, km/s); ``pck`` (lunar
        orientation) is required for lunar sites."""
        r, dr = frames.rotation_and_rate(self.frame, t, pck)
        p = np.broadcast_to(self.position_body_km, (r.shape[0], 3))
        return np.concatenate([apply_transposed(r, p), apply_transposed(dr, p)], axis=1)

    def enu_rotation(self, t, pck=None):
        """(R, dR/dt) ICRF → this site's east-north-up axes, each (N,3,3)."""
        r, dr = frames.rotation_and_rate(self.frame, t, pck)
        m = self.enu_matrix
        return m @ r, m @ dr


@dataclass(frozen=True)
class EarthStation(Site):
    """Ground station on the WGS84 ellipsoid (geodetic latitude), fixed in ITRF."""

    body: str = "earth"
    frame: str = "ITRF"

    @property
    def position_body_km(self) -> np.ndarray:
        xyz_m = erfa.gd2gce(
            WGS84_A_KM * 1e3,
            1.0 / WGS84_INV_F,
            np.radians(self.lon_deg),
            np.radians(self.lat_deg),
            self.height_km * 1e3,
        )
        return np.asarray(xyz_m, float) / 1e3


@dataclass(frozen=True)
class LunarSite(Site):
    """Lunar surface site on the mean sphere (MOON_RADIUS_KM), fixed in MOON_ME."""

    body: str = "moon"
    frame: str = "MOON_ME"
    radius_km: float = MOON_MEAN_RADIUS_KM

    def __post_init__(self):
        object.__setattr__(self, "radius_km", _plain(self.radius_km, "km", f"site {self.name}"))
        super().__post_init__()

    @property
    def position_body_km(self) -> np.ndarray:
        lat, lon = np.radians(self.lat_deg), np.radians(self.lon_deg)
        r = self.radius_km + self.height_km
        return r * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


_SITE_SPEC = re.compile(r"^\s*(earth|moon)\s*:\s*([^,]+),([^,]+),([^,]+)\s*$", re.IGNORECASE)


def parse_site(spec: str, field: str = "site") -> Site | None:
    """``earth:LAT,LON,HEIGHT_KM`` or ``moon:LAT,LON,HEIGHT_KM`` (degrees) → a Site; else None."""
    m = _SITE_SPEC.match(spec)
    if not m:
        if str(spec).lower().startswith(("earth:", "moon:")):
            raise InputError(field, f"{spec!r} must look like earth:LAT,LON,HEIGHT_KM (degrees, km)")
        return None
    try:
        lat, lon, h = (float(x) for x in m.groups()[1:])
    except ValueError:
        raise InputError(field, f"{spec!r}: latitude, longitude and height must be numbers") from None
    _check_latlon(lat, lon, h, field)
    cls = EarthStation if m[1].lower() == "earth" else LunarSite
    return cls(name=spec.strip(), lat_deg=lat, lon_deg=lon, height_km=h)
