"""CCSDS Orbit Ephemeris Message (OEM), KVN format: write and read.

Standard: CCSDS 502.0-B-3, *Orbit Data Messages*, Blue Book, April 2023, Sec. 5
(OEM) and Sec. 7 (KVN syntax). Written files are version 3.0; files of versions 1.0,
2.0 and 3.0 as written by GMAT, Orekit or STK read (several segments, COMMENT lines,
optional acceleration columns, covariance blocks skipped).

Inside lunarscope time is TDB seconds past J2000 and states are km, km/s. Epochs in
files are calendar strings ``YYYY-MM-DDThh:mm:ss[.ffffff]`` or the day-of-year form
``YYYY-DDDThh:mm:ss[.ffffff]`` in the file's TIME_SYSTEM (UTC, TAI, TT or TDB).
Data lines are written with 1e-9 km (1 µm) position and 1e-12 km/s velocity
resolution and epochs to 1 µs.
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import erfa
import numpy as np

from lunarscope.errors import InputError
from lunarscope.io.tables import atomic_write

OEM_VERSION = "3.0"
SUPPORTED_VERSIONS = ("1.0", "2.0", "3.0")
TIME_SYSTEMS = ("UTC", "TAI", "TT", "TDB")
INTERPOLATIONS = ("HERMITE", "LAGRANGE", "LINEAR")
J2000_JD = 2451545.0
TT_MINUS_TAI_S = 32.184  # IAU 1991 / IERS Conventions (2010) eq. 1.4 (via erfa.taitt)
EPOCH_DECIMALS = 6  # written epochs resolve 1 microsecond
POSITION_FORMAT = "{: .9f}"  # km: 1e-9 km = 1 micrometre
VELOCITY_FORMAT = "{: .12f}"  # km/s: 1e-12 km/s

#: Largest OEM file read, bytes: 256 MiB is ~2 million states (a year every 15 s).
MAX_OEM_BYTES = 256 * 1024 * 1024

REQUIRED_METADATA = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM", "START_TIME", "STOP_TIME")

_EPOCH_RE = re.compile(
    r"^(?P<y>\d{4})-(?:(?P<mo>\d{2})-(?P<d>\d{2})|(?P<doy>\d{3}))"
    r"T(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2}(?:\.\d*)?)Z?$"
)


@dataclass
class OemSegment:
    """One OEM segment: metadata block and its ephemeris data.

    metadata: keyword -> value strings as in the file; header: the file header
    keywords (CCSDS_OEM_VERS, CREATION_DATE, ORIGINATOR, ...); comments: COMMENT texts
    of the header (first segment only), metadata and data blocks; times_tdb (N,) TDB
    seconds past J2000; states (N, 6) km, km/s; accelerations (N, 3) km/s^2 or None.
    """

    metadata: dict
    times_tdb: np.ndarray
    states: np.ndarray
    accelerations: np.ndarray | None = None
    header: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)

    def tdb(self, key: str) -> float:
        """A metadata epoch (e.g. "USEABLE_START_TIME") as TDB seconds past J2000."""
        fields = _parse_epochs([self.metadata[key]], "metadata", [0])
        return float(_convert_epochs(self.metadata["TIME_SYSTEM"], fields=fields)[0])


# ------------------------------------------------------------------------ time scales


def _convert_epochs(time_system, fields=None, t_tdb=None):
    """Calendar epochs in ``time_system`` <-> TDB seconds past J2000 (pyerfa).

    fields: (year, month, day, hour, minute, second) arrays -> returns t_tdb (N,).
    t_tdb: (N,) -> returns (year, month, day, hour, minute, second, microsecond) int
    arrays, rounded to the microsecond (UTC leap seconds give second = 60).
    Scale conversions are those of ``lunarscope.time`` (IERS leap seconds, TT = TAI +
    32.184 s, TDB − TT from erfa.dtdb at the geocentre).
    """
    from ..time import scale_jd_to_tdb, tdb_to_scale_jd

    scale = "UTC" if time_system == "UTC" else "TT"  # erfa only treats "UTC" specially
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)  # "dubious year" beyond the table
        if fields is not None:
            y, mo, d, h, mi, s = fields
            jd1, jd2 = erfa.dtf2d(scale, y, mo, d, h, mi, s)
            return scale_jd_to_tdb(jd1, jd2, time_system)
        jd1, jd2 = tdb_to_scale_jd(np.asarray(t_tdb, dtype=np.float64), time_system)
        y, mo, d, hmsf = erfa.d2dtf(scale, EPOCH_DECIMALS, jd1, jd2)
        hmsf = np.asarray(hmsf)
        return (np.asarray(y), np.asarray(mo), np.asarray(d), hmsf["h"], hmsf["m"], hmsf["s"], hmsf["f"])


def _format_epochs(t_tdb, time_system):
    y, mo, d, h, mi, s, f = _convert_epochs(time_system, t_tdb=np.atleast_1d(t_tdb))
    return [
        f"{a:04d}-{b:02d}-{c:02d}T{e:02d}:{g:02d}:{k:02d}.{m:06d}"
        for a, b, c, e, g, k, m in zip(
            y.tolist(), mo.tolist(), d.tolist(), h.tolist(), mi.tolist(), s.tolist(), f.tolist()
        )
    ]


def _parse_epochs(strings, where, line_numbers):
    """Calendar/day-of-year strings -> (y, mo, d, h, mi, s) arrays; errors name the line."""
    n = len(strings)
    y = np.empty(n, dtype=np.int64)
    mo = np.empty(n, dtype=np.int64)
    d = np.empty(n, dtype=np.int64)
    h = np.empty(n, dtype=np.int64)
    mi = np.empty(n, dtype=np.int64)
    s = np.empty(n, dtype=np.float64)
    for k, text in enumerate(strings):
        m = _EPOCH_RE.match(text.strip())
        bad = m is None
        if not bad:
            try:
                year = int(m["y"])
                if m["doy"] is not None:
                    doy = int(m["doy"])
                    date = _dt.date(year, 1, 1) + _dt.timedelta(days=doy - 1)
                    if not 1 <= doy or date.year != year:
                        raise ValueError
                else:
                    date = _dt.date(year, int(m["mo"]), int(m["d"]))
                hh, mm, ss = int(m["h"]), int(m["mi"]), float(m["s"])
                bad = not (hh < 24 and mm < 60 and ss < 61.0)
            except ValueError:
                bad = True
        if bad:
            raise InputError(
                where,
                f"line {line_numbers[k]}: bad epoch {text!r} "
                "(expected YYYY-MM-DDThh:mm:ss[.f] or YYYY-DDDThh:mm:ss[.f])",
            )
        y[k], mo[k], d[k], h[k], mi[k], s[k] = date.year, date.month, date.day, hh, mm, ss
    return y, mo, d, h, mi, s


def parse_epoch(text: str, time_system: str = "UTC") -> float:
    """One OEM epoch string in ``time_system`` -> TDB seconds past J2000."""
    if time_system not in TIME_SYSTEMS:
        raise InputError("time_system", f"{time_system!r} must be one of {TIME_SYSTEMS}")
    return float(_convert_epochs(time_system, fields=_parse_epochs([text], "epoch", [1]))[0])


def format_epoch(t_tdb: float, time_system: str = "UTC") -> str:
    """TDB seconds past J2000 -> OEM epoch string in ``time_system`` (1 µs)."""
    if time_system not in TIME_SYSTEMS:
        raise InputError("time_system", f"{time_system!r} must be one of {TIME_SYSTEMS}")
    return _format_epochs(float(t_tdb), time_system)[0]


# ------------------------------------------------------------------------------ write


def _check_text(name, value):
    value = str(value)
    if not value.strip() or "\n" in value or "\r" in value:
        raise InputError(name, f"{value!r} must be a non-empty single line")
    return value.strip()


def write_oem(
    path,
    times_tdb,
    states_km_kms,
    object_name,
    object_id,
    center_name="MOON",
    ref_frame="ICRF",
    time_system="TDB",
    originator="lunarscope",
    interpolation="HERMITE",
    interpolation_degree=7,
    comments=(),
    creation_date=None,
    useable_start_tdb=None,
    useable_stop_tdb=None,
):
    """Write a one-segment OEM (KVN, CCSDS_OEM_VERS = 3.0) atomically.

    times_tdb (N,) TDB seconds past J2000, strictly increasing; states_km_kms (N, 6).
    Epochs are written in ``time_system`` (UTC, TAI, TT or TDB). creation_date: an
    epoch string (UTC) or datetime; None uses the current UTC time (pass a fixed value
    for byte-reproducible files). useable_start/stop default to the first/last epoch.
    The file is written to a temporary file in the same folder, then os.replace'd.
    """
    t = np.asarray(times_tdb, dtype=np.float64)
    x = np.asarray(states_km_kms, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise InputError("times_tdb", "must be a non-empty 1-D array of finite TDB seconds")
    if np.any(np.diff(t) <= 0.0):
        raise InputError("times_tdb", "must be strictly increasing")
    if x.shape != (t.size, 6) or not np.all(np.isfinite(x)):
        raise InputError("states_km_kms", f"must be finite with shape ({t.size}, 6), got {x.shape}")
    if time_system not in TIME_SYSTEMS:
        raise InputError("time_system", f"{time_system!r} must be one of {TIME_SYSTEMS}")
    interpolation = str(interpolation).upper()
    if interpolation not in INTERPOLATIONS:
        raise InputError("interpolation", f"{interpolation!r} must be one of {INTERPOLATIONS}")
    if int(interpolation_degree) != interpolation_degree or interpolation_degree < 1:
        raise InputError("interpolation_degree", f"{interpolation_degree!r} must be an integer >= 1")
    if creation_date is None:
        creation_date = _dt.datetime.now(_dt.UTC)
    if isinstance(creation_date, _dt.datetime):
        creation = creation_date.strftime("%Y-%m-%dT%H:%M:%S.%f")
    else:
        creation = _check_text("creation_date", creation_date)
        _parse_epochs([creation], "creation_date", [0])
    us = t[0] if useable_start_tdb is None else float(useable_start_tdb)
    ue = t[-1] if useable_stop_tdb is None else float(useable_stop_tdb)
    if not (t[0] <= us <= ue <= t[-1]):
        raise InputError("useable_start_tdb", "useable span must lie inside the data span")
    names = {
        k: _check_text(k, v)
        for k, v in (
            ("object_name", object_name),
            ("object_id", object_id),
            ("center_name", center_name),
            ("ref_frame", ref_frame),
            ("originator", originator),
        )
    }
    comment_lines = []
    for c in comments:
        c = str(c)
        if "\n" in c or "\r" in c:
            raise InputError("comments", f"{c!r}: each comment must be a single line")
        comment_lines.append(f"COMMENT {c}".rstrip())
    epochs = _format_epochs(t, time_system)
    meta_epochs = _format_epochs(np.array([t[0], us, ue, t[-1]]), time_system)
    lines = [
        f"CCSDS_OEM_VERS = {OEM_VERSION}",
        *comment_lines,
        f"CREATION_DATE = {creation}",
        f"ORIGINATOR = {names['originator']}",
        "",
        "META_START",
        f"OBJECT_NAME = {names['object_name']}",
        f"OBJECT_ID = {names['object_id']}",
        f"CENTER_NAME = {names['center_name']}",
        f"REF_FRAME = {names['ref_frame']}",
        f"TIME_SYSTEM = {time_system}",
        f"START_TIME = {meta_epochs[0]}",
        f"USEABLE_START_TIME = {meta_epochs[1]}",
        f"USEABLE_STOP_TIME = {meta_epochs[2]}",
        f"STOP_TIME = {meta_epochs[3]}",
        f"INTERPOLATION = {interpolation}",
        f"INTERPOLATION_DEGREE = {int(interpolation_degree)}",
        "META_STOP",
        "",
    ]
    pf, vf = POSITION_FORMAT, VELOCITY_FORMAT
    for ep, row in zip(epochs, x.tolist()):
        lines.append(
            " ".join(
                [
                    ep,
                    pf.format(row[0]),
                    pf.format(row[1]),
                    pf.format(row[2]),
                    vf.format(row[3]),
                    vf.format(row[4]),
                    vf.format(row[5]),
                ]
            )
        )
    text = "\n".join(lines) + "\n"
    with atomic_write(str(path), encoding="ascii", newline="\n") as fh:
        fh.write(text)


# ------------------------------------------------------------------------------- read


def _key_value(line, where, lineno):
    if "=" not in line:
        raise InputError(where, f"line {lineno}: expected 'KEYWORD = value', got {line!r}")
    key, value = line.split("=", 1)
    key = key.strip().upper()
    if not key or " " in key:
        raise InputError(where, f"line {lineno}: bad keyword in {line!r}")
    return key, value.strip()


def read_oem(path) -> list[OemSegment]:
    """Read an OEM in KVN format -> list of segments (see :class:`OemSegment`).

    Supports versions 1.0-3.0, COMMENT lines, several segments, acceleration columns
    (9 values per data line), covariance blocks (skipped), TIME_SYSTEM UTC/TAI/TT/TDB
    and calendar or day-of-year epochs. Anything else raises InputError naming the
    file and the line.
    """
    import stat

    path = Path(path)
    where = str(path)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError(where, "is a folder, not an OEM file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(where, "is not a regular file (a device, FIFO or socket), not an OEM file")
        if st.st_size > MAX_OEM_BYTES:
            raise InputError(where, f"is {st.st_size:,} bytes, more than the limit of {MAX_OEM_BYTES:,} for an OEM")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_OEM_BYTES + 1)
    except OSError as exc:
        raise InputError(where, f"cannot read OEM file: {exc.strerror or exc}") from None
    if len(raw) > MAX_OEM_BYTES:
        raise InputError(where, f"is more than the limit of {MAX_OEM_BYTES:,} bytes for an OEM")
    if b"\0" in raw[:65536]:
        raise InputError(where, "is a binary file, not a CCSDS OEM (KVN text)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(where, f"not a text file ({exc.reason} at byte {exc.start})") from exc
    lines = text.splitlines()
    numbered = [(k + 1, ln.strip()) for k, ln in enumerate(lines)]
    numbered = [(k, ln) for k, ln in numbered if ln]
    if not numbered:
        raise InputError(where, "empty file: not a CCSDS OEM")
    first_no, first = numbered[0]
    if first.startswith("<"):
        raise InputError(where, "XML OEM is not supported; only the KVN format reads")
    if not first.upper().startswith("CCSDS_OEM_VERS"):
        raise InputError(where, f"line {first_no}: missing 'CCSDS_OEM_VERS = x.y' as the first line: not a CCSDS OEM")
    _, version = _key_value(first, where, first_no)
    if version not in SUPPORTED_VERSIONS:
        raise InputError(where, f"line {first_no}: CCSDS_OEM_VERS {version!r} not one of {SUPPORTED_VERSIONS}")
    header = {"CCSDS_OEM_VERS": version}
    header_comments = []
    segments = []
    state = "header"
    meta = None
    comments = []
    data = []  # (lineno, tokens)
    meta_line = 0

    def finish_segment():
        if meta is None:
            return
        segments.append(_build_segment(where, meta, meta_line, data, header, comments))

    for lineno, line in numbered[1:]:
        upper = line.upper()
        if upper.startswith("COMMENT"):
            (header_comments if state == "header" else comments).append(line[7:].strip())
            continue
        if state == "covariance":
            if upper == "COVARIANCE_STOP":
                state = "data"
            continue
        if upper == "META_START":
            if state == "meta":
                raise InputError(where, f"line {lineno}: META_START inside a metadata block")
            finish_segment()
            state, meta, meta_line = "meta", {}, lineno
            comments = list(header_comments) if not segments else []
            data = []
            continue
        if state == "header":
            key, value = _key_value(line, where, lineno)
            header[key] = value
        elif state == "meta":
            if upper == "META_STOP":
                state = "data"
                continue
            if "=" not in line:
                raise InputError(
                    where, f"line {lineno}: expected 'KEYWORD = value' or META_STOP in the metadata block, got {line!r}"
                )
            key, value = _key_value(line, where, lineno)
            meta[key] = value
        elif state == "data":
            if upper == "COVARIANCE_START":
                state = "covariance"
                continue
            data.append((lineno, line.split()))
    if state == "meta":
        raise InputError(where, f"line {meta_line}: META_START without META_STOP")
    if state == "covariance":
        raise InputError(where, "COVARIANCE_START without COVARIANCE_STOP")
    finish_segment()
    if not segments:
        raise InputError(where, "no META_START block: the file holds no ephemeris segment")
    for key in ("CREATION_DATE", "ORIGINATOR"):
        if key not in header:
            raise InputError(where, f"header keyword {key} missing")
    return segments


def _build_segment(where, meta, meta_line, data, header, comments):
    missing = [k for k in REQUIRED_METADATA if k not in meta]
    if missing:
        raise InputError(where, f"line {meta_line}: metadata block lacks {', '.join(missing)}")
    ts = meta["TIME_SYSTEM"].upper()
    if ts not in TIME_SYSTEMS:
        raise InputError(
            where,
            f"line {meta_line}: TIME_SYSTEM {meta['TIME_SYSTEM']!r} is "
            f"not supported (use one of {', '.join(TIME_SYSTEMS)})",
        )
    meta["TIME_SYSTEM"] = ts
    if not data:
        raise InputError(where, f"line {meta_line}: segment has no ephemeris data lines")
    ncol = {7, 10}
    n = len(data)
    values = np.empty((n, 9))
    has_acc = len(data[0][1]) == 10
    linenos = [ln for ln, _ in data]
    for k, (lineno, tok) in enumerate(data):
        if len(tok) not in ncol or (len(tok) == 10) != has_acc:
            raise InputError(
                where,
                f"line {lineno}: bad data line: expected an epoch and 6 "
                f"values (or 9 with accelerations in every line), got "
                f"{len(tok)} fields",
            )
        try:
            row = [float(v) for v in tok[1:]]
        except ValueError:
            raise InputError(where, f"line {lineno}: bad data line: non-numeric value in {' '.join(tok)!r}") from None
        values[k, : len(row)] = row
    if not np.all(np.isfinite(values[:, : 9 if has_acc else 6])):
        raise InputError(where, f"non-finite value in the data lines of the segment at line {meta_line}")
    fields = _parse_epochs([tok[0] for _, tok in data], where, linenos)
    for key in ("START_TIME", "STOP_TIME", "USEABLE_START_TIME", "USEABLE_STOP_TIME"):
        if key in meta:
            _parse_epochs([meta[key]], where, [meta_line])
    times = _convert_epochs(ts, fields=fields)
    bad = np.flatnonzero(np.diff(times) <= 0.0)
    if bad.size:
        raise InputError(where, f"line {linenos[bad[0] + 1]}: epochs must increase within a segment")
    return OemSegment(
        metadata=dict(meta),
        times_tdb=np.asarray(times, dtype=np.float64),
        states=values[:, :6].copy(),
        accelerations=values[:, 6:9].copy() if has_acc else None,
        header=dict(header),
        comments=list(comments),
    )
