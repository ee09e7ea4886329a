"""Reference frames as rotation arrays.

``rotation(frame, t)`` gives R (N,3,3) with ``r_frame = R @ r_icrf``; ``state_transform``
gives the 6×6 [[R, 0], [dR/dt, R]] that also carries the ω×r term. Frames share the
origin of whatever they are applied to: positions relative to the Moon in MOON_PA, etc.

=========== =====================================================================
ICRF        International Celestial Reference Frame axes (DE ephemerides, SPICE J2000)
MOON_PA     lunar principal axes from a binary PCK (passed in: a MoonPCK, path or Sources)
MOON_ME     lunar mean-Earth/polar-axis = MOON_PA + the PCK's fixed PA→ME rotation
IAU_MOON    IAU WGCCRE 2009 rotation model of the Moon
ITRF        Earth-fixed: IAU 2006/2000A, IERS UT1−UTC and polar motion (ERFA)
=========== =====================================================================

The lunar frames need the orientation source (``pck``: a :class:`~.moon.MoonPCK`, a ``.bpc``
path or :class:`lunarscope.sources.Sources`); without one they raise TypeError — nothing here
opens a default kernel.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .earth import itrf
from .moon import as_moon_pck, iau_moon, moon_me, moon_pa
from .rotations import state_from_frame, state_matrix, state_to_frame

FRAMES = ("ICRF", "MOON_PA", "MOON_ME", "IAU_MOON", "ITRF")
#: Body whose centre is the natural origin of each body-fixed frame.
FRAME_CENTER = {"MOON_PA": "moon", "MOON_ME": "moon", "IAU_MOON": "moon", "ITRF": "earth"}


def _icrf(t, pck=None):
    n = np.atleast_1d(np.asarray(t, float)).size
    return np.broadcast_to(np.eye(3), (n, 3, 3)).copy(), np.zeros((n, 3, 3))


_ROTATIONS = {"ICRF": _icrf, "MOON_PA": moon_pa, "MOON_ME": moon_me, "IAU_MOON": iau_moon, "ITRF": itrf}


def check_frame(frame: str, field: str = "frame") -> str:
    """Normalize a frame name or raise InputError listing the known frames."""
    name = str(frame).strip().upper()
    if name in ("J2000", "GCRF", "EME2000_ICRF"):
        name = "ICRF"
    if name not in _ROTATIONS:
        raise InputError(field, f"unknown frame {frame!r}; use one of {', '.join(FRAMES)}")
    return name


def rotation_and_rate(frame: str, t, pck=None):
    """(R, dR/dt), each (N,3,3), ICRF → ``frame`` at TDB seconds ``t``; ``pck`` is required
    for MOON_PA and MOON_ME."""
    return _ROTATIONS[check_frame(frame)](t, pck)


def rotation(frame: str, t, pck=None) -> np.ndarray:
    """R (N,3,3), ICRF → ``frame``."""
    return rotation_and_rate(frame, t, pck)[0]


def state_transform(frame: str, t, pck=None) -> np.ndarray:
    """6×6 state transforms (N,6,6) ICRF → ``frame`` including the ω×r term."""
    return state_matrix(*rotation_and_rate(frame, t, pck))


def to_frame(states, frame: str, t, pck=None) -> np.ndarray:
    """ICRF-axes states (N,6) → ``frame`` components (same origin)."""
    name = check_frame(frame)
    if name == "ICRF":
        return np.asarray(states, float).copy()
    if name in ("MOON_PA", "MOON_ME"):  # fused path: no (N,3,3) arrays
        p = as_moon_pck(pck)
        return p.states_to_frame(t, np.atleast_2d(states), p.pa_to_me if name == "MOON_ME" else None)
    r, dr = rotation_and_rate(frame, t, pck)
    return state_to_frame(r, dr, np.atleast_2d(states))


def from_frame(states, frame: str, t, pck=None) -> np.ndarray:
    """``frame`` components (N,6) → ICRF axes (same origin)."""
    if check_frame(frame) == "ICRF":
        return np.asarray(states, float).copy()
    r, dr = rotation_and_rate(frame, t, pck)
    return state_from_frame(r, dr, np.atleast_2d(states))


__all__ = [
    "FRAMES",
    "FRAME_CENTER",
    "check_frame",
    "rotation",
    "rotation_and_rate",
    "state_transform",
    "to_frame",
    "from_frame",
]
