"""Target-of-opportunity re-plan figure (issue 11): a 30-day, ~500-request plan on the
circumlunar-telescope mission, one ultra-disruptive ToO added mid-span.

Builds the mission from ``examples/circumlunar-telescope.yaml`` with a generated ``requests``
section (the 99 catalogue targets, 5 requests each, one per 6-day slice of the span, seeded
exposures 1–6 h, minimum visits 10–30 min, priorities 1–10, 0.2–1 Mbit/s) and a ``commanding``
section (uplink via the DSN 70 m stations, 30 min contact, 4 h lead time), runs ``lunarscope
plan``, then ``lunarscope replan`` at mid-span, and prints: the re-plan wall time (goal ≤ 60 s),
the ToO's response time against the earliest physically possible (next uplink + lead time +
first visibility) and the fraction of the old plan's observations kept.

    python benchmarks/too_replan.py [--out DIR] [--requests 500] [--time-limit 40] [--days 30]

``--time-limit`` is the re-plan's solver cap (the plan keeps the mission's 60 s).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: Requests per catalogue target (one per slice of the span).
SLICES = 5


def _catalogue_names() -> list[str]:
    import csv

    path = ROOT / "examples" / "catalogues" / "telescope_targets.csv"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    return [r["name"] for r in csv.DictReader(lines)]


def build_mission(out: pathlib.Path, n_requests: int, days: float, seed: int = 11) -> pathlib.Path:
    """The mission file with ``n_requests`` generated requests and a commanding section."""
    rng = np.random.default_rng(seed)
    names = _catalogue_names()
    text = (ROOT / "examples" / "circumlunar-telescope.yaml").read_text()
    cat = str(ROOT / "examples" / "catalogues" / "telescope_targets.csv")
    text = text.replace("catalogues/telescope_targets.csv", cat)
    text = re.sub(r"^duration: .*$", f"duration: {days:g} d", text, flags=re.M)
    slice_d = days / SLICES
    lines = ["requests:"]
    for k in range(n_requests):
        target = names[k % len(names)]
        s = (k // len(names)) % SLICES
        lines.append(
            f"  - {{name: 'r{k:04d}', target: {json.dumps(target)}, exposure_s: {rng.uniform(3600, 21600):.0f}, "
            f"min_visit_s: {rng.uniform(600, 1800):.0f}, priority: {rng.integers(1, 11)}, "
            f"data_rate_mbps: {rng.uniform(0.2, 1.0):.2f}, "
            f"valid_from: 'JD {2462502.5 + s * slice_d:.4f} UTC', valid_to: 'JD {2462502.5 + (s + 1) * slice_d:.4f} UTC'}}"
        )
    text += "\n" + "\n".join(lines) + "\n"
    text += "commanding: {uplink_stations: [DSS-14, DSS-43, DSS-63], lead_time: 4 h, min_contact: 30 min}\n"
    path = out / "too-bench.yaml"
    path.write_text(text)
    return path


TOO = """too_class: ultra_disruptive
targets:
  - {name: SN 2030B, ra_deg: 210.9, dec_deg: 54.3}
requests:
  - {target: SN 2030B, exposure_s: 7200, min_visit_s: 1800, priority: 10, data_rate_mbps: 0.5}
"""


def report(mode: str, args, wall: float, b: dict) -> None:
    """Print the figures of one replan run (its summary.json ``replan`` block)."""
    too = b["too"][0]
    print(f"\nToO re-plan figure ({mode})")
    print(f"  requests                 {args.requests} over {args.days:g} d, trigger {b['trigger_utc']}")
    print(f"  re-plan wall time        {wall:.1f} s (process), {b['wall_s']:.1f} s to the products")
    print(f"  changes possible from    {b['t_free_utc']} (uplink {b['uplink_station']} ends {b['uplink_end_utc']})")
    if too["response_s"] is not None:
        print(
            f"  ToO response             {too['response_s'] / 3600:.2f} h; earliest possible "
            f"{too['earliest_possible_response_s'] / 3600:.2f} h (delay {too['delay_vs_earliest_s']:.0f} s; "
            f"{too['delay_vs_earliest_after_slew_s']:.0f} s after the slew from the last frozen pointing)"
        )
    else:
        print("  ToO response             not scheduled")
    c = b["changes"]
    print(
        f"  old observations kept    {100 * b['fraction_kept']:.1f}% ({c['kept']} kept, {c['moved']} moved, "
        f"{c['dropped']} dropped of {b['observations_old']}; {c['added']} added)"
    )
    print(f"  science value            {b['value_before']:.3f} -> {b['value_after']:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="bench-too", help="work folder")
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--time-limit", type=float, default=40.0, help="re-plan solver cap, s")
    ap.add_argument("--skip-plan", action="store_true", help="reuse OUT/plan from an earlier run")
    args = ap.parse_args()
    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    mission = build_mission(out, args.requests, args.days)
    (out / "too.yaml").write_text(TOO)
    exe = [sys.executable, "-m", "lunarscope.cli.main"]
    if not args.skip_plan:
        t = time.perf_counter()
        subprocess.run([*exe, "plan", str(mission), "-o", str(out / "plan")], check=True)
        print(f"plan: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    at = f"JD {2462502.5 + args.days / 2:.4f} UTC"
    for mode, extra in (("re-plan", []), ("least change", ["--least-change"])):
        new = out / ("replan" if not extra else "replan-least-change")
        t = time.perf_counter()
        cmd = [*exe, "replan", str(out / "plan"), "--add", str(out / "too.yaml"), "--at", at, "-o", str(new)]
        subprocess.run([*cmd, "--time-limit", str(args.time_limit), *extra], check=True)
        report(mode, args, time.perf_counter() - t, json.loads((new / "summary.json").read_text())["replan"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
