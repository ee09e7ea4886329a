"""One real ``run_plan`` per test session for every report test (see plan_fixture.py)."""

from __future__ import annotations

import warnings

import pytest
from plan_fixture import run_fixture_plan


@pytest.fixture(scope="session")
def plan_run(tmp_path_factory):
    """(output folder, PlanResult) of the fixture mission, written once per session."""
    out = tmp_path_factory.mktemp("report-plan") / "plan"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Earth orientation beyond the IERS table: known, documented
        result = run_fixture_plan(str(out))
    return out, result


@pytest.fixture(scope="session")
def plan(plan_run):
    """The typed plan (lunarscope.products.Plan) of the fixture mission."""
    return plan_run[1].plan
