"""An upper bound on the science value valid for the true (continuous) problem.

LP relaxation, solved with HiGHS' interior point method through ``scipy.optimize.linprog``;
the value returned is the weak-duality bound of the solver's row multipliers (valid whatever
the solver's tolerances). The span is cut at
the usable-window boundaries into elementary slices (merged to at most ``max_slices``
neighbours; merging only relaxes the LP). With x_{r,s} >= 0 the exposure (s) of request r
in slice s:

    max  sum_{r,s} (priority_r / exposure_r) x_{r,s}
    s.t. x_{r,s} <= |usable_r ∩ s|                         (visibility)
         sum_r x_{r,s} <= |s|                              (one observation at a time)
         sum_s x_{r,s} <= cap_r                            (exposure cap, see below)
         sum_{r,s} x_{r,s} <= span - engineering time      (engineering occupies the spacecraft)

``cap_r = min(exposure_r, n-visit cap, cadence cap)``: with at most n visits, each inside
one window, the exposure is at most the sum of the n longest usable windows; with a
cadence c two used windows i < j need ``(stop_j - min_visit) - start_i >= c`` (latest
possible start in j minus earliest in i), so a longest-chain dynamic programme over the
windows bounds the exposure. Every feasible schedule satisfies all rows, hence the LP
optimum is a valid upper bound. It ignores slews, minimum visit lengths beyond window
filtering, and the recorder (all only lower the true optimum).
"""

from __future__ import annotations

import time

import numpy as np
from scipy.sparse import csr_matrix

from lunarscope.scheduling import interruptible

#: Relative margin added to the LP optimum for the solver's feasibility tolerances.
LP_REL_MARGIN = 1e-7
#: Extra wait (s) beyond HiGHS' own time limit before the LP is abandoned (left to finish in
#: a background thread).
LP_WAIT_EXTRA_S = 0.2
#: Names of the bounds (``Schedule.bound_source``).
SOURCE_LP = "LP relaxation"
SOURCE_CAPS = "exposure caps (LP relaxation not finished in the time limit)"


class BoundTimeout(Exception):
    """The LP relaxation did not finish inside its time limit (no bound proven)."""


def caps_bound(problem) -> float:
    """The bound sum_r priority_r min(1, cap_r / exposure_r) (``exposure_caps``): valid, weaker
    than the LP, computed in milliseconds (the fallback when the LP runs out of time)."""
    if not problem.requests:
        return 0.0
    E = np.array([r.exposure_s for r in problem.requests], float)
    P = np.array([r.priority for r in problem.requests], float)
    return float(np.sum(P * np.minimum(1.0, exposure_caps(problem) / E))) * (1 + LP_REL_MARGIN)


def bound_within(problem, time_limit_s: float | None):
    """(bound, source): the LP relaxation if HiGHS finishes it within ``time_limit_s`` (s,
    None: no limit), else ``caps_bound`` — never an unproven number."""
    if time_limit_s is not None and time_limit_s <= 0:
        return caps_bound(problem), SOURCE_CAPS
    try:
        return relaxation_bound(problem, time_limit_s=time_limit_s), SOURCE_LP
    except BoundTimeout:
        return caps_bound(problem), SOURCE_CAPS


def exposure_caps(problem) -> np.ndarray:
    """Per request: the most exposure (s) any schedule can collect (see module doc)."""
    caps = []
    for r, w in zip(problem.requests, problem.usable_windows):
        if len(w) == 0:
            caps.append(0.0)
            continue
        L = w[:, 1] - w[:, 0]
        cap = min(float(r.exposure_s), float(L.sum()))
        if r.n_visits is not None:
            cap = min(cap, float(np.sort(L)[::-1][: int(r.n_visits)].sum()))
        if r.cadence_s:
            latest = w[:, 1] - r.min_visit_s
            best = np.zeros(len(w))
            prefix = np.zeros(len(w))  # running max of best[:k+1]
            for j in range(len(w)):
                # compatible predecessors i < j: start_i <= latest_j - c (starts are sorted)
                k = int(np.searchsorted(w[:j, 0], latest[j] - r.cadence_s, side="right")) - 1
                best[j] = L[j] + (prefix[k] if k >= 0 else 0.0)
                prefix[j] = max(best[j], prefix[j - 1] if j else 0.0)
            cap = min(cap, float(best.max()))
        caps.append(cap)
    return np.array(caps, float)


def relaxation_bound(
    problem, max_slices: int | None = None, return_solution: bool = False, time_limit_s: float | None = None
):
    """LP upper bound on science value (same units as ``Schedule.science_value``).

    ``time_limit_s``: HiGHS' time limit (s); when it is reached ``BoundTimeout`` is raised
    (use ``bound_within`` for a valid fallback). Ctrl-C interrupts the solve at once.

    ``max_slices`` None: 6000 up to 100 requests, else 1500 (time: ~1 s at 50, ~20 s at 500).

    With ``return_solution`` also returns ``(slice_edges, req_index, slice_index, x, duals)``;
    ``duals`` (>= 0): R exposure-cap rows, then one per slice (value per second of the slice),
    then the engineering row.
    """
    t_call = time.perf_counter()
    reqs = problem.requests
    if max_slices is None:
        max_slices = 6000 if len(reqs) <= 100 else 1500
    wins = problem.usable_windows
    caps = exposure_caps(problem)
    if not reqs or all(len(w) == 0 for w in wins):
        return (0.0, None) if return_solution else 0.0
    b = np.unique(np.concatenate([w.ravel() for w in wins if len(w)]))
    if len(b) - 1 > max_slices:
        idx = np.unique(np.linspace(0, len(b) - 1, max_slices + 1).round().astype(int))
        b = b[idx]
    nS = len(b) - 1
    # every (window, slice) overlap, vectorised
    wr = np.concatenate([np.full(len(w), i) for i, w in enumerate(wins)]).astype(int)
    wa = np.concatenate([w[:, 0] for w in wins])
    we = np.concatenate([w[:, 1] for w in wins])
    k0 = np.clip(np.searchsorted(b, wa, side="right") - 1, 0, nS - 1)
    k1 = np.clip(np.searchsorted(b, we, side="left"), 1, nS)  # exclusive
    cnt = np.maximum(k1 - k0, 0)
    rep = np.repeat(np.arange(len(wa)), cnt)
    ks = np.repeat(k0, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    ov = np.minimum(we[rep], b[ks + 1]) - np.maximum(wa[rep], b[ks])
    keep = ov > 0
    rr, ks, ov = wr[rep][keep], ks[keep], ov[keep]
    key = rr.astype(np.int64) * nS + ks
    uk, inv = np.unique(key, return_inverse=True)
    ub = np.bincount(inv, ov, len(uk))
    vr, vs = (uk // nS).astype(int), (uk % nS).astype(int)
    n = len(uk)
    E = np.array([r.exposure_s for r in reqs], float)
    P = np.array([r.priority for r in reqs], float)
    cost = -(P / E)[vr]
    ub = np.minimum(ub, caps[vr])
    R = len(reqs)
    eng = problem.engineering_nominal
    eng_inside = (
        float(np.sum(eng[:, 1]))
        if len(eng)
        and np.all(eng[:, 0] - eng[:, 2] >= problem.start)
        and np.all(eng[:, 0] + eng[:, 2] + eng[:, 1] <= problem.stop)
        else 0.0
    )
    rows = np.concatenate([vr, R + vs, np.full(n, R + nS)])
    cols = np.concatenate([np.arange(n)] * 3)
    A = csr_matrix((np.ones(3 * n), (rows, cols)), shape=(R + nS + 1, n))
    rhs = np.concatenate([caps, b[1:] - b[:-1], [problem.stop - problem.start - eng_inside]])
    if time_limit_s is not None:  # what the set-up above used counts too
        time_limit_s = float(time_limit_s) - (time.perf_counter() - t_call)
        if time_limit_s <= 0:
            raise BoundTimeout("relaxation LP not started: its time limit went on the set-up")
    options = {} if time_limit_s is None else {"time_limit": max(1e-3, time_limit_s)}
    # HiGHS' own limit is not always kept (it can go on after presolve), so the wait is capped too
    try:
        res = interruptible.linprog(
            cost,
            A_ub=A,
            b_ub=rhs,
            bounds=np.column_stack([np.zeros(n), ub]),
            method="highs-ipm",
            options=options,
            timeout_s=None if time_limit_s is None else time_limit_s + LP_WAIT_EXTRA_S,
        )
    except TimeoutError:
        raise BoundTimeout(f"relaxation LP not finished in {time_limit_s:.3g} s") from None
    if res.status == 1 and time_limit_s is not None:
        raise BoundTimeout(f"relaxation LP not finished in {time_limit_s:.3g} s")
    if res.status != 0:
        raise RuntimeError(f"relaxation LP failed: {res.message}")
    # Weak duality with the solver's row multipliers lam >= 0 (any lam gives a valid bound):
    #   w.x <= lam.b + sum_j ub_j max(0, w_j - (A^T lam)_j),  w = -cost >= 0
    lam = np.maximum(-np.asarray(res.ineqlin.marginals, float), 0.0)
    red = -cost - A.T @ lam
    val = float(lam @ rhs + ub @ np.maximum(red, 0.0))
    val = max(val, float(-res.fun)) * (1 + LP_REL_MARGIN)
    if return_solution:
        return val, (b, vr, vs, res.x, lam)
    return val
