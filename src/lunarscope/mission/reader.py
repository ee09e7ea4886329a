"""Validated access to one mapping of the mission file; every error names its key path.

sec = Section(raw["orbit"], "orbit", allowed={"frame", "elements", "state"})
frame = sec.choice("frame", ["ICRF", "MOON_ME_INERTIAL"], default="MOON_ME_INERTIAL")
"""

from __future__ import annotations

import difflib
import math
import os

from ..errors import InputError
from ..time import MAX_ECHO_CHARS, mission_time, short


class Section:
    """A mapping from the mission file with typed, range-checked getters."""

    def __init__(self, raw, path: str, allowed: set[str] | None = None):
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InputError(path, f"must be a mapping of keys, got {type(raw).__name__} {short(raw)}")
        self.raw = raw
        self.path = path
        if allowed is not None:
            unknown = sorted(set(map(str, raw)) - set(allowed))
            if unknown:
                near = difflib.get_close_matches(unknown[0], sorted(allowed), n=1, cutoff=0.75)
                hint = f"did you mean {near[0]!r}? " if near else ""
                raise InputError(
                    self._key(short(unknown[0]).strip("'")),
                    f"unknown key; {hint}allowed keys: {', '.join(sorted(allowed))}",
                )

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.raw and self.raw[key] is not None

    def get(self, key: str, default=None):
        return self.raw.get(key, default)

    def required(self, key: str):
        if not self.has(key):
            raise InputError(self._key(key), "is required")
        return self.raw[key]

    def section(self, key: str, allowed: set[str] | None = None, required: bool = False) -> Section:
        if required:
            self.required(key)
        return Section(self.raw.get(key), self._key(key), allowed)

    def number(
        self,
        key: str,
        default=None,
        *,
        required: bool = False,
        minimum=None,
        maximum=None,
        exclusive_minimum=None,
        integer: bool = False,
        unit: str = "",
    ) -> float | None:
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return default
        v = self.raw[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(self._key(key), f"{short(v)} must be a number{(' in ' + unit) if unit else ''}")
        v = float(v)
        if not math.isfinite(v):
            raise InputError(self._key(key), f"{v} must be finite")
        if integer and v != int(v):
            raise InputError(self._key(key), f"{v} must be a whole number")
        u = f" {unit}" if unit else ""
        if minimum is not None and v < minimum:
            raise InputError(self._key(key), f"{v:g} must be >= {minimum:g}{u}")
        if maximum is not None and v > maximum:
            raise InputError(self._key(key), f"{v:g} must be <= {maximum:g}{u}")
        if exclusive_minimum is not None and v <= exclusive_minimum:
            raise InputError(self._key(key), f"{v:g} must be > {exclusive_minimum:g}{u}")
        return int(v) if integer else v

    def boolean(self, key: str, default: bool = False) -> bool:
        if not self.has(key):
            return default
        v = self.raw[key]
        if not isinstance(v, bool):
            raise InputError(self._key(key), f"{short(v)} must be true or false")
        return v

    def string(self, key: str, default=None, *, required: bool = False) -> str | None:
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return default
        v = self.raw[key]
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise InputError(self._key(key), f"{short(v)} must be text")
        return str(v)

    def time(self, key: str, default=None, *, required: bool = False) -> float | None:
        """A time (TDB seconds past J2000) written as text or a YAML date; bare numbers refused."""
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return default
        return mission_time(self.raw[key], self._key(key))

    def choice(self, key: str, options, default=None, *, required: bool = False) -> str | None:
        v = self.string(key, default, required=required)
        if v is None:
            return None
        norm = {str(o).upper(): o for o in options}
        if str(v).upper() not in norm:
            raise InputError(self._key(key), f"{short(v)} must be one of {', '.join(map(str, options))}")
        return norm[str(v).upper()]

    def vector(self, key: str, length: int, *, required: bool = False, unit: str = ""):
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return None
        v = self.raw[key]
        ok = (
            isinstance(v, (list, tuple))
            and len(v) == length
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
        )
        if not ok:
            u = f" in {unit}" if unit else ""
            u = f" in {unit}" if unit else ""
            raise InputError(self._key(key), f"{short(v)} must be a list of {length} numbers{u}")
        return [float(x) for x in v]

    def items(self, key: str, *, required: bool = False) -> list:
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return []
        v = self.raw[key]
        if not isinstance(v, list):
            raise InputError(self._key(key), f"must be a list, got {type(v).__name__}")
        return v


# ====================================================================== reading files safely

#: Largest mission file read (bytes); real missions are a few kB, catalogues go in their own file.
MAX_MISSION_BYTES = 4 * 1024 * 1024
#: Most nodes (mappings, lists, scalars) the mission may hold once YAML aliases are expanded;
#: a "billion laughs" alias bomb expands to ~1e9 and is refused before anything walks it.
MAX_MISSION_NODES = 200_000
#: Deepest nesting of mappings/lists accepted (real missions nest 4 deep).
MAX_MISSION_DEPTH = 32
#: Largest gravity field file read (bytes): the full GRGM1200A SHA file (degree 1200) is ~80 MB.
MAX_GRAVITY_FILE_BYTES = 512 * 1024 * 1024


def check_regular_file(path: str, field: str, max_bytes: int, what: str) -> None:
    """InputError naming ``field`` unless ``path`` is a regular file of at most ``max_bytes``
    (folders, devices, FIFOs and sockets refused)."""
    import stat

    p = short(str(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(field, f"{p} does not exist") from None
    except OSError as exc:
        raise InputError(field, f"cannot read {p}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(field, f"{p} is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(field, f"{p} is not a regular file (a device, FIFO or socket), not a {what}")
    if st.st_size > max_bytes:
        raise InputError(field, f"{p} is {st.st_size:,} bytes, more than the limit of {max_bytes:,} for a {what}")


def read_limited(path: str, field: str, max_bytes: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, refusing folders, devices, FIFOs and files
    larger than ``max_bytes`` (checked before and while reading, so /dev/zero cannot fill
    memory). Errors are InputErrors naming ``field``."""
    p = short(str(path))
    check_regular_file(path, field, max_bytes, what)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(field, f"cannot read {p}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(field, f"{p} is more than the limit of {max_bytes:,} bytes for a {what}")
    return data


def decode_text(data: bytes, path: str, field: str, what: str) -> str:
    """UTF-8 text of ``data`` (BOM allowed) or an InputError saying where it is not text."""
    if b"\0" in data[:65536]:
        raise InputError(field, f"{short(str(path))} is a binary file, not a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            field, f"{short(str(path))} is not UTF-8 text (byte {exc.start}, line {line}); save the {what} as UTF-8"
        ) from None


def _check_tree(obj, field: str) -> None:
    """Refuse YAML data that refers to itself, nests deeper than MAX_MISSION_DEPTH or expands
    (aliases counted each time they are used) to more than MAX_MISSION_NODES nodes."""
    sizes: dict = {}  # id -> expanded node count (shared subtrees counted once each use)
    on_path: set = set()

    def size(o, depth: int) -> int:
        if not isinstance(o, (dict, list)):
            return 1
        key = id(o)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise InputError(field, "the YAML refers to itself (an alias inside its own anchor)")
        if depth > MAX_MISSION_DEPTH:
            raise InputError(field, f"the YAML nests deeper than {MAX_MISSION_DEPTH} levels")
        on_path.add(key)
        children = list(o.keys()) + list(o.values()) if isinstance(o, dict) else o
        total = 1
        for c in children:
            total += size(c, depth + 1)
            if total > MAX_MISSION_NODES:
                raise InputError(
                    field,
                    f"the YAML expands to more than {MAX_MISSION_NODES:,} values "
                    "(aliases counted each time they are used): not a mission file",
                )
        on_path.discard(key)
        sizes[key] = total
        return total

    size(obj, 0)


def load_yaml_file(path: str, field: str = "mission", max_bytes: int = MAX_MISSION_BYTES):
    """Parse a YAML file with the limits above; every failure is one InputError line."""
    import yaml

    text = decode_text(read_limited(path, field, max_bytes, "mission file"), path, field, "mission file")
    p = short(str(path))
    try:
        raw = yaml.safe_load(text)
    except RecursionError:
        raise InputError(field, f"{p}: the YAML nests deeper than {MAX_MISSION_DEPTH} levels") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        if len(problem) > 2 * MAX_ECHO_CHARS:
            problem = problem[: 2 * MAX_ECHO_CHARS - 3] + "..."
        raise InputError(field, f"{p} is not valid YAML{where}: {problem}") from None
    _check_tree(raw, field)
    return raw
