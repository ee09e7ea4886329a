"""Differential correction of symmetric periodic CR3BP orbits: single and multiple shooting,
fixed-parameter correction and pseudo-arclength continuation steps.

An orbit symmetric about the x–z plane crosses it perpendicularly twice per period
(y = ẋ = ż = 0; Roy & Ovenden's mirror theorem, 1955). From a perpendicular crossing
s₀ = (x₀, 0, z₀, 0, ẏ₀, 0) the half period τ_h is found by asking the same of the state at τ_h:
y = ẋ = ż = 0 (planar orbits: y = ẋ = 0). Howell 1984 (Celest. Mech. 32, 53) corrects with the
crossing found by an event; here the half period is an unknown of the Newton system instead, so
the same system serves continuation (Keller's pseudo-arclength method, Doedel et al. 2007,
Int. J. Bifurcation Chaos 17, 2625) and multiple shooting.

Unknowns X = [free components of s₀ | patch states s₁ … s_{N−1} (6 each) | τ] with N equal
segments of length τ = τ_h / N. Constraints F(X): φ(τ; s_k) − s_{k+1} = 0 (k < N − 1) and the
symmetry components of φ(τ; s_{N−1}). N = 1 is symmetric single shooting. F has one fewer row
than X has unknowns: the family's tangent is the null vector of DF; a last row a·X = b closes
the system (a fixed component, or the pseudo-arclength condition t·(X − X₀) = ds).
"""

from __future__ import annotations

import numpy as np

from ..dynamics import cr3bp

#: Newton accepts an orbit when every constraint is below this (nondimensional length/velocity)...
CORRECTION_TOL_ND = 1e-12
#: ...and keeps polishing (at most MAX_POLISH_ITERATIONS more steps, while the residual at least
#: halves) down to this: the residual at the half period is amplified by up to √λmax ≈ 50 over the
#: second half, so 1e-13 keeps the periodicity error of ν ≈ 1,300 Lyapunov orbits near 1e-12.
POLISH_TOL_ND = 1e-13
MAX_POLISH_ITERATIONS = 2
#: Most Newton iterations per correction.
MAX_NEWTON_ITERATIONS = 20
#: A Newton step larger than this (nondimensional, max norm) is a divergence.
MAX_NEWTON_STEP_ND = 0.2


class NotConverged(RuntimeError):
    """The Newton iteration did not reach CORRECTION_TOL_ND."""


class Shooter:
    """The symmetric shooting problem of one family: ``spatial`` (x₀, z₀, ẏ₀ free; y, ẋ, ż
    targeted) or planar (x₀, ẏ₀; y, ẋ), ``n_seg`` equal segments over the half period."""

    def __init__(self, mu: float, spatial: bool, n_seg: int = 1):
        self.mu = float(mu)
        self.spatial = bool(spatial)
        self.n_seg = int(n_seg)
        self.free = (0, 2, 4) if spatial else (0, 4)
        self.target = (1, 3, 5) if spatial else (1, 3)
        self.nk = len(self.free)
        self.n_x = self.nk + 6 * (self.n_seg - 1) + 1

    # layout ---------------------------------------------------------------
    def initial_state(self, X) -> np.ndarray:
        s = np.zeros(6)
        s[list(self.free)] = X[: self.nk]
        return s

    def half_period(self, X) -> float:
        return float(X[-1]) * self.n_seg

    def pack(self, state0, half_period) -> np.ndarray:
        """X for the orbit through the crossing ``state0`` (6,) with half period ``half_period``:
        patch states by propagating ``state0`` (exact when the orbit is already periodic)."""
        s0 = np.asarray(state0, float)
        tau = float(half_period) / self.n_seg
        parts = [s0[list(self.free)]]
        s = s0.copy()
        for _ in range(self.n_seg - 1):
            s = cr3bp.propagate(s, tau, self.mu).y_end[:6].copy()
            parts.append(s)
        parts.append(np.array([tau]))
        return np.concatenate(parts)

    def index_of(self, component: int) -> int:
        """Position in X of a component of s₀ (0 = x₀, 2 = z₀, 4 = ẏ₀)."""
        return self.free.index(component)

    # F and DF -------------------------------------------------------------
    def evaluate(self, X):
        """(F (n_x − 1,), DF (n_x − 1, n_x))."""
        n, nk = self.n_seg, self.nk
        tau = float(X[-1])
        F = np.zeros(self.n_x - 1)
        D = np.zeros((self.n_x - 1, self.n_x))
        for k in range(n):
            s = self.initial_state(X) if k == 0 else X[nk + 6 * (k - 1) : nk + 6 * k]
            arc = cr3bp.propagate(s, tau, self.mu, stm=True)
            ye = arc.y_end
            phi = ye[6:].reshape(6, 6)
            f = cr3bp.rhs6(0.0, ye[:6].copy(), (self.mu, 1.0))
            col0 = 0 if k == 0 else nk + 6 * (k - 1)
            cols = list(self.free) if k == 0 else list(range(6))
            ncol = len(cols)
            if k < n - 1:
                r0 = 6 * k
                F[r0 : r0 + 6] = ye[:6] - X[nk + 6 * k : nk + 6 * k + 6]
                D[r0 : r0 + 6, col0 : col0 + ncol] = phi[:, cols]
                D[r0 : r0 + 6, nk + 6 * k : nk + 6 * k + 6] -= np.eye(6)
                D[r0 : r0 + 6, -1] = f
            else:
                r0 = 6 * (n - 1)
                tg = list(self.target)
                F[r0:] = ye[tg]
                D[r0:, col0 : col0 + ncol] = phi[np.ix_(tg, cols)]
                D[r0:, -1] = f[tg]
        return F, D

    def tangent(self, X, previous=None) -> np.ndarray:
        """Unit null vector of DF(X), oriented along ``previous`` (when given)."""
        _, D = self.evaluate(X)
        t = np.linalg.svd(D)[2][-1]
        if previous is not None and float(np.dot(t, previous)) < 0.0:
            t = -t
        return t

    def correct(self, X, a, b):
        """Newton on [F(X); a·X − b] = 0 from X. Returns (X, iterations to acceptance); NotConverged."""
        X = np.array(X, dtype=float)
        a = np.asarray(a, float)
        prev, polished = np.inf, 0
        for it in range(MAX_NEWTON_ITERATIONS):
            try:
                F, D = self.evaluate(X)
            except RuntimeError as exc:
                raise NotConverged(str(exc)) from None
            g = float(np.dot(a, X) - b)
            res = max(float(np.max(np.abs(F))), abs(g))
            if res < POLISH_TOL_ND or (
                res < CORRECTION_TOL_ND and (polished >= MAX_POLISH_ITERATIONS or res > 0.5 * prev)
            ):
                return X, it - polished  # iterations to acceptance (the step-size control reads it)
            if res < CORRECTION_TOL_ND:
                polished += 1
            prev = res
            J = np.vstack([D, a[None, :]])
            try:
                dX = np.linalg.solve(J, -np.concatenate([F, [g]]))
            except np.linalg.LinAlgError:
                raise NotConverged("singular Newton system") from None
            if not np.all(np.isfinite(dX)) or float(np.max(np.abs(dX))) > MAX_NEWTON_STEP_ND:
                raise NotConverged("Newton step diverged")
            X = X + dX
            if X[-1] <= 0.0:
                raise NotConverged("half period went negative")
        raise NotConverged(f"no convergence in {MAX_NEWTON_ITERATIONS} iterations")

    def correct_fixed(self, X, component: int, value: float | None = None):
        """Correct with one component of s₀ held (``component`` 0, 2 or 4; default: its value in X)."""
        j = self.index_of(component)
        a = np.zeros(self.n_x)
        a[j] = 1.0
        return self.correct(X, a, float(X[j]) if value is None else float(value))

    def step(self, X, t, ds):
        """Pseudo-arclength step: predict X + ds t, correct on t·(X' − X) = ds."""
        return self.correct(np.asarray(X) + ds * np.asarray(t), t, float(np.dot(t, X)) + ds)


def half_period_guess(state0, mu: float, t_max: float = 20.0) -> float:
    """Time to the next y = 0 crossing of ``state0`` (on y = 0), from an event search."""
    s0 = np.asarray(state0, float)
    sign = 1 if s0[4] > 0.0 else -1
    arc = cr3bp.propagate(s0, t_max, mu, stop_at_y_crossing=sign)
    if arc.status != 1:
        raise NotConverged("no x-z plane crossing within the search time")
    return float(arc.t_event)
