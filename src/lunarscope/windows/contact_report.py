"""Per-contact geometry for the STK-style contact report: maximum elevation and ranges.

Purely geometric (no mission, no schedule): for each station contact ``(station, aos, los)``
it samples the same line of sight the contact windows are found with
(:meth:`lunarscope.windows.conditions.StationGeometry.line_of_sight` on a
:class:`~lunarscope.windows.scene.Scene`, so light time and station geometry are the windows'
own) every ``CONTACT_SAMPLE_STEP_S``, refines the maximum elevation at the vertex of the
parabola through the largest sample and its neighbours (evaluated exactly there; kept when
higher than the sample), and gives the station–spacecraft range at AOS, at maximum elevation and at LOS.
``lunarscope.mission.plan`` joins these rows with the schedule's downlinks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..geometry.angles import elevation_azimuth, norm
from .compute import WindowJob
from .conditions import StationGeometry
from .scene import Scene

#: Sampling step (s) of each contact when looking for its maximum elevation.
CONTACT_SAMPLE_STEP_S = 10.0


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
    ``job.stations``) along ``trajectory``; see the module docstring. Two evaluations of the
    line of sight per station: every sample of all its contacts at once, then every refined
    maximum at once (a call costs ~50 ms of set-up, so one per contact would dominate)."""
    scene = Scene(trajectory, job.sources.ephemeris, job.sources.moon_pck, light_time=job.light_time)
    geoms = {
        s.name: StationGeometry(s.site, s.min_elevation_deg, s.elevation_mask, s.max_range_km) for s in job.stations
    }
    by_station: dict = {}
    for k, (name, _t0, _t1) in enumerate(contacts):
        by_station.setdefault(name, []).append(k)
    out: list = [None] * len(contacts)
    for name, ks in by_station.items():
        geom = geoms[name]

        def los(t, g=geom):
            rho, enu = g.line_of_sight(scene.at(t))
            el, _ = elevation_azimuth(enu)
            return el, norm(rho)

        grids = []
        for k in ks:
            t0, t1 = float(contacts[k][1]), float(contacts[k][2])
            n = max(2, int(math.ceil((t1 - t0) / CONTACT_SAMPLE_STEP_S)) + 1)
            grids.append(np.linspace(t0, t1, n))
        edges = np.cumsum([0] + [len(g) for g in grids])
        el_all, rng_all = los(np.concatenate(grids))
        vertex = np.array([_vertex(g, el_all[a:b]) for g, a, b in zip(grids, edges[:-1], edges[1:])])
        el_v, rng_v = los(vertex)
        for j, k in enumerate(ks):
            el, rng, t = el_all[edges[j] : edges[j + 1]], rng_all[edges[j] : edges[j + 1]], grids[j]
            m = int(np.argmax(el))
            best = (float(t[m]), float(el[m]), float(rng[m]))
            if el_v[j] > best[1]:
                best = (float(vertex[j]), float(el_v[j]), float(rng_v[j]))
            out[k] = ContactGeometry(
                station=name,
                aos_tdb=float(t[0]),
                los_tdb=float(t[-1]),
                max_elevation_tdb=best[0],
                max_elevation_deg=math.degrees(best[1]),
                range_aos_km=float(rng[0]),
                range_max_elevation_km=best[2],
                range_los_km=float(rng[-1]),
            )
    return out


def _vertex(t: np.ndarray, el: np.ndarray) -> float:
    """Time of the maximum of the parabola through the largest sample and its neighbours
    (equally spaced), inside their span; the largest sample itself at an end or where the
    samples are not concave."""
    m = int(np.argmax(el))
    if m == 0 or m == len(el) - 1:
        return float(t[m])
    y0, y1, y2 = el[m - 1], el[m], el[m + 1]
    curv = y0 - 2.0 * y1 + y2
    if not curv < 0:
        return float(t[m])
    h = t[m + 1] - t[m]
    return float(np.clip(t[m] + 0.5 * h * (y0 - y2) / curv, t[m - 1], t[m + 1]))
