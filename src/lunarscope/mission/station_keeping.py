"""The ``station_keeping:`` section: a box the orbit is kept in; the planned maneuvers are
inserted at load (docs/mission-file.md#station_keeping).

At load the *nominal* plan (no orbit-determination or execution errors: deterministic, the same
maneuvers on every load) is computed with ``lunarscope.design.stationkeeping`` over ``span``
(default: the whole mission) with the mission's force model and propagator tolerances, and its
burns are appended to ``mission.maneuvers`` with one engineering block each (``engineering:``
below; blocks of one correction that overlap are merged). Load time, not the propagate stage,
because the maneuvers and blocks are part of the plain stage inputs every later stage reads
(propagation job, windows, scheduling problem): done here once, every stage sees the same burns,
and a stage run in another process needs nothing new. The cost is one controlled propagation of
the span at load. ``od_sigma``, ``exec_sigma``, ``seed`` and ``runs`` are the Monte Carlo settings
``lunarscope design stationkeeping`` uses for this mission (its options override them);
``policy`` (``auto``, ``reset`` or ``across``, ``design.stationkeeping.POLICIES``) is where each
correction aims, for the inserted burns and the Monte Carlo alike.

``strategy: x_axis_crossing`` (the default when ``orbit.family`` is set, and only then allowed) is
the three-body station keeping of ``lunarscope.design.three_body_stationkeeping``; its keys
``target_revs``, ``burn_points`` and ``min_dv_mps`` replace ``box``. Nothing is planned or
inserted at load for it: the mission flies its orbit as the reference (the patch-point jumps are
already in ``maneuvers``), and the burns that keep a real spacecraft there come from navigation and
execution errors — a statistical budget, which ``lunarscope design stationkeeping`` computes
(docs/mission-file.md#station_keeping).
"""

from __future__ import annotations

import dataclasses

from ..errors import InputError
from ..time import parse_duration_s
from .reader import Section

#: Keys of ``station_keeping:``.
STATION_KEEPING_KEYS = {"box", "span", "od_sigma", "exec_sigma", "seed", "runs", "engineering"} | {
    "strategy",
    "target_revs",
    "burn_points",
    "min_dv_mps",
    "policy",
}
#: Strategies: ``deadband`` (the box, low orbits and ELFOs) and ``x_axis_crossing`` (three-body orbits).
STRATEGIES = ("deadband", "x_axis_crossing")
#: Keys of the x_axis_crossing strategy only.
THREE_BODY_KEYS = ("target_revs", "burn_points", "min_dv_mps")
#: Keys of ``station_keeping.engineering``.
ENGINEERING_KEYS = {"name", "duration", "before"}
#: Default engineering block per burn: 1 h starting 30 min before the burn (slew to the burn
#: attitude, burn, settle); an assumed operations figure, change it to the spacecraft's.
DEFAULT_BLOCK_DURATION = "1 h"
DEFAULT_BLOCK_BEFORE = "30 min"
DEFAULT_BLOCK_NAME = "station-keeping"


@dataclasses.dataclass(frozen=True)
class StationKeeping:
    """The parsed section: box, planning span (s), Monte Carlo settings, block settings, and the
    nominal run (``design.stationkeeping.Run``) whose burns were inserted."""

    box: object
    span_s: float
    od_position_km: tuple
    od_velocity_kms: tuple
    magnitude_frac: float
    pointing_deg: float
    seed: int
    runs: int
    block_name: str
    block_duration_s: float
    block_before_s: float
    nominal: object = None
    strategy: str = "deadband"
    target_revs: int | None = None  # x_axis_crossing: None = the family's default
    burn_points: str | None = None
    min_dv_kms: float | None = None
    policy: str = "auto"  # deadband: design.stationkeeping.POLICIES


def parse(root: Section, mission) -> StationKeeping | None:
    """The section, validated (no planning); None when the file has none."""
    from ..design import stationkeeping as sk
    from ..design import three_body_stationkeeping as tb

    if not root.has("station_keeping"):
        return None
    sec = root.section("station_keeping", STATION_KEEPING_KEYS)
    family = family_of(mission)
    strategy = sec.choice("strategy", STRATEGIES, default="x_axis_crossing" if family else "deadband")
    opts = {}  # strategy-specific fields of StationKeeping
    if strategy == "x_axis_crossing":
        if not family:
            raise InputError(
                "station_keeping.strategy",
                "x_axis_crossing is for three-body orbits (orbit: {family: nrho|halo|dro}); use a box for this orbit",
            )
        for k in ("box", "policy"):
            if sec.has(k):
                raise InputError(
                    f"station_keeping.{k}",
                    "is for strategy deadband; x_axis_crossing keeps a three-body orbit near its reference without a box",
                )
        box = None
        if sec.has("burn_points"):
            opts["burn_points"] = sec.choice("burn_points", tb.BURN_POINTS)
        if sec.has("target_revs"):
            opts["target_revs"] = sec.number("target_revs", minimum=1, maximum=tb.MAX_TARGET_REVS, integer=True)
        opts["min_dv_kms"] = (
            sec.number("min_dv_mps", 1000.0 * tb.DEFAULT_MIN_DV_KMS, minimum=0, maximum=1000, unit="m/s") / 1000.0
        )
        d = tb.default_errors()
    else:
        if family:
            raise InputError(
                "station_keeping.strategy",
                f"{strategy} (a box on mean apsides) does not fit a three-body orbit (orbit.family: {family}); "
                "use strategy: x_axis_crossing",
            )
        extra = [k for k in THREE_BODY_KEYS if sec.has(k)]
        if extra:
            raise InputError(f"station_keeping.{extra[0]}", "is a key of strategy: x_axis_crossing (three-body orbits)")
        box = sk.parse_box(sec.required("box"), "station_keeping.box")
        opts["policy"] = sec.choice("policy", sk.POLICIES, default=sk.DEFAULT_POLICY)
        d = sk.Errors.default()
    span = mission.t_stop - mission.t_start
    if sec.has("span"):
        span = parse_duration_s(sec.raw["span"], "station_keeping.span")
        if not 0 < span <= mission.t_stop - mission.t_start + 1e-6:
            raise InputError("station_keeping.span", "must be > 0 and not longer than the mission span")
    pos, vel = d.od_position_km, d.od_velocity_kms
    if sec.has("od_sigma"):
        od = sec.section("od_sigma", {"position_m", "velocity_mps"})
        if od.has("position_m"):
            pos = _sigmas(od.raw["position_m"], "station_keeping.od_sigma.position_m")
        if od.has("velocity_mps"):
            vel = _sigmas(od.raw["velocity_mps"], "station_keeping.od_sigma.velocity_mps")
    mag, point = d.magnitude_frac, d.pointing_deg
    if sec.has("exec_sigma"):
        ex = sec.section("exec_sigma", {"magnitude_pct", "pointing_deg"})
        mag, point = sk.parse_exec_sigma(
            [
                ex.number("magnitude_pct", 100 * mag, minimum=0, maximum=99),
                ex.number("pointing_deg", point, minimum=0, maximum=89),
            ],
            "station_keeping.exec_sigma",
        )
    eng = sec.section("engineering", ENGINEERING_KEYS)
    dur = parse_duration_s(eng.raw.get("duration", DEFAULT_BLOCK_DURATION), "station_keeping.engineering.duration")
    before = parse_duration_s(eng.raw.get("before", DEFAULT_BLOCK_BEFORE), "station_keeping.engineering.before")
    if before > dur:
        raise InputError(
            "station_keeping.engineering.before", "must not exceed duration (the burn lies inside its block)"
        )
    return StationKeeping(
        box,
        span,
        pos,
        vel,
        mag,
        point,
        sec.number("seed", 1, minimum=0, integer=True),
        sec.number("runs", 200, minimum=1, maximum=sk.MAX_RUNS, integer=True),
        eng.string("name", DEFAULT_BLOCK_NAME),
        dur,
        before,
        strategy=strategy,
        **opts,
    )


def family_of(mission) -> str | None:
    """``orbit.family`` of the mission's file, or None."""
    raw = mission.raw.get("orbit") if isinstance(getattr(mission, "raw", None), dict) else None
    return str(raw["family"]) if isinstance(raw, dict) and raw.get("family") is not None else None


def _sigmas(v, key: str) -> tuple:
    """Three per-axis sigmas (R, T, N) in km or km/s from one number or three (m or m/s)."""
    import math

    vals = list(v) if isinstance(v, (list, tuple)) else [v, v, v]
    try:
        vals = [float(x) for x in vals]
    except (TypeError, ValueError):
        raise InputError(key, f"{v!r} must be a number or [R, T, N] numbers (m or m/s)") from None
    if len(vals) != 3 or not all(math.isfinite(x) and x >= 0 for x in vals):
        raise InputError(key, f"{v!r} must be one number or three [R, T, N], each finite and >= 0")
    return tuple(x / 1000.0 for x in vals)


def context(
    mission,
    spec: StationKeeping,
    fixed_maneuvers=None,
    key: str = "station_keeping.box",
    policy_key: str = "station_keeping.policy",
):
    """The planner's context for ``mission`` (its force model, tolerances, own maneuvers, the
    section's targeting policy)."""
    from ..design import stationkeeping as sk

    p = mission.propagator
    return sk.make_context(
        spec.box,
        mission.state0_icrf,
        mission.t_start,
        mission.t_start + spec.span_s,
        mission.force_model,
        fixed_maneuvers=tuple(mission.maneuvers) if fixed_maneuvers is None else fixed_maneuvers,
        key=key,
        policy=spec.policy,
        policy_key=policy_key,
        **p.integrator_kwargs(),
    )


def blocks(mission, spec: StationKeeping, burns) -> list:
    """One engineering block per burn ([t - before, t - before + duration], inside the span);
    blocks that overlap are merged into one."""
    from .operations import one_off_block

    spans = []
    for m in sorted(burns, key=lambda m: m.t):
        a = max(mission.t_start, m.t - spec.block_before_s)
        b = min(mission.t_stop, a + spec.block_duration_s)
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return [one_off_block(spec.block_name, a, b - a, mission) for a, b in spans]


def attach(mission, root: Section):
    """Plan the nominal station keeping of ``station_keeping:`` and insert its burns into
    ``mission.maneuvers`` and their blocks into ``mission.operations.engineering``; the section
    (with the nominal run) is ``mission.station_keeping``."""
    from ..design import stationkeeping as sk

    spec = parse(root, mission)
    if spec is None:
        return mission
    if spec.strategy == "x_axis_crossing":  # nothing to insert (module docstring)
        return dataclasses.replace(mission, station_keeping=spec)
    ctx = context(mission, spec)
    run = sk.simulate(ctx, mission.state0_icrf)
    spec = dataclasses.replace(spec, nominal=run)
    maneuvers = tuple(sorted(tuple(mission.maneuvers) + tuple(run.maneuvers), key=lambda m: m.t))
    mission = dataclasses.replace(mission, maneuvers=maneuvers)
    ops = mission.operations
    if ops is not None:
        ops = dataclasses.replace(ops, engineering=tuple(ops.engineering) + tuple(blocks(mission, spec, run.maneuvers)))
        mission = dataclasses.replace(mission, operations=ops)
    return dataclasses.replace(mission, station_keeping=spec)


def load_for_design(path: str):
    """(mission without its ``station_keeping`` section — so without planned burns —, the
    section parsed against it or None, the raw mapping, the file's folder) for
    ``lunarscope design stationkeeping``."""
    import os

    from .core import check_mission, load_mission, mission_from_dict
    from .reader import load_yaml_file

    raw = load_yaml_file(path, "mission")
    if not isinstance(raw, dict) or "station_keeping" not in raw:
        return load_mission(path), None, raw, os.path.dirname(os.path.abspath(path))
    base = os.path.dirname(os.path.abspath(path))
    bare = {k: v for k, v in raw.items() if k != "station_keeping"}
    mission = mission_from_dict(bare, base, str(path))
    check_mission(mission)
    return mission, parse(Section(raw, ""), mission), bare, base


#: Keys whose string values are file paths (made absolute in a written mission file).
PATH_KEYS = ("file", "catalogue", "spk", "moon_pck")


def _absolute_paths(obj, base: str):
    import os

    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in PATH_KEYS and isinstance(v, str) and not os.path.isabs(os.path.expanduser(v)):
                out[k] = os.path.normpath(os.path.join(base, os.path.expanduser(v)))
            else:
                out[k] = _absolute_paths(v, base)
        return out
    if isinstance(obj, list):
        return [_absolute_paths(v, base) for v in obj]
    return obj


def mission_with_maneuvers(raw: dict, base: str, mission, spec: StationKeeping, burns) -> dict:
    """The mission mapping ``raw`` (without ``station_keeping``) with ``burns`` appended under
    ``maneuvers`` (UTC, m/s, RTN) and one ``engineering`` entry (``at``, ``duration``) per block;
    relative file paths made absolute against ``base`` (the written file may live elsewhere)."""
    from ..time import to_iso_utc

    out = _absolute_paths({k: v for k, v in raw.items() if k != "station_keeping"}, base)
    man = list(out.get("maneuvers") or [])
    for m in burns:
        man.append(
            {
                "time": str(to_iso_utc([m.t], 3)[0]),
                "dv_mps": [round(1000.0 * x, 6) for x in m.dv_kms],
                "frame": m.frame,
            }
        )
    out["maneuvers"] = man
    eng = list(out.get("engineering") or [])
    for b in blocks(mission, spec, burns):
        eng.append({"name": b.name, "at": str(to_iso_utc([b.first_start], 3)[0]), "duration": f"{b.duration_s:g} s"})
    out["engineering"] = eng
    return out
