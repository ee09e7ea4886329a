"""Validated access to one mapping of the mission file; every error names its key path.

    sec = Section(raw["orbit"], "orbit", allowed={"frame", "elements", "state"})
    frame = sec.choice("frame", ["ICRF", "MOON_ME_INERTIAL"], default="MOON_ME_INERTIAL")
"""

from __future__ import annotations

import math

from ..errors import InputError


class Section:
    """A mapping from the mission file with typed, range-checked getters."""

    def __init__(self, raw, path: str, allowed: set[str] | None = None):
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InputError(path, f"must be a mapping of keys, got {type(raw).__name__} {raw!r}")
        self.raw = raw
        self.path = path
        if allowed is not None:
            unknown = sorted(set(map(str, raw)) - set(allowed))
            if unknown:
                raise InputError(f"{self._key(unknown[0])}",
                                 f"unknown key; allowed keys: {', '.join(sorted(allowed))}")

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

    def section(self, key: str, allowed: set[str] | None = None, required: bool = False) -> "Section":
        if required:
            self.required(key)
        return Section(self.raw.get(key), self._key(key), allowed)

    def number(self, key: str, default=None, *, required: bool = False, minimum=None, maximum=None,
               exclusive_minimum=None, integer: bool = False, unit: str = "") -> float | None:
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return default
        v = self.raw[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(self._key(key), f"{v!r} must be a number{(' in ' + unit) if unit else ''}")
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
            raise InputError(self._key(key), f"{v!r} must be true or false")
        return v

    def string(self, key: str, default=None, *, required: bool = False) -> str | None:
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return default
        v = self.raw[key]
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise InputError(self._key(key), f"{v!r} must be text")
        return str(v)

    def choice(self, key: str, options, default=None, *, required: bool = False) -> str | None:
        v = self.string(key, default, required=required)
        if v is None:
            return None
        norm = {str(o).upper(): o for o in options}
        if str(v).upper() not in norm:
            raise InputError(self._key(key), f"{v!r} must be one of {', '.join(map(str, options))}")
        return norm[str(v).upper()]

    def vector(self, key: str, length: int, *, required: bool = False, unit: str = ""):
        if not self.has(key):
            if required:
                raise InputError(self._key(key), "is required")
            return None
        v = self.raw[key]
        ok = isinstance(v, (list, tuple)) and len(v) == length and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
        if not ok:
            raise InputError(self._key(key), f"{v!r} must be a list of {length} numbers{(' in ' + unit) if unit else ''}")
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
