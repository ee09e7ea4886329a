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
from ..scheduling.greedy import greedy
from ..scheduling.cpsat import cpsat
from ..scheduling.problem import EngineeringBlock, Problem, Spacecraft, Station, Target
from ..scheduling.requests import Request
from ..scheduling.slew import SlewModel
from ..time import to_tdb
from .operations import resolve_requests

#: Field names of the scheduling core mapped to the mission keys users wrote.
_FIELD_MAP = {
    "spacecraft.recorder_capacity_mbit": "recorder.capacity_mbit",
    "spacecraft.recorder_initial_mbit": "recorder.initial_mbit",
    "spacecraft.slew.max_rate_deg_s": "telescope.slew.max_rate_deg_s",
    "spacecraft.slew.max_accel_deg_s2": "telescope.slew.max_accel_deg_s2",
    "spacecraft.slew.settle_s": "telescope.slew.settle_s",
}


def _earth_direction(trajectory, ephemeris):
    def f(t):
        t = np.atleast_1d(np.asarray(t, float))
        d = ephemeris.position("earth", "moon", t) - trajectory.position(t)
        return d / np.linalg.norm(d, axis=1)[:, None]

    return f


def build_problem(mission, windows, trajectory=None) -> Problem:
    """The scheduling problem of ``mission`` given its ``windows`` (a WindowSet or a mapping
    ``(kind, subject) -> Windows``)."""
    from ..ephemeris import load_ephemeris
    from ..windows.intervals import Windows

    ops, obs = mission.operations, mission.observing
    t_mid = 0.5 * (mission.t_start + mission.t_stop)
    targets = [Target(t.name, t.unit_vector(t_mid), windows.get(("target_visible", t.name), Windows.empty()))
               for t in obs.targets]
    names = [s.name for s in obs.stations]
    use = ops.downlink_stations if ops.downlink_stations is not None else tuple(names)
    earth_dir = None
    if ops.antenna == "body_fixed":
        if trajectory is None:
            raise InputError("telescope.antenna", "body_fixed needs the trajectory (Earth pointing)")
        earth_dir = _earth_direction(trajectory, load_ephemeris(mission.force_model.ephemeris_path))
    stations = []
    for k, name in enumerate(use):
        spec = obs.station(name, f"downlink.stations[{k}]")
        rate = spec.downlink_mbps if spec.downlink_mbps is not None else ops.default_downlink_mbps
        if rate is None:
            raise InputError("downlink.default_rate_mbps",
                             f"required: station {name!r} has no downlink_mbps of its own")
        if not rate > 0:
            raise InputError(f"stations[{name}].downlink_mbps", f"{rate} must be > 0 Mbit/s")
        stations.append(Station(name, windows.get(("contact", name), Windows.empty()), rate, earth_dir))
    requests = [Request(r.target, r.exposure_s, r.min_visit_s, r.priority, r.visits, r.cadence_s,
                        None if r.valid_from is None and r.valid_to is None else
                        (r.valid_from if r.valid_from is not None else mission.t_start,
                         r.valid_to if r.valid_to is not None else mission.t_stop),
                        r.data_rate_mbps, r.name)
                for r in resolve_requests(mission.operations, mission.observing)]
    engineering = [EngineeringBlock(e.name, e.period_s, e.duration_s, e.flex_s, e.first_start)
                   for e in ops.engineering]
    try:
        sc = Spacecraft(SlewModel(ops.max_rate_deg_s, ops.max_accel_deg_s2, ops.settle_s),
                        ops.recorder_capacity_mbit, ops.recorder_initial_mbit, ops.antenna)
        return Problem(mission.t_start, mission.t_stop, targets, stations, requests, sc, engineering)
    except InputError as exc:
        field = _FIELD_MAP.get(exc.field, exc.field)
        if field.startswith("requests[") and mission.operations.requests_from_catalogue:
            field = "targets.catalogue " + field
        raise InputError(field, exc.problem) from None


#: Up to this many requests ``solve`` runs the time decomposition (bound and warm start).
DECOMPOSITION_MAX_REQUESTS = 100
#: Shares of ``time_limit_s`` for the decomposition's column generation and its selection MIP.
DECOMPOSITION_SHARE = 0.45
SELECT_SHARE = 0.15
#: Seconds of the time limit kept for CP-SAT's last window to finish and the plan to be checked.
FINISH_RESERVE_S = 0.5
#: Sweeps of CP-SAT's large-neighbourhood search over the span after the decomposition (each
#: shifted; the time limit still applies). Without it one sweep, which on the shipped missions
#: ends inside the time limit, so their plans are reproducible.
LNS_PASSES = 3


def solve(problem: Problem, solver: str = "cpsat", time_limit_s: float = 60.0, seed: int = 0,
          workers: int = 2):
    """The better of the greedy dispatcher and value-first insertion (both validated); for
    ``cpsat`` with at most ``DECOMPOSITION_MAX_REQUESTS`` requests whose usable windows fall
    into separate blocks (``decomposition.applies``) also the time decomposition
    (``scheduling.decomposition``: a tighter bound, and its repaired plan when that is better),
    then CP-SAT warm-started from the best. ``time_limit_s`` covers all of it. The schedule
    carries ``relaxation_bound``: the smallest valid upper bound computed (LP relaxation, or
    the decomposition's), so its fraction of the bound is known."""
    from ..scheduling.bounds import relaxation_bound
    from ..scheduling.decomposition import applies, decompose
    from ..scheduling.insertion import insertion
    from ..scheduling.repair import repair
    from ..scheduling.validate import validate

    import time

    t0 = time.perf_counter()
    plan = greedy(problem)
    alt = insertion(problem)
    if alt is not None and not validate(alt, problem) and alt.science_value(problem) > plan.science_value(problem):
        plan = alt
    bound = None
    dec_info = None
    if solver != "greedy" and 0 < len(problem.requests) <= DECOMPOSITION_MAX_REQUESTS and applies(problem):
        dec = decompose(problem, hint=plan, time_limit_s=DECOMPOSITION_SHARE * time_limit_s)
        bound = dec.bound
        cand, bad = repair(problem, dec.select(SELECT_SHARE * time_limit_s), stretch_s=np.inf,
                           delay_for_cadence=True, scheduler="decomposition")
        dec_info = {k: v for k, v in dec.info.items() if k != "history"}
        dec_info["repaired_value"] = cand.science_value(problem) if not bad else None
        if not bad and cand.science_value(problem) > plan.science_value(problem):
            plan = cand
    if solver != "greedy":
        # the limit covers the warm start; keep a moment for the final rebuild and checks
        left = max(1.0, time_limit_s - (time.perf_counter() - t0) - FINISH_RESERVE_S)
        plan = cpsat(problem, time_limit_s=left, workers=workers, seed=seed, hint=plan,
                     passes=LNS_PASSES if dec_info is not None else 1)
        if dec_info is not None:
            plan.info["decomposition"] = dec_info
    if plan.relaxation_bound is None:
        plan.relaxation_bound = relaxation_bound(problem)
    if bound is not None and bound < plan.relaxation_bound:
        plan.relaxation_bound = bound
        plan.bound_source = "time decomposition"
    return plan


def read_windows_csv(path: str, t_start: float, t_stop: float):
    """Windows written by ``lunarscope windows`` → mapping (kind, subject) → Windows."""
    from ..windows.intervals import Windows

    try:
        with open(path, newline="", encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise InputError("--windows", f"cannot read {path}: {exc.strerror}") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    need = {"kind", "subject", "start_utc", "stop_utc"}
    if not rows and not text.startswith("kind,"):
        raise InputError("--windows", f"{path} is not a windows CSV (columns kind,subject,start_utc,stop_utc,duration_s)")
    if rows and not need <= set(rows[0]):
        raise InputError("--windows", f"{path}: needs columns kind,subject,start_utc,stop_utc")
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["kind"], r["subject"]), []).append((r["start_utc"], r["stop_utc"]))
    out = {}
    for key, pairs in groups.items():
        a = to_tdb([p[0] for p in pairs], "--windows start_utc")
        b = to_tdb([p[1] for p in pairs], "--windows stop_utc")
        out[key] = Windows(a, b)
    if rows:
        lo = min(float(w.starts.min()) for w in out.values() if len(w))
        hi = max(float(w.stops.max()) for w in out.values() if len(w))
        if hi < t_start or lo > t_stop:
            raise InputError("--windows", f"{path} does not overlap the mission span")
    return out
