"""The plain-data scheduling problem: targets, stations, requests, engineering, spacecraft.

Everything here is numbers and names, so the schedulers can be tested without any
geometry. Times: float64 TDB seconds past J2000. Durations: s. Data: Mbit, Mbit/s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lunarscope.errors import InputError
from lunarscope.scheduling.requests import as_intervals, intersect
from lunarscope.scheduling.slew import SlewModel

ANTENNAS = ("gimballed", "body_fixed")


@dataclass
class Target:
    """A pointing target: ICRF unit direction and the intervals where it may be observed.

    ``visibility`` is a (K, 2) array or any object with ``.starts``/``.stops`` (e.g.
    ``lunarscope.windows.Windows``): the times when every pointing constraint holds.
    """

    name: str
    direction: np.ndarray
    visibility: object

    def __post_init__(self):
        d = np.asarray(self.direction, float).reshape(-1)
        if d.shape != (3,) or not np.all(np.isfinite(d)) or np.linalg.norm(d) == 0:
            raise InputError(f"targets.{self.name}.direction", "must be a finite non-zero 3-vector")
        self.direction = d / np.linalg.norm(d)
        self.visibility = as_intervals(self.visibility, f"targets.{self.name}.visibility")


@dataclass
class Station:
    """A ground station: contact intervals (K, 2) and downlink rate (Mbit/s, > 0).

    ``earth_direction`` (needed only for a body-fixed antenna) is the ICRF unit vector
    from the spacecraft to the Earth during each contact: a (3,) vector for all contacts,
    a (K, 3) array (one per merged contact), or a callable ``f(t) -> (N, 3)`` evaluated
    at each contact's midpoint. It is held constant over a contact (documented
    simplification: from lunar orbit the Earth direction moves by ~0.5 deg/h).
    """

    name: str
    contacts: object
    rate_mbit_s: float
    earth_direction: object = None

    def __post_init__(self):
        if not (np.isfinite(self.rate_mbit_s) and self.rate_mbit_s > 0):
            raise InputError(f"stations.{self.name}.rate_mbit_s", f"{self.rate_mbit_s} must be > 0")
        self.contacts = as_intervals(self.contacts, f"stations.{self.name}.contacts")

    def earth_dirs(self) -> np.ndarray | None:
        """(K, 3) Earth unit vectors per contact, or None when not given."""
        e = self.earth_direction
        if e is None:
            return None
        k = len(self.contacts)
        if callable(e):
            v = np.asarray(e(self.contacts.mean(axis=1)), float).reshape(k, 3)
        else:
            v = np.asarray(e, float)
            if v.shape == (3,):
                v = np.tile(v, (k, 1))
            if v.shape != (k, 3):
                raise InputError(
                    f"stations.{self.name}.earth_direction",
                    f"shape {v.shape}: need (3,) or ({k}, 3) (one per merged contact)",
                )
        n = np.linalg.norm(v, axis=1)
        if np.any(~np.isfinite(n)) or np.any(n == 0):
            raise InputError(f"stations.{self.name}.earth_direction", "must be finite non-zero vectors")
        return v / n[:, None]


@dataclass(frozen=True)
class EngineeringBlock:
    """Recurring engineering activity that occupies the spacecraft (no observing, no slewing).

    Occurrence k has nominal start ``first_start + k * period_s`` (``first_start`` None =
    problem start) and may start anywhere in ``[nominal - flex_s, nominal + flex_s]``.
    It holds the current attitude (needs no pointing).
    """

    name: str
    period_s: float
    duration_s: float
    flex_s: float = 0.0
    first_start: float | None = None

    def check(self, fld: str):
        if not (self.period_s > 0):
            raise InputError(f"{fld}.period_s", f"{self.period_s} must be > 0")
        if not (self.duration_s >= 0):
            raise InputError(f"{fld}.duration_s", f"{self.duration_s} must be >= 0 (negative duration)")
        if not (self.flex_s >= 0):
            raise InputError(f"{fld}.flex_s", f"{self.flex_s} must be >= 0 (negative duration)")
        if self.duration_s + 2 * self.flex_s > self.period_s:
            raise InputError(f"{fld}.duration_s", "duration + 2 flex must not exceed the period (blocks would collide)")


@dataclass(frozen=True)
class Platform:
    """What the platform offers the schedule: slew model, recorder capacity and initial level
    (Mbit), antenna kind (the dynamics' cannonball model is ``dynamics.forces.Cannonball``)."""

    slew: SlewModel
    recorder_capacity_mbit: float
    recorder_initial_mbit: float = 0.0
    antenna: str = "gimballed"

    def __post_init__(self):
        if not (self.recorder_capacity_mbit > 0):
            raise InputError("spacecraft.recorder_capacity_mbit", f"{self.recorder_capacity_mbit} must be > 0")
        if not (0 <= self.recorder_initial_mbit <= self.recorder_capacity_mbit):
            raise InputError(
                "spacecraft.recorder_initial_mbit", f"{self.recorder_initial_mbit} must be in [0, capacity]"
            )
        if self.antenna not in ANTENNAS:
            raise InputError("spacecraft.antenna", f"{self.antenna!r} must be one of {ANTENNAS}")


@dataclass
class Problem:
    """A complete scheduling problem over ``[start, stop)`` (TDB s past J2000)."""

    start: float
    stop: float
    targets: list
    stations: list
    requests: list
    spacecraft: Platform
    engineering: list = field(default_factory=list)

    def __post_init__(self):
        if not (self.stop > self.start):
            raise InputError("problem.stop", "must be after problem.start")
        self.targets = list(self.targets.values()) if isinstance(self.targets, dict) else list(self.targets)
        self.stations = list(self.stations)
        self.requests = list(self.requests)
        self.engineering = list(self.engineering)
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise InputError("targets", "target names must be unique")
        self.target_index = {n: i for i, n in enumerate(names)}
        cap = self.spacecraft.recorder_capacity_mbit
        for i, r in enumerate(self.requests):
            fld = f"requests[{i}]"
            if r.target not in self.target_index:
                raise InputError(f"{fld}.target", f"unknown target {r.target!r}")
            r.check(fld)
            if r.data_rate_mbit_s * r.min_visit_s > cap:
                raise InputError(
                    "spacecraft.recorder_capacity_mbit",
                    f"{cap} Mbit is smaller than one minimum visit of {fld} "
                    f"({r.data_rate_mbit_s * r.min_visit_s:g} Mbit)",
                )
        rnames = [r.name or f"{r.target}#{i}" for i, r in enumerate(self.requests)]
        if len(set(rnames)) != len(rnames):
            raise InputError("requests", "request names must be unique")
        self.request_names = rnames
        for i, e in enumerate(self.engineering):
            e.check(f"engineering[{i}]")
        if self.spacecraft.antenna == "body_fixed":
            for s in self.stations:
                if s.earth_dirs() is None:
                    raise InputError(f"stations.{s.name}.earth_direction", "required with a body_fixed antenna")

    # ---- derived data -------------------------------------------------------------
    @cached_property
    def target_dirs(self) -> np.ndarray:
        """(T, 3) target unit vectors, in target order."""
        return np.array([t.direction for t in self.targets]).reshape(-1, 3)

    @cached_property
    def usable_windows(self) -> list:
        """Per request: (K, 2) intervals inside visibility, validity and the horizon, each >= min visit."""
        out = []
        hz = np.array([[self.start, self.stop]])
        for r in self.requests:
            w = intersect(self.targets[self.target_index[r.target]].visibility, hz)
            if r.validity is not None:
                w = intersect(w, np.array([r.validity], float))
            out.append(w[(w[:, 1] - w[:, 0]) >= r.min_visit_s])
        return out

    @cached_property
    def exposure_caps(self) -> np.ndarray:
        """Per request: the most exposure (s) any plan can collect (``bounds.exposure_caps``)."""
        from lunarscope.scheduling.bounds import compute_exposure_caps

        return compute_exposure_caps(self)

    def static_reason(self, i: int) -> str | None:
        """Why request ``i`` can never be scheduled (None if it may be)."""
        r = self.requests[i]
        vis = intersect(self.targets[self.target_index[r.target]].visibility, np.array([[self.start, self.stop]]))
        if len(vis) == 0:
            return "no visibility in the planning span"
        if r.validity is not None:
            vis = intersect(vis, np.array([r.validity], float))
            if len(vis) == 0:
                return "no visibility in validity interval"
        longest = float(np.max(vis[:, 1] - vis[:, 0]))
        if longest < r.min_visit_s:
            return (
                f"request longer than every visibility window (longest {longest:.0f} s < "
                f"minimum visit {r.min_visit_s:.0f} s)"
            )
        sc = self.spacecraft
        room = sc.recorder_capacity_mbit - sc.recorder_initial_mbit
        if (not self.stations) and r.data_rate_mbit_s * r.min_visit_s > room:
            return "not enough recorder capacity for one visit (recorder full and no contacts)"
        return None

    @cached_property
    def engineering_nominal(self) -> np.ndarray:
        """(B, 4) engineering occurrences: nominal start, duration, flex, block index; by start."""
        rows = []
        for bi, e in enumerate(self.engineering):
            t0 = self.start if e.first_start is None else e.first_start
            k0 = int(np.ceil((self.start - e.flex_s - t0) / e.period_s))
            t = t0 + k0 * e.period_s
            while t < self.stop:
                if t + e.duration_s + e.flex_s > self.start:
                    rows.append((t, e.duration_s, e.flex_s, bi))
                t += e.period_s
        a = np.array(rows, float).reshape(-1, 4)
        return a[np.argsort(a[:, 0], kind="stable")]

    @cached_property
    def engineering_planned(self) -> np.ndarray:
        """Start (s) of each engineering occurrence (``engineering_nominal`` order) inside its
        flex range and the planning span, where it overlaps the requests' usable windows least
        (ties: nearest the nominal time), never overlapping an occurrence placed before it.
        Candidates: the nominal time, the ends of the range, and starts/ends flush with a gap
        between usable windows."""
        nom = self.engineering_nominal
        out = nom[:, 0].copy()
        allw = [w for w in self.usable_windows if len(w)]
        if not len(nom) or not allw:
            return out
        U = as_intervals(np.vstack(allw), "usable windows")
        placed: list = []
        for j, (t, d, f, _bi) in enumerate(nom):
            lo, hi = max(t - f, self.start), min(t + f, self.stop - d)  # inside the planning span
            if hi < lo:
                continue
            c = np.concatenate([[t, lo, hi], U[:, 1], U[:, 0] - d])
            c = np.unique(c[(c >= lo) & (c <= hi)])
            for a, b in placed:
                c = c[(c >= b) | (c + d <= a)]
            if not len(c):
                continue
            ov = np.array([np.sum(np.clip(np.minimum(U[:, 1], x + d) - np.maximum(U[:, 0], x), 0.0, None)) for x in c])
            k = np.lexsort((np.abs(c - t), np.round(ov, 6)))[0]
            out[j] = c[k]
            placed.append((c[k], c[k] + d))
        return out

    @cached_property
    def downlink_timeline(self) -> np.ndarray:
        """(S, 5) non-overlapping downlink segments: start, stop, rate, station index, contact index.

        One transmitter: where contacts of several stations overlap, the fastest station
        is used (ties: first listed). Clipped to the planning span.
        """
        if not self.stations:
            return np.zeros((0, 5))
        bounds = [self.start, self.stop]
        for s in self.stations:
            bounds.extend(s.contacts.ravel())
        b = np.unique(np.clip(bounds, self.start, self.stop))
        if len(b) < 2:
            return np.zeros((0, 5))
        lo, hi = b[:-1], b[1:]
        mid = 0.5 * (lo + hi)
        best_rate = np.zeros(len(mid))
        best_st = -np.ones(len(mid), int)
        best_c = -np.ones(len(mid), int)
        for si, s in enumerate(self.stations):
            if len(s.contacts) == 0:
                continue  # no contact in the span: this station never downlinks
            k = np.searchsorted(s.contacts[:, 0], mid, side="right") - 1
            inside = (k >= 0) & (mid < s.contacts[np.maximum(k, 0), 1])
            better = inside & (s.rate_mbit_s > best_rate)
            best_rate[better] = s.rate_mbit_s
            best_st[better] = si
            best_c[better] = k[better]
        keep = best_st >= 0
        rows = np.column_stack([lo, hi, best_rate, best_st, best_c])[keep]
        if len(rows) == 0:
            return np.zeros((0, 5))
        # merge consecutive pieces of the same contact
        out = [rows[0].copy()]
        for r in rows[1:]:
            o = out[-1]
            if r[0] == o[1] and r[3] == o[3] and r[4] == o[4]:
                o[1] = r[1]
            else:
                out.append(r.copy())
        return np.array(out)

    @cached_property
    def earth_dirs_by_station(self) -> list:
        """Per station: (K, 3) Earth directions per contact (None when not given)."""
        return [s.earth_dirs() for s in self.stations]

    def earth_dir(self, station_index: int, contact_index: int) -> np.ndarray:
        """Earth unit vector for one contact of one station."""
        return self.earth_dirs_by_station[int(station_index)][int(contact_index)]
