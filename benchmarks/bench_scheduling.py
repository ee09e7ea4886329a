"""Scheduling benchmark: greedy, CP-SAT and astroplan's PriorityScheduler on the 50/200/500 instances.

Run:  python benchmarks/bench_scheduling.py [--quick] [--time-limit DT] [--astroplan-max N]
Prints one CSV row per instance. Every lunarscope plan is validated. Columns:
  greedy value / wall s; CP-SAT (LNS) value / wall s of the cpsat call (LP bound included) /
  status; model_bound (only when the plan is proven optimal, else empty); lp_bound (LP
  relaxation, valid for the true problem) and its solve time; greedy/lp, cpsat/lp;
  astroplan value / wall s (instances with n <= --astroplan-max) and lunarscope / astroplan.
--time-limit is CP-SAT's wall-clock budget (default 60 s, as in the mission default).
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
    ap.add_argument("--astroplan-max", type=int, default=50, help="run astroplan up to this many requests")
    ap.add_argument("--antenna", default="gimballed", choices=("gimballed", "body_fixed"))
    args = ap.parse_args(argv)
    sizes = [20] if args.quick else [50, 200, 500]
    limit = 2.0 if args.quick else args.time_limit
    ap_max = 0 if args.quick else args.astroplan_max
    print("n,antenna,greedy_value,greedy_s,cpsat_value,cpsat_s,cpsat_status,model_bound,"
          "lp_bound,lp_s,greedy/lp,cpsat/lp,astroplan_value,astroplan_s,cpsat/astroplan")
    for n in sizes:
        p = build_instance(n, antenna=args.antenna, days=6 if args.quick else 30)
        t = time.perf_counter()
        g = greedy(p)
        tg = time.perf_counter() - t
        assert validate(g, p) == [], validate(g, p)[:3]
        t = time.perf_counter()
        c = cpsat(p, time_limit_s=limit, hint=g, workers=2, seed=0)
        tp = time.perf_counter() - t
        assert validate(c, p) == [], validate(c, p)[:3]
        t = time.perf_counter()
        lp = relaxation_bound(p)
        tl = time.perf_counter() - t
        gv, cv = g.science_value(p), c.science_value(p)
        mb = c.model_bound
        av, at, ratio = "", "", ""
        if n <= ap_max:
            from astroplan_anchor import run_astroplan
            a_val, a_s, _ = run_astroplan(p)
            av, at, ratio = f"{a_val:.3f}", f"{a_s:.1f}", f"{cv / a_val:.3f}" if a_val > 0 else "inf"
        print(f"{n},{args.antenna},{gv:.3f},{tg:.2f},{cv:.3f},{tp:.1f},{c.status.replace(',', ';')},"
              f"{'' if mb is None else f'{mb:.3f}'},{lp:.3f},{tl:.1f},{gv / lp:.3f},{cv / lp:.3f},"
              f"{av},{at},{ratio}", flush=True)


if __name__ == "__main__":
    main()
