"""Eigen-axis slew model (rest-to-rest, bang-bang acceleration, rate-limited).

For a boresight change by angle theta the shortest eigen-axis rotation turns by theta
about ``u1 x u2`` (roll about the boresight is left free). With maximum acceleration
``a`` and maximum rate ``w`` the rest-to-rest time-optimal profile is (e.g. Wie, *Space
Vehicle Dynamics and Control*, 2nd ed., sec. 7.3, bang-bang / bang-off-bang):

* triangular (rate limit never reached), theta <= w^2 / a:  T = 2 sqrt(theta / a)
* trapezoidal otherwise:                                   T = theta / w + w / a

and a settle time is added after any non-zero slew. A zero angle needs no slew (T = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lunarscope.errors import InputError

#: Pointing changes below this angle are "the same pointing" (no slew needed), rad.
SAME_POINTING_RAD = 1e-9


@dataclass(frozen=True)
class SlewModel:
    """Eigen-axis slew limits: max rate (deg/s), max acceleration (deg/s^2), settle (s)."""

    max_rate_deg_s: float
    max_accel_deg_s2: float
    settle_s: float = 0.0

    def __post_init__(self):
        if not (self.max_rate_deg_s > 0):
            raise InputError("spacecraft.slew.max_rate_deg_s", f"{self.max_rate_deg_s} must be > 0")
        if not (self.max_accel_deg_s2 > 0):
            raise InputError("spacecraft.slew.max_accel_deg_s2", f"{self.max_accel_deg_s2} must be > 0")
        if not (self.settle_s >= 0):
            raise InputError("spacecraft.slew.settle_s", f"{self.settle_s} must be >= 0 (negative duration)")

    def time_s(self, angle_rad):
        """Slew duration (s) for eigen-axis angle(s) ``angle_rad`` (rad), settle included."""
        th = np.abs(np.asarray(angle_rad, dtype=float))
        w = np.radians(self.max_rate_deg_s)
        a = np.radians(self.max_accel_deg_s2)
        tri = 2.0 * np.sqrt(th / a)
        trap = th / w + w / a
        t = np.where(th <= w * w / a, tri, trap) + self.settle_s
        return np.where(th > SAME_POINTING_RAD, t, 0.0)

    def max_time_s(self) -> float:
        """Slew time for the largest possible angle (pi), s."""
        return float(self.time_s(np.pi))


def angle_between(u, v):
    """Angle(s) between unit vectors ``u`` (..., 3) and ``v`` (..., 3), rad (atan2 form, accurate at 0 and pi)."""
    u = np.asarray(u, float)
    v = np.asarray(v, float)
    c = np.linalg.norm(np.cross(u, v), axis=-1)
    d = np.sum(u * v, axis=-1)
    return np.arctan2(c, d)


def slew_matrix_s(model: SlewModel, dirs: np.ndarray) -> np.ndarray:
    """(M, M) slew times (s) between all pairs of unit vectors ``dirs`` (M, 3)."""
    dirs = np.asarray(dirs, float)
    return model.time_s(angle_between(dirs[:, None, :], dirs[None, :, :]))
