"""Shared geometry per time grid: spacecraft, Sun and Earth about the Moon, computed once.

A :class:`Scene` wraps a :class:`~lunarscope.trajectory.Trajectory`, the ephemeris and the lunar
orientation (both required: ``Scene(trajectory, sources.ephemeris, sources.moon_pck)``). Every
condition evaluated on the same time array asks ``scene.at(t)`` and gets the same
:class:`Snapshot` (a small cache keyed on the array's content), so combining M targets and
several constraints costs one trajectory, ephemeris and frame evaluation per time grid.

Positions are Moon-centred ICRF (km). Geometric by default; with ``light_time=True`` the Sun
and the Earth are placed where they were when the light now arriving at the spacecraft left
them (converged light time, no stellar aberration), like SPICE ``spkpos(..., 'LT', ...)``
(NAIF SPK required reading, "Correcting for light time"); spacecraft aberration is ignored.
The positions come from :func:`lunarscope.states.body_seen_from`, shared with scheduling
and the plan.

:meth:`Scene.bounds` gives the kinematic extrema the conditions' rate bounds are built from
(see ``docs/windows.md``): the largest spacecraft speed, the smallest and largest radius over
the span, and the Sun's and Earth's smallest distance and largest speed relative to the Moon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ephemeris import GM_KM3_S2, Ephemeris
from ..errors import InputError
from ..frames.moon import as_moon_pck
from ..states import body_seen_from

#: Sampling step for the kinematic extrema (s); the Taylor margins below cover what lies between.
BOUND_SAMPLE_STEP_S = 30.0
#: Sampling step for the slowly varying Sun and Earth extrema (s).
BODY_SAMPLE_STEP_S = 3600.0
#: Relative safety on every sampled extremum.
BOUND_SAFETY = 1.05
#: Extra margin taken off the sampled smallest radius (km); a relative one would swallow the
#: altitude of low orbits, on which the site-pass rate bound depends.
RADIUS_MARGIN_KM = 0.1
#: Factor on the central term GM/r^2 that bounds the total acceleration (harmonics and third
#: bodies are below 1 % of it at 100 km altitude; GRGM1200A, DE440).
ACCEL_FACTOR = 1.2
#: Relative safety on the per-cell bounds of :meth:`Scene.cell_bounds` (their margins are
#: explicit; this covers rounding and the interpolant's small departures from the orbit).
CELL_SAFETY = 1.01
#: Node spacing (s) of the Sun and Earth states that the target sweep interpolates (cubic
#: Hermite with DE440 velocities): the error is <= δ⁴/384·max|d⁴p/dt⁴| with
#: |d⁴p/dt⁴| ~ 384,400 km · (2π/27.3 d)⁴ = 1.9e-17 km/s⁴, i.e. ~1e-8 km (10 µm) at 600 s,
#: below DE440's own uncertainty by 5 orders (measured: tests/windows/test_sweep.py).
BODY_NODE_STEP_S = 600.0
#: Snapshots kept per scene (one per recently used time array).
CACHE_SIZE = 6


@dataclass(frozen=True)
class Bounds:
    """Kinematic extrema over a span (km, km/s), each with the stated margins applied."""

    v_max: float  # spacecraft speed relative to the Moon, upper bound
    r_min: float  # spacecraft distance from the Moon's centre, lower bound
    r_max: float  # spacecraft distance from the Moon's centre, upper bound
    sun_d_min: float  # Sun distance from the Moon, lower bound
    sun_v_max: float  # Sun speed relative to the Moon, upper bound
    earth_d_min: float  # Earth distance from the Moon, lower bound
    earth_v_max: float  # Earth speed relative to the Moon, upper bound


class Snapshot:
    """Geometry at one time array ``t`` (N,): Moon-centred ICRF positions (N,3) km.

    ``r`` and ``v`` spacecraft, ``sun`` and ``earth`` positions; ``rotation(frame)`` caches
    (R, dR) of body frames (ITRF, MOON_ME) for the stations and sites.
    """

    __slots__ = ("t", "r", "v", "sun", "earth", "_rot", "_extra", "_moon_pck")

    def __init__(self, t, r, v, sun, earth, moon_pck):
        self.t, self.r, self.v, self.sun, self.earth = t, r, v, sun, earth
        self._rot: dict = {}
        self._extra: dict = {}
        self._moon_pck = moon_pck

    def rotation(self, frame: str):
        """(R, dR/dt) ICRF → ``frame`` at ``t``, computed once per snapshot."""
        if frame not in self._rot:
            from .. import frames

            self._rot[frame] = frames.rotation_and_rate(frame, self.t, self._moon_pck)
        return self._rot[frame]

    def memo(self, key, make):
        """Cache any derived array (e.g. a station's ENU line of sight) on this snapshot."""
        if key not in self._extra:
            self._extra[key] = make()
        return self._extra[key]


class Scene:
    """Spacecraft, Sun and Earth about the Moon along a trajectory, cached per time array."""

    def __init__(self, trajectory, ephemeris: Ephemeris, moon_pck, light_time: bool = False):
        if not isinstance(ephemeris, Ephemeris):
            raise TypeError("Scene needs an Ephemeris (sources.ephemeris), not " + type(ephemeris).__name__)
        self.trajectory = trajectory
        self.eph = ephemeris
        self.moon_pck = as_moon_pck(moon_pck)
        self.light_time = bool(light_time)
        self._cache: list[tuple[np.ndarray, Snapshot]] = []
        self._bounds: dict = {}
        self.evaluations = 0  # number of epochs evaluated (for benchmarks)

    # ------------------------------------------------------------------ snapshots
    def _bodies(self, t, r):
        return (
            body_seen_from(self.eph, "sun", t, r, self.light_time),
            body_seen_from(self.eph, "earth", t, r, self.light_time),
        )

    def at(self, t) -> Snapshot:
        """The snapshot at TDB seconds ``t`` (N,), from the cache when ``t`` was seen recently."""
        t = np.ascontiguousarray(np.atleast_1d(np.asarray(t, dtype=np.float64)))
        for key, snap in self._cache:
            if key is t or (key.shape == t.shape and np.array_equal(key, t)):
                return snap
        r, v, sun, earth = self.positions(t)
        snap = Snapshot(t, r, v, sun, earth, self.moon_pck)
        self._cache.insert(0, (t.copy(), snap))
        del self._cache[CACHE_SIZE:]
        return snap

    def positions(self, t):
        """Spacecraft position and velocity, Sun and Earth positions (each (N,3), Moon-centred
        ICRF, km, km/s) at TDB seconds ``t`` (N,), uncached: what :meth:`at` holds."""
        t = np.ascontiguousarray(np.atleast_1d(np.asarray(t, dtype=np.float64)))
        s = self.trajectory.state(t)
        r, v = s[:, :3], s[:, 3:]
        sun, earth = self._bodies(t, r)
        self.evaluations += t.size
        return r, v, sun, earth

    def body_positions(self, t0: float, t1: float):
        """``f(t, r) -> (sun, earth)``: Moon-centred Sun and Earth positions (N,3) km for
        times in [t0, t1], as :meth:`positions` gives them but, when geometric, interpolated
        from DE440 states every ``BODY_NODE_STEP_S`` (cubic Hermite; error ~1e-8 km, see
        the constant). With light time they are evaluated directly (they depend on ``r``)."""
        if self.light_time:
            return self._bodies
        from .sweep import hermite_bodies

        n = max(2, int(np.ceil((t1 - t0) / BODY_NODE_STEP_S)) + 1)
        step = (t1 - t0) / (n - 1) if t1 > t0 else BODY_NODE_STEP_S
        tn = t0 + step * np.arange(n)
        sun = np.ascontiguousarray(self.eph.state("sun", "moon", tn))
        earth = np.ascontiguousarray(self.eph.state("earth", "moon", tn))

        def bodies(t, r):
            return hermite_bodies(np.ascontiguousarray(t, dtype=np.float64), float(t0), float(step), sun, earth)

        return bodies

    # ------------------------------------------------------------------ bounds
    def bounds(self, t0: float, t1: float) -> Bounds:
        """Kinematic extrema over [t0, t1] with margins (see module docstring and docs).

        Spacecraft: sampled every ``BOUND_SAMPLE_STEP_S`` = h (plus every trajectory node);
        with |dv/dt| <= A = ACCEL_FACTOR·GM/r_min² and |d²r/dt²| <= K = v²/r + A, the true
        extrema between samples differ from the sampled ones by at most A·h/2 (speed) and
        K·h²/8 (radius) (Taylor expansion about the extremum); then the speed and largest
        radius get BOUND_SAFETY, the smallest radius RADIUS_MARGIN_KM. Sun and Earth: sampled every
        hour; their speed and distance vary by < 1e-3 over an hour, covered by BOUND_SAFETY.
        """
        key = (float(t0), float(t1))
        if key in self._bounds:
            return self._bounds[key]
        tr = self.trajectory
        if t0 < tr.t_start - 1e-6 or t1 > tr.t_stop + 1e-6:
            raise InputError("trajectory", "does not cover the span of the search")
        h = BOUND_SAMPLE_STEP_S
        n = max(2, int(np.ceil((t1 - t0) / h)) + 1)
        ts = np.linspace(t0, t1, n)
        h = (t1 - t0) / (n - 1)
        nodes = np.asarray(getattr(tr, "nodes", np.empty(0)), float)
        ts = np.union1d(ts, nodes[(nodes >= t0) & (nodes <= t1)])
        s = tr.state(ts)
        rr = np.linalg.norm(s[:, :3], axis=1)
        vv = np.linalg.norm(s[:, 3:], axis=1)
        gm = GM_KM3_S2[301]
        a_max = ACCEL_FACTOR * gm / rr.min() ** 2
        k_max = vv.max() ** 2 / rr.min() + a_max
        v_max = BOUND_SAFETY * (vv.max() + a_max * h / 2)
        r_min = rr.min() - k_max * h * h / 8 - RADIUS_MARGIN_KM
        r_max = BOUND_SAFETY * (rr.max() + k_max * h * h / 8)
        nb = max(2, int(np.ceil((t1 - t0) / BODY_SAMPLE_STEP_S)) + 1)
        tb = np.linspace(t0, t1, nb)
        sun = self.eph.state("sun", "moon", tb)
        earth = self.eph.state("earth", "moon", tb)
        b = Bounds(
            v_max=float(v_max),
            r_min=float(r_min),
            r_max=float(r_max),
            sun_d_min=float(np.linalg.norm(sun[:, :3], axis=1).min() / BOUND_SAFETY),
            sun_v_max=float(np.linalg.norm(sun[:, 3:], axis=1).max() * BOUND_SAFETY),
            earth_d_min=float(np.linalg.norm(earth[:, :3], axis=1).min() / BOUND_SAFETY),
            earth_v_max=float(np.linalg.norm(earth[:, 3:], axis=1).max() * BOUND_SAFETY),
        )
        self._bounds[key] = b
        return b

    def cell_bounds(self, r_norm, v_norm, step_s: float, t0: float, t1: float):
        """Speed and radius bounds on each cell of a grid of step ``step_s`` over [t0, t1].

        ``r_norm``, ``v_norm`` (N,): |r| (km) and |v| (km/s) at the grid times. Returns
        (v_hi, r_lo, r_hi), each (N-1,), and the span's :class:`Bounds`. With
        |dv/dt| <= A = ACCEL_FACTOR·GM/r_min² (r_min of :meth:`bounds`): on a cell of length δ,
        |v| <= max(|v_k|, |v_k+1|) + A·δ (true across an impulsive manoeuvre too: each side is
        within A·δ of its own end) and, as |d|r|/dt| <= |v|, |r| lies within v_hi·δ/2 of the
        nearer end's radius bound. Then CELL_SAFETY on the speed and the largest radius and
        RADIUS_MARGIN_KM off the smallest.
        """
        b = self.bounds(t0, t1)
        rn = np.asarray(r_norm, float)
        vn = np.asarray(v_norm, float)
        a_max = ACCEL_FACTOR * GM_KM3_S2[301] / b.r_min**2
        v_hi = CELL_SAFETY * (np.maximum(vn[:-1], vn[1:]) + a_max * step_s)
        half = 0.5 * v_hi * step_s
        r_lo = np.minimum(rn[:-1], rn[1:]) - half - RADIUS_MARGIN_KM
        r_hi = CELL_SAFETY * (np.maximum(rn[:-1], rn[1:]) + half)
        return v_hi, r_lo, r_hi, b
