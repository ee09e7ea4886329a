"""Time scales, parsing and grids.

Internal time is ``float64`` TDB seconds past J2000 (2000-01-01T12:00:00 TDB, JD 2451545.0).
Between 1900 and 2100 a float64 of that magnitude resolves better than 0.5 µs, below every
tolerance lunarscope promises (event boundaries to 1 µs at the finest, positions to 1 mm at
lunar-orbit speeds), so one double is enough; conversions to Julian dates are done in two
parts (``2451545.0``, ``t / 86400``) so the kernels lose nothing.

Scale chain (IERS Conventions 2010, ch. 10; SOFA/ERFA "Time scale and calendar tools"):

* UTC ↔ TAI: leap seconds from the IERS ``Leap_Second.dat`` shipped by ``astropy-iers-data``
  (loaded into ERFA once). After the last announced leap second none is assumed.
* TAI ↔ TT: TT = TAI + 32.184 s.
* TT ↔ TDB: ``erfa.dtdb`` (Fairhead & Bretagnon 1990 series, geocentre), the same series
  astropy uses; its error is a few ns.

Accepted inputs everywhere (:func:`to_tdb`): ISO-8601 UTC strings (``2030-01-01T00:00:00Z``,
``2030-01-01 00:00``, ``2030-001T00:00:00``, leap second ``23:59:60``), Julian epochs
(``J2000.0``, ``J1991.25``: TT), ``datetime``
(naive means UTC), ``numpy.datetime64`` (UTC), astropy ``Time`` (any scale), Julian dates
with their scale (``JD 2462502.5 TDB``, ``MJD 62502.0 UTC``; scales UTC, TAI, TT, TDB), ISO
calendar times with a scale instead of ``Z`` (``2000-01-01T12:00:00 TDB``), plain numbers
(already TDB seconds past J2000; Python API only), and arrays/lists of any of these.

The mission file reads its times with :func:`mission_time`, which refuses bare numbers: a
``2462502.5`` or ``20290811`` in YAML is far more likely a Julian date or a compact date than
TDB seconds, so the user must say which (:data:`ACCEPTED_TIME_FORMS`).
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from functools import lru_cache

import erfa
import numpy as np

from .constants import SECONDS_PER_DAY
from .errors import InputError

J2000_JD = 2451545.0
TT_MINUS_TAI_S = 32.184

#: Above this many epochs the TT→TDB series is evaluated on a node grid and interpolated.
_INTERP_MIN_EPOCHS = 4096
#: Node spacing for the interpolated TT−TDB series; cubic interpolation error is < 1 ns.
_DTDB_NODE_S = 3600.0
#: Grid end points closer than this to ``stop`` are snapped onto it (s).
GRID_SNAP_S = 1e-3
#: Most epochs a time grid (``time_grid``, ``ephem`` rows, ``propagate`` OEM states) may hold:
#: 5e6 epochs are ~0.3 GB of states and ~0.6 GB of text; a larger grid is almost always a
#: step typed in the wrong unit.
MAX_GRID_SAMPLES = 5_000_000
#: Longest user text echoed back in an error message (characters); longer values are cut.
MAX_ECHO_CHARS = 80
#: The time forms the mission file accepts, quoted in error messages.
ACCEPTED_TIME_FORMS = (
    "ISO-8601 UTC like 2030-01-01T00:00:00Z, a Julian epoch like J2000.0, "
    "or a Julian date with its scale like 'JD 2462502.5 TDB' or 'MJD 62502 UTC'"
)

# ERFA warns "dubious year" for dates after the last leap-second announcement; lunarscope
# documents that no further leap seconds are assumed, so the warning carries no news.
warnings.filterwarnings("ignore", message=".*dubious year.*")

_ISO = re.compile(
    r"^\s*(?P<y>[+-]?\d{4})-(?:(?P<mo>\d{2})-(?P<d>\d{2})|(?P<doy>\d{3}))"
    r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2}(?:\.\d*)?))?)?)?"
    r"\s*(?P<tz>Z|UTC|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _load_leap_seconds() -> None:
    """Load the IERS leap-second table shipped by astropy-iers-data into ERFA (once, offline)."""
    try:
        from astropy.utils import iers

        iers.conf.auto_download = False
        table = iers.LeapSeconds.auto_open()
        erfa.leap_seconds.update(table)
    except Exception:  # pragma: no cover - ERFA's built-in table is the fallback
        pass


def _quiet(func, *args):
    """Call an ERFA function, silencing its 'dubious year' warnings for future dates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        return func(*args)


# ---------------------------------------------------------------------------------------
# scale conversions on two-part Julian dates
# ---------------------------------------------------------------------------------------


def _tdb_seconds(jd1, jd2) -> np.ndarray:
    """Two-part TDB Julian date → TDB seconds past J2000, keeping precision."""
    return (np.asarray(jd1, float) - J2000_JD) * SECONDS_PER_DAY + np.asarray(jd2, float) * SECONDS_PER_DAY


def _split(t_tdb) -> tuple[np.ndarray, np.ndarray]:
    """TDB seconds → two-part JD: whole days since J2000 in the first part, |fraction| ≤ 0.5 d
    in the second, both exact (no precision lost to a large second part)."""
    t = np.asarray(t_tdb, dtype=float)
    days = np.floor(t / SECONDS_PER_DAY + 0.5)
    return J2000_JD + days, (t - days * SECONDS_PER_DAY) / SECONDS_PER_DAY


def _interp_on_nodes(func, jd1, jd2, node_s):
    """Evaluate a smooth function of a two-part JD directly, or on nodes + cubic spline."""
    jd2_all = (jd1 - J2000_JD) + jd2
    if jd2_all.size < _INTERP_MIN_EPOCHS:
        return func(jd1, jd2)
    lo, hi = float(jd2_all.min()), float(jd2_all.max())
    n_nodes = int(np.ceil((hi - lo) * SECONDS_PER_DAY / node_s)) + 4
    if n_nodes >= jd2_all.size:
        return func(jd1, jd2)
    from scipy.interpolate import CubicSpline

    nodes = lo + (np.arange(n_nodes) - 1.5) * (node_s / SECONDS_PER_DAY)
    values = func(np.full_like(nodes, J2000_JD), nodes)
    return CubicSpline(nodes, values, axis=0)(jd2_all)


def _dtdb_s(jd1, jd2) -> np.ndarray:
    """TDB − TT in seconds at the geocentre (ERFA dtdb, Fairhead & Bretagnon 1990)."""
    z = np.zeros_like(np.asarray(jd2, float))
    return _interp_on_nodes(lambda a, b: erfa.dtdb(a, b, 0.0 * b, 0.0, 0.0, 0.0), jd1 + z, jd2 + z, _DTDB_NODE_S)


def utc_jd_to_tdb(jd1, jd2) -> np.ndarray:
    """Two-part UTC quasi-JD (ERFA convention, leap-second aware) → TDB seconds past J2000."""
    _load_leap_seconds()
    tai1, tai2 = _quiet(erfa.utctai, jd1, jd2)
    tt1, tt2 = erfa.taitt(tai1, tai2)
    return _tdb_seconds(tt1, tt2) + _dtdb_s(tt1, tt2)


def tdb_to_tt_jd(t_tdb) -> tuple[np.ndarray, np.ndarray]:
    """TDB seconds past J2000 → two-part TT Julian date.

    TT = TDB − dtdb(TDB); dtdb changes by < 1e-8 s per second, so evaluating it at TDB
    instead of TT costs < 1e-11 s.
    """
    jd1, jd2 = _split(t_tdb)
    return jd1, jd2 - _dtdb_s(jd1, jd2) / SECONDS_PER_DAY


def tdb_to_scale_jd(t_tdb, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """TDB seconds past J2000 → two-part Julian date in ``scale`` (TDB, TT, TAI or UTC)."""
    scale = scale.upper()
    if scale == "TDB":
        return _split(t_tdb)
    tt1, tt2 = tdb_to_tt_jd(t_tdb)
    if scale == "TT":
        return tt1, tt2
    tai1, tai2 = erfa.tttai(tt1, tt2)
    if scale == "TAI":
        return tai1, tai2
    if scale == "UTC":
        _load_leap_seconds()
        return _quiet(erfa.taiutc, tai1, tai2)
    raise InputError("time scale", f"{scale!r} is not one of TDB, TT, TAI, UTC")


def scale_jd_to_tdb(jd1, jd2, scale: str) -> np.ndarray:
    """Two-part Julian date in ``scale`` (TDB, TT, TAI or UTC) → TDB seconds past J2000."""
    jd1 = np.asarray(jd1, float)
    jd2 = np.asarray(jd2, float)
    scale = scale.upper()
    if scale == "TDB":
        return _tdb_seconds(jd1, jd2)
    if scale == "UTC":
        return utc_jd_to_tdb(jd1, jd2)
    if scale == "TAI":
        jd1, jd2 = erfa.taitt(jd1, jd2)
    elif scale != "TT":
        raise InputError("time scale", f"{scale!r} is not one of TDB, TT, TAI, UTC")
    return _tdb_seconds(jd1, jd2) + _dtdb_s(jd1, jd2)


def tdb_minus_utc_s(t_tdb) -> np.ndarray:
    """TDB − UTC in seconds at the given TDB epochs (leap seconds + 32.184 s + periodic part)."""
    j1, j2 = _split(t_tdb)
    u1, u2 = tdb_to_scale_jd(t_tdb, "UTC")
    return ((j1 - u1) + (j2 - u2)) * SECONDS_PER_DAY


# ---------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------


def _calendar_from_iso(text: str, field: str) -> tuple[int, int, int, int, int, float]:
    m = _ISO.match(text)
    if not m:
        raise InputError(field, f"{short(text)} is not a time; use {ACCEPTED_TIME_FORMS}")
    tz = (m["tz"] or "Z").upper()
    if tz not in ("Z", "UTC"):
        raise InputError(field, f"{short(text)}: give times in UTC ('Z'), not with offset {tz}")
    y = int(m["y"])
    if m["doy"] is not None:
        doy = int(m["doy"])
        try:
            date = _dt.date(y, 1, 1) + _dt.timedelta(days=doy - 1)
        except (ValueError, OverflowError):
            raise InputError(field, f"{short(text)}: day of year {doy} is not valid") from None
        if date.year != y or doy < 1:
            raise InputError(field, f"{short(text)}: day of year {doy} is not in {y}")
        mo, d = date.month, date.day
    else:
        mo, d = int(m["mo"]), int(m["d"])
    h = int(m["h"] or 0)
    mi = int(m["mi"] or 0)
    s = float(m["s"] or 0.0)
    return y, mo, d, h, mi, s


_JULIAN_EPOCH = re.compile(r"^\s*J(\d{4}(?:\.\d*)?)\s*$", re.IGNORECASE)
#: ``JD 2462502.5 TDB`` / ``MJD 62502.0 UTC``: a Julian date always with its scale.
_JULIAN_DATE = re.compile(
    r"^\s*(?P<kind>M?JD)\s*(?P<int>[+-]?\d+)(?P<frac>\.\d*)?\s+"
    r"(?P<scale>UTC|TAI|TT|TDB)\s*$",
    re.IGNORECASE,
)
#: ISO calendar time followed by a time scale instead of ``Z``.
_ISO_SCALE = re.compile(r"^(?P<iso>.*?\d)\s+(?P<scale>UTC|TAI|TT|TDB)\s*$", re.IGNORECASE)
#: MJD = JD − 2400000.5 (IAU 1973).
MJD_ZERO_JD = 2400000.5


def short(value) -> str:
    """``repr(value)`` cut to :data:`MAX_ECHO_CHARS` characters, for error messages."""
    try:
        text = (
            repr(value)
            if not isinstance(value, str) or len(value) < 4 * MAX_ECHO_CHARS
            else repr(value[: 4 * MAX_ECHO_CHARS])
        )
    except (RecursionError, ValueError):  # self-referencing or huge containers
        text = f"<{type(value).__name__}>"
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_ECHO_CHARS else text[: MAX_ECHO_CHARS - 3] + "..."


def _julian_date_to_tdb(m, field: str) -> float:
    """A matched ``JD``/``MJD`` text → TDB seconds; the integer and fractional parts are kept
    apart so no precision is lost to a large first part."""
    jd1 = float(m["int"])
    jd2 = float("0" + m["frac"]) if m["frac"] else 0.0
    if m["int"].startswith("-"):
        jd2 = -jd2
    if m["kind"].upper() == "MJD":
        jd1 += MJD_ZERO_JD
    if not abs(jd1 - J2000_JD) < 400 * 365.25:
        raise InputError(field, f"{short(m.string.strip())} is more than 400 years from J2000")
    return float(scale_jd_to_tdb(jd1, jd2, m["scale"].upper()))


def _parse_strings(texts, field: str) -> np.ndarray:
    julian = [_JULIAN_EPOCH.match(str(x)) for x in texts]
    if julian and all(julian):
        # Julian epochs (IAU 1976): JD(TT) = 2451545.0 + (J − 2000) × 365.25
        years = np.array([float(m[1]) for m in julian]) - 2000.0
        return scale_jd_to_tdb(np.full(years.shape, J2000_JD), years * 365.25, "TT")
    texts = [str(x) for x in texts]
    special = [_JULIAN_DATE.match(x) or _ISO_SCALE.match(x) for x in texts]
    if any(special):
        out = np.empty(len(texts))
        for k, (text, m) in enumerate(zip(texts, special)):
            if m is None:
                out[k] = _parse_strings([text], field)[0]
            elif "kind" in m.re.groupindex:
                out[k] = _julian_date_to_tdb(m, field)
            else:
                out[k] = _iso_in_scale(m["iso"], m["scale"].upper(), field)
        return out
    cal = np.array([_calendar_from_iso(str(x), field) for x in texts], dtype=float).reshape(-1, 6)
    y, mo, d, h, mi, s = (cal[:, k] for k in range(6))
    if np.any((mo < 1) | (mo > 12) | (d < 1) | (d > 31) | (h > 23) | (mi > 59) | (s >= 61)):
        bad = next(str(x) for x in texts)
        raise InputError(field, f"{short(bad)} has a month, day, hour, minute or second out of range")
    _load_leap_seconds()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", erfa.ErfaWarning)
            jd1, jd2 = erfa.dtf2d("UTC", y.astype(int), mo.astype(int), d.astype(int), h.astype(int), mi.astype(int), s)
    except ValueError as exc:
        raise InputError(field, f"not a valid UTC calendar time ({exc})") from None
    return utc_jd_to_tdb(jd1, jd2)


def _iso_in_scale(text: str, scale: str, field: str) -> float:
    """An ISO calendar time (no zone) in ``scale`` → TDB seconds."""
    if scale == "UTC":
        return float(_parse_strings([text + "Z"], field)[0])
    y, mo, d, h, mi, s = _calendar_from_iso(text, field)
    try:
        jd1, jd2 = erfa.dtf2d("TT", y, mo, d, h, mi, s)  # no leap seconds outside UTC
    except ValueError as exc:
        raise InputError(field, f"{short(text)} is not a valid calendar time ({exc})") from None
    return float(scale_jd_to_tdb(jd1, jd2, scale))


def _datetime_to_tdb(values) -> np.ndarray:
    texts = []
    for v in values:
        if v.tzinfo is not None:
            v = v.astimezone(_dt.UTC).replace(tzinfo=None)
        texts.append(v.isoformat())
    return _parse_strings(texts, "time")


def to_tdb(value, field: str = "time") -> np.ndarray | float:
    """Convert user time input to TDB seconds past J2000.

    Returns a float for scalar input and a float64 array for array input. ``field`` names the
    input in error messages (e.g. ``"start"``).
    """
    try:
        from astropy.time import Time
    except ImportError:  # pragma: no cover
        Time = ()
    if isinstance(value, Time):
        tdb = value.tdb
        out = _tdb_seconds(tdb.jd1, tdb.jd2)
        return float(out) if np.ndim(out) == 0 else out
    if isinstance(value, (str, _dt.datetime, np.datetime64)):
        return float(to_tdb([value], field)[0])
    if isinstance(value, _dt.date):  # a calendar date (YAML ``2030-01-01``): midnight UTC
        return float(_parse_strings([value.isoformat()], field)[0])
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value)
    arr = np.asarray(value)
    if arr.size == 0:
        return np.zeros(0)
    flat = arr.ravel()
    if arr.dtype.kind in "fiu":
        return arr.astype(float)
    if arr.dtype.kind == "M":
        texts = np.datetime_as_string(flat.astype("datetime64[ns]"), unit="ns")
        return _parse_strings(texts, field).reshape(arr.shape)
    if arr.dtype.kind in "US":
        return _parse_strings(flat, field).reshape(arr.shape)
    if arr.dtype.kind == "O":
        if all(isinstance(v, _dt.datetime) for v in flat):
            return _datetime_to_tdb(flat).reshape(arr.shape)
        if all(isinstance(v, str) for v in flat):
            return _parse_strings(flat, field).reshape(arr.shape)
    raise InputError(field, f"cannot read {short(value)} as a time; use {ACCEPTED_TIME_FORMS}")


def mission_time(value, field: str) -> float:
    """A time as written in the mission file (or a catalogue cell) → TDB seconds past J2000.

    Accepts text (:data:`ACCEPTED_TIME_FORMS`; also an ISO time followed by TAI/TT/TDB) and the
    dates and timestamps YAML makes of unquoted ``2030-01-01`` / ``2030-01-01T00:00:00Z``.
    Bare numbers are refused: ``2462502.5`` or ``20290811`` would otherwise be read as TDB
    seconds past J2000.
    """
    if isinstance(value, bool) or isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(field, f"bare number {short(value)} is not a time; use {ACCEPTED_TIME_FORMS}")
    if not isinstance(value, (str, _dt.date)):
        raise InputError(field, f"{short(value)} is not a time; use {ACCEPTED_TIME_FORMS}")
    if isinstance(value, str) and len(value) > 4 * MAX_ECHO_CHARS:
        raise InputError(field, f"{short(value)} is not a time; use {ACCEPTED_TIME_FORMS}")
    return float(to_tdb(value, field))


def _seconds(step, field: str) -> float:
    """A step in seconds from a number, an astropy ``Quantity`` of time or a ``timedelta``."""
    if isinstance(step, _dt.timedelta):
        return step.total_seconds()
    if hasattr(step, "unit") and hasattr(step, "to_value"):
        try:
            return float(step.to_value("s"))
        except Exception:  # astropy UnitConversionError and friends
            raise InputError(field, f"{short(step)} is not a time step (use seconds or a time Quantity)") from None
    try:
        return float(step)
    except (TypeError, ValueError):
        raise InputError(field, f"{short(step)} is not a number of seconds") from None


# ---------------------------------------------------------------------------------------
# output and grids
# ---------------------------------------------------------------------------------------


def utc_calendar(t_tdb, decimals: int = 3) -> tuple[np.ndarray, ...]:
    """TDB seconds → UTC calendar fields rounded to 10^-decimals s: (year, month, day, hour,
    minute) int arrays and seconds as float (ERFA ``d2dtf``; a leap second reads 60.x)."""
    t = np.atleast_1d(np.asarray(t_tdb, float))
    u1, u2 = tdb_to_scale_jd(t, "UTC")
    iy, im, iday, ihmsf = _quiet(erfa.d2dtf, "UTC", decimals, u1, u2)
    h, mi, sec, frac = (ihmsf[k].astype(int) for k in ("h", "m", "s", "f"))
    return iy, im, iday, h, mi, (sec * 10**decimals + frac) / 10**decimals


def utc_calendar_to_tdb(year, month, day, hour, minute, seconds) -> np.ndarray:
    """UTC calendar fields (arrays) → TDB seconds past J2000 (ERFA ``dtf2d``, leap-second aware)."""
    _load_leap_seconds()
    jd1, jd2 = _quiet(
        erfa.dtf2d,
        "UTC",
        *(np.asarray(x).astype(int) for x in (year, month, day, hour, minute)),
        np.asarray(seconds, float),
    )
    return utc_jd_to_tdb(jd1, jd2)


def to_iso_utc(t_tdb, decimals: int = 3) -> np.ndarray:
    """TDB seconds → ISO-8601 UTC strings ``YYYY-MM-DDThh:mm:ss.sssZ`` (leap seconds as :60)."""
    t = np.atleast_1d(np.asarray(t_tdb, float))
    u1, u2 = tdb_to_scale_jd(t, "UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        iy, im, id_, ihmsf = erfa.d2dtf("UTC", decimals, u1, u2)
    frac_fmt = f".{{:0{decimals}d}}" if decimals > 0 else ""
    out = []
    for y, mo, d, (h, mi, s, f) in zip(iy, im, id_, ihmsf):
        text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
        if decimals > 0:
            text += frac_fmt.format(f)
        out.append(text + "Z")
    return np.array(out)


def to_iso_scale(t_tdb, scale: str, decimals: int = 6) -> np.ndarray:
    """TDB seconds → ISO calendar strings in ``scale`` (no 'Z'), e.g. for CCSDS files."""
    t = np.atleast_1d(np.asarray(t_tdb, float))
    j1, j2 = tdb_to_scale_jd(t, scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        iy, im, id_, ihmsf = erfa.d2dtf(scale.upper(), decimals, j1, j2)
    return np.array(
        [
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}" + (f".{f:0{decimals}d}" if decimals else "")
            for y, mo, d, (h, mi, s, f) in zip(iy, im, id_, ihmsf)
        ]
    )


def add_si_seconds(t_tdb, seconds) -> np.ndarray | float:
    """The TDB epoch ``seconds`` SI seconds (TT/TAI, i.e. clock time) after ``t_tdb``.

    Adding to TDB directly would drift from clock time by up to ~1.7 ms (TDB − TT is periodic
    with a yearly term of 1.66 ms), so "30 d" after midnight UTC would not be midnight UTC.
    """
    tt1, tt2 = tdb_to_tt_jd(t_tdb)
    out = scale_jd_to_tdb(tt1, tt2 + np.asarray(seconds, float) / SECONDS_PER_DAY, "TT")
    return float(out) if np.ndim(out) == 0 else out


def grid_size(t0: float, t1: float, step_s: float) -> int:
    """Number of epochs ``time_grid`` makes from ``t0`` to ``t1`` (TDB s) every ``step_s``."""
    return int(np.floor((t1 - t0 + GRID_SNAP_S) / step_s)) + 2


def check_grid_size(t0: float, t1: float, step_s: float, field: str = "step") -> int:
    """``grid_size`` or an InputError naming ``field`` when above :data:`MAX_GRID_SAMPLES`."""
    n = grid_size(t0, t1, step_s)
    if n > MAX_GRID_SAMPLES:
        raise InputError(
            field,
            f"{step_s:g} s over {(t1 - t0) / 86400:.4g} d gives {n:,} epochs, more than "
            f"the limit of {MAX_GRID_SAMPLES:,}; use a larger step",
        )
    return n


def time_grid(start, stop, step_s) -> np.ndarray:
    """Grid from ``start`` to ``stop`` (both included) every ``step_s`` SI seconds of clock
    time (TT, so hourly steps from a whole UTC hour stay on whole UTC hours), as TDB seconds.

    ``start``/``stop``: anything :func:`to_tdb` reads (astropy ``Time`` included); ``step_s``:
    seconds, an astropy time ``Quantity`` (``1 * u.hour``) or a ``timedelta``. The last point
    is ``stop`` itself when the span is not a whole number of steps. At most
    :data:`MAX_GRID_SAMPLES` epochs.
    """
    t0 = to_tdb(start, "start")
    t1 = to_tdb(stop, "stop")
    if np.ndim(t0) or np.ndim(t1):
        raise InputError("start", "start and stop must be single times")
    step = _seconds(step_s, "step")
    if not np.isfinite(step) or step <= 0:
        raise InputError("step", f"{short(step_s)} must be a positive number of seconds")
    if not t1 > t0:
        raise InputError("stop", "must be after start")
    check_grid_size(t0, t1, step, "step")
    n = int(np.floor((t1 - t0 + GRID_SNAP_S) / step))
    grid = np.atleast_1d(add_si_seconds(t0, step * np.arange(n + 1)))
    # a last point within GRID_SNAP_S of ``stop`` becomes ``stop`` exactly
    if abs(t1 - grid[-1]) <= GRID_SNAP_S:
        grid[-1] = t1
    elif grid[-1] > t1:
        grid = grid[:-1]
    if grid[-1] != t1:
        grid = np.append(grid, t1)
    return grid


def parse_duration_s(value, field: str = "duration") -> float:
    """Parse ``'30 d'``, ``'12 h'``, ``'90 min'``, ``'45 s'`` or a number of seconds → seconds."""
    units = {
        "s": 1.0,
        "sec": 1.0,
        "min": 60.0,
        "m": 60.0,
        "h": 3600.0,
        "hr": 3600.0,
        "d": 86400.0,
        "day": 86400.0,
        "days": 86400.0,
    }
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([a-zA-Z]*)\s*", str(value))
        if not m or (m[2] and m[2].lower() not in units):
            raise InputError(field, f"{short(value)} is not a duration like '30 d', '12 h', '90 min' or '45 s'")
        try:
            seconds = float(m[1]) * units[(m[2] or "s").lower()]
        except ValueError:
            raise InputError(field, f"{short(value)} is not a duration like '30 d'") from None
    if not np.isfinite(seconds) or seconds <= 0:
        raise InputError(field, f"{short(value)} must be positive")
    return seconds
