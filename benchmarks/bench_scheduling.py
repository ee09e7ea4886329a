"""Scheduling benchmark: greedy vs CP-SAT on the synthetic 50/200/500-request instances.

Run:  python benchmarks/bench_scheduling.py [--quick]
Prints science value, the LP relaxation bound (valid for the true problem), CP-SAT's
own model bound and status, timings; every plan is validated.
astroplan's PriorityScheduler comparison is NOT implemented yet (see docs/scheduling.md).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scheduling_instances import build_instance  # noqa: E402

from lunarscope.scheduling import cpsat, greedy, relaxation_bound, validate  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small instance, short limits (smoke test)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args(argv)
    sizes = [20] if args.quick else [50, 200, 500]
    limit = 3.0 if args.quick else args.time_limit
    print("n,antenna,greedy_value,greedy_s,cpsat_value,cpsat_s,cpsat_status,model_bound,lp_bound,greedy/lp,cpsat/lp")
    for n in sizes:
        for antenna in ("gimballed", "body_fixed"):
            p = build_instance(n, antenna=antenna, days=5 if args.quick else 30)
            t = time.perf_counter()
            g = greedy(p)
            tg = time.perf_counter() - t
            assert validate(g, p) == [], validate(g, p)[:3]
            c = cpsat(p, time_limit_s=limit, hint=g)
            assert validate(c, p) == [], validate(c, p)[:3]
            lp = relaxation_bound(p)
            gv, cv = g.science_value(p), c.science_value(p)
            print(f"{n},{antenna},{gv:.3f},{tg:.2f},{cv:.3f},{c.solve_s:.1f},{c.status},"
                  f"{c.model_bound if c.model_bound is None else round(c.model_bound, 3)},{lp:.3f},"
                  f"{gv / lp:.3f},{cv / lp:.3f}", flush=True)


if __name__ == "__main__":
    main()
