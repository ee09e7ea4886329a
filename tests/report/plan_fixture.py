"""The plan the report tests read, made by the real pipeline (``run_plan``) on a short mission.

:func:`fixture_mission` is ``examples/quick-look.yaml`` cut to 8 hours in a 100 km polar orbit
(degree-8 gravity), so every part of the report has data: umbra and penumbra each orbit, station
contacts and downlinks, lunar-site passes, engineering blocks, one request only partly served
(``exposure_s`` far above the span) and one never visible (a target beside the Sun).
``tests/report/conftest.py`` builds it once per test session (~4 s).
"""

from __future__ import annotations

import io
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOGUE = os.path.join(REPO, "examples", "catalogues", "telescope_targets.csv")
QUICK_LOOK = os.path.join(REPO, "examples", "quick-look.yaml")
#: The plan's only timestamp in the fixture.
STAMP = "2029-12-31T12:00:00Z"
#: A target 2° from the Sun on 2030-01-01 (Sun at RA 281.3°, Dec −23.0°): never outside the
#: 45° Sun exclusion, so its request is unscheduled ("no visibility").
SUN_SIDE = {
    "name": "Sun-side",
    "ra_deg": 283.0,
    "dec_deg": -22.0,
    "exposure_s": 600,
    "min_visit_s": 300,
    "priority": 2,
    "data_rate_mbps": 0.5,
}


def fixture_mission(duration: str = "8 h") -> dict:
    """The raw mission dictionary of the fixture (see the module docstring)."""
    with open(QUICK_LOOK, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["name"] = "LS-1 fixture <test & escape>"
    raw["description"] = "quick-look cut to 8 h in a 100 km polar orbit (tests/report/plan_fixture.py)"
    raw["duration"] = duration
    raw["orbit"]["elements"] = {
        "a_km": 1837.4,
        "e": 0.0,
        "i_deg": 90.0,
        "raan_deg": 0.0,
        "argp_deg": 0.0,
        "ta_deg": 0.0,
    }
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 8, "order": 8}
    raw["engineering"] = [{"name": "momentum dump", "every": "4 h", "duration": "10 min", "flex": "20 min"}]
    targets = raw["targets"][:3]
    targets[0] = {**targets[0], "exposure_s": 200000}  # far more than the span: partly served
    raw["targets"] = targets + [SUN_SIDE]
    return raw


def run_fixture_plan(outdir: str, raw: dict | None = None):
    """``run_plan`` (greedy) of :func:`fixture_mission` into ``outdir``; returns the PlanResult."""
    from lunarscope.mission import mission_from_dict
    from lunarscope.mission.plan import run_plan

    mission = mission_from_dict(raw or fixture_mission(), base=os.path.dirname(QUICK_LOOK), path=QUICK_LOOK)
    return run_plan(mission, outdir, solver="greedy", generated_utc=STAMP, stream=io.StringIO())
