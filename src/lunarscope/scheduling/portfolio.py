"""The solver portfolio: greedy -> insertion -> decomposition -> repair -> bound -> CP-SAT.

``solve`` runs the scheduling core's solvers in sequence on a plain ``Problem`` and returns
the best validated plan with the smallest valid upper bound it could prove.

Budgets: the work of every solver is counted deterministically (greedy and insertion run to
the end, the decomposition a fixed number of iterations, HiGHS to optimality or its node
limit, CP-SAT ``work_limit`` units of deterministic time), so the same inputs give the same
plan on any machine. ``time_limit_s`` is a wall-clock safety cap on the whole call, checked
by every solver (HiGHS gets the time left); when it is what stopped a solver,
``info['wall_limit_hit']`` is True and the status says ``WALL_CAP_TEXT``. Ctrl-C stops any
solver at once (``scheduling.interruptible``).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import InputError
from .bounds import SOURCE_CAPS, bound_within, lp_source
from .clock import SolveClock
from .cpsat import WALL_CAP_TEXT, cpsat
from .decomposition import applies, decompose
from .greedy import greedy
from .insertion import fit_recorder, insertion
from .longrange import SOURCE_FLOW_DAILY, SOURCE_FLOW_DAYS, flow_bound, flow_graph, plan_borders
from .problem import Problem
from .repair import repair
from .resequence import polish
from .slew_bound import SOURCE_SLEW_DAYS, slew_bound
from .validate import validate

#: Values of ``hierarchy`` (mission key ``scheduling.hierarchy``).
HIERARCHY_MODES = ("auto", "on", "off")
#: Up to this many requests ``solve`` runs the time decomposition (bound and warm start).
DECOMPOSITION_MAX_REQUESTS = 100
#: Shares of ``time_limit_s`` (wall-clock caps) for the decomposition's column generation and
#: its selection MIP; both normally stop on their deterministic limits well before.
DECOMPOSITION_SHARE = 0.45
SELECT_SHARE = 0.15
#: Most of ``time_limit_s`` the LP bound may take; beyond it the weaker exposure-caps bound
#: is reported instead (``bounds.bound_within``).
BOUND_SHARE = 0.5
#: Share of ``time_limit_s`` the slew-charged flow over days (``slew_bound``) may take at most.
SLEW_BOUND_SHARE = 0.1
#: Seconds left at least for the flow bound over days (``longrange.flow_bound``) to be tried.
FLOW_MIN_LEFT_S = 3.0
#: Seconds of the time limit kept for CP-SAT's last window to finish and the plan to be checked.
FINISH_RESERVE_S = 0.5
#: Sweeps of CP-SAT's large-neighbourhood search over the span after the decomposition (each
#: shifted). Without it one sweep.
LNS_PASSES = 3
#: Default deterministic budget of CP-SAT's search (its deterministic time, ~seconds of one
#: core; mission key ``scheduling.work_limit``): the shipped demo solves 9 of its 120 windows,
#: its schedule stage ~25 s on the 2-core development machine.
WORK_LIMIT = 1.0
#: Progress fractions reached after each step of ``solve``.
_P_GREEDY, _P_INSERTION, _P_DECOMPOSITION, _P_BOUND = 0.05, 0.10, 0.35, 0.45


def solve(
    problem: Problem,
    solver: str = "cpsat",
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 2,
    *,
    work_limit: float | None = None,
    progress=None,
    hint=None,
    with_bound: bool = True,
    hierarchy: str = "auto",
    executor=None,
    plan_window_days: int | None = None,
    polish_plan: bool = True,
):
    """The better of the greedy dispatcher and value-first insertion (both validated); for
    ``cpsat`` with at most ``DECOMPOSITION_MAX_REQUESTS`` requests whose usable windows fall
    into separate blocks (``decomposition.applies``) also the time decomposition
    (``scheduling.decomposition``: a tighter bound, and its repaired plan when that is better),
    then CP-SAT warm-started from the best, with ``work_limit`` (default ``WORK_LIMIT``) units
    of deterministic time. ``time_limit_s`` (s) caps the wall-clock time of all of it (module
    doc). The schedule carries ``relaxation_bound``, the smallest valid upper bound computed,
    and ``bound_source`` names it (LP relaxation [with recorder], time decomposition [with
    recorder, when its recorder rows are in], or exposure caps when
    the LP did not finish in time). A heuristic plan that fails validation is recorded in
    ``info['rejected']`` (heuristic, first violation) and named in the status. ``progress``:
    called with the fraction done (0..1). ``hint``: a plan of the same problem to start from
    (e.g. the previous plan when re-planning); used when it validates and is better than the
    heuristics' plans, else recorded in ``info['rejected']``. ``with_bound`` False: no bound
    is computed (the detailed windows of the hierarchical scheduler, whose bound is the
    long-range LP's). ``hierarchy``: ``auto`` (the hierarchical scheduler,
    ``scheduling.hierarchical``, when ``hierarchical.applies``), ``on`` or ``off``;
    ``executor``: where its plan windows run (anything with ``submit``, e.g. a Dask
    ``Client``; default a process pool of ``workers``); ``plan_window_days``: its plan-window
    length (None: from the data). ``polish_plan``: shorten the CP-SAT plan's slews at the end
    (``scheduling.resequence.polish``; off for the hierarchical scheduler's windows, whose
    stitched plan is polished once)."""
    from .hierarchical import applies as hierarchy_applies
    from .hierarchical import hierarchical

    if hierarchy not in HIERARCHY_MODES:
        raise InputError("scheduling.hierarchy", f"{hierarchy!r} must be one of {HIERARCHY_MODES}")
    if hierarchy == "on" or (hierarchy == "auto" and hierarchy_applies(problem)):
        return hierarchical(
            problem,
            solver,
            time_limit_s,
            seed,
            workers,
            work_limit=work_limit,
            progress=progress,
            hint=hint,
            executor=executor,
            days=plan_window_days,
        )
    clock = SolveClock(time_limit_s, progress)
    deadline, left, report = clock.deadline, clock.left, clock.report
    work_limit = WORK_LIMIT if work_limit is None else float(work_limit)

    report(0.0)
    wall_hit = False
    rejected = []
    plan = greedy(problem, deadline=deadline)
    wall_hit |= bool(plan.info.get("wall_limit_hit"))
    report(_P_GREEDY)
    alt = insertion(problem, deadline=deadline) if left() > 0 else None
    if alt is not None:
        wall_hit |= bool(alt.info.get("wall_limit_hit"))
        bad = validate(alt, problem)
        if bad:
            rejected.append({"heuristic": "insertion", "violation": bad[0]})
        elif alt.science_value(problem) > plan.science_value(problem):
            plan = alt
    if hint is not None:
        bad = validate(hint, problem)
        if bad:
            rejected.append({"heuristic": "hint", "violation": bad[0]})
        elif hint.science_value(problem) > plan.science_value(problem):
            plan = hint
    report(_P_INSERTION)
    bound, source = None, None
    dec_info = None
    if (
        solver != "greedy"
        and with_bound
        and 0 < len(problem.requests) <= DECOMPOSITION_MAX_REQUESTS
        and applies(problem)
        and left() > 0
    ):
        dec = decompose(problem, hint=plan, time_limit_s=min(DECOMPOSITION_SHARE * time_limit_s, left()))
        dec_info = {k: v for k, v in dec.info.items() if k != "history"}
        wall_hit |= bool(dec.info.get("wall_limit_hit"))
        if dec.bound is not None:
            bound, source = dec.info["lp_bound"], lp_source(problem)
            if dec.bound < bound:
                bound, source = dec.bound, dec.source  # "time decomposition" [with recorder]
            sel = dec.select(max(0.0, min(SELECT_SHARE * time_limit_s, left())))
            wall_hit |= bool(dec.info.get("select_wall_limit_hit"))
            dec_info.update({k: dec.info[k] for k in dec.info if k.startswith("select")})
            cand, bad = repair(problem, sel, stretch_s=np.inf, delay_for_cadence=True, scheduler="decomposition")
            if bad and problem.spacecraft.antenna == "gimballed":
                # its schedules ignore the recorder: cut the visits where it would overflow
                kept = [(a.request, a.start, a.stop) for a in cand.activities if a.kind == "observe"]
                fitted, bad2 = repair(problem, fit_recorder(problem, kept), scheduler="decomposition")
                if not bad2:
                    cand, bad = fitted, bad2
                    dec_info["recorder_fitted"] = True
            dec_info["repaired_value"] = cand.science_value(problem) if not bad else None
            if bad:
                rejected.append({"heuristic": "decomposition", "violation": bad[0]})
            elif cand.science_value(problem) > plan.science_value(problem):
                plan = cand
        report(_P_DECOMPOSITION)
    if bound is None and with_bound:
        # the last step for greedy (all the time left), else a share so CP-SAT keeps time
        bound_s = left() - FINISH_RESERVE_S if solver == "greedy" else min(BOUND_SHARE * time_limit_s, left())
        bound, source = bound_within(problem, max(0.0, bound_s))
        wall_hit |= source == SOURCE_CAPS

    if with_bound and problem.requests and left() > FLOW_MIN_LEFT_S:
        # the flow relaxation over days: often tighter than the LP (it has per-target rows)
        days = plan_borders(problem, 1)
        graph = flow_graph(problem, days)
        fb = flow_bound(problem, 1, graph)
        if fb < bound:
            bound, source = fb, SOURCE_FLOW_DAILY if source == SOURCE_CAPS else SOURCE_FLOW_DAYS
        sb = slew_bound(
            problem, days, fb, deadline=min(deadline, time.perf_counter() + SLEW_BOUND_SHARE * time_limit_s)
        )
        if sb is not None and sb.bound < bound:
            bound, source = sb.bound, SOURCE_SLEW_DAYS
        wall_hit |= sb is not None and sb.cut
    if not with_bound:
        source = None
    report(_P_BOUND if solver != "greedy" else 1.0)
    if solver != "greedy":
        cp_left = left() - FINISH_RESERVE_S
        if cp_left > 0:
            plan = cpsat(
                problem,
                time_limit_s=cp_left,
                workers=workers,
                seed=seed,
                hint=plan,
                passes=LNS_PASSES if dec_info is not None else 1,
                work_limit=work_limit,
                bound=bound,
                lp_bound=with_bound,
                progress=lambda f: report(_P_BOUND + (1 - _P_BOUND) * f),
            )
            wall_hit |= bool(plan.info.get("wall_limit_hit"))
            if polish_plan and left() > 0:
                plan = polish(problem, plan, deadline=deadline)
                wall_hit |= bool(plan.info.get("wall_limit_hit"))
        else:
            wall_hit = True
        if dec_info is not None:
            plan.info["decomposition"] = dec_info
    plan.relaxation_bound = bound
    plan.bound_source = source
    plan.info["wall_limit_hit"] = wall_hit
    plan.info["time_limit_s"] = float(time_limit_s)
    if solver != "greedy":
        plan.info["work_limit"] = work_limit
    plan.info["rejected"] = rejected
    notes = [plan.status] if plan.status else []
    if wall_hit and WALL_CAP_TEXT not in plan.status:
        notes.append(WALL_CAP_TEXT)
    notes += [f"rejected {r['heuristic']} plan: {r['violation']}" for r in rejected]
    plan.status = "; ".join(notes)
    report(1.0)
    return plan
