"""astroplan 0.10.1 PriorityScheduler on the SAME visibility as lunarscope, scored with OUR objective.

How it is fed (docs/scheduling.md, "astroplan comparison"):
* targets: ``FixedTarget`` at the RA/Dec of our ICRF target directions;
* visibility: ``LunarscopeVisibility``, an astroplan ``Constraint`` whose
  ``compute_constraint`` looks each target up by its direction and returns our usable
  windows (union over the target's requests) on astroplan's time grid. astroplan needs an
  Earth ``Observer`` and always appends ``AltitudeConstraint(min=0)`` for it; that
  constraint does not apply to a spacecraft, so the constraint list we hand over drops it;
* requests: one ``ObservingBlock`` per chunk of ``max(min_visit, chunk_s)`` of the
  requested exposure (astroplan blocks are contiguous); astroplan priority = rank of our
  value density priority/exposure (astroplan schedules the smallest number first);
* slews: ``Transitioner`` with a constant rate equal to the mean rate of our eigen-axis
  model over a 90 deg slew (settle included);
* time resolution ``resolution_s`` (default 120 s).

Scoring: adjacent blocks of one request merge into one visit; visits shorter than the
minimum visit earn nothing; exposure capped at the request. The recorder, engineering,
cadence and visit-count rules are NOT imposed on astroplan's plan (which only favours it).
"""
from __future__ import annotations

import time
import warnings

import numpy as np


def _tdb_seconds(t):
    """astropy Time -> TDB s past J2000 (float64)."""
    tt = t.tdb
    return (tt.jd1 - 2451545.0) * 86400.0 + tt.jd2 * 86400.0


def run_astroplan(problem, resolution_s: float = 120.0, chunk_s: float = 3600.0):
    """Schedule ``problem`` with astroplan's PriorityScheduler; returns (value, seconds, visits)."""
    import astropy.units as u
    from astropy.coordinates import EarthLocation, SkyCoord
    from astropy.time import Time
    from astroplan import FixedTarget, Observer
    from astroplan.constraints import AltitudeConstraint, Constraint
    from astroplan.scheduling import ObservingBlock, PriorityScheduler, Schedule, Transitioner

    from astropy.utils import iers
    iers.conf.auto_download = False  # nothing downloads at run time; the bundled table is enough here
    iers.conf.auto_max_age = None
    t_wall = time.perf_counter()
    reqs = problem.requests
    usable = problem.usable_windows
    # per target: union of its requests' usable windows (astroplan has one constraint per block)
    dirs = problem.target_dirs
    per_target = {}
    for r, w in zip(reqs, usable):
        per_target.setdefault(problem.target_index[r.target], []).append(w)
    from lunarscope.scheduling.requests import as_intervals
    vis = {k: as_intervals(np.vstack(v), "w") for k, v in per_target.items()}

    class LunarscopeVisibility(Constraint):
        """True where our usable windows say the target may be observed (geometry ignored)."""

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
                w = vis.get(int(j))
                if w is None or len(w) == 0:
                    continue
                i = np.searchsorted(w[:, 0], tt[sel], side="right") - 1
                out[sel] = (i >= 0) & (tt[sel] < w[np.maximum(i, 0), 1])
            return out.reshape(shp)

    class _NoGroundHorizon(list):
        """Constraint list that ignores astroplan's automatic ground-horizon constraint."""

        def append(self, c):
            if not isinstance(c, AltitudeConstraint):
                super().append(c)

    ra = np.degrees(np.arctan2(dirs[:, 1], dirs[:, 0])) % 360
    dec = np.degrees(np.arcsin(np.clip(dirs[:, 2], -1, 1)))
    targets = [FixedTarget(SkyCoord(ra[j] * u.deg, dec[j] * u.deg), name=t.name)
               for j, t in enumerate(problem.targets)]
    dens = np.array([r.priority / r.exposure_s for r in reqs])
    rank = np.empty(len(reqs), int)
    rank[np.argsort(-dens, kind="stable")] = np.arange(len(reqs))
    blocks = []
    for i, r in enumerate(reqs):
        if len(usable[i]) == 0:
            continue
        # one block per allowed visit when the request limits its visits, else 1 h chunks
        ch = max(r.min_visit_s, r.exposure_s / r.n_visits if r.n_visits else chunk_s)
        n = max(1, int(np.ceil(r.exposure_s / ch - 1e-9)))
        longest = float(np.max(usable[i][:, 1] - usable[i][:, 0]))
        d = min(ch, longest)
        for _ in range(n):
            blocks.append(ObservingBlock(targets[problem.target_index[r.target]], d * u.s, int(rank[i]) + 1,
                                         name=str(i)))
    slew = problem.spacecraft.slew
    rate = 90.0 / float(slew.time_s(np.radians(90.0)))  # deg/s, mean over a 90 deg slew
    observer = Observer(EarthLocation.from_geodetic(0 * u.deg, 0 * u.deg, 0 * u.m), name="lunarscope")
    t0 = Time(2451545.0, problem.start / 86400.0, format="jd", scale="tdb")
    t1 = Time(2451545.0, problem.stop / 86400.0, format="jd", scale="tdb")
    sched = Schedule(t0.utc, t1.utc)
    scheduler = PriorityScheduler(constraints=_NoGroundHorizon([LunarscopeVisibility()]), observer=observer,
                                  transitioner=Transitioner(slew_rate=rate * u.deg / u.second),
                                  time_resolution=resolution_s * u.s)
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
    by = {}
    for r, s, e in sorted(visits, key=lambda v: (v[0], v[1])):
        lst = by.setdefault(r, [])
        if lst and s - lst[-1][1] <= 1.0:  # adjacent blocks (grid rounding) form one visit
            lst[-1][1] = max(lst[-1][1], e)
        else:
            lst.append([s, e])
    for r, lst in by.items():
        mv = problem.requests[r].min_visit_s
        got[r] = sum(e - s for s, e in lst if e - s >= mv - 1e-6)
    return float(sum(q.priority * min(1.0, g / q.exposure_s) for q, g in zip(problem.requests, got)))


#: Room left after each slew when repairing astroplan's plan (s), as in scheduling.insertion.
_SLEW_MARGIN_S = 1e-3


def hold_to_rules(problem, visits):
    """astroplan's blocks made to obey OUR rules, as a validated lunarscope Schedule.

    Touching blocks of one request merge into one visit. In time order each visit starts no
    earlier than the exact eigen-axis slew (with settle) from the previous pointing allows,
    the slew may not cross an engineering block (fixed at its nominal time), the visit is cut at
    the next engineering block and to its usable window, visits beyond the request's visit count
    or closer than its cadence are dropped, and what is left shorter than the minimum visit is
    dropped. Downlinks are then drained by ``assemble`` and the plan is validated.
    """
    from lunarscope.scheduling.assemble import assemble
    from lunarscope.scheduling.slew import angle_between
    from lunarscope.scheduling.validate import validate

    merged = {}
    for r, s, e in sorted(visits, key=lambda v: (v[0], v[1])):
        lst = merged.setdefault(r, [])
        if lst and s - lst[-1][1] <= 1.0:
            lst[-1][1] = max(lst[-1][1], e)
        else:
            lst.append([s, e])
    seq = sorted(((r, s, e) for r, lst in merged.items() for s, e in lst), key=lambda v: v[1])
    nom = problem.engineering_nominal
    eng = np.column_stack([nom[:, 0], nom[:, 0] + nom[:, 1]]) if len(nom) else np.zeros((0, 2))
    model = problem.spacecraft.slew
    dirs = problem.target_dirs
    kept, cur_end, cur_t = [], problem.start, None
    starts_of: dict = {}
    for r, s, e in seq:
        req = problem.requests[r]
        t = problem.target_index[req.target]
        dt = 0.0 if cur_t is None or cur_t == t else float(model.time_s(angle_between(dirs[cur_t], dirs[t]))) + _SLEW_MARGIN_S
        s2 = max(s, cur_end + dt)
        for a, b in eng:  # the slew may not cross an engineering block
            if a < s2 and b > s2 - dt:
                s2 = max(s2, b + dt)
        for a, b in eng:  # cut at the next engineering block
            if a < e and b > s2:
                e = min(e, a) if a >= s2 else e
        w = problem.usable_windows[r]
        inside = w[(w[:, 0] <= s2) & (w[:, 1] > s2)]
        if len(inside) == 0:
            continue
        e = min(e, float(inside[0, 1]))
        mine = starts_of.setdefault(r, [])
        if req.n_visits is not None and len(mine) >= req.n_visits:
            continue
        if req.cadence_s and any(abs(s2 - m) < req.cadence_s for m in mine):
            continue
        if e - s2 < req.min_visit_s:
            continue
        kept.append((r, s2, e))
        mine.append(s2)
        cur_end, cur_t = e, t
    sched = assemble(problem, kept, nom[:, 0] if len(nom) else [], (), scheduler="astroplan+rules")
    return sched, validate(sched, problem)


if __name__ == "__main__":
    import argparse
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from scheduling_instances import build_instance

    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=50)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--resolution", type=float, default=120.0)
    a = ap.parse_args()
    p = build_instance(a.n, days=a.days)
    v, t, vis = run_astroplan(p, a.resolution)
    held, broken = hold_to_rules(p, vis)
    print(f"astroplan n={a.n} days={a.days}: value {v:.3f} in {t:.1f} s, {len(vis)} blocks scheduled; "
          f"held to our rules: {held.science_value(p):.3f} ({'valid' if not broken else broken[:2]})")
