"""Readers and a writer for spherical-harmonic gravity field files.

Formats (``load_field`` detects which one a file is):

* PDS SHADR ``.tab`` (GRGM/LP families; PDS Geosciences Node "SHADR" description):
  first line, comma-separated: reference radius (km), GM (km^3/s^2), sigma GM, degree,
  order, normalization state (1 = fully normalized, 0 = unnormalized), reference
  longitude, reference latitude; then rows ``n, m, C, S, sigmaC, sigmaS``; C00 absent (= 1).
  lunarscope's shipped files add ``# key: value`` comment lines before that header.
* PGDA "SHA" ASCII (GRGM1200B/L on pgda.gsfc.nasa.gov; what Orekit's ``SHAFormatReader``
  reads): first line, whitespace-separated ``GM radius degree order`` in SI units
  (m^3/s^2, m), then ``n m C S sigmaC sigmaS`` rows, fully normalized. The units are
  detected by magnitude: a radius above ``METRE_RADIUS_THRESHOLD`` is taken as metres.
* ICGEM ``.gfc`` (ICGEM format description, Barthelmes & Foerste 2011): header keys
  ``earth_gravity_constant`` (m^3/s^2, used for any body), ``radius`` (m), ``norm``,
  ``max_degree``, ``tide_system``, ``modelname``; after ``end_of_head``, lines
  ``gfc n m C S sigmaC sigmaS``. ``gfct`` lines give the value at their reference epoch and
  are used as static values; ``trnd``/``acos``/``asin`` lines are ignored with a warning.

Unit conversions km <-> m go through ``decimal`` so that ``write_sha`` -> ``load_field``
returns bit-identical GM and radius.
"""

from __future__ import annotations

import math
import re
import warnings
from decimal import Decimal
from importlib import resources
from pathlib import Path

import numpy as np

from lunarscope.errors import InputError
from lunarscope.gravity.field import GravityField

FILE_FIELD = "force_model.gravity.file"
METRE_RADIUS_THRESHOLD = 1.0e5
"""Header radii above this (1e5, i.e. 100 000 km or 100 km in metres) are read as metres."""

_ORDER_1E9 = Decimal(10) ** 9
_ORDER_1E3 = Decimal(10) ** 3
_SMALLEST_WRITTEN = 1e-99
"""write_sha writes |values| below this as 0: Orekit's reader accepts 2-digit exponents only."""


def _err(path, problem: str) -> InputError:
    return InputError(FILE_FIELD, f"{path}: {problem}")


def _read_lines(path) -> list[str]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        raise _err(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _err(path, f"unreadable ({exc.__class__.__name__}: {exc})") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise _err(path, "file is empty")
    return lines


def _num(tok: str) -> float:
    return float(tok.strip().replace("D", "E").replace("d", "e"))


def _dec(tok: str) -> Decimal:
    return Decimal(tok.strip().replace("D", "E").replace("d", "e"))


def _unnormalized_to_normalized(C: np.ndarray, S: np.ndarray) -> None:
    """In place: C_bar = C / N_nm with N_nm = sqrt((2-d_m0)(2n+1)(n-m)!/(n+m)!)."""
    nmax = C.shape[0] - 1
    for n in range(nmax + 1):
        for m in range(n + 1):
            logn = 0.5 * (math.log(2 * n + 1) + math.lgamma(n - m + 1) - math.lgamma(n + m + 1))
            if m > 0:
                logn += 0.5 * math.log(2.0)
            f = math.exp(-logn)
            C[n, m] *= f
            S[n, m] *= f


def _fill(path, rows, nmax, mmax):
    C = np.zeros((nmax + 1, nmax + 1))
    S = np.zeros((nmax + 1, nmax + 1))
    C[0, 0] = 1.0
    for lineno, n, m, c, s in rows:
        if not (0 <= m <= n <= nmax) or m > mmax:
            raise _err(
                path, f"line {lineno}: degree/order ({n}, {m}) outside header range (degree {nmax}, order {mmax})"
            )
        C[n, m] = c
        S[n, m] = s
    return C, S


def _check_complete(path, rows, nmax, mmax):
    seen = {(n, m) for _, n, m, _, _ in rows}
    last = max((n for n, _ in seen), default=-1)
    if last < nmax:
        raise _err(path, f"truncated: header says degree {nmax} but the last row has degree {last}")
    missing = [(n, m) for n in range(2, nmax + 1) for m in range(min(n, mmax) + 1) if (n, m) not in seen]
    if missing:
        raise _err(
            path, f"truncated or incomplete: {len(missing)} coefficient rows missing, first (n, m) = {missing[0]}"
        )


def _parse_rows(path, lines, start, sep):
    rows = []
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if not line or line.startswith("#"):
            continue
        toks = [t for t in (line.split(",") if sep == "," else line.split())]
        if len(toks) < 4:
            raise _err(path, f"line {i + 1}: expected 'n m C S ...', got {line[:80]!r}")
        try:
            n = int(toks[0])
            m = int(toks[1])
            c = _num(toks[2])
            s = _num(toks[3])
        except ValueError:
            raise _err(path, f"line {i + 1}: cannot parse {line[:80]!r}") from None
        rows.append((i + 1, n, m, c, s))
    return rows


def _comment_meta(lines):
    meta = {}
    first = 0
    for i, line in enumerate(lines):
        st = line.strip()
        if not st:
            continue
        if st.startswith("#"):
            body = st.lstrip("#").strip()
            if ":" in body:
                k, v = body.split(":", 1)
                k = k.strip().lower()
                meta[k] = (meta[k] + " " + v.strip()) if k in meta else v.strip()
            continue
        first = i
        break
    else:
        first = len(lines)
    return meta, first


def read_shadr(path, frame: str | None = None) -> GravityField:
    """Read a PDS SHADR ``.tab`` file (header in km, km^3/s^2); see module docstring."""
    lines = _read_lines(path)
    meta, first = _comment_meta(lines)
    if first >= len(lines):
        raise _err(path, "no SHADR header line found")
    head = [t.strip() for t in lines[first].split(",")]
    if len(head) < 6:
        raise _err(path, f"SHADR header needs >= 6 comma-separated values, got {lines[first][:80]!r}")
    try:
        radius = _num(head[0])
        gm = _num(head[1])
        nmax = int(head[3])
        mmax = int(head[4])
        norm = int(head[5])
    except ValueError:
        raise _err(path, f"cannot parse SHADR header {lines[first][:80]!r}") from None
    if norm not in (0, 1):
        raise _err(path, f"normalization state {norm} not supported (0 = unnormalized, 1 = normalized)")
    rows = _parse_rows(path, lines, first + 1, ",")
    _check_complete(path, rows, nmax, mmax)
    C, S = _fill(path, rows, nmax, mmax)
    if norm == 0:
        _unnormalized_to_normalized(C, S)
    return _field(path, gm, radius, nmax, mmax, C, S, frame, meta, "PDS SHADR file")


def _field(path, gm, radius, nmax, mmax, C, S, frame, meta, kind) -> GravityField:
    """A GravityField from parsed numbers; name, source and frame from ``# key: value`` header
    comments when the file has them."""
    return GravityField(
        gm_km3_s2=gm,
        radius_km=radius,
        degree_max=nmax,
        order_max=mmax,
        C=C,
        S=S,
        frame=frame or meta.get("frame", "MOON_PA"),
        name=meta.get("name", Path(path).stem),
        source=meta.get("source", f"{kind} {Path(path).name}"),
        meta=meta,
    )


def read_sha(path, frame: str | None = None) -> GravityField:
    """Read the PGDA/Orekit "SHA" file: ``GM radius degree order`` header (SI or km units)."""
    lines = _read_lines(path)
    meta, first = _comment_meta(lines)
    if first >= len(lines):
        raise _err(path, "no SHA header line found")
    head = lines[first].replace(",", " ").split()
    if len(head) < 4:
        raise _err(path, f"SHA header needs 'GM radius degree order', got {lines[first][:80]!r}")
    try:
        gm_d = _dec(head[0])
        r_d = _dec(head[1])
        nmax = int(head[2])
        mmax = int(head[3])
    except (ValueError, ArithmeticError):
        raise _err(path, f"cannot parse SHA header {lines[first][:80]!r}") from None
    if float(r_d) > METRE_RADIUS_THRESHOLD:
        gm = float(gm_d / _ORDER_1E9)
        radius = float(r_d / _ORDER_1E3)
    else:
        gm = float(gm_d)
        radius = float(r_d)
    rows = _parse_rows(path, lines, first + 1, " ")
    _check_complete(path, rows, nmax, mmax)
    C, S = _fill(path, rows, nmax, mmax)
    return _field(path, gm, radius, nmax, mmax, C, S, frame, meta, "SHA file")


def read_icgem(path, frame: str | None = None) -> GravityField:
    """Read an ICGEM ``.gfc`` file (header GM in m^3/s^2 and radius in m)."""
    lines = _read_lines(path)
    head = {}
    end = None
    for i, line in enumerate(lines):
        toks = line.split()
        if not toks:
            continue
        if toks[0] == "end_of_head":
            end = i
            break
        if len(toks) >= 2:
            head[toks[0].lower()] = toks[1]
    if end is None:
        raise _err(path, "ICGEM header has no 'end_of_head' line")
    for key in ("earth_gravity_constant", "radius", "max_degree"):
        if key not in head:
            raise _err(path, f"ICGEM header lacks '{key}'")
    try:
        gm = float(_dec(head["earth_gravity_constant"]) / _ORDER_1E9)
        radius = float(_dec(head["radius"]) / _ORDER_1E3)
        nmax = int(head["max_degree"])
    except (ValueError, ArithmeticError):
        raise _err(path, "cannot parse ICGEM header values") from None
    norm = head.get("norm", "fully_normalized").lower()
    if norm not in ("fully_normalized", "unnormalized"):
        raise _err(path, f"norm {norm!r} not supported (fully_normalized or unnormalized)")
    rows = []
    ignored = 0
    for i in range(end + 1, len(lines)):
        toks = lines[i].split()
        if not toks:
            continue
        key = toks[0].lower()
        if key in ("gfc", "gfct"):
            if len(toks) < 5:
                raise _err(path, f"line {i + 1}: expected '{key} n m C S ...'")
            try:
                rows.append((i + 1, int(toks[1]), int(toks[2]), _num(toks[3]), _num(toks[4])))
            except ValueError:
                raise _err(path, f"line {i + 1}: cannot parse {lines[i][:80]!r}") from None
        elif key in ("trnd", "dot", "acos", "asin"):
            ignored += 1
        else:
            raise _err(path, f"line {i + 1}: unknown record {toks[0]!r}")
    if ignored:
        warnings.warn(
            f"{path}: {ignored} time-variable ICGEM records (trnd/acos/asin) ignored; "
            "gfct values used as static coefficients",
            stacklevel=2,
        )
    mmax = max((m for _, _, m, _, _ in rows), default=0)
    _check_complete(path, rows, nmax, mmax)
    C, S = _fill(path, rows, nmax, mmax)
    if norm == "unnormalized":
        _unnormalized_to_normalized(C, S)
    return GravityField(
        gm_km3_s2=gm,
        radius_km=radius,
        degree_max=nmax,
        order_max=mmax,
        C=C,
        S=S,
        frame=frame or "MOON_PA",
        name=head.get("modelname", Path(path).stem),
        source=f"ICGEM file {Path(path).name}; tide_system {head.get('tide_system', 'unknown')}",
        meta=head,
    )


_REAL = r"[-+]?\d*\.?\d+(?:[eEdD][-+]?\d+)?"
_SHA_HEAD = re.compile(rf"^\s*{_REAL}\s+{_REAL}\s+\d+\s+\d+\s*$")


def detect_format(path) -> str:
    """Return 'icgem', 'shadr' or 'sha' for ``path``; InputError if none fits."""
    lines = _read_lines(path)
    for line in lines[:400]:
        toks = line.split()
        if toks and toks[0] in ("end_of_head", "earth_gravity_constant", "product_type"):
            return "icgem"
    _, first = _comment_meta(lines)
    if first < len(lines):
        line = lines[first]
        if line.count(",") >= 5:
            return "shadr"
        if _SHA_HEAD.match(line):
            return "sha"
    raise _err(path, "unknown gravity field format (expected PDS SHADR .tab, PGDA/Orekit SHA, or ICGEM .gfc)")


def load_field(path, frame: str | None = None) -> GravityField:
    """Load a gravity field file of any supported format (detected from its content).

    ``frame`` overrides the body-fixed frame name (default: the file's ``# frame:`` comment,
    else "MOON_PA").
    """
    fmt = detect_format(path)
    return {"icgem": read_icgem, "shadr": read_shadr, "sha": read_sha}[fmt](path, frame=frame)


BUILTIN_FIELDS = {"GRGM1200A": "GRGM1200A_70.tab"}
"""Shipped fields: name -> file in lunarscope/data/gravity."""


def builtin_field(name: str = "GRGM1200A") -> GravityField:
    """Load a field shipped with lunarscope (see ``lunarscope/data/gravity/README.md``)."""
    key = str(name).upper()
    if key not in BUILTIN_FIELDS:
        raise InputError(
            "force_model.gravity.model",
            f"unknown built-in field {name!r}; known: {', '.join(sorted(BUILTIN_FIELDS))}",
        )
    ref = resources.files("lunarscope") / "data" / "gravity" / BUILTIN_FIELDS[key]
    with resources.as_file(ref) as path:
        return load_field(path)


def _fmt(x: float) -> str:
    if x != 0.0 and abs(x) < _SMALLEST_WRITTEN:
        x = 0.0
    return f"{x:.16E}"


def _fmt_dec(d: Decimal) -> str:
    """Decimal in d.dddddddddddddddd E+XX form (at least 2 exponent digits, as Orekit needs)."""
    mant, exp = f"{d:.16E}".split("E")
    e = int(exp)
    return f"{mant}E{'-' if e < 0 else '+'}{abs(e):02d}"


def write_sha(field: GravityField, path) -> Path:
    """Write ``field`` as a PGDA/Orekit SHA file (GM m^3/s^2, radius m, fully normalized).

    Layout accepted by Orekit's ``SHAFormatReader`` (header ``GM radius degree order``,
    rows ``n m C S sigmaC sigmaS`` from degree 1, sigmas written as 0). Values are written
    with 17 significant digits so reading back is exact.
    """
    if field.C[0, 0] != 1.0:
        raise InputError("force_model.gravity", f"write_sha needs C00 = 1, got {field.C[0, 0]!r}")
    gm_m = Decimal(repr(field.gm_km3_s2)) * _ORDER_1E9
    r_m = Decimal(repr(field.radius_km)) * _ORDER_1E3
    out = [f"{_fmt_dec(gm_m)} {_fmt_dec(r_m)} {field.degree_max:d} {field.order_max:d}"]
    zero = _fmt(0.0)
    for n in range(1, field.degree_max + 1):
        for m in range(min(n, field.order_max) + 1):
            out.append(f"{n:5d} {m:5d} {_fmt(field.C[n, m])} {_fmt(field.S[n, m])} {zero} {zero}")
    p = Path(path)
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p


def write_shadr(field: GravityField, path, header_comments: dict | None = None) -> Path:
    """Write ``field`` as a SHADR-like ``.tab`` (km units) with optional ``# key: value`` lines."""
    out = []
    for k, v in (header_comments or {}).items():
        for part in str(v).splitlines() or [""]:
            out.append(f"# {k}: {part}")
    out.append(
        f"{field.radius_km:.16E}, {field.gm_km3_s2:.16E}, {0.0:.16E}, "
        f"{field.degree_max:5d}, {field.order_max:5d}, 1, {0.0:.16E}, {0.0:.16E}"
    )
    zero = f"{0.0:.16E}"
    for n in range(1, field.degree_max + 1):
        for m in range(min(n, field.order_max) + 1):
            out.append(f"{n:5d},{m:5d},{field.C[n, m]:.16E},{field.S[n, m]:.16E},{zero},{zero}")
    p = Path(path)
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p
