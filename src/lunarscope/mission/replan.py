"""``lunarscope replan``: add targets of opportunity to a finished plan from a time on.

Reads a ``plan`` output folder (its summary.json names the mission file and its sha256; its
windows.csv and schedule_tdb.csv give the windows and the exact plan, so nothing is searched
again for the old targets), the ToO file (``targets`` and ``requests`` in the mission file's
format, parsed by the same code, plus ``too_class``), works out when a change can take effect
(``mission.commanding``), re-plans the rest (``scheduling.replan``) and writes a full output
folder as ``plan`` does (``plan.write_products``) with a ``replan`` block in summary.json and
``diff.csv``. A replan folder can be re-planned: the ToO files of its ``replan.history`` are
read again (sha256 checked) and applied at their own triggers first. Documented in
docs/replan.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from ..constants import SECONDS_PER_DAY
from ..errors import InputError
from ..time import short, to_iso_utc
from .reader import MAX_MISSION_BYTES, Section, load_yaml_file, read_limited

#: ToO urgency classes after JWST's rapid-response categories ("Review and Implementation of
#: Rapid Response Observations on JWST", JWST User Documentation, jwst-docs.stsci.edu:
#: ultra-disruptive < 2 days from activation to the first observation, disruptive 2–14 days,
#: non-disruptive > 14 days). Per class: (earliest start after the trigger, s; latest end after
#: the trigger, s, None = span end; priority factor). The window becomes the request's
#: validity (intersected with its own valid_from/valid_to).
TOO_CLASSES = {
    "ultra_disruptive": (0.0, 2.0 * SECONDS_PER_DAY, 10.0),
    "disruptive": (0.0, 14.0 * SECONDS_PER_DAY, 3.0),
    "non_disruptive": (14.0 * SECONDS_PER_DAY, None, 1.0),
}
#: Keys of a ToO file: the mission file's ``targets`` and ``requests`` and a default class.
TOO_KEYS = {"targets", "requests", "too_class"}
#: Products of a replan folder besides ``plan.PRODUCTS``.
DIFF_NAME = "diff.csv"
DIFF_COLUMNS = (
    "change",
    "request",
    "target",
    "old_start_utc",
    "old_stop_utc",
    "new_start_utc",
    "new_stop_utc",
    "reason",
)
#: Two visits of one request whose starts and stops agree to this (s) are the same visit.
SAME_VISIT_S = 1e-6


@dataclass(frozen=True)
class TooSpec:
    """A parsed ToO file: new targets (``observing.TargetSpec``), requests
    (``operations.RequestSpec``) and each request's class (None: no class)."""

    path: str
    targets: tuple
    requests: tuple
    classes: tuple


@dataclass
class ReplanResult:
    outdir: str
    problem: object
    schedule: object
    old_schedule: object
    block: dict
    plan: object


# ====================================================================== inputs


def read_summary(outdir: str) -> dict:
    """summary.json of a plan output folder, or an InputError naming OUTDIR."""
    path = os.path.join(outdir, "summary.json")
    if not os.path.isdir(outdir):
        raise InputError("OUTDIR", f"{short(str(outdir))} is not a folder (give a 'lunarscope plan' output folder)")
    if not os.path.isfile(path):
        raise InputError("OUTDIR", f"{short(str(outdir))} has no summary.json: not a 'lunarscope plan' output folder")
    try:
        data = json.loads(read_limited(path, "OUTDIR", MAX_MISSION_BYTES * 16, "summary.json").decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("OUTDIR", f"{short(path)} is not valid JSON ({short(str(exc))})") from None
    if not isinstance(data, dict) or not isinstance(data.get("mission"), dict):
        raise InputError("OUTDIR", f"{short(path)} is not a lunarscope summary.json")
    return data


def mission_of(outdir: str, summary: dict):
    """The mission that made ``outdir``: summary.json's ``mission.file``, refused when missing or
    when its sha256 is not the one recorded."""
    from .core import load_mission
    from .plan import mission_file_identity

    m = summary["mission"]
    path, digest = m.get("file"), m.get("sha256")
    if not path or not digest:
        raise InputError(
            "OUTDIR",
            f"{short(str(outdir))}/summary.json does not name its mission file (made before "
            "lunarscope recorded it); run 'lunarscope plan' again",
        )
    if not os.path.isfile(path):
        raise InputError("OUTDIR", f"the mission file {short(path)} that made this plan no longer exists")
    if mission_file_identity(path)["sha256"] != digest:
        raise InputError(
            "OUTDIR",
            f"the mission file {short(path)} changed since this plan was made (sha256 differs); "
            "re-run 'lunarscope plan' with it first",
        )
    return load_mission(path)


def parse_too(path: str, mission) -> TooSpec:
    """The ToO file: ``targets`` (as the mission's; names new or the mission's own),
    ``requests`` (as the mission's, plus ``too_class``) and a default ``too_class``. Without
    ``requests`` every new target with ``exposure_s`` is one request (as in a mission)."""
    from .observing import parse_targets
    from .operations import REQUEST_COLUMNS, REQUEST_KEYS, request_from_mapping

    raw = load_yaml_file(path, "--add")
    if not isinstance(raw, dict):
        raise InputError("--add", f"{short(str(path))} must be a mapping with targets: and/or requests:")
    root = Section(raw, "", TOO_KEYS)
    if not root.has("targets") and not root.has("requests"):
        raise InputError("--add", f"{short(str(path))} has neither targets nor requests")
    base = os.path.dirname(os.path.abspath(path))
    default_class = root.choice("too_class", tuple(TOO_CLASSES), None)
    targets = parse_targets(root, base)
    old = {t.name for t in mission.observing.targets}
    for t in targets:
        if t.name in old:
            raise InputError(
                "targets", f"{short(t.name)} is already a target of the mission; refer to it in requests instead"
            )
    specs, classes = [], []
    if root.has("requests"):
        for k, item in enumerate(root.items("requests")):
            sec = Section(item, f"requests[{k}]", REQUEST_KEYS | {"too_class"})
            specs.append(request_from_mapping(sec))
            classes.append(sec.choice("too_class", tuple(TOO_CLASSES), default_class))
    else:
        for t in targets:
            cols = {c: v for c, v in t.extra.items() if c in REQUEST_COLUMNS and v is not None}
            if "exposure_s" in cols:
                specs.append(request_from_mapping(Section(cols, f"targets[{t.name}]"), {"target": t.name}))
                classes.append(default_class)
        if not specs:
            raise InputError("targets", "no target has exposure_s and there is no requests section: nothing to add")
    names = old | {t.name for t in targets}
    for r in specs:
        if r.target not in names:
            raise InputError(
                f"{r.field}.target", f"unknown target {short(r.target)}; not in the ToO file or the mission"
            )
    return TooSpec(os.path.abspath(path), targets, tuple(specs), tuple(classes))


def _sha256(path: str) -> str:
    from .plan import mission_file_identity

    return mission_file_identity(path)["sha256"]


def _with_targets(mission, targets):
    """``mission`` with ``targets`` (``TargetSpec``) added to its observing targets."""
    obs = mission.observing
    return dataclasses.replace(mission, observing=dataclasses.replace(obs, targets=tuple(obs.targets) + tuple(targets)))


def _earlier_too(entry: dict, mission) -> TooSpec:
    """The ToO file of an earlier replan (summary ``replan.history`` entry), refused when gone or
    changed since (sha256)."""
    path = entry.get("too_file")
    if not path or not os.path.isfile(path):
        raise InputError("OUTDIR", f"the ToO file {short(str(path))} of the re-plan that made this folder is gone")
    if _sha256(path) != entry.get("sha256"):
        raise InputError("OUTDIR", f"the ToO file {short(path)} changed since it was added (sha256 differs)")
    with _errors_in(path):
        return parse_too(path, mission)


def _errors_in(path: str):
    """Context: InputErrors raised while reading the ToO file name it (``--add FILE: key: ...``)."""

    class _Ctx:
        def __enter__(self):
            return self

        def __exit__(self, kind, exc, tb):
            if isinstance(exc, InputError) and not str(exc.field).startswith("--add"):
                raise InputError(f"--add {short(str(path))}: {exc.field}", exc.problem) from None
            return False

    return _Ctx()


def read_timeline(path: str, problem):
    """schedule_tdb.csv (``plan.TIMELINE_COLUMNS``) → visits (request, start, stop), engineering
    starts (``problem.engineering_nominal`` order) and body-fixed passes (row, start, stop)."""
    import csv
    import io

    from ..scheduling.replan import _row_of_pass
    from ..scheduling.schedule import Activity
    from .plan import TIMELINE_COLUMNS

    p = short(str(path))
    if not os.path.isfile(path):
        raise InputError("OUTDIR", f"{p} is missing (the plan was made before lunarscope wrote it); run plan again")
    text = read_limited(path, "OUTDIR", 256 * 1024 * 1024, "schedule_tdb.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and set(rows[0]) != set(TIMELINE_COLUMNS):
        raise InputError("OUTDIR", f"{p}: columns must be {','.join(TIMELINE_COLUMNS)}")
    names = {n: i for i, n in enumerate(problem.request_names)}
    stations = {s.name: i for i, s in enumerate(problem.stations)}
    visits, passes = [], []
    eng = {}
    body_fixed = problem.spacecraft.antenna == "body_fixed"
    try:
        for r in rows:
            s, e = float(r["start_tdb"]), float(r["stop_tdb"])
            if r["activity"] == "observe":
                if r["request"] not in names:
                    raise InputError("OUTDIR", f"{p}: request {short(r['request'])} is not a request of the mission")
                visits.append((names[r["request"]], s, e))
            elif r["activity"] == "engineering":
                eng[int(r["block"])] = s
            elif r["activity"] == "downlink" and body_fixed and r["contact"] != "":
                a = Activity("downlink", s, e, pointing=("earth", stations[r["station"]], int(r["contact"])))
                passes.append((_row_of_pass(problem, a), s, e))
    except (KeyError, ValueError) as exc:
        raise InputError("OUTDIR", f"{p} is not a schedule_tdb.csv written by lunarscope ({short(str(exc))})") from None
    n = len(problem.engineering_nominal)
    if sorted(eng) != list(range(n)):
        raise InputError("OUTDIR", f"{p}: engineering occurrences do not match the mission's ({len(eng)} of {n})")
    return visits, [eng[j] for j in range(n)], passes


def _too_requests(spec: TooSpec, t_trigger: float, mission):
    """Scheduling requests of the ToO file: validity from the class window (and valid_from/to),
    priority × the class factor."""
    from ..scheduling.requests import Request

    out, windows = [], []
    for r, cls in zip(spec.requests, spec.classes):
        if r.is_snr:
            raise InputError(
                f"{r.field}.snr", "a target-of-opportunity request needs exposure_s (SNR requests: plan only)"
            )
        lo, hi = max(t_trigger, mission.t_start), mission.t_stop
        factor = 1.0
        if cls is not None:
            early, late, factor = TOO_CLASSES[cls]
            lo = t_trigger + early
            hi = mission.t_stop if late is None else min(mission.t_stop, t_trigger + late)
        if r.valid_from is not None:
            lo = max(lo, r.valid_from)
        if r.valid_to is not None:
            hi = min(hi, r.valid_to)
        if not hi > lo:
            hi = lo  # an empty window: the request is reported as unschedulable
        windows.append((lo, hi))
        out.append(
            Request(
                r.target,
                r.exposure_s,
                r.min_visit_s,
                r.priority * factor,
                r.visits,
                r.cadence_s,
                (lo, max(hi, np.nextafter(lo, np.inf))),
                r.data_rate_mbps,
                r.name,
            )
        )
    return out, windows


def _too_windows(mission, targets, traj):
    """target_visible / target_occulted windows of the ToO's new targets only."""
    from ..windows.compute import compute_windows
    from .stages import window_job

    if not targets:
        return {}
    obs = mission.observing
    sub = dataclasses.replace(
        mission,
        observing=dataclasses.replace(
            obs,
            stations=(),
            sites=(),
            targets=tuple(targets),
            settings=dataclasses.replace(
                obs.settings,
                kinds=tuple(k for k in obs.settings.kinds if k in ("target_visible", "target_occulted")),
                stations=None,
                sites=None,
            ),
        ),
    )
    return dict(compute_windows(window_job(sub), traj))


# ====================================================================== diff


def diff_rows(old, new, problem, n_old: int) -> tuple[list, dict]:
    """One row per observation (module doc): (change, request, target, old start, old stop,
    new start, new stop, reason) with TDB times (None where absent); and the counts."""

    def visits(s):
        by: dict = {}
        for a in s.activities:
            if a.kind == "observe":
                by.setdefault(a.request, []).append((a.start, a.stop))
        return {k: sorted(v) for k, v in by.items()}

    ov, nv = visits(old), visits(new)
    new_obs = sorted((a for a in new.activities if a.kind == "observe"), key=lambda a: a.start)
    got = new.counted_exposure(problem)
    rows = []
    for i in sorted(set(ov) | set(nv)):
        name, target = problem.request_names[i], problem.requests[i].target
        a_list, b_list = list(ov.get(i, [])), list(nv.get(i, []))
        kept = [
            x
            for x in a_list
            if any(abs(x[0] - y[0]) <= SAME_VISIT_S and abs(x[1] - y[1]) <= SAME_VISIT_S for y in b_list)
        ]
        for x in kept:
            y = next(y for y in b_list if abs(x[0] - y[0]) <= SAME_VISIT_S and abs(x[1] - y[1]) <= SAME_VISIT_S)
            a_list.remove(x)
            b_list.remove(y)
            rows.append(("kept", name, target, x[0], x[1], y[0], y[1], ""))
        for x, y in zip(list(a_list), list(b_list)):
            rows.append(("moved", name, target, x[0], x[1], y[0], y[1], ""))
        for x in a_list[len(b_list) :]:
            rows.append(("dropped", name, target, x[0], x[1], None, None, _why_dropped(x, i, new_obs, problem, got)))
        for y in b_list[len(a_list) :]:
            rows.append(("added", name, target, None, None, y[0], y[1], "new request" if i >= n_old else ""))
    rows.sort(key=lambda r: (r[3] if r[3] is not None else r[5], r[1]))
    counts = {c: sum(1 for r in rows if r[0] == c) for c in ("kept", "moved", "dropped", "added")}
    return rows, counts


def _why_dropped(x, i, new_obs, problem, got) -> str:
    r = problem.requests[i]
    if got[i] >= r.exposure_s - 1e-6:
        return "exposure met by its other visits"
    over = [a for a in new_obs if a.start < x[1] and a.stop > x[0] and a.request != i]
    if over:
        names = sorted({problem.request_names[a.request] for a in over})
        return "time given to " + " ".join(names[:3]) + (" ..." if len(names) > 3 else "")
    return "not re-planned: the solver used the span better without it"


def diff_csv(rows) -> str:
    from ..scheduling.schedule import _csv_cell

    def utc(t):
        return "" if t is None else str(to_iso_utc(t, 3)[0])

    out = [",".join(DIFF_COLUMNS)]
    for c, name, target, a, b, x, y, why in rows:
        out.append(",".join(_csv_cell(v) for v in (c, name, target, utc(a), utc(b), utc(x), utc(y), why)))
    return "\n".join(out) + "\n"


# ====================================================================== the job


def default_outdir(outdir: str, t_at: float) -> str:
    """``OUTDIR-replan-<UTC of --at as YYYYMMDDTHHMMSSZ>`` beside OUTDIR."""
    stamp = str(to_iso_utc(t_at, 0)[0]).replace("-", "").replace(":", "")
    return os.path.abspath(outdir).rstrip(os.sep) + f"-replan-{stamp}"


def run_replan(
    outdir: str,
    too_path: str,
    t_at_text: str,
    *,
    frozen_s: float | None = None,
    newdir: str | None = None,
    solver: str | None = None,
    time_limit_s: float | None = None,
    minimal: bool = False,
    generated_utc: str | None = None,
    stream=None,
) -> ReplanResult:
    """The whole ``lunarscope replan`` job (module doc); returns the new plan and the ``replan``
    block of its summary.json."""
    import datetime as _dt

    from ..io.tables import check_output_folder
    from ..scheduling.assemble import assemble
    from ..scheduling.problem import Problem, Target
    from ..scheduling.replan import first_visible_after, replan, slew_from_last
    from ..scheduling.schedule import Schedule
    from ..scheduling.validate import validate
    from ..time import mission_time
    from ..windows.compute import WindowSet
    from ..windows.intervals import Windows
    from .commanding import free_time
    from .plan import PRODUCTS, TIMELINE_NAME, write_products
    from .run import Progress, propagate_mission, propagation_summary
    from .scheduling_problem import build_problem, read_windows_csv, solve_mission

    t_wall = time.perf_counter()
    stream = stream or sys.stderr
    generated_utc = generated_utc or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    summary = read_summary(outdir)
    mission = mission_of(outdir, summary)
    t_at = mission_time(t_at_text, "--at")
    if not mission.t_start <= t_at < mission.t_stop:
        a, b = to_iso_utc([mission.t_start, mission.t_stop], 0)
        raise InputError("--at", f"{short(t_at_text)} is outside the mission span {a} .. {b}")
    # a replan folder: its ToO files again, in order, at their triggers
    history = list((summary.get("replan") or {}).get("history", []))
    cur, prev_targets, prev_reqs = mission, [], []
    for h in history:
        spec = _earlier_too(h, cur)
        if t_at < h["trigger_tdb"]:
            raise InputError(
                "--at", f"{short(t_at_text)} is before the trigger {h['trigger_utc']} of the plan in OUTDIR"
            )
        prev_targets += list(spec.targets)
        prev_reqs += _too_requests(spec, h["trigger_tdb"], mission)[0]
        cur = _with_targets(cur, spec.targets)
    with _errors_in(too_path):
        too = parse_too(too_path, cur)
    newdir = newdir or default_outdir(outdir, t_at)
    check_output_folder(newdir, "-o")
    if os.path.abspath(newdir) == os.path.abspath(outdir):
        raise InputError("-o", "must not be the folder being re-planned (the old plan is kept)")
    stream.write(f"{mission.describe()}\n")

    prog = Progress("1/4 trajectory and old plan", stream)
    prop = propagate_mission(mission, prog)
    traj = prop.trajectory
    psum = propagation_summary(mission, prop)
    old_windows = read_windows_csv(os.path.join(outdir, "windows.csv"), mission.t_start, mission.t_stop, cur)
    old_problem = build_problem(mission, old_windows, traj)
    if prev_targets or prev_reqs:
        t_mid = 0.5 * (mission.t_start + mission.t_stop)
        old_problem = Problem(
            mission.t_start,
            mission.t_stop,
            list(old_problem.targets)
            + [
                Target(t.name, t.unit_vector(t_mid), old_windows.get(("target_visible", t.name), Windows.empty()))
                for t in prev_targets
            ],
            old_problem.stations,
            list(old_problem.requests) + prev_reqs,
            old_problem.spacecraft,
            old_problem.engineering,
        )
    visits, eng, passes = read_timeline(os.path.join(outdir, TIMELINE_NAME), old_problem)
    old_sched = assemble(old_problem, visits, eng, passes, scheduler=summary["schedule"]["metrics"].get("solver", ""))
    bad = validate(old_sched, old_problem)
    if bad:
        raise InputError("OUTDIR", f"the plan in {short(str(outdir))} breaks a rule of its own mission: {bad[0]}")
    prog.done(f"{len(visits)} observations")

    contacts = {
        name: np.column_stack([w.starts, w.stops]) for (kind, name), w in old_windows.items() if kind == "contact"
    }
    comm = mission.commanding
    missing = [s for s in comm.uplink_stations if s not in contacts]
    if len(missing) == len(comm.uplink_stations):
        raise InputError(
            "commanding.uplink_stations",
            f"no contact windows for {', '.join(comm.uplink_stations) or 'any station'} in windows.csv "
            "(add contact to windows.kinds and the stations to windows.stations)",
        )
    ft = free_time(comm, contacts, t_at, frozen_s)
    if ft["t_free"] is None or ft["t_free"] >= mission.t_stop:
        raise InputError(
            "--at", "no uplink opportunity (commanding.uplink_stations) lets a change take effect before the span ends"
        )
    t_free = ft["t_free"]

    prog = Progress("2/4 ToO windows", stream)
    new_win = _too_windows(mission, too.targets, traj)
    names = [t.name for t in cur.observing.targets] + [t.name for t in too.targets]
    windows = WindowSet(mission.t_start, mission.t_stop, names)
    windows.update(old_windows)
    windows.update(new_win)
    prog.done(f"{sum(len(w) for w in new_win.values())} windows of {len(too.targets)} new targets")

    prog = Progress("3/4 re-plan", stream)
    t_mid = 0.5 * (mission.t_start + mission.t_stop)
    new_targets = [
        Target(t.name, t.unit_vector(t_mid), windows.get(("target_visible", t.name), Windows.empty()))
        for t in too.targets
    ]
    too_reqs, too_win = _too_requests(too, t_at, mission)
    n_old = len(old_problem.requests)
    try:
        problem = Problem(
            mission.t_start,
            mission.t_stop,
            list(old_problem.targets) + new_targets,
            old_problem.stations,
            list(old_problem.requests) + too_reqs,
            old_problem.spacecraft,
            old_problem.engineering,
        )
    except InputError as exc:
        raise InputError(f"--add {short(str(too_path))}: {exc.field}", exc.problem) from None
    old_on_new = Schedule(old_sched.activities, scheduler=old_sched.scheduler)
    asap = [n_old + k for k, c in enumerate(too.classes) if c != "non_disruptive"]
    sched, info = replan(
        problem,
        old_on_new,
        t_free,
        asap=asap,
        minimal=minimal,
        # the mission's scheduling settings, as plan solves (scheduling_problem.solve_mission)
        solve=lambda sub, hint: solve_mission(mission, sub, solver, time_limit_s, progress=prog, hint=hint),
    )
    value_before = old_sched.science_value(old_problem)
    value_after = sched.science_value(problem)
    prog.done(f"science value {value_before:.3f} -> {value_after:.3f}")

    rows, counts = diff_rows(old_on_new, sched, problem, n_old)
    n_obs_old = len(visits)
    too_block = []
    for k, (r, cls) in enumerate(zip(too.requests, too.classes)):
        i = n_old + k
        first = min((a.start for a in sched.activities if a.kind == "observe" and a.request == i), default=None)
        earliest = first_visible_after(problem, i, t_free)
        after_slew = first_visible_after(problem, i, info["t_cut"] + slew_from_last(problem, info, r.target))
        lo, hi = too_win[k]
        too_block.append(
            {
                "request": problem.request_names[i],
                "target": r.target,
                "too_class": cls,
                "priority": problem.requests[i].priority,
                "window_from_utc": str(to_iso_utc(lo, 3)[0]),
                "window_to_utc": str(to_iso_utc(hi, 3)[0]),
                "first_visit_utc": None if first is None else str(to_iso_utc(first, 3)[0]),
                "response_s": None if first is None else first - t_at,
                "earliest_possible_utc": None if earliest is None else str(to_iso_utc(earliest, 3)[0]),
                "earliest_possible_response_s": None if earliest is None else earliest - t_at,
                "delay_vs_earliest_s": None if first is None or earliest is None else first - earliest,
                "earliest_after_slew_utc": None if after_slew is None else str(to_iso_utc(after_slew, 3)[0]),
                "delay_vs_earliest_after_slew_s": None if first is None or after_slew is None else first - after_slew,
                "exposure_done_s": float(sched.counted_exposure(problem)[i]),
            }
        )
    utc = {k: str(to_iso_utc(info[k], 3)[0]) for k in ("t_free", "t_cut", "t_sub")}
    block = {
        "from_folder": os.path.abspath(outdir),
        "too_file": too.path,
        "history": history
        + [
            {
                "too_file": too.path,
                "sha256": _sha256(too.path),
                "trigger_tdb": t_at,
                "trigger_utc": str(to_iso_utc(t_at, 3)[0]),
            }
        ],
        "trigger_utc": str(to_iso_utc(t_at, 3)[0]),
        "t_free_utc": utc["t_free"],
        "t_free_rule": "max(trigger + frozen, end of the first uplink at or after the trigger + lead_time)",
        "t_free_basis": "uplink" if t_free > t_at + (comm.frozen_s if frozen_s is None else frozen_s) else "frozen",
        "uplink_end_utc": str(to_iso_utc(ft["t_uplink"], 3)[0]),
        "uplink_station": ft["station"],
        "frozen_s": comm.frozen_s if frozen_s is None else float(frozen_s),
        "lead_time_s": comm.lead_time_s,
        "cut_utc": utc["t_cut"],
        "replanned_from_utc": utc["t_sub"],
        "slew_guard_s": info["slew_guard_s"],
        "frozen_activities": info["frozen"],
        "frozen_identical": info["frozen_identical"],
        "warm_start_used": bool(info["hint"]),
        "mode": "least change" if minimal else "re-plan",
        "value_least_change": info.get("hint_value"),
        "too": too_block,
        "observations_old": n_obs_old,
        "observations_new": sum(1 for a in sched.activities if a.kind == "observe"),
        "changes": counts,
        "fraction_kept": counts["kept"] / n_obs_old if n_obs_old else 1.0,
        "value_before": value_before,
        "value_after": value_after,
        "value_old_requests_after": float(
            sum(
                r.priority * min(1.0, g / r.exposure_s)
                for r, g in zip(problem.requests[:n_old], sched.counted_exposure(problem)[:n_old])
            )
        ),
    }
    new_mission = _with_targets(cur, too.targets)
    prog = Progress("4/4 products", stream)
    block["wall_s"] = time.perf_counter() - t_wall
    plan = write_products(
        newdir,
        new_mission,
        traj,
        windows,
        problem,
        sched,
        psum,
        generated_utc,
        summary_extra={"replan": block, "products": [*PRODUCTS, DIFF_NAME]},
        extra_files={DIFF_NAME: diff_csv(rows)},
    )
    block["wall_s"] = time.perf_counter() - t_wall
    prog.done(f"wrote {len(PRODUCTS) + 1} products to {newdir}")
    return ReplanResult(newdir, problem, sched, old_on_new, block, plan)


def replan_table(result: ReplanResult) -> str:
    """The summary ``lunarscope replan`` prints."""
    b = result.block
    lines = [
        ("trigger", b["trigger_utc"]),
        (
            "changes from",
            f"{b['t_free_utc']} (by {b['t_free_basis']}; first uplink via {b['uplink_station']} "
            f"ends {b['uplink_end_utc']}, lead time {b['lead_time_s'] / 3600:g} h, frozen {b['frozen_s'] / 3600:g} h)",
        ),
        (
            "frozen",
            f"{b['frozen_activities']} activities until {b['cut_utc']}, re-planned from {b['replanned_from_utc']}",
        ),
    ]
    for t in b["too"]:
        if t["response_s"] is None:
            text = "not scheduled"
        else:
            text = f"first visit {t['first_visit_utc']}, response {t['response_s'] / 3600:.2f} h"
        if t["earliest_possible_response_s"] is not None:
            text += f" (earliest possible {t['earliest_possible_response_s'] / 3600:.2f} h)"
        lines.append((f"ToO {t['request']}", text + (f" [{t['too_class']}]" if t["too_class"] else "")))
    c = b["changes"]
    lines += [
        (
            "old observations",
            f"{100 * b['fraction_kept']:.1f}% kept ({c['kept']} kept, {c['moved']} moved, "
            f"{c['dropped']} dropped; {c['added']} added)",
        ),
        (
            "science value",
            f"{b['value_before']:.3f} before, {b['value_after']:.3f} after ({b['mode']}"
            + (
                f"; least change {b['value_least_change']:.3f})"
                if b["value_least_change"] is not None and b["mode"] != "least change"
                else ")"
            ),
        ),
        ("wall time", f"{b['wall_s']:.1f} s"),
    ]
    w = max(len(k) for k, _ in lines)
    return "\n".join(f"  {k:<{w}}  {v}" for k, v in lines)
