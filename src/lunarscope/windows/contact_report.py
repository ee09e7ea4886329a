"""Per-contact geometry for the STK-style contact report: maximum elevation and ranges.

Purely geometric (no mission, no schedule): for each station contact ``(station, aos, los)``
it samples the same line of sight the contact windows are found with
(:meth:`lunarscope.windows.conditions.StationGeometry.line_of_sight` on a
:class:`~lunarscope.windows.scene.Scene`, so light time and station geometry are the windows'
own) every ``CONTACT_SAMPLE_STEP_S``, refines the maximum elevation with a bounded
Brent search, and gives the station–spacecraft range at AOS, at maximum elevation and at LOS.
``lunarscope.mission.plan`` joins these rows with the schedule's downlinks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from ..geometry.angles import elevation_azimuth, norm
from .compute import WindowJob
from .conditions import StationGeometry
from .scene import Scene

#: Sampling step (s) of each contact when looking for its maximum elevation.
CONTACT_SAMPLE_STEP_S = 10.0
#: Time tolerance (s) of the refined maximum-elevation instant; at ≤ 0.1 °/s of elevation rate
#: near the maximum (where the rate is ~0) the elevation error is far below 1e-6 deg.
MAX_ELEVATION_XTOL_S = 1e-3


@dataclass(frozen=True)
class ContactGeometry:
    """One contact: station, AOS/LOS and maximum-elevation instants (TDB s), maximum elevation
    (deg) and range station → spacecraft (km) at AOS, at maximum elevation and at LOS."""

    station: str
    aos_tdb: float
    los_tdb: float
    max_elevation_tdb: float
    max_elevation_deg: float
    range_aos_km: float
    range_max_elevation_km: float
    range_los_km: float


def contact_geometry(job: WindowJob, trajectory, contacts) -> list[ContactGeometry]:
    """Geometry of each ``(station_name, aos_tdb, los_tdb)`` in ``contacts`` (stations of
    ``job.stations``) along ``trajectory``; see the module docstring."""
    scene = Scene(trajectory, job.sources.ephemeris, job.sources.moon_pck, light_time=job.light_time)
    geoms = {
        s.name: StationGeometry(s.site, s.min_elevation_deg, s.elevation_mask, s.max_range_km) for s in job.stations
    }
    out = []
    for name, t0, t1 in contacts:
        geom = geoms[name]
        t0, t1 = float(t0), float(t1)

        def los(t, g=geom):
            rho, enu = g.line_of_sight(scene.at(t))
            el, _ = elevation_azimuth(enu)
            return el, norm(rho)

        n = max(2, int(math.ceil((t1 - t0) / CONTACT_SAMPLE_STEP_S)) + 1)
        t = np.linspace(t0, t1, n)
        el, rng = los(t)
        k = int(np.argmax(el))
        lo, hi = t[max(k - 1, 0)], t[min(k + 1, n - 1)]
        best_t, best_el = float(t[k]), float(el[k])
        if hi > lo:
            res = minimize_scalar(
                lambda x: -float(los(np.array([x]))[0][0]),
                bounds=(lo, hi),
                method="bounded",
                options={"xatol": MAX_ELEVATION_XTOL_S},
            )
            if -res.fun > best_el:
                best_t, best_el = float(res.x), float(-res.fun)
        r_max = float(los(np.array([best_t]))[1][0])
        out.append(
            ContactGeometry(
                station=name,
                aos_tdb=t0,
                los_tdb=t1,
                max_elevation_tdb=best_t,
                max_elevation_deg=math.degrees(best_el),
                range_aos_km=float(rng[0]),
                range_max_elevation_km=r_max,
                range_los_km=float(rng[-1]),
            )
        )
    return out
