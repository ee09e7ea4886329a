"""Survey-scale scheduling through the whole pipeline: ``lunarscope plan`` on a synthetic survey.

Writes a mission (the shipped circumlunar-telescope mission: ELFO, stations, constraints,
recorder, engineering; its ELFO is frozen for a year, ``--raan-deg`` overrides its RAAN) with
N requests on M targets over D days, runs ``lunarscope plan`` on it as a user would (a subprocess, under ``/usr/bin/time -v`` for the peak memory), and prints
the wall time, the peak resident memory, the stage times and the science value / bound.

The catalogue (deterministic for a seed): M targets on a Fibonacci sphere (even sky cover);
requests in the proportions of a general-observer programme — priorities in tiers 1..10
(lognormal, most low), exposures lognormal around 2 h (600 s .. 20 h) scaled so the total
asks for ``--oversubscription`` x the span, minimum visits 300..1800 s, 20 % monitoring with a
cadence of 1..7 days and a visit count, 10 % time-critical with a validity of 2..14 days,
science data 0.5..4 Mbit/s.

    python benchmarks/survey_scale.py --requests 10000 --targets 1000 --days 365
    python benchmarks/survey_scale.py --requests 500 --targets 300 --days 30 --keep out/
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(ROOT, "examples", "circumlunar-telescope.yaml")


def fibonacci_radec(m: int) -> np.ndarray:
    """(m, 2) RA, Dec (deg) spread evenly over the sky (golden-angle spiral; González 2010)."""
    k = np.arange(m) + 0.5
    z = 1 - 2 * k / m
    phi = np.pi * (3 - np.sqrt(5)) * k
    return np.column_stack([np.degrees(phi) % 360.0, np.degrees(np.arcsin(z))])


def _iso(start, days: float) -> str:
    return (start + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def survey(n_requests: int, n_targets: int, days: float, oversubscription: float, seed: int, start):
    """(targets CSV text, list of request mappings) of the synthetic survey (module doc);
    ``start``: the mission start (datetime, UTC)."""
    rng = np.random.default_rng(seed)
    radec = fibonacci_radec(n_targets)
    lines = ["name,ra_deg,dec_deg"] + [f"S{j:05d},{ra:.6f},{dec:.6f}" for j, (ra, dec) in enumerate(radec)]
    raw = np.clip(rng.lognormal(np.log(7200.0), 0.9, n_requests), 600.0, 72000.0)
    exposure = raw * oversubscription * days * 86400.0 / raw.sum()
    reqs = []
    for i in range(n_requests):
        e = float(np.clip(exposure[i], 600.0, 72000.0))
        mv = float(min(e, rng.choice([300.0, 600.0, 1200.0, 1800.0])))
        r = {
            "target": f"S{int(rng.integers(n_targets)):05d}",
            "name": f"R{i:05d}",
            "exposure_s": round(e, 1),
            "min_visit_s": mv,
            "priority": int(min(10, 1 + np.floor(rng.lognormal(0.6, 0.7)))),
            "data_rate_mbps": float(rng.choice([0.5, 1.0, 2.0, 4.0])),
        }
        kind = rng.uniform()
        if kind < 0.2:  # monitoring
            r["cadence_h"] = float(24 * rng.integers(1, 8))
            r["visits"] = int(max(1, min(20, round(e / mv))))
        elif kind < 0.3:  # time-critical
            a = rng.uniform(0, max(0.0, days - 14.0))
            r["valid_from"] = _iso(start, a)
            r["valid_to"] = _iso(start, a + rng.uniform(2, 14))
        reqs.append(r)
    return "\n".join(lines) + "\n", reqs


def write_mission(folder: str, args) -> str:
    with open(BASE) as f:
        m = yaml.safe_load(f)
    start = dt.datetime.fromisoformat(str(m["start"]).replace("Z", "+00:00"))
    csv_text, reqs = survey(args.requests, args.targets, args.days, args.oversubscription, args.seed, start)
    with open(os.path.join(folder, "survey_targets.csv"), "w") as f:
        f.write(csv_text)
    m["name"] = f"survey-{args.requests}x{args.days:g}d"
    m["description"] = "synthetic survey (benchmarks/survey_scale.py)"
    m["duration"] = f"{args.days:g} d"
    m["targets"] = {"catalogue": "survey_targets.csv"}
    m["requests"] = reqs
    m["scheduling"] = {**m.get("scheduling", {}), "time_limit_s": args.time_limit}
    if args.work_limit is not None:
        m["scheduling"]["work_limit"] = args.work_limit
    if args.raan_deg is not None:
        m["orbit"]["elements"]["raan_deg"] = args.raan_deg
    m.pop("sites", None)
    path = os.path.join(folder, "survey.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(m, f, sort_keys=False, width=200)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--oversubscription", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--raan-deg",
        type=float,
        default=None,
        help="override the ELFO's RAAN (MOON_ME_INERTIAL at the start); by default the shipped "
        "mission's frozen ELFO is flown as it is (perilune 164.7 km or higher over a year)",
    )
    ap.add_argument("--time-limit", type=float, default=600.0, help="scheduling.time_limit_s (s)")
    ap.add_argument(
        "--work-limit", type=float, default=None, help="scheduling.work_limit (CP-SAT deterministic units; default 1)"
    )
    ap.add_argument("--keep", help="write the mission and the products here (default: a temporary folder)")
    args = ap.parse_args(argv)
    folder = args.keep or tempfile.mkdtemp(prefix="lunarscope-survey-")
    os.makedirs(folder, exist_ok=True)
    mission = write_mission(folder, args)
    out = os.path.join(folder, "plan")
    shutil.rmtree(out, ignore_errors=True)
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "lunarscope.cli.main", "plan", mission, "-o", out]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    err = proc.stderr
    stages = re.findall(r"^(\d/4 \w+): done in ([\d.]+) s", err, re.M)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    print(f"survey: {args.requests} requests on {args.targets} targets over {args.days:g} d (seed {args.seed})")
    print(f"lunarscope plan: exit {proc.returncode}, wall {wall:.1f} s", end="")
    print(f", peak memory {int(peak.group(1)) / 1024**2:.2f} GiB" if peak else "")
    for name, s in stages:
        print(f"  {name:14s} {float(s):8.1f} s")
    for line in (proc.stdout + err).splitlines():
        if line.strip().startswith(("science value", "solver", "requests", "recorder")):
            print(" ", line.strip())
    if proc.returncode:
        print(err[-3000:])
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
