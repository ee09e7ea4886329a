"""Running the stages of a mission: propagation (and, in later modules, windows, schedule)."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from ..constants import MOON_SOI_RADIUS_KM
from ..dynamics.propagator import PropagationResult, run_propagation
from ..time import to_iso_utc
from .core import Mission, is_three_body_orbit
from .stages import propagation_job


class Progress:
    """One-line progress on standard error for long stages (silent when not a terminal
    unless ``force``)."""

    def __init__(self, label: str, stream=None, force: bool = False):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = force or getattr(self.stream, "isatty", lambda: False)()
        self.t0 = time.perf_counter()
        self._last = -1.0

    def __call__(self, fraction: float) -> None:
        if not self.enabled or fraction - self._last < 0.02:
            return
        self._last = fraction
        elapsed = time.perf_counter() - self.t0
        self.stream.write(f"\r{self.label}: {100 * fraction:5.1f}%  {elapsed:6.1f} s")
        self.stream.flush()

    def done(self, message: str = "") -> None:
        elapsed = time.perf_counter() - self.t0
        if self.enabled:
            self.stream.write("\r")
        self.stream.write(f"{self.label}: done in {elapsed:.1f} s{('  ' + message) if message else ''}\n")
        self.stream.flush()


def propagate_mission(mission: Mission, progress=None) -> PropagationResult:
    """Propagate the mission's orbit over its span with its force model and settings; warns
    when the orbit leaves the Moon's sphere of influence (see :func:`check_sphere_of_influence`)."""
    result = run_propagation(propagation_job(mission), progress)
    if not is_three_body_orbit(mission):  # an NRHO's apolune is beyond it by design
        check_sphere_of_influence(result.trajectory)
    return result


def check_sphere_of_influence(trajectory) -> float | None:
    """Warn (once per call) when ``trajectory`` goes beyond the Moon's sphere of influence
    (``constants.MOON_SOI_RADIUS_KM`` ≈ 66,200 km), where the Earth dominates and a lunar-orbit
    model no longer describes the motion; returns the first such time (TDB s) or None.
    Checked at the integrator's nodes (the steps of a 7th-order method never skip far)."""
    nodes = np.asarray(trajectory.nodes, float)
    if nodes.size == 0:
        return None
    r = np.linalg.norm(trajectory.position(nodes), axis=1)
    out = np.nonzero(r > MOON_SOI_RADIUS_KM)[0]
    if out.size == 0:
        return None
    t_out = float(nodes[out[0]])
    warnings.warn(
        f"orbit: the propagated orbit leaves the Moon's sphere of influence "
        f"({MOON_SOI_RADIUS_KM:,.0f} km) at {to_iso_utc(t_out, 0)[0]} and reaches "
        f"{r.max():,.0f} km from the Moon; the Earth dominates there — check orbit "
        f"(a_km in km, not m; e < 1)",
        stacklevel=2,
    )
    return t_out


def propagation_summary(mission: Mission, result: PropagationResult, step_s: float = 60.0) -> dict:
    """Altitude range, apsides and impact of a propagated mission (altitude above the mean
    lunar radius, ``constants.MOON_RADIUS_KM``)."""
    traj = result.trajectory
    t, s = traj.sample(min(step_s, 60.0))
    r = np.linalg.norm(s[:, :3], axis=1)
    alt = traj.altitude_km(t)
    out = {
        "start_utc": to_iso_utc(traj.t_start)[0],
        "stop_utc": to_iso_utc(traj.t_stop)[0],
        "altitude_min_km": float(alt.min()),
        "altitude_min_utc": to_iso_utc(t[np.argmin(alt)])[0],
        "altitude_max_km": float(alt.max()),
        "radius_min_km": float(r.min()),
        "steps": int(result.n_steps),
        "impact_utc": None if result.impact_time is None else to_iso_utc(result.impact_time)[0],
    }
    return out
