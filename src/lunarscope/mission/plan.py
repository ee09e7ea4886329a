"""``lunarscope plan``: propagate → windows → schedule → products, written atomically.

Products in the output folder: ``trajectory.oem``, ``windows.csv``, ``schedule.csv``,
``summary.json``, ``mission.czml``, ``obsloctap.vot``, ``obsloctap.csv`` (IVOA ObsLocTAP,
``lunarscope.io.obsloctap``), ``report.html``, ``schedule_tdb.csv`` (the schedule with exact
TDB times, read back by ``lunarscope replan``), ``requests.csv`` (each request's result),
``contacts.csv`` (STK-style contact report), ``eclipses.csv`` and ``coverage.fits`` (HEALPix sky-coverage
map, ``lunarscope.io.healpix``). They are first written into a staging
folder next to the output folder and moved into place only when every stage succeeded, so an
interrupted run never leaves a half-written file that looks complete. The only timestamps are
the OEM ``CREATION_DATE`` and ``generated_utc`` (summary and report); everything else is a
function of the mission file and the data shipped with the package.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

import numpy as np

from ..constants import MOON_RADIUS_KM
from ..io.tables import public_mode
from ..products import (
    Plan,
    PlanActivity,
    PlanContact,
    PlanCoverage,
    PlanMetrics,
    PlanMission,
    PlanOrbit,
    PlanOrbitHistory,
    PlanPropagation,
    PlanRecorder,
    PlanRequestResult,
    PlanSchedule,
    PlanSite,
    PlanSkyPaths,
    PlanStation,
    PlanTarget,
    PlanTargetResult,
    PlanTrajectory,
    PlanUnscheduled,
    PlanWindow,
)
from ..states import earth_direction
from ..time import to_iso_utc
from .run import Progress, propagate_mission, propagation_summary

PRODUCTS = (
    "trajectory.oem",
    "windows.csv",
    "schedule.csv",
    "summary.json",
    "mission.czml",
    "obsloctap.vot",
    "obsloctap.csv",
    "report.html",
    "schedule_tdb.csv",
    "requests.csv",
    "contacts.csv",
    "eclipses.csv",
    "coverage.fits",
)
#: The schedule with exact times: every activity of schedule.csv with its start and stop as TDB
#: seconds past J2000 in float64 round-trip text (``repr``), its request and engineering
#: occurrence indices and a body-fixed downlink's contact, so ``lunarscope replan`` reads back
#: the plan bit for bit (schedule.csv's UTC text carries 1 ms, coarser than the validator's 1 µs).
TIMELINE_NAME = "schedule_tdb.csv"
TIMELINE_COLUMNS = (
    "activity",
    "start_tdb",
    "stop_tdb",
    "target",
    "data_mbit",
    "station",
    "request",
    "block",
    "contact",
)
#: Most trajectory samples passed to the report (the OEM keeps the full resolution).
REPORT_SAMPLES = 4000
#: requests.csv: one row per request (PlanRequestResult), in the problem's order.
REQUESTS_COLUMNS = (
    "request",
    "target",
    "priority",
    "exposure_s",
    "counted_s",
    "visits",
    "completion",
    "first_visit_utc",
    "last_visit_utc",
    "reason",
    "snr_requested",
    "snr_achieved",
)
#: contacts.csv: one row per station contact (PlanContact), in time order.
CONTACTS_COLUMNS = (
    "station",
    "aos_utc",
    "los_utc",
    "duration_s",
    "max_elevation_deg",
    "max_elevation_utc",
    "range_aos_km",
    "range_max_elevation_km",
    "range_los_km",
    "data_mbit",
    "downlinks",
)
#: eclipses.csv: one row per umbra or penumbra window (Plan.eclipses), in time order.
ECLIPSES_COLUMNS = ("kind", "body", "start_utc", "stop_utc", "duration_s")
#: A visit shorter than a request's minimum visit by less than this (s) still counts, as in
#: ``Schedule.counted_exposure``.
MIN_VISIT_SLACK_S = 1e-9


@dataclass
class PlanResult:
    mission: object
    trajectory: object
    windows: object
    problem: object
    schedule: object
    plan: Plan


def _round(x, nd=6):
    return [round(float(v), nd) for v in x]


def plan_data(mission, trajectory, windows, problem, schedule, propagation: dict, generated_utc: str) -> Plan:
    """The typed plan (:class:`lunarscope.products.Plan`) that summary.json, the report and the
    CZML are made from. Series are rounded for the report: times and km to 1e-3, unit vectors
    to 1e-6; at most ``REPORT_SAMPLES`` trajectory samples, one per minute or coarser."""
    from ..orbits.elements import cartesian_to_keplerian
    from ..scheduling.recorder import level_profile

    span = mission.t_stop - mission.t_start
    step = max(60.0, span / REPORT_SAMPLES)
    t, s = trajectory.sample(step)
    earth = earth_direction(mission.sources.ephemeris, t, s[:, :3])
    raw_orbit = mission.raw.get("orbit", {}) or {}
    if "elements" in raw_orbit:
        orbit = PlanOrbit(frame=mission.orbit_frame, **{k: float(v) for k, v in raw_orbit["elements"].items()})
    else:
        el = np.asarray(cartesian_to_keplerian(mission.state0_icrf, mission.gm_moon)).reshape(6)
        orbit = PlanOrbit(
            frame=mission.orbit_frame,
            a_km=el[0],
            e=el[1],
            i_deg=np.degrees(el[2]),
            raan_deg=np.degrees(el[3]),
            argp_deg=np.degrees(el[4]),
            ta_deg=np.degrees(el[5]),
            elements_in_icrf_axes=True,
        )
    obs = mission.observing
    prio = {}
    for r in problem.requests:
        prio[r.target] = max(prio.get(r.target, 0.0), r.priority)
    summary = {row["target"]: row for row in windows.target_summary()}
    targets = []
    for tg in obs.targets:
        row = summary.get(tg.name)
        targets.append(
            PlanTarget(
                name=tg.name,
                ra_deg=tg.ra_deg,
                dec_deg=tg.dec_deg,
                visible_fraction=row["visible_fraction"] if row else 0.0,
                longest_window_s=row["longest_s"] if row else 0.0,
                n_windows=row["windows"] if row else 0,
                priority=prio.get(tg.name),
            )
        )
    rows = windows.rows()
    u0 = to_iso_utc(np.array([r[2] for r in rows])) if rows else []
    u1 = to_iso_utc(np.array([r[3] for r in rows])) if rows else []
    win = [
        PlanWindow(
            kind=r[0],
            subject=r[1],
            start_tdb=float(r[2]),
            stop_tdb=float(r[3]),
            start_utc=str(a),
            stop_utc=str(b),
            duration_s=float(r[3] - r[2]),
        )
        for r, a, b in zip(rows, u0, u1)
    ]
    acts = schedule.activities
    s0 = to_iso_utc(np.array([a.start for a in acts])) if acts else []
    s1 = to_iso_utc(np.array([a.stop for a in acts])) if acts else []
    activities = [
        PlanActivity(
            activity=a.kind,
            target=a.target,
            start_tdb=float(a.start),
            stop_tdb=float(a.stop),
            start_utc=str(x),
            stop_utc=str(y),
            duration_s=float(a.stop - a.start),
            data_mbit=float(a.data_mbit),
            station=a.station,
        )
        for a, x, y in zip(acts, s0, s1)
    ]
    m = schedule.metrics(problem)
    bound = m["relaxation_bound"]  # an upper bound for the true problem (LP or decomposition)
    metrics = PlanMetrics(
        solver=m["scheduler"],
        status=m["status"],
        science_value=m["science_value"],
        total_priority=m["total_priority"],
        bound=bound,
        bound_source=m["bound_source"],
        fraction_of_bound=(m["science_value"] / bound) if bound else None,
        observing_efficiency=m["observing_efficiency"],
        slew_fraction=m["slew_fraction"],
        engineering_fraction=m["engineering_fraction"],
        idle_fraction=m["idle_fraction"],
        requests_full=m["requests_full"],
        requests_partial=m["requests_partial"],
        requests_none=m["requests_none"],
        recorder_peak_mbit=m["recorder_peak_mbit"],
        recorder_final_mbit=m["recorder_final_mbit"],
        data_generated_mbit=m["data_generated_mbit"],
        data_downlinked_mbit=m["data_downlinked_mbit"],
        latency_mean_s=m["latency_mean_s"],
        latency_max_s=m["latency_max_s"],
    )
    unsched = [
        PlanUnscheduled(target=name, reason=why) for name, why in sorted(schedule.unschedulable(problem).items())
    ]
    req_results, tgt_results = _request_results(schedule, problem, m["unschedulable"], [t.name for t in obs.targets])
    rt, rl = level_profile(acts, problem.spacecraft.recorder_initial_mbit, problem.start)
    by_station: dict = {}
    for a in acts:
        if a.kind == "downlink":
            by_station[a.station] = by_station.get(a.station, 0.0) + float(a.data_mbit)
    plan_mission = PlanMission(
        name=mission.name,
        description=str(mission.raw.get("description", "")),
        start_utc=str(to_iso_utc(mission.t_start)[0]),
        stop_utc=str(to_iso_utc(mission.t_stop)[0]),
        start_tdb=float(mission.t_start),
        stop_tdb=float(mission.t_stop),
        duration_days=span / 86400.0,
        orbit=orbit,
        force_model=force_model_text(mission),
        spacecraft=dict(mission.raw.get("spacecraft", {}) or {}),
        propagation=PlanPropagation.from_dict(propagation),
    )
    return Plan(
        generated_utc=generated_utc,
        mission=plan_mission,
        trajectory=PlanTrajectory(
            t_tdb=_round(t, 3),
            t_utc=[str(x) for x in to_iso_utc(t)],
            r_km=[_round(r, 3) for r in s[:, :3]],
            earth_dir=[_round(e, 6) for e in earth],
            altitude_km=_round(np.linalg.norm(s[:, :3], axis=1) - MOON_RADIUS_KM, 3),
        ),
        windows=win,
        targets=targets,
        stations=[
            PlanStation(name=x.name, lat_deg=x.site.lat_deg, lon_deg=x.site.lon_deg, height_km=x.site.height_km)
            for x in obs.stations
        ],
        sites=[PlanSite(name=x.name, lat_deg=x.site.lat_deg, lon_deg=x.site.lon_deg) for x in obs.sites],
        schedule=PlanSchedule(
            activities=activities,
            metrics=metrics,
            unscheduled=unsched,
            recorder=PlanRecorder(
                t_tdb=_round(rt, 3), level_mbit=_round(rl, 3), capacity_mbit=problem.spacecraft.recorder_capacity_mbit
            ),
            downlink_by_station=dict(sorted(by_station.items())),
            requests=req_results,
            targets=tgt_results,
        ),
        contacts=_contacts(mission, trajectory, win, activities),
        coverage=plan_coverage(mission, trajectory),
        orbit_history=plan_orbit_history(mission, trajectory),
        sky_paths=plan_sky_paths(mission, trajectory),
    )


#: Orbit history (report "Orbit history"): states are sampled at least every
#: ``1/ORBIT_HISTORY_STEPS_PER_PERIOD`` of the Keplerian period (s per step = P / 64, so the
#: one-period running mean sees 64 samples), never closer than ``ORBIT_HISTORY_MIN_STEP_S`` (s)
#: and at most ``ORBIT_HISTORY_MAX_SAMPLES`` over the span; each series is then decimated by
#: stride to at most ``ORBIT_HISTORY_POINTS`` points for display.
ORBIT_HISTORY_STEPS_PER_PERIOD = 64
ORBIT_HISTORY_MIN_STEP_S = 60.0
ORBIT_HISTORY_MAX_SAMPLES = 50_000
ORBIT_HISTORY_POINTS = 2000
#: The plane the orbit history's elements are measured in, per mission orbit frame (the frame
#: of the report's "Initial orbit" row): MOON_ME_INERTIAL and MOON_PA_INERTIAL -> the lunar
#: equator (``orbits.planes`` MOON_ME; PA and ME axes differ by ~0.03 deg), ICRF -> ICRF,
#: EARTH_MOON_INERTIAL -> the Earth–Moon orbit plane (``orbits.planes`` EARTH_MOON).
ORBIT_HISTORY_PLANES = {
    "ICRF": "ICRF",
    "MOON_ME_INERTIAL": "MOON_ME",
    "MOON_PA_INERTIAL": "MOON_ME",
    "EARTH_MOON_INERTIAL": "EARTH_MOON",
}
#: How the mean elements are made (``orbits.elements.mean_elements``), as the report names it.
MEAN_ELEMENTS_METHOD = (
    "one-period running mean of the osculating elements (orbits.elements.mean_elements; "
    "numerical averaging, not Brouwer/Kozai theory)"
)


def _stride(n: int, most: int) -> np.ndarray:
    """Indices of every k-th of ``n`` samples, first and last kept, at most ``most`` (+1)."""
    if n <= most:
        return np.arange(n)
    idx = np.arange(0, n, int(np.ceil((n - 1) / (most - 1))))
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def plan_orbit_history(mission, trajectory) -> PlanOrbitHistory:
    """Osculating and mean elements, e-vector, apsis altitudes, beta angle and ground track over
    the span (:class:`lunarscope.products.PlanOrbitHistory`), vectorised numpy on one grid.

    Elements: Vallado (2013) Alg. 9 (``orbits.elements.cartesian_to_keplerian``) in
    ``ORBIT_HISTORY_PLANES[mission.orbit_frame]``; mean elements ``MEAN_ELEMENTS_METHOD`` and
    mean e-vector = running mean of (e cos ω, e sin ω) (as ``orbits.planes``), window one
    Keplerian period of the initial a; beta = asin(ĥ · ŝ), ĥ = unit(r × v) ICRF, ŝ the Moon →
    Sun unit vector from the mission's ephemeris (geometric); ground track: lat = asin(z/|r|),
    lon = atan2(y, x) of r in MOON_ME axes."""
    from .. import frames
    from ..orbits.elements import TWO_PI, cartesian_to_keplerian, mean_elements, running_mean
    from ..orbits.planes import plane_rotation

    gm = mission.gm_moon
    pck = mission.sources.moon_pck
    plane = ORBIT_HISTORY_PLANES.get(mission.orbit_frame, "MOON_ME")
    span = float(trajectory.t_stop - trajectory.t_start)
    a0 = float(cartesian_to_keplerian(mission.state0_icrf, gm)[0])
    period = TWO_PI * np.sqrt(a0**3 / gm) if a0 > 0 else span
    step = max(ORBIT_HISTORY_MIN_STEP_S, period / ORBIT_HISTORY_STEPS_PER_PERIOD, span / ORBIT_HISTORY_MAX_SAMPLES)
    t, s = trajectory.sample(step)
    rot_me = frames.rotation("MOON_ME", t, pck)
    rot = rot_me if plane == "MOON_ME" else plane_rotation(plane, t, pck, mission.sources.ephemeris)
    sp = np.concatenate([np.einsum("nij,nj->ni", rot, s[:, :3]), np.einsum("nij,nj->ni", rot, s[:, 3:])], axis=1)
    osc = cartesian_to_keplerian(sp, gm)
    a, e, w = osc[:, 0], osc[:, 1], osc[:, 4]
    h = np.cross(s[:, :3], s[:, 3:])
    sun = mission.sources.ephemeris.position("sun", "moon", t)
    beta = np.degrees(
        np.arcsin(np.clip(np.sum(h * sun, axis=1) / (np.linalg.norm(h, axis=1) * np.linalg.norm(sun, axis=1)), -1, 1))
    )
    r_me = np.einsum("nij,nj->ni", rot_me, s[:, :3])
    lat = np.degrees(np.arcsin(np.clip(r_me[:, 2] / np.linalg.norm(r_me, axis=1), -1.0, 1.0)))
    lon = np.mod(np.degrees(np.arctan2(r_me[:, 1], r_me[:, 0])) + 180.0, 360.0) - 180.0
    if a0 > 0 and t.size > 2 and t[-1] - t[0] > period:
        mean = mean_elements(t, sp, gm, period)
        mvec = running_mean(t, np.column_stack([e * np.cos(w), e * np.sin(w)]), period)
        ok = np.flatnonzero(np.all(np.isfinite(mean), axis=1))
    else:  # shorter than one period (or unbound): no mean elements
        mean, mvec, ok = np.zeros((t.size, 5)), np.zeros((t.size, 2)), np.zeros(0, int)
    k = _stride(t.size, ORBIT_HISTORY_POINTS)
    m = ok[_stride(ok.size, ORBIT_HISTORY_POINTS)]
    deg = np.degrees
    return PlanOrbitHistory(
        plane=plane,
        mean_method=MEAN_ELEMENTS_METHOD,
        step_s=round(step, 3),
        samples=int(t.size),
        period_s=round(float(period), 3),
        t_tdb=np.round(t[k], 3),
        a_km=np.round(a[k], 3),
        e=np.round(e[k], 7),
        i_deg=np.round(deg(osc[k, 2]), 5),
        raan_deg=np.round(deg(osc[k, 3]), 5),
        argp_deg=np.round(deg(w[k]), 5),
        ex=np.round(e[k] * np.cos(w[k]), 7),
        ey=np.round(e[k] * np.sin(w[k]), 7),
        periapsis_alt_km=np.round(a[k] * (1 - e[k]) - MOON_RADIUS_KM, 3),
        apoapsis_alt_km=np.round(a[k] * (1 + e[k]) - MOON_RADIUS_KM, 3),
        beta_deg=np.round(beta[k], 5),
        mean_t_tdb=np.round(t[m], 3),
        mean_a_km=np.round(mean[m, 0], 3),
        mean_e=np.round(mean[m, 1], 7),
        mean_i_deg=np.round(deg(mean[m, 2]), 5),
        mean_raan_deg=np.round(deg(mean[m, 3]), 5),
        mean_argp_deg=np.round(deg(mean[m, 4]), 5),
        mean_ex=np.round(mvec[m, 0], 7),
        mean_ey=np.round(mvec[m, 1], 7),
        track_t_tdb=np.round(t[k], 3),
        track_lat_deg=np.round(lat[k], 5),
        track_lon_deg=np.round(lon[k], 5),
    )


#: HEALPix resolution of the plan's sky-coverage map (coverage.fits and the report's sky map):
#: nside 32, 12,288 pixels of 3.4 deg^2 (docs/science.md, "Sky coverage", for its cost).
PLAN_COVERAGE_NSIDE = 32


#: Sampling of the Sun's and the Earth's sky paths for the report (s), and the most samples.
SKY_PATH_STEP_S = 3600.0
MAX_SKY_PATH_SAMPLES = 2000


def plan_sky_paths(mission, trajectory) -> PlanSkyPaths:
    """The Sun's and the Earth's directions from the Moon's centre over the span (RA/Dec, deg),
    every ``SKY_PATH_STEP_S`` (fewer when the span would need more than ``MAX_SKY_PATH_SAMPLES``).
    Seen from the spacecraft they differ by its parallax, at most r/d: 0.3° (100 km orbit) to
    1.6° (the demo ELFO's apolune) for the Earth, 4e-3° for the Sun; sampling the spacecraft's
    position every hour would alias its orbit into loops on the map, so the paths leave it out."""
    from ..states import body_seen_from

    t0, t1 = mission.t_start, min(mission.t_stop, float(trajectory.t_stop))
    n = int(min(MAX_SKY_PATH_SAMPLES, max(2, np.ceil((t1 - t0) / SKY_PATH_STEP_S) + 1)))
    t = np.linspace(t0, t1, n)
    centre = np.zeros((n, 3))
    out = {}
    for body in ("sun", "earth"):
        v = body_seen_from(mission.sources.ephemeris, body, t, centre)
        v /= np.linalg.norm(v, axis=1)[:, None]
        out[body] = (np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0, np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1))))
    return PlanSkyPaths(
        t_tdb=t,
        sun_ra_deg=out["sun"][0],
        sun_dec_deg=out["sun"][1],
        earth_ra_deg=out["earth"][0],
        earth_dec_deg=out["earth"][1],
        sun_exclusion_deg=mission.observing.constraints.sun_exclusion_deg,
    )


#: Reference depth of the report's reachable-sky figure: a point source of AB 22 at SNR 5 in NUV
#: (the instrument's first band if it has no NUV) with the mission's instrument, dark sky
#: (``science.coverage.hours_for_depth``); the same default as the sweep's ``sky_depth``.
PLAN_DEPTH = {"mag_ab": 22.0, "snr": 5.0, "band": "NUV"}


def plan_coverage(mission, trajectory) -> PlanCoverage:
    """The mission's sky coverage (``lunarscope.science.coverage.sky_coverage`` over the
    mission's windows job: its span and every target constraint) at ``PLAN_COVERAGE_NSIDE``."""
    from ..science.coverage import hours_for_depth, sky_coverage
    from .instrument import mission_instrument
    from .stages import window_job

    eclipse_only = bool(getattr(mission.observing.constraints, "eclipse_only", False))
    cov = sky_coverage(window_job(mission), trajectory, PLAN_COVERAGE_NSIDE, eclipse_only=eclipse_only)
    inst = mission_instrument(mission)
    band = PLAN_DEPTH["band"] if PLAN_DEPTH["band"] in inst.bands else next(iter(inst.bands))
    need = hours_for_depth(inst, band, PLAN_DEPTH["mag_ab"], PLAN_DEPTH["snr"])
    depth = {**PLAN_DEPTH, "band": band, "hours_needed": need, "fraction": float(cov.reachable_fraction(need))}
    return PlanCoverage(
        nside=cov.nside,
        ordering=cov.ordering,
        span_hours=cov.span_hours,
        hours=cov.hours,
        longest_hours=cov.longest_hours,
        constraints=cov.constraints,
        depth=depth,
    )


def force_model_text(mission) -> str:
    """The force model in one line: gravity field, degree × order and frame, third bodies, and
    radiation pressure (cannonball area, C_r, mass when on)."""
    fm = mission.force_model
    sc = fm.spacecraft
    srp = f"SRP on (cannonball {sc.srp_area_m2:g} m², Cr {sc.cr:g}, {sc.mass_kg:g} kg)" if fm.srp else "SRP off"
    return (
        f"{fm.field.name} gravity, degree {fm.field.degree_max} × order {fm.field.order_max} in {fm.gravity_frame}; "
        f"third bodies {', '.join(fm.third_bodies) or 'none'}; {srp}"
    )


def _request_results(schedule, problem, unschedulable: dict, target_order: list) -> tuple[list, list]:
    """PlanRequestResult per request (problem order) and PlanTargetResult per target with
    requests (``target_order``, then any other); counted exposure as ``Schedule.counted_exposure``."""
    from .snr_requests import achieved_snr

    got = schedule.counted_exposure(problem)
    snr_models = getattr(problem, "snr_models", {})
    visits: dict = {i: [] for i in snr_models}
    for a in schedule.activities:
        if a.kind == "observe" and a.request in visits:
            visits[a.request].append((a.start, a.stop))
    starts: list[list[float]] = [[] for _ in problem.requests]
    short = [0] * len(problem.requests)
    for a in schedule.activities:
        if a.kind == "observe" and a.request is not None:
            starts[a.request].append(float(a.start))
            if a.duration_s < problem.requests[a.request].min_visit_s - MIN_VISIT_SLACK_S:
                short[a.request] += 1
    firsts = [min(x) if x else None for x in starts]
    lasts = [max(x) if x else None for x in starts]
    have = [t for t in firsts + lasts if t is not None]
    utc = dict(zip(have, (str(u) for u in to_iso_utc(np.array(have))))) if have else {}
    out = []
    for i, r in enumerate(problem.requests):
        name = problem.request_names[i]
        counted = float(got[i])
        completion = min(1.0, counted / r.exposure_s)
        if counted <= 0:
            reason = unschedulable.get(name, "no counted visit")
        elif completion < 1.0 - 1e-9:
            reason = f"partly served: {counted:.0f} of {r.exposure_s:.0f} s counted"
            if r.n_visits is not None and len(starts[i]) >= r.n_visits:
                reason += f"; visit limit n_visits = {r.n_visits} reached"
        else:
            reason = ""
        if short[i]:
            reason += ("; " if reason else "") + f"{short[i]} visit(s) shorter than min_visit_s not counted"
        out.append(
            PlanRequestResult(
                request=name,
                target=r.target,
                priority=r.priority,
                exposure_s=r.exposure_s,
                counted_s=counted,
                visits=len(starts[i]),
                completion=completion,
                first_visit_tdb=firsts[i],
                last_visit_tdb=lasts[i],
                first_visit_utc=utc.get(firsts[i]),
                last_visit_utc=utc.get(lasts[i]),
                reason=reason,
                snr_requested=snr_models[i].snr if i in snr_models else None,
                snr_achieved=round(achieved_snr(snr_models[i], visits[i]), 3) if i in snr_models else None,
            )
        )
    by_target: dict = {}
    for res in out:
        by_target.setdefault(res.target, []).append(res)
    order = [t for t in target_order if t in by_target] + sorted(set(by_target) - set(target_order))
    targets = []
    for t in order:
        rs = by_target[t]
        want = sum(x.exposure_s for x in rs)
        f = [x.first_visit_tdb for x in rs if x.first_visit_tdb is not None]
        g = [x.last_visit_tdb for x in rs if x.last_visit_tdb is not None]
        targets.append(
            PlanTargetResult(
                target=t,
                requests=len(rs),
                priority=sum(x.priority for x in rs),
                exposure_s=want,
                counted_s=sum(x.counted_s for x in rs),
                visits=sum(x.visits for x in rs),
                completion=sum(min(x.counted_s, x.exposure_s) for x in rs) / want,
                first_visit_utc=utc.get(min(f)) if f else None,
                last_visit_utc=utc.get(max(g)) if g else None,
            )
        )
    return out, targets


def _contacts(mission, trajectory, windows: list, activities: list) -> list:
    """PlanContact per ``contact`` window (time order): geometry from
    ``lunarscope.windows.contact_report`` (the windows' own line of sight), data downlinked =
    the downlink activities of that station whose midpoint lies in the contact."""
    from ..windows.contact_report import contact_geometry
    from .stages import window_job

    cw = sorted((w for w in windows if w.kind == "contact"), key=lambda w: (w.start_tdb, w.subject))
    if not cw:
        return []
    geo = contact_geometry(window_job(mission), trajectory, [(w.subject, w.start_tdb, w.stop_tdb) for w in cw])
    tmax = to_iso_utc(np.array([g.max_elevation_tdb for g in geo]))
    out = []
    for w, g, tm in zip(cw, geo, tmax):
        dl = [
            a
            for a in activities
            if a.activity == "downlink"
            and a.station == w.subject
            and w.start_tdb <= 0.5 * (a.start_tdb + a.stop_tdb) <= w.stop_tdb
        ]
        out.append(
            PlanContact(
                station=w.subject,
                aos_tdb=w.start_tdb,
                los_tdb=w.stop_tdb,
                aos_utc=w.start_utc,
                los_utc=w.stop_utc,
                duration_s=w.duration_s,
                max_elevation_deg=round(g.max_elevation_deg, 6),
                max_elevation_tdb=g.max_elevation_tdb,
                max_elevation_utc=str(tm),
                range_aos_km=round(g.range_aos_km, 6),
                range_max_elevation_km=round(g.range_max_elevation_km, 6),
                range_los_km=round(g.range_los_km, 6),
                data_mbit=sum(a.data_mbit for a in dl),
                downlinks=len(dl),
            )
        )
    return out


def _csv_text(columns, rows) -> str:
    """CSV text: header ``columns``, then ``rows`` (cells quoted as in schedule.csv; None empty;
    floats to 1e-6 without trailing zeros)."""
    from ..scheduling.schedule import _csv_cell

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.6f}".rstrip("0").rstrip(".")
        return v

    lines = [",".join(columns)]
    lines += [",".join(_csv_cell(cell(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def requests_csv(plan: Plan) -> str:
    """``requests.csv`` (``REQUESTS_COLUMNS``), one row per request."""
    return _csv_text(REQUESTS_COLUMNS, [[getattr(r, c) for c in REQUESTS_COLUMNS] for r in plan.schedule.requests])


def contacts_csv(plan: Plan) -> str:
    """``contacts.csv`` (``CONTACTS_COLUMNS``), one row per station contact."""
    return _csv_text(CONTACTS_COLUMNS, [[getattr(c, k) for k in CONTACTS_COLUMNS] for c in plan.contacts])


def eclipses_csv(plan: Plan) -> str:
    """``eclipses.csv`` (``ECLIPSES_COLUMNS``): umbra and penumbra windows; ``body`` casts the shadow."""
    return _csv_text(
        ECLIPSES_COLUMNS, [[w.kind, w.subject, w.start_utc, w.stop_utc, w.duration_s] for w in plan.eclipses()]
    )


#: Plan fields left out of summary.json: the long per-sample and per-window lists (contacts are
#: in contacts.csv), and the TDB
#: span (summary.json gives the span as UTC text, as it did before the plan was typed).
SUMMARY_OMITS = {
    "": (
        "trajectory",
        "windows",
        "contacts",
        "coverage",
        "orbit_history",
        "sky_paths",
    ),  # the sky coverage is in coverage.fits
    "mission": ("start_tdb", "stop_tdb"),
    "schedule": ("activities", "recorder"),
}


def _summary_json(plan: Plan) -> dict:
    """summary.json: the plan without ``SUMMARY_OMITS``, plus window counts per kind and the
    product names."""
    data = plan.to_dict()
    out = {k: v for k, v in data.items() if k not in SUMMARY_OMITS[""]}
    for part in ("mission", "schedule"):
        out[part] = {k: v for k, v in data[part].items() if k not in SUMMARY_OMITS[part]}
    out["window_counts"] = plan.window_counts()
    out["products"] = list(PRODUCTS)
    return out


def run_plan(
    mission,
    outdir: str,
    *,
    solver: str | None = None,
    time_limit_s: float | None = None,
    generated_utc: str | None = None,
    stream=None,
) -> PlanResult:
    """Run every stage and write the products into ``outdir`` (atomically)."""
    import datetime as _dt

    from ..scheduling.validate import validate
    from .scheduling_problem import build_problem, solve_mission
    from .stages import mission_windows

    stream = stream or sys.stderr
    generated_utc = generated_utc or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stream.write(f"{mission.describe()}\ndata: {mission.sources.describe()}\n")

    prog = Progress("1/4 propagate", stream)
    prop = propagate_mission(mission, prog)
    traj = prop.trajectory
    psum = propagation_summary(mission, prop)
    prog.done(
        f"altitude {psum['altitude_min_km']:.1f} .. {psum['altitude_max_km']:.1f} km"
        + (f", IMPACT {psum['impact_utc']}" if psum["impact_utc"] else "")
    )

    prog = Progress("2/4 windows", stream)
    windows = mission_windows(mission, traj, progress=prog)
    prog.done(f"{len(windows.rows())} windows")

    prog = Progress("3/4 schedule", stream)
    problem = build_problem(mission, windows, traj)
    sched = solve_mission(mission, problem, solver, time_limit_s, progress=prog)
    broken = validate(sched, problem)
    if broken:
        raise RuntimeError("schedule failed validation: " + "; ".join(broken[:5]))
    prog.done(f"{sched.scheduler or solver}: science value {sched.science_value(problem):.3f}")

    prog = Progress("4/4 products", stream)
    plan = write_products(outdir, mission, traj, windows, problem, sched, psum, generated_utc)
    prog.done(f"wrote {len(PRODUCTS)} products to {outdir}")
    return PlanResult(mission, traj, windows, problem, sched, plan)


def write_products(
    outdir: str,
    mission,
    traj,
    windows,
    problem,
    sched,
    propagation: dict,
    generated_utc: str,
    *,
    summary_extra: dict | None = None,
    extra_files: dict | None = None,
) -> Plan:
    """Write every product of ``PRODUCTS`` for a solved plan into ``outdir`` through a staging
    folder (moved into place only when complete; removed on any error or Ctrl-C) and return
    the typed plan. ``summary_extra``: more top-level blocks of summary.json (``replan``);
    ``extra_files``: name -> text of more files written with the products (``diff.csv``)."""
    from ..io.czml import czml_document, czml_dumps
    from ..io.healpix import COVERAGE_NAME, coverage_fits_bytes
    from ..io.obsloctap import write_obsloctap
    from ..report import render_report

    extra_files = dict(extra_files or {})
    orbits = getattr(windows, "meta", {}).get("radio_quiet_orbits")
    if orbits is not None:  # the radio-quiet fraction of each orbit (lunarscope.windows.radio_quiet)
        from ..windows.radio_quiet import orbits_csv_text

        extra_files.setdefault("radio_quiet_orbits.csv", orbits_csv_text(orbits, lambda t: to_iso_utc(t, 3)))
    plan = plan_data(mission, traj, windows, problem, sched, propagation, generated_utc)
    summary = _summary_json(plan)
    summary["mission"].update(mission_file_identity(mission.path))
    summary.update(summary_extra or {})
    eph_t, eph_s = traj.sample(max(60.0, mission.duration_s / 20000))
    moon = mission.sources.ephemeris.position("moon", "earth", eph_t)
    packets = czml_document(mission.name, eph_t, eph_s[:, :3] + moon, moon, utc_decimals=3, windows=plan.windows)
    parent = os.path.dirname(os.path.abspath(outdir)) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(os.path.abspath(outdir)) + ".partial-", dir=parent)
    try:
        traj.write_oem(
            os.path.join(staging, "trajectory.oem"),
            mission.propagator.output_step_s,
            creation_date=generated_utc.rstrip("Z"),
            comments=[f"lunarscope plan: {mission.describe()}"],
        )
        _write(staging, "windows.csv", windows.to_csv_text())
        _write(staging, "schedule.csv", sched.to_csv(lambda x: to_iso_utc(x, 3), problem))
        _write(staging, TIMELINE_NAME, timeline_csv(sched, problem))
        _write(staging, "summary.json", json.dumps(summary, indent=2, sort_keys=True, default=_json_default) + "\n")
        _write(staging, "mission.czml", czml_dumps(packets))
        write_obsloctap(staging, plan, sched.request_ids(problem))  # obsloctap.vot, obsloctap.csv
        _write(staging, "report.html", render_report(plan))
        _write(staging, "requests.csv", requests_csv(plan))
        _write(staging, "contacts.csv", contacts_csv(plan))
        _write(staging, "eclipses.csv", eclipses_csv(plan))
        with open(os.path.join(staging, COVERAGE_NAME), "wb") as fh:  # the staging folder is the atomic step
            fh.write(coverage_fits_bytes(plan.coverage, **_coverage_meta(plan)))
        for name, text in extra_files.items():
            _write(staging, name, text)
        if not os.path.exists(outdir):
            public_mode(staging, directory=True)
            os.rename(staging, outdir)
        else:
            for name in (*PRODUCTS, *extra_files):
                os.replace(os.path.join(staging, name), os.path.join(outdir, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return plan


def _coverage_meta(plan: Plan) -> dict:
    """coverage.fits header values: the span (UTC) and the mission name."""
    m = plan.mission
    return {"start_utc": m.start_utc, "stop_utc": m.stop_utc, "mission": m.name}


def timeline_csv(sched, problem) -> str:
    """``schedule_tdb.csv`` (``TIMELINE_COLUMNS``): ``request`` is the request's name as in
    schedule.csv, ``block`` the engineering occurrence (``Problem.engineering_nominal`` row),
    ``contact`` a body-fixed downlink's contact index at its station; floats as ``repr``."""
    from ..scheduling.schedule import _csv_cell

    rows = [",".join(TIMELINE_COLUMNS)]
    for a, rid in zip(sched.activities, sched.request_ids(problem)):
        contact = a.pointing[2] if a.kind == "downlink" and a.pointing and a.pointing[0] == "earth" else ""
        cells = (a.kind, repr(float(a.start)), repr(float(a.stop)), a.target, repr(float(a.data_mbit)), a.station, rid)
        cells += ("" if a.block is None else int(a.block), "" if contact == "" else int(contact))
        rows.append(",".join(_csv_cell(c) for c in cells))
    return "\n".join(rows) + "\n"


def mission_file_identity(path: str) -> dict:
    """summary.json's ``mission.file`` (absolute path) and ``mission.sha256`` (of its bytes),
    which ``lunarscope replan`` checks before it re-reads the mission; None for a mission not
    read from a file."""
    import hashlib

    if not path or not os.path.isfile(path):
        return {"file": None, "sha256": None}
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    return {"file": os.path.abspath(path), "sha256": digest}


def _write(folder: str, name: str, text: str) -> None:
    with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def summary_table(result: PlanResult) -> str:
    """The final table printed by ``lunarscope plan``."""
    p = result.plan
    m = p.schedule.metrics
    prop = p.mission.propagation
    lines = [
        ("mission", f"{p.mission.name}  {p.mission.start_utc} .. {p.mission.stop_utc}"),
        (
            "altitude",
            f"{prop.altitude_min_km:.1f} .. {prop.altitude_max_km:.1f} km"
            + (f"  IMPACT {prop.impact_utc}" if prop.impact_utc else ""),
        ),
        ("windows", ", ".join(f"{k} {v}" for k, v in p.window_counts().items()) or "none"),
        (
            "science value",
            f"{m.science_value:.3f}"
            + (
                f" of bound {m.bound:.3f} ({100 * m.fraction_of_bound:.1f}%, {m.bound_source or 'LP relaxation'})"
                if m.bound
                else ""
            ),
        ),
        ("force model", p.mission.force_model),
        ("solver", f"{m.solver or '—'}: {m.status or ''}"),
        ("time cap", "HIT: result depends on machine speed" if "wall-clock cap hit" in (m.status or "") else "not hit"),
        (
            "observing efficiency",
            f"{100 * m.observing_efficiency:.1f}% of the span (slewing {100 * m.slew_fraction:.1f}%, "
            f"engineering {100 * m.engineering_fraction:.1f}%, idle {100 * m.idle_fraction:.1f}%)",
        ),
        ("requests", f"{m.requests_full} full, {m.requests_partial} partial, {m.requests_none} not done"),
        ("recorder", f"peak {m.recorder_peak_mbit:.0f} Mbit, final {abs(m.recorder_final_mbit):.0f} Mbit"),
        ("downlink", ", ".join(f"{k} {v:.0f} Mbit" for k, v in p.schedule.downlink_by_station.items()) or "none"),
    ]
    w = max(len(k) for k, _ in lines)
    return "\n".join(f"  {k:<{w}}  {v}" for k, v in lines)
