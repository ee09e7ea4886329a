"""Micro benchmark: lunarscope's event finder vs dense fixed-step sampling + bisection.

M synthetic conditions over one year, each like an eclipse or visibility function in a lunar
orbit: g_m(t) = sin(w_m x + p_m) + 0.3 sin(W_m x + q_m) - c_m, x = t - T0, orbital periods
2-12 h, a slow (2-30 d) modulation, |dg_m/dt| <= w_m + 0.3 W_m (the rate bound).

Baseline: evaluate all M conditions every ``step`` seconds (the same step the finder's guarantee
uses, min_duration minus its margin), bracket every sign change, bisect all brackets together
to tol. Both must return the same windows (boundaries within 2 tol) once features shorter than
min_duration, which the guarantee leaves free, are removed from both. Prints wall-time and
g-evaluation ratios measured in this one run.

    python benchmarks/bench_finder.py            # M=1000, one year
    python benchmarks/bench_finder.py --m 200 --days 30   # quicker
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lunarscope.windows import Windows, find_windows

T0 = 8.0e8  # TDB s past J2000 (2025)
YEAR_S = 365.25 * 86400.0


class Counted:
    def __init__(self, fn, rows_per_time):
        self.fn, self.rows_per_time, self.calls, self.points = fn, rows_per_time, 0, 0

    def __call__(self, *args):
        self.calls += 1
        self.points += args[0].size * self.rows_per_time
        return self.fn(*args)


def make_conditions(m: int, seed: int = 11):
    rng = np.random.default_rng(seed)
    w = 2 * np.pi / (3600.0 * rng.uniform(2.0, 12.0, m))
    W = 2 * np.pi / (86400.0 * rng.uniform(2.0, 30.0, m))
    p, q = rng.uniform(0, 2 * np.pi, (2, m))
    c = rng.uniform(-0.8, 0.8, m)

    def g(t):
        x = (t - T0)[None, :]
        return np.sin(w[:, None] * x + p[:, None]) + 0.3 * np.sin(W[:, None] * x + q[:, None]) - c[:, None]

    def g_rows(t, rows):
        x = t - T0
        return np.sin(w[rows] * x + p[rows]) + 0.3 * np.sin(W[rows] * x + q[rows]) - c[rows]

    return g, g_rows, w + 0.3 * W


def dense_baseline(g, g_rows, m, t0, t1, step, tol, chunk=2000):
    """Fixed-step sampling of all M conditions + vectorized bisection of every bracket."""
    grid = np.r_[np.arange(t0, t1, step), t1]
    rows_l, lo_l, hi_l, loin_l = [], [], [], []
    first = last = None
    for j in range(0, grid.size - 1, chunk):
        tc = grid[j : j + chunk + 1]
        inside = g(tc) >= 0
        if j == 0:
            first = inside[:, 0]
        last = inside[:, -1]
        r, k = np.nonzero(inside[:, :-1] != inside[:, 1:])
        (
            rows_l.append(r),
            lo_l.append(tc[k]),
            hi_l.append(tc[k + 1]),
            loin_l.append(inside[r, k]),
        )
    rows, lo, hi, lo_in = (np.concatenate(x) for x in (rows_l, lo_l, hi_l, loin_l))
    while True:
        act = np.flatnonzero(hi - lo > tol)
        if act.size == 0:
            break
        mid = 0.5 * (lo[act] + hi[act])
        same = (g_rows(mid, rows[act]) >= 0) == lo_in[act]
        lo[act] = np.where(same, mid, lo[act])
        hi[act] = np.where(same, hi[act], mid)
    edge = np.where(lo_in, lo, hi)
    out = []
    order = np.lexsort((lo, rows))
    rows, edge, lo_in = rows[order], edge[order], lo_in[order]
    bounds = np.searchsorted(rows, np.arange(m + 1))
    for i in range(m):
        e, li = edge[bounds[i] : bounds[i + 1]], lo_in[bounds[i] : bounds[i + 1]]
        s = np.r_[[t0] if first[i] else [], e[~li]]
        f = np.r_[e[li], [t1] if last[i] else []]
        out.append(Windows(s, f))
    return out


def canonical(w: Windows, t0: float, t1: float, min_dur: float) -> Windows:
    """Windows with gaps and then windows shorter than min_dur removed: the guarantee leaves
    features shorter than min_duration free to be found or not, so compare without them."""
    filled = w.complement(t0, t1).filter_min_duration(min_dur).complement(t0, t1)
    return filled.filter_min_duration(min_dur)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--m", type=int, default=1000)
    ap.add_argument("--days", type=float, default=365.25)
    ap.add_argument("--min-duration", type=float, default=60.0)
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()
    m, t0 = args.m, T0
    t1 = t0 + args.days * 86400.0
    g, g_rows, bound = make_conditions(m)
    # the step the finder uses for its guarantee (same margin), so both sample alike
    step = args.min_duration * (1 - 1e-6) - 16 * np.spacing(t1)

    # warm-up: load/compile the finder's numba kernels outside the timed runs
    find_windows(g, t0, t0 + 3600.0, args.min_duration, args.tol, rate_bound=bound, g_rows=g_rows)

    cg, cr = Counted(g, m), Counted(g_rows, 1)
    tic = time.perf_counter()
    dense = dense_baseline(cg, cr, m, t0, t1, step, args.tol)
    t_dense = time.perf_counter() - tic
    dense_calls, dense_points = cg.calls + cr.calls, cg.points + cr.points

    fg, fr = Counted(g, m), Counted(g_rows, 1)
    tic = time.perf_counter()
    ours = find_windows(fg, t0, t1, args.min_duration, args.tol, rate_bound=bound, g_rows=fr)
    t_ours = time.perf_counter() - tic
    our_calls, our_points = fg.calls + fr.calls, fg.points + fr.points

    md = args.min_duration
    same = all(canonical(a, t0, t1, md).isclose(canonical(b, t0, t1, md), 2 * args.tol) for a, b in zip(ours, dense))
    n_win = sum(len(w) for w in ours)
    print(f"M={m} conditions over {args.days:g} d, min_duration={args.min_duration:g} s, tol={args.tol:g} s")
    print(
        f"windows found: {n_win} (finder) vs {sum(len(w) for w in dense)} (dense); same windows (features > min_duration, 2 tol): {same}"
    )
    print(f"dense  : {t_dense:8.2f} s wall, {dense_calls:6d} g calls, {dense_points:.3e} evaluations")
    print(f"finder : {t_ours:8.2f} s wall, {our_calls:6d} g calls, {our_points:.3e} evaluations")
    print(
        f"ratio dense/finder: wall {t_dense / t_ours:.2f}x, evaluations {dense_points / our_points:.2f}x, "
        f"g calls {dense_calls / our_calls:.2f}x"
    )
    if not same:
        raise SystemExit("finder and dense baseline disagree")


if __name__ == "__main__":
    main()
