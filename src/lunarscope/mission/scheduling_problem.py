"""From a mission and its windows to a scheduling problem, and to a schedule.

The scheduler core (``lunarscope.scheduling``) works on plain data; this module maps the
mission file onto it: targets with their ``target_visible`` windows, stations with their
``contact`` windows and downlink rates, requests (inline or from catalogue columns),
engineering blocks, slew model and recorder. Errors name mission keys.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from ..errors import InputError
from ..scheduling.problem import EngineeringBlock, Platform, Problem, Station, Target
from ..scheduling.requests import Request, intersect
from ..scheduling.slew import SlewModel
from ..time import to_tdb
from .operations import resolve_requests
from .snr_requests import snr_request, source_model

#: Field names of the scheduling core mapped to the mission keys users wrote.
_FIELD_MAP = {
    "spacecraft.recorder_capacity_mbit": "recorder.capacity_mbit",
    "spacecraft.recorder_initial_mbit": "recorder.initial_mbit",
    "spacecraft.slew.max_rate_deg_s": "telescope.slew.max_rate_deg_s",
    "spacecraft.slew.max_accel_deg_s2": "telescope.slew.max_accel_deg_s2",
    "spacecraft.slew.settle_s": "telescope.slew.settle_s",
}


def _earth_direction(trajectory, ephemeris):
    """Picklable f(t) -> (N,3) spacecraft-to-Earth unit vectors (``states.earth_direction``)."""
    from ..states import EarthDirection

    return EarthDirection(ephemeris, trajectory)


def build_problem(mission, windows, trajectory=None) -> Problem:
    """The scheduling problem of ``mission`` given its ``windows`` (a WindowSet or a mapping
    ``(kind, subject) -> Windows``). The Earth direction of a body-fixed antenna uses the
    mission's ephemeris (``mission.sources``). SNR requests (``mission.snr_requests``) become
    exposure requests with an efficiency; their models are kept in ``problem.snr_models``
    (request index -> ``SnrModel``) for the achieved SNR in the plan."""
    from ..windows.intervals import Windows

    ops, obs = mission.operations, mission.observing
    t_mid = 0.5 * (mission.t_start + mission.t_stop)
    targets = [
        Target(t.name, t.unit_vector(t_mid), windows.get(("target_visible", t.name), Windows.empty()))
        for t in obs.targets
    ]
    names = [s.name for s in obs.stations]
    use = ops.downlink_stations if ops.downlink_stations is not None else tuple(names)
    earth_dir = None
    if ops.antenna == "body_fixed":
        if trajectory is None:
            raise InputError("telescope.antenna", "body_fixed needs the trajectory (Earth pointing)")
        earth_dir = _earth_direction(trajectory, mission.sources.ephemeris)
    stations = []
    for k, name in enumerate(use):
        spec = obs.station(name, f"downlink.stations[{k}]")
        rate = spec.downlink_mbps if spec.downlink_mbps is not None else ops.default_downlink_mbps
        if rate is None:
            raise InputError(
                "downlink.default_rate_mbps", f"required: station {name!r} has no downlink_mbps of its own"
            )
        if not rate > 0:
            raise InputError(f"stations[{name}].downlink_mbps", f"{rate} must be > 0 Mbit/s")
        stations.append(Station(name, windows.get(("contact", name), Windows.empty()), rate, earth_dir))
    requests, snr_models = [], {}
    vis_of = {t.name: t.visibility for t in targets}
    dir_of = {t.name: t.direction for t in targets}
    for i, r in enumerate(resolve_requests(mission.operations, mission.observing)):
        validity = (
            None
            if r.valid_from is None and r.valid_to is None
            else (
                r.valid_from if r.valid_from is not None else mission.t_start,
                r.valid_to if r.valid_to is not None else mission.t_stop,
            )
        )
        exposure, min_visit, efficiency = r.exposure_s, r.min_visit_s, None
        if r.mag_ab is not None:
            usable = vis_of[r.target]
            if validity is not None:
                usable = intersect(usable, np.array([validity], float))
            snr_models[i] = source_model(mission, r, dir_of[r.target], trajectory, usable)
            if r.is_snr:
                exposure, efficiency, min_visit, snr_models[i] = snr_request(snr_models[i], r, usable)
        requests.append(
            Request(
                r.target,
                exposure,
                min_visit,
                r.priority,
                r.visits,
                r.cadence_s,
                validity,
                r.data_rate_mbps,
                r.name,
                efficiency=efficiency,
            )
        )
    engineering = [EngineeringBlock(e.name, e.period_s, e.duration_s, e.flex_s, e.first_start) for e in ops.engineering]
    try:
        sc = Platform(
            SlewModel(ops.max_rate_deg_s, ops.max_accel_deg_s2, ops.settle_s),
            ops.recorder_capacity_mbit,
            ops.recorder_initial_mbit,
            ops.antenna,
        )
        problem = Problem(mission.t_start, mission.t_stop, targets, stations, requests, sc, engineering)
    except InputError as exc:
        field = _FIELD_MAP.get(exc.field, exc.field)
        if field.startswith("requests[") and mission.operations.requests_from_catalogue:
            field = "targets.catalogue " + field
        raise InputError(field, exc.problem) from None
    problem.snr_models = snr_models  # request index -> SnrModel (mission.snr_requests), for the report
    return problem


def solve_mission(mission, problem, solver=None, time_limit_s=None, progress=None, hint=None):
    """Schedule ``problem`` with the mission's ``scheduling`` settings (``portfolio.solve``);
    ``solver`` and ``time_limit_s`` override the mission's when given."""
    from ..scheduling.portfolio import solve

    ops = mission.operations
    return solve(
        problem,
        solver or ops.solver,
        time_limit_s or ops.time_limit_s,
        ops.seed,
        ops.workers,
        work_limit=ops.work_limit,
        progress=progress,
        hint=hint,
        hierarchy=ops.hierarchy,
        plan_window_days=ops.plan_window_days,
    )


#: Largest windows CSV read, bytes (~4 million windows).
MAX_WINDOWS_CSV_BYTES = 256 * 1024 * 1024
#: A window may end this far outside the mission span and still belong to it (s): the
#: CSV carries microseconds, the finder's tolerance is at most 10 s.
WINDOWS_SPAN_SLACK_S = 10.0


def read_windows_csv(path: str, t_start: float, t_stop: float, mission=None):
    """Windows written by ``lunarscope windows`` → mapping (kind, subject) → Windows.

    The file must lie inside the span ``t_start .. t_stop`` (TDB s); with ``mission`` its kinds
    and subjects (stations, sites, targets) must be the mission's, so another mission's file
    is named as such instead of being scheduled."""
    from ..time import short, to_iso_utc
    from ..windows.intervals import Windows
    from .observing import KINDS
    from .reader import decode_text, read_limited

    p = short(str(path))
    text = decode_text(
        read_limited(path, "--windows", MAX_WINDOWS_CSV_BYTES, "windows CSV"), path, "--windows", "windows CSV"
    )
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError("--windows", f"{p} is not a readable CSV ({exc})") from None
    need = {"kind", "subject", "start_utc", "stop_utc"}
    if not rows and not text.startswith("kind,"):
        raise InputError("--windows", f"{p} is not a windows CSV (columns kind,subject,start_utc,stop_utc,duration_s)")
    if rows and not need <= set(rows[0]):
        raise InputError("--windows", f"{p}: needs columns kind,subject,start_utc,stop_utc")
    groups: dict = {}
    for r in rows:
        if any(r.get(c) is None for c in need):
            raise InputError("--windows", f"{p}: a row has fewer fields than the header")
        groups.setdefault((r["kind"], r["subject"]), []).append((r["start_utc"], r["stop_utc"]))
    if mission is not None and mission.observing is not None:
        obs = mission.observing
        subjects = {
            "contact": {s.name for s in obs.stations},
            "target_visible": {t.name for t in obs.targets},
            "target_occulted": {t.name for t in obs.targets},
        }
        for kind in ("site_pass", "site_sunlit", "site_earth_visible"):
            subjects[kind] = {s.name for s in obs.sites}
        for kind, subject in groups:
            if kind not in KINDS:
                raise InputError("--windows", f"{p}: unknown window kind {short(kind)}; kinds: {', '.join(KINDS)}")
            if kind in subjects and subject not in subjects[kind]:
                what = {"contact": "station", "target_visible": "target", "target_occulted": "target"}.get(kind, "site")
                raise InputError(
                    "--windows",
                    f"{p} has {kind} windows for {short(subject)}, which is not a "
                    f"{what} of this mission (another mission's windows?)",
                )
    out = {}
    for key, pairs in groups.items():
        a = to_tdb([p_[0] for p_ in pairs], "--windows start_utc")
        b = to_tdb([p_[1] for p_ in pairs], "--windows stop_utc")
        if np.any(b < a):
            raise InputError("--windows", f"{p}: a {key[0]} window of {short(key[1])} stops before it starts")
        out[key] = Windows(a, b)
    if rows:
        lo = min(float(w.starts.min()) for w in out.values() if len(w))
        hi = max(float(w.stops.max()) for w in out.values() if len(w))
        if lo < t_start - WINDOWS_SPAN_SLACK_S or hi > t_stop + WINDOWS_SPAN_SLACK_S:
            a, b = to_iso_utc([lo, hi], 0)
            c, d = to_iso_utc([t_start, t_stop], 0)
            raise InputError(
                "--windows",
                f"{p} holds windows from {a} to {b}, outside the mission span {c} .. {d} (another mission's windows?)",
            )
    return out
