"""Scheduling benchmark: greedy, CP-SAT and astroplan's PriorityScheduler on the 50/200/500 instances.

Run:  python benchmarks/bench_scheduling.py [--quick] [--time-limit DT] [--astroplan-max N]
Prints one CSV row per instance. Every lunarscope plan is validated. Columns:
  greedy value / wall s; cpsat value / wall s of ``scheduling.portfolio.solve(..., 'cpsat')``
  (the whole pipeline the CLI runs: greedy and insertion warm starts, the time decomposition
  up to 100 requests, CP-SAT LNS; all inside --time-limit) / status; bound (the smallest
  valid upper bound computed: the decomposition's, else the LP relaxation's) and lp_bound
  (LP relaxation alone); greedy/bound, cpsat/bound; astroplan value / wall s (instances with
  n <= --astroplan-max; given our rules up front, then held to them and validated, see
  astroplan_anchor.py) and lunarscope / astroplan.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scheduling_instances import build_instance  # noqa: E402

from lunarscope.scheduling import greedy, relaxation_bound, validate  # noqa: E402
from lunarscope.scheduling.portfolio import solve  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small instance, short limits (smoke test)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--astroplan-max", type=int, default=50, help="run astroplan up to this many requests")
    ap.add_argument("--antenna", default="gimballed", choices=("gimballed", "body_fixed"))
    ap.add_argument("--days", type=float, default=30.0, help="planning span of the instances (d)")
    ap.add_argument("--sizes", default="50,200,500", help="numbers of requests")
    args = ap.parse_args(argv)
    sizes = [20] if args.quick else [int(x) for x in args.sizes.split(",")]
    limit = 2.0 if args.quick else args.time_limit
    ap_max = 0 if args.quick else args.astroplan_max
    print(
        "n,days,antenna,greedy_value,greedy_s,cpsat_value,cpsat_s,cpsat_status,bound,"
        "lp_bound,lp_s,greedy/bound,cpsat/bound,astroplan_value,astroplan_s,cpsat/astroplan"
    )
    for n in sizes:
        p = build_instance(n, antenna=args.antenna, days=6 if args.quick else args.days)
        t = time.perf_counter()
        g = greedy(p)
        tg = time.perf_counter() - t
        assert validate(g, p) == [], validate(g, p)[:3]
        t = time.perf_counter()
        c = solve(p, "cpsat", time_limit_s=limit, workers=2, seed=0)
        tp = time.perf_counter() - t
        assert validate(c, p) == [], validate(c, p)[:3]
        t = time.perf_counter()
        lp = relaxation_bound(p)
        tl = time.perf_counter() - t
        gv, cv = g.science_value(p), c.science_value(p)
        bd = c.relaxation_bound
        av, at, ratio = "", "", ""
        if n <= ap_max:
            from astroplan_anchor import hold_to_rules, run_astroplan

            _, a_s, vis = run_astroplan(p, rules=True)
            held, broken = hold_to_rules(p, vis)
            assert broken == [], broken[:3]
            a_val = held.science_value(p)
            av, at, ratio = f"{a_val:.3f}", f"{a_s:.1f}", f"{cv / a_val:.3f}" if a_val > 0 else "inf"
        print(
            f"{n},{6 if args.quick else args.days:g},{args.antenna},{gv:.3f},{tg:.2f},{cv:.3f},{tp:.1f},{c.status.replace(',', ';')},"
            f"{bd:.3f},{lp:.3f},{tl:.1f},{gv / bd:.3f},{cv / bd:.3f},"
            f"{av},{at},{ratio}",
            flush=True,
        )


if __name__ == "__main__":
    main()
