"""Command-line options shared by the jobs that schedule (``schedule``, ``plan``, ``replan``)."""

from __future__ import annotations

import math

from ..errors import InputError

#: ``mission.operations.SOLVERS``, spelled out so that building the parser imports no solver
#: (tests/cli/test_ephem_cli.py checks they agree).
SOLVER_CHOICES = ("greedy", "cpsat")


def add_solver_options(p) -> None:
    """``--solver`` and ``--time-limit`` (overrides of the mission's ``scheduling`` keys)."""
    p.add_argument(
        "--solver",
        choices=list(SOLVER_CHOICES),
        default=None,
        help="greedy dispatcher, or CP-SAT warm-started from it (default: scheduling.solver)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="wall-clock cap of the whole solve, s (default: scheduling.time_limit_s)",
    )


def check_solver_options(args) -> None:
    """``--time-limit``, when given, must be a finite number of seconds > 0."""
    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise InputError("--time-limit", f"{args.time_limit} must be a finite number of seconds > 0")
