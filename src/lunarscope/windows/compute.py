"""The windows job: every kind of window over a span, and a per-target summary.

``compute_windows(job, trajectory) -> WindowSet`` evaluates, over ``job``'s span, for a
:class:`WindowJob` — plain, picklable data (span, kinds, station and site geometries, target
unit vectors and names, constraints, settings, and the data ``Sources``) that
``lunarscope.mission.stages.window_job`` builds from a mission:

=====================  ============  ===================================================
kind                   subject       window where
=====================  ============  ===================================================
umbra                  moon, earth   the whole solar disk is hidden by the body
penumbra               moon, earth   part of it is hidden (umbra excluded: disjoint)
contact                station       elevation above the mask, Moon clear, range limit
site_pass              site          the spacecraft above the site's horizon mask
site_sunlit            site          the Sun's centre above min_sun_elevation_deg
site_earth_visible     site          the Earth's centre above the horizon mask
target_visible         target        all constraints hold and not occulted
target_occulted        target        behind the Moon or the Earth (+ atmosphere)
radio_quiet            earth         the Earth's disc below the lunar limb by a diffraction
                                     margin (``windows.radio_quiet``)
=====================  ============  ===================================================

Windows are as found by :func:`~lunarscope.windows.finder.find_windows` (no window or gap
longer than the minimum duration is missed; boundaries within ``tolerance_s``); windows
shorter than the minimum may or may not appear and are kept when found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..io.tables import format_rows
from ..time import to_iso_utc
from .conditions import (
    SiteGeometry,
    StationGeometry,
    TargetConstraints,
    contact_condition,
    shadow_condition,
    site_earth_visible,
    site_pass,
    site_sunlit,
)
from .finder import Condition, find_windows
from .intervals import Windows
from .radio_quiet import orbit_boundaries, orbit_fractions, radio_quiet_condition
from .scene import Scene

CSV_HEADER = ["kind", "subject", "start_utc", "stop_utc", "duration_s"]
SUMMARY_HEADER = ["target", "visible_fraction", "windows", "longest_s", "longest_start_utc", "occulted_fraction"]


def _utc6(t):
    return to_iso_utc(t, 6)


class WindowSet(dict):
    """Windows keyed by ``(kind, subject)`` over ``[t_start, t_stop]`` (TDB s)."""

    def __init__(self, t_start: float, t_stop: float, targets=(), meta=None):
        super().__init__()
        self.t_start = float(t_start)
        self.t_stop = float(t_stop)
        self.targets = tuple(targets)
        self.meta = dict(meta or {})

    def __repr__(self) -> str:
        a, b = _utc6([self.t_start, self.t_stop])
        n = sum(len(w) for w in self.values())
        return f"WindowSet({a} .. {b}, {len(self)} subjects, {n} windows, kinds: {', '.join(self.kinds())})"

    def kinds(self) -> list[str]:
        return sorted({k for k, _ in self})

    def rows(self):
        """(kind, subject, start, stop) sorted by kind, subject, start."""
        out = []
        for kind, subject in sorted(self):
            for a, b in self[(kind, subject)]:
                out.append((kind, subject, a, b))
        return out

    def to_csv_text(self, format_utc=_utc6) -> str:
        """CSV with columns ``kind,subject,start_utc,stop_utc,duration_s`` (duration in s,
        microsecond resolution), sorted by kind, subject, start."""
        rows = self.rows()
        if not rows:
            return ",".join(CSV_HEADER) + "\n"
        kind, subj, a, b = zip(*rows)
        a = np.asarray(a)
        b = np.asarray(b)
        return format_rows(
            CSV_HEADER, [kind, subj, list(format_utc(a)), list(format_utc(b)), list(b - a)], ["s", "s", "s", "s", ".6f"]
        )

    def target_summary(self) -> list[dict]:
        """Per target: visible fraction of the span, number of windows, longest window."""
        span = self.t_stop - self.t_start
        out = []
        for name in self.targets:
            w = self.get(("target_visible", name), Windows.empty())
            occ = self.get(("target_occulted", name), Windows.empty())
            lg = w.longest()
            out.append(
                {
                    "target": name,
                    "visible_fraction": w.total_duration / span,
                    "windows": len(w),
                    "longest_s": 0.0 if lg is None else lg[1] - lg[0],
                    "longest_start_utc": "" if lg is None else str(_utc6([lg[0]])[0]),
                    "occulted_fraction": occ.total_duration / span,
                }
            )
        return out

    def summary_csv_text(self) -> str:
        rows = self.target_summary()
        cols = [[r[k] for r in rows] for k in SUMMARY_HEADER]
        return format_rows(SUMMARY_HEADER, cols, ["s", ".6f", "d", ".3f", "s", ".6f"])


#: Slack on the trajectory-covers-the-span check (s).
COVERAGE_TOLERANCE_S = 1e-6


@dataclass(frozen=True)
class StationJob:
    """An Earth station as the windows need it: site, mask (fixed or ((az, el), ...) deg), range."""

    name: str
    site: object  # lunarscope.sites.EarthStation
    min_elevation_deg: float = 10.0
    elevation_mask: tuple | None = None
    max_range_km: float | None = None


@dataclass(frozen=True)
class SiteJob:
    """A lunar surface site as the windows need it (degrees)."""

    name: str
    site: object  # lunarscope.sites.LunarSite
    horizon_mask_deg: float = 0.0
    min_sun_elevation_deg: float = 0.0


@dataclass(frozen=True, eq=False)
class WindowJob:
    """Everything :func:`compute_windows` reads: plain, picklable values (no mission).

    Span in TDB seconds; ``stations``/``sites`` only those to compute; ``target_units`` (M,3)
    ICRS unit vectors of ``target_names``; angles in degrees (None: constraint off);
    ``sources``: a :class:`lunarscope.sources.Sources` (ephemeris and lunar PCK).
    """

    t_start: float
    t_stop: float
    sources: object
    kinds: tuple
    stations: tuple = ()
    sites: tuple = ()
    target_names: tuple = ()
    target_units: np.ndarray = None
    sun_exclusion_deg: float | None = None
    earth_limb_deg: float | None = None
    moon_limb_deg: float | None = None
    earth_atmosphere_km: float = 100.0
    min_window_s: float = 60.0
    tolerance_s: float = 1e-3
    light_time: bool = False
    shadow_min_window_s: float = 1.0
    radio_quiet: object = None  # windows.radio_quiet.RadioQuietSpec (None: its defaults)

    def __post_init__(self):
        for attr in ("ephemeris", "moon_pck"):
            if getattr(self.sources, attr, None) is None:
                raise TypeError(
                    "WindowJob.sources must be a lunarscope.sources.Sources "
                    "(ephemeris and lunar PCK); nothing is defaulted here"
                )
        u = np.empty((0, 3)) if self.target_units is None else np.asarray(self.target_units, float)
        if u.shape != (len(self.target_names), 3):
            raise ValueError(f"target_units {u.shape} must be ({len(self.target_names)}, 3)")
        object.__setattr__(self, "target_units", u)
        object.__setattr__(self, "kinds", tuple(self.kinds))

    def __repr__(self) -> str:
        a, b = _utc6([self.t_start, self.t_stop])
        return (
            f"WindowJob({a} .. {b}, kinds={len(self.kinds)}, {len(self.stations)} stations, "
            f"{len(self.sites)} sites, {len(self.target_names)} targets)"
        )


def _shared_grid(scene, geoms, t0, t1):
    """All stations' contact conditions as one (S, N) condition without a rate bound.

    The finder then samples every ``min_window_s`` (its guarantee needs no bound there) on
    one grid shared by the stations, so the Earth orientation (ITRF, the costly part, ~8 µs
    an epoch) is computed once per grid time for all of them (``Snapshot.rotation``); the
    rate bounds, dominated by the Moon-limb term at periapsis, would sample about as often
    per station, each on its own times.
    """
    conds = [contact_condition(scene, g, t0, t1) for g in geoms]

    def g(t):
        return np.stack([c.g(t) for c in conds])

    return Condition(g, None, name="contact")


def compute_windows(job: WindowJob, trajectory, progress=None) -> WindowSet:
    """All windows of ``job`` along ``trajectory`` (which must cover the job's span).

    ``progress(fraction)`` is called between kinds.
    """
    if not isinstance(job, WindowJob):
        raise TypeError(
            f"compute_windows needs a WindowJob (lunarscope.mission.stages.window_job), not {type(job).__name__}"
        )
    t0, t1 = float(job.t_start), float(job.t_stop)
    if trajectory.t_start > t0 + COVERAGE_TOLERANCE_S or trajectory.t_stop < t1 - COVERAGE_TOLERANCE_S:
        a, b = _utc6([trajectory.t_start, trajectory.t_stop])
        c, d = _utc6([t0, t1])
        raise InputError("trajectory", f"covers {a} .. {b}, not the mission span {c} .. {d}")
    scene = Scene(trajectory, job.sources.ephemeris, job.sources.moon_pck, light_time=job.light_time)
    tol, dmin = job.tolerance_s, job.min_window_s
    kinds = set(job.kinds)
    ws = WindowSet(
        t0,
        t1,
        list(job.target_names) if kinds & {"target_visible", "target_occulted"} else (),
        meta={"light_time": job.light_time, "min_window_s": dmin, "tolerance_s": tol},
    )
    jobs = []
    for body in ("moon", "earth"):
        for kind in ("umbra", "penumbra"):
            if kind in kinds:
                jobs.append(
                    (
                        (kind, body),
                        lambda k=kind, b=body: shadow_condition(scene, b, k, t0, t1),
                        min(dmin, job.shadow_min_window_s),
                    )
                )
    if "contact" in kinds and job.stations:
        geoms = [StationGeometry(s.site, s.min_elevation_deg, s.elevation_mask, s.max_range_km) for s in job.stations]
        jobs.append((("contact", [s.name for s in job.stations]), lambda: _shared_grid(scene, geoms, t0, t1), dmin))
    for s in job.sites:
        geom = SiteGeometry(s.site, s.horizon_mask_deg, s.min_sun_elevation_deg)
        for kind, fn in (
            ("site_pass", site_pass),
            ("site_sunlit", site_sunlit),
            ("site_earth_visible", site_earth_visible),
        ):
            if kind in kinds:
                jobs.append(((kind, s.name), lambda f=fn, g=geom: f(scene, g, t0, t1), dmin))
    if "radio_quiet" in kinds:
        jobs.append((("radio_quiet", "earth"), lambda: radio_quiet_condition(scene, job.radio_quiet, t0, t1), dmin))
    u = job.target_units
    if job.target_names:
        deg = math.radians
        tc = TargetConstraints(
            scene,
            u,
            None if job.sun_exclusion_deg is None else deg(job.sun_exclusion_deg),
            None if job.earth_limb_deg is None else deg(job.earth_limb_deg),
            None if job.moon_limb_deg is None else deg(job.moon_limb_deg),
            job.earth_atmosphere_km,
        )
        names = list(job.target_names)
        wanted = [(kind, vis) for kind, vis in (("target_visible", True), ("target_occulted", False)) if kind in kinds]
        swept = {}

        def targets(vis):
            # both target kinds in one compiled sweep over one shared grid (windows.sweep);
            # None: the sweep does not apply, each kind goes through the general finder
            if "found" not in swept:
                swept["found"] = tc.windows(t0, t1, dmin, tol, tuple(v for _, v in wanted))
            if swept["found"] is None:
                return find_windows(tc.condition(t0, t1, vis), t0, t1, dmin, tol)
            return swept["found"][vis]

        for kind, vis in wanted:
            jobs.append(((kind, names), lambda v=vis: targets(v), None))
    for j, (key, make, dur) in enumerate(jobs):
        found = make() if dur is None else find_windows(make(), t0, t1, dur, tol)
        if isinstance(key[1], list):
            for name, w in zip(key[1], found):
                ws[(key[0], name)] = w
        else:
            ws[key] = found
        if progress is not None:
            progress((j + 1) / len(jobs))
    if ("radio_quiet", "earth") in ws:
        # the fraction of each orbit that is radio-quiet (windows.radio_quiet.orbit_fractions)
        bounds, last_complete = orbit_boundaries(trajectory, t0, t1)
        ws.meta["radio_quiet_orbits"] = orbit_fractions(ws[("radio_quiet", "earth")], bounds, last_complete)
    ws.meta["epochs_evaluated"] = scene.evaluations
    if job.target_names and getattr(tc, "sweep_stats", None):
        ws.meta["target_sweep"] = dict(tc.sweep_stats)
    return ws
