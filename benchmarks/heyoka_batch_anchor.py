"""heyoka anchor of ``bench_batch.py --heyoka``: the same orbits, span and physics in heyoka's
Taylor integrators, in its batch mode (``taylor_adaptive_batch``, one thread, SIMD lanes) and its
ensemble mode (``ensemble_propagate_until``, threads; also over batch integrators).

Physics, as close as heyoka expresses it (differences quantified by :func:`build_system`):

* lunar field: GRGM1200A truncated to the same degree, ``heyoka.model.sh_gravity_acc`` evaluated in
  the Moon's body frame (same normalized C, S, GM and radius as lunarscope's field);
* body frame: a uniform rotation about an axis fixed in ICRF, ``R(t) = A Rz(theta0 + w (t - t_mid)) Q``:
  ``Q`` maps ICRF to a frame whose z is the axis of MOON_PA's rotation over the span (from
  ``R(t_mid)^T R(t_stop)``; ~97 arcsec from the PA pole, the node's drift), ``A = R(t_mid) Q^T``
  with ``R`` lunarscope's MOON_PA rotation, ``theta0`` and ``w`` a least-squares line through
  MOON_PA's angle about that axis (what this leaves out, the librations' non-uniform part, is
  printed as the largest angle to MOON_PA over the span: 0.12 arcsec over a day);
* Earth and Sun: point masses at Moon-centred ICRF positions given by per-component polynomials in
  ``tau = (t - t_mid) / half-span`` (degree ``EPHEMERIS_FIT_DEGREE``, least-squares fit on
  Chebyshev nodes of the DE440 positions lunarscope uses), direct and indirect terms as in
  ``dynamics.forces.moon_rhs``; GM values taken from lunarscope's force model.

Time inside heyoka: seconds since the span start. Final states only (``propagate_until``):
lunarscope's runs build their full dense output as well, so the comparison favours heyoka.
Importable without heyoka; the functions import it when called.
"""

from __future__ import annotations

import copy
import time

import numpy as np

EPHEMERIS_FIT_DEGREE = 14
"""Degree of the polynomial in scaled time fitted to each Earth / Sun position component over the span."""
EPHEMERIS_FIT_MAX_M = 1.0
"""Largest Earth / Sun polynomial position error (m) accepted (about 4 days at degree 14)."""
EPHEMERIS_FIT_NODES = 64
"""Chebyshev nodes over the span at which the Earth and Sun positions are fitted."""
ROTATION_FIT_SAMPLES = 97
"""Epochs over the span at which the uniform rotation's rate and residual are fitted / checked."""
ARCSEC_PER_RAD = 180.0 * 3600.0 / np.pi


def _rz(theta: np.ndarray) -> np.ndarray:
    """(N,3,3) frame rotations by ``theta`` (rad) about z: r' = Rz r."""
    c, s = np.cos(theta), np.sin(theta)
    out = np.zeros((np.size(theta), 3, 3))
    out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1], out[:, 2, 2] = c, s, -s, c, 1.0
    return out


def _frame_with_z(axis: np.ndarray) -> np.ndarray:
    """Rotation (3,3) from ICRF to a right-handed frame whose third axis is the unit ``axis``."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(helper, axis)
    e1 /= np.linalg.norm(e1)
    return np.array([e1, np.cross(axis, e1), axis])


def _rotation_angle(r: np.ndarray) -> np.ndarray:
    """Angle (rad) of each rotation matrix in (N,3,3)."""
    return np.arccos(np.clip((np.trace(r, axis1=1, axis2=2) - 1.0) / 2.0, -1.0, 1.0))


def build_system(force_model, t_start: float, t_stop: float):
    """heyoka equations of motion ``[(var, expr)]`` for the lunarscope ``force_model`` (field in
    MOON_PA + Earth + Sun) over [t_start, t_stop] TDB s, and a dict of the approximations' sizes:
    ``rotation_arcsec`` (largest angle between the uniform rotation and MOON_PA over the span),
    ``earth_fit_m`` / ``sun_fit_m`` (largest polynomial position error on a fine grid)."""
    import heyoka as hy

    from lunarscope import frames

    if force_model.gravity_frame != "MOON_PA":
        raise ValueError("the anchor models the field in MOON_PA only")
    field = force_model.field
    pck = force_model.moon_pck
    eph = force_model.ephemeris
    gms = force_model.args(t_start, t_stop)[4]  # (.., earth, .., sun) as in moon_rhs
    t_mid, half = 0.5 * (t_start + t_stop), 0.5 * (t_stop - t_start)

    # uniform rotation about a fixed axis: MOON_PA(t) = A Rz(theta(t)) Q, with Q mapping ICRF to a
    # frame whose z is the axis of MOON_PA's rotation over the span, A = R(t_mid) Q^T, theta linear
    ts = np.linspace(t_start, t_stop, ROTATION_FIT_SAMPLES)
    rots = frames.rotation("MOON_PA", ts, pck)
    r0 = frames.rotation("MOON_PA", np.array([t_mid]), pck)[0]
    rel = np.einsum("ji,njk->nik", r0, rots)  # R0^T R(t): rotations of ICRF about the axis
    end = rel[-1] - rel[0]
    axis = np.array([end[2, 1] - end[1, 2], end[0, 2] - end[2, 0], end[1, 0] - end[0, 1]])
    axis /= np.linalg.norm(axis)
    q = _frame_with_z(axis)
    about = np.einsum("ij,njk,lk->nil", q, rel, q)  # ≈ Rz(theta(t))
    theta = np.unwrap(np.arctan2(about[:, 0, 1], about[:, 0, 0]))
    w = float(np.polyfit(ts - t_mid, theta, 1)[0])
    theta0 = float(np.polyval(np.polyfit(ts - t_mid, theta, 1), 0.0))
    a_mat = r0 @ q.T
    fit = a_mat @ _rz(theta0 + w * (ts - t_mid)) @ q
    rotation_arcsec = float(np.max(_rotation_angle(fit @ np.transpose(rots, (0, 2, 1))))) * ARCSEC_PER_RAD
    axis_tilt_arcsec = float(np.arccos(min(1.0, abs(float(np.dot(axis, r0[2])))))) * ARCSEC_PER_RAD

    # Earth and Sun positions as polynomials in tau
    k = np.arange(EPHEMERIS_FIT_NODES)
    tau_nodes = np.cos(np.pi * (k + 0.5) / EPHEMERIS_FIT_NODES)
    tau_check = np.linspace(-1.0, 1.0, 1001)
    polys, fit_m = {}, {}
    for body in ("earth", "sun"):
        p = eph.position(body, "moon", t_mid + half * tau_nodes)
        cheb = [np.polynomial.Chebyshev.fit(tau_nodes, p[:, j], EPHEMERIS_FIT_DEGREE, domain=[-1, 1]) for j in range(3)]
        polys[body] = [c.convert(kind=np.polynomial.Polynomial).coef for c in cheb]
        exact = eph.position(body, "moon", t_mid + half * tau_check)
        approx = np.stack([np.polynomial.polynomial.polyval(tau_check, c) for c in polys[body]], axis=1)
        fit_m[body] = float(np.max(np.linalg.norm(approx - exact, axis=1))) * 1e3

    if max(fit_m.values()) > EPHEMERIS_FIT_MAX_M:
        raise ValueError(f"span too long for the degree-{EPHEMERIS_FIT_DEGREE} Earth/Sun fit: {fit_m} m")
    x, y, z, vx, vy, vz = hy.make_vars("x", "y", "z", "vx", "vy", "vz")
    tau = (hy.time + (t_start - t_mid)) / half  # heyoka time: seconds since t_start

    def horner(coef):
        out = hy.expression(float(coef[-1]))
        for c in coef[-2::-1]:
            out = out * tau + float(c)
        return out

    # ICRF -> body: p = Q r, u = Rz(theta) p, body = A u
    ang = theta0 + w * (hy.time + (t_start - t_mid))
    c, s = hy.cos(ang), hy.sin(ang)
    p = [q[i, 0] * x + q[i, 1] * y + q[i, 2] * z for i in range(3)]
    u = [c * p[0] + s * p[1], -s * p[0] + c * p[1], p[2]]
    xb, yb, zb = (a_mat[i, 0] * u[0] + a_mat[i, 1] * u[1] + a_mat[i, 2] * u[2] for i in range(3))
    coefs = [[float(field.C[n, m]), float(field.S[n, m])] for n in range(field.degree_max + 1) for m in range(n + 1)]
    ab = hy.model.sh_gravity_acc([xb, yb, zb], coefs, field.gm_km3_s2, field.radius_km)
    au = [a_mat[0, i] * ab[0] + a_mat[1, i] * ab[1] + a_mat[2, i] * ab[2] for i in range(3)]  # A^T
    ap = [c * au[0] - s * au[1], s * au[0] + c * au[1], au[2]]  # Rz^T
    acc = [q[0, i] * ap[0] + q[1, i] * ap[1] + q[2, i] * ap[2] for i in range(3)]  # Q^T
    for body, gm in (("earth", float(gms[1])), ("sun", float(gms[3]))):
        d = [horner(cf) for cf in polys[body]]
        dx, dy, dz = d[0] - x, d[1] - y, d[2] - z
        d3 = (dx * dx + dy * dy + dz * dz) ** 1.5
        b3 = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) ** 1.5
        acc = [
            acc[0] + gm * (dx / d3 - d[0] / b3),
            acc[1] + gm * (dy / d3 - d[1] / b3),
            acc[2] + gm * (dz / d3 - d[2] / b3),
        ]
    system = [(x, vx), (y, vy), (z, vz), (vx, acc[0]), (vy, acc[1]), (vz, acc[2])]
    return system, {
        "rotation_arcsec": rotation_arcsec,
        "axis_from_pa_pole_arcsec": axis_tilt_arcsec,
        "earth_fit_m": fit_m["earth"],
        "sun_fit_m": fit_m["sun"],
    }


def scalar_integrator(system, tol: float, compact_mode: bool = False):
    """``taylor_adaptive`` of ``system`` at ``tol``, and its compile time (s)."""
    import heyoka as hy

    t = time.perf_counter()
    ta = hy.taylor_adaptive(system, [1.0, 0, 0, 0, 1.0, 0], tol=tol, compact_mode=compact_mode)
    return ta, time.perf_counter() - t


def batch_integrator(system, tol: float, compact_mode: bool = False):
    """``taylor_adaptive_batch`` of ``system`` at ``tol`` with heyoka's recommended SIMD width,
    and its compile time (s)."""
    import heyoka as hy

    width = hy.recommended_simd_size()
    state = np.tile(np.array([[1.0], [0.0], [0.0], [0.0], [1.0], [0.0]]), (1, width))
    t = time.perf_counter()
    ta = hy.taylor_adaptive_batch(system, state, tol=tol, compact_mode=compact_mode)
    return ta, time.perf_counter() - t


def _groups(states: np.ndarray, width: int):
    """(6, width) blocks of ``states`` (M, 6); the last one padded with copies of its first orbit."""
    m = states.shape[0]
    for a in range(0, m, width):
        block = states[a : a + width]
        n = block.shape[0]
        if n < width:
            block = np.vstack([block, np.repeat(block[:1], width - n, axis=0)])
        yield a, n, np.ascontiguousarray(block.T)


def run_batch(ta_b, states: np.ndarray, span_s: float) -> np.ndarray:
    """Final states (M, 6) of ``states`` after ``span_s`` s with the batch integrator, one thread."""
    width = ta_b.batch_size
    out = np.empty_like(states)
    for a, n, block in _groups(states, width):
        ta_b.set_time(0.0)
        ta_b.state[:] = block
        ta_b.propagate_until(span_s)
        out[a : a + n] = ta_b.state[:, :n].T
    return out


def run_ensemble(ta, states: np.ndarray, span_s: float, threads: int) -> np.ndarray:
    """Final states (M, 6) through ``ensemble_propagate_until`` (threads) over scalar integrators."""
    import heyoka as hy

    def gen(local, i):
        local.time = 0.0
        local.state[:] = states[i]
        return local

    res = hy.ensemble_propagate_until(ta, span_s, states.shape[0], gen, max_workers=threads)
    return np.array([r[0].state for r in res])


def run_ensemble_batch(ta_b, states: np.ndarray, span_s: float, threads: int) -> np.ndarray:
    """Final states (M, 6) through ``ensemble_propagate_until`` (threads) over batch integrators."""
    import heyoka as hy

    width = ta_b.batch_size
    blocks = list(_groups(states, width))

    def gen(local, i):
        local.set_time(0.0)
        local.state[:] = blocks[i][2]
        return local

    res = hy.ensemble_propagate_until(ta_b, span_s, len(blocks), gen, max_workers=threads)
    out = np.empty_like(states)
    for (a, n, _), r in zip(blocks, res):
        out[a : a + n] = r[0].state[:, :n].T
    return out


def grid_positions(ta_b, states: np.ndarray, grid_s: np.ndarray) -> np.ndarray:
    """Positions (M, G, 3) of ``states`` on ``grid_s`` (s since the start, ascending from 0)."""
    width = ta_b.batch_size
    out = np.empty((states.shape[0], grid_s.size, 3))
    grid = np.ascontiguousarray(np.repeat(grid_s[:, None], width, axis=1))
    for a, n, block in _groups(states, width):
        ta_b.set_time(0.0)
        ta_b.state[:] = block
        res = ta_b.propagate_grid(grid)
        out[a : a + n] = np.transpose(res[-1][:, :3, :n], (2, 0, 1))
    return out


def copy_integrator(ta):
    """A deep copy (what the ensemble mode makes per task); exposed to time it."""
    return copy.deepcopy(ta)
