"""The ``station_keeping:`` mission section: at load the nominal plan's burns are inserted into
``mission.maneuvers`` with one engineering block each (the scheduler's one-off blocks), so the
propagation and the scheduling problem see them; wrong keys name themselves."""

import copy

import numpy as np
import pytest

from lunarscope.errors import InputError
from lunarscope.mission.core import mission_from_dict

RAW = {
    "name": "sk-section",
    "start": "2030-01-01T00:00:00Z",
    "duration": "4 d",
    "orbit": {"frame": "MOON_ME_INERTIAL", "elements": {"a_km": 1787.4, "e": 0.0, "i_deg": 90.0}},
    "force_model": {"gravity": {"model": "GRGM1200A", "degree": 10, "order": 10}, "third_bodies": ["earth", "sun"]},
    "propagator": {"rtol": 1.0e-9, "atol_km": 1.0e-6},
    "engineering": [{"name": "momentum dump", "every": "12 h", "duration": "20 min"}],
    "station_keeping": {
        "box": {"periapsis_km": [44, 56]},
        "od_sigma": {"position_m": [30, 60, 30], "velocity_mps": 0.03},
        "exec_sigma": {"magnitude_pct": 1, "pointing_deg": 0.5},
        "seed": 3,
        "engineering": {"name": "SK burn", "duration": "40 min", "before": "10 min"},
    },
}


@pytest.fixture(scope="module")
def mission():
    return mission_from_dict(copy.deepcopy(RAW))


def test_station_keeping_section_inserts_maneuvers_and_blocks(mission):
    sk = mission.station_keeping
    assert sk is not None and sk.nominal.corrections >= 1
    burns = sk.nominal.maneuvers
    assert len(mission.maneuvers) == len(burns) and mission.maneuvers == tuple(sorted(burns, key=lambda m: m.t))
    assert sk.od_position_km == pytest.approx((0.03, 0.06, 0.03)) and sk.od_velocity_kms == pytest.approx((3e-5,) * 3)
    assert (sk.magnitude_frac, sk.pointing_deg, sk.seed) == (0.01, 0.5, 3)
    blocks = [e for e in mission.operations.engineering if e.name == "SK burn"]
    assert 1 <= len(blocks) <= len(burns)  # a pair's blocks merge when they overlap
    for m in burns:  # every burn lies inside a block that starts 10 min (or more) before it
        assert any(b.first_start <= m.t - 600.0 + 1e-6 and m.t < b.first_start + b.duration_s for b in blocks)
    for b in blocks:  # one-off: a period longer than the span, no flex
        assert b.period_s > mission.t_stop - mission.t_start and b.flex_s == 0
    # the propagation job carries the burns
    from lunarscope.mission.stages import propagation_job

    assert propagation_job(mission).maneuvers == mission.maneuvers


def test_planned_burns_keep_the_box_in_the_propagated_mission(mission):
    from lunarscope.mission.run import propagate_mission

    res = propagate_mission(mission)
    assert res.impact_time is None
    t, s = res.trajectory.sample(120.0)
    h = np.linalg.norm(s[:, :3], axis=1) - 1737.4
    free = mission_from_dict({k: v for k, v in copy.deepcopy(RAW).items() if k != "station_keeping"})
    t2, s2 = propagate_mission(free).trajectory.sample(120.0)
    h2 = np.linalg.norm(s2[:, :3], axis=1) - 1737.4
    assert h.min() > h2.min() + 2.0  # the controlled orbit's lowest point is higher


@pytest.mark.parametrize(
    "patch, key",
    [
        ({"boxx": {}}, "station_keeping.boxx"),
        ({"box": {"periapsis_km": [60, 50]}}, "station_keeping.box.periapsis_km"),
        ({"box": "periapsis_km: [40, 60]"}, "station_keeping.box"),
        ({"span": "30 d"}, "station_keeping.span"),
        ({"od_sigma": {"position_m": -1}}, "station_keeping.od_sigma.position_m"),
        ({"engineering": {"duration": "10 min", "before": "20 min"}}, "station_keeping.engineering.before"),
    ],
)
def test_station_keeping_errors_name_the_key(patch, key):
    raw = copy.deepcopy(RAW)
    raw["station_keeping"].update(patch)
    if "boxx" in patch:
        del raw["station_keeping"]["box"]
    with pytest.raises(InputError) as e:
        mission_from_dict(raw)
    assert e.value.field == key


def test_engineering_at_is_a_one_off_block():
    raw = {k: v for k, v in copy.deepcopy(RAW).items() if k != "station_keeping"}
    raw["engineering"].append({"name": "burn", "at": "2030-01-02T00:00:00Z", "duration": "30 min"})
    m = mission_from_dict(raw)
    b = m.operations.engineering[-1]
    assert b.name == "burn" and b.duration_s == 1800.0 and b.flex_s == 0.0 and b.period_s > 4 * 86400
    raw["engineering"][-1]["at"] = "2030-02-01T00:00:00Z"
    with pytest.raises(InputError) as e:
        mission_from_dict(raw)
    assert e.value.field == "engineering[1].at"
    raw["engineering"][-1]["every"] = "1 d"
    with pytest.raises(InputError) as e:
        mission_from_dict(raw)
    assert e.value.field == "engineering[1].every"
