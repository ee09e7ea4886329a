"""``lunarscope design frozen``: a real run on a short span writes an orbit.yaml that loads
as a mission orbit and a self-contained plot page; wrong inputs give one error line naming
the option, exit 2, and nothing written."""

import math

import pytest
import yaml

from lunarscope.cli.main import main

MISSION = """name: frozen-cli
start: 2030-01-01T00:00:00Z
duration: 1 d
orbit:
  frame: MOON_ME_INERTIAL
  elements: {a_km: 1837.4, e: 0.0, i_deg: 86, raan_deg: 0, argp_deg: 0, ta_deg: 0}
force_model:
  gravity: {model: GRGM1200A, degree: 10, order: 10}
  third_bodies: [earth]
propagator: {rtol: 1.0e-8, atol_km: 1.0e-5}
"""


@pytest.fixture(scope="module")
def mission_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("frozen") / "m.yaml"
    p.write_text(MISSION)
    return p


def test_design_frozen_writes_orbit_and_page(mission_path, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["design", "frozen", "--altitude-km", "100", "--inclination-deg", "86", "--span", "55d"]
    rc = main(args + ["--mission", str(mission_path), "--zonal-degree", "10", "--iterations", "0", "-o", str(out)])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["frozen.html", "orbit.yaml"]
    doc = yaml.safe_load((out / "orbit.yaml").read_text())
    el = doc["orbit"]["elements"]
    assert doc["orbit"]["frame"] == "MOON_ME_INERTIAL"
    assert el["a_km"] == pytest.approx(1837.4) and el["i_deg"] == 86
    # iterations 0: the zonal J2..J10 first guess, e ~ 0.0036 at argp 270 deg
    assert el["e"] == pytest.approx(0.003575, abs=2e-5) and el["argp_deg"] == pytest.approx(270.0)
    # the section pastes into a mission file
    m = yaml.safe_load(MISSION)
    m["orbit"] = doc["orbit"]
    (tmp_path / "pasted.yaml").write_text(yaml.safe_dump(m))
    from lunarscope.mission import load_mission

    pasted = load_mission(str(tmp_path / "pasted.yaml"))
    assert math.isclose(float((pasted.state0_icrf[:3] ** 2).sum()) ** 0.5, 1837.4 * (1 - el["e"]), rel_tol=1e-9)
    page = (out / "frozen.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "loop centre" in page and "circular, same a, i" in page
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    err = capsys.readouterr().err
    assert "wrote" in err and "(circular)" in err


@pytest.mark.parametrize(
    "extra,option",
    [
        (["--altitude-km", "-5", "--inclination-deg", "86", "--epoch", "2030-01-01T00:00:00Z"], "--altitude-km"),
        (["--altitude-km", "100", "--inclination-deg", "200", "--epoch", "2030-01-01T00:00:00Z"], "--inclination-deg"),
        (["--altitude-km", "100", "--inclination-deg", "86"], "--epoch"),
        (["--altitude-km", "100", "--inclination-deg", "86", "--epoch", "yesterday"], "--epoch"),
        (
            ["--altitude-km", "100", "--inclination-deg", "86", "--epoch", "2030-01-01T00:00:00Z", "--span", "20d"],
            "--span",
        ),
        (
            ["--altitude-km", "100", "--inclination-deg", "86", "--epoch", "2030-01-01T00:00:00Z", "--span", "soon"],
            "--span",
        ),
        (
            [
                "--altitude-km",
                "100",
                "--inclination-deg",
                "86",
                "--epoch",
                "2030-01-01T00:00:00Z",
                "--iterations",
                "-1",
            ],
            "--iterations",
        ),
        (["--altitude-km", "100", "--inclination-deg", "60", "--epoch", "2030-01-01T00:00:00Z"], "--inclination-deg"),
        (
            [
                "--altitude-km",
                "100",
                "--inclination-deg",
                "86",
                "--epoch",
                "2030-01-01T00:00:00Z",
                "--zonal-degree",
                "2",
            ],
            "--zonal-degree",
        ),
    ],
)
def test_design_frozen_bad_input(tmp_path, capsys, extra, option):
    out = tmp_path / "out"
    rc = main(["design", "frozen", *extra, "-o", str(out)])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"lunarscope: error: {option}"), err
    assert not out.exists()


def test_design_frozen_output_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    rc = main(
        [
            "design",
            "frozen",
            "--altitude-km",
            "100",
            "--inclination-deg",
            "86",
            "--epoch",
            "2030-01-01T00:00:00Z",
            "-o",
            str(f),
        ]
    )
    assert rc == 2 and capsys.readouterr().err.startswith("lunarscope: error: -o")
