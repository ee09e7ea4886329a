"""States of any named point relative to any other, in any frame: the ``ephem`` job.

A point is a body of the ephemeris (``sun``, ``earth``, ``moon``, ``emb``, ``ssb``, planets)
or a site (``earth:LAT,LON,HEIGHT_KM``, ``moon:LAT,LON,HEIGHT_KM``, or a ``Site`` object).
States are geometric by default; ``aberration="LT"`` gives the light-time-corrected
(astrometric, no stellar aberration) state with the light time iterated to convergence,
as SPICE's ``spkezr(..., 'CN', ...)``.

:func:`body_seen_from` and :func:`earth_direction` are the one place where the Sun's and the
Earth's position as seen from the spacecraft (geometric or light-time corrected) is computed;
windows (``Scene``), scheduling (body-fixed antenna) and the plan all call them.
"""

from __future__ import annotations

import numpy as np

from . import frames
from .constants import SPEED_OF_LIGHT_KM_S
from .ephemeris import Ephemeris, body_code
from .errors import InputError
from .frames.rotations import state_to_frame
from .sites import Site, parse_site

#: Speed of light, km/s (constants.SPEED_OF_LIGHT_KM_S).
C_KM_S = SPEED_OF_LIGHT_KM_S
#: Frame name for east-north-up axes at the observer site.
TOPOCENTRIC = "ENU"
#: Light-time iterations for a body seen from the spacecraft (each gains ~ v/c; three reach
#: 1e-12 relative).
LIGHT_TIME_ITERATIONS = 3


def _require_ephemeris(ephemeris) -> Ephemeris:
    if not isinstance(ephemeris, Ephemeris):
        raise TypeError(
            "an Ephemeris is required (pass sources.ephemeris; lunarscope.sources.Sources.default() gives DE440)"
        )
    return ephemeris


def body_seen_from(ephemeris: Ephemeris, body: str, t, r_sc, light_time: bool = False) -> np.ndarray:
    """Moon-centred ICRF position (N,3) km of ``body`` at TDB seconds ``t`` (N,), where a
    spacecraft at Moon-centred ``r_sc`` (N,3) sees it: geometric, or with ``light_time`` the
    body where the light now arriving left it (iterated LIGHT_TIME_ITERATIONS times; NAIF SPK
    required reading, "Correcting for light time"; no stellar aberration)."""
    eph = _require_ephemeris(ephemeris)
    t = np.atleast_1d(np.asarray(t, float))
    p = eph.position(body, "moon", t)
    if not light_time:
        return p
    moon = eph.position("moon", "ssb", t)
    for _ in range(LIGHT_TIME_ITERATIONS):
        lt = np.linalg.norm(p - r_sc, axis=1) / C_KM_S
        p = eph.position(body, "ssb", t - lt) - moon
    return p


def earth_direction(ephemeris: Ephemeris, t, r_sc, light_time: bool = False) -> np.ndarray:
    """Unit vectors (N,3), ICRF, from a spacecraft at Moon-centred ``r_sc`` (N,3) km to the
    Earth's centre at TDB seconds ``t`` (see :func:`body_seen_from`)."""
    d = body_seen_from(ephemeris, "earth", t, r_sc, light_time) - r_sc
    return d / np.linalg.norm(d, axis=1)[:, None]


def resolve_point(spec, field: str = "target"):
    """A body code (int) or a Site from a user specification."""
    if isinstance(spec, Site):
        return spec
    site = parse_site(str(spec), field)
    if site is not None:
        return site
    try:
        return body_code(spec)
    except InputError as exc:
        raise InputError(field, exc.problem + "; or a site earth:LAT,LON,HEIGHT_KM / moon:LAT,LON,HEIGHT_KM") from None


def _ssb_state(point, t, eph: Ephemeris, moon_pck) -> np.ndarray:
    """State of a point relative to the solar-system barycentre, ICRF (N,6)."""
    if isinstance(point, Site):
        return eph.state(point.body, "ssb", t) + point.state_icrf(t, moon_pck)
    return eph.state(point, "ssb", t)


def _geometric(target, observer, t, eph, moon_pck) -> np.ndarray:
    tb = target.body if isinstance(target, Site) else target
    ob = observer.body if isinstance(observer, Site) else observer
    out = eph.state(tb, ob, t)
    if isinstance(target, Site):
        out = out + target.state_icrf(t, moon_pck)
    if isinstance(observer, Site):
        out = out - observer.state_icrf(t, moon_pck)
    return out


def _light_time(target, observer, t, eph, moon_pck) -> np.ndarray:
    """Light-time-corrected state: target at t−τ seen from the observer at t (3 iterations)."""
    obs = _ssb_state(observer, t, eph, moon_pck)
    tau = np.zeros(t.size)
    for _ in range(3):
        tgt = _ssb_state(target, t - tau, eph, moon_pck)
        tau = np.linalg.norm(tgt[:, :3] - obs[:, :3], axis=1) / C_KM_S
    tgt = _ssb_state(target, t - tau, eph, moon_pck)
    d = tgt[:, :3] - obs[:, :3]
    u = d / np.linalg.norm(d, axis=1)[:, None]
    dv = tgt[:, 3:] - obs[:, 3:]
    dtau = np.einsum("ij,ij->i", u, dv) / (C_KM_S + np.einsum("ij,ij->i", u, tgt[:, 3:]))
    vel = tgt[:, 3:] * (1.0 - dtau)[:, None] - obs[:, 3:]
    return np.concatenate([d, vel], axis=1)


def relative_state(
    target,
    observer,
    t,
    frame: str = "ICRF",
    *,
    sources=None,
    ephemeris: Ephemeris | None = None,
    moon_pck=None,
    aberration: str = "NONE",
) -> np.ndarray:
    """State of ``target`` relative to ``observer`` (N,6) km, km/s, in ``frame`` axes.

    ``frame`` is one of ``frames.FRAMES`` or ``"ENU"`` (east-north-up at the observer, which
    must then be a site). ``t`` in TDB seconds past J2000 (or anything ``time.to_tdb`` reads,
    astropy ``Time`` included). Data: ``sources`` (a :class:`~lunarscope.sources.Sources`),
    or ``ephemeris`` and ``moon_pck`` (a MoonPCK or path; needed for lunar frames and sites).
    With neither, this public entry point uses ``Sources.default()`` (DE440, DE421 PA) — the
    only default below ``mission/``, taken at the API's top level.
    """
    if sources is None and ephemeris is None:
        from .sources import Sources

        sources = Sources.default()
    if sources is not None:
        eph, pck = sources.ephemeris, sources.moon_pck
    else:
        eph, pck = _require_ephemeris(ephemeris), moon_pck
        if pck is None:
            from .sources import default_moon_pck_path

            pck = default_moon_pck_path()
    t = _as_tdb(t)
    tgt = resolve_point(target, "target")
    obs = resolve_point(observer, "observer")
    ab = str(aberration).upper()
    if ab == "NONE":
        s = _geometric(tgt, obs, t, eph, pck)
    elif ab == "LT":
        s = _light_time(tgt, obs, t, eph, pck)
    else:
        raise InputError("aberration", f"{aberration!r} must be NONE (geometric) or LT (light time)")
    if str(frame).strip().upper() == TOPOCENTRIC:
        if not isinstance(obs, Site):
            raise InputError("frame", "ENU needs an observer site (earth:LAT,LON,H or moon:LAT,LON,H)")
        return state_to_frame(*obs.enu_rotation(t, pck), s)
    return frames.to_frame(s, frame, t, pck)


def _as_tdb(t) -> np.ndarray:
    """(N,) TDB seconds from numbers or an astropy Time."""
    if hasattr(t, "jd1") and hasattr(t, "scale"):
        from .time import to_tdb

        t = to_tdb(t, "time")
    return np.atleast_1d(np.asarray(t, float))


class EarthDirection:
    """Picklable callable ``f(t) -> (N,3)`` unit vectors from the spacecraft of ``trajectory``
    to the Earth (:func:`earth_direction`), for the body-fixed antenna of the scheduler."""

    def __init__(self, ephemeris: Ephemeris, trajectory, light_time: bool = False):
        self.ephemeris = _require_ephemeris(ephemeris)
        self.trajectory = trajectory
        self.light_time = bool(light_time)

    def __call__(self, t) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t, float))
        return earth_direction(self.ephemeris, t, self.trajectory.position(t), self.light_time)

    def __repr__(self) -> str:
        return f"EarthDirection({self.ephemeris!r}, {self.trajectory!r})"
