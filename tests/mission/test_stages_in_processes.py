"""Every stage runs from plain, picklable inputs in another process (issue 10): propagate,
windows and schedule of a short mission in a ``ProcessPoolExecutor`` (fresh ``spawn``
interpreters, nothing inherited) give bit for bit what they give in this process."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import yaml

from lunarscope.dynamics.propagator import PropagationJob, run_propagation
from lunarscope.mission import load_mission
from lunarscope.mission.scheduling_problem import build_problem
from lunarscope.mission.stages import propagation_job, window_job
from lunarscope.scheduling.portfolio import solve
from lunarscope.windows.compute import WindowJob, compute_windows

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "quick-look.yaml")
#: Trajectory comparison grid step (s).
SAMPLE_STEP_S = 600.0


@pytest.fixture(scope="module")
def mission(tmp_path_factory):
    with open(EXAMPLE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = "6 h"
    raw["targets"] = raw["targets"][:3]
    raw["engineering"] = []
    path = tmp_path_factory.mktemp("stages") / "short.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_mission(str(path))


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield ex


def _rows(schedule):
    return [(a.kind, a.start, a.stop, a.target, a.data_mbit, a.station) for a in schedule.activities]


def test_jobs_are_plain_and_picklable(mission):
    pj, wj = propagation_job(mission), window_job(mission)
    assert isinstance(pj, PropagationJob) and isinstance(wj, WindowJob)
    for job in (pj, wj):
        back = pickle.loads(pickle.dumps(job))
        assert type(back) is type(job)
    assert "Mission" not in repr(wj) and len(repr(wj)) < 200


def test_stages_in_another_process_match_in_process(mission, pool):
    pj, wj = propagation_job(mission), window_job(mission)
    here = run_propagation(pj)
    there = pool.submit(run_propagation, pj).result()
    t, s_here = here.trajectory.sample(SAMPLE_STEP_S)
    assert np.array_equal(there.trajectory.state(t), s_here)
    assert np.array_equal(there.trajectory.nodes, here.trajectory.nodes)
    assert there.impact_time == here.impact_time and there.n_steps == here.n_steps

    traj = here.trajectory
    ws_here = compute_windows(wj, traj)
    ws_there = pool.submit(compute_windows, wj, traj).result()
    assert set(ws_there) == set(ws_here) and len(ws_here) > 5
    for key, w in ws_here.items():
        assert np.array_equal(ws_there[key].starts, w.starts) and np.array_equal(ws_there[key].stops, w.stops)
    assert ws_there.to_csv_text() == ws_here.to_csv_text()

    problem = build_problem(mission, ws_here, traj)
    ops = mission.operations
    sched_here = solve(problem, "greedy", ops.time_limit_s, ops.seed, 1)
    sched_there = pool.submit(solve, problem, "greedy", ops.time_limit_s, ops.seed, 1).result()
    assert _rows(sched_here) and _rows(sched_there) == _rows(sched_here)
    assert sched_there.science_value(problem) == sched_here.science_value(problem)


def test_body_fixed_antenna_problem_is_picklable(mission):
    """The Earth direction of a body-fixed antenna is a picklable callable
    (states.EarthDirection), so its Problem crosses a process boundary too."""
    from dataclasses import replace

    from lunarscope.mission.run import propagate_mission
    from lunarscope.mission.stages import mission_windows

    traj = propagate_mission(mission).trajectory
    ws = mission_windows(mission, traj)
    m = replace(mission, operations=replace(mission.operations, antenna="body_fixed"))
    problem = build_problem(m, ws, traj)
    back = pickle.loads(pickle.dumps(problem))
    t = np.array([mission.t_start + 100.0])
    assert np.array_equal(back.stations[0].earth_direction(t), problem.stations[0].earth_direction(t))
    assert np.array_equal(back.stations[0].earth_dirs(), problem.stations[0].earth_dirs())
