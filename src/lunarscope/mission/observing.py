"""Mission sections for observing: ``stations``, ``sites``, ``targets``, ``constraints``, ``windows``.

Every key is documented in ``docs/windows.md``; errors name the key path, e.g.
``targets[3].dec_deg: 95 must be <= 90 deg``. ``attach`` is called by ``load_mission``.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import SECONDS_PER_DAY
from ..errors import InputError
from ..sites import EarthStation, LunarSite
from ..time import MAX_ECHO_CHARS, short
from .operations import REQUEST_COLUMNS
from .reader import Section, decode_text, read_limited

#: Window kinds computed by ``lunarscope windows`` (and their subjects).
KINDS = (
    "umbra",
    "penumbra",
    "contact",
    "site_pass",
    "site_sunlit",
    "site_earth_visible",
    "target_visible",
    "target_occulted",
    "radio_quiet",
)
#: Kinds computed when ``windows.kinds`` is not given: all but ``radio_quiet``, which joins them
#: when the ``windows.radio_quiet`` section is present.
DEFAULT_KINDS = tuple(k for k in KINDS if k != "radio_quiet")
#: Days per Julian year (proper motion is given per Julian year), IAU.
JULIAN_YEAR_S = 365.25 * SECONDS_PER_DAY
#: Milliarcseconds in a radian.
MAS_PER_RAD = 180.0 / math.pi * 3600e3


@dataclass(frozen=True)
class StationSpec:
    name: str
    site: EarthStation
    min_elevation_deg: float
    elevation_mask: tuple | None  # ((az_deg, el_deg), ...) or None
    max_range_km: float | None
    downlink_mbps: float | None
    note: str


@dataclass(frozen=True)
class SiteSpec:
    name: str
    site: LunarSite
    horizon_mask_deg: float
    min_sun_elevation_deg: float


@dataclass(frozen=True)
class TargetSpec:
    name: str
    ra_deg: float
    dec_deg: float
    pm_ra_mas_yr: float = 0.0  # mu_alpha* = mu_alpha cos(dec), mas/yr
    pm_dec_mas_yr: float = 0.0
    epoch_tdb: float = 0.0  # catalogue epoch, TDB s (default J2000.0)
    extra: dict = field(default_factory=dict)

    def unit_vector(self, t_tdb: float) -> np.ndarray:
        """ICRS unit vector at ``t_tdb``: the catalogue direction moved along the tangent plane
        by the proper motion (linear, no parallax or radial velocity; ESA 1997, Hipparcos
        vol. 1 sec. 1.2.8 to first order)."""
        ra, dec = math.radians(self.ra_deg), math.radians(self.dec_deg)
        cd, sd, ca, sa = math.cos(dec), math.sin(dec), math.cos(ra), math.sin(ra)
        u = np.array([cd * ca, cd * sa, sd])
        e_ra = np.array([-sa, ca, 0.0])
        e_dec = np.array([-sd * ca, -sd * sa, cd])
        dt_yr = (t_tdb - self.epoch_tdb) / JULIAN_YEAR_S
        u = u + dt_yr * (self.pm_ra_mas_yr * e_ra + self.pm_dec_mas_yr * e_dec) / MAS_PER_RAD
        return u / np.linalg.norm(u)


@dataclass(frozen=True)
class Constraints:
    sun_exclusion_deg: float | None = None
    earth_limb_deg: float | None = None
    moon_limb_deg: float | None = None
    earth_atmosphere_km: float = 100.0
    min_window_s: float = 60.0
    tolerance_s: float = 1e-3


@dataclass(frozen=True)
class WindowSettings:
    light_time: bool = False
    shadow_min_window_s: float = 1.0
    kinds: tuple = DEFAULT_KINDS
    stations: tuple | None = None  # names to compute contacts for (None: all)
    sites: tuple | None = None
    radio_quiet: object = None  # windows.radio_quiet.RadioQuietSpec (None: defaults)


@dataclass(frozen=True)
class Observing:
    stations: tuple
    sites: tuple
    targets: tuple
    constraints: Constraints
    settings: WindowSettings

    def station(self, name: str, field: str = "station") -> StationSpec:
        return _named(self.stations, name, field, "station")

    def site(self, name: str, field: str = "site") -> SiteSpec:
        return _named(self.sites, name, field, "site")

    def target_units(self, t_tdb: float) -> np.ndarray:
        """(M,3) ICRS unit vectors of the targets at ``t_tdb``."""
        if not self.targets:
            return np.empty((0, 3))
        return np.stack([t.unit_vector(t_tdb) for t in self.targets])


# ====================================================================== helpers


def _named(items, name: str, field: str, what: str):
    """The item called ``name``, or an InputError listing the known names."""
    for item in items:
        if item.name == name:
            return item
    known = ", ".join(i.name for i in items) or "none defined"
    raise InputError(field, f"unknown {what} {short(name)}; {what}s: {known}")


def _name(sec: Section, seen: dict, list_key: str, k: int) -> str:
    name = sec.string("name", required=True).strip()
    if not name:
        raise InputError(f"{list_key}[{k}].name", "must not be empty")
    if "," in name or "\n" in name:
        raise InputError(f"{list_key}[{k}].name", f"{short(name)} must not contain commas or newlines")
    if name in seen:
        raise InputError(f"{list_key}[{k}].name", f"duplicate name {short(name)} (also {list_key}[{seen[name]}])")
    seen[name] = k
    return name


def _latlon(sec: Section):
    lat = sec.number("lat_deg", required=True, minimum=-90, maximum=90, unit="deg")
    lon = sec.number("lon_deg", required=True, minimum=-360, maximum=360, unit="deg")
    h = sec.number("height_km", 0.0, minimum=-12, maximum=100, unit="km")
    return lat, lon, h


def _mask_table(sec: Section, key: str):
    raw = sec.items(key)
    path = sec._key(key)
    if len(raw) < 1:
        raise InputError(path, "needs at least one [az_deg, el_deg] pair")
    rows = []
    for j, pair in enumerate(raw):
        ok = (
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in pair)
        )
        if not ok:
            raise InputError(f"{path}[{j}]", f"{short(pair)} must be [az_deg, el_deg]")
        az, el = float(pair[0]), float(pair[1])
        if not 0.0 <= az <= 360.0:
            raise InputError(f"{path}[{j}]", f"azimuth {az:g} deg must be in [0, 360]")
        if not -90.0 <= el <= 90.0:
            raise InputError(f"{path}[{j}]", f"mask angle {el:g} deg must be in [-90, 90]")
        rows.append((az, el))
    if any(a == 360.0 for a, _ in rows) and any(a == 0.0 for a, _ in rows):
        e0 = [e for a, e in rows if a == 0.0][0]
        e360 = [e for a, e in rows if a == 360.0][0]
        if e0 != e360:
            raise InputError(path, f"elevation at 0 deg ({e0:g}) and 360 deg ({e360:g}) must agree")
        rows = [(a, e) for a, e in rows if a != 360.0]
    rows = [(a % 360.0, e) for a, e in rows]
    if len({a for a, _ in rows}) != len(rows):
        raise InputError(path, "azimuths must be distinct (0 and 360 are the same azimuth)")
    return tuple(sorted(rows))


# ====================================================================== sections
_STATION_KEYS = {
    "name",
    "lat_deg",
    "lon_deg",
    "height_km",
    "min_elevation_deg",
    "elevation_mask",
    "max_range_km",
    "downlink_mbps",
    "note",
}
_SITE_KEYS = {"name", "lat_deg", "lon_deg", "height_km", "horizon_mask_deg", "min_sun_elevation_deg"}
_TARGET_KEYS = {"name", "ra_deg", "dec_deg", "pm_ra_mas_yr", "pm_dec_mas_yr", "epoch"}
_CONSTRAINT_KEYS = {
    "sun_exclusion_deg",
    "earth_limb_deg",
    "moon_limb_deg",
    "earth_atmosphere_km",
    "min_window_s",
    "tolerance_s",
}
_WINDOW_KEYS = {"light_time", "shadow_min_window_s", "kinds", "stations", "sites", "radio_quiet"}
_RADIO_QUIET_KEYS = {"frequency_mhz", "margin", "attenuation_db", "earth"}
#: Keys of an inline target: its position and the request columns (``operations.REQUEST_COLUMNS``).
_INLINE_TARGET_KEYS = _TARGET_KEYS | set(REQUEST_COLUMNS)
#: Largest catalogue file read, bytes (~500,000 rows of a dozen columns).
MAX_CATALOGUE_BYTES = 64 * 1024 * 1024
#: A catalogue column this similar (difflib ratio) to a known column is taken for a typo.
CATALOGUE_TYPO_RATIO = 0.8


def parse_stations(root: Section) -> tuple:
    out, seen = [], {}
    for k, raw in enumerate(root.items("stations")):
        sec = Section(raw, f"stations[{k}]", _STATION_KEYS)
        name = _name(sec, seen, "stations", k)
        lat, lon, h = _latlon(sec)
        if sec.has("min_elevation_deg") and sec.has("elevation_mask"):
            raise InputError(f"stations[{k}]", "give either min_elevation_deg or elevation_mask, not both")
        min_el = sec.number("min_elevation_deg", 10.0, minimum=-90, maximum=90, unit="deg")
        mask = _mask_table(sec, "elevation_mask") if sec.has("elevation_mask") else None
        out.append(
            StationSpec(
                name=name,
                site=EarthStation(name=name, lat_deg=lat, lon_deg=lon, height_km=h),
                min_elevation_deg=min_el,
                elevation_mask=mask,
                max_range_km=sec.number("max_range_km", None, exclusive_minimum=0, unit="km"),
                downlink_mbps=sec.number("downlink_mbps", None, exclusive_minimum=0, unit="Mbit/s"),
                note=sec.string("note", "") or "",
            )
        )
    return tuple(out)


def parse_sites(root: Section) -> tuple:
    out, seen = [], {}
    for k, raw in enumerate(root.items("sites")):
        sec = Section(raw, f"sites[{k}]", _SITE_KEYS)
        name = _name(sec, seen, "sites", k)
        lat, lon, h = _latlon(sec)
        out.append(
            SiteSpec(
                name=name,
                site=LunarSite(name=name, lat_deg=lat, lon_deg=lon, height_km=h),
                horizon_mask_deg=sec.number("horizon_mask_deg", 0.0, minimum=-90, maximum=90, unit="deg"),
                min_sun_elevation_deg=sec.number("min_sun_elevation_deg", 0.0, minimum=-90, maximum=90, unit="deg"),
            )
        )
    return tuple(out)


def _target_from(sec: Section, extra: dict) -> TargetSpec:
    ra = sec.number("ra_deg", required=True, minimum=-360, maximum=360, unit="deg")
    dec = sec.number("dec_deg", required=True, minimum=-90, maximum=90, unit="deg")
    epoch = sec.time("epoch", 0.0)
    return TargetSpec(
        name=sec.string("name", required=True).strip(),
        ra_deg=ra % 360.0,
        dec_deg=dec,
        pm_ra_mas_yr=sec.number("pm_ra_mas_yr", 0.0, unit="mas/yr"),
        pm_dec_mas_yr=sec.number("pm_dec_mas_yr", 0.0, unit="mas/yr"),
        epoch_tdb=float(epoch),
        extra=extra,
    )


def _catalogue_row(r: dict, path: str, field: str) -> dict:
    """One CSV row: cells stripped, numbers converted where they parse, empty cells None."""
    row = {}
    for c, v in r.items():
        if c is None:
            raise InputError(field, f"{short(path)}: a row has more fields than the header")
        v = (v or "").strip()
        try:
            row[c.strip()] = float(v) if v != "" else None
        except ValueError:
            row[c.strip()] = v
    return row


def _read_catalogue(path: str, field: str) -> list[dict]:
    """Rows of a CSV or ECSV catalogue as dicts (numbers converted where they parse)."""
    low = path.lower()
    if not low.endswith((".csv", ".ecsv")):
        raise InputError(field, f"{short(path)}: catalogue must be .csv or .ecsv")
    text = decode_text(read_limited(path, field, MAX_CATALOGUE_BYTES, "catalogue"), path, field, "catalogue")
    if low.endswith(".ecsv"):
        from astropy.table import Table

        try:
            tab = Table.read(text, format="ascii.ecsv")
        except Exception as exc:  # astropy raises many kinds for a bad file
            problem = " ".join(str(exc).split())[:MAX_ECHO_CHARS]
            raise InputError(field, f"{short(path)} is not a readable ECSV table: {problem}") from None
        rows = [{c: (v.item() if hasattr(v, "item") else v) for c, v in zip(tab.colnames, row)} for row in tab]
    else:
        lines = [ln for ln in text.splitlines(keepends=True) if not ln.lstrip().startswith("#")]
        try:
            rows = [_catalogue_row(r, path, field) for r in csv.DictReader(lines)]
        except csv.Error as exc:  # e.g. a field longer than the csv module's limit
            raise InputError(field, f"{short(path)} is not a readable CSV table: {short(str(exc))}") from None
    cols = set(rows[0]) if rows else set()
    for need in ("name", "ra_deg", "dec_deg"):
        if rows and need not in cols:
            raise InputError(field, f"{short(path)}: missing column {need!r} (need name, ra_deg, dec_deg)")
    if not rows:
        raise InputError(field, f"{short(path)}: no rows")
    for r in rows:
        r["name"] = str(r["name"]).strip() if r["name"] is not None else ""
        if isinstance(r["name"], str) and r["name"].endswith(".0") and r["name"][:-2].isdigit():
            r["name"] = r["name"][:-2]
    return rows


def _check_extra_columns(row: dict, path: str) -> None:
    """Catalogue columns other than the target and request ones are kept in
    ``TargetSpec.extra`` (class, magnitudes, identifiers ...), except names that look like a
    typo of a known column (difflib ratio >= CATALOGUE_TYPO_RATIO), which are refused."""
    known = sorted(_INLINE_TARGET_KEYS)
    for col in row:
        if col in _INLINE_TARGET_KEYS:
            continue
        near = difflib.get_close_matches(str(col), known, n=1, cutoff=CATALOGUE_TYPO_RATIO)
        if near:
            raise InputError(
                "targets.catalogue",
                f"{short(path)}: column {short(col)} is not a known column; "
                f"did you mean {near[0]!r}? (rename other columns to keep them)",
            )


def parse_targets(root: Section, base: str) -> tuple:
    if not root.has("targets"):
        return ()
    raw = root.raw["targets"]
    out, seen = [], {}
    if isinstance(raw, dict):
        sec = Section(raw, "targets", {"catalogue"})
        path = sec.string("catalogue", required=True)
        path = path if os.path.isabs(path) else os.path.join(base, os.path.expanduser(path))
        rows = _read_catalogue(path, "targets.catalogue")
        _check_extra_columns(rows[0], path)
        for k, row in enumerate(rows):
            extra = {c: v for c, v in row.items() if c not in _TARGET_KEYS}
            core = {c: v for c, v in row.items() if c in _TARGET_KEYS and v is not None}
            sec = Section(core, f"targets.catalogue row {k + 1}")
            _name(sec, seen, "targets.catalogue row", k)
            out.append(_target_from(sec, extra))
        return tuple(out)
    for k, item in enumerate(root.items("targets")):
        if not isinstance(item, dict):
            raise InputError(f"targets[{k}]", f"must be a mapping, got {short(item)}")
        Section(item, f"targets[{k}]", _INLINE_TARGET_KEYS)  # unknown keys (typos) are refused
        extra = {c: v for c, v in item.items() if c not in _TARGET_KEYS}
        sec = Section({c: v for c, v in item.items() if c in _TARGET_KEYS}, f"targets[{k}]")
        _name(sec, seen, "targets", k)
        out.append(_target_from(sec, extra))
    return tuple(out)


def parse_constraints(root: Section) -> Constraints:
    sec = root.section("constraints", _CONSTRAINT_KEYS)
    return Constraints(
        sun_exclusion_deg=sec.number("sun_exclusion_deg", None, minimum=0, maximum=180, unit="deg"),
        earth_limb_deg=sec.number("earth_limb_deg", None, minimum=-90, maximum=180, unit="deg"),
        moon_limb_deg=sec.number("moon_limb_deg", None, minimum=-90, maximum=180, unit="deg"),
        earth_atmosphere_km=sec.number("earth_atmosphere_km", 100.0, minimum=0, maximum=1000, unit="km"),
        min_window_s=sec.number("min_window_s", 60.0, exclusive_minimum=0, unit="s"),
        tolerance_s=sec.number("tolerance_s", 1e-3, minimum=1e-6, maximum=10.0, unit="s"),
    )


def _name_list(sec: Section, key: str, known: tuple, what: str):
    if not sec.has(key):
        return None
    names = sec.items(key)
    known_names = [x.name for x in known]
    for j, n in enumerate(names):
        if str(n) not in known_names:
            raise InputError(
                f"windows.{key}[{j}]", f"unknown {what} {short(n)}; {what}s: {', '.join(known_names) or 'none defined'}"
            )
    return tuple(str(n) for n in names)


def parse_window_settings(root: Section, stations, sites) -> WindowSettings:
    sec = root.section("windows", _WINDOW_KEYS)
    kinds = DEFAULT_KINDS + (("radio_quiet",) if sec.has("radio_quiet") else ())
    if sec.has("kinds"):
        kinds = tuple(str(x) for x in sec.items("kinds"))
        for j, kd in enumerate(kinds):
            if kd not in KINDS:
                raise InputError(f"windows.kinds[{j}]", f"unknown kind {short(kd)}; use any of {', '.join(KINDS)}")
        if sec.has("radio_quiet") and "radio_quiet" not in kinds:
            import warnings

            warnings.warn(
                "windows.radio_quiet is given but windows.kinds does not list radio_quiet: "
                "no radio-quiet windows are computed",
                stacklevel=2,
            )
    return WindowSettings(
        light_time=sec.boolean("light_time", False),
        shadow_min_window_s=sec.number("shadow_min_window_s", 1.0, exclusive_minimum=0, unit="s"),
        kinds=kinds,
        stations=_name_list(sec, "stations", stations, "station"),
        sites=_name_list(sec, "sites", sites, "site"),
        radio_quiet=parse_radio_quiet(sec),
    )


def parse_radio_quiet(windows: Section):
    """``windows.radio_quiet``: frequency_mhz, margin (diffraction | none | angle in deg),
    attenuation_db, earth (disc | point) → a RadioQuietSpec (docs/windows.md)."""
    from ..windows.radio_quiet import (
        DEFAULT_ATTENUATION_DB,
        DEFAULT_FREQUENCY_MHZ,
        GRAZING_LOSS_DB,
        MAX_ATTENUATION_DB,
        RadioQuietSpec,
    )

    sec = windows.section("radio_quiet", _RADIO_QUIET_KEYS)
    margin, margin_deg = "diffraction", 0.0
    if sec.has("margin"):
        m = sec.get("margin")
        if isinstance(m, (int, float)) and not isinstance(m, bool):
            margin, margin_deg = "fixed", sec.number("margin", minimum=0, maximum=90, unit="deg")
        elif isinstance(m, str) and m.strip().lower() in ("diffraction", "none"):
            margin = m.strip().lower()
        else:
            raise InputError(
                "windows.radio_quiet.margin", f"{short(m)} must be diffraction, none or an angle in deg (0 … 90)"
            )
    return RadioQuietSpec(
        frequency_mhz=sec.number("frequency_mhz", DEFAULT_FREQUENCY_MHZ, exclusive_minimum=0, maximum=1e6, unit="MHz"),
        margin=margin,
        attenuation_db=sec.number(
            "attenuation_db", DEFAULT_ATTENUATION_DB, minimum=GRAZING_LOSS_DB, maximum=MAX_ATTENUATION_DB, unit="dB"
        ),
        margin_deg=margin_deg,
        earth_disc=sec.choice("earth", ("disc", "point"), "disc") == "disc",
    )


def parse_observing(root: Section, base: str = ".") -> Observing:
    stations = parse_stations(root)
    sites = parse_sites(root)
    return Observing(
        stations,
        sites,
        parse_targets(root, base),
        parse_constraints(root),
        parse_window_settings(root, stations, sites),
    )


def attach(mission, root: Section, base: str):
    """Return ``mission`` with its ``observing`` field set (called by ``load_mission``)."""
    return replace(mission, observing=parse_observing(root, base))
