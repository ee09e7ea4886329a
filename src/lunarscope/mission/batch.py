"""The mission file's ``batch:`` section: many initial orbits flown with one force model and span.

::

    batch:
      frame: MOON_ME_INERTIAL        # axes of the elements (orbit.frame's choices)
      orbits:                        # either an inline list ...
        - {name: polar-100, a_km: 1837.4, e: 0.001, i_deg: 90}
        - {name: incl-60, a_km: 1887.4, e: 0.01, i_deg: 60, raan_deg: 45}
      # file: orbits.csv             # ... or a CSV file: header name,a_km,e,i_deg[,raan_deg,argp_deg,ta_deg]

Each orbit has the keys of ``orbit.elements`` (``a_km``, ``e``, ``i_deg`` required; ``raan_deg``,
``argp_deg``, ``ta_deg`` default 0) and an optional ``name`` (default ``orbit-0001`` ...), which
names its OEM file. ``lunarscope propagate`` flies them all through ``propagate_many``
(docs/mission-file.md#batch, docs/cli.md). Every error names the key, or the CSV file's line
and column. With ``batch:`` the ``orbit:`` section may be left out; the first batch orbit then
stands for the mission's orbit in the other commands.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, replace

import numpy as np

from ..constants import MOON_RADIUS_KM
from ..errors import InputError
from ..time import short
from .reader import Section, decode_text, read_limited

BATCH_KEYS = {"orbits", "file", "frame"}
ELEMENT_KEYS = ("a_km", "e", "i_deg", "raan_deg", "argp_deg", "ta_deg")
REQUIRED_ELEMENT_KEYS = ("a_km", "e", "i_deg")
ORBIT_KEYS = ("name", *ELEMENT_KEYS)
#: Most orbits in one batch (each writes an OEM file): guards a wrong file.
MAX_BATCH_ORBITS = 100_000
#: Largest batch CSV file read (bytes; ~60 bytes a row).
MAX_BATCH_FILE_BYTES = 16 * 1024 * 1024
#: Largest semi-major axis accepted (km), as ``orbit.elements.a_km`` (core.MAX_ORBIT_RADIUS_KM).
MAX_BATCH_A_KM = 1.0e7
#: Orbit names: file-name safe (they name the OEM files), at most 64 characters.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Name refused for an orbit (the summary file's stem).
RESERVED_NAMES = ("batch_summary",)


@dataclass(frozen=True, eq=False)
class BatchOrbits:
    """The batch's orbits: ``names`` (M,), Moon-centred ICRF ``states0_icrf`` (M, 6) km, km/s at
    the mission start, the element ``frame``, and where they came from (``source``)."""

    names: tuple
    states0_icrf: np.ndarray
    frame: str
    source: str

    def __len__(self) -> int:
        return len(self.names)


def _number(value, field: str, *, text: bool):
    """A float from a YAML number (``text`` False) or CSV text; InputError naming ``field``."""
    if text:
        try:
            v = float(str(value).strip())
        except ValueError:
            raise InputError(field, f"{short(value)} must be a number") from None
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(field, f"{short(value)} must be a number")
        v = float(value)
    if not math.isfinite(v):
        raise InputError(field, f"{v} must be finite")
    return v


def _elements(values: dict, key, text: bool) -> tuple:
    """(a, e, i, raan, argp, ta) in km and degrees from one orbit's ``values``, checked like
    ``orbit.elements``; ``key(k)`` is the field name of key ``k`` in messages."""
    for k in REQUIRED_ELEMENT_KEYS:
        if values.get(k) in (None, ""):
            raise InputError(key(k), "is required")
    v = {k: (0.0 if values.get(k) in (None, "") else _number(values[k], key(k), text=text)) for k in ELEMENT_KEYS}
    if not 0.0 < v["a_km"] <= MAX_BATCH_A_KM:
        raise InputError(key("a_km"), f"{v['a_km']:g} must be > 0 and <= {MAX_BATCH_A_KM:g} km")
    if not 0.0 <= v["e"] < 1.0:
        raise InputError(key("e"), f"{v['e']:g} must be >= 0 and < 1 (closed orbits only)")
    rp = v["a_km"] * (1.0 - v["e"])
    if rp <= MOON_RADIUS_KM:
        raise InputError(
            key("a_km"),
            f"periapsis radius {rp:.1f} km (a_km·(1−e)) is below the lunar surface ({MOON_RADIUS_KM} km radius)",
        )
    if not 0.0 <= v["i_deg"] <= 180.0:
        raise InputError(key("i_deg"), f"{v['i_deg']:g} must be in [0, 180] deg")
    for k in ("raan_deg", "argp_deg", "ta_deg"):
        if not -360.0 <= v[k] <= 360.0:
            raise InputError(key(k), f"{v[k]:g} must be in [-360, 360] deg")
    return tuple(v[k] for k in ELEMENT_KEYS)


def _name(value, default: str, field: str) -> str:
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(field, f"{short(value)} must be text")
    name = str(value).strip()
    if not NAME_PATTERN.match(name):
        raise InputError(
            field,
            f"{short(name)} must be 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit "
            "(it names the orbit's OEM file)",
        )
    if name.lower() in RESERVED_NAMES:
        raise InputError(field, f"{name!r} is reserved (the summary file); choose another name")
    return name


def _inline(items) -> tuple[list, list]:
    if not isinstance(items, list) or not items:
        raise InputError(
            "batch.orbits", f"must be a non-empty list of orbits ({', '.join(ORBIT_KEYS)}), got {short(items)}"
        )
    if len(items) > MAX_BATCH_ORBITS:
        raise InputError("batch.orbits", f"{len(items):,} orbits: at most {MAX_BATCH_ORBITS:,}")
    names, elements = [], []
    for k, raw in enumerate(items):
        path = f"batch.orbits[{k}]"
        Section(raw, path, set(ORBIT_KEYS))  # a mapping with known keys only

        def key(name, path=path):
            return f"{path}.{name}"

        names.append(_name(raw.get("name"), f"orbit-{k + 1:04d}", key("name")))
        elements.append(_elements(raw, key, text=False))
    return names, elements


def _csv(path: str, shown: str) -> tuple[list, list]:
    text = decode_text(
        read_limited(path, "batch.file", MAX_BATCH_FILE_BYTES, "batch CSV file"), path, "batch.file", "batch CSV file"
    )
    reader = csv.reader(io.StringIO(text))
    header = None
    names, elements = [], []
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue  # blank lines and comments
        if header is None:
            header = [c.strip() for c in row]
            unknown = [c for c in header if c not in ORBIT_KEYS]
            if unknown:
                raise InputError(
                    f"batch.file: {shown} line {line}",
                    f"unknown column {unknown[0]!r}; the columns are {', '.join(ORBIT_KEYS)} "
                    f"({', '.join(REQUIRED_ELEMENT_KEYS)} required)",
                )
            missing = [c for c in REQUIRED_ELEMENT_KEYS if c not in header]
            if missing or len(set(header)) != len(header):
                problem = f"column {missing[0]!r} is missing" if missing else "a column appears twice"
                raise InputError(
                    f"batch.file: {shown} line {line}", f"{problem}; header must name {', '.join(ORBIT_KEYS)}"
                )
            continue
        if len(row) != len(header):
            raise InputError(
                f"batch.file: {shown} line {line}", f"has {len(row)} values for the {len(header)} columns of the header"
            )
        if len(names) >= MAX_BATCH_ORBITS:
            raise InputError("batch.file", f"{shown} has more than {MAX_BATCH_ORBITS:,} orbits")
        values = dict(zip(header, row))

        def key(name, line=line):
            return f"batch.file: {shown} line {line}, column {name}"

        names.append(_name(values.get("name"), f"orbit-{len(names) + 1:04d}", key("name")))
        elements.append(_elements(values, key, text=True))
    if not names:
        raise InputError("batch.file", f"{shown} has no orbits (a header line and one line per orbit)")
    return names, elements


def read_batch(root: Section, base: str, t0: float, gm: float, sources) -> BatchOrbits | None:
    """The ``batch:`` section of mission ``root`` (None without one): every orbit checked and turned
    into a Moon-centred ICRF state at ``t0`` (TDB s) with the field's ``gm`` (km³/s²)."""
    from .. import frames
    from ..frames.rotations import apply_transposed
    from ..orbits.elements import keplerian_to_cartesian
    from .core import ORBIT_FRAMES, _resolve

    if not root.has("batch"):
        return None
    sec = root.section("batch", BATCH_KEYS)
    if sec.has("orbits") == sec.has("file"):
        raise InputError("batch", "give exactly one of orbits (an inline list) or file (a CSV file)")
    frame = sec.choice("frame", ORBIT_FRAMES, default="MOON_ME_INERTIAL")
    if sec.has("orbits"):
        names, elements = _inline(sec.raw["orbits"])
        source = "batch.orbits"
    else:
        path = _resolve(sec.string("file"), base)
        if not os.path.isfile(path):
            raise InputError("batch.file", f"{short(path)} does not exist or is not a file")
        names, elements = _csv(path, os.path.basename(path))
        source = path
    seen = {}
    for k, n in enumerate(names):
        if n.lower() in seen:
            raise InputError(
                "batch", f"orbit name {n!r} is used twice (orbits {seen[n.lower()] + 1} and {k + 1}); names must differ"
            )
        seen[n.lower()] = k
    el = np.array(elements, dtype=float)
    states = np.array(
        [
            np.asarray(keplerian_to_cartesian(a, e, *np.radians([i, raan, argp, ta]), gm), float).reshape(6)
            for a, e, i, raan, argp, ta in el
        ]
    )
    if frame == "EARTH_MOON_INERTIAL":
        from ..orbits.planes import plane_rotation

        rot = plane_rotation("EARTH_MOON", [t0], ephemeris=sources.ephemeris)
    elif frame != "ICRF":
        rot = frames.rotation(frame.replace("_INERTIAL", ""), [t0], sources.moon_pck)
    else:
        rot = None
    if rot is not None:
        rots = np.repeat(rot, len(states), axis=0)
        states = np.concatenate([apply_transposed(rots, states[:, :3]), apply_transposed(rots, states[:, 3:])], axis=1)
    return BatchOrbits(tuple(names), np.ascontiguousarray(states), frame, source)


def attach(mission, batch: BatchOrbits | None):
    """``mission`` with its ``batch``; refuses what a batch cannot fly (maneuvers, station keeping)."""
    if batch is None:
        return mission
    if mission.maneuvers:
        raise InputError(
            "batch",
            "maneuvers (maneuvers: or station_keeping:) cannot be flown by a batch: every orbit would "
            "need its own; remove them or propagate those orbits one by one",
        )
    return replace(mission, batch=batch)
