"""A CR3BP periodic orbit carried into the full ephemeris model by multiple shooting.

From N revolutions of a CR3BP member (:mod:`lunarscope.design.families`) this builds one continuous
trajectory in the caller's :class:`~lunarscope.dynamics.forces.ForceModel` (Moon-centred ICRF, the
lunar field, DE440 Earth and Sun point masses, radiation pressure) from a chosen epoch:

* **Initial guess**: ``PATCHES_PER_REV`` patch points per revolution, equally spaced in time from the
  member's apolune-side x–z plane crossing (so the perilune is one of them when the count is even),
  each converted from the rotating frame at its own epoch in the *pulsating* rotating frame of the
  real Earth–Moon state (DE440): positions scaled by the instantaneous Earth–Moon distance d(t),
  velocities by sqrt((GM_E + GM_M)/d) plus the frame's rotation ω × r and pulsation (ḋ/d) r
  (Gómez, Masdemont & Simó 1998 "Quasihalo orbits associated with libration points", J. Astronaut.
  Sci. 46; the usual CR3BP → ephemeris transition, e.g. Davis et al. 2017 AAS 17-826).
* **Unknowns**: the patch states and epochs (the first epoch held at t0). **Constraints**: position
  and velocity continuity at each patch point, F_k = φ(t_{k+1}; x_k, t_k) − x_{k+1} = 0.
* **Newton, minimum norm**: δ = −Jᵀ(J Jᵀ)⁻¹ F in the weighted units of ``NORM_TIME_S`` and
  ``EPOCH_SCALE_S``; J sparse and block-bidiagonal ([Φ_k, −Φ_k f(t_k, x_k)] on patch k, [−I, f(t_{k+1},
  φ_k)] on patch k + 1), δ from the augmented system [[I, Jᵀ], [J, 0]] [δ; λ] = [0; −F] by a sparse LU
  (``scipy.sparse``), never from the normal equations J Jᵀ λ = −F, which square J's condition number
  (at 14 revolutions they solved the linear system to a relative residual of 0.78; the year stalled).
  Halving line search on |F|.
* **State-transition matrix by variational equations**, not finite differences: one integration of
  42 components per arc instead of 7 (or 13) of 6, and no step-size choice — dΦ/dt = [[0, I], [G, 0]] Φ
  with G the full gravity gradient (field: ``gravity.kernel.accel_and_gradient``, rotated to ICRF;
  Earth and Sun point masses). The radiation-pressure gradient (2a/d ≈ 1e-18 s⁻² against the Moon's
  2GM/r³ ≈ 3e-7 s⁻² at perilune; the shadow edges aside) is left out. Only the six state
  components drive the step-size control (the STM components get an absolute tolerance of 1e30),
  with tolerances scaled by ``STM_TOL_FACTOR`` so the arcs take the plain propagator's steps and end
  at its states, bit for bit: Φ is the derivative of the very map the result is flown with. The bulk
  solve stops at ``SHOOT_POS_TOL_KM``; a final :func:`polish` (chord Newton on the plain propagator's
  arcs) takes the jumps to ``CONTINUITY_POS_TOL_KM`` / ``CONTINUITY_VEL_TOL_KM_S``.
* **A year robustly**: by continuation in the horizon: ``CHUNK_REVS`` revolutions first, then
  ``GROW_REVS`` more at a time, each solve over the whole horizon so far from the converged part and
  the CR3BP guess of the new revolutions, converted at the epochs that follow the converged last one
  (the Newton then works on the new part; the sparse solve keeps an iteration linear in the number of
  patch points); a growth stage that fails is tried again with half the new revolutions.

The result: the patch epochs and states, the velocity jump left at each interior patch point (the Δv a
spacecraft would have to make there; ≈ 0 for a converged, truly continuous trajectory) and the
trajectory re-propagated between patch points with :func:`lunarscope.dynamics.propagator.propagate`
(the plain propagator) and joined into one :class:`~lunarscope.trajectory.Trajectory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ..constants import SECONDS_PER_DAY
from ..dynamics import cr3bp
from ..dynamics.forces import ForceModel, body_positions, moon_body_rotation, moon_rhs
from ..dynamics.integrators import DenseSolution, integrate
from ..dynamics.propagator import VELOCITY_ATOL_PER_KM, Maneuver, propagate
from ..errors import InputError
from ..gravity.kernel import accel_and_gradient
from ..trajectory import Trajectory

#: Patch points per revolution, equally spaced in nondimensional time (even: one at the apolune-side
#: crossing, one at perilune). With 2 the arcs through perilune are too nonlinear for Newton from the
#: CR3BP guess (9:2 NRHO, 2030, 2 revolutions, epochs fixed: not converged in 25 iterations); 4
#: converges in 7, 8 in 5.
PATCHES_PER_REV = 8
#: Continuity tolerances at each interior patch point of the result, as the plain propagator flies
#: the arcs (:func:`polish`): position jump, km (1 cm) and velocity jump, km/s (10 µm/s); the 9:2
#: NRHO, 2030, reaches 1.1e-6 km / 4.0e-10 km/s over a year. Why not tighter: the propagator at rtol
#: 1e-12 ends a perilune arc 4e-9 .. 8e-8 km from a 20,000-step fixed-step flight, but the 11 arcs
#: through the Moon's shadow (the penumbra is crossed in minutes and hardly seen by the step control)
#: 1.4e-7 .. 2.2e-4 km from it (``benchmarks/nrho_ephemeris_year.py --arc-accuracy``), so smaller
#: jumps would be continuity of the integrator's flow, not of the orbit; 10 µm/s is 3 orders below
#: the cm/s maneuvers of flown NRHO orbit maintenance (CAPSTONE): no Δv anyone could fly.
CONTINUITY_POS_TOL_KM = 1e-5
CONTINUITY_VEL_TOL_KM_S = 1e-8
#: Tolerances of the bulk solve on the variational (42-component) arcs, km and km/s: the polish on
#: the plain arcs (the same states, cheaper: 6 components) takes it from there. (The floor that rose
#: with the horizon — 44 revolutions stalled at 3.5e-5 km, 56 at 1.4 km — was the normal equations'
#: precision, :func:`_newton_step`; the adaptive steps' own floor is ~1e-7 km at any horizon.)
SHOOT_POS_TOL_KM = 1e-2
SHOOT_VEL_TOL_KM_S = 1e-6
#: A solve whose |F| has not fallen below STALL_FACTOR × its best for STALL_ITERATIONS iterations has
#: stalled; its best iterate is kept when its jumps are under SHOOT_ACCEPT_* (km, km/s), otherwise
#: RuntimeError. What is left shows in the result's jumps (its Δv). (No stage of the 9:2 NRHO year
#: stalls since the augmented-system step.)
STALL_FACTOR = 0.9
STALL_ITERATIONS = 4
SHOOT_ACCEPT_POS_KM = 1.0
SHOOT_ACCEPT_VEL_KM_S = 1e-5
#: Newton iterations per chunk, and line-search halvings per iteration; chord iterations of the
#: final polish on the plain propagator's arcs (:func:`polish`), at least MIN_POLISH_ITERATIONS even
#: when the bulk solve's last iterate already meets the tolerances (kept only where the jumps fall:
#: a month of the 9:2 NRHO, 2030, 2.8e-6 → 1.4e-7 km for one pass over the 6-component arcs).
MAX_NEWTON_ITERATIONS = 25
MAX_POLISH_ITERATIONS = 6
MIN_POLISH_ITERATIONS = 1
MAX_LINE_SEARCH_HALVINGS = 8
#: Horizon continuation: the first solve spans CHUNK_REVS revolutions, each later one GROW_REVS more
#: (all patch states free, the converged part as the guess). Chunks with the first state held fixed
#: cannot work: a fixed full state leaves only the free flight from it, which leaves the NRHO.
#: A growth stage that does not converge is tried again with half as many new revolutions (down
#: to 1) from the same converged part. The guess of the new revolutions is the CR3BP member
#: converted at the epochs they get after the converged last epoch (:func:`patch_guess` from it).
CHUNK_REVS = 8
GROW_REVS = 6
#: Integrator tolerances of the shooting arcs (relative; absolute position, km; velocity
#: tolerance = this × 1e-3 s⁻¹ as in the propagator).
ARC_RTOL = 1e-12
ARC_ATOL_KM = 1e-9
#: Midpoint steps per patch interval when mapping nondimensional to physical time.
_TIME_SUBSTEPS = 8


# ------------------------------------------------------------------ variational equations


@njit(cache=True)
def rhs_with_stm(t, y, args):
    """State (6) and row-major state-transition matrix Φ (36) in the full model: the state
    derivative is :func:`moon_rhs`; dΦ/dt = [[0, I], [G, 0]] Φ with G = d a / d r of the field
    (rotated: Rᵀ H R) and of the point-mass third bodies (GM/d³ (3 d̂ d̂ᵀ − I), d = r − r_b)."""
    (grav, coeffs, inits, intlens, gms, pa_c, pa_i, pa_l, mode, me, _srp_k, _moon_r, _impact_r) = args
    s = np.empty(6)
    for i in range(6):
        s[i] = y[i]
    f = moon_rhs(t, s, args)
    out = np.empty(42)
    for i in range(6):
        out[i] = f[i]
    rot = np.empty((1, 3, 3))
    moon_body_rotation(t, pa_c, pa_i, pa_l, mode, me, rot)
    rb = np.empty(3)
    for a in range(3):
        rb[a] = rot[0, a, 0] * s[0] + rot[0, a, 1] * s[1] + rot[0, a, 2] * s[2]
    _, H = accel_and_gradient(rb, *grav)
    G = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            acc = 0.0
            for k in range(3):
                for m in range(3):
                    acc += rot[0, k, a] * H[k, m] * rot[0, m, b]
            G[a, b] = acc
    nb = coeffs.shape[0] - 2
    pos = np.empty((nb, 3))
    body_positions(t, coeffs, inits, intlens, pos)
    for k in range(nb):
        g = gms[1] if k == 0 else gms[k + 2]
        if g == 0.0:
            continue
        d0 = s[0] - pos[k, 0]
        d1 = s[1] - pos[k, 1]
        d2 = s[2] - pos[k, 2]
        dd = d0 * d0 + d1 * d1 + d2 * d2
        c = g / (dd * math.sqrt(dd))
        dv = (d0, d1, d2)
        for a in range(3):
            for b in range(3):
                G[a, b] += c * (3.0 * dv[a] * dv[b] / dd - (1.0 if a == b else 0.0))
    for j in range(6):
        for i in range(3):
            out[6 + i * 6 + j] = y[6 + (i + 3) * 6 + j]
        for i in range(3):
            acc = 0.0
            for k in range(3):
                acc += G[i, k] * y[6 + k * 6 + j]
            out[6 + (i + 3) * 6 + j] = acc
    return out


#: The integrator's error norm is the RMS over all components (HNW dop853.f), so in a 42-component
#: integration whose 36 STM components do not count (absolute tolerance 1e30) the six state errors are
#: divided by sqrt(42) instead of sqrt(6): steps sqrt(7)^(1/8) ≈ 1.13 longer and the arc end 2-3x less
#: accurate than the plain propagator's. The state tolerances are multiplied by this factor instead,
#: so the variational arcs take the plain propagator's steps and end at bit-identical states (9:2
#: NRHO, 2030, 2 revolutions: 0 difference on all 16 arcs; without it up to 4.6e-4 km, on the arc
#: through the Moon's shadow of 2030-01-10).
STM_TOL_FACTOR = math.sqrt(6.0 / 42.0)
_STM_ATOL = 1e30


def _atol42(atol_km: float = ARC_ATOL_KM):
    at = np.full(42, _STM_ATOL)  # the STM does not drive the step size
    at[:3] = atol_km * STM_TOL_FACTOR
    at[3:6] = atol_km * VELOCITY_ATOL_PER_KM * STM_TOL_FACTOR
    return at


def flow_with_stm(
    x0, t0: float, t1: float, args, *, rtol: float = ARC_RTOL, atol_km: float = ARC_ATOL_KM
) -> tuple[np.ndarray, np.ndarray]:
    """State (6,) at t1 and Φ(t1, t0) (6, 6) from ICRF state x0 at t0 (``args`` = ForceModel.args);
    the state is the one :func:`~lunarscope.dynamics.propagator.propagate` reaches at the same
    ``rtol`` / ``atol_km`` (same steps, ``STM_TOL_FACTOR``)."""
    y0 = np.concatenate([np.asarray(x0, float), np.eye(6).ravel()])
    res = integrate(
        rhs_with_stm, float(t0), y0, float(t1), args=args, rtol=rtol * STM_TOL_FACTOR, atol=_atol42(atol_km)
    )
    if not res.success:
        raise RuntimeError(f"ephemeris shooting arc failed at t = {res.t[-1]:.1f} s ({res.status.name})")
    ye = res.y[-1]
    return ye[:6].copy(), ye[6:].reshape(6, 6).copy()


# ------------------------------------------------------------------ initial guess


def pulsating_to_icrf(state_nd, t_tdb: float, ephemeris, mu: float = cr3bp.MU_EARTH_MOON) -> np.ndarray:
    """Nondimensional rotating state (6,) → Moon-centred ICRF (km, km/s) in the pulsating frame of
    the real Earth–Moon state at ``t_tdb`` (DE440): r = d ρ, v = sqrt(GM/d) ρ' + (ḋ/d) r + ω × r,
    ρ = (x − (1 − μ), y, z) in the instantaneous axes (x Earth→Moon, z ∥ r × v)."""
    s = np.asarray(state_nd, float)
    axes, d, omega, em = cr3bp._earth_moon_axes(ephemeris, t_tdb)
    ddot = float(np.dot(em[:3], em[3:]) / d)
    rho = s[:3].copy()
    rho[0] -= 1.0 - mu
    r = d * (rho @ axes)
    vscale = math.sqrt((cr3bp.GM_EARTH_DE440_KM3_S2 + cr3bp.GM_MOON_DE440_KM3_S2) / d)
    v = vscale * (s[3:] @ axes) + (ddot / d) * r + np.cross(omega, r)
    return np.concatenate([r, v])


def patch_guess(member, t0: float, n_revs: int, ephemeris, patches_per_rev: int = PATCHES_PER_REV):
    """Patch epochs (K,) TDB s and ICRF states (K, 6): ``n_revs`` revolutions of the CR3BP
    ``member`` (its ``state0`` at ``t0``), ``patches_per_rev`` per revolution, K = n·p + 1. Equal
    steps Δτ of nondimensional time map to dt = t*(d) Δτ with t*(d) = sqrt(d³/(GM_E + GM_M)) of the
    instantaneous Earth–Moon distance d (midpoint rule, ``_TIME_SUBSTEPS`` per step), consistent
    with the pulsating velocity scaling of :func:`pulsating_to_icrf`."""
    T = float(member.period_nd)
    mu = member_mu(member)
    arc = cr3bp.propagate(member.state0, T, mu)
    p = int(patches_per_rev)
    one = arc(np.linspace(0.0, T, p + 1)[:-1])[:, :6]
    gm = cr3bp.GM_EARTH_DE440_KM3_S2 + cr3bp.GM_MOON_DE440_KM3_S2

    def t_star(tt):
        d = float(np.linalg.norm(np.asarray(ephemeris.state("moon", "earth", tt), float)[:3]))
        return math.sqrt(d**3 / gm)

    K = n_revs * p + 1
    t = np.empty(K)
    t[0] = float(t0)
    h = (T / p) / _TIME_SUBSTEPS
    for k in range(1, K):
        tt = t[k - 1]
        for _ in range(_TIME_SUBSTEPS):
            tt += h * t_star(tt + 0.5 * h * t_star(tt))
        t[k] = tt
    states = np.array([pulsating_to_icrf(one[k % p], t[k], ephemeris, mu) for k in range(K)])
    return t, states


def member_mu(member) -> float:
    return float(getattr(member, "mu", cr3bp.MU_EARTH_MOON))


# ------------------------------------------------------------------ multiple shooting


#: Time scale weighing velocity against position in the minimum-norm step, s: a velocity change
#: dv costs as much as a position change dv · NORM_TIME_S. Chosen by trial on the 9:2 NRHO from
#: 2030-01-01, 8 revolutions, 8 patch points each (with EPOCH_SCALE_S = 100 s): 1e4 s (1 km ~ 0.1 m/s)
#: and 3600 s stall (|F| falls ~1 % per iteration); t* = 3.75e5 s converges in 10 iterations,
#: 1e6 s in 7 (16 revolutions: 11). Dear velocity changes keep the step on the orbit.
NORM_TIME_S = 1.0e6
_SCALE = np.array([1.0] * 3 + [1.0 / NORM_TIME_S] * 3)
#: Weight of a patch epoch in the minimum-norm step: a shift of EPOCH_SCALE_S seconds costs as much
#: as 1 km of position change (100 s: 8 revolutions in 7 iterations; 1 s: in 10). With fixed epochs
#: the Newton stalled beyond 2 revolutions: the guess's perilune times are off by hours.
EPOCH_SCALE_S = 100.0
#: The force-model tables cover the chunk's span plus this fraction, for the free last epoch.
EPOCH_MARGIN_FRACTION = 0.05


def _deriv(t, x, args):
    return moon_rhs(float(t), np.ascontiguousarray(x, dtype=float), args)


def _jumps(t, X, args, rtol=ARC_RTOL, atol_km=ARC_ATOL_KM):
    """Defects F_k = φ(t_{k+1}; x_k, t_k) − x_{k+1} (K−1, 6), the STMs Φ_k, and the state derivatives
    at each arc's start f(t_k, x_k) and end f(t_{k+1}, φ_k) (for the epoch partials)."""
    arr, stms, f0, f1 = [], [], [], []
    for k in range(len(t) - 1):
        xe, P = flow_with_stm(X[k], t[k], t[k + 1], args, rtol=rtol, atol_km=atol_km)
        arr.append(xe)
        stms.append(P)
        f0.append(_deriv(t[k], X[k], args))
        f1.append(_deriv(t[k + 1], xe, args))
    arr = np.array(arr)
    return (stms, f0, f1), arr - X[1:]


def _converged(F, pos_tol=None, vel_tol=None) -> bool:
    """Whether every jump is within the tolerances: by component for the shooting tolerances
    (given), by the length of each jump for the continuity ones (the default), as
    ``EphemerisOrbit.max_position_jump_km`` reports them — a jump of 0.9 cm per axis is 1.6 cm
    long (a one-year DRO stopped at 1.09e-5 km against its 1e-5 km tolerance)."""
    if pos_tol is None and vel_tol is None:
        return bool(
            np.max(np.linalg.norm(F[:, :3], axis=1)) <= CONTINUITY_POS_TOL_KM
            and np.max(np.linalg.norm(F[:, 3:], axis=1)) <= CONTINUITY_VEL_TOL_KM_S
        )
    return bool(np.max(np.abs(F[:, :3])) <= pos_tol and np.max(np.abs(F[:, 3:])) <= vel_tol)


def _newton_step(lin, F, fix_first: bool):
    """Minimum-norm (δX (K, 6) km, km/s; δt (K,) s) for J δ = −F in the weighted units of ``_SCALE``
    and ``EPOCH_SCALE_S``. Per patch the unknowns are its state and epoch; the first epoch is always
    fixed, the first state too with ``fix_first``. J's block row k: [Φ_k, −Φ_k f(t_k, x_k)] on patch k,
    [−I, f(t_{k+1}, φ_k)] on patch k + 1 (∂φ/∂t₀ = −Φ f(t₀, x₀) holds for non-autonomous flows)."""
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    stms, f0, f1 = lin
    m = len(stms)
    K = m + 1
    W = np.concatenate([_SCALE, [EPOCH_SCALE_S]])  # column scaling: physical = W · weighted
    Dinv = 1.0 / _SCALE
    free = np.ones((K, 7), bool)
    free[0, 6] = False
    if fix_first:
        free[0, :6] = False
    col = -np.ones((K, 7), int)
    col[free] = np.arange(int(free.sum()))
    rows, cols, vals = [], [], []

    def put(k, block7):  # block (6, 7) of constraint row k on patch p's 7 unknowns
        p, B = block7
        for j in range(7):
            if col[p, j] >= 0:
                rows.append(6 * k + np.arange(6))
                cols.append(np.full(6, col[p, j]))
                vals.append(Dinv * B[:, j] * W[j])

    for k, P in enumerate(stms):
        put(k, (k, np.hstack([P, (-P @ f0[k])[:, None]])))
        put(k, (k + 1, np.hstack([-np.eye(6), f1[k][:, None]])))
    n_unk = int(free.sum())
    J = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(6 * m, n_unk))
    Fs = (F * Dinv[None, :]).ravel()
    # Minimum-norm solution from the augmented system [[I, Jᵀ], [J, 0]] [d; λ] = [0; −F]: its
    # condition number is about cond(J); the normal equations J Jᵀ λ = −F square it and, at
    # 14 revolutions of the 9:2 NRHO, left a relative residual |J d + F| / |F| of 0.78 for a
    # random F (the augmented system: 8e-9) — the stall of the long horizons.
    kkt = sparse.bmat([[sparse.identity(n_unk), J.T], [J, None]], format="csc")
    d = spsolve(kkt, np.concatenate([np.zeros(n_unk), -Fs]))[:n_unk]
    full = np.zeros((K, 7))
    full[free] = d
    full *= W[None, :]
    return full[:, :6], full[:, 6]


def _norm(F) -> float:
    return float(np.linalg.norm(F / _SCALE[None, :]))


def shoot(t, X0, force_model: ForceModel, *, fix_first=False, progress=None, rtol=ARC_RTOL, atol_km=ARC_ATOL_KM):
    """Multiple shooting over patch epochs ``t`` (K,) from the guess ``X0`` (K, 6) ICRF km, km/s; the
    epochs after the first are unknowns too; arcs integrated at ``rtol`` / ``atol_km``. Returns
    (t (K,), X (K, 6), F (K−1, 6) the remaining jumps, iterations, the last linearisation).
    RuntimeError if not converged."""
    t = np.array(t, float)
    X = np.array(X0, float)
    span = float(t[-1] - t[0])
    args = force_model.args(float(t[0]), float(t[-1]) + EPOCH_MARGIN_FRACTION * span)
    lin, F = _jumps(t, X, args, rtol, atol_km)
    best = (_norm(F), t, X, F, lin)
    stalled = 0
    for it in range(1, MAX_NEWTON_ITERATIONS + 1):
        if _converged(F, SHOOT_POS_TOL_KM, SHOOT_VEL_TOL_KM_S):
            return t, X, F, it - 1, lin
        dx, dt = _newton_step(lin, F, fix_first)
        f0 = _norm(F)
        lam = 1.0
        for _ in range(MAX_LINE_SEARCH_HALVINGS):
            Xn, tn = X + lam * dx, t + lam * dt
            ok = bool(np.all(np.diff(tn) > 0) and tn[-1] - t[0] <= (1.0 + EPOCH_MARGIN_FRACTION) * span)
            if ok:
                try:
                    lin_n, Fn = _jumps(tn, Xn, args, rtol, atol_km)
                except RuntimeError:
                    ok = False
            if ok and (_norm(Fn) < f0 or lam <= 1.0 / 2 ** (MAX_LINE_SEARCH_HALVINGS - 1)):
                break
            lam *= 0.5
        if not ok:
            break
        X, t, lin, F = Xn, tn, lin_n, Fn
        if progress is not None:
            progress(it, _norm(F))
        if _norm(F) < STALL_FACTOR * best[0]:
            stalled = 0
        else:
            stalled += 1
        if _norm(F) < best[0]:
            best = (_norm(F), t, X, F, lin)
        if stalled >= STALL_ITERATIONS:
            break
    _, t, X, F, lin = best
    if _converged(F, SHOOT_POS_TOL_KM, SHOOT_VEL_TOL_KM_S):
        return t, X, F, it, lin
    if _converged(F, SHOOT_ACCEPT_POS_KM, SHOOT_ACCEPT_VEL_KM_S):  # stalled on the integrator's noise
        return t, X, F, it, lin
    raise RuntimeError(
        f"ephemeris multiple shooting did not converge in {it} iterations: "
        f"max jumps {np.max(np.abs(F[:, :3])):.3g} km, {np.max(np.abs(F[:, 3:])):.3g} km/s"
    )


def plain_arcs(t, X, force_model: ForceModel, *, rtol=ARC_RTOL, atol_km=ARC_ATOL_KM, name="spacecraft"):
    """Each patch state flown to the next epoch with the plain propagator: the dense pieces and the
    jumps (arrival − next patch state, (K−1, 6) km, km/s)."""
    pieces, jumps = [], []
    for k in range(len(t) - 1):
        res = propagate(X[k], float(t[k]), float(t[k + 1]), force_model, rtol=rtol, atol_km=atol_km, name=name)
        pieces.append(res.trajectory.interpolant)
        jumps.append(res.trajectory.state([t[k + 1]])[0] - X[k + 1])
    return pieces, np.array(jumps)


def polish(t, X, force_model: ForceModel, *, lin=None, rtol=ARC_RTOL, atol_km=ARC_ATOL_KM, name="spacecraft"):
    """Newton on the jumps of :func:`plain_arcs` (chord: the variational Jacobian ``lin`` of the last
    shooting iteration, or computed here), so the trajectory is continuous as the plain propagator —
    the one the propagate stage runs — flies it: the bulk solve stops at ``SHOOT_POS_TOL_KM``, and
    its 42-component arcs end at the plain arcs' states (``STM_TOL_FACTOR``), so the chord Jacobian
    is that of this map. At least ``MIN_POLISH_ITERATIONS``, at most ``MAX_POLISH_ITERATIONS``;
    warns when the tolerances are not reached. Returns (t, X, pieces, jumps, iterations)."""
    import warnings

    t = np.array(t, float)
    X = np.array(X, float)
    if lin is None:
        span = float(t[-1] - t[0])
        args = force_model.args(float(t[0]), float(t[-1]) + EPOCH_MARGIN_FRACTION * span)
        lin, _ = _jumps(t, X, args, rtol, atol_km)
    pieces, F = plain_arcs(t, X, force_model, rtol=rtol, atol_km=atol_km, name=name)
    it = 0
    while (it < MIN_POLISH_ITERATIONS or not _converged(F)) and it < MAX_POLISH_ITERATIONS:
        dx, dt = _newton_step(lin, F, False)
        it += 1
        for lam in (1.0, 0.5, 0.25):  # the chord step is damped, and kept only when |F| falls
            tn, Xn = t + lam * dt, X + lam * dx
            if not np.all(np.diff(tn) > 0):
                continue
            try:
                pn, Fn = plain_arcs(tn, Xn, force_model, rtol=rtol, atol_km=atol_km, name=name)
            except (InputError, RuntimeError):
                continue
            if _norm(Fn) < _norm(F):
                t, X, pieces, F = tn, Xn, pn, Fn
                break
        else:
            break  # no damped step helps: keep the best so far
    if not _converged(F):
        warnings.warn(
            f"ephemeris shooting: after {it} polishing iterations the largest jumps are "
            f"{np.max(np.abs(F[:, :3])):.2g} km and {np.max(np.abs(F[:, 3:])):.2g} km/s "
            f"(tolerances {CONTINUITY_POS_TOL_KM:g} km, {CONTINUITY_VEL_TOL_KM_S:g} km/s)",
            stacklevel=2,
        )
    return t, X, pieces, F, it


@dataclass
class EphemerisOrbit:
    """A CR3BP member carried into the full model: patch epochs ``t`` (K,) TDB s and ICRF states
    ``states`` (K, 6); ``jumps`` (K−1, 6) the arrival minus the patch state (km, km/s) at patch points
    1 .. K−1 after the final re-propagation (the interior ones, all but the last, are the trajectory's
    discontinuities); ``trajectory`` the re-propagated arcs joined; ``iterations`` Newton iterations
    per horizon stage; ``wall_s`` and ``cpu_s`` the cost."""

    t: np.ndarray
    states: np.ndarray
    jumps: np.ndarray
    trajectory: Trajectory
    iterations: list = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0

    @property
    def max_position_jump_km(self) -> float:
        return float(np.max(np.linalg.norm(self.jumps[:-1, :3], axis=1))) if len(self.jumps) > 1 else 0.0

    @property
    def max_velocity_jump_km_s(self) -> float:
        return float(np.max(np.linalg.norm(self.jumps[:-1, 3:], axis=1))) if len(self.jumps) > 1 else 0.0

    @property
    def total_dv_km_s(self) -> float:
        """Σ |Δv| over the patch points: what flying the stitched trajectory would cost."""
        return float(np.sum(np.linalg.norm(self.jumps[:-1, 3:], axis=1)))

    def maneuvers(self, t_stop: float | None = None) -> tuple:
        """The velocity jumps as ICRF :class:`Maneuver`s at the interior patch epochs (up to ``t_stop``)."""
        out = []
        for k in range(len(self.jumps) - 1):  # interior patch points only
            tk = float(self.t[k + 1])
            if t_stop is not None and tk >= t_stop:
                break
            out.append(Maneuver(tk, tuple(float(v) for v in -self.jumps[k, 3:]), "ICRF"))
        return tuple(out)


def ephemeris_orbit(
    member,
    t0: float,
    n_revs: int,
    force_model: ForceModel,
    *,
    patches_per_rev: int = PATCHES_PER_REV,
    chunk_revs: int = CHUNK_REVS,
    grow_revs: int = GROW_REVS,
    rtol: float = ARC_RTOL,
    atol_km: float = ARC_ATOL_KM,
    progress=None,
    name: str = "spacecraft",
) -> EphemerisOrbit:
    """``n_revs`` revolutions of the CR3BP ``member`` from TDB epoch ``t0`` as one continuous
    trajectory in ``force_model`` (module docstring). ``progress(done_revs, total_revs)`` after each
    chunk. The final arcs are re-propagated with the plain propagator at ``rtol`` / ``atol_km``."""
    import time as _time

    if not isinstance(n_revs, int | np.integer) or n_revs < 1:
        raise InputError("n_revs", f"{n_revs!r}: need a whole number of revolutions >= 1")
    if chunk_revs < 1 or grow_revs < 1:
        raise InputError("chunk_revs", f"{chunk_revs}, {grow_revs}: need whole numbers of revolutions >= 1")
    wall0, cpu0 = _time.perf_counter(), _time.process_time()
    eph = force_model._sources()[0]
    t_all, guess = patch_guess(member, t0, n_revs, eph, patches_per_rev)
    p = patches_per_rev
    X = guess.copy()
    iters = []
    done_rev = 0
    end_rev = min(chunk_revs, n_revs)
    while True:
        end = end_rev * p
        try:
            tc, Xc, _, it, lin = shoot(t_all[: end + 1], X[: end + 1], force_model, rtol=rtol, atol_km=atol_km)
        except RuntimeError:
            if done_rev == 0 or end_rev - done_rev == 1:
                raise
            end_rev = done_rev + (end_rev - done_rev) // 2  # grow fewer revolutions, from the same converged part
            continue
        iters.append(it)
        if end_rev < n_revs:
            # The revolutions still to come, converted again from the converged last epoch: the
            # solve moves it (the 2:1 DRO's by a day in its first 8 revolutions), and ICRF states
            # converted at epochs they are no longer used at are off by the Moon's motion meanwhile.
            t_all[end:], X[end:] = patch_guess(member, float(tc[-1]), n_revs - end_rev, eph, p)
        t_all[: end + 1] = tc
        X[: end + 1] = Xc
        if progress is not None:
            progress(end_rev, n_revs)
        if end_rev == n_revs:
            break
        done_rev = end_rev
        end_rev = min(end_rev + grow_revs, n_revs)
    t_all, X, pieces, jumps, n_polish = polish(t_all, X, force_model, lin=lin, rtol=rtol, atol_km=atol_km, name=name)
    iters.append(n_polish)
    dense = DenseSolution.concatenate(pieces)
    traj = Trajectory(
        dense,
        float(t_all[0]),
        float(t_all[-1]),
        np.asarray(dense.t_nodes),
        name=name,
        source="lunarscope ephemeris multiple shooting (DOP853)",
        meta={"rtol": rtol, "atol_km": atol_km, "patch_tdb": t_all.tolist(), "impact_tdb": None},
    )
    return EphemerisOrbit(
        t_all, X, np.array(jumps), traj, iters, _time.perf_counter() - wall0, _time.process_time() - cpu0
    )


# ------------------------------------------------------------------ mission file: orbit: {family: ...}

#: Keys of ``orbit: {family: nrho|halo|dro|lyapunov, ...}`` (docs/mission-file.md); ``frame`` is
#: shared with the other orbit forms (the resolved state is ICRF).
FAMILY_ORBIT_KEYS = {"family", "lagrange", "branch", "resonance", "az_km", "jacobi", "period_d"}
#: Revolutions corrected beyond the mission span, so the free last epoch still covers it.
SPAN_MARGIN_REVS = 1
#: The family's option names (CLI spelling, as ``families`` raises them) → mission keys.
_OPTION_KEYS = {
    "family": "orbit.family",
    "--lagrange": "orbit.lagrange",
    "--branch": "orbit.branch",
    "--resonance": "orbit.resonance",
    "--az-km": "orbit.az_km",
    "--jacobi": "orbit.jacobi",
    "--period-d": "orbit.period_d",
}


def _as_mission_error(exc: InputError) -> InputError:
    key = _OPTION_KEYS.get(exc.field, exc.field)
    return InputError(key, exc.problem.replace("--lagrange", "orbit.lagrange").replace("--branch", "orbit.branch"))


def family_member(orbit, progress=None):
    """The CR3BP member named by ``orbit: {family: ..., lagrange, branch, one of resonance / az_km /
    jacobi / period_d}`` (``orbit`` a ``mission.reader.Section``); InputError naming the key."""
    from . import families as F

    kind = orbit.choice("family", list(F.FAMILIES), required=True)
    lag = orbit.choice("lagrange", ["L1", "L2"], default="L2" if kind == "nrho" else None)
    branch = orbit.choice("branch", ["north", "south"], default=None)
    picks = [k for k in ("resonance", "az_km", "jacobi", "period_d") if orbit.has(k)]
    if len(picks) != 1:
        raise InputError(
            "orbit.resonance" if not picks else f"orbit.{picks[1]}",
            f"give exactly one of resonance, az_km, jacobi or period_d to pick the {kind} member"
            + ("" if not picks else f" (got {', '.join(picks)})"),
        )
    key = picks[0]
    try:
        F.check_args(kind, lag, branch)
        if key == "resonance":
            text = orbit.raw["resonance"]
            if not isinstance(text, str):  # YAML 1.1 reads an unquoted 9:2 as the base-60 number 542
                raise InputError("orbit.resonance", f'{text!r} is not p:q; write it in quotes, e.g. resonance: "9:2"')
            target = {"period_nd": F.resonance_period_nd(text)}
        elif key == "az_km":
            target = {"az_km": orbit.number("az_km", exclusive_minimum=0, unit="km")}
        elif key == "jacobi":
            target = {"jacobi": orbit.number("jacobi")}
        else:
            target = {
                "period_nd": orbit.number("period_d", exclusive_minimum=0, unit="d") * SECONDS_PER_DAY / cr3bp.T_STAR_S
            }
        return F.pick(kind, lag, branch, option=f"--{key.replace('_', '-')}", progress=progress, **target)
    except InputError as exc:
        raise _as_mission_error(exc) from None


def orbit_from_family(orbit, t0: float, t1: float, force_model: ForceModel, progress=None):
    """Initial ICRF state, frame and designed maneuvers of ``orbit: {family: ...}``: the CR3BP member
    (:func:`family_member`) carried into the mission's ``force_model`` from ``t0`` over the span plus
    ``SPAN_MARGIN_REVS`` (:func:`ephemeris_orbit`). The maneuvers are the velocity jumps left at the
    patch points inside the span (each ≤ ``CONTINUITY_VEL_TOL_KM_S``; the propagate stage flies the
    state with them). Returns (state (6,), "ICRF", maneuvers, EphemerisOrbit)."""
    if orbit.has("elements") or orbit.has("state") or orbit.has("design"):
        other = next(k for k in ("design", "elements", "state") if orbit.has(k))
        raise InputError("orbit.family", f"give either family or {other}, not both")
    orbit.choice("frame", ["ICRF"], default="ICRF")
    member = family_member(orbit, progress)
    n = int(math.ceil((t1 - t0) / (member.period_d * SECONDS_PER_DAY))) + SPAN_MARGIN_REVS
    try:
        orb = ephemeris_orbit(member, t0, n, force_model)
    except RuntimeError as exc:
        raise InputError(
            "orbit.family", f"the {orbit.raw['family']} member could not be carried into the force model: {exc}"
        ) from None
    return orb.states[0].copy(), "ICRF", orb.maneuvers(t1), orb


def check_no_family_keys(orbit) -> None:
    """InputError for a family key (resonance, lagrange, ...) in an orbit without ``family``."""
    extra = sorted(k for k in FAMILY_ORBIT_KEYS - {"family"} if orbit.has(k))
    if extra:
        raise InputError(
            f"orbit.{extra[0]}", "is a key of orbit: {family: ...}; add family: nrho|halo|dro|lyapunov or remove it"
        )
