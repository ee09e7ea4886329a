"""``lunarscope ephem`` end to end: CSV columns, stdout, one-line errors with exit code 2."""

import csv
import io
import subprocess
import sys

import numpy as np
import pytest

from lunarscope.cli.main import main
from lunarscope.states import relative_state

COLUMNS = "time_utc,tdb_s,x_km,y_km,z_km,vx_kms,vy_kms,vz_kms"


def test_csv_file_matches_api(tmp_path):
    out = tmp_path / "earth.csv"
    rc = main(
        [
            "ephem",
            "--target",
            "earth",
            "--observer",
            "moon",
            "--frame",
            "MOON_PA",
            "--start",
            "2030-01-01T00:00:00Z",
            "--stop",
            "2030-01-01T01:00:00Z",
            "--step",
            "600",
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    lines = out.read_text().splitlines()
    assert lines[0] == COLUMNS
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 7 and rows[0]["time_utc"] == "2030-01-01T00:00:00.000Z"
    t = np.array([float(r["tdb_s"]) for r in rows])
    xyz = np.array([[float(r[k]) for k in ("x_km", "y_km", "z_km")] for r in rows])
    ref = relative_state("earth", "moon", t, "MOON_PA")
    assert np.abs(xyz - ref[:, :3]).max() < 2e-6


def test_sites_and_stdout(capsys):
    rc = main(
        [
            "ephem",
            "--target",
            "moon:-88.74,124.5,0",
            "--observer",
            "earth:43.0576,76.9715,2.735",
            "--frame",
            "ENU",
            "--start",
            "2030-01-01",
            "--stop",
            "2030-01-01T00:10:00Z",
            "--step",
            "300",
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == COLUMNS and len(lines) == 4


def test_light_time_option_differs_from_geometric(capsys):
    args = [
        "ephem",
        "--target",
        "sun",
        "--observer",
        "moon",
        "--start",
        "2030-01-01",
        "--stop",
        "2030-01-01T00:01:00Z",
        "--step",
        "60",
    ]
    main(args)
    geo = capsys.readouterr().out.splitlines()[1].split(",")
    main(args + ["--aberration", "LT"])
    lt_ = capsys.readouterr().out.splitlines()[1].split(",")
    shift = np.linalg.norm(np.array(geo[2:5], float) - np.array(lt_[2:5], float))
    assert 1.0 < shift < 10.0  # ~500 s of light time × the Sun's ~10 m/s barycentric speed


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--target", "vulcan"], "target: unknown body 'vulcan'"),
        (["--frame", "MOON_XY"], "frame: unknown frame 'MOON_XY'"),
        (["--start", "2030-02-30"], "start:"),
        (["--stop", "2029-01-01"], "stop: must be after start"),
        (["--step", "0"], "step:"),
        (["--observer", "moon:91,0,0"], "latitude 91.0° is outside [-90°, 90°]"),
        (
            ["--start", "2060-01-01", "--stop", "2060-01-02", "--frame", "MOON_PA"],
            "outside the lunar orientation coverage",
        ),
        (["--start", "2700-01-01", "--stop", "2700-01-02"], "outside the ephemeris coverage"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle):
    base = {
        "--target": "earth",
        "--observer": "moon",
        "--frame": "ICRF",
        "--start": "2030-01-01",
        "--stop": "2030-01-02",
        "--step": "3600",
    }
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    argv = ["ephem"] + [x for kv in base.items() for x in kv]
    proc = subprocess.run([sys.executable, "-m", "lunarscope.cli.main", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert needle in err[0]


def test_solver_choices_of_the_command_line_are_the_mission_file_ones():
    from lunarscope.cli.options import SOLVER_CHOICES
    from lunarscope.mission.operations import SOLVERS

    assert tuple(SOLVER_CHOICES) == tuple(SOLVERS)
