"""Shared helpers of the physics checks: initial states from elements and per-revolution
periapsis histories (km, s, rad; TDB seconds past J2000).

Initial elements are osculating Keplerian elements in the "MOON_ME_INERTIAL" frame: the axes of
MOON_ME (DE440 lunar mean-Earth/polar-axis frame) frozen at the epoch, the same convention as
the mission file's ``orbit.frame: MOON_ME_INERTIAL``. Elements → state: Vallado (2013) Alg. 10
via ``lunarscope.orbits.elements``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from lunarscope import frames
from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.orbits.elements import (
    cartesian_to_keplerian,
    keplerian_to_cartesian,
    mean_elements,
)
from lunarscope.sources import Sources

#: The data every reference script reads: DE440 and the DE421 lunar PA PCK (package defaults).
SOURCES = Sources.default()


def tdb_seconds(year: int, month: int, day: int) -> float:
    """TDB seconds past J2000 (2000-01-01T12:00:00 TDB) of 00:00:00 TDB on a calendar date.
    TDB has no leap seconds, so this is the plain calendar difference."""
    return (datetime(year, month, day) - datetime(2000, 1, 1, 12)).total_seconds()


def initial_state_me_inertial(
    t0: float,
    a_km: float,
    e: float,
    i_deg: float,
    raan_deg: float,
    argp_deg: float,
    ta_deg: float,
    gm_km3_s2: float,
    frame: str = "MOON_ME",
) -> np.ndarray:
    """Moon-centred ICRF state (6,) from elements in ``frame`` axes (MOON_ME, MOON_PA or ICRF)
    frozen at ``t0``."""
    s = keplerian_to_cartesian(
        a_km, e, np.radians(i_deg), np.radians(raan_deg), np.radians(argp_deg), np.radians(ta_deg), gm_km3_s2
    ).reshape(6)
    if frame == "ICRF":
        return s
    rot = frames.rotation(frame, [t0], SOURCES.moon_pck)[0]  # ICRF -> frame
    return np.concatenate([rot.T @ s[:3], rot.T @ s[3:]])


def periapsis_history(t: np.ndarray, states: np.ndarray, gm_km3_s2: float) -> dict:
    """Periapsis altitude histories above the 1737.4 km sphere (km) from states sampled
    densely (tens of samples per revolution) in Moon-centred ICRF axes.

    * ``osc``: osculating periapsis altitude a(1-e) - R at every sample,
    * ``rev_t``/``rev_min``: per revolution (consecutive blocks of one Keplerian period of the
      initial mean motion), the time and value of the smallest actual altitude |r| - R,
    * ``mean``: periapsis altitude of the one-period running-mean a and e
      (``orbits.elements.mean_elements``), NaN within half a period of the ends.
    """
    el = cartesian_to_keplerian(states, gm_km3_s2)
    osc = el[:, 0] * (1.0 - el[:, 1]) - MOON_RADIUS_KM
    alt = np.linalg.norm(states[:, :3], axis=1) - MOON_RADIUS_KM
    period = 2.0 * np.pi * np.sqrt(float(np.median(el[:, 0])) ** 3 / gm_km3_s2)
    rev = np.floor((t - t[0]) / period).astype(int)
    edges = np.flatnonzero(np.diff(rev)) + 1
    rev_t, rev_min = [], []
    for block in np.split(np.arange(t.size), edges):
        k = block[np.argmin(alt[block])]
        rev_t.append(t[k])
        rev_min.append(alt[k])
    me = mean_elements(t, states, gm_km3_s2, period=period)
    mean = me[:, 0] * (1.0 - me[:, 1]) - MOON_RADIUS_KM
    return {
        "osc": osc,
        "alt": alt,
        "rev_t": np.array(rev_t),
        "rev_min": np.array(rev_min),
        "mean": mean,
        "period_s": period,
    }
