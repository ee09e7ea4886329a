"""The mission file (YAML): span, spacecraft, orbit, force model, propagator, maneuvers.

Every key is documented in ``docs/mission-file.md``; every error names its key path, e.g.
``orbit.elements.e: 1.2 must be < 1``. Sections owned by later stages (stations, sites,
targets, constraints; telescope, recorder, downlink, scheduling, requests) are parsed by
``lunarscope.mission.observing`` and ``lunarscope.mission.operations``; ``commanding`` (uplink
stations, lead time, for ``lunarscope replan``) by ``lunarscope.mission.commanding``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import MOON_RADIUS_KM, MOON_SOI_RADIUS_KM, SECONDS_PER_DAY
from ..dynamics.forces import THIRD_BODIES, Cannonball, ForceModel
from ..dynamics.integrators import METHODS as INTEGRATION_METHODS
from ..dynamics.propagator import Maneuver
from ..errors import InputError
from ..frames.rotations import apply_transposed
from ..time import add_si_seconds, parse_duration_s, short, to_iso_utc
from .reader import MAX_GRAVITY_FILE_BYTES, Section, check_regular_file, load_yaml_file

#: Orbit frames for initial states and element sets.
ORBIT_FRAMES = ("ICRF", "MOON_ME_INERTIAL", "MOON_PA_INERTIAL", "EARTH_MOON_INERTIAL")
TOP_LEVEL_KEYS = {
    "name",
    "description",
    "start",
    "duration",
    "stop",
    "ephemeris",
    "spacecraft",
    "orbit",
    "force_model",
    "propagator",
    "maneuvers",
    "stations",
    "sites",
    "targets",
    "constraints",
    "windows",
    "telescope",
    "recorder",
    "downlink",
    "scheduling",
    "requests",
    "engineering",
    "commanding",
    "instrument",
    "station_keeping",
    "batch",
}
#: Longest span accepted (days); the default kernels cover far more, this guards typos.
MAX_SPAN_DAYS = 3660.0
#: Largest initial orbit radius / semi-major axis accepted (km, 26 Earth–Moon distances):
#: beyond it a value is a unit slip or garbage, not an orbit (between the sphere of influence
#: and this only a warning is given).
MAX_ORBIT_RADIUS_KM = 1.0e7
#: Largest initial speed accepted (km/s; lunar escape speed at the surface is 2.4 km/s).
MAX_ORBIT_SPEED_KMS = 100.0


@dataclass(frozen=True)
class PropagatorSettings:
    rtol: float = 1e-12
    atol_km: float = 1e-9
    fixed_step_s: float | None = None
    impact_altitude_km: float = 0.0
    output_step_s: float = 60.0
    method: str = "dop853"

    def integrator_kwargs(self) -> dict:
        """The integrator keywords of ``propagate`` / ``propagate_many`` these settings give
        (``output_step_s`` is for output only): every caller flies the mission's settings."""
        return {
            "rtol": self.rtol,
            "atol_km": self.atol_km,
            "impact_altitude_km": self.impact_altitude_km,
            "fixed_step_s": self.fixed_step_s,
            "method": self.method,
        }


@dataclass(frozen=True)
class Mission:
    """A validated mission. Times in TDB seconds past J2000."""

    name: str
    path: str
    t_start: float
    t_stop: float
    state0_icrf: np.ndarray
    orbit_frame: str
    force_model: ForceModel
    propagator: PropagatorSettings
    maneuvers: tuple
    raw: dict = field(repr=False)
    observing: object = None
    operations: object = None
    #: Every data file the stages read (SPK, lunar PCK, Earth orientation, gravity field):
    #: a :class:`lunarscope.sources.Sources`, built once in :func:`mission_from_dict`.
    sources: object = None
    #: The ``commanding`` section (uplink stations, lead time): ``mission.commanding.Commanding``.
    commanding: object = None
    #: The ``instrument`` section: a ``lunarscope.science.Instrument``, None when the file has none
    #: (``mission.instrument.mission_instrument`` then gives ``Instrument.default()``).
    instrument: object = None
    #: The ``station_keeping`` section (``mission.station_keeping.StationKeeping``, with the nominal
    #: run whose burns were inserted into ``maneuvers``), None when the file has none.
    station_keeping: object = None
    #: The ``batch`` section (``mission.batch.BatchOrbits``: many initial orbits for ``propagate``), None without one.
    batch: object = None

    def __repr__(self) -> str:
        a, b = to_iso_utc([self.t_start, self.t_stop], 0)
        obs = self.observing
        counts = (
            ""
            if obs is None
            else (f", {len(obs.targets)} targets, {len(obs.stations)} stations, {len(obs.sites)} sites")
        )
        return f"Mission({self.name!r}, {a} .. {b}{counts}, path={self.path!r})"

    @property
    def duration_s(self) -> float:
        return self.t_stop - self.t_start

    @property
    def gm_moon(self) -> float:
        return self.force_model.field.gm_km3_s2

    def describe(self) -> str:
        a, b = to_iso_utc([self.t_start, self.t_stop], 0)
        fm = self.force_model
        return (
            f"{self.name}: {a} .. {b} ({self.duration_s / SECONDS_PER_DAY:.2f} d); "
            f"{fm.field.name} {fm.field.degree_max}x{fm.field.order_max} in {fm.gravity_frame}; "
            f"third bodies {', '.join(fm.third_bodies) or 'none'}; SRP {'on' if fm.srp else 'off'}"
        )


def _resolve(path: str, base: str) -> str:
    path = os.path.expanduser(str(path))
    return path if os.path.isabs(path) else os.path.join(base, path)


def _span(root: Section) -> tuple[float, float]:
    t0 = root.time("start", required=True)
    if root.has("duration") and root.has("stop"):
        raise InputError("duration", "give either duration or stop, not both")
    if root.has("duration"):
        t1 = add_si_seconds(t0, parse_duration_s(root.raw["duration"], "duration"))
    elif root.has("stop"):
        t1 = root.time("stop")
        if not t1 > t0:
            raise InputError("stop", "must be after start")
    else:
        raise InputError("duration", "is required (or give stop)")
    if t1 - t0 > MAX_SPAN_DAYS * 86400:
        raise InputError("duration", f"{(t1 - t0) / 86400:.0f} d is longer than {MAX_SPAN_DAYS:.0f} d")
    return t0, t1


def _gravity(fm: Section, base: str):
    from ..gravity import builtin_field, load_field

    g = fm.section("gravity", {"model", "file", "degree", "order", "frame"}, required=True)
    if g.has("model") and g.has("file"):
        raise InputError("force_model.gravity", "give either model or file, not both")
    if g.has("file"):
        path = _resolve(g.string("file"), base)
        check_regular_file(path, "force_model.gravity.file", MAX_GRAVITY_FILE_BYTES, "gravity field file")
        fld = load_field(path)
    else:
        fld = builtin_field(g.string("model", "GRGM1200A"))
    degree = g.number("degree", fld.degree_max, minimum=0, integer=True)
    order = g.number("order", min(degree, fld.order_max), minimum=0, integer=True)
    if order > degree:
        raise InputError("force_model.gravity.order", f"{order} must be <= degree {degree}")
    fld = fld.truncated(degree, order)
    frame = g.choice(
        "frame",
        ["MOON_PA", "MOON_ME", "IAU_MOON"],
        default=fld.frame if fld.frame in ("MOON_PA", "MOON_ME", "IAU_MOON") else "MOON_PA",
    )
    return fld, frame


def _force_model(root: Section, base: str, sources) -> ForceModel:
    fm = root.section("force_model", {"gravity", "third_bodies", "srp"}, required=True)
    fld, frame = _gravity(fm, base)
    bodies = fm.items("third_bodies") if fm.has("third_bodies") else ["earth", "sun"]
    for k, b in enumerate(bodies):
        if str(b).lower() not in THIRD_BODIES:
            raise InputError(
                f"force_model.third_bodies[{k}]", f"unknown body {b!r}; use any of {', '.join(THIRD_BODIES)}"
            )
    sc = root.section("spacecraft", {"mass_kg", "srp_area_m2", "cr", "name", "id"})
    spacecraft = Cannonball(
        sc.number("mass_kg", 450.0, exclusive_minimum=0, unit="kg"),
        sc.number("srp_area_m2", 4.0, minimum=0, unit="m^2"),
        sc.number("cr", 1.3, minimum=0, maximum=2),
    )
    return ForceModel(
        fld,
        frame,
        tuple(str(b).lower() for b in bodies),
        fm.boolean("srp", False),
        spacecraft,
        sources.ephemeris,
        sources.moon_pck,
    )


def _sources(eph_paths: dict):
    """The mission's Sources from ``ephemeris.spk`` / ``ephemeris.moon_pck`` (shipped DE440
    and DE421 PA where not given); unreadable files are named by their mission key."""
    from ..errors import CoverageError
    from ..sources import Sources

    try:
        return Sources.from_paths(eph_paths.get("spk"), eph_paths.get("moon_pck"))
    except CoverageError:
        raise
    except InputError as exc:
        key = "ephemeris.moon_pck" if exc.field == "moon_pck" else "ephemeris.spk"
        raise InputError(key, exc.problem) from None


def initial_state(orbit: Section, t0: float, gm: float, pck, ephemeris=None) -> tuple[np.ndarray, str]:
    """Moon-centred ICRF initial state from ``orbit`` (elements or Cartesian) and its frame;
    ``pck`` is the lunar orientation (MoonPCK, from the mission's Sources), ``ephemeris`` the
    SPK the ``EARTH_MOON_INERTIAL`` axes come from (``orbits.planes``: z along the Moon's
    geocentric orbit normal at ``t0``, x its ascending node on the ICRF equator)."""
    from .. import frames
    from ..orbits.elements import keplerian_to_cartesian

    frame = orbit.choice("frame", ORBIT_FRAMES, default="MOON_ME_INERTIAL")
    if orbit.has("elements") == orbit.has("state"):
        raise InputError("orbit", "give exactly one of elements or state")
    if orbit.has("elements"):
        el = orbit.section("elements", {"a_km", "e", "i_deg", "raan_deg", "argp_deg", "ta_deg"})
        a = el.number("a_km", required=True, exclusive_minimum=0, maximum=MAX_ORBIT_RADIUS_KM, unit="km")
        e = el.number("e", required=True, minimum=0)
        if e >= 1:
            raise InputError("orbit.elements.e", f"{e} must be < 1 (closed orbits only)")
        rp = a * (1 - e)
        if rp <= MOON_RADIUS_KM:
            raise InputError(
                "orbit.elements",
                f"periapsis radius {rp:.1f} km (a_km·(1−e)) is below the lunar surface ({MOON_RADIUS_KM} km radius)",
            )
        i = el.number("i_deg", required=True, minimum=0, maximum=180, unit="deg")
        ang = [el.number(k, 0.0, minimum=-360, maximum=360, unit="deg") for k in ("raan_deg", "argp_deg", "ta_deg")]
        s = np.asarray(keplerian_to_cartesian(a, e, np.radians(i), *np.radians(ang), gm), float).reshape(6)
    else:
        st = orbit.section("state", {"r_km", "v_kms"})
        r = st.vector("r_km", 3, required=True, unit="km")
        v = st.vector("v_kms", 3, required=True, unit="km/s")
        if np.linalg.norm(r) > MAX_ORBIT_RADIUS_KM or np.linalg.norm(v) > MAX_ORBIT_SPEED_KMS:
            raise InputError(
                "orbit.state",
                f"|r| = {np.linalg.norm(r):.3g} km, |v| = {np.linalg.norm(v):.3g} km/s: "
                f"limits are {MAX_ORBIT_RADIUS_KM:g} km and {MAX_ORBIT_SPEED_KMS:g} km/s",
            )
        if np.linalg.norm(r) <= MOON_RADIUS_KM:
            raise InputError(
                "orbit.state.r_km", f"|r| = {np.linalg.norm(r):.1f} km is inside the Moon ({MOON_RADIUS_KM} km radius)"
            )
        s = np.array(r + v, float)
    if frame == "EARTH_MOON_INERTIAL":
        from ..orbits.planes import plane_rotation

        rot = plane_rotation("EARTH_MOON", [t0], ephemeris=ephemeris)
        s = np.concatenate([apply_transposed(rot, s[None, :3]), apply_transposed(rot, s[None, 3:])], axis=1)[0]
    elif frame != "ICRF":
        body = frame.replace("_INERTIAL", "")
        rot = frames.rotation(body, [t0], pck)
        s = np.concatenate([apply_transposed(rot, s[None, :3]), apply_transposed(rot, s[None, 3:])], axis=1)[0]
    return s, frame


def _maneuvers(root: Section, t0: float, t1: float) -> tuple:
    out = []
    for k, raw in enumerate(root.items("maneuvers")):
        m = Section(raw, f"maneuvers[{k}]", {"time", "dv_kms", "dv_mps", "frame"})
        t = m.time("time", required=True)
        if not t0 <= t <= t1:
            raise InputError(f"maneuvers[{k}].time", "must lie inside the mission span")
        if m.has("dv_kms") == m.has("dv_mps"):
            raise InputError(f"maneuvers[{k}]", "give exactly one of dv_kms or dv_mps")
        dv = m.vector("dv_kms", 3, unit="km/s") or [x / 1000.0 for x in m.vector("dv_mps", 3, unit="m/s")]
        out.append(Maneuver(t, tuple(dv), m.choice("frame", ["RTN", "ICRF"], default="RTN")))
    return tuple(out)


def load_mission(path: str) -> Mission:
    """Read and validate a mission file: everything that can be checked from the file is
    checked here, before any propagation (``check_mission``)."""
    raw = load_yaml_file(path, "mission")
    if raw is not None and not isinstance(raw, dict):
        raise InputError(
            "mission",
            f"{short(str(path))} must be a mapping of keys (name:, start:, orbit: ...), not a {type(raw).__name__}",
        )
    mission = mission_from_dict(raw, os.path.dirname(os.path.abspath(path)), str(path))
    check_mission(mission)
    return mission


def is_three_body_orbit(mission: Mission) -> bool:
    """True when the mission's orbit is a three-body family member (``orbit: {family: ...}``),
    whose apolune lies beyond the Moon's sphere of influence by design."""
    raw = mission.raw.get("orbit") if isinstance(mission.raw, dict) else None
    return isinstance(raw, dict) and raw.get("family") is not None


def _orbit_warnings(mission: Mission) -> None:
    """Warn when the initial orbit leaves the Moon's sphere of influence or escapes (two-body
    apoapsis from the initial state and the field's GM): usually a unit slip (metres for km)."""
    if is_three_body_orbit(mission):
        return  # a three-body orbit (NRHO apolune ~71,000 km) is meant to reach beyond the sphere of influence
    raw = mission.raw.get("orbit") if isinstance(mission.raw, dict) else None
    key = "orbit.elements.a_km" if isinstance(raw, dict) and "elements" in raw else "orbit.state"
    r, v = mission.state0_icrf[:3], mission.state0_icrf[3:]
    gm = mission.gm_moon
    rn, vn = float(np.linalg.norm(r)), float(np.linalg.norm(v))
    energy = 0.5 * vn * vn - gm / rn  # km^2/s^2, two-body specific energy
    if energy >= 0:
        warnings.warn(
            f"{key}: the initial orbit escapes the Moon (two-body energy {energy:.3g} km²/s² "
            ">= 0); check the units (km, km/s)",
            stacklevel=3,
        )
        return
    a = -gm / (2 * energy)
    e = float(np.linalg.norm(np.cross(v, np.cross(r, v)) / gm - r / rn))
    apoapsis = a * (1 + e)
    if apoapsis > MOON_SOI_RADIUS_KM:
        warnings.warn(
            f"{key}: apoapsis {apoapsis:,.0f} km is beyond the Moon's sphere of influence "
            f"(~{MOON_SOI_RADIUS_KM:,.0f} km); the orbit is not lunar (metres given for km?)",
            stacklevel=3,
        )


def check_mission(mission: Mission) -> None:
    """Checks across sections that need no propagation: output grid size, downlink stations
    and rates, engineering inside the span, windows kinds the requests need, the orbit."""
    import math

    from ..time import MAX_GRID_SAMPLES

    step = mission.propagator.output_step_s
    n = math.floor(mission.duration_s / step) + 2
    if n > MAX_GRID_SAMPLES:
        raise InputError(
            "propagator.output_step_s",
            f"{step:g} s over the span gives {n:,} OEM states, more "
            f"than the limit of {MAX_GRID_SAMPLES:,}; use a larger step",
        )
    _orbit_warnings(mission)
    ops, obs = mission.operations, mission.observing
    if ops is None or obs is None:
        return
    from .operations import resolve_requests

    requests = resolve_requests(ops, obs)
    names = [s.name for s in obs.stations]
    use = ops.downlink_stations if ops.downlink_stations is not None else tuple(names)
    for k, name in enumerate(use):
        spec = obs.station(name, f"downlink.stations[{k}]")
        if requests and spec.downlink_mbps is None and ops.default_downlink_mbps is None:
            raise InputError(
                "downlink.default_rate_mbps", f"required: station {name!r} has no downlink_mbps of its own"
            )
    for k, e in enumerate(ops.engineering):
        if e.first_start is not None and not mission.t_start <= e.first_start <= mission.t_stop:
            a, b = to_iso_utc([mission.t_start, mission.t_stop], 0)
            raise InputError(f"engineering[{k}].first", f"must lie inside the mission span {a} .. {b}")
    if requests and "target_visible" not in obs.settings.kinds:
        warnings.warn(
            f"windows.kinds: without target_visible none of the {len(requests)} requests has a "
            "visibility window, so nothing will be observed; add target_visible",
            stacklevel=3,
        )
    if use and "contact" not in obs.settings.kinds and any(r.data_rate_mbps > 0 for r in requests):
        warnings.warn("windows.kinds: without contact no data can be downlinked; add contact", stacklevel=3)


def mission_from_dict(raw, base: str = ".", path: str = "<mission>") -> Mission:
    root = Section(raw, "", TOP_LEVEL_KEYS)
    name = root.string("name", "mission")
    root.string("description")  # free text: a mapping or list is refused
    t0, t1 = _span(root)
    eph = root.section("ephemeris", {"spk", "moon_pck"})
    eph_paths = {k: _resolve(eph.string(k), base) for k in ("spk", "moon_pck") if eph.has(k)}
    for k, p in eph_paths.items():
        if not os.path.exists(p):
            raise InputError(f"ephemeris.{k}", f"{p} does not exist")
    sources = _sources(eph_paths)
    fm = _force_model(root, base, sources)
    sources = replace(sources, gravity=fm.field)
    from ..design.ephemeris_shooting import FAMILY_ORBIT_KEYS, check_no_family_keys, orbit_from_family
    from ..design.frozen import FROZEN_ORBIT_KEYS, check_no_design_keys, orbit_from_design
    from .batch import read_batch

    batch = read_batch(root, base, t0, fm.field.gm_km3_s2, sources)  # None without batch: (mission/batch.py)
    orbit_keys = {"frame", "elements", "state"} | FROZEN_ORBIT_KEYS | FAMILY_ORBIT_KEYS
    orbit = root.section("orbit", orbit_keys, required=batch is None)
    designed = ()  # maneuvers of a designed orbit (orbit: {family: ...}: the patch-point jumps)
    if batch is not None and not root.has("orbit"):  # the first batch orbit stands for the mission's orbit
        s0, frame = batch.states0_icrf[0].copy(), batch.frame
    elif orbit.has("family"):  # orbit: {family: nrho, ...}: CR3BP member → ephemeris model (docs/mission-file.md)
        check_no_design_keys(orbit)
        s0, frame, designed, _ = orbit_from_family(orbit, t0, t1, fm)
    elif orbit.has("design"):  # orbit: {design: frozen, ...} resolves here (docs/mission-file.md)
        check_no_family_keys(orbit)
        s0, frame = orbit_from_design(orbit, t0, t1, fm)
    else:
        check_no_design_keys(orbit)
        check_no_family_keys(orbit)
        s0, frame = initial_state(orbit, t0, fm.field.gm_km3_s2, sources.moon_pck, sources.ephemeris)
    pr = root.section(
        "propagator", {"rtol", "atol_km", "fixed_step_s", "impact_altitude_km", "output_step_s", "method"}
    )
    settings = PropagatorSettings(
        rtol=pr.number("rtol", 1e-12, exclusive_minimum=0, maximum=1e-3),
        atol_km=pr.number("atol_km", 1e-9, exclusive_minimum=0, maximum=1.0, unit="km"),
        fixed_step_s=pr.number("fixed_step_s", None, exclusive_minimum=0, unit="s"),
        impact_altitude_km=pr.number("impact_altitude_km", 0.0, minimum=-10, unit="km"),
        output_step_s=pr.number("output_step_s", 60.0, exclusive_minimum=0, unit="s"),
        method=pr.choice("method", INTEGRATION_METHODS, default="dop853"),
    )
    burns = tuple(sorted(_maneuvers(root, t0, t1) + tuple(designed), key=lambda m: m.t))
    mission = Mission(name, path, t0, t1, s0, frame, fm, settings, burns, raw, sources=sources)
    try:
        from . import observing
    except ImportError:  # pragma: no cover - stage not installed
        observing = None
    if observing is not None:
        mission = observing.attach(mission, root, base)
    try:
        from . import operations
    except ImportError:  # pragma: no cover
        operations = None
    if operations is not None:
        mission = operations.attach(mission, root, base)
    from . import commanding, instrument

    mission = instrument.attach(mission, root, base)
    from .snr_requests import check_snr_requests

    check_snr_requests(mission)
    from . import station_keeping

    mission = station_keeping.attach(mission, root)  # plans and inserts its maneuvers (after operations)
    from . import batch as batch_section

    mission = batch_section.attach(mission, batch)  # refuses maneuvers with a batch
    return commanding.attach(mission, root)
