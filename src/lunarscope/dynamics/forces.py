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
the span fit (:func:`span_fit`: one Chebyshev series per 4-day record for the Earth and Sun
positions relative to the Moon and for the ICRF → body rotation, re-expanded from the DE440
and lunar PCK records of that span and checked against them), the field coefficients, and the
constants. The function is pure (no hidden state), so it can be
batched or moved to another backend later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np

from ..chebyshev import ChebSegment, cheb_eval, euler313_into, record_at
from ..constants import AU_KM, EARTH_RADIUS_KM, MOON_RADIUS_KM, SECONDS_PER_DAY, SRP_1AU_N_M2
from ..ephemeris import GM_KM3_S2, Ephemeris
from ..errors import InputError
from ..frames.moon import MoonPCK, iau_moon_euler_into
from ..geometry.shadow import sun_visible_fraction
from ..gravity.field import GravityField
from ..gravity.kernel import LANES, _accel_packed, accel_lanes
from ..intrinsics import njit_slp, stack_empty1, stack_empty2

GRAVITY_FRAMES = {"MOON_PA": 0, "MOON_ME": 1, "IAU_MOON": 2}
#: Third bodies users may name (NAIF codes; planets are their system barycentres in DE440).
THIRD_BODIES = {"earth": 399, "sun": 10, "venus": 299, "mars": 4, "jupiter": 5, "saturn": 6, "mercury": 199}
#: Span margin kept around the propagation span when slicing Chebyshev records (s).
_SPAN_MARGIN_S = 2 * SECONDS_PER_DAY
#: Coefficients per record of the span fit (at least; more if a chain segment has more): the
#: DE440 Moon, Earth and EMB series have 13, the Sun 11, so 13 reproduces them exactly.
SPAN_FIT_MIN_COEFS = 13
#: Halvings of the fit's records tried before a geometry that will not fit is refused.
SPAN_FIT_MAX_HALVINGS = 4
#: Largest Earth position error of the span fit (km; 1 mm). The Earth's tidal acceleration at
#: the spacecraft moves by ~3 GM⊕ r δ / d⁴ ≈ 1e-19 km/s² for δ = 1 mm (r 2000 km, d 384,400 km):
#: < 1e-9 mm over 30 days. Measured: 5e-10 km (0.5 µm, rounding; tests/dynamics/test_span_fits.py).
SPAN_FIT_EARTH_MAX_KM = 1e-6
#: Largest Sun position error (km; 1 m): tidal change ~3 GM☉ r δ / d⁴ ≈ 2e-21 km/s² for 1 m;
#: the shadow cone moves by < 1 m × r/d. Measured: 1.3e-7 km (0.13 mm, rounding of 1.5e8 km).
SPAN_FIT_SUN_MAX_KM = 1e-3
#: Largest planet position error (km; 1 m), as for the Sun (planets are farther or lighter).
SPAN_FIT_PLANET_MAX_KM = 1e-3
#: Largest element error of the fitted ICRF → body rotation (rad; a small rotation's angle).
#: Only the non-central field turns with it (≲ 1e-6 km/s² at 100 km): δ = 1e-11 rad gives
#: ≲ 1e-17 km/s², ≲ 0.04 mm over a day. The reference itself is only good to ~1e-12 rad: the
#: PCK's third Euler angle is ~5,000 rad in 2030 (ulp 9e-13 rad). Measured: ≤ 5e-12 (that
#: rounding; tests/dynamics/test_span_fits.py).
SPAN_FIT_ROTATION_MAX_RAD = 1e-11


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
        ``impact_radius_km`` is read by :func:`impact_event`.

        ``(grav, coeffs, inits, intlens, gms, geo, geo_init, geo_intlen, mode, me, srp_k,
        moon_r, impact_r)``: ``geo`` (n_rec, n_coef, 3 (nb + 2)) is the span fit (:func:`span_fit`)
        on records ``geo_init + k·geo_intlen`` (TDB s): the positions relative to the Moon of Earth,
        Sun and the extra planets (km, ICRF), then the first two rows of the ICRF → gravity-frame
        rotation (``mode``, ``me``: already folded in); :func:`moon_rhs` and
        :func:`moon_body_rotation` read it. ``coeffs`` (nb + 2, n_rec, 3, n_coef) holds the same
        coefficients per row, ``inits``/``intlens`` (nb + 2,) the grid, for :func:`body_positions`.
        ``gms`` (km³/s²): the Earth's at [1], the Sun's at [3], the extra planets' from [4].
        """
        gms = [0.0, 0.0, 0.0, 0.0]  # indexed as the chain of direct_args: 1 Earth, 3 Sun, 4.. planets
        if "earth" in self.third_bodies:
            gms[1] = GM_KM3_S2[399]
        if "sun" in self.third_bodies:
            gms[3] = GM_KM3_S2[10]
        for name in self.third_bodies:
            if name not in ("earth", "sun"):
                code = THIRD_BODIES[name]
                gms.append(GM_KM3_S2[code if code < 10 else code // 100])
        direct = self.direct_args(t_start, t_stop)
        lo, hi = min(t_start, t_stop) - _SPAN_MARGIN_S, max(t_start, t_stop) + _SPAN_MARGIN_S
        # record grid of the fit: the chain's shortest records (DE440: the Moon's 4 days) on their
        # own boundaries, so each fitted record lies inside one record of every DE440 chain segment
        # and of the lunar PCK (8-day records on the same grid)
        inits, intlens = direct[1], direct[2]
        k = int(np.argmin(intlens))
        ncoef = max(SPAN_FIT_MIN_COEFS, direct[0].shape[3])
        geo, geo_init, geo_intlen = span_fit(direct, lo, hi, float(inits[k]), float(intlens[k]), ncoef)
        nrow = geo.shape[2] // 3
        # the same coefficients per body row for body_positions: (nb + 2, n_rec, 3, n_coef)
        rows = np.ascontiguousarray(geo.reshape(geo.shape[0], geo.shape[1], nrow, 3).transpose(2, 0, 3, 1))
        # read-only: the tuple is shared by every orbit over this span (propagator.force_args); the
        # flag is also part of numba's type, so no kernel compiled for the Chebyshev records this
        # tuple held before (same shapes and dtypes) is taken from a stale on-disk cache
        geo.setflags(write=False)
        rows.setflags(write=False)
        sc = self.spacecraft
        # m/s^2 → km/s^2: × 1e-3
        srp_k = (SRP_1AU_N_M2 * sc.cr * sc.srp_area_m2 / sc.mass_kg * 1e-3) if self.srp else 0.0
        grav = self.field.kernel_args()
        return (
            grav,
            rows,
            np.full(nrow, geo_init),
            np.full(nrow, geo_intlen),
            np.array(gms),
            geo,
            float(geo_init),
            float(geo_intlen),
            direct[6],
            direct[7],
            float(srp_k),
            float(MOON_RADIUS_KM),
            float(impact_radius_km),
        )

    def direct_args(self, t_start: float, t_stop: float) -> tuple:
        """The kernels' own records over [t_start, t_stop] (± the span margin), as
        :func:`chain_body_positions` and :func:`direct_body_rotation` read them:
        ``(coeffs, inits, intlens, pa_c, pa_i, pa_l, mode, me)`` — the reference the span fit is
        checked against (tests/dynamics/test_span_fits.py)."""
        lo, hi = min(t_start, t_stop) - _SPAN_MARGIN_S, max(t_start, t_stop) + _SPAN_MARGIN_S
        eph, pck = self._sources()
        # chain: 0 moon wrt emb, 1 earth wrt emb, 2 emb wrt ssb, 3 sun wrt ssb, 4.. planets wrt ssb
        chain = [(301, 3), (399, 3), (3, 0), (10, 0)]
        for name in (b for b in self.third_bodies if b not in ("earth", "sun")):
            code = THIRD_BODIES[name]
            chain.append((code if code < 10 else code // 100, 0))
        coeffs, inits, intlens = _stack([_span_records(eph, target, center, lo, hi) for target, center in chain])
        pa_c, pa_i, pa_l = _stack([_pck_records(pck, lo, hi)])
        mode = np.int64(GRAVITY_FRAMES[self.gravity_frame])
        return (coeffs, inits, intlens, pa_c[0], pa_i[0], pa_l[0], mode, np.ascontiguousarray(pck.pa_to_me))

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


def span_fit(direct: tuple, lo: float, hi: float, init: float, intlen: float, ncoef: int):
    """Chebyshev fit over [lo, hi] (TDB s) of the geometry :func:`moon_rhs` needs, from the
    kernels' records ``direct`` (:meth:`ForceModel.direct_args`): the Earth, Sun and planet
    positions relative to the Moon (one series per body instead of the DE440 chain Sun–SSB,
    EMB–SSB, Moon–EMB) and the first two rows of the ICRF → gravity-frame rotation (no trig per
    call; the third row is their cross product).

    Records of ``intlen`` s on the grid ``init + k·intlen`` (the kernel's own boundaries), each
    ``ncoef`` coefficients interpolating the direct evaluation at the Chebyshev points of the
    first kind (Trefethen, *Approximation Theory and Approximation Practice*, 2013, ch. 3–4;
    the times are rounded to doubles and the interpolation is solved at the rounded points).
    Inside one record of every source the positions are polynomials of degree ≤ ncoef − 1, so
    the fit reproduces them to rounding; the rotation (trig of the PCK's polynomial angles)
    converges geometrically. The fit is checked at the ncoef + 1 extrema of T_ncoef in each
    record against ``SPAN_FIT_*_MAX`` and the records halved (at most ``SPAN_FIT_MAX_HALVINGS``
    times) until it passes. Returns (geo (n_rec, ncoef, 3 (nb + 2)), init, intlen): component
    3 b + c of the n_rec records is body b's coordinate c, 3 nb + c and 3 nb + 3 + c the rows.
    """
    nb = direct[0].shape[0] - 2
    limits = _fit_limits(nb)
    for _ in range(SPAN_FIT_MAX_HALVINGS + 1):
        start = init + math.floor((lo - init) / intlen) * intlen
        nrec = max(1, math.ceil((hi - start) / intlen))
        geo = _fit_records(float(start), float(intlen), nrec, int(ncoef), *direct)
        errors = _fit_errors(geo, float(start), float(intlen), float(lo), float(hi), ncoef + 1, True, *direct)
        if np.all(errors <= limits):
            return geo, float(start), float(intlen)
        intlen = 0.5 * intlen
    worst = int(np.argmax(errors / limits))
    raise InputError(
        "ephemeris",
        f"the span fit of the force model's geometry misses its tolerance ({errors[worst]:.3g} > "
        f"{limits[worst]:.3g} for {'the rotation' if worst == nb else f'body {worst}'}) even on "
        f"{intlen * 2:.0f} s records: the ephemeris or lunar PCK records are not smooth or not aligned",
    )


def _fit_limits(nb: int) -> np.ndarray:
    """Tolerances of :func:`span_fit_errors`' entries: nb bodies (km), then the rotation (rad)."""
    lim = np.full(nb + 1, SPAN_FIT_PLANET_MAX_KM)
    lim[0] = SPAN_FIT_EARTH_MAX_KM
    if nb > 1:
        lim[1] = SPAN_FIT_SUN_MAX_KM
    lim[nb] = SPAN_FIT_ROTATION_MAX_RAD
    return lim


def span_fit_errors(geo, init, intlen, direct, lo, hi, points_per_record=None) -> np.ndarray:
    """Largest fit error over [lo, hi] (TDB s) against the direct evaluation, at
    ``points_per_record`` evenly spaced points per record (default: the ncoef + 1 extrema of
    T_ncoef, the ends included): (nb + 1,) — the position error (km) of each body (Earth, Sun,
    planets), then the largest element error of the rotation matrix (rad)."""
    if points_per_record is None:
        return _fit_errors(geo, float(init), float(intlen), float(lo), float(hi), geo.shape[1] + 1, True, *direct)
    return _fit_errors(geo, float(init), float(intlen), float(lo), float(hi), int(points_per_record), False, *direct)


@numba.njit(cache=True)
def _solve_into(v, b):
    """Solve v x = b in place (b (n, m) becomes x; v (n, n) is destroyed): Gaussian elimination
    with partial pivoting (Golub & Van Loan, *Matrix Computations*, 4th ed., Alg. 3.4.1)."""
    n = v.shape[0]
    m = b.shape[1]
    for col in range(n):
        p = col
        for r in range(col + 1, n):
            if abs(v[r, col]) > abs(v[p, col]):
                p = r
        if p != col:
            for c in range(n):
                v[col, c], v[p, c] = v[p, c], v[col, c]
            for c in range(m):
                b[col, c], b[p, c] = b[p, c], b[col, c]
        for r in range(col + 1, n):
            f = v[r, col] / v[col, col]
            for c in range(col, n):
                v[r, c] -= f * v[col, c]
            for c in range(m):
                b[r, c] -= f * b[col, c]
    for col in range(n - 1, -1, -1):
        for c in range(m):
            acc = b[col, c]
            for k in range(col + 1, n):
                acc -= v[col, k] * b[k, c]
            b[col, c] = acc / v[col, col]


@numba.njit(cache=True)
def _fit_records(start, intlen, nrec, ncoef, coeffs, inits, intlens, pa_c, pa_i, pa_l, mode, me):
    """Span-fit coefficients (nrec, ncoef, 3 (nb + 2)) on records [start + k·intlen, + intlen):
    interpolation of :func:`direct_geometry_many` at the Chebyshev points, rounded to times."""
    out = np.empty((nrec, ncoef, 3 * coeffs.shape[0]))
    ts = np.empty(ncoef)
    v = np.empty((ncoef, ncoef))
    for k in range(nrec):
        rs = start + k * intlen
        for i in range(ncoef):
            x = math.cos(math.pi * (i + 0.5) / ncoef)
            ts[i] = rs + 0.5 * (x + 1.0) * intlen
        vals = direct_geometry_many(ts, coeffs, inits, intlens, pa_c, pa_i, pa_l, mode, me)
        for i in range(ncoef):
            s = 2.0 * (ts[i] - rs) / intlen - 1.0  # as span_eval forms it
            v[i, 0] = 1.0
            v[i, 1] = s
            for j in range(2, ncoef):
                v[i, j] = 2.0 * s * v[i, j - 1] - v[i, j - 2]
        _solve_into(v, vals)
        out[k] = vals
    return out


@numba.njit(cache=True)
def _fit_errors(geo, init, intlen, lo, hi, npts, extrema, coeffs, inits, intlens, pa_c, pa_i, pa_l, mode, me):
    """See :func:`span_fit_errors`; ``extrema``: the points cos(π i/(npts − 1)), else even."""
    nb = geo.shape[2] // 3 - 2
    nrec = geo.shape[0]
    out = np.zeros(nb + 1)
    ts = np.empty(1)
    buf = np.empty(geo.shape[2])
    rf = np.empty((1, 3, 3))
    rr = np.empty((1, 3, 3))
    for k in range(nrec):
        for i in range(npts):
            x = math.cos(math.pi * i / (npts - 1)) if extrema else -1.0 + 2.0 * i / (npts - 1)
            t = init + k * intlen + 0.5 * (x + 1.0) * intlen
            if t < lo or t > hi:
                continue
            ts[0] = t
            ref = direct_geometry_many(ts, coeffs, inits, intlens, pa_c, pa_i, pa_l, mode, me)
            span_eval(t, geo, init, intlen, buf)
            for b in range(nb):
                d = 0.0
                for c in range(3):
                    d += (buf[3 * b + c] - ref[0, 3 * b + c]) ** 2
                out[b] = max(out[b], math.sqrt(d))
            _rotation_from_rows(buf, 3 * nb, rf)
            _rotation_from_rows(ref[0], 3 * nb, rr)
            for a in range(3):
                for c in range(3):
                    out[nb] = max(out[nb], abs(rf[0, a, c] - rr[0, a, c]))
    return out


# ---- the kernels' own records (the reference of the span fit) -----------------------------


@numba.njit(cache=True)
def _body_pos(coeffs, inits, intlens, k, t, buf):
    cheb_eval(coeffs[k], inits[k], intlens[k], t, 3, buf, False)


@numba.njit(cache=True)
def chain_body_positions(t, coeffs, inits, intlens, out):
    """Positions relative to the Moon (km, ICRF) of the chain bodies from the SPK records of
    :meth:`ForceModel.direct_args`: out[0] Earth, out[1] Sun, out[2+j] extra planet j."""
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
def direct_body_rotation(t, pa_c, pa_i, pa_l, mode, me, rot):
    """ICRF → gravity-frame rotation at t into rot (1,3,3) from the PCK records (trig of the
    Euler angles): mode 0 PA, 1 ME, 2 IAU_MOON."""
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
def direct_geometry_many(ts, coeffs, inits, intlens, pa_c, pa_i, pa_l, mode, me):
    """(N, 3 (nb + 2)) at TDB times ``ts``: the nb body positions (km) of
    :func:`chain_body_positions`, then rows 0 and 1 of :func:`direct_body_rotation`."""
    nb = coeffs.shape[0] - 2
    out = np.empty((ts.size, 3 * (nb + 2)))
    pos = np.empty((nb, 3))
    rot = np.empty((1, 3, 3))
    for i in range(ts.size):
        chain_body_positions(ts[i], coeffs, inits, intlens, pos)
        direct_body_rotation(ts[i], pa_c, pa_i, pa_l, mode, me, rot)
        for k in range(nb):
            for c in range(3):
                out[i, 3 * k + c] = pos[k, c]
        for c in range(3):
            out[i, 3 * nb + c] = rot[0, 0, c]
            out[i, 3 * nb + 3 + c] = rot[0, 1, c]
    return out


# ---- the span fit, as the right-hand side reads it -----------------------------------------


@numba.njit(cache=True, inline="always")
def span_eval(t, geo, init, intlen, out):
    """Every component of the span fit at TDB t into out[:ncomp] (``geo`` (n_rec, n_coef, ncomp),
    records [init + k·intlen, + intlen)): Σ_j c_j T_j(s), s = 2 (t − start)/intlen − 1, summed
    over j outermost so all components share each T_j (the inner loop runs over contiguous
    components)."""
    ncoef = geo.shape[1]
    ncomp = geo.shape[2]
    k, s = record_at(t, init, intlen, geo.shape[0])
    for c in range(ncomp):
        out[c] = geo[k, 0, c] + geo[k, 1, c] * s
    t0 = 1.0
    t1 = s
    for j in range(2, ncoef):
        t2 = 2.0 * s * t1 - t0
        for c in range(ncomp):
            out[c] += geo[k, j, c] * t2
        t0 = t1
        t1 = t2


@numba.njit(cache=True)
def span_eval_many(ts, geo, init, intlen):
    """(N, ncomp) :func:`span_eval` at TDB times ``ts``."""
    out = np.empty((ts.size, geo.shape[2]))
    for i in range(ts.size):
        span_eval(ts[i], geo, init, intlen, out[i])
    return out


@numba.njit(cache=True, inline="always")
def _orthonormal_rows(a0, a1, a2, b0, b1, b2):
    """The rotation (9 elements, row-major) whose first two rows are the fitted rows a, b made
    orthonormal (Gram–Schmidt: a normalized, b's part along a removed, normalized); row 2 = a × b.
    The fit leaves |a| − 1 and a·b at ~1e-12 (the rounding of the PCK's Euler angles it
    interpolates); unrepaired, that much scale error of the central term alone would break
    the 1e-12 energy drift over 100 orbits (tests/dynamics/test_two_body_drift.py)."""
    f = 1.0 / math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    a0 *= f
    a1 *= f
    a2 *= f
    d = a0 * b0 + a1 * b1 + a2 * b2
    b0 -= d * a0
    b1 -= d * a1
    b2 -= d * a2
    f = 1.0 / math.sqrt(b0 * b0 + b1 * b1 + b2 * b2)
    b0 *= f
    b1 *= f
    b2 *= f
    return (a0, a1, a2, b0, b1, b2, a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0)


@numba.njit(cache=True, inline="always")
def _rotation_from_rows(g, base, rot):
    """rot (1,3,3) from the fitted rows 0 and 1 at g[base:base+6] (:func:`_orthonormal_rows`)."""
    e = _orthonormal_rows(g[base], g[base + 1], g[base + 2], g[base + 3], g[base + 4], g[base + 5])
    for a in range(3):
        for c in range(3):
            rot[0, a, c] = e[3 * a + c]


@numba.njit(cache=True)
def body_positions(t, coeffs, inits, intlens, out):
    """Positions relative to the Moon (km, ICRF) at TDB t from the span fit (``args[1:4]`` of
    :meth:`ForceModel.args`): out[0] Earth, out[1] Sun, out[2+j] extra planet j."""
    nrow = coeffs.shape[0]
    nrec = coeffs.shape[1]
    ncoef = coeffs.shape[3]
    k = min(max(int(math.floor((t - inits[0]) / intlens[0])), 0), nrec - 1)
    s = 2.0 * (t - (inits[0] + k * intlens[0])) / intlens[0] - 1.0
    for b in range(nrow - 2):
        for c in range(3):
            val = coeffs[b, k, c, 0] + coeffs[b, k, c, 1] * s
            t0 = 1.0
            t1 = s
            for j in range(2, ncoef):  # the order of span_eval's sums: the same bits
                t2 = 2.0 * s * t1 - t0
                val += coeffs[b, k, c, j] * t2
                t0 = t1
                t1 = t2
            out[b, c] = val


@numba.njit(cache=True)
def moon_body_rotation(t, geo, geo_init, geo_intlen, mode, me, rot):
    """ICRF → gravity-frame rotation at TDB t into rot (1,3,3) from the span fit (``args[5:10]``
    of :meth:`ForceModel.args`; the frame ``mode`` and ``me`` are already folded into the fit)."""
    g = np.empty(geo.shape[2])
    span_eval(t, geo, geo_init, geo_intlen, g)
    _rotation_from_rows(g, geo.shape[2] - 6, rot)


@numba.njit(cache=True, inline="always")
def _third_body(x, y, z, px, py, pz, gk):
    """Direct plus indirect acceleration (km/s²) at Moon-centred (x, y, z) km of a body of
    GM gk (km³/s²) at Moon-centred (px, py, pz) km."""
    dx = px - x
    dy = py - y
    dz = pz - z
    d2 = dx * dx + dy * dy + dz * dz
    b2 = px * px + py * py + pz * pz
    d3 = d2 * math.sqrt(d2)  # not ** 1.5: pow() costs ~4x a sqrt
    b3 = b2 * math.sqrt(b2)
    return gk * (dx / d3 - px / b3), gk * (dy / d3 - py / b3), gk * (dz / d3 - pz / b3)


@numba.njit(cache=True, inline="always")
def _srp(x, y, z, g, srp_k, moon_r):
    """Radiation-pressure acceleration (km/s²) at Moon-centred (x, y, z) km, the Sun at g[3:6] and
    the Earth at g[0:3] (the span fit's values), with the Moon's and the Earth's shadows."""
    r = np.array((x, y, z))
    sun = g[3:6]
    zero = np.zeros(3)
    nu = sun_visible_fraction(r, sun, zero, moon_r)
    nu *= sun_visible_fraction(r, sun, g[0:3], EARTH_RADIUS_KM)
    if not nu > 0.0:
        return 0.0, 0.0, 0.0
    sx = x - g[3]
    sy = y - g[4]
    sz = z - g[5]
    d = math.sqrt(sx * sx + sy * sy + sz * sz)
    f = nu * srp_k * (AU_KM / d) ** 2 / d
    return f * sx, f * sy, f * sz


@numba.njit(cache=True, inline="always")
def _body_gm(gms, k):
    """GM (km³/s²) of the span fit's body k (0 Earth, 1 Sun, then the extra planets)."""
    return gms[1] if k == 0 else gms[k + 2]


@numba.njit(cache=True)
def moon_rhs(t, y, args):
    """dy/dt for y = (r, v) Moon-centred ICRF, km and km/s; ``args`` from ForceModel.args.

    One span-fit evaluation gives the rotation and the third bodies' positions; two arrays
    are allocated per call (the fit's values and the result)."""
    (grav, _coeffs, _inits, _intlens, gms, geo, geo_init, geo_intlen, _mode, _me, srp_k, moon_r, _impact_r) = args
    nb = geo.shape[2] // 3 - 2
    g = np.empty(geo.shape[2])
    span_eval(t, geo, geo_init, geo_intlen, g)
    rb = 3 * nb  # rotation rows 0 and 1 at g[rb:rb+6]
    r00, r01, r02, r10, r11, r12, r20, r21, r22 = _orthonormal_rows(
        g[rb], g[rb + 1], g[rb + 2], g[rb + 3], g[rb + 4], g[rb + 5]
    )
    out = np.empty(6)
    # body-fixed position in out[0:3], the field's acceleration in out[3:6] (no scratch arrays)
    out[0] = r00 * y[0] + r01 * y[1] + r02 * y[2]
    out[1] = r10 * y[0] + r11 * y[1] + r12 * y[2]
    out[2] = r20 * y[0] + r21 * y[1] + r22 * y[2]
    # the one-point sum of gravity.kernel.accel_into, called with only what it reads from
    # grav = GravityField.kernel_args(): packed coefficients, GM, R, nmax, mmax (the unused
    # C, S and recursion arrays are not handed over: 1.1x the kernel, docs/benchmarks.md)
    _accel_packed(out[0], out[1], out[2], grav[9], grav[2], grav[3], grav[4], grav[5], out[3:6])
    a0, a1, a2 = out[3], out[4], out[5]
    out[3] = r00 * a0 + r10 * a1 + r20 * a2
    out[4] = r01 * a0 + r11 * a1 + r21 * a2
    out[5] = r02 * a0 + r12 * a1 + r22 * a2
    for k in range(nb):
        gk = _body_gm(gms, k)
        if gk == 0.0:
            continue
        d0, d1, d2 = _third_body(y[0], y[1], y[2], g[3 * k], g[3 * k + 1], g[3 * k + 2], gk)
        out[3] += d0
        out[4] += d1
        out[5] += d2
    if srp_k > 0.0:
        d0, d1, d2 = _srp(y[0], y[1], y[2], g, srp_k, moon_r)
        out[3] += d0
        out[4] += d1
        out[5] += d2
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    return out


@njit_slp(cache=True, error_model="numpy")
def moon_accel_lanes(ts, r, args, g, acc):
    """:func:`moon_rhs`'s acceleration (km/s²) for LANES orbits at once, into acc (3, LANES):
    TDB ts (LANES,), Moon-centred ICRF positions r (3, LANES) km; g (LANES, ncomp) scratch for
    the span fit's values. Lane p has the bits of ``moon_rhs(ts[p], (r[:, p], v), args)[3:]``;
    the field runs vectorised over the lanes (:func:`lunarscope.gravity.kernel.accel_lanes`)."""
    (grav, _coeffs, _inits, _intlens, gms, geo, geo_init, geo_intlen, _mode, _me, srp_k, moon_r, _impact_r) = args
    nb = geo.shape[2] // 3 - 2
    rb = 3 * nb
    rot = stack_empty2(9, LANES)
    xb = stack_empty1(LANES)
    yb = stack_empty1(LANES)
    zb = stack_empty1(LANES)
    ax = stack_empty1(LANES)
    ay = stack_empty1(LANES)
    az = stack_empty1(LANES)
    for p in range(LANES):
        gp = g[p]
        span_eval(ts[p], geo, geo_init, geo_intlen, gp)
        e = _orthonormal_rows(gp[rb], gp[rb + 1], gp[rb + 2], gp[rb + 3], gp[rb + 4], gp[rb + 5])
        for q in range(9):
            rot[q, p] = e[q]
    for p in range(LANES):
        xb[p] = rot[0, p] * r[0, p] + rot[1, p] * r[1, p] + rot[2, p] * r[2, p]
        yb[p] = rot[3, p] * r[0, p] + rot[4, p] * r[1, p] + rot[5, p] * r[2, p]
        zb[p] = rot[6, p] * r[0, p] + rot[7, p] * r[1, p] + rot[8, p] * r[2, p]
    accel_lanes(xb, yb, zb, grav[9], grav[2], grav[3], grav[4], grav[5], ax, ay, az)
    for p in range(LANES):
        acc[0, p] = rot[0, p] * ax[p] + rot[3, p] * ay[p] + rot[6, p] * az[p]
        acc[1, p] = rot[1, p] * ax[p] + rot[4, p] * ay[p] + rot[7, p] * az[p]
        acc[2, p] = rot[2, p] * ax[p] + rot[5, p] * ay[p] + rot[8, p] * az[p]
    for k in range(nb):
        gk = _body_gm(gms, k)
        if gk == 0.0:
            continue
        for p in range(LANES):
            d0, d1, d2 = _third_body(r[0, p], r[1, p], r[2, p], g[p, 3 * k], g[p, 3 * k + 1], g[p, 3 * k + 2], gk)
            acc[0, p] += d0
            acc[1, p] += d1
            acc[2, p] += d2
    if srp_k > 0.0:
        for p in range(LANES):
            d0, d1, d2 = _srp(r[0, p], r[1, p], r[2, p], g[p], srp_k, moon_r)
            acc[0, p] += d0
            acc[1, p] += d1
            acc[2, p] += d2


@numba.njit(cache=True)
def impact_event(t, y, args):
    """Terminal event: radius minus the impact radius (km); crosses + → − at impact."""
    return math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]) - args[12]
