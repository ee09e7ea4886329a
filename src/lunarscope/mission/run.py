"""Running the stages of a mission: propagation (and, in later modules, windows, schedule)."""

from __future__ import annotations

import sys
import time

import numpy as np

from ..dynamics.propagator import PropagationResult, propagate
from ..time import to_iso_utc
from .core import Mission


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
    """Propagate the mission's orbit over its span with its force model and settings."""
    p = mission.propagator
    return propagate(mission.state0_icrf, mission.t_start, mission.t_stop, mission.force_model,
                     rtol=p.rtol, atol_km=p.atol_km, maneuvers=mission.maneuvers,
                     impact_altitude_km=p.impact_altitude_km, fixed_step_s=p.fixed_step_s,
                     progress=progress, name=mission.name)


def propagation_summary(mission: Mission, result: PropagationResult, step_s: float = 60.0) -> dict:
    """Altitude range, apsides and impact of a propagated mission (altitude above 1737.4 km)."""
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
