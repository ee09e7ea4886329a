"""Elementary rotation matrices and their time derivatives, vectorized.

Conventions follow SPICE's ``rotate``: ``rot(angle, axis)`` is the *frame* rotation that
changes vector components from the old frame to a frame rotated by ``angle`` about
``axis`` (1, 2 or 3); e.g. rot(a, 3) = [[cos a, sin a, 0], [-sin a, cos a, 0], [0, 0, 1]].
"""

from __future__ import annotations

import numba
import numpy as np


def rot(angle, axis: int) -> np.ndarray:
    """(N,3,3) frame rotations by ``angle`` (rad, (N,)) about ``axis`` ∈ {1, 2, 3}."""
    a = np.atleast_1d(np.asarray(angle, float))
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    i = axis - 1
    j, k = (i + 1) % 3, (i + 2) % 3
    m[..., i, i] = 1.0
    m[..., j, j] = c
    m[..., k, k] = c
    m[..., j, k] = s
    m[..., k, j] = -s
    return m


def drot(angle, rate, axis: int) -> np.ndarray:
    """Time derivative of :func:`rot` given the angle rate (rad/s), (N,3,3)."""
    a = np.atleast_1d(np.asarray(angle, float))
    w = np.atleast_1d(np.asarray(rate, float))
    c, s = np.cos(a) * w, np.sin(a) * w
    m = np.zeros(np.broadcast_shapes(a.shape, w.shape) + (3, 3))
    i = axis - 1
    j, k = (i + 1) % 3, (i + 2) % 3
    m[..., j, j] = -s
    m[..., k, k] = -s
    m[..., j, k] = c
    m[..., k, j] = -c
    return m


def euler_313(a, b, c, da, db, dc) -> tuple[np.ndarray, np.ndarray]:
    """R = rot(c,3) rot(b,1) rot(a,3) and dR/dt, for angles (rad) and rates (rad/s)."""
    r3a, r1b, r3c = rot(a, 3), rot(b, 1), rot(c, 3)
    d3a, d1b, d3c = drot(a, da, 3), drot(b, db, 1), drot(c, dc, 3)
    r = r3c @ r1b @ r3a
    dr = d3c @ r1b @ r3a + r3c @ d1b @ r3a + r3c @ r1b @ d3a
    return r, dr


def state_matrix(r: np.ndarray, dr: np.ndarray) -> np.ndarray:
    """6×6 state transforms [[R, 0], [dR, R]] from (N,3,3) R and dR/dt."""
    n = r.shape[0]
    m = np.zeros((n, 6, 6))
    m[:, :3, :3] = r
    m[:, 3:, 3:] = r
    m[:, 3:, :3] = dr
    return m


def apply(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Apply (N,k,k) matrices to (N,k) vectors → (N,k)."""
    return np.einsum("nij,nj->ni", matrices, vectors)


def apply_transposed(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Apply the transposes of (N,k,k) matrices to (N,k) vectors → (N,k)."""
    return np.einsum("nji,nj->ni", matrices, vectors)


@numba.njit(cache=True)
def _rotate_states(r, dr, states):
    n = states.shape[0]
    out = np.empty((n, 6))
    for i in range(n):
        for a in range(3):
            p = 0.0
            v = 0.0
            for b in range(3):
                p += r[i, a, b] * states[i, b]
                v += dr[i, a, b] * states[i, b] + r[i, a, b] * states[i, 3 + b]
            out[i, a] = p
            out[i, 3 + a] = v
    return out


def state_to_frame(r: np.ndarray, dr: np.ndarray, states: np.ndarray) -> np.ndarray:
    """ICRF-axes states (N,6) → frame components: x' = R x, v' = dR x + R v."""
    r = np.ascontiguousarray(r, dtype=float)
    dr = np.ascontiguousarray(dr, dtype=float)
    states = np.ascontiguousarray(states, dtype=float)
    if r.shape[0] != states.shape[0]:
        r = np.ascontiguousarray(np.broadcast_to(r, (states.shape[0], 3, 3)))
        dr = np.ascontiguousarray(np.broadcast_to(dr, (states.shape[0], 3, 3)))
    return _rotate_states(r, dr, states)


def state_from_frame(r: np.ndarray, dr: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Frame components (N,6) → ICRF axes: x = Rᵀ x', v = Rᵀ v' + dRᵀ x'."""
    pos = apply_transposed(r, states[:, :3])
    vel = apply_transposed(r, states[:, 3:]) + apply_transposed(dr, states[:, :3])
    return np.concatenate([pos, vel], axis=1)
