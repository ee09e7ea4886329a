"""Force model of a spacecraft around the Moon, compiled as one right-hand side.

Equations of motion in Moon-centred ICRF axes (km, km/s, TDB seconds):

    r̈ = a_field(R·r) rotated back  +  Σ_b GM_b [ (r_b − r)/|r_b − r|³ − r_b/|r_b|³ ]
        + ν · P☉ (AU/|r − r☉|)² · C_r · A/m · (r − r☉)/|r − r☉|

* Central field: spherical harmonics (``lunarscope.gravity``) in MOON_PA (default), MOON_ME
  or IAU_MOON; R is the ICRF→body rotation at t.
* Third bodies (Earth, Sun, optionally planets' barycentres): point masses with the indirect
  term (Montenbruck & Gill 2000, eq. 3.37); GM from DE440 (Park et al. 2021).
* Solar radiation pressure: cannonball, P☉ = 4.56e-6 N/m² at 1 au, ν the visible fraction
  of the solar disk behind the Moon and the Earth (conical shadows, ``geometry.shadow``).

The data files come in explicitly (``ephemeris``, ``moon_pck``: from
``lunarscope.sources.Sources``); a force model without them raises TypeError when used.
Everything the right-hand side needs travels in one tuple built for the propagation span:
the Chebyshev records of DE440 and of the lunar PCK restricted to that span, the field
coefficients, and the constants. The function is pure (no hidden state), so it can be
batched or moved to another backend later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np

from ..chebyshev import ChebSegment, cheb_eval, euler313_into
from ..constants import AU_KM, EARTH_RADIUS_KM, MOON_RADIUS_KM, SECONDS_PER_DAY, SRP_1AU_N_M2
from ..ephemeris import GM_KM3_S2, Ephemeris
from ..errors import InputError
from ..frames.moon import MoonPCK, iau_moon_euler_into
from ..geometry.shadow import sun_visible_fraction
from ..gravity.field import GravityField
from ..gravity.kernel import accel_into as _accel_into

GRAVITY_FRAMES = {"MOON_PA": 0, "MOON_ME": 1, "IAU_MOON": 2}
#: Third bodies users may name (NAIF codes; planets are their system barycentres in DE440).
THIRD_BODIES = {"earth": 399, "sun": 10, "venus": 299, "mars": 4, "jupiter": 5, "saturn": 6, "mercury": 199}
#: Span margin kept around the propagation span when slicing Chebyshev records (s).
_SPAN_MARGIN_S = 2 * SECONDS_PER_DAY


@dataclass(frozen=True)
class Cannonball:
    """The cannonball radiation-pressure model of the spacecraft: mass (kg), SRP area (m²),
    reflectivity coefficient C_r."""

    mass_kg: float = 450.0
    srp_area_m2: float = 4.0
    cr: float = 1.3

    def __post_init__(self):
        if not (np.isfinite(self.mass_kg) and self.mass_kg > 0):
            raise InputError("spacecraft.mass_kg", f"{self.mass_kg} must be > 0 kg")
        if not (np.isfinite(self.srp_area_m2) and self.srp_area_m2 >= 0):
            raise InputError("spacecraft.srp_area_m2", f"{self.srp_area_m2} must be >= 0 m^2")
        if not (np.isfinite(self.cr) and 0.0 <= self.cr <= 2.0):
            raise InputError("spacecraft.cr", f"{self.cr} must be in [0, 2]")


@dataclass(frozen=True)
class ForceModel:
    """What acts on the spacecraft. ``field`` is already truncated to the wanted degree;
    ``ephemeris`` (SPK) and ``moon_pck`` (lunar orientation and PA→ME angles) are the data the
    right-hand side reads — required, usually ``sources.ephemeris`` and ``sources.moon_pck``."""

    field: GravityField
    gravity_frame: str = "MOON_PA"
    third_bodies: tuple = ("earth", "sun")
    srp: bool = False
    spacecraft: Cannonball = field(default_factory=Cannonball)
    ephemeris: Ephemeris | None = None
    moon_pck: MoonPCK | None = None

    def __post_init__(self):
        frame = str(self.gravity_frame).upper()
        if frame not in GRAVITY_FRAMES:
            raise InputError(
                "force_model.gravity.frame", f"{self.gravity_frame!r} must be one of {', '.join(GRAVITY_FRAMES)}"
            )
        object.__setattr__(self, "gravity_frame", frame)
        bodies = tuple(str(b).lower() for b in self.third_bodies)
        for b in bodies:
            if b not in THIRD_BODIES:
                raise InputError(
                    "force_model.third_bodies", f"unknown body {b!r}; use any of {', '.join(THIRD_BODIES)}"
                )
        object.__setattr__(self, "third_bodies", bodies)

    def _sources(self) -> tuple[Ephemeris, MoonPCK]:
        if not isinstance(self.ephemeris, Ephemeris) or not isinstance(self.moon_pck, MoonPCK):
            raise TypeError(
                "ForceModel needs ephemeris= (an Ephemeris) and moon_pck= (a MoonPCK): "
                "pass sources.ephemeris and sources.moon_pck (lunarscope.sources.Sources)"
            )
        return self.ephemeris, self.moon_pck

    def args(self, t_start: float, t_stop: float, impact_radius_km: float = 0.0) -> tuple:
        """The numba argument tuple of :func:`moon_rhs` valid over [t_start, t_stop];
        ``impact_radius_km`` is read by :func:`impact_event`."""
        lo, hi = min(t_start, t_stop) - _SPAN_MARGIN_S, max(t_start, t_stop) + _SPAN_MARGIN_S
        eph, pck = self._sources()
        # chain bodies: 0 moon wrt emb, 1 earth wrt emb, 2 emb wrt ssb, 3 sun wrt ssb, 4.. planets wrt ssb
        chain = [(301, 3), (399, 3), (3, 0), (10, 0)]
        gms = [0.0, 0.0, 0.0, 0.0]
        extra = [b for b in self.third_bodies if b not in ("earth", "sun")]
        for name in extra:
            code = THIRD_BODIES[name]
            chain.append((code if code < 10 else code // 100, 0))
        if "earth" in self.third_bodies:
            gms[1] = GM_KM3_S2[399]
        if "sun" in self.third_bodies:
            gms[3] = GM_KM3_S2[10]
        for name in extra:
            code = THIRD_BODIES[name]
            gms.append(GM_KM3_S2[code if code < 10 else code // 100])
        segs = [_span_records(eph, target, center, lo, hi) for target, center in chain]
        coeffs, inits, intlens = _stack(segs)
        pa = _pck_records(pck, lo, hi)
        pa_c, pa_i, pa_l = _stack([pa])
        sc = self.spacecraft
        # m/s^2 → km/s^2: × 1e-3
        srp_k = (SRP_1AU_N_M2 * sc.cr * sc.srp_area_m2 / sc.mass_kg * 1e-3) if self.srp else 0.0
        grav = self.field.kernel_args()
        return (
            grav,
            coeffs,
            inits,
            intlens,
            np.array(gms),
            pa_c[0],
            pa_i[0],
            pa_l[0],
            np.int64(GRAVITY_FRAMES[self.gravity_frame]),
            np.ascontiguousarray(pck.pa_to_me),
            float(srp_k),
            float(MOON_RADIUS_KM),
            float(impact_radius_km),
        )

    def acceleration(self, t, states) -> np.ndarray:
        """Total acceleration (N,3) km/s² at TDB times ``t`` for Moon-centred ICRF ``states``."""
        t = np.atleast_1d(np.asarray(t, float))
        states = np.atleast_2d(np.asarray(states, float))
        args = self.args(float(t.min()), float(t.max()))
        out = np.empty((t.size, 3))
        for i in range(t.size):
            out[i] = moon_rhs(float(t[i]), np.ascontiguousarray(states[i]), args)[3:]
        return out


def _span_records(eph: Ephemeris, target: int, center: int, lo: float, hi: float) -> ChebSegment:
    edge = eph._parent.get(target)
    if edge is None or edge.center != center:
        raise InputError("ephemeris", f"{eph.path} has no segment for body {target} w.r.t. {center}")
    for seg in edge.cheb:
        if seg is not None and seg.start <= lo and hi <= seg.stop:
            return _slice(seg, lo, hi)
    start, stop = eph.coverage(target)
    from ..time import to_iso_utc

    a, b, c, d = to_iso_utc([lo + _SPAN_MARGIN_S, hi - _SPAN_MARGIN_S, start + 1, stop - 1], 0)
    raise InputError("start", f"propagation span {a} .. {b} is outside the ephemeris coverage {c} .. {d}")


def _pck_records(pck, lo: float, hi: float) -> ChebSegment:
    for seg in pck._segments:
        if seg.start <= lo and hi <= seg.stop:
            return _slice(seg, lo, hi)
    from ..time import to_iso_utc

    s0, s1 = pck.coverage()
    a, b, c, d = to_iso_utc([lo + _SPAN_MARGIN_S, hi - _SPAN_MARGIN_S, s0 + 1, s1 - 1], 0)
    raise InputError(
        "start", f"propagation span {a} .. {b} is outside the lunar orientation coverage {c} .. {d} of {pck.path}"
    )


def _slice(seg: ChebSegment, lo: float, hi: float) -> ChebSegment:
    n = seg.coeffs.shape[0]
    k0 = max(0, int(math.floor((lo - seg.init) / seg.intlen)))
    k1 = min(n - 1, int(math.floor((hi - seg.init) / seg.intlen)))
    coeffs = np.ascontiguousarray(seg.coeffs[k0 : k1 + 1, :3])
    return ChebSegment(coeffs, seg.init + k0 * seg.intlen, seg.intlen, lo, hi, 3)


def _stack(segs):
    nrec = max(s.coeffs.shape[0] for s in segs)
    ncoef = max(s.coeffs.shape[2] for s in segs)
    out = np.zeros((len(segs), nrec, 3, ncoef))
    for k, s in enumerate(segs):
        out[k, : s.coeffs.shape[0], :, : s.coeffs.shape[2]] = s.coeffs
    return out, np.array([s.init for s in segs]), np.array([s.intlen for s in segs])


@numba.njit(cache=True)
def _body_pos(coeffs, inits, intlens, k, t, buf):
    cheb_eval(coeffs[k], inits[k], intlens[k], t, 3, buf, False)


@numba.njit(cache=True)
def body_positions(t, coeffs, inits, intlens, out):
    """Positions relative to the Moon (km, ICRF) of the chain bodies: out[0] Earth,
    out[1] Sun, out[2+j] extra planet j."""
    moon = np.empty(6)
    earth = np.empty(6)
    emb = np.empty(6)
    tmp = np.empty(6)
    _body_pos(coeffs, inits, intlens, 0, t, moon)
    _body_pos(coeffs, inits, intlens, 1, t, earth)
    _body_pos(coeffs, inits, intlens, 2, t, emb)
    for c in range(3):
        out[0, c] = earth[c] - moon[c]
    for k in range(3, coeffs.shape[0]):
        _body_pos(coeffs, inits, intlens, k, t, tmp)
        for c in range(3):
            out[k - 2, c] = tmp[c] - emb[c] - moon[c]


@numba.njit(cache=True)
def moon_body_rotation(t, pa_c, pa_i, pa_l, mode, me, rot):
    """ICRF → gravity-frame rotation at t into rot (1,3,3): mode 0 PA, 1 ME, 2 IAU_MOON."""
    ang = np.empty(6)
    if mode == 2:
        iau_moon_euler_into(t, ang)
    else:
        cheb_eval(pa_c, pa_i, pa_l, t, 3, ang, False)
    euler313_into(ang, rot, rot, 0, False)
    if mode == 1:
        tmp = np.empty((3, 3))
        for a in range(3):
            for b in range(3):
                s = 0.0
                for k in range(3):
                    s += me[a, k] * rot[0, k, b]
                tmp[a, b] = s
        for a in range(3):
            for b in range(3):
                rot[0, a, b] = tmp[a, b]


@numba.njit(cache=True)
def moon_rhs(t, y, args):
    """dy/dt for y = (r, v) Moon-centred ICRF, km and km/s; ``args`` from ForceModel.args."""
    (grav, coeffs, inits, intlens, gms, pa_c, pa_i, pa_l, mode, me, srp_k, moon_r, _impact_r) = args
    out = np.empty(6)
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    rot = np.empty((1, 3, 3))
    moon_body_rotation(t, pa_c, pa_i, pa_l, mode, me, rot)
    rb = np.empty(3)
    for a in range(3):
        rb[a] = rot[0, a, 0] * y[0] + rot[0, a, 1] * y[1] + rot[0, a, 2] * y[2]
    ab = np.empty(3)
    _accel_into(rb, *grav, ab)  # grav = GravityField.kernel_args()
    for a in range(3):
        out[3 + a] = rot[0, 0, a] * ab[0] + rot[0, 1, a] * ab[1] + rot[0, 2, a] * ab[2]
    nb = coeffs.shape[0] - 2
    pos = np.empty((nb, 3))
    body_positions(t, coeffs, inits, intlens, pos)
    for k in range(nb):
        g = gms[1] if k == 0 else gms[k + 2]
        if g == 0.0:
            continue
        dx = pos[k, 0] - y[0]
        dy = pos[k, 1] - y[1]
        dz = pos[k, 2] - y[2]
        d3 = (dx * dx + dy * dy + dz * dz) ** 1.5
        b3 = (pos[k, 0] ** 2 + pos[k, 1] ** 2 + pos[k, 2] ** 2) ** 1.5
        out[3] += g * (dx / d3 - pos[k, 0] / b3)
        out[4] += g * (dy / d3 - pos[k, 1] / b3)
        out[5] += g * (dz / d3 - pos[k, 2] / b3)
    if srp_k > 0.0:
        r = y[:3]
        zero = np.zeros(3)
        nu = sun_visible_fraction(r, pos[1], zero, moon_r)
        nu *= sun_visible_fraction(r, pos[1], pos[0], EARTH_RADIUS_KM)
        if nu > 0.0:
            sx = y[0] - pos[1, 0]
            sy = y[1] - pos[1, 1]
            sz = y[2] - pos[1, 2]
            d = math.sqrt(sx * sx + sy * sy + sz * sz)
            f = nu * srp_k * (AU_KM / d) ** 2 / d
            out[3] += f * sx
            out[4] += f * sy
            out[5] += f * sz
    return out


@numba.njit(cache=True)
def impact_event(t, y, args):
    """Terminal event: radius minus the impact radius (km); crosses + → − at impact."""
    return math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]) - args[12]
