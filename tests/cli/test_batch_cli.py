"""``lunarscope propagate`` with a ``batch:`` section: one OEM per orbit + batch_summary.csv, each
orbit's OEM the same as a single-orbit run; wrong input one line, exit 2, nothing written;
Ctrl-C exit 130, nothing left behind."""

import csv
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from lunarscope.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: Ctrl-C answered within this (s) from the signal to the exit (as tests/cli/test_interrupt.py).
EXIT_WITHIN_S = 2.0

HEAD = """name: tiny-batch
start: 2030-01-01T00:00:00Z
duration: {duration}
force_model:
  gravity: {{model: GRGM1200A, degree: {degree}, order: {degree}}}
  third_bodies: [earth, sun]
propagator: {{output_step_s: 600}}
"""
ORBITS = [
    {"name": "polar-100", "a_km": 1837.4, "e": 0.001, "i_deg": 90.0},
    {"name": "incl-60", "a_km": 1887.4, "e": 0.01, "i_deg": 60.0, "raan_deg": 45.0},
    {"name": "eq-300", "a_km": 2037.4, "e": 0.0, "i_deg": 0.0},
    {"name": "low-30", "a_km": 1787.4, "e": 0.005, "i_deg": 30.0, "argp_deg": 90.0, "ta_deg": 10.0},
]


def _flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"


def _batch_mission(tmp_path, orbits=ORBITS, duration="2 h", degree=4, name="batch.yaml") -> pathlib.Path:
    text = HEAD.format(duration=duration, degree=degree) + "batch:\n  orbits:\n"
    text += "".join(f"    - {_flow(o)}\n" for o in orbits)
    path = tmp_path / name
    path.write_text(text)
    return path


def _data_lines(path) -> list[str]:
    """The OEM's state lines (epoch and six numbers), without the header."""
    lines = pathlib.Path(path).read_text().splitlines()
    return [ln for ln in lines if ln[:4].isdigit()]


def test_batch_cli_writes_one_oem_per_orbit_equal_to_single_runs(tmp_path):
    mission = _batch_mission(tmp_path)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "lunarscope.cli.main", "propagate", str(mission), "-o", str(out), "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(out)) == sorted([f"{o['name']}.oem" for o in ORBITS] + ["batch_summary.csv"])
    rows = list(csv.DictReader(open(out / "batch_summary.csv")))
    assert [r["name"] for r in rows] == [o["name"] for o in ORBITS]
    assert all(r["status"] == "ok" and r["impact_utc"] == "" for r in rows)
    assert all(float(r["altitude_min_km"]) <= float(r["altitude_max_km"]) for r in rows)
    # an orbit as its own single-orbit mission: the same OEM states, digit for digit
    for o in (ORBITS[3],):  # the one with every element key
        elements = {k: v for k, v in o.items() if k != "name"}
        single = tmp_path / f"{o['name']}.yaml"
        single.write_text(
            HEAD.format(duration="2 h", degree=4)
            + f"orbit:\n  frame: MOON_ME_INERTIAL\n  elements: {_flow(elements)}\n"
        )
        assert main(["propagate", str(single), "-o", str(tmp_path / f"{o['name']}-single.oem")]) == 0
        one = _data_lines(tmp_path / f"{o['name']}-single.oem")
        assert len(one) >= 13 and _data_lines(out / f"{o['name']}.oem") == one
        last = [float(x) for x in one[-1].split()[1:]]
        row = next(r for r in rows if r["name"] == o["name"])
        got = [float(row[k]) for k in ("x_km", "y_km", "z_km", "vx_kms", "vy_kms", "vz_kms")]
        assert got == pytest.approx(last, abs=1e-6)


def test_batch_from_csv_and_impact_in_summary(tmp_path):
    # "crash": periapsis 9.5 km up, below the 20 km impact altitude; starts at apoapsis (30 km)
    rows_csv = "# two orbits\nname,a_km,e,i_deg,ta_deg\nfine,1837.4,0.0,90,0\ncrash,1757.4,0.006,90,180\n"
    (tmp_path / "orbits.csv").write_text(rows_csv)
    path = tmp_path / "m.yaml"
    head = HEAD.format(duration="6 h", degree=2).replace("600}", "600, impact_altitude_km: 20}")
    path.write_text(head + "batch: {file: orbits.csv}\n")
    out = tmp_path / "o"
    assert main(["propagate", str(path), "-o", str(out), "--workers", "1"]) == 0
    rows = {r["name"]: r for r in csv.DictReader(open(out / "batch_summary.csv"))}
    assert rows["fine"]["status"] == "ok"
    assert rows["crash"]["status"] == "impact" and rows["crash"]["impact_utc"].startswith("2030-01-01T")
    assert rows["crash"]["end_utc"] == rows["crash"]["impact_utc"][: len(rows["crash"]["end_utc"])]


@pytest.mark.parametrize(
    "csv_text, orbits, expected",
    [
        ("name,a_km,e,i_deg\na,1837.4,0,90\nb,1837.4,1.2,90\n", None, "batch.file: orbits.csv line 3, column e: 1.2"),
        ("name,a_km,e,inc\na,1837.4,0,90\n", None, "unknown column 'inc'"),
        ("name,a_km,e,i_deg\na,1837.4,zero,90\n", None, "line 2, column e: 'zero' must be a number"),
        ("name,a_km,e,i_deg\na,1837.4,0,90\na,1900,0,90\n", None, "orbit name 'a' is used twice"),
        (None, [{"name": "x", "a_km": 1837.4, "e": 0, "inc_deg": 90}], "batch.orbits[0].inc_deg: unknown key"),
        (None, [{"name": "x", "a_km": 1700.0, "e": 0, "i_deg": 90}], "batch.orbits[0].a_km: periapsis radius"),
        (None, [{"name": "a/b", "a_km": 1837.4, "e": 0, "i_deg": 90}], "batch.orbits[0].name:"),
    ],
)
def test_batch_wrong_input_one_line_exit_2_nothing_written(tmp_path, capsys, csv_text, orbits, expected):
    if csv_text is not None:
        (tmp_path / "orbits.csv").write_text(csv_text)
        path = tmp_path / "m.yaml"
        path.write_text(HEAD.format(duration="1 h", degree=2) + "batch: {file: orbits.csv}\n")
    else:
        path = _batch_mission(tmp_path, orbits=orbits)
    out = tmp_path / "out"
    assert main(["propagate", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lunarscope: error: ") and expected in err[0], err
    assert not out.exists() and sorted(os.listdir(tmp_path)) == sorted(
        p for p in os.listdir(tmp_path) if not p.startswith(".")
    )


def test_batch_refuses_maneuvers_and_a_file_as_output(tmp_path, capsys):
    path = _batch_mission(tmp_path)
    path.write_text(path.read_text() + "maneuvers:\n  - {time: 2030-01-01T01:00:00Z, dv_mps: [0, 1, 0]}\n")
    assert main(["propagate", str(path), "-o", str(tmp_path / "o")]) == 2
    assert "lunarscope: error: batch: maneuvers" in capsys.readouterr().err
    path = _batch_mission(tmp_path, name="ok.yaml")
    (tmp_path / "file.oem").write_text("x")
    assert main(["propagate", str(path), "-o", str(tmp_path / "file.oem")]) == 2
    assert "-o:" in capsys.readouterr().err and (tmp_path / "file.oem").read_text() == "x"


def test_batch_interrupted_while_writing_leaves_nothing(tmp_path, monkeypatch):
    from lunarscope.trajectory import Trajectory

    calls = []
    original = Trajectory.write_oem

    def write_then_interrupt(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(Trajectory, "write_oem", write_then_interrupt)
    path = _batch_mission(tmp_path)
    assert main(["propagate", str(path), "-o", str(tmp_path / "out")]) == 130
    assert sorted(os.listdir(tmp_path)) == ["batch.yaml"]  # no out/, no staging folder


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_batch_ctrl_c_exits_130_and_leaves_no_workers(tmp_path):
    """A real SIGINT to the process group (what Ctrl-C sends) while the workers propagate."""
    many = [dict(o, name=f"{o['name']}-{k}") for k in range(3) for o in ORBITS]
    path = _batch_mission(tmp_path, orbits=many, duration="600 d", degree=20)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lunarscope.cli.main", "propagate", str(path), "-o", str(tmp_path / "out")],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(6.0)  # imports, mission, workers forked (the 12 orbits x 600 d take ~40 s on 2 idle cores)
    assert proc.poll() is None, proc.stderr.read()
    t = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=30)[1]
    took = time.perf_counter() - t
    assert proc.returncode == 130, err
    assert took < EXIT_WITHIN_S, took
    assert "Traceback" not in err
    with pytest.raises(ProcessLookupError):  # no worker left in the group
        os.killpg(proc.pid, 0)
    assert sorted(os.listdir(tmp_path)) == ["batch.yaml"]


@pytest.mark.parametrize("frame", ["MOON_ME_INERTIAL", "MOON_PA_INERTIAL", "ICRF", "EARTH_MOON_INERTIAL"])
def test_batch_elements_give_the_same_state_as_orbit_elements(frame):
    from lunarscope.mission import mission_from_dict

    base = {"start": "2030-01-01T00:00:00Z", "duration": "1 h", "force_model": {"gravity": {"degree": 2}}}
    el = {"a_km": 6541.4, "e": 0.6, "i_deg": 56.2, "raan_deg": 10, "argp_deg": 90, "ta_deg": 5}
    one = mission_from_dict({**base, "orbit": {"frame": frame, "elements": el}}, ".")
    many = mission_from_dict({**base, "batch": {"frame": frame, "orbits": [el, dict(el, name="b", e=0.1)]}}, ".")
    assert many.batch.names == ("orbit-0001", "b")
    assert (many.batch.states0_icrf[0] == one.state0_icrf).all()
    assert (many.state0_icrf == one.state0_icrf).all() and many.orbit_frame == frame  # no orbit: section
