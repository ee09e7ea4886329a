"""astroplan 0.10.1 PriorityScheduler on the SAME visibility as lunarscope, scored with OUR objective.

Three ways to run astroplan (docs/scheduling.md, "astroplan comparison"):

1. ``run_astroplan(problem)`` -- astroplan as it plans by itself ("as planned"):

   * targets: ``FixedTarget`` at the RA/Dec of our ICRF target directions;
   * visibility: ``LunarscopeVisibility``, a global astroplan ``Constraint`` whose
     ``compute_constraint`` looks each target up by its direction and returns our usable
     windows (union over the target's requests) on astroplan's time grid. astroplan needs an
     Earth ``Observer`` and always appends ``AltitudeConstraint(min=0)`` for it; that
     constraint does not apply to a spacecraft, so the constraint list we hand over drops it;
   * requests: one ``ObservingBlock`` per allowed visit (exposure / visits, at least the
     minimum visit) when the request limits its visits, else per ``max(min_visit, chunk_s)``
     of exposure (astroplan blocks are contiguous); astroplan priority = rank of our value
     density priority/exposure (astroplan schedules the smallest number first);
   * slews: the stock ``Transitioner`` with a constant rate equal to the mean rate of our
     eigen-axis model over a 90 deg slew (settle included);
   * time resolution ``resolution_s`` (default 120 s).

   Its plan ignores our engineering blocks, exact slews, visit counts and cadence, so it is
   NOT a valid plan under our rules; ``score_visits`` scores it anyway (adjacent blocks of one
   request merge into one visit, visits shorter than the minimum visit earn nothing,
   exposure capped at the request).

2. ``hold_to_rules(problem, visits)`` on that plan ("held to rules"): the plan repaired
   afterwards to obey our rules (see its docstring), assembled and validated.

3. ``run_astroplan(problem, rules=True)`` then ``hold_to_rules`` ("rules up front"): astroplan
   is given our rules as far as its API can express them:

   * slews: ``ExactSlewTransitioner``, a ``Transitioner`` whose ``TransitionBlock`` lasts our
     eigen-axis slew time with settle (``SlewModel.time_s`` of the angle between the two
     target directions; ``None`` for the same target), lengthened when an engineering block
     lies where the slew would run (our slews may not cross one: the transition lasts until
     the first eng-free stretch of that length has ended);
   * engineering: the nominal engineering intervals are removed from the visibility each
     block's constraint reports, so no observation is placed over them;
   * visibility per request (validity included) as a per-block ``Constraint``, made
     conservative for the grid: a grid time is usable only when the whole grid step after
     it lies inside the window (astroplan checks the block's grid points, not its end);
   * visit counts: one block per allowed visit; minimum visit: every block lasts at least
     the minimum visit, rounded up to the grid;
   * cadence: each block of a cadence request gets its own ``TimeConstraint`` slot. Default
     ``cadence_slots="windows"``: slots are cut from the request's usable stretches in time
     order, each starting no earlier than the previous slot's latest possible block start
     plus the cadence, so blocks in different slots are a cadence apart by construction
     (``_window_slots``). ``cadence_slots="tile"``: slot j is ``[t0 + j c, t0 + (j+1) c)``,
     which keeps blocks only roughly a cadence apart (measured at 5 d: 6 of 84 blocks then
     break the cadence and are dropped, held value 33.157 against 33.392 for "windows").
     Block length: the smallest grid multiple >= the minimum visit whose sum over the slots
     (each capped by its longest usable stretch) reaches the exposure; when fewer blocks
     are needed than there are slots, evenly spaced slots are used.

   What astroplan's API cannot express (``hold_to_rules`` enforces it afterwards):
   the cadence as a minimum separation between two blocks' start times (constraints are
   static masks scored once before any block is placed, so one block cannot depend on
   where another went: fixed slots either leave blocks only roughly a cadence apart
   ("tile") or pin each block to one usable stretch that it loses when others fill it
   ("windows")); a visit of variable length (blocks have fixed durations; a request cannot
   take "what is left" of a window); engineering blocks that move within their flexibility (held at nominal);
   the recorder and downlinks (not modelled; ``assemble`` drains ASAP and ``validate``
   checks the recorder); value capped at the requested exposure (astroplan maximises
   neither value nor scheduled time: it places blocks one by one in priority order at the
   best-scoring, here the earliest, feasible grid time). astroplan also keeps one grid step
   free before each placed block, so two blocks of one request seldom touch and count as
   separate visits.

Scoring: ``score_visits`` for the plans as astroplan made them; the science value of the
validated ``Schedule`` for the plans held to our rules.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from lunarscope.scheduling.repair import earliest_after_slew, merge_touching, repair

#: Margin (s) kept between astroplan's grid times and window/engineering edges: astroplan's
#: grid is ``np.arange`` over Julian dates (float64 JD near 2.46e6 resolves ~50 us), so a
#: block start can sit tens of microseconds off its grid time.
_GRID_MARGIN_S = 0.01


def _tdb_seconds(t):
    """astropy Time -> TDB s past J2000 (float64)."""
    tt = t.tdb
    return (tt.jd1 - 2451545.0) * 86400.0 + tt.jd2 * 86400.0


def _eng_intervals(problem) -> np.ndarray:
    """(B, 2) nominal engineering intervals [start, stop) (TDB s)."""
    nom = problem.engineering_nominal
    return np.column_stack([nom[:, 0], nom[:, 0] + nom[:, 1]]) if len(nom) else np.zeros((0, 2))


def _grid_cap(length_s: float, res: float) -> float:
    """Longest grid-multiple block (s) that fits a stretch of ``length_s`` s with the margins."""
    return np.floor((length_s - 2 * _GRID_MARGIN_S) / res) * res


def _grid_up(x: float, res: float) -> float:
    """``x`` rounded up to a multiple of the grid step ``res`` (s)."""
    return np.ceil(x / res - 1e-9) * res


def _tile_slots(problem, u_ok, c, d, min_visit, res):
    """Cadence slots [t0 + j c, t0 + (j+1) c) holding a usable stretch >= min visit: (lo, hi, cap)."""
    from lunarscope.scheduling.requests import intersect

    out = []
    for j in range(int(np.ceil((problem.stop - problem.start) / c - 1e-9))):
        lo, hi = problem.start + j * c, min(problem.stop, problem.start + (j + 1) * c)
        piece = intersect(u_ok, np.array([[lo, hi]]))
        cap = _grid_cap(float(np.max(piece[:, 1] - piece[:, 0])), res) if len(piece) else 0.0
        if cap >= min_visit:
            out.append((lo, hi, cap))
    return out


def _window_slots(problem, u_ok, c, d, min_visit, res):
    """Cadence slots cut from the request's usable stretches, a cadence apart by construction.

    In time order each usable stretch [s, e) gives the slot [max(s, L + c), e), L being the
    latest start the previous slot allows (its end minus its block length min(d, cap)); a
    slot is kept when it still holds ``min_visit``. Any two blocks placed in different slots
    therefore start at least ``c`` apart. Returns (lo, hi, cap) per slot.
    """
    out, latest = [], -np.inf
    for s, e in u_ok:
        lo = max(float(s), latest + c)
        cap = _grid_cap(float(e) - lo, res)
        if cap < min_visit:
            continue
        out.append((lo, float(e), cap))
        latest = float(e) - min(d, cap)
    return out


def _rules_blocks(problem, res: float, chunk_s: float, cadence_slots: str = "windows"):
    """Per request: list of (duration s, slot (lo, hi) TDB s or None) for the rules-up-front mode."""
    from lunarscope.scheduling.requests import subtract

    eng = _eng_intervals(problem)
    out = []
    for i, r in enumerate(problem.requests):
        u_ok = subtract(problem.usable_windows[i], eng) if len(eng) else problem.usable_windows[i]
        lens = u_ok[:, 1] - u_ok[:, 0]
        if len(u_ok) == 0 or _grid_cap(float(lens.max()), res) < r.min_visit_s:
            out.append([])
            continue
        longest = _grid_cap(float(lens.max()), res)
        if r.cadence_s:
            c = float(r.cadence_s)
            slot_fn = _tile_slots if cadence_slots == "tile" else _window_slots
            d = _grid_up(r.min_visit_s, res)
            while True:  # smallest grid length D >= min visit whose slots hold the exposure
                slots = slot_fn(problem, u_ok, c, d, r.min_visit_s, res)
                if r.n_visits is not None:
                    slots = slots[: r.n_visits]
                caps = np.array([cp for _, _, cp in slots])
                if not slots or np.sum(np.minimum(d, caps)) >= r.exposure_s or d >= caps.max():
                    break
                d += res
            if not slots:
                out.append([])
                continue
            need = int(np.ceil(r.exposure_s / d - 1e-9))
            if need < len(slots):  # fewer blocks than slots: spread them evenly
                keep = np.unique(np.round(np.linspace(0, len(slots) - 1, need)).astype(int))
                slots = [slots[k] for k in keep]
            out.append([(float(min(d, cp)), (lo, hi)) for lo, hi, cp in slots])
        else:
            want = r.exposure_s / r.n_visits if r.n_visits else chunk_s
            d = min(_grid_up(max(r.min_visit_s, want), res), longest)
            n = max(1, int(np.ceil(r.exposure_s / d - 1e-9)))
            if r.n_visits:
                n = min(n, r.n_visits)
            out.append([(float(d), None)] * n)
    return out


def run_astroplan(
    problem, resolution_s: float = 120.0, chunk_s: float = 3600.0, rules: bool = False, cadence_slots: str = "windows"
):
    """Schedule ``problem`` with astroplan's PriorityScheduler; returns (value, seconds, visits).

    ``rules=False``: astroplan as it plans by itself (constant-rate slews, no engineering,
    visit count or cadence). ``rules=True``: our rules given up front as far as astroplan's
    API expresses them (module docstring). ``value`` is ``score_visits`` of the plan as
    astroplan made it; ``visits`` are (request index, start, stop) in TDB s; ``seconds`` is
    the wall time of the whole call.
    """
    import astropy.units as u
    from astroplan import FixedTarget, Observer
    from astroplan.constraints import AltitudeConstraint, Constraint, TimeConstraint
    from astroplan.scheduling import ObservingBlock, PriorityScheduler, Schedule, TransitionBlock, Transitioner
    from astropy.coordinates import EarthLocation, SkyCoord
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False  # nothing downloads at run time; the bundled table is enough here
    iers.conf.auto_max_age = None
    from lunarscope.scheduling.requests import as_intervals, subtract
    from lunarscope.scheduling.slew import angle_between

    t_wall = time.perf_counter()
    reqs = problem.requests
    usable = problem.usable_windows
    dirs = problem.target_dirs
    eng = _eng_intervals(problem)
    res = float(resolution_s)

    def tdb_time(s):
        return Time(2451545.0, np.asarray(s, float) / 86400.0, format="jd", scale="tdb")

    class LunarscopeVisibility(Constraint):
        """True where our usable windows say the target may be observed (geometry ignored)."""

        def __init__(self, vis):
            self.vis = vis  # target index -> (K, 2) intervals

        def compute_constraint(self, times, observer, targets):
            t = np.atleast_1d(_tdb_seconds(times))
            c = targets.icrs.cartesian.xyz.value  # (3, ...) unit vectors
            shp = np.broadcast_shapes(np.shape(t), c.shape[1:])
            v = np.moveaxis(np.broadcast_to(c, (3,) + shp), 0, -1).reshape(-1, 3)
            tt = np.broadcast_to(t, shp).ravel()
            k = np.argmax(v @ dirs.T, axis=1)
            out = np.zeros(len(tt), bool)
            for j in np.unique(k):
                sel = k == j
                w = self.vis.get(int(j))
                if w is None or len(w) == 0:
                    continue
                i = np.searchsorted(w[:, 0], tt[sel], side="right") - 1
                out[sel] = (i >= 0) & (tt[sel] < w[np.maximum(i, 0), 1])
            return out.reshape(shp)

    class RequestWindows(Constraint):
        """True at grid time t when [t, t + one grid step] lies inside one of ``windows`` (margins kept)."""

        def __init__(self, windows):
            self.w = windows

        def compute_constraint(self, times, observer, targets):
            t = np.atleast_1d(_tdb_seconds(times))
            w = self.w
            i = np.searchsorted(w[:, 0], t - _GRID_MARGIN_S, side="right") - 1
            ok = i >= 0
            ii = np.maximum(i, 0)
            return ok & (t - _GRID_MARGIN_S >= w[ii, 0]) & (t + res + _GRID_MARGIN_S <= w[ii, 1])

    class ExactSlewTransitioner(Transitioner):
        """Our eigen-axis slew (settle included) between the two blocks' targets, kept off engineering."""

        def __init__(self):
            super().__init__(slew_rate=None)

        def __call__(self, oldblock, newblock, start_time, observer):
            if oldblock is None or newblock is None:
                return None
            a = problem.target_index[oldblock.target.name]
            b = problem.target_index[newblock.target.name]
            dt = float(problem.spacecraft.slew.time_s(angle_between(dirs[a], dirs[b]))) if a != b else 0.0
            if dt <= 0.0:
                return None
            t = float(_tdb_seconds(start_time))
            wait = earliest_after_slew(t, t, dt, eng) - t - dt
            comp = {"slew_time": (dt + _GRID_MARGIN_S) * u.s}
            if wait > 0:
                comp["wait_for_engineering"] = wait * u.s
            return TransitionBlock(comp, start_time)

    class _NoGroundHorizon(list):
        """Constraint list that ignores astroplan's automatic ground-horizon constraint."""

        def append(self, c):
            if not isinstance(c, AltitudeConstraint):
                super().append(c)

    ra = np.degrees(np.arctan2(dirs[:, 1], dirs[:, 0])) % 360
    dec = np.degrees(np.arcsin(np.clip(dirs[:, 2], -1, 1)))
    targets = [FixedTarget(SkyCoord(ra[j] * u.deg, dec[j] * u.deg), name=t.name) for j, t in enumerate(problem.targets)]
    dens = np.array([r.priority / r.exposure_s for r in reqs])
    rank = np.empty(len(reqs), int)
    rank[np.argsort(-dens, kind="stable")] = np.arange(len(reqs))
    blocks = []
    if rules:
        for i, specs in enumerate(_rules_blocks(problem, res, chunk_s, cadence_slots)):
            if not specs:
                continue
            w = subtract(usable[i], eng) if len(eng) else usable[i]
            vis_c = RequestWindows(w)
            for d, slot in specs:
                cons = [vis_c]
                if slot is not None:
                    cons.append(TimeConstraint(tdb_time(slot[0]), tdb_time(slot[1])))
                blocks.append(
                    ObservingBlock(
                        targets[problem.target_index[reqs[i].target]],
                        d * u.s,
                        int(rank[i]) + 1,
                        constraints=cons,
                        name=str(i),
                    )
                )
        global_constraints = _NoGroundHorizon([])
        transitioner = ExactSlewTransitioner()
    else:
        # per target: union of its requests' usable windows (astroplan has one constraint per block)
        per_target = {}
        for r, w in zip(reqs, usable):
            per_target.setdefault(problem.target_index[r.target], []).append(w)
        vis = {k: as_intervals(np.vstack(v), "w") for k, v in per_target.items()}
        for i, r in enumerate(reqs):
            if len(usable[i]) == 0:
                continue
            # one block per allowed visit when the request limits its visits, else 1 h chunks
            ch = max(r.min_visit_s, r.exposure_s / r.n_visits if r.n_visits else chunk_s)
            n = max(1, int(np.ceil(r.exposure_s / ch - 1e-9)))
            longest = float(np.max(usable[i][:, 1] - usable[i][:, 0]))
            d = min(ch, longest)
            for _ in range(n):
                blocks.append(
                    ObservingBlock(targets[problem.target_index[r.target]], d * u.s, int(rank[i]) + 1, name=str(i))
                )
        global_constraints = _NoGroundHorizon([LunarscopeVisibility(vis)])
        slew = problem.spacecraft.slew
        rate = 90.0 / float(slew.time_s(np.radians(90.0)))  # deg/s, mean over a 90 deg slew
        transitioner = Transitioner(slew_rate=rate * u.deg / u.second)
    observer = Observer(EarthLocation.from_geodetic(0 * u.deg, 0 * u.deg, 0 * u.m), name="lunarscope")
    sched = Schedule(tdb_time(problem.start).utc, tdb_time(problem.stop).utc)
    scheduler = PriorityScheduler(
        constraints=global_constraints, observer=observer, transitioner=transitioner, time_resolution=res * u.s
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = scheduler(blocks, sched)
    visits = []
    for s in out.observing_blocks:
        visits.append((int(s.name), float(_tdb_seconds(s.start_time)), float(_tdb_seconds(s.end_time))))
    return score_visits(problem, visits), time.perf_counter() - t_wall, visits


def score_visits(problem, visits) -> float:
    """Our objective for a list of (request, start, stop): merge touching, count >= min visit, cap."""
    got = np.zeros(len(problem.requests))
    for r, lst in merge_touching(visits, 1.0).items():
        mv = problem.requests[r].min_visit_s
        got[r] = sum(e - s for s, e in lst if e - s >= mv - 1e-6)
    return float(sum(q.priority * min(1.0, g / q.exposure_s) for q, g in zip(problem.requests, got)))


def hold_to_rules(problem, visits, why: dict | None = None):
    """astroplan's blocks made to obey OUR rules; returns (validated lunarscope Schedule, violations).

    ``lunarscope.scheduling.repair.repair`` with the engineering blocks at their nominal times
    (as astroplan was told), blocks of one request within 1 s merged into one visit, and a
    visit short of its minimum by no more than astroplan's grid rounding (``_GRID_MARGIN_S``)
    stretched to it where the window and engineering allow. ``why`` counts dropped visits.
    """
    nom = problem.engineering_nominal
    return repair(
        problem,
        visits,
        nom[:, 0] if len(nom) else [],
        stretch_s=_GRID_MARGIN_S,
        snap_s=_GRID_MARGIN_S,
        merge_gap_s=1.0,
        why=why,
        scheduler="astroplan+rules",
    )


def compare(
    n: int = 50,
    days: float = 30.0,
    resolution_s: float = 120.0,
    ours_s: float = 60.0,
    workers: int = 1,
    modes=("plain", "rules"),
) -> dict:
    """One instance, all astroplan modes and ours; returns a dict of values and wall times (s)."""
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from scheduling_instances import build_instance

    from lunarscope.scheduling.portfolio import solve
    from lunarscope.scheduling.validate import validate

    p = build_instance(n, days=days)
    out = {"n": n, "days": days}
    for mode in modes:
        v, t, vis = run_astroplan(p, resolution_s, rules=(mode == "rules"))
        held, broken = hold_to_rules(p, vis)
        out[mode] = {
            "planned": v,
            "held": held.science_value(p),
            "violations": broken,
            "seconds": t,
            "blocks": len(vis),
            "visits_held": sum(a.kind == "observe" for a in held.activities),
        }
        print(
            f"  astroplan {mode:5s}: as planned {v:.3f}, held to rules {held.science_value(p):.3f} "
            f"({'valid' if not broken else broken[:2]}), {len(vis)} blocks, {t:.1f} s",
            flush=True,
        )
    t0 = time.perf_counter()
    s = solve(p, "cpsat", ours_s, workers=workers)
    bad = validate(s, p)
    out["ours"] = {"value": s.science_value(p), "seconds": time.perf_counter() - t0, "violations": bad}
    print(
        f"  lunarscope cpsat : {s.science_value(p):.3f} ({'valid' if not bad else bad[:2]}), "
        f"{out['ours']['seconds']:.1f} s",
        flush=True,
    )
    return out


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=50)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--resolution", type=float, default=120.0, help="astroplan grid step (s)")
    ap.add_argument("--ours-s", type=float, default=60.0, help="wall budget of our CP-SAT (s)")
    ap.add_argument("--workers", type=int, default=1, help="CP-SAT workers (1 leaves a core free)")
    ap.add_argument("--modes", default="plain,rules", help="astroplan modes: plain (as planned + held), rules")
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    a = ap.parse_args()
    print(f"astroplan vs lunarscope, n={a.n}, days={a.days}, grid {a.resolution:g} s", flush=True)
    r = compare(a.n, a.days, a.resolution, a.ours_s, a.workers, tuple(a.modes.split(",")))
    ours = r["ours"]["value"]
    cells = []
    if "plain" in r:
        cells += [f"as planned {r['plain']['planned']:.3f}", f"held to rules {r['plain']['held']:.3f}"]
    if "rules" in r:
        cells += [f"rules up front {r['rules']['planned']:.3f} -> held {r['rules']['held']:.3f}"]
    print(f"summary days={a.days:g}: " + "; ".join(cells) + f"; ours {ours:.3f}", flush=True)
    for m in ("plain", "rules"):
        if m in r and r[m]["held"] > 0:
            print(f"  ours / astroplan ({m}, held to rules) = {ours / r[m]['held']:.3f}", flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(r, fh, indent=1, default=str)
