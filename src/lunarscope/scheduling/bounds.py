"""An upper bound on the science value valid for the true (continuous) problem.

LP relaxation: split the span at every usable-window boundary into elementary slices
(capped at ``max_slices`` by merging neighbours). With x_{r,s} >= 0 the exposure of
request r in slice s:

    max  sum_{r,s} (priority_r / exposure_r) x_{r,s}
    s.t. sum_s x_{r,s} <= exposure_r,   x_{r,s} <= |usable_r  ∩ s|,
         sum_r x_{r,s} <= |s|  (one observation at a time)

It drops slews, minimum visit lengths, engineering, cadence and the recorder, so it is a
valid (optimistic) bound for every scheduler. Solved with scipy's HiGHS.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from lunarscope.scheduling.requests import intersect


def relaxation_bound(problem, max_slices: int = 1500) -> float:
    """LP upper bound on science value (same units as ``Schedule.science_value``)."""
    reqs = problem.requests
    wins = problem.usable_windows
    if not reqs or all(len(w) == 0 for w in wins):
        return 0.0
    b = np.unique(np.concatenate([w.ravel() for w in wins if len(w)]))
    if len(b) - 1 > max_slices:
        idx = np.unique(np.linspace(0, len(b) - 1, max_slices + 1).round().astype(int))
        b = b[idx]
    slices = np.column_stack([b[:-1], b[1:]])
    rows, cols, vals = [], [], []
    ub, cost, var_req, var_sl = [], [], [], []
    for r, w in enumerate(wins):
        if len(w) == 0:
            continue
        k0 = np.searchsorted(b, w[:, 0], side="right") - 1
        k1 = np.searchsorted(b, w[:, 1], side="left")
        ks = np.unique(np.concatenate([np.arange(a, c) for a, c in zip(k0, k1)]))
        ks = ks[(ks >= 0) & (ks < len(slices))]
        for k in ks:
            ov = intersect(w, slices[k:k + 1])
            cap = float(np.sum(ov[:, 1] - ov[:, 0]))
            if cap > 0:
                ub.append(min(cap, reqs[r].exposure_s))
                cost.append(-reqs[r].priority / reqs[r].exposure_s)
                var_req.append(r)
                var_sl.append(k)
    n = len(ub)
    if n == 0:
        return 0.0
    var_req = np.array(var_req)
    var_sl = np.array(var_sl)
    R = len(reqs)
    A = coo_matrix((np.ones(2 * n), (np.concatenate([var_req, R + var_sl]), np.concatenate([np.arange(n)] * 2))),
                   shape=(R + len(slices), n)).tocsr()
    rhs = np.concatenate([[r.exposure_s for r in reqs], slices[:, 1] - slices[:, 0]])
    res = linprog(np.array(cost), A_ub=A, b_ub=rhs, bounds=list(zip([0.0] * n, ub)), method="highs")
    if res.status != 0:
        raise RuntimeError(f"relaxation LP failed: {res.message}")
    # dual bound of HiGHS' optimum; add a tiny relative margin for LP tolerances
    return float(-res.fun) * (1 + 1e-7)
