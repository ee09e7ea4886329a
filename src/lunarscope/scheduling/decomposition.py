"""A tight upper bound for small problems: Lagrangian decomposition over time, exact per piece.

The usable windows of all requests form disjoint blocks of time ("components": around
apolune once per orbit for a lunar telescope). A visit lies inside one usable window, so
inside one component; what couples the components is per request only: the exposure cap,
the visit count and the cadence. Relax those with multipliers and the problem splits into
one single-telescope problem per component, solved EXACTLY (on a time grid, with a
rounding allowance that keeps the result an upper bound) by dynamic programming, with exact
pairwise slew times. For any multipliers

    value <= sum_r [lam_r cap_r + nu_r n_r] + sum_{r,tau} rho_{r,tau} + sum_j V_j

where ``V_j`` is the best of component j alone with reward ``(p_r/E_r - lam_r)`` per second
of counted exposure of request r, a charge ``nu_r`` per visit and ``rho_{r,tau}`` per visit
that starts in ``[tau, tau + cadence_r)`` (at most one start of r there: weak duality for
``min(X, cap) <= lam cap + (1 - lam E/p) X``, ``visits <= n`` and the cadence rule).

Component problem (``_component_dp``): grid step ``delta``; state (grid time k, current
pointing, engineering occurrences done, whether a visit ended exactly at k). Relaxed grid
(the bound): each real visit ``[a, b]`` maps to the grid points below ``a`` and ``b``; it then
lasts >= ``ceil(min_visit / delta) - 1`` steps, visits of different pointings are >=
``ceil(slew / delta) - 1`` steps apart, a window starts at the grid point below its start, and
the exposure lost is < delta per chain of touching visits, credited back as ``delta`` of reward
for each visit that does not start where the previous one ended. So the DP optimum bounds
every real schedule of the component. The first visit of a component needs no slew (the slew
may happen in the gap before it); engineering occurrences whose whole flex range lies inside
the component are included (at most ``MAX_ENG_PER_COMPONENT``, in a forced order; others are
ignored, which only loosens the bound). The conservative
grid (windows minus engineering rounded inwards, slews and minimum visits rounded up, no
allowance) yields real schedules for the warm start.

Recorder (``_Recorder``): the recorder rows of ``bounds`` (data generated in [t1, t2) <=
capacity - L(t1) + downlink capacity in [t1, t2)) hold at any check times; here t2 is a
component's end and t1 the span start (L = initial) or a component's start (L >= 0), so each
component's data lies wholly inside or outside each row's interval (from the span start to
every component end, and over every run of at most ``RECORDER_SPAN_COMPONENTS`` components;
rows that cannot bind are left out, as ``bounds.recorder_rows`` does). Only the data of the
counted visits enters a row, at most the plan's data, so every plan satisfies them. Relaxing
them with ``mu_k >= 0`` adds ``sum_k mu_k rhs_k`` to the bound and changes the reward per
second of request r in component j by ``-rate_r M_j``, ``M_j = sum_{k: j in row k} mu_k``
(constant per component). The relaxed DP uses ``max(0, reward)``: that is >= the reward, so
every plan's Lagrangian only grows, and the rounding allowance (which needs a reward >= 0)
stays valid. In the master LP the rows act on the columns' data per component (a variable
``d_j`` >= the data of component j's columns, rows on sums of ``d_j``); their duals are the ``mu``.

Multipliers: Dantzig-Wolfe column generation from the LP relaxation's cap duals
(``decompose``); ``Decomposition.select`` picks one generated schedule per component (MIP).
Cost ~ (grid points) x (targets) x (targets + requests) per iteration: meant for up to ~100
requests with the usable time in separate blocks (``applies``).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from numba import njit

from lunarscope.scheduling import interruptible
from lunarscope.scheduling.bounds import (
    LP_REL_MARGIN,
    BoundTimeout,
    exposure_caps,
    recorder_interval_rows,
    relaxation_bound,
)
from lunarscope.scheduling.requests import as_intervals, subtract
from lunarscope.scheduling.slew import slew_matrix_s

_log = logging.getLogger(__name__)

#: Default grid step of the component DP (s). The bound is valid for any step; a finer one
#: is tighter (the rounding allowance is 2 steps of reward per visit) and slower.
GRID_STEP_S = 30.0
#: Grid step (s) of the final bound evaluation at the converged multipliers (tighter allowances).
REFINE_STEP_S = 10.0
#: Engineering occurrences modelled per component in the bound (more cost (E+1) x; the others
#: are ignored, which only loosens the bound).
MAX_ENG_PER_COMPONENT = 2
#: Most DP cells (grid points x pointings-or-requests x engineering states) of one component:
#: the grid step grows for long components so memory stays ~0.3 GB (coarser = looser, still valid).
DP_MAX_CELLS = 3.0e6
#: Schedules offered to the selection MIP: about this many, shared equally by the components
#: (besides those the master LP uses), best reduced cost first. A smaller MIP solves to
#: optimality within its limits (deterministic) and leaves CP-SAT more time.
SELECT_MAX_COLUMNS = 700
#: Node limit of the selection MIP (deterministic; the time limit is only a safety net).
SELECT_NODE_LIMIT = 150
#: The (relaxed, valid) bound is evaluated every this many column-generation iterations.
BOUND_EVERY = 4
#: Column generation stops when the master LP and the bound agree to this relative gap.
COLGEN_REL_GAP = 1e-3
#: Slack (s) when times are placed on the grid.
GRID_EPS_S = 1e-6
#: Recorder rows over runs of at most this many consecutive components (besides the rows from
#: the span start to every component end); longer runs only add rows to the master LP.
RECORDER_SPAN_COMPONENTS = 8
#: Names of the bound (``Schedule.bound_source``): without and with recorder rows.
SOURCE_DECOMPOSITION = "time decomposition"
SOURCE_DECOMPOSITION_RECORDER = "time decomposition with recorder"


@njit(cache=True)
def _component_dp(N, delta, tgt, c, bonus, m, KB, kappa, steps, want, e_lo, e_hi, e_len):
    """Best value of one component (module doc). Returns (value, visits (n, 3): r, k1, k2).

    N: last grid index; tgt (R,) target of each request; c (R,) reward per second; bonus (R,)
    rounding allowance of a visit that does not start where the previous one ended; m (R,)
    minimum grid length; KB (R, N+1): last grid index of r's usable window containing k, -1
    outside; kappa (R, N+1): charge of a visit starting at k; steps (P+1, P): slew in grid
    steps from pointing p (P = free start) to target q. e_lo, e_hi, e_len (E,): engineering
    occurrences that must happen in this component, in this order: start in [e_lo, e_hi],
    last e_len steps, hold the pointing (no slew across them), no visit overlaps them.
    States: V0[e, k, p]: e occurrences done, pointing p, last visit ended before k; V1: a
    visit ended at k (the next visit starting at k continues it: no allowance).
    """
    R = len(tgt)
    P = steps.shape[1]
    E = len(e_lo)
    NEG = -1e300
    V0 = np.full((E + 1, N + 2, P + 1), NEG)
    V1 = np.full((E + 1, N + 2, P + 1), NEG)
    V0[E, N + 1, :] = 0.0
    V1[E, N + 1, :] = 0.0
    ch0 = np.full((E + 1, N + 1, P + 1), -1, np.int64)
    ch1 = np.full((E + 1, N + 1, P + 1), -1, np.int64)
    S = np.full((E + 1, N + 2, R), NEG)
    S_arg = np.zeros((E + 1, N + 2, R), np.int64)
    A = np.full((E + 1, N + 1, R), NEG)  # start a visit of r at k, without the allowance
    A_end = np.zeros((E + 1, N + 1, R), np.int64)
    Bb = np.full((P,), NEG)
    Bn = np.full((P,), NEG)
    Rb = np.full((E + 1, N + 1, P), -1, np.int64)
    Rn = np.full((E + 1, N + 1, P), -1, np.int64)
    Vb = np.full((E + 1, N + 1, P), NEG)
    Vn = np.full((E + 1, N + 1, P), NEG)
    for k in range(N, -1, -1):
        for e in range(E, -1, -1):
            for r in range(R):
                kb = KB[r, k]
                if kb < 0 or k + m[r] > kb:
                    continue
                s = S[e, k + m[r], r]
                if s > NEG:
                    A[e, k, r] = s - c[r] * delta * k - kappa[r, k]
                    A_end[e, k, r] = S_arg[e, k + m[r], r]
            # best start per target (requests of one target share its slews)
            for q in range(P):
                Bb[q] = NEG
                Bn[q] = NEG
            for r in range(R):
                if A[e, k, r] <= NEG:
                    continue
                q = tgt[r]
                if A[e, k, r] + bonus[r] > Bb[q]:
                    Bb[q] = A[e, k, r] + bonus[r]
                    Rb[e, k, q] = r
                if A[e, k, r] > Bn[q]:
                    Bn[q] = A[e, k, r]
                    Rn[e, k, q] = r
            for q in range(P):
                Vb[e, k, q] = Bb[q]
                Vn[e, k, q] = Bn[q]
            # engineering occurrence e now (holds the pointing; the chain of visits is broken)
            eng_ok = e < E and e_lo[e] <= k <= e_hi[e] and k + e_len[e] <= N + 1
            for p in range(P + 1):
                b0 = V0[e, k + 1, p]
                if e < E and k + 1 > e_hi[e]:
                    b0 = NEG  # occurrence e can no longer start
                a0 = -1
                if eng_ok:
                    v = V0[e + 1, min(k + e_len[e], N + 1), p]
                    if v > b0:
                        b0 = v
                        a0 = -2
                b1 = b0
                a1 = a0
                for q in range(P):
                    kk = k + steps[p, q]
                    if kk > N or Rb[e, kk, q] < 0:
                        continue
                    if Vb[e, kk, q] > b0:
                        b0 = Vb[e, kk, q]
                        a0 = Rb[e, kk, q]
                    if kk == k:  # continues the visit that ended at k: no allowance
                        if Vn[e, kk, q] > b1:
                            b1 = Vn[e, kk, q]
                            a1 = Rn[e, kk, q]
                    elif Vb[e, kk, q] > b1:
                        b1 = Vb[e, kk, q]
                        a1 = Rb[e, kk, q]
                V0[e, k, p] = b0
                ch0[e, k, p] = a0
                V1[e, k, p] = b1
                ch1[e, k, p] = a1
            # suffix maxima of c_r delta k2 + V1[e, k2, tgt_r] inside r's window
            for r in range(R):
                if KB[r, k] < 0:
                    continue
                v = c[r] * delta * k + V1[e, k, tgt[r]]
                if k + 1 <= N and KB[r, k + 1] == KB[r, k] and S[e, k + 1, r] > v:
                    S[e, k, r] = S[e, k + 1, r]
                    S_arg[e, k, r] = S_arg[e, k + 1, r]
                else:
                    S[e, k, r] = v
                    S_arg[e, k, r] = k
    out = np.zeros((0, 3), np.int64)
    if want and V0[0, 0, P] > NEG:
        buf = np.zeros((N + 1, 3), np.int64)
        n = 0
        k, p, f, e = 0, P, 0, 0
        while k <= N:
            r = ch1[e, k, p] if f else ch0[e, k, p]
            if r == -1:
                k += 1
                f = 0
                continue
            if r == -2:
                k = k + e_len[e]
                e += 1
                f = 0
                continue
            k1 = k + steps[p, tgt[r]]
            k2 = A_end[e, k1, r]
            buf[n, 0], buf[n, 1], buf[n, 2] = r, k1, k2
            n += 1
            k, p, f = k2, tgt[r], 1
        out = buf[:n]
    return V0[0, 0, P], out


class _Pieces:
    """Static data of the components: grids, windows on the grid, slew steps.

    ``relaxed`` (for the bound): every real schedule maps onto the grid (module doc).
    Otherwise ``conservative`` (for plans): windows minus the nominal engineering blocks
    rounded inwards, slews and minimum visits rounded up, no allowance, so a grid schedule
    is a real one (up to slews at component starts, checked when the plan is repaired).
    """

    def __init__(self, problem, delta, relaxed: bool):
        reqs = problem.requests
        self.delta = delta
        self.relaxed = relaxed
        wins = problem.usable_windows
        allw = [w for w in wins if len(w)]
        self.comps = as_intervals(np.vstack(allw), "components") if allw else np.zeros((0, 2))
        self.tgt = np.array([problem.target_index[r.target] for r in reqs], np.int64)
        mv = np.array([r.min_visit_s for r in reqs], float)
        S = slew_matrix_s(problem.spacecraft.slew, problem.target_dirs)
        P = len(problem.targets)
        st = np.zeros((P + 1, P), np.int64)  # row P: free start, no slew
        if relaxed:
            self.m = np.maximum(1, np.ceil(mv / delta - GRID_EPS_S).astype(np.int64) - 1)
            st[:P] = np.maximum(0, np.ceil(S / delta - GRID_EPS_S).astype(np.int64) - 1)
        else:
            self.m = np.ceil(mv / delta - GRID_EPS_S).astype(np.int64)
            st[:P] = np.ceil(S / delta - GRID_EPS_S).astype(np.int64)
            nom = problem.engineering_nominal
            if len(nom):
                e0 = problem.engineering_planned
                eng = np.column_stack([e0, e0 + nom[:, 1]])
                wins = [subtract(w, eng) if len(w) else w for w in wins]
        self.steps = st
        self.pieces = []
        nom = problem.engineering_nominal
        for a, b in self.comps:
            N = int(math.floor((b - a) / delta + GRID_EPS_S))
            eng = np.zeros((0, 3), np.int64)
            if relaxed and len(nom):
                # occurrences that lie inside this component wherever they start in their flex range
                inside = nom[(nom[:, 0] - nom[:, 2] >= a) & (nom[:, 0] + nom[:, 2] + nom[:, 1] <= b)]
                rows, last_hi = [], -np.inf
                for t, d, f, _bi in inside[np.argsort(inside[:, 0])]:
                    if len(rows) >= MAX_ENG_PER_COMPONENT or t - f < last_hi:
                        continue  # keep a few, in a forced order (ignoring one only loosens the bound)
                    rows.append(
                        (
                            int(math.floor((t - f - a) / delta + GRID_EPS_S)),
                            int(math.floor((t + f - a) / delta + GRID_EPS_S)),
                            max(0, int(math.ceil(d / delta - GRID_EPS_S)) - 1),
                        )
                    )
                    last_hi = t + f + d
                eng = np.array(rows, np.int64).reshape(-1, 3)
            KB = np.full((len(reqs), N + 1), -1, np.int64)
            for r, w in enumerate(wins):
                sel = w[(w[:, 1] > a) & (w[:, 0] < b)]
                for wa, wb in sel:
                    if relaxed:
                        ka = int(math.floor((wa - a) / delta + GRID_EPS_S))
                    else:
                        ka = int(math.ceil((wa - a) / delta - GRID_EPS_S))
                    kb = min(N, int(math.floor((wb - a) / delta + GRID_EPS_S)))
                    if kb >= ka:
                        KB[r, ka : kb + 1] = kb
            self.pieces.append((a, N, KB, eng))


def min_grid_step(problem) -> float:
    """Smallest grid step (s) keeping every component's DP within ``DP_MAX_CELLS``."""
    wins = [w for w in problem.usable_windows if len(w)]
    if not wins:
        return 0.0
    comps = as_intervals(np.vstack(wins), "components")
    width = max(len(problem.targets) + 1, len(problem.requests)) * (MAX_ENG_PER_COMPONENT + 1)
    return float(np.max(comps[:, 1] - comps[:, 0])) * width / DP_MAX_CELLS


#: ``applies`` needs at least this many separate blocks of usable time ...
MIN_COMPONENTS = 4
#: ... and a grid no coarser than this (s); otherwise the decomposition brings nothing.
MAX_USEFUL_STEP_S = 60.0


def applies(problem) -> bool:
    """Whether the decomposition is worth running: the usable windows fall into several
    separate blocks (e.g. one per orbit) that the DP can grid finely enough."""
    wins = [w for w in problem.usable_windows if len(w)]
    if not wins:
        return False
    n = len(as_intervals(np.vstack(wins), "components"))
    return n >= MIN_COMPONENTS and min_grid_step(problem) <= MAX_USEFUL_STEP_S


class Decomposition:
    """Result of ``decompose``: the bound, the component schedules (columns) and a plan."""

    def __init__(self, problem, bound, info, col_visits=(), master=None, rows=None, mult=None):
        self.problem = problem
        self.bound = bound
        self.info = info
        self._visits = col_visits  # per column: its visits (request, start, stop)
        # last master LP: (A, rhs, bounds, leading continuous columns R0, duals, theta, component
        # of each column, requests R)
        self._master = master
        self._rows = rows  # _Rows of the problem
        self._mult = mult  # final multipliers (lam, nu, rho, mu)

    @property
    def source(self) -> str:
        """Name of the bound (``Schedule.bound_source``): with recorder when its rows are in."""
        return SOURCE_DECOMPOSITION_RECORDER if self.info.get("recorder_rows") else SOURCE_DECOMPOSITION

    def refine_bound(self, grid_step_s: float) -> float:
        """The bound at the final multipliers on a finer grid (smaller rounding allowances);
        ``self.bound`` becomes the smaller of the two."""
        if self._master is None:
            return self.bound
        pieces = _Pieces(self.problem, max(grid_step_s, min_grid_step(self.problem)), True)
        b = self._rows.lagrangian(pieces, *self._mult)
        self.info.setdefault("refined", []).append((grid_step_s, b))
        self.bound = min(self.bound, b)
        prev = self.info.get("own_bound")
        self.info["own_bound"] = b if prev is None else min(prev, b)
        return self.bound

    def select(self, time_limit_s: float = 10.0):
        """Visits (request, start, stop) of the best integer choice of one generated schedule
        per component (HiGHS MIP over the columns, same rows as the master LP)."""
        from scipy.optimize import Bounds, LinearConstraint

        if self._master is None:
            return []
        # R0 leading continuous columns: R values z_r, then the data per component (recorder)
        A, rhs, bnds, R0, dual, theta, comp, R = self._master
        # at most ~SELECT_MAX_COLUMNS: per component the schedules the master uses and the best
        # by reduced cost
        rc = -(A[:, R0:].T @ dual)
        comp = np.asarray(comp)
        keep = theta > 1e-9
        per = max(1, SELECT_MAX_COLUMNS // max(1, len(np.unique(comp))))
        for j in np.unique(comp):
            idx = np.flatnonzero(comp == j)
            keep[idx[np.argsort(-rc[idx], kind="stable")[:per]]] = True
        kept = np.flatnonzero(keep)
        A = A[:, np.concatenate([np.arange(R0), R0 + kept])]
        bnds = list(bnds[:R0]) + [bnds[R0 + q] for q in kept]
        n = A.shape[1]
        lo = np.zeros(n)
        hi = np.array([b[1] if b[1] is not None else (np.inf if q < R0 else 1.0) for q, b in enumerate(bnds)], float)
        integ = np.concatenate([np.zeros(R0), np.ones(n - R0)])
        c = np.concatenate([-np.ones(R), np.zeros(n - R)])
        res = interruptible.milp(
            c,
            constraints=LinearConstraint(A, -np.inf, rhs),
            bounds=Bounds(lo, hi),
            integrality=integ,
            options={"time_limit": max(0.5, float(time_limit_s)), "mip_rel_gap": 1e-4, "node_limit": SELECT_NODE_LIMIT},
        )
        self.info["select_wall_limit_hit"] = "time limit" in str(res.message).lower()
        self.info["select_status"] = res.message
        if res.x is None:
            return []
        sel = kept[np.flatnonzero(res.x[R0:] > 0.5)]
        self.info["select_value"] = -float(res.fun)
        self.info["select_columns"] = len(kept)
        return [(r, a, b) for q in sel for (r, a, b) in self._visits[q]]


class _Recorder:
    """Recorder rows at component boundaries (module doc): row k bounds the data of components
    ``j1[k]..j2[k]`` by ``rhs[k]`` (Mbit); only rows that can bind are kept (``K`` of them)."""

    def __init__(self, problem, comps, span: int = RECORDER_SPAN_COMPONENTS):
        self.rate = np.array([r.data_rate_mbit_s for r in problem.requests], float)
        t0 = float(problem.start)
        J = len(comps)
        j1, j2, t_from = [], [], []
        for e in range(J):
            j1.append(0)  # from the span start (level = initial)
            j2.append(e)
            t_from.append(t0)
            for s in range(max(0, e - span + 1), e + 1):
                if comps[s, 0] > t0:  # from a component's start (level >= 0)
                    j1.append(s)
                    j2.append(e)
                    t_from.append(float(comps[s, 0]))
        j1, j2 = np.array(j1, np.int64), np.array(j2, np.int64)
        if J and len(self.rate) and np.any(self.rate > 0):
            rhs, most = recorder_interval_rows(problem, np.array(t_from), comps[j2, 1])
            keep = most > rhs
        else:
            rhs, keep = np.zeros(len(j1)), np.zeros(len(j1), bool)
        self.J = J
        self.j1, self.j2, self.rhs = j1[keep], j2[keep], rhs[keep]
        self.K = len(self.rhs)

    def per_component(self, mu) -> np.ndarray:
        """(J,) M_j: the sum of ``mu`` over the rows whose components include j."""
        d = np.zeros(self.J + 1)
        np.add.at(d, self.j1, mu)
        np.add.at(d, self.j2 + 1, -np.asarray(mu, float))
        return np.maximum(np.cumsum(d)[: self.J], 0.0)


class _Rows:
    """The coupling rows of the problem: exposure caps, visit counts, cadence intervals, and
    (``rec``, a ``_Recorder`` or None) the recorder rows."""

    def __init__(self, problem):
        reqs = problem.requests
        self.reqs = reqs
        self.R = len(reqs)
        E = np.array([r.exposure_s for r in reqs], float)
        self.w = np.array([r.priority for r in reqs], float) / E
        self.cap = np.minimum(exposure_caps(problem), E)
        self.nvis = np.array([r.n_visits if r.n_visits is not None else -1 for r in reqs], float)
        self.has_n = np.flatnonzero(self.nvis >= 0)
        self.cad = [r for r, q in enumerate(reqs) if q.cadence_s and len(problem.usable_windows[r])]
        # cadence intervals [tau, tau + c): one per usable-window start of r
        self.taus = {r: problem.usable_windows[r][:, 0].copy() for r in self.cad}
        self.tau_off = {}
        off = 0
        for r in self.cad:
            self.tau_off[r] = off
            off += len(self.taus[r])
        self.n_tau = off
        self.rec = None

    def charges(self, piece, delta, nu, rho, surely):
        """(R, N+1) charge of a visit starting at grid point k: nu_r plus rho of the cadence
        intervals that surely (relaxed grid: real start in [t_k, t_k + delta)) or exactly
        (conservative grid: start t_k) contain the start."""
        a, N = piece[0], piece[1]
        kap = np.repeat(nu[:, None], N + 1, axis=1)
        t = a + delta * np.arange(N + 1)
        for r in self.cad:
            taus = self.taus[r]
            cum = np.concatenate([[0.0], np.cumsum(rho[self.tau_off[r] : self.tau_off[r] + len(taus)])])
            c = self.reqs[r].cadence_s
            if surely:  # t + delta - c <= tau <= t
                lo = np.searchsorted(taus, t + delta - c, side="left")
            else:  # t - c < tau <= t
                lo = np.searchsorted(taus, t - c, side="right")
            hi = np.searchsorted(taus, t, side="right")
            kap[r] += cum[hi] - cum[np.minimum(lo, hi)]
        return kap

    def lagrangian(self, pieces, lam, nu, rho, mu=None):
        """The bound L at the multipliers, from the relaxed DP of every component (``mu``: of
        the recorder rows, when ``rec`` has any)."""
        assert pieces.relaxed
        d = pieces.delta
        c = self.w - lam
        total = float(lam @ self.cap + nu[self.has_n] @ self.nvis[self.has_n] + rho.sum())
        M = None
        if self.rec is not None and self.rec.K and mu is not None:
            mu = np.maximum(np.asarray(mu, float), 0.0)
            total += float(mu @ self.rec.rhs)
            M = self.rec.per_component(mu)
        for j, piece in enumerate(pieces.pieces):
            _a, N, KB, eng = piece
            cj = c if M is None else np.maximum(c - self.rec.rate * M[j], 0.0)
            val, _ = _component_dp(
                N,
                d,
                pieces.tgt,
                cj,
                d * cj,
                pieces.m,
                KB,
                self.charges(piece, d, nu, rho, True),
                pieces.steps,
                False,
                eng[:, 0],
                eng[:, 1],
                eng[:, 2],
            )
            total += val
        return total * (1 + LP_REL_MARGIN)


def decompose(
    problem,
    *,
    hint=None,
    time_limit_s: float = 30.0,
    grid_step_s: float = GRID_STEP_S,
    refine_step_s: float | None = REFINE_STEP_S,
    max_iter: int = 50,
    log: bool = False,
    recorder: bool = True,
) -> Decomposition:
    """Upper bound on the science value (module doc) and the schedules found on the way.

    Stops when the master LP and the bound agree (``COLGEN_REL_GAP``) or after ``max_iter``
    iterations (deterministic); ``time_limit_s`` is a safety net (``info['wall_limit_hit']``).
    The bound is finally re-evaluated on a ``refine_step_s`` grid. Multipliers come from
    Dantzig-Wolfe column generation: a master LP over the component
    schedules found so far (convexity per component; exposure, visit-count and cadence rows
    per request) gives them as duals; each component's conservative DP then adds its best
    schedule (a real one), and the relaxed DP at the same duals gives the bound. ``hint``: a
    valid Schedule whose visits seed the master. The bound is never above the LP bound
    (computed first; the smaller is kept). ``recorder`` False leaves out the recorder rows
    (module doc; for comparison). ``info``: ``recorder_rows`` (how many), ``own_bound`` (the
    smallest Lagrangian bound, before the minimum with the LP bound).
    """
    from scipy.sparse import csc_matrix

    t_wall = time.perf_counter()
    reqs = problem.requests
    try:
        lp, sol = relaxation_bound(problem, return_solution=True, time_limit_s=time_limit_s)
    except BoundTimeout:  # no proven bound, no duals to start from: nothing to decompose
        return Decomposition(problem, None, {"lp_bound": None, "iterations": 0, "wall_limit_hit": True})
    info = {"lp_bound": lp, "iterations": 0, "grid_step_s": grid_step_s}
    if not reqs or sol is None:
        return Decomposition(problem, lp, info)
    rows_ = _Rows(problem)
    R, w, cap, nvis, has_n = rows_.R, rows_.w, rows_.cap, rows_.nvis, rows_.has_n
    taus, tau_off, n_tau = rows_.taus, rows_.tau_off, rows_.n_tau
    delta = max(grid_step_s, min_grid_step(problem))
    info["grid_step_s"] = delta
    relaxed = _Pieces(problem, delta, True)
    conservative = _Pieces(problem, delta, False)  # engineering at problem.engineering_planned
    J = len(relaxed.pieces)
    comp_a = np.array([pc[0] for pc in relaxed.pieces])
    rec = _Recorder(problem, relaxed.comps) if recorder else None
    if rec is not None and rec.K == 0:
        rec = None  # the recorder cannot bind: the decomposition is the same as without it
    rows_.rec = rec
    info["recorder_rows"] = rec.K if rec is not None else 0
    rate = np.array([r.data_rate_mbit_s for r in reqs], float)
    # rows: R value links, J convexity, visit counts, cadence; with the recorder J data links
    # (component data of the columns <= d_j) and K recorder rows on the d_j (sum <= rhs)
    Jd = J if rec is not None else 0
    K = rec.K if rec is not None else 0
    R0 = R + Jd  # leading continuous columns: z_r, then d_j
    base = R + J + len(has_n) + n_tau
    if rec is not None:
        run = rec.j2 - rec.j1 + 1
        d_rows = np.concatenate([base + np.arange(Jd), base + Jd + np.repeat(np.arange(K), run)])
        d_cols = np.concatenate(
            [
                R + np.arange(Jd),
                R + np.repeat(rec.j1, run) + (np.arange(run.sum()) - np.repeat(np.cumsum(run) - run, run)),
            ]
        )
        d_vals = np.concatenate([-np.ones(Jd), np.ones(int(run.sum()))])
    else:
        d_rows = d_cols = np.zeros(0, np.int64)
        d_vals = np.zeros(0)
    # master LP columns, kept as sparse entries (row, value) so each iteration only appends
    col_comp, col_visits, col_rows, col_vals = [], [], [], []

    def column(j, visits):
        """Add a real component schedule: visits (r, start, stop)."""
        X = np.zeros(R)
        nv = np.zeros(R)
        ct = np.zeros(n_tau)
        for r, a, b in visits:
            X[r] += b - a
            nv[r] += 1
            if r in taus:
                idx = np.flatnonzero((taus[r] <= a) & (a < taus[r] + reqs[r].cadence_s))
                ct[tau_off[r] + idx] += 1
        k, k2, k3 = np.flatnonzero(X), np.flatnonzero(nv[has_n]), np.flatnonzero(ct)
        col_rows.append(np.concatenate([k, [R + j], R + J + k2, R + J + len(has_n) + k3]))
        col_vals.append(np.concatenate([-w[k] * X[k], [1.0], nv[has_n][k2], ct[k3]]))
        data = float(rate @ X)
        if rec is not None and data > 0:
            col_rows[-1] = np.concatenate([col_rows[-1], [base + j]])
            col_vals[-1] = np.concatenate([col_vals[-1], [data]])
        col_comp.append(j)
        col_visits.append(list(visits))

    if hint is not None:
        byj = {}
        for act in hint.activities:
            if act.kind == "observe" and act.stop - act.start >= reqs[act.request].min_visit_s - 1e-9:
                j = int(np.searchsorted(comp_a, act.start, side="right")) - 1
                byj.setdefault(j, []).append((int(act.request), float(act.start), float(act.stop)))
        for j, v in byj.items():
            column(j, v)

    def new_columns(lam, nu, rho, mu):
        c = w - lam
        M = rec.per_component(mu) if rec is not None else None
        zero = np.zeros(R)
        for j, piece in enumerate(conservative.pieces):
            a, N, KB, eng = piece
            _, vis = _component_dp(
                N,
                delta,
                conservative.tgt,
                c if M is None else c - rate * M[j],
                zero,
                conservative.m,
                KB,
                rows_.charges(piece, delta, nu, rho, False),
                conservative.steps,
                True,
                eng[:, 0],
                eng[:, 1],
                eng[:, 2],
            )
            if len(vis):
                column(j, [(int(r), a + k1 * delta, a + k2 * delta) for r, k1, k2 in vis])

    lam = np.clip(sol[4][:R], 0.0, w)  # start: the LP's cap duals, no visit or cadence prices
    nu = np.zeros(R)
    rho = np.zeros(n_tau)
    mu = np.zeros(K)
    best = lp
    own = np.inf
    it = 0
    master_val = 0.0
    master = None
    history = []
    wall_hit = False
    while it < max_iter:
        it += 1
        new_columns(lam, nu, rho, mu)
        # master LP: max sum z_r; z_r <= w_r sum X theta, z_r <= w_r cap_r; visits <= n; cadence <= 1;
        # recorder: data of component j's columns <= d_j, sum of d_j over a row's components <= rhs
        nc = len(col_comp)
        counts = [len(x) for x in col_rows]
        rows = np.concatenate([np.arange(R), d_rows] + col_rows)
        cc = np.concatenate([np.arange(R), d_cols, np.repeat(R0 + np.arange(nc), counts)])
        vv = np.concatenate([np.ones(R), d_vals] + col_vals)
        nrow = base + Jd + K
        A = csc_matrix((vv, (rows, cc)), shape=(nrow, R0 + nc))
        rhs = np.concatenate([np.zeros(R), np.ones(J), nvis[has_n], np.ones(n_tau), np.zeros(Jd)])
        if rec is not None:
            rhs = np.concatenate([rhs, rec.rhs])
        bnds = [(0, w[r] * cap[r]) for r in range(R)] + [(0, None)] * (Jd + nc)
        res = interruptible.linprog(
            np.concatenate([-np.ones(R), np.zeros(Jd + nc)]), A_ub=A, b_ub=rhs, bounds=bnds, method="highs-ipm"
        )
        if res.status != 0:
            break
        master_val = -float(res.fun)
        dual = np.maximum(-np.asarray(res.ineqlin.marginals, float), 0.0)
        master = (A, rhs, bnds, R0, dual, np.asarray(res.x[R0:], float), list(col_comp), R)
        lam = (1.0 - np.clip(dual[:R], 0.0, 1.0)) * w
        nu = np.zeros(R)
        nu[has_n] = dual[R + J : R + J + len(has_n)]
        rho = dual[R + J + len(has_n) : base]
        mu = dual[base + Jd :]
        wall_hit = time.perf_counter() - t_wall >= time_limit_s
        last = it >= max_iter or wall_hit
        bound = None
        if it % BOUND_EVERY == 0 or last:
            bound = rows_.lagrangian(relaxed, lam, nu, rho, mu)
            best = min(best, bound)
            own = min(own, bound)
        history.append((master_val, bound))
        if log:
            _log.info("decomposition %d: master %.4f L %s best %.4f (LP %.4f)", it, master_val, bound, best, lp)
        if last or (bound is not None and best - master_val <= COLGEN_REL_GAP * best):
            break
    info.update(
        iterations=it,
        wall_s=time.perf_counter() - t_wall,
        history=history,
        master=master_val,
        columns=len(col_comp),
        bound=best,
        own_bound=own if np.isfinite(own) else None,
    )
    info["wall_limit_hit"] = wall_hit
    dec = Decomposition(problem, best, info, col_visits, master, rows_, (lam, nu, rho, mu))
    if refine_step_s and max(refine_step_s, min_grid_step(problem)) < delta and master is not None:
        dec.refine_bound(refine_step_s)
    return dec
