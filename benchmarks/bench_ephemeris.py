"""Benchmark: Earth's state w.r.t. the Moon in MOON_PA at N epochs.

lunarscope (vectorized jplephem + PCK) against a per-epoch SPICE loop (spkezr + sxform-free:
spkezr directly in MOON_PA, which does the sxform inside; and the explicit spkezr(J2000) +
sxform variant the issue names), same kernels, same run. Prints the ratio; the goal is ≥ 20×.

    python benchmarks/bench_ephemeris.py            # 10^6 epochs
    python benchmarks/bench_ephemeris.py --n 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args(argv)

    from spice_kernels import furnish

    from lunarscope import time as lt
    from lunarscope.states import relative_state

    sp = furnish()
    t = lt.to_tdb("2030-01-01") + np.linspace(0.0, 365.25 * 86400.0, args.n)
    ours = relative_state("earth", "moon", t, "MOON_PA")  # warm: open files, map pages, compile
    runs = []
    for _ in range(3):  # median of three warm runs (the SPICE loop below is also warm)
        t0 = time.perf_counter()
        ours = relative_state("earth", "moon", t, "MOON_PA")
        runs.append(time.perf_counter() - t0)
    t_ours = float(np.median(runs))

    ref = np.empty((t.size, 6))
    t0 = time.perf_counter()
    sp.spkezr("EARTH", t[0], "J2000", "NONE", "MOON")  # warm
    for k, tk in enumerate(t):
        s = sp.spkezr("EARTH", tk, "J2000", "NONE", "MOON")[0]
        ref[k] = np.array(sp.sxform("J2000", "MOON_PA", tk)) @ s
    t_spice = time.perf_counter() - t0

    err_m = np.linalg.norm(ours[:, :3] - ref[:, :3], axis=1).max() * 1e3
    result = {
        "n": args.n,
        "lunarscope_s": t_ours,
        "spice_loop_s": t_spice,
        "ratio": t_spice / t_ours,
        "max_diff_m": err_m,
    }
    print(f"{args.n} epochs, Earth wrt Moon in MOON_PA")
    print(f"  lunarscope (vectorized):     {t_ours:8.3f} s  (median of 3 warm runs)")
    print(f"  SPICE loop (spkezr+sxform):  {t_spice:8.3f} s")
    print(f"  ratio SPICE / lunarscope:    {t_spice / t_ours:8.1f}x   (goal >= 20x)")
    print(f"  max position difference:     {err_m:.3e} m")
    return result


if __name__ == "__main__":
    main()
