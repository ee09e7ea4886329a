"""The stages' plain inputs, built from a mission: the only place that reads a ``Mission`` for
propagation and windows.

* :func:`propagation_job` → :class:`~lunarscope.dynamics.propagator.PropagationJob`
  (run by :func:`~lunarscope.dynamics.propagator.run_propagation`);
* :func:`window_job` → :class:`~lunarscope.windows.compute.WindowJob`
  (run by :func:`~lunarscope.windows.compute.compute_windows`);
* scheduling receives a :class:`~lunarscope.scheduling.problem.Problem` from
  :func:`lunarscope.mission.scheduling_problem.build_problem`.

Every job is picklable and carries the mission's :class:`~lunarscope.sources.Sources`, so a
stage runs the same in another process (``tests/mission/test_stages_in_processes.py``).
"""

from __future__ import annotations

from ..dynamics.propagator import PropagationJob
from ..errors import InputError
from ..time import to_iso_utc
from ..windows.compute import COVERAGE_TOLERANCE_S, SiteJob, StationJob, WindowJob


def propagation_job(mission) -> PropagationJob:
    """The mission's orbit over its span with its force model and propagator settings."""
    p = mission.propagator
    return PropagationJob(
        mission.state0_icrf,
        mission.t_start,
        mission.t_stop,
        mission.force_model,
        maneuvers=tuple(mission.maneuvers),
        name=mission.name,
        **p.integrator_kwargs(),
    )


def _subjects(all_items, names):
    return [x for x in all_items if names is None or x.name in names]


def window_job(mission) -> WindowJob:
    """The windows of ``mission`` (its ``observing`` sections) over its span."""
    obs = mission.observing
    if obs is None:
        raise InputError("mission", "has no observing sections (stations, sites, targets, constraints)")
    c, st = obs.constraints, obs.settings
    t0, t1 = float(mission.t_start), float(mission.t_stop)
    stations = tuple(
        StationJob(s.name, s.site, s.min_elevation_deg, s.elevation_mask, s.max_range_km)
        for s in _subjects(obs.stations, st.stations)
    )
    sites = tuple(
        SiteJob(s.name, s.site, s.horizon_mask_deg, s.min_sun_elevation_deg) for s in _subjects(obs.sites, st.sites)
    )
    return WindowJob(
        t0,
        t1,
        mission.sources,
        tuple(st.kinds),
        stations,
        sites,
        tuple(t.name for t in obs.targets),
        obs.target_units(0.5 * (t0 + t1)),
        c.sun_exclusion_deg,
        c.earth_limb_deg,
        c.moon_limb_deg,
        c.earth_atmosphere_km,
        c.min_window_s,
        c.tolerance_s,
        st.light_time,
        st.shadow_min_window_s,
        st.radio_quiet,
    )


def check_no_impact(mission, trajectory) -> None:
    """InputError naming the impact when the propagated ``trajectory`` ends on the Moon before
    the mission span does (the windows and the plan need the whole span)."""
    impact = (getattr(trajectory, "meta", None) or {}).get("impact_tdb")
    if impact is None or impact >= mission.t_stop - COVERAGE_TOLERANCE_S:
        return
    alt = trajectory.meta.get("impact_altitude_km", 0.0)
    when, end = to_iso_utc([impact, mission.t_stop], 3)
    height = "the surface" if alt == 0 else f"{alt:g} km altitude (propagator.impact_altitude_km)"
    raise InputError(
        "orbit",
        f"the spacecraft impacts the Moon ({height}) at {when}, before the span "
        f"ends at {end}; shorten duration to end before the impact or raise the orbit",
    )


def mission_windows(mission, trajectory, progress=None):
    """All windows of ``mission`` along ``trajectory`` (an impact before the span ends is named)."""
    from ..windows.compute import compute_windows

    check_no_impact(mission, trajectory)
    return compute_windows(window_job(mission), trajectory, progress=progress)
