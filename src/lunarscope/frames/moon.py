"""Lunar body-fixed frames: MOON_PA, MOON_ME and IAU_MOON.

* ``MOON_PA``: principal-axes frame of a JPL lunar ephemeris, Euler angles (φ, θ, ψ) read
  from a binary PCK with jplephem (the shipped default, whose path :func:`default_moon_pck`
  gives, is ``moon_pa_de421_1900-2050.bpc`` from the ``lunarsky`` wheel; the PCK is always
  passed in — a :class:`MoonPCK`, a path or ``Sources`` — never opened by default here).
  R = rot(ψ,3) rot(θ,1) rot(φ,3) (NAIF PCK required reading, type 2).
* ``MOON_ME``: MOON_PA followed by the fixed PA→ME rotation of the same realization (carried
  by the MoonPCK, ``pa_to_me_arcsec``); for
  DE421 the angles of ``moon_080317.tf`` (Williams et al. 2008, "DE421 Lunar Orbit, Physical
  Librations, and Surface Coordinates"): 67.92″, 78.56″, 0.30″ about axes 3, 2, 1.
* ``IAU_MOON``: IAU WGCCRE rotation model with its 13 periodic terms (Archinal et al. 2011,
  Celest. Mech. Dyn. Astr. 109:101, Table 2; same values in NAIF pck00010.tpc).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from ..chebyshev import ChebSegment, cheb_eval_many, euler313_many, euler313_rotate_states
from ..errors import CoverageError, InputError
from ..time import SECONDS_PER_DAY, to_iso_utc
from .rotations import rot

ARCSEC = np.pi / (180.0 * 3600.0)
DEG = np.pi / 180.0

#: PA→ME rotation angles for DE421 (moon_080317.tf, TKFRAME_31007): arcsec about axes 3, 2, 1.
PA_TO_ME_DE421_ARCSEC = (67.92, 78.56, 0.30)


def default_moon_pck() -> str:
    """Path of ``moon_pa_de421_1900-2050.bpc`` inside the installed ``lunarsky`` package."""
    from importlib.resources import files

    return files("lunarsky").joinpath("data", "pck", "moon_pa_de421_1900-2050.bpc").as_posix()


def pa_to_me_matrix(angles_arcsec=PA_TO_ME_DE421_ARCSEC) -> np.ndarray:
    """Fixed rotation taking MOON_PA components to MOON_ME components (3×3).

    A SPICE TK frame with ANGLES a1, a2, a3 about axes 3, 2, 1 maps TK-frame components to
    its RELATIVE frame with rot(a1,3) rot(a2,2) rot(a3,1) (NAIF frames.req); PA→ME is the
    transpose. Checked against SPICE ``pxform('MOON_PA', 'MOON_ME')`` in the tests.
    """
    a1, a2, a3 = (a * ARCSEC for a in angles_arcsec)
    me_to_pa = rot(a1, 3)[0] @ rot(a2, 2)[0] @ rot(a3, 1)[0]
    return me_to_pa.T


@dataclass(frozen=True)
class MoonPCK:
    """Lunar orientation from a binary PCK (Euler angles 3-1-3 relative to ICRF) and the
    fixed PA→ME rotation angles of the same lunar ephemeris (arcsec about axes 3, 2, 1).

    Pickles as its path and angles; the file is reopened (once per process) on first use.
    """

    path: str
    pa_to_me_arcsec: tuple = PA_TO_ME_DE421_ARCSEC

    @property
    def _segments(self):
        return _open_pck(self.path)

    @property
    def pa_to_me(self) -> np.ndarray:
        """(3,3) MOON_PA → MOON_ME components for this PCK's angles."""
        return pa_to_me_matrix(self.pa_to_me_arcsec)

    def coverage(self) -> tuple[float, float]:
        segs = self._segments
        return min(s.start for s in segs), max(s.stop for s in segs)

    def describe(self) -> str:
        lo, hi = self.coverage()
        start, stop = to_iso_utc([lo + 1, hi - 1], 0)
        ang = ", ".join(f"{a:g}" for a in self.pa_to_me_arcsec)
        return f"{self.path} (covered {start} .. {stop}; PA->ME {ang} arcsec)"

    def rotation(self, t) -> tuple[np.ndarray, np.ndarray]:
        """R (ICRF → MOON_PA) and dR/dt at TDB seconds ``t`` (N,), each (N,3,3)."""
        return euler313_many(self.angles(t))

    def states_to_frame(self, t, states, post=None) -> np.ndarray:
        """ICRF-axes states (N,6) → MOON_PA (or ``post`` · MOON_PA) components, fused."""
        m = np.eye(3) if post is None else np.ascontiguousarray(post, float)
        return euler313_rotate_states(self.angles(t), np.ascontiguousarray(states, float), m)

    def angles(self, t) -> np.ndarray:
        """(N,6) Euler angles (φ, θ, ψ) and rates at TDB seconds ``t``."""
        t = np.atleast_1d(np.asarray(t, float))
        ang = np.empty((t.size, 6))
        done = np.zeros(t.size, bool)
        for seg in self._segments:
            inside = ~done & (t >= seg.start) & (t <= seg.stop)
            if inside.any():
                every = inside.all()
                ang[inside] = cheb_eval_many(seg.coeffs, seg.init, seg.intlen, t if every else t[inside], 3)
                done |= inside
        if not done.all():
            lo, hi = self.coverage()
            start, stop, when = to_iso_utc([lo + 1, hi - 1, t[~done][0]], 0)
            raise CoverageError(
                "time", f"{when} is outside the lunar orientation coverage of {self.path}: {start} .. {stop}"
            )
        return ang


@lru_cache(maxsize=4)
def _open_pck(path: str):
    from jplephem.pck import PCK

    try:
        pck = PCK.open(path)
    except (OSError, ValueError) as exc:
        raise InputError("moon_pck", f"cannot read binary PCK {path!r}: {exc}") from None
    segs = [ChebSegment.from_jplephem(s) for s in pck.segments if s.data_type == 2]
    pck.daf.file.close()  # the segments are memory maps, which outlive the file object
    if not segs:
        raise InputError("moon_pck", f"{path!r} holds no type-2 (Chebyshev angles) segment")
    return segs


@lru_cache(maxsize=8)
def moon_pck(path: str, pa_to_me_arcsec=PA_TO_ME_DE421_ARCSEC) -> MoonPCK:
    """The lunar orientation PCK at ``path`` (checked readable), with its PA→ME angles.

    The path is required: the default (DE421 PA from lunarsky) is chosen at the top level
    (``lunarscope.sources``), never here.
    """
    if path is None:
        raise TypeError("moon_pck needs a PCK path (lunarscope.sources.default_moon_pck_path())")
    pck = MoonPCK(str(path), tuple(float(a) for a in pa_to_me_arcsec))
    _open_pck(pck.path)
    return pck


def as_moon_pck(pck) -> MoonPCK:
    """A :class:`MoonPCK` from a MoonPCK, a PCK path or a ``Sources``; ``None`` is a
    programming error (TypeError): lunar body frames need an explicit orientation source."""
    if isinstance(pck, MoonPCK):
        return pck
    inner = getattr(pck, "moon_pck", None)
    if isinstance(inner, MoonPCK):
        return inner
    if isinstance(pck, (str, bytes)) or hasattr(pck, "__fspath__"):
        return moon_pck(str(pck))
    raise TypeError(
        "lunar body frames (MOON_PA, MOON_ME) need the lunar PCK: pass a MoonPCK, "
        "a .bpc path or lunarscope.sources.Sources, not " + type(pck).__name__
    )


def moon_pa(t, pck):
    """(R, dR/dt) ICRF → MOON_PA from ``pck`` (MoonPCK, path or Sources)."""
    return as_moon_pck(pck).rotation(t)


def moon_me(t, pck):
    """(R, dR/dt) ICRF → MOON_ME (MOON_PA then the PCK's fixed PA→ME rotation)."""
    p = as_moon_pck(pck)
    r, dr = p.rotation(t)
    m = p.pa_to_me
    return m @ r, m @ dr


# IAU WGCCRE 2009 Moon model (Archinal et al. 2011, Table 2). E_k = e0 + e1 d  [deg, d in days].
_E = np.array(
    [
        (125.045, -0.0529921),
        (250.089, -0.1059842),
        (260.008, 13.0120009),
        (176.625, 13.3407154),
        (357.529, 0.9856003),
        (311.589, 26.4057084),
        (134.963, 13.0649930),
        (276.617, 0.3287146),
        (34.226, 1.7484877),
        (15.134, -0.1589763),
        (119.743, 0.0036096),
        (239.961, 0.1643573),
        (25.053, 12.9590088),
    ]
)
_ALPHA_SIN = np.array([-3.8787, -0.1204, 0.0700, -0.0172, 0.0, 0.0072, 0.0, 0.0, 0.0, -0.0052, 0.0, 0.0, 0.0043])
_DELTA_COS = np.array([1.5419, 0.0239, -0.0278, 0.0068, 0.0, -0.0029, 0.0009, 0.0, 0.0, 0.0008, 0.0, 0.0, -0.0009])
_W_SIN = np.array(
    [3.5610, 0.1208, -0.0642, 0.0158, 0.0252, -0.0066, -0.0047, -0.0046, 0.0028, 0.0052, 0.0040, 0.0019, -0.0044]
)


@numba.njit(cache=True, inline="always")
def iau_moon_angles_into(t, out):
    """(α0, δ0, W, α̇0, δ̇0, Ẇ) in rad and rad/s at TDB seconds ``t`` into ``out`` (6,)."""
    d = t / SECONDS_PER_DAY
    cent = d / 36525.0
    alpha = 269.9949 + 0.0031 * cent
    delta = 66.5392 + 0.0130 * cent
    w = 38.3213 + 13.17635815 * d - 1.4e-12 * d * d
    dalpha = 0.0031 / 36525.0
    ddelta = 0.0130 / 36525.0
    dw = 13.17635815 - 2.8e-12 * d
    for k in range(13):
        e = (_E[k, 0] + _E[k, 1] * d) * DEG
        se, ce = math.sin(e), math.cos(e)
        de = _E[k, 1]
        alpha += _ALPHA_SIN[k] * se
        delta += _DELTA_COS[k] * ce
        w += _W_SIN[k] * se
        dalpha += _ALPHA_SIN[k] * ce * de * DEG
        ddelta -= _DELTA_COS[k] * se * de * DEG
        dw += _W_SIN[k] * ce * de * DEG
    out[0] = alpha * DEG
    out[1] = delta * DEG
    out[2] = w * DEG
    out[3] = dalpha * DEG / SECONDS_PER_DAY
    out[4] = ddelta * DEG / SECONDS_PER_DAY
    out[5] = dw * DEG / SECONDS_PER_DAY


@numba.njit(cache=True, inline="always")
def iau_moon_euler_into(t, ang):
    """3-1-3 Euler angles (90°+α0, 90°−δ0, W) and rates of ICRF → IAU_MOON into ``ang`` (6,)."""
    iau_moon_angles_into(t, ang)
    alpha, delta = ang[0], ang[1]
    dalpha, ddelta = ang[3], ang[4]
    w, dw = ang[2], ang[5]
    ang[0] = 0.5 * math.pi + alpha
    ang[1] = 0.5 * math.pi - delta
    ang[2] = w
    ang[3] = dalpha
    ang[4] = -ddelta
    ang[5] = dw


@numba.njit(cache=True)
def _iau_euler_many(t):
    out = np.empty((t.size, 6))
    for i in range(t.size):
        iau_moon_euler_into(t[i], out[i])
    return out


def iau_moon_angles(t) -> tuple[np.ndarray, ...]:
    """IAU pole right ascension α0, declination δ0, prime meridian W (rad) and rates (rad/s)."""
    t = np.atleast_1d(np.asarray(t, float))
    out = np.empty((t.size, 6))
    for i in range(t.size):
        iau_moon_angles_into(t[i], out[i])
    return tuple(out.T)


def iau_moon(t, pck_path: str | None = None):
    """(R, dR/dt) ICRF → IAU_MOON: R = rot(W,3) rot(90°−δ0,1) rot(90°+α0,3)."""
    return euler313_many(_iau_euler_many(np.atleast_1d(np.asarray(t, float))))
