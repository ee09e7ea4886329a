"""Observation scheduling: requests, slews, recorder, downlinks, greedy and CP-SAT planners.

Plain-data inputs (see ``Problem``); output is a ``Schedule``. Always check a plan with
``validate(schedule, problem)`` (empty list = valid). Objective: docs/scheduling.md.
"""

from lunarscope.scheduling.bounds import relaxation_bound
from lunarscope.scheduling.cpsat import cpsat
from lunarscope.scheduling.greedy import greedy
from lunarscope.scheduling.problem import EngineeringBlock, Platform, Problem, Station, Target
from lunarscope.scheduling.requests import Request, as_intervals
from lunarscope.scheduling.schedule import TABLE_COLUMNS, Activity, Schedule, with_idle
from lunarscope.scheduling.slew import SlewModel, angle_between
from lunarscope.scheduling.validate import validate

__all__ = [
    "Activity",
    "EngineeringBlock",
    "Problem",
    "Request",
    "Schedule",
    "SlewModel",
    "Platform",
    "Station",
    "TABLE_COLUMNS",
    "Target",
    "angle_between",
    "as_intervals",
    "cpsat",
    "greedy",
    "relaxation_bound",
    "validate",
    "with_idle",
]
