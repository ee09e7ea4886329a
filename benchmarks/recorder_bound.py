"""Recorder-bound figure (issue 11): a plan whose recorder and downlink bind, against a bound
that knows them and against the plain LP that does not.

The instance of ``tests/scheduling/test_portfolio.py::test_decomposition_plan_is_fitted_to_the_recorder``:
``scheduling_instances.build_instance(20, days=7)`` with a 16,000 Mbit recorder from empty and
every downlink at 2 % of its rate; ``portfolio.solve`` with CP-SAT and a 20 s cap (its budgets are
deterministic). Prints the plan's value, the bound it reports with its source, and the plain LP.

    python benchmarks/recorder_bound.py [--time-limit 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scheduling_instances import build_instance  # noqa: E402

from lunarscope.scheduling import Problem, Station, portfolio, validate  # noqa: E402
from lunarscope.scheduling.bounds import relaxation_bound  # noqa: E402

#: Recorder (Mbit) and the factor on every station's downlink rate.
RECORDER_MBIT = 16000.0
DOWNLINK_FACTOR = 0.02


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=20.0)
    args = ap.parse_args()
    base = build_instance(20, days=7)
    sc = dataclasses.replace(base.spacecraft, recorder_capacity_mbit=RECORDER_MBIT, recorder_initial_mbit=0.0)
    slow = [Station(s.name, s.contacts, DOWNLINK_FACTOR * s.rate_mbit_s, s.earth_direction) for s in base.stations]
    p = Problem(base.start, base.stop, base.targets, slow, base.requests, sc, base.engineering)
    plan = portfolio.solve(p, "cpsat", args.time_limit, workers=1)
    broken = validate(plan, p)
    if broken:
        raise SystemExit(f"plan failed validation: {broken[0]}")
    v = plan.science_value(p)
    plain = relaxation_bound(p, recorder=False)
    print(f"plan value                {v:.3f} ({plan.scheduler})")
    print(
        f"bound with the recorder   {plan.relaxation_bound:.3f} ({plan.bound_source}): {v / plan.relaxation_bound:.3f}"
    )
    print(f"plain LP (no recorder)    {plain:.3f}: {v / plain:.3f}")


if __name__ == "__main__":
    main()
