"""States of any named point relative to any other, in any frame: the ``ephem`` job.

A point is a body of the ephemeris (``sun``, ``earth``, ``moon``, ``emb``, ``ssb``, planets)
or a site (``earth:LAT,LON,HEIGHT_KM``, ``moon:LAT,LON,HEIGHT_KM``, or a ``Site`` object).
States are geometric by default; ``aberration="LT"`` gives the light-time-corrected
(astrometric, no stellar aberration) state with the light time iterated to convergence,
as SPICE's ``spkezr(..., 'CN', ...)``.
"""

from __future__ import annotations

import numpy as np

from . import frames
from .ephemeris import Ephemeris, body_code, load_ephemeris
from .errors import InputError
from .frames.rotations import state_to_frame
from .sites import Site, parse_site

#: Speed of light (IAU 2009 defining constant), km/s.
C_KM_S = 299792.458
#: Frame name for east-north-up axes at the observer site.
TOPOCENTRIC = "ENU"


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


def relative_state(target, observer, t, frame: str = "ICRF", *, ephemeris: Ephemeris | None = None,
                   moon_pck: str | None = None, aberration: str = "NONE") -> np.ndarray:
    """State of ``target`` relative to ``observer`` (N,6) km, km/s, in ``frame`` axes.

    ``frame`` is one of ``frames.FRAMES`` or ``"ENU"`` (east-north-up at the observer, which
    must then be a site). ``t`` in TDB seconds past J2000.
    """
    eph = ephemeris or load_ephemeris(None)
    t = np.atleast_1d(np.asarray(t, float))
    tgt = resolve_point(target, "target")
    obs = resolve_point(observer, "observer")
    ab = str(aberration).upper()
    if ab == "NONE":
        s = _geometric(tgt, obs, t, eph, moon_pck)
    elif ab == "LT":
        s = _light_time(tgt, obs, t, eph, moon_pck)
    else:
        raise InputError("aberration", f"{aberration!r} must be NONE (geometric) or LT (light time)")
    if str(frame).strip().upper() == TOPOCENTRIC:
        if not isinstance(obs, Site):
            raise InputError("frame", "ENU needs an observer site (earth:LAT,LON,H or moon:LAT,LON,H)")
        return state_to_frame(*obs.enu_rotation(t, moon_pck), s)
    return frames.to_frame(s, frame, t, moon_pck)
