"""The mission file (YAML): span, spacecraft, orbit, force model, propagator, maneuvers.

Every key is documented in ``docs/mission-file.md``; every error names its key path, e.g.
``orbit.elements.e: 1.2 must be < 1``. Sections owned by later stages (stations, sites,
targets, constraints; telescope, recorder, downlink, scheduling, requests) are parsed by
``lunarscope.mission.observing`` and ``lunarscope.mission.operations``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import yaml

from ..constants import MOON_RADIUS_KM
from ..dynamics.forces import THIRD_BODIES, ForceModel, Spacecraft
from ..dynamics.propagator import Maneuver
from ..errors import InputError
from ..frames.rotations import apply_transposed
from ..time import add_si_seconds, parse_duration_s, to_iso_utc, to_tdb
from .reader import Section

#: Orbit frames for initial states and element sets.
ORBIT_FRAMES = ("ICRF", "MOON_ME_INERTIAL", "MOON_PA_INERTIAL")
TOP_LEVEL_KEYS = {
    "name", "description", "start", "duration", "stop", "ephemeris", "spacecraft", "orbit",
    "force_model", "propagator", "maneuvers", "stations", "sites", "targets", "constraints",
    "windows", "telescope", "recorder", "downlink", "scheduling", "requests", "engineering",
}
#: Longest span accepted (days); the default kernels cover far more, this guards typos.
MAX_SPAN_DAYS = 3660.0


@dataclass(frozen=True)
class PropagatorSettings:
    rtol: float = 1e-12
    atol_km: float = 1e-9
    fixed_step_s: float | None = None
    impact_altitude_km: float = 0.0
    output_step_s: float = 60.0


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

    @property
    def duration_s(self) -> float:
        return self.t_stop - self.t_start

    @property
    def gm_moon(self) -> float:
        return self.force_model.field.gm_km3_s2

    def describe(self) -> str:
        a, b = to_iso_utc([self.t_start, self.t_stop], 0)
        fm = self.force_model
        return (f"{self.name}: {a} .. {b} ({self.duration_s / 86400:.2f} d); "
                f"{fm.field.name} {fm.field.degree_max}x{fm.field.order_max} in {fm.gravity_frame}; "
                f"third bodies {', '.join(fm.third_bodies) or 'none'}; SRP {'on' if fm.srp else 'off'}")


def _resolve(path: str, base: str) -> str:
    path = os.path.expanduser(str(path))
    return path if os.path.isabs(path) else os.path.join(base, path)


def _span(root: Section) -> tuple[float, float]:
    t0 = to_tdb(root.required("start"), "start")
    if root.has("duration") and root.has("stop"):
        raise InputError("duration", "give either duration or stop, not both")
    if root.has("duration"):
        t1 = add_si_seconds(t0, parse_duration_s(root.raw["duration"], "duration"))
    elif root.has("stop"):
        t1 = to_tdb(root.raw["stop"], "stop")
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
        if not os.path.exists(path):
            raise InputError("force_model.gravity.file", f"{path} does not exist")
        fld = load_field(path)
    else:
        fld = builtin_field(g.string("model", "GRGM1200A"))
    degree = g.number("degree", fld.degree_max, minimum=0, integer=True)
    order = g.number("order", min(degree, fld.order_max), minimum=0, integer=True)
    if order > degree:
        raise InputError("force_model.gravity.order", f"{order} must be <= degree {degree}")
    fld = fld.truncated(degree, order)
    frame = g.choice("frame", ["MOON_PA", "MOON_ME", "IAU_MOON"], default=fld.frame if fld.frame in
                     ("MOON_PA", "MOON_ME", "IAU_MOON") else "MOON_PA")
    return fld, frame


def _force_model(root: Section, base: str, eph_paths: dict) -> ForceModel:
    fm = root.section("force_model", {"gravity", "third_bodies", "srp"}, required=True)
    fld, frame = _gravity(fm, base)
    bodies = fm.items("third_bodies") if fm.has("third_bodies") else ["earth", "sun"]
    for k, b in enumerate(bodies):
        if str(b).lower() not in THIRD_BODIES:
            raise InputError(f"force_model.third_bodies[{k}]",
                             f"unknown body {b!r}; use any of {', '.join(THIRD_BODIES)}")
    sc = root.section("spacecraft", {"mass_kg", "srp_area_m2", "cr", "name", "id"})
    spacecraft = Spacecraft(sc.number("mass_kg", 450.0, exclusive_minimum=0, unit="kg"),
                            sc.number("srp_area_m2", 4.0, minimum=0, unit="m^2"),
                            sc.number("cr", 1.3, minimum=0, maximum=2))
    return ForceModel(fld, frame, tuple(str(b).lower() for b in bodies), fm.boolean("srp", False),
                      spacecraft, eph_paths.get("spk"), eph_paths.get("moon_pck"))


def initial_state(orbit: Section, t0: float, gm: float, moon_pck: str | None) -> tuple[np.ndarray, str]:
    """Moon-centred ICRF initial state from ``orbit`` (elements or Cartesian) and its frame."""
    from .. import frames
    from ..orbits.elements import keplerian_to_cartesian

    frame = orbit.choice("frame", ORBIT_FRAMES, default="MOON_ME_INERTIAL")
    if orbit.has("elements") == orbit.has("state"):
        raise InputError("orbit", "give exactly one of elements or state")
    if orbit.has("elements"):
        el = orbit.section("elements", {"a_km", "e", "i_deg", "raan_deg", "argp_deg", "ta_deg"})
        a = el.number("a_km", required=True, exclusive_minimum=0, unit="km")
        e = el.number("e", required=True, minimum=0)
        if e >= 1:
            raise InputError("orbit.elements.e", f"{e} must be < 1 (closed orbits only)")
        rp = a * (1 - e)
        if rp <= MOON_RADIUS_KM:
            raise InputError("orbit.elements", f"periapsis radius {rp:.1f} km (a_km·(1−e)) is below "
                                               f"the lunar surface ({MOON_RADIUS_KM} km radius)")
        i = el.number("i_deg", required=True, minimum=0, maximum=180, unit="deg")
        ang = [el.number(k, 0.0, minimum=-360, maximum=360, unit="deg") for k in ("raan_deg", "argp_deg", "ta_deg")]
        s = np.asarray(keplerian_to_cartesian(a, e, np.radians(i), *np.radians(ang), gm), float).reshape(6)
    else:
        st = orbit.section("state", {"r_km", "v_kms"})
        r = st.vector("r_km", 3, required=True, unit="km")
        v = st.vector("v_kms", 3, required=True, unit="km/s")
        if np.linalg.norm(r) <= MOON_RADIUS_KM:
            raise InputError("orbit.state.r_km", f"|r| = {np.linalg.norm(r):.1f} km is inside the Moon "
                                                 f"({MOON_RADIUS_KM} km radius)")
        s = np.array(r + v, float)
    if frame != "ICRF":
        body = frame.replace("_INERTIAL", "")
        rot = frames.rotation(body, [t0], moon_pck)
        s = np.concatenate([apply_transposed(rot, s[None, :3]), apply_transposed(rot, s[None, 3:])], axis=1)[0]
    return s, frame


def _maneuvers(root: Section, t0: float, t1: float) -> tuple:
    out = []
    for k, raw in enumerate(root.items("maneuvers")):
        m = Section(raw, f"maneuvers[{k}]", {"time", "dv_kms", "dv_mps", "frame"})
        t = to_tdb(m.required("time"), f"maneuvers[{k}].time")
        if not t0 <= t <= t1:
            raise InputError(f"maneuvers[{k}].time", "must lie inside the mission span")
        if m.has("dv_kms") == m.has("dv_mps"):
            raise InputError(f"maneuvers[{k}]", "give exactly one of dv_kms or dv_mps")
        dv = m.vector("dv_kms", 3, unit="km/s") or [x / 1000.0 for x in m.vector("dv_mps", 3, unit="m/s")]
        out.append(Maneuver(t, tuple(dv), m.choice("frame", ["RTN", "ICRF"], default="RTN")))
    return tuple(out)


def load_mission(path: str) -> Mission:
    """Read and validate a mission file."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        raise InputError("mission", f"{path} does not exist") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError("mission", f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return mission_from_dict(raw, os.path.dirname(os.path.abspath(path)), str(path))


def mission_from_dict(raw, base: str = ".", path: str = "<mission>") -> Mission:
    root = Section(raw, "", TOP_LEVEL_KEYS)
    name = root.string("name", "mission")
    t0, t1 = _span(root)
    eph = root.section("ephemeris", {"spk", "moon_pck"})
    eph_paths = {k: _resolve(eph.string(k), base) for k in ("spk", "moon_pck") if eph.has(k)}
    for k, p in eph_paths.items():
        if not os.path.exists(p):
            raise InputError(f"ephemeris.{k}", f"{p} does not exist")
    fm = _force_model(root, base, eph_paths)
    orbit = root.section("orbit", {"frame", "elements", "state"}, required=True)
    s0, frame = initial_state(orbit, t0, fm.field.gm_km3_s2, eph_paths.get("moon_pck"))
    pr = root.section("propagator", {"rtol", "atol_km", "fixed_step_s", "impact_altitude_km", "output_step_s"})
    settings = PropagatorSettings(
        rtol=pr.number("rtol", 1e-12, exclusive_minimum=0, maximum=1e-3),
        atol_km=pr.number("atol_km", 1e-9, exclusive_minimum=0, maximum=1.0, unit="km"),
        fixed_step_s=pr.number("fixed_step_s", None, exclusive_minimum=0, unit="s"),
        impact_altitude_km=pr.number("impact_altitude_km", 0.0, minimum=-10, unit="km"),
        output_step_s=pr.number("output_step_s", 60.0, exclusive_minimum=0, unit="s"),
    )
    mission = Mission(name, path, t0, t1, s0, frame, fm, settings, _maneuvers(root, t0, t1), raw)
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
    return mission
