"""Command-line options shared by several jobs: the solver options of the jobs that schedule
(``schedule``, ``plan``, ``replan``) and the output-folder check of the ``design`` tools."""

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


def check_output_folder(out: str, option: str = "-o") -> None:
    """``out`` must be a folder, or a new one whose parent exists, and writable (InputError
    naming ``option`` otherwise); nothing is created."""
    import os

    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(option, f"{out} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(parent):
        raise InputError(option, f"folder {parent} does not exist")
    if not os.access(out if os.path.isdir(out) else parent, os.W_OK):
        raise InputError(option, f"{out} is not writable")
