"""Earth–Moon circular restricted three-body problem (CR3BP), compiled.

Nondimensional rotating (synodic) frame: origin at the Earth–Moon barycentre, x from the Earth
towards the Moon, z along the orbital angular momentum; the Earth sits at (−μ, 0, 0), the Moon at
(1 − μ, 0, 0); unit of length ``L_STAR_KM``, unit of time ``T_STAR_S`` (the mean motion is 1).
Equations of motion: Szebehely, *Theory of Orbits*, 1967, ch. 1 and 10; Koon, Lo, Marsden & Ross,
*Dynamical Systems, the Three-Body Problem and Space Mission Design*, 2011, ch. 2 (the variational
equations dΦ/dt = A(x) Φ, Φ(0) = I, and the Jacobi constant C = 2Ω − v², with
Ω = ½(x² + y²) + (1 − μ)/r₁ + μ/r₂).

Integration: the compiled DOP853 kernel of :mod:`lunarscope.dynamics.dop853_kernel` through
``integrators._kernel_for`` (the right-hand side signature ``rhs(t, y, args)`` fits;
``args = (mu, sign)``; one cached specialization for all CR3BP right-hand sides), with its Brent event
location for y = 0 crossings (``sign`` picks the direction: +1 stops where y goes from + to −).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..constants import EARTH_MOON_DISTANCE_KM, SECONDS_PER_DAY
from .dop853_kernel import dense_evaluate, no_event
from .integrators import _kernel_for

#: GM of the Earth and of the Moon in DE440 (Park et al. 2021, AJ 161:105, Table 8), km^3/s^2.
GM_EARTH_DE440_KM3_S2 = 398600.435507
GM_MOON_DE440_KM3_S2 = 4902.800118
#: Earth–Moon mass parameter μ = GM_M / (GM_E + GM_M) from the DE440 GMs (≈ 0.0121505844).
MU_EARTH_MOON = GM_MOON_DE440_KM3_S2 / (GM_EARTH_DE440_KM3_S2 + GM_MOON_DE440_KM3_S2)
#: Characteristic length l*, km: the mean Earth–Moon distance 384,400 km (constants.py). Chosen
#: because it is the value the CR3BP literature and Orekit's ``CR3BPFactory.getEarthMoonCR3BP``
#: (dDim = 384,400,000 m, read out of the JVM) use, so nondimensional states compare like for like.
L_STAR_KM = EARTH_MOON_DISTANCE_KM
#: Characteristic time t* = sqrt(l*^3 / (GM_E + GM_M)), s (≈ 375,190 s = 4.342 d; one
#: nondimensional time unit; the sidereal month is 2π t*). Orekit's CR3BPSystem instead has
#: Tdim = 2π l* / sqrt(GM_E / l*) (its vDim omits the Moon's GM): its *nondimensional* states and
#: periods are the same as ours, its day values differ by sqrt(1 + GM_M/GM_E) ≈ 1.006.
T_STAR_S = math.sqrt(L_STAR_KM**3 / (GM_EARTH_DE440_KM3_S2 + GM_MOON_DE440_KM3_S2))
#: Characteristic velocity l*/t*, km/s (≈ 1.0246 km/s).
V_STAR_KM_S = L_STAR_KM / T_STAR_S
#: Synodic month (mean new moon to new moon), days (Explanatory Supplement 1992; 29.530589 d):
#: an orbit of resonance p:q has period q/p synodic months (the 9:2 NRHO: 2/9 of it, 6.562 d).
SYNODIC_MONTH_D = 29.530589

#: Default integration tolerances (nondimensional, relative and absolute): DOP853 at 1e-13 keeps
#: the Jacobi constant of every family member to < 1e-12 over one period (tests/design).
RTOL_ND = 1e-13
ATOL_ND = 1e-13
#: Event (y = 0 crossing) location tolerance, nondimensional time (≈ 4e-9 s).
EVENT_TOL_ND = 1e-14
#: Most integrator steps for one arc.
MAX_STEPS = 200_000


@njit(cache=True)
def _accel(mu, x, y, z):
    """Partial derivatives of Ω: (Ωx, Ωy, Ωz) and r1, r2."""
    dx1 = x + mu
    dx2 = x - 1.0 + mu
    r1 = math.sqrt(dx1 * dx1 + y * y + z * z)
    r2 = math.sqrt(dx2 * dx2 + y * y + z * z)
    a1 = (1.0 - mu) / (r1 * r1 * r1)
    a2 = mu / (r2 * r2 * r2)
    ox = x - a1 * dx1 - a2 * dx2
    oy = y - a1 * y - a2 * y
    oz = -a1 * z - a2 * z
    return ox, oy, oz, r1, r2


@njit(cache=True)
def rhs6(t, s, args):
    """CR3BP equations of motion, state (6,): ẍ − 2ẏ = Ωx, ÿ + 2ẋ = Ωy, z̈ = Ωz."""
    mu = args[0]
    ox, oy, oz, _, _ = _accel(mu, s[0], s[1], s[2])
    out = np.empty(6)
    out[0] = s[3]
    out[1] = s[4]
    out[2] = s[5]
    out[3] = 2.0 * s[4] + ox
    out[4] = -2.0 * s[3] + oy
    out[5] = oz
    return out


@njit(cache=True)
def _hessian(mu, x, y, z):
    """Second partials of Ω: (Ωxx, Ωyy, Ωzz, Ωxy, Ωxz, Ωyz)."""
    dx1 = x + mu
    dx2 = x - 1.0 + mu
    r1s = dx1 * dx1 + y * y + z * z
    r2s = dx2 * dx2 + y * y + z * z
    r1 = math.sqrt(r1s)
    r2 = math.sqrt(r2s)
    a1 = (1.0 - mu) / (r1s * r1)
    a2 = mu / (r2s * r2)
    b1 = 3.0 * (1.0 - mu) / (r1s * r1s * r1)
    b2 = 3.0 * mu / (r2s * r2s * r2)
    uxx = 1.0 - a1 - a2 + b1 * dx1 * dx1 + b2 * dx2 * dx2
    uyy = 1.0 - a1 - a2 + (b1 + b2) * y * y
    uzz = -a1 - a2 + (b1 + b2) * z * z
    uxy = (b1 * dx1 + b2 * dx2) * y
    uxz = (b1 * dx1 + b2 * dx2) * z
    uyz = (b1 + b2) * y * z
    return uxx, uyy, uzz, uxy, uxz, uyz


@njit(cache=True)
def rhs42(t, s, args):
    """State (6) and row-major state-transition matrix Φ (36): dΦ/dt = A Φ,
    A = [[0, I], [H(Ω), 2J]] with J = [[0, 1, 0], [−1, 0, 0], [0, 0, 0]]."""
    mu = args[0]
    ox, oy, oz, _, _ = _accel(mu, s[0], s[1], s[2])
    uxx, uyy, uzz, uxy, uxz, uyz = _hessian(mu, s[0], s[1], s[2])
    out = np.empty(42)
    out[0] = s[3]
    out[1] = s[4]
    out[2] = s[5]
    out[3] = 2.0 * s[4] + ox
    out[4] = -2.0 * s[3] + oy
    out[5] = oz
    for j in range(6):
        p0 = s[6 + 0 * 6 + j]
        p1 = s[6 + 1 * 6 + j]
        p2 = s[6 + 2 * 6 + j]
        p3 = s[6 + 3 * 6 + j]
        p4 = s[6 + 4 * 6 + j]
        p5 = s[6 + 5 * 6 + j]
        out[6 + 0 * 6 + j] = p3
        out[6 + 1 * 6 + j] = p4
        out[6 + 2 * 6 + j] = p5
        out[6 + 3 * 6 + j] = uxx * p0 + uxy * p1 + uxz * p2 + 2.0 * p4
        out[6 + 4 * 6 + j] = uxy * p0 + uyy * p1 + uyz * p2 - 2.0 * p3
        out[6 + 5 * 6 + j] = uxz * p0 + uyz * p1 + uzz * p2
    return out


@njit(cache=True)
def y_crossing(t, s, args):
    """Event: sign · y (args[1] = ±1); the kernel stops where it goes from + to −."""
    return args[1] * s[1]


def jacobi(states, mu: float = MU_EARTH_MOON):
    """Jacobi constant C = x² + y² + 2(1 − μ)/r₁ + 2μ/r₂ − v² of states (N, 6) or (6,)."""
    s = np.asarray(states, dtype=float)
    x, y, z = s[..., 0], s[..., 1], s[..., 2]
    r1 = np.sqrt((x + mu) ** 2 + y**2 + z**2)
    r2 = np.sqrt((x - 1.0 + mu) ** 2 + y**2 + z**2)
    v2 = s[..., 3] ** 2 + s[..., 4] ** 2 + s[..., 5] ** 2
    return x**2 + y**2 + 2.0 * (1.0 - mu) / r1 + 2.0 * mu / r2 - v2


def lagrange_points(mu: float = MU_EARTH_MOON) -> dict:
    """Positions (3,) of L1..L5 in the rotating frame (collinear points by Newton on
    Ωx(x, 0, 0) = 0 to machine precision; L4/L5 at (½ − μ, ±√3/2, 0))."""
    out = {}
    for name, x in (("L1", 1.0 - mu - (mu / 3.0) ** (1 / 3)), ("L2", 1.0 - mu + (mu / 3.0) ** (1 / 3)), ("L3", -1.0)):
        for _ in range(60):
            d1, d2 = x + mu, x - 1.0 + mu
            f = x - (1.0 - mu) * d1 / abs(d1) ** 3 - mu * d2 / abs(d2) ** 3
            fp = 1.0 + 2.0 * (1.0 - mu) / abs(d1) ** 3 + 2.0 * mu / abs(d2) ** 3
            dx = f / fp
            x -= dx
            if abs(dx) < 1e-16:
                break
        out[name] = np.array([x, 0.0, 0.0])
    out["L4"] = np.array([0.5 - mu, math.sqrt(3.0) / 2.0, 0.0])
    out["L5"] = np.array([0.5 - mu, -math.sqrt(3.0) / 2.0, 0.0])
    return out


def collinear_c2(mu: float, point: str) -> float:
    """Linearisation coefficient c2 = μ/γ³ + (1 − μ)/(1 ∓ γ)³ at L1 (−) / L2 (+), γ the
    distance of the point from the Moon (Richardson 1980, Celest. Mech. 22, eq. 8)."""
    xl = lagrange_points(mu)[point][0]
    g = abs(xl - (1.0 - mu))
    if point == "L1":
        return mu / g**3 + (1.0 - mu) / (1.0 - g) ** 3
    return mu / g**3 + (1.0 - mu) / (1.0 + g) ** 3


class Arc:
    """One integrated arc: node times ``t`` (K+1,), node states ``y`` (K+1, n), dense output;
    ``status`` (0 reached t_end, 1 event), ``n_steps``."""

    def __init__(self, res):
        self.t, self.y, self.t_old, self.h, self.coefs, self.status, self.t_event, self.y_event, self.n_steps, _ = res
        self.direction = 1.0 if self.t[-1] >= self.t[0] else -1.0

    @property
    def y_end(self):
        return self.y[-1]

    @property
    def t_end(self):
        return float(self.t[-1])

    def __call__(self, tq):
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        keys = self.t * self.direction
        return dense_evaluate(keys, self.t_old, self.h, self.coefs, self.direction, tq)


def propagate(
    state,
    t_end: float,
    mu: float = MU_EARTH_MOON,
    *,
    stm: bool = False,
    stop_at_y_crossing: int = 0,
    rtol: float = RTOL_ND,
    atol: float = ATOL_ND,
) -> Arc:
    """Integrate a rotating-frame state (6,) from t = 0 to ``t_end`` (nondimensional).

    ``stm``: also the 6×6 state-transition matrix (state (42,) rows of Φ after the state).
    ``stop_at_y_crossing`` = +1 / −1: stop at the first crossing of y = 0 going down / up
    (the start itself does not count). Returns an :class:`Arc`.
    """
    s0 = np.asarray(state, dtype=float)
    if stm and s0.shape[0] == 6:
        s0 = np.concatenate([s0, np.eye(6).ravel()])
    n = s0.shape[0]
    rhs = rhs42 if n == 42 else rhs6
    ev = y_crossing if stop_at_y_crossing else no_event
    args = (float(mu), float(stop_at_y_crossing or 1))
    at = np.full(n, float(atol))
    kernel = _kernel_for(rhs, ev, args)  # rhs/event typed as FunctionType: cached on disk across processes
    res = kernel(rhs, ev, 0.0, s0, float(t_end), args, float(rtol), at, np.inf, 0.0, MAX_STEPS, 0.0, EVENT_TOL_ND)
    if res[5] < 0:
        raise RuntimeError(f"CR3BP integration failed (status {res[5]}) at t = {res[0][-1]:.6g}")
    return Arc(res)


# --------------------------------------------------------------------------- rotating <-> inertial


def _earth_moon_axes(ephemeris, t_tdb):
    """Instantaneous rotating axes from the Moon's geocentric state (DE440): rows x̂ (Earth→Moon),
    ŷ = ẑ × x̂, ẑ ∥ r × v; also the distance (km) and the angular-velocity vector ω (rad/s, ICRF)."""
    s = np.asarray(ephemeris.state("moon", "earth", t_tdb), dtype=float)
    r, v = s[:3], s[3:]
    d = float(np.linalg.norm(r))
    h = np.cross(r, v)
    xh = r / d
    zh = h / np.linalg.norm(h)
    yh = np.cross(zh, xh)
    omega = h / d**2
    return np.array([xh, yh, zh]), d, omega, s


def rotating_to_moon_icrf(states_nd, t_tdb: float, ephemeris, mu: float = MU_EARTH_MOON, length_km: float = L_STAR_KM):
    """Nondimensional rotating states (N, 6) → Moon-centred ICRF states (km, km/s) at one epoch.

    The rotating frame is the instantaneous one of the real Earth–Moon state at ``t_tdb`` (DE440
    via ``ephemeris``): x along Earth→Moon, z along r × v, turning at ω = (r × v)/r². Positions are
    scaled by the fixed l* (``length_km``, default 384,400 km, not the instantaneous distance, so a
    CR3BP orbit keeps its size), velocities by l*/t* with t* from l*; the inertial velocity adds
    ω × r. Position relative to the Moon = (x − (1 − μ), y, z) l*.
    """
    s = np.atleast_2d(np.asarray(states_nd, dtype=float))
    axes, _, omega, _ = _earth_moon_axes(ephemeris, t_tdb)
    t_star = math.sqrt(length_km**3 / (GM_EARTH_DE440_KM3_S2 + GM_MOON_DE440_KM3_S2))
    rel = s[:, :3].copy()
    rel[:, 0] -= 1.0 - mu
    r_rot = rel * length_km
    v_rot = s[:, 3:] * (length_km / t_star)
    r_icrf = r_rot @ axes
    v_icrf = v_rot @ axes + np.cross(omega, r_icrf)
    out = np.concatenate([r_icrf, v_icrf], axis=1)
    return out[0] if np.ndim(states_nd) == 1 else out


def moon_icrf_to_rotating(states_km, t_tdb: float, ephemeris, mu: float = MU_EARTH_MOON, length_km: float = L_STAR_KM):
    """Inverse of :func:`rotating_to_moon_icrf` (same frame, epoch and scaling)."""
    s = np.atleast_2d(np.asarray(states_km, dtype=float))
    axes, _, omega, _ = _earth_moon_axes(ephemeris, t_tdb)
    t_star = math.sqrt(length_km**3 / (GM_EARTH_DE440_KM3_S2 + GM_MOON_DE440_KM3_S2))
    r_icrf = s[:, :3]
    v_rel = s[:, 3:] - np.cross(omega, r_icrf)
    r_rot = r_icrf @ axes.T / length_km
    v_rot = v_rel @ axes.T / (length_km / t_star)
    r_rot[:, 0] += 1.0 - mu
    out = np.concatenate([r_rot, v_rot], axis=1)
    return out[0] if np.ndim(states_km) == 1 else out


def period_days(period_nd: float) -> float:
    """Nondimensional period → days (× t* / 86400 s)."""
    return float(period_nd) * T_STAR_S / SECONDS_PER_DAY
