"""``lunarscope design lifetime``: CSV columns, a low orbit's lifetime equal to the impact
time of the same orbit propagated alone, the chart page, and wrong inputs (one error line
naming the option, exit 2, nothing written)."""

import csv
import math

import pytest

from lunarscope.cli.design import parse_values
from lunarscope.cli.main import main
from lunarscope.constants import SECONDS_PER_DAY
from lunarscope.design.lifetime import circular_states
from lunarscope.dynamics.propagator import propagate
from lunarscope.errors import InputError
from lunarscope.mission import load_mission

MISSION = """name: lifetime-test
start: 2030-01-01T00:00:00Z
duration: 10 d
orbit:
  frame: MOON_ME_INERTIAL
  elements: {a_km: 1837.4, e: 0.0, i_deg: 30, raan_deg: 0, argp_deg: 0, ta_deg: 0}
force_model:
  gravity: {model: GRGM1200A, degree: 50, order: 50}
  third_bodies: [earth, sun]
propagator: {rtol: 1.0e-10, atol_km: 1.0e-7}
"""
IMPACT_MATCH_TOL_S = 1.0  # brief: lifetime_d equals the single-propagation impact time within 1 s
CSV_RESOLUTION_S = 0.1  # lifetime_d is written with 6 decimals of a day (0.0864 s)


@pytest.fixture(scope="module")
def mission_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("design") / "m.yaml"
    p.write_text(MISSION)
    return p


def test_parse_values():
    assert parse_values("0:90:45", "--inclinations") == [0.0, 45.0, 90.0]
    assert parse_values("0:10:4", "--x") == [0.0, 4.0, 8.0]
    assert parse_values("50,100", "--altitudes") == [50.0, 100.0]
    assert parse_values("86", "--inclinations") == [86.0]
    for bad in ("0:90", "a:b:c", "0:90:0", "90:0:2", "", "1,,2", "nan"):
        with pytest.raises(InputError, match="--inclinations"):
            parse_values(bad, "--inclinations")


def test_lifetime_csv_and_single_propagation(mission_path, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(
        ["design", "lifetime", str(mission_path), "--inclinations", "0:45:45", "--altitudes", "20", "-o", str(out)]
    )
    assert rc == 0
    rows = list(csv.DictReader((out / "lifetime.csv").open()))
    assert list(rows[0]) == ["inclination_deg", "altitude_km", "raan_deg", "lifetime_d"]
    assert [(r["inclination_deg"], r["altitude_km"], r["raan_deg"]) for r in rows] == [
        ("0", "20", "0"),
        ("45", "20", "0"),
    ]
    html = (out / "lifetime.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html
    # the 45 deg case alone, with the mission's own settings
    m = load_mission(mission_path)
    p = m.propagator
    _, states = circular_states([45.0], [20.0], [0.0], m.t_start, m.force_model.field.gm_km3_s2, m.sources.moon_pck)
    alone = propagate(
        states[0],
        m.t_start,
        m.t_stop,
        m.force_model,
        rtol=p.rtol,
        atol_km=p.atol_km,
        impact_altitude_km=p.impact_altitude_km,
        fixed_step_s=p.fixed_step_s,
    )
    assert alone.impact_time is not None  # 20 km at 50x50 must hit within 10 d
    life_s = float(rows[1]["lifetime_d"]) * SECONDS_PER_DAY
    assert math.isfinite(life_s)
    assert abs(life_s - (alone.impact_time - m.t_start)) < min(IMPACT_MATCH_TOL_S, CSV_RESOLUTION_S)


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--inclinations", "0:90"], "--inclinations"),
        (["--inclinations", "0:200:100"], "--inclinations"),
        (["--inclinations", "-5"], "--inclinations"),
        (["--inclinations", "30", "--altitudes", "0"], "--altitudes"),
        (["--inclinations", "30", "--altitudes=-10,100"], "--altitudes"),
        (["--inclinations", "30", "--raans", "x"], "--raans"),
    ],
)
def test_lifetime_wrong_input(mission_path, tmp_path, capsys, extra, option):
    out = tmp_path / "out"
    rc = main(["design", "lifetime", str(mission_path), *extra, "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("lunarscope: error:") and option in err[0]
    assert not out.exists()


def test_lifetime_flies_the_missions_integrator(tmp_path):
    """``propagator.method`` reaches the lifetime map (it was dropped: an RKN12 mission's map was
    flown with DOP853): the case equals a single RKN12 propagation to the last bit."""
    from lunarscope.design.lifetime import lifetime_map

    path = tmp_path / "rkn.yaml"
    path.write_text(MISSION.replace("propagator: {", "propagator: {method: rkn12, "))
    m = load_mission(path)
    kw = m.propagator.integrator_kwargs()
    assert kw["method"] == "rkn12"
    (case,) = lifetime_map([45.0], [20.0], [0.0], m.t_start, m.t_stop, m.force_model, workers=1, **kw)
    _, states = circular_states([45.0], [20.0], [0.0], m.t_start, m.force_model.field.gm_km3_s2, m.sources.moon_pck)
    alone = propagate(states[0], m.t_start, m.t_stop, m.force_model, **kw)
    assert alone.impact_time is not None
    assert case.lifetime_d * SECONDS_PER_DAY == pytest.approx(
        alone.impact_time - m.t_start, abs=1e-9
    )  # DOP853: ~1e-7 s off
