"""``lunarscope design stationkeeping``: a real run on a short span writes the run table, the
nominal maneuvers, a self-contained page and a mission file that loads with the burns and their
engineering blocks; wrong inputs give one error line naming the option, exit 2, nothing written."""

import csv

import pytest
import yaml

from lunarscope.cli.main import main

MISSION = """name: sk-cli
start: 2030-01-01T00:00:00Z
duration: 3 d
orbit:
  frame: MOON_ME_INERTIAL
  elements: {a_km: 1787.4, e: 0.0, i_deg: 90, raan_deg: 0, argp_deg: 0, ta_deg: 0}
force_model:
  gravity: {model: GRGM1200A, degree: 10, order: 10}
  third_bodies: [earth, sun]
propagator: {rtol: 1.0e-9, atol_km: 1.0e-6}
engineering:
  - {name: momentum dump, every: 12 h, duration: 20 min}
"""


@pytest.fixture(scope="module")
def mission_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("sk") / "m.yaml"
    p.write_text(MISSION)
    return p


def test_design_stationkeeping_writes_four_files(mission_path, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["design", "stationkeeping", str(mission_path), "--box", "periapsis_km: [44, 56]", "--runs", "2"]
    rc = main(
        args + ["--seed", "5", "--workers", "2", "--exec-sigma", "1,0.5", "--od-sigma", "20,0.02", "-o", str(out)]
    )
    assert rc == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["maneuvers.csv", "mission.yaml", "stationkeeping.csv", "stationkeeping.html"]
    runs = list(csv.DictReader((out / "stationkeeping.csv").open()))
    assert [r["run"] for r in runs] == ["0", "1"] and all(float(r["dv_per_year_mps"]) > 0 for r in runs)
    burns = list(csv.DictReader((out / "maneuvers.csv").open()))
    assert len(burns) >= 2 and len(burns) % 2 == 0
    page = (out / "stationkeeping.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    assert "Δv per year" in page and "uncontrolled" in page and "Mean eccentricity vector" in page
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # the written mission loads, with the nominal burns and one-off blocks, and plans
    doc = yaml.safe_load((out / "mission.yaml").read_text())
    assert "station_keeping" not in doc and len(doc["maneuvers"]) == len(burns)
    from lunarscope.mission import load_mission
    from lunarscope.mission.run import propagate_mission

    m = load_mission(str(out / "mission.yaml"))
    assert len(m.maneuvers) == len(burns)
    assert float(burns[0]["dv_t_mps"]) == pytest.approx(1000 * m.maneuvers[0].dv_kms[1], abs=1e-6)
    sk_blocks = [e for e in m.operations.engineering if e.name == "station-keeping"]
    assert sk_blocks and all(b.flex_s == 0 for b in sk_blocks)
    assert propagate_mission(m).impact_time is None
    err = capsys.readouterr().err
    assert "wrote" in err and "95th percentile" in err


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--box", "[80, 120]"], "--box"),
        (["--box", "periapsis_km: [120, 80]"], "--box.periapsis_km"),
        (["--box", "perigee_km: [80, 120]"], "--box.perigee_km"),
        (["--box", "periapsis_km: [80, 120"], "--box"),
        (["--box", "periapsis_km: [44, 56]", "--runs", "0"], "--runs"),
        (["--box", "periapsis_km: [44, 56]", "--od-sigma", "1,2,3"], "--od-sigma"),
        (["--box", "periapsis_km: [44, 56]", "--exec-sigma", "x,1"], "--exec-sigma"),
        (["--box", "periapsis_km: [44, 56]", "--span", "9d"], "--span"),
        (["--box", "periapsis_km: [80, 120]"], "--box"),  # the orbit starts outside the box
        ([], "--box"),  # no box and no station_keeping section
    ],
)
def test_design_stationkeeping_bad_input(mission_path, tmp_path, capsys, extra, option):
    out = tmp_path / "out"
    rc = main(["design", "stationkeeping", str(mission_path), *extra, "-o", str(out)])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"lunarscope: error: {option}"), err
    assert not out.exists()
