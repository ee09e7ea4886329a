"""The typed plan: what ``summary.json``, ``report.html`` and ``mission.czml`` are made of.

:class:`Plan` is a tree of small frozen dataclasses built once by ``lunarscope.mission.plan``
(the only module that reads a ``Mission``) and read by attribute everywhere else, so a renamed
or missing field fails where it is read (``AttributeError``) or built (``TypeError``) instead of
showing "—" in a page. Every field is checked against its annotation when a node is built:
numpy scalars become Python numbers (same value), lists become tuples, arrays become read-only
float64 arrays of the stated shape. :meth:`Plan.to_dict` gives the plain JSON-ready tree (the
same keys as before the plan was typed) and :meth:`Plan.from_dict` builds the plan back from it,
rejecting unknown and missing keys.

Times are TDB seconds past J2000 (``*_tdb``) with their ISO-8601 UTC text (``*_utc``, 1 ms)
beside them for people; code reads the TDB values, never parses the text back.

This module sits below ``io`` and ``report`` (they import it, it imports neither) and above
``mission``; it needs only numpy.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

__all__ = [
    "Plan",
    "PlanActivity",
    "PlanContact",
    "PlanCoverage",
    "PlanSkyPaths",
    "PlanMetrics",
    "PlanMission",
    "PlanOrbit",
    "PlanOrbitHistory",
    "PlanPropagation",
    "PlanRecorder",
    "PlanRequestResult",
    "PlanSchedule",
    "PlanSite",
    "PlanStation",
    "PlanTarget",
    "PlanTargetResult",
    "PlanTrajectory",
    "PlanUnscheduled",
    "PlanWindow",
]


def _array(shape: tuple, dtype=float):
    """A field holding a read-only array of ``shape`` (``None`` = any length)."""
    return field(metadata={"shape": shape, "dtype": dtype})


def _omit_if_none(default=None):
    """A field left out of :meth:`Plan.to_dict` while it is ``None``."""
    return field(default=default, metadata={"omit_if_none": True})


# ---------------------------------------------------------------------------------------------
# checking at construction
# ---------------------------------------------------------------------------------------------


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _fail(where: str, value, expected: str):
    raise TypeError(f"{where}: expected {expected}, got {type(value).__name__} {value!r:.60}")


_SCALARS = (str, int, float, bool)


def _check(where: str, value, tp, meta):
    """``value`` checked against the annotation ``tp`` (and array metadata); returns it normalised."""
    if type(value) is tp and tp in _SCALARS:  # the common case, fast
        return value
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        arms = typing.get_args(tp)
        if value is None and type(None) in arms:
            return None
        arms = [a for a in arms if a is not type(None)]
        if len(arms) == 1:
            return _check(where, value, arms[0], meta)
        for arm in arms:
            try:
                return _check(where, value, arm, meta)
            except TypeError:
                pass
        _fail(where, value, " or ".join(getattr(a, "__name__", str(a)) for a in arms))
    if tp is bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        _fail(where, value, "bool")
    if tp is int:
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            return int(value)
        _fail(where, value, "int")
    if tp is float:  # an int is a float here (PEP 484 numeric tower) and keeps its type in the JSON
        if isinstance(value, np.integer) and not isinstance(value, np.bool_):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        _fail(where, value, "float")
    if tp is str:
        if isinstance(value, str):
            return str(value)
        _fail(where, value, "str")
    if tp is np.ndarray:
        arr = np.array(value, dtype=meta["dtype"], copy=True)
        shape = meta["shape"]
        if arr.size == 0 and arr.ndim == 1 and len(shape) > 1:
            arr = arr.reshape((0,) + tuple(shape[1:]))
        if arr.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, arr.shape)):
            raise TypeError(f"{where}: expected an array of shape {shape} (None = any), got {arr.shape}")
        arr.setflags(write=False)
        return arr
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            _fail(where, value, "a list or tuple")
        (item,) = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return tuple(_check(f"{where}[{i}]", v, item, meta) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, Mapping):
            _fail(where, value, "a mapping")
        kt, vt = typing.get_args(tp)
        return {_check(f"{where} key", k, kt, meta): _check(f"{where}[{k!r}]", v, vt, meta) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        _fail(where, value, tp.__name__)
    raise TypeError(f"{where}: annotation {tp!r} is not supported by lunarscope.products")  # pragma: no cover


class _Node:
    """Base of the plan nodes: checks and normalises every field when the node is built."""

    def __post_init__(self):
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            object.__setattr__(
                self, f.name, _check(f"{type(self).__name__}.{f.name}", value, hints[f.name], f.metadata)
            )

    def to_dict(self) -> dict:
        """The plain tree (dicts, lists, str, numbers, None) of this node, field order kept."""
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping):
        """Build the node (and its children) from :meth:`to_dict` output; unknown or missing keys
        raise ``TypeError`` naming the key."""
        return _build(cls, data, cls.__name__)


def _plain(obj):
    if isinstance(obj, _Node):
        out = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if v is None and f.metadata.get("omit_if_none"):
                continue
            out[f.name] = _plain(v)
        return out
    if isinstance(obj, tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


def _build(tp, data, where: str):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(arms[0], data, where) if len(arms) == 1 else data
    if origin is tuple and isinstance(data, (list, tuple)):
        (item,) = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return tuple(_build(item, v, f"{where}[{i}]") for i, v in enumerate(data))
    if isinstance(tp, type) and issubclass(tp, _Node):
        if not isinstance(data, Mapping):
            _fail(where, data, f"a mapping for {tp.__name__}")
        hints = _hints(tp)
        names = {f.name: f for f in dataclasses.fields(tp)}
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise TypeError(f"{where}: unknown field {unknown[0]!r} for {tp.__name__} (fields: {', '.join(names)})")
        kwargs = {}
        for name, f in names.items():
            if name in data:
                kwargs[name] = _build(hints[name], data[name], f"{where}.{name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise TypeError(f"{where}: missing field {name!r} for {tp.__name__}")
        return tp(**kwargs)
    return data


# ---------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanOrbit(_Node):
    """Initial orbit: the mission's elements as written, or osculating elements (km, deg) of a
    Cartesian initial state in ICRF axes (then ``elements_in_icrf_axes`` is True)."""

    frame: str
    a_km: float
    e: float
    i_deg: float
    raan_deg: float
    argp_deg: float
    ta_deg: float
    elements_in_icrf_axes: bool | None = _omit_if_none()


@dataclass(frozen=True)
class PlanPropagation(_Node):
    """The propagation stage: span, altitude range (km above 1737.4 km), integrator steps, impact."""

    start_utc: str
    stop_utc: str
    altitude_min_km: float
    altitude_min_utc: str
    altitude_max_km: float
    radius_min_km: float
    steps: int
    impact_utc: str | None


@dataclass(frozen=True)
class PlanMission(_Node):
    """What was planned: name, span (TDB s and UTC text), orbit, force model, spacecraft.

    ``spacecraft`` is the mission file's ``spacecraft`` section as written (numbers keep their
    type, so ``mass_kg: 450`` stays 450).
    """

    name: str
    description: str
    start_utc: str
    stop_utc: str
    start_tdb: float
    stop_tdb: float
    duration_days: float
    orbit: PlanOrbit
    force_model: str
    spacecraft: dict[str, Any]
    propagation: PlanPropagation


@dataclass(frozen=True, eq=False)
class PlanTrajectory(_Node):
    """Trajectory samples for the report: Moon-centred ICRF positions (km), unit vectors to the
    Earth, altitude above the 1737.4 km sphere (km)."""

    t_tdb: np.ndarray = _array((None,))
    t_utc: tuple[str, ...]
    r_km: np.ndarray = _array((None, 3))
    earth_dir: np.ndarray = _array((None, 3))
    altitude_km: np.ndarray = _array((None,))

    def __post_init__(self):
        super().__post_init__()
        n = self.t_tdb.shape[0]
        for name in ("t_utc", "r_km", "earth_dir", "altitude_km"):
            if len(getattr(self, name)) != n:
                raise TypeError(f"PlanTrajectory.{name}: {len(getattr(self, name))} samples, t_tdb has {n}")


@dataclass(frozen=True)
class PlanWindow(_Node):
    """One event window (``kind`` as in windows.csv: umbra, contact, target_visible, ...)."""

    kind: str
    subject: str
    start_tdb: float
    stop_tdb: float
    start_utc: str
    stop_utc: str
    duration_s: float


@dataclass(frozen=True)
class PlanTarget(_Node):
    """A target with its visibility over the span; ``priority`` is None when no request names it."""

    name: str
    ra_deg: float
    dec_deg: float
    visible_fraction: float
    longest_window_s: float
    n_windows: int
    priority: float | None


@dataclass(frozen=True)
class PlanStation(_Node):
    """A ground station (geodetic WGS84)."""

    name: str
    lat_deg: float
    lon_deg: float
    height_km: float


@dataclass(frozen=True)
class PlanSite(_Node):
    """A lunar surface site (MOON_ME)."""

    name: str
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True)
class PlanActivity(_Node):
    """One schedule entry (``activity``: observe, slew, downlink, engineering, idle)."""

    activity: str
    target: str
    start_tdb: float
    stop_tdb: float
    start_utc: str
    stop_utc: str
    duration_s: float
    data_mbit: float
    station: str


@dataclass(frozen=True)
class PlanMetrics(_Node):
    """Schedule figures (scheduling.md): science value Σ priority × min(1, counted / requested),
    its upper bound and source, efficiency (observing time / span), the rest of the span's time
    budget (fractions slewing, in engineering blocks and idle; with the efficiency they sum to 1),
    request counts, recorder (Mbit), data volumes (Mbit) and FIFO data latency (s, NaN when
    nothing reached the ground)."""

    solver: str | None
    status: str | None
    science_value: float
    total_priority: float | None
    bound: float | None
    bound_source: str | None
    fraction_of_bound: float | None
    observing_efficiency: float
    slew_fraction: float
    engineering_fraction: float
    idle_fraction: float
    requests_full: int
    requests_partial: int
    requests_none: int
    recorder_peak_mbit: float
    recorder_final_mbit: float
    data_generated_mbit: float | None
    data_downlinked_mbit: float | None
    latency_mean_s: float
    latency_max_s: float


@dataclass(frozen=True)
class PlanUnscheduled(_Node):
    """A request that earned nothing, and why."""

    target: str
    reason: str


@dataclass(frozen=True)
class PlanRequestResult(_Node):
    """What one request got: requested and counted exposure (s; counted = visits at least the
    minimum visit long, scheduling.md), visits (all observe activities of the request),
    completion = min(1, counted / requested), first/last visit start (None without a visit) and
    ``reason`` when it is not fully served ("" when it is). An SNR request (``mission.snr_requests``)
    adds its requested SNR and the SNR its visits achieve (co-added, exact CCD equation at each
    visit's background); its exposure and counted seconds are then efficiency-weighted seconds
    at the best background."""

    request: str
    target: str
    priority: float
    exposure_s: float
    counted_s: float
    visits: int
    completion: float
    first_visit_tdb: float | None
    last_visit_tdb: float | None
    first_visit_utc: str | None
    last_visit_utc: str | None
    reason: str
    snr_requested: float | None = _omit_if_none()
    snr_achieved: float | None = _omit_if_none()


@dataclass(frozen=True)
class PlanTargetResult(_Node):
    """The requests of one target summed: priority, requested and counted exposure (s),
    visits, completion = Σ min(counted, requested) / Σ requested, first/last visit start."""

    target: str
    requests: int
    priority: float
    exposure_s: float
    counted_s: float
    visits: int
    completion: float
    first_visit_utc: str | None
    last_visit_utc: str | None


@dataclass(frozen=True)
class PlanContact(_Node):
    """One station contact (a ``contact`` window) as in an STK contact report: AOS/LOS, maximum
    elevation (deg) and its time, range station → spacecraft (km) at AOS, at maximum elevation
    and at LOS, and what the schedule downlinked in it (Mbit, number of downlink activities)."""

    station: str
    aos_tdb: float
    los_tdb: float
    aos_utc: str
    los_utc: str
    duration_s: float
    max_elevation_deg: float
    max_elevation_tdb: float
    max_elevation_utc: str
    range_aos_km: float
    range_max_elevation_km: float
    range_los_km: float
    data_mbit: float
    downlinks: int


@dataclass(frozen=True, eq=False)
class PlanRecorder(_Node):
    """Recorder fill level (Mbit) after each change (a step function) and its capacity."""

    t_tdb: np.ndarray = _array((None,))
    level_mbit: np.ndarray = _array((None,))
    capacity_mbit: float | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.level_mbit.shape != self.t_tdb.shape:
            raise TypeError(
                f"PlanRecorder.level_mbit: {self.level_mbit.shape[0]} values, t_tdb has {self.t_tdb.shape[0]}"
            )


@dataclass(frozen=True, eq=False)
class PlanSchedule(_Node):
    """The schedule: activities in time order, metrics, unscheduled requests, recorder level,
    downlinked volume per station (Mbit, stations sorted by name), and the result of each request
    (problem order) and of each target with requests (mission order)."""

    activities: tuple[PlanActivity, ...]
    metrics: PlanMetrics
    unscheduled: tuple[PlanUnscheduled, ...]
    recorder: PlanRecorder
    downlink_by_station: dict[str, float]
    requests: tuple[PlanRequestResult, ...] = ()
    targets: tuple[PlanTargetResult, ...] = ()


@dataclass(frozen=True, eq=False)
class PlanSkyPaths(_Node):
    """Where the Sun and the Earth stand on the sky over the span, seen from the Moon's centre
    (ICRS RA/Dec, deg, at ``t_tdb``; geometric, ``states.body_seen_from``; the spacecraft's
    parallax, ≤ 1.6° for the Earth, is left out: ``mission.plan.plan_sky_paths``) and the Sun
    exclusion angle (deg; None without one), for the report's sky map."""

    t_tdb: np.ndarray = _array((None,))
    sun_ra_deg: np.ndarray = _array((None,))
    sun_dec_deg: np.ndarray = _array((None,))
    earth_ra_deg: np.ndarray = _array((None,))
    earth_dec_deg: np.ndarray = _array((None,))
    sun_exclusion_deg: float | None = None

    def __post_init__(self):
        super().__post_init__()
        n = self.t_tdb.shape
        if not all(a.shape == n for a in (self.sun_ra_deg, self.sun_dec_deg, self.earth_ra_deg, self.earth_dec_deg)):
            raise TypeError("PlanSkyPaths: every series needs one value per epoch")


@dataclass(frozen=True, eq=False)
class PlanCoverage(_Node):
    """Sky coverage (``lunarscope.science.coverage``): per HEALPix pixel (``ordering`` RING,
    ICRS) the observable hours over the span and the longest continuous window (h); the span
    (h) and the constraints used (angles in deg); ``depth``: the reachable sky at a reference
    depth (``mag_ab``, ``snr``, ``band``, ``hours_needed``, ``fraction``; empty when unknown)."""

    nside: int
    ordering: str
    span_hours: float
    hours: np.ndarray = _array((None,))
    longest_hours: np.ndarray = _array((None,))
    constraints: dict[str, Any] = field(default_factory=dict)
    depth: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        super().__post_init__()
        npix = 12 * self.nside**2
        if self.hours.shape != (npix,) or self.longest_hours.shape != (npix,):
            raise TypeError(
                f"PlanCoverage: nside {self.nside} needs {npix} pixels, got {self.hours.shape}, {self.longest_hours.shape}"
            )


@dataclass(frozen=True, eq=False)
class PlanOrbitHistory(_Node):
    """The orbit over the span for the report's "Orbit history" charts (``mission.plan.plan_orbit_history``).

    Elements are measured in ``plane`` (``orbits.planes``: ``MOON_ME`` = the lunar equator,
    MOON_ME axes at each epoch, rotation only) from ``samples`` states every ``step_s``,
    decimated by stride to at most ``mission.plan.ORBIT_HISTORY_POINTS``:
    osculating a (km), e, i, Ω, ω (deg) at ``t_tdb``; the eccentricity vector (e cos ω, e sin ω);
    periapsis / apoapsis altitude a(1 ∓ e) − 1737.4 km; beta angle asin(ĥ · ŝ) (deg; ĥ the
    orbit normal, ŝ Moon → Sun, geometric). Mean elements (``mean_method``, window
    ``period_s``) at ``mean_t_tdb`` (only where the window fits in the span, so no NaN).
    Ground track: selenographic (MOON_ME) latitude / longitude (deg, lon in [−180, 180))."""

    plane: str
    mean_method: str
    step_s: float
    samples: int
    period_s: float
    t_tdb: np.ndarray = _array((None,))
    a_km: np.ndarray = _array((None,))
    e: np.ndarray = _array((None,))
    i_deg: np.ndarray = _array((None,))
    raan_deg: np.ndarray = _array((None,))
    argp_deg: np.ndarray = _array((None,))
    ex: np.ndarray = _array((None,))
    ey: np.ndarray = _array((None,))
    periapsis_alt_km: np.ndarray = _array((None,))
    apoapsis_alt_km: np.ndarray = _array((None,))
    beta_deg: np.ndarray = _array((None,))
    mean_t_tdb: np.ndarray = _array((None,))
    mean_a_km: np.ndarray = _array((None,))
    mean_e: np.ndarray = _array((None,))
    mean_i_deg: np.ndarray = _array((None,))
    mean_raan_deg: np.ndarray = _array((None,))
    mean_argp_deg: np.ndarray = _array((None,))
    mean_ex: np.ndarray = _array((None,))
    mean_ey: np.ndarray = _array((None,))
    track_t_tdb: np.ndarray = _array((None,))
    track_lat_deg: np.ndarray = _array((None,))
    track_lon_deg: np.ndarray = _array((None,))

    def __post_init__(self):
        super().__post_init__()
        for f in dataclasses.fields(self):
            arr = getattr(self, f.name)
            if not isinstance(arr, np.ndarray):
                continue
            base = next((p + "t_tdb" for p in ("mean_", "track_") if f.name.startswith(p)), "t_tdb")
            n = getattr(self, base).shape[0]
            if arr.shape[0] != n:
                raise TypeError(f"PlanOrbitHistory.{f.name}: {arr.shape[0]} samples, {base} has {n}")


#: Window kinds that are eclipses (the conical shadow of the Moon or the Earth).
ECLIPSE_KINDS = ("umbra", "penumbra")


@dataclass(frozen=True, eq=False)
class Plan(_Node):
    """The whole plan; ``generated_utc`` is its only timestamp."""

    generated_utc: str
    mission: PlanMission
    trajectory: PlanTrajectory
    windows: tuple[PlanWindow, ...]
    targets: tuple[PlanTarget, ...]
    stations: tuple[PlanStation, ...]
    sites: tuple[PlanSite, ...]
    schedule: PlanSchedule
    contacts: tuple[PlanContact, ...] = ()
    coverage: PlanCoverage | None = _omit_if_none()
    orbit_history: PlanOrbitHistory | None = _omit_if_none()
    sky_paths: PlanSkyPaths | None = _omit_if_none()

    def eclipses(self) -> tuple[PlanWindow, ...]:
        """The eclipse windows (``umbra``, ``penumbra``; by the Moon or the Earth) in time order."""
        return tuple(
            sorted((w for w in self.windows if w.kind in ECLIPSE_KINDS), key=lambda w: (w.start_tdb, w.kind, w.subject))
        )

    def window_counts(self) -> dict[str, int]:
        """Number of windows of each kind, kinds sorted."""
        counts: dict[str, int] = {}
        for w in self.windows:
            counts[w.kind] = counts.get(w.kind, 0) + 1
        return dict(sorted(counts.items()))
