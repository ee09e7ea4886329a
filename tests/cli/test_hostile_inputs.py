"""A corpus of broken and hostile inputs: every one is answered by exit code 2, at most three
lines on standard error each starting ``lunarscope: error:`` (or ``lunarscope: warning:``),
no traceback, and nothing written.

Cheap cases run in-process through ``lunarscope.cli.main.main``; the ones that could eat
memory or recurse (YAML bombs, deep nesting, devices, FIFOs, huge files) run the real CLI in a
subprocess under a 2 GiB address-space limit and a 60 s timeout, all of them concurrently.
"""

from __future__ import annotations

import os
import pathlib
import resource
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from lunarscope.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: Address-space limit of the subprocess cases (bytes).
SUBPROCESS_MEMORY_LIMIT_BYTES = 2 * 1024**3
#: Wall-clock limit of one subprocess case (s).
SUBPROCESS_TIMEOUT_S = 60
MAX_STDERR_LINES = 3


def base_mission() -> dict:
    """examples/quick-look.yaml cut to 6 h with its orbit in ICRF axes (loads in milliseconds)."""
    with open(ROOT / "examples" / "quick-look.yaml") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = "6 h"
    raw["orbit"]["frame"] = "ICRF"
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 4, "order": 4}
    return raw


def _set(raw: dict, path: str, value):
    keys = path.split(".")
    node = raw
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _delete(raw: dict, path: str):
    keys = path.split(".")
    node = raw
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    del node[int(keys[-1]) if isinstance(node, list) else keys[-1]]


# ------------------------------------------------------------------------- mission edits
# (id, {dotted.key: value} or callable(raw), command)
_DELETE = object()

MISSION_EDITS = [
    ("start-bare-jd", {"start": 2462502.5}, "propagate"),
    ("start-bare-compact-date", {"start": 20290811}, "propagate"),
    ("start-mapping", {"start": {"year": 2030}}, "propagate"),
    ("start-bad-month", {"start": "2030-13-01T00:00:00Z"}, "propagate"),
    ("start-offset-zone", {"start": "2030-01-01T00:00:00+02:00"}, "propagate"),
    ("start-huge-text", {"start": "2030" * 100000}, "propagate"),
    ("start-outside-kernels", {"start": "1500-01-01T00:00:00Z"}, "propagate"),
    ("stop-bare-number", {"stop": 946728000.0, "duration": _DELETE}, "propagate"),
    ("stop-before-start", {"stop": "2029-01-01T00:00:00Z", "duration": _DELETE}, "propagate"),
    ("duration-and-stop", {"stop": "2030-01-02T00:00:00Z"}, "propagate"),
    ("duration-negative", {"duration": "-5 d"}, "propagate"),
    ("duration-huge", {"duration": "1e9 d"}, "propagate"),
    ("duration-nan", {"duration": "nan d"}, "propagate"),
    ("duration-unit", {"duration": "3 weeks"}, "propagate"),
    ("description-mapping", {"description": {"text": "hi"}}, "propagate"),
    ("description-list", {"description": ["a", "b"]}, "propagate"),
    ("name-list", {"name": ["x"]}, "propagate"),
    ("top-level-typo", {"orbt": {}}, "propagate"),
    ("a-km-text", {"orbit.elements.a_km": "big"}, "propagate"),
    ("a-km-nan", {"orbit.elements.a_km": float("nan")}, "propagate"),
    ("a-km-inf", {"orbit.elements.a_km": float("inf")}, "propagate"),
    ("a-km-huge-below-surface", {"orbit.elements.a_km": 1e300, "orbit.elements.e": 0.9999999}, "propagate"),
    ("eccentricity-escape", {"orbit.elements.e": 1.5}, "propagate"),
    ("inclination-range", {"orbit.elements.i_deg": 200}, "propagate"),
    ("elements-typo", {"orbit.elements.inc_deg": 10}, "propagate"),
    ("state-and-elements", {"orbit.state": {"r_km": [2000, 0, 0], "v_kms": [0, 1.6, 0]}}, "propagate"),
    ("orbit-frame", {"orbit.frame": "J2000"}, "propagate"),
    ("gravity-degree", {"force_model.gravity.degree": 5000}, "propagate"),
    ("gravity-model", {"force_model.gravity.model": "EGM96"}, "propagate"),
    ("gravity-file-device", {"force_model.gravity": {"file": "/dev/zero"}}, "propagate"),
    ("gravity-file-folder", {"force_model.gravity": {"file": "/tmp"}}, "propagate"),
    ("third-body", {"force_model.third_bodies": ["pluto"]}, "propagate"),
    ("mass-negative", {"spacecraft.mass_kg": -1}, "propagate"),
    ("rtol-zero", {"propagator.rtol": 0}, "propagate"),
    ("output-step-tiny", {"propagator.output_step_s": 1e-6}, "plan"),
    ("maneuver-bare-time", {"maneuvers": [{"time": 946728000, "dv_mps": [1, 0, 0]}]}, "propagate"),
    ("maneuver-outside-span", {"maneuvers": [{"time": "2031-01-01T00:00:00Z", "dv_mps": [1, 0, 0]}]}, "propagate"),
    (
        "maneuver-two-dv",
        {"maneuvers": [{"time": "2030-01-01T01:00:00Z", "dv_mps": [1, 0, 0], "dv_kms": [0, 0, 0]}]},
        "propagate",
    ),
    ("station-latitude", {"stations.0.lat_deg": 100}, "windows"),
    ("station-typo", {"stations.0.min_elev_deg": 5}, "windows"),
    ("station-duplicate", lambda r: r["stations"].append(dict(r["stations"][0])), "windows"),
    ("site-latitude-text", {"sites.0.lat_deg": "south"}, "windows"),
    ("target-exposure-typo", lambda r: r["targets"][0].update({"exposure": 100}), "schedule"),
    ("target-declination", {"targets.0.dec_deg": 95}, "windows"),
    ("target-epoch-bare", {"targets.0.epoch": 2451545.0}, "windows"),
    ("target-list-of-text", {"targets": ["Vega"]}, "windows"),
    ("catalogue-missing", {"targets": {"catalogue": "nope.csv"}}, "windows"),
    ("sun-exclusion", {"constraints.sun_exclusion_deg": 200}, "windows"),
    ("windows-kind", {"windows.kinds": ["umbraa"]}, "windows"),
    ("windows-station", {"windows.stations": ["Goldstone"]}, "windows"),
    ("downlink-station", {"downlink.stations": ["Goldstone"]}, "schedule"),
    ("recorder-negative", {"recorder.capacity_mbit": -5}, "schedule"),
    ("slew-rate-zero", {"telescope.slew.max_rate_deg_s": 0}, "schedule"),
    ("solver-name", {"scheduling.solver": "gurobi"}, "schedule"),
    ("time-limit-inf", {"scheduling.time_limit_s": float("inf")}, "schedule"),
    ("request-unknown-target", {"requests": [{"target": "Polaris", "exposure_s": 100}]}, "schedule"),
    ("request-bare-valid-from", {"requests": [{"target": "Vega", "exposure_s": 100, "valid_from": 1e9}]}, "schedule"),
    (
        "request-valid-order",
        {
            "requests": [
                {
                    "target": "Vega",
                    "exposure_s": 100,
                    "valid_from": "2030-01-01T05:00:00Z",
                    "valid_to": "2030-01-01T01:00:00Z",
                }
            ]
        },
        "schedule",
    ),
    ("request-typo", {"requests": [{"target": "Vega", "exposure": 100}]}, "schedule"),
    (
        "request-two-cadences",
        {"requests": [{"target": "Vega", "exposure_s": 100, "cadence_s": 10, "cadence_h": 1}]},
        "schedule",
    ),
    ("engineering-bare-first", {"engineering.0.first": 20300101}, "schedule"),
    ("engineering-first-outside", {"engineering.0.first": "2031-01-01T00:00:00Z"}, "schedule"),
    ("engineering-every", {"engineering.0.every": "-1 h"}, "schedule"),
]


def _write_mission(folder: pathlib.Path, edit) -> pathlib.Path:
    raw = base_mission()
    if callable(edit):
        edit(raw)
    else:
        for key, value in edit.items():
            if value is _DELETE:
                _delete(raw, key)
            else:
                _set(raw, key, value)
    path = folder / "m.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def _command(cmd: str, mission: pathlib.Path, out: pathlib.Path) -> list[str]:
    if cmd == "plan":
        return ["plan", str(mission), "-o", str(out / "plan")]
    ext = ".oem" if cmd == "propagate" else ".csv"
    return [cmd, str(mission), "-o", str(out / f"{cmd}{ext}")]


# ------------------------------------------------------------------------- other cases
def _good(folder):
    return _write_mission(folder, {})


def _catalogue_mission(folder, catalogue_name):
    raw = base_mission()
    raw["targets"] = {"catalogue": catalogue_name}
    path = folder / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    return ["windows", str(path), "-o", str(folder / "out" / "w.csv")]


def _write_catalogue(folder, text):
    (folder / "cat.csv").write_text(text)
    return _catalogue_mission(folder, "cat.csv")


def _windows_csv(folder, text):
    (folder / "w.csv").write_text(text)
    return ["schedule", str(_good(folder)), "-o", str(folder / "out" / "s.csv"), "--windows", str(folder / "w.csv")]


def _oem(folder, data: bytes):
    (folder / "t.oem").write_bytes(data)
    return ["windows", str(_good(folder)), "-o", str(folder / "out" / "w.csv"), "--trajectory", str(folder / "t.oem")]


def _short_oem(folder):
    from lunarscope.io.oem import write_oem
    from lunarscope.time import to_tdb

    t0 = to_tdb("2030-01-01T00:00:00Z")
    write_oem(
        str(folder / "t.oem"),
        [t0, t0 + 60, t0 + 120, t0 + 180],
        [[2000 + k, 0, 0, 0, 1.5, 0] for k in range(4)],
        "SC",
        "0000-000A",
    )
    return ["windows", str(_good(folder)), "-o", str(folder / "out" / "w.csv"), "--trajectory", str(folder / "t.oem")]


def _mission_file(folder, data: bytes, name="m.yaml"):
    (folder / name).write_bytes(data)
    return ["propagate", str(folder / name), "-o", str(folder / "out" / "t.oem")]


def _ephem(*extra, **options):
    """An `ephem` command line: a valid one-day call (Earth from the Moon, 1-minute step) with
    ``options`` replacing its values and ``extra`` arguments appended."""
    values = {"target": "earth", "observer": "moon", "start": "2030-01-01", "stop": "2030-01-02", "step": "60"}
    values.update(options)
    return ["ephem", *(x for k, v in values.items() for x in (f"--{k}", v)), *extra]


OTHER_CASES = {
    # mission file as a file
    "mission-directory": lambda f: ["propagate", str(f), "-o", str(f / "out" / "t.oem")],
    "mission-missing": lambda f: ["propagate", str(f / "none.yaml"), "-o", str(f / "out" / "t.oem")],
    "mission-dev-null": lambda f: ["propagate", "/dev/null", "-o", str(f / "out" / "t.oem")],
    "mission-latin1": lambda f: _mission_file(f, "name: caf\xe9\nstart: 2030-01-01\n".encode("latin-1")),
    "mission-top-level-list": lambda f: _mission_file(f, b"- 1\n- 2\n"),
    "mission-self-alias": lambda f: _mission_file(f, b"name: &a [*a]\n"),
    "mission-bad-yaml": lambda f: _mission_file(f, b"name: [unclosed\nstart: 2030\n"),
    "mission-empty": lambda f: _mission_file(f, b""),
    # catalogues
    "catalogue-directory": lambda f: (os.mkdir(f / "cat.csv"), _catalogue_mission(f, "cat.csv"))[1],
    "catalogue-binary": lambda f: (
        (f / "cat.csv").write_bytes(b"\x00\x01\x02" * 100),
        _catalogue_mission(f, "cat.csv"),
    )[1],
    "catalogue-typo-column": lambda f: _write_catalogue(f, "name,ra_deg,dec_deg,exposure\nVega,279.2,38.8,100\n"),
    "catalogue-bare-valid-from": lambda f: _write_catalogue(
        f, "name,ra_deg,dec_deg,exposure_s,valid_from\nVega,279.2,38.8,100,2462502.5\n"
    ),
    "catalogue-extra-fields": lambda f: _write_catalogue(f, "name,ra_deg,dec_deg\nVega,279.2,38.8,1,2\n"),
    "catalogue-no-rows": lambda f: _write_catalogue(f, "name,ra_deg,dec_deg\n"),
    "catalogue-huge-field": lambda f: _write_catalogue(f, 'name,ra_deg,dec_deg\n"' + "V" * 200000 + '",1,2\n'),
    "catalogue-nan-position": lambda f: _write_catalogue(f, "name,ra_deg,dec_deg\nVega,nan,inf\n"),
    "catalogue-wrong-extension": lambda f: ((f / "cat.txt").write_text("x"), _catalogue_mission(f, "cat.txt"))[1],
    # trajectories for --trajectory
    "oem-missing": lambda f: [
        "windows",
        str(_good(f)),
        "-o",
        str(f / "out" / "w.csv"),
        "--trajectory",
        str(f / "none.oem"),
    ],
    "oem-directory": lambda f: ["windows", str(_good(f)), "-o", str(f / "out" / "w.csv"), "--trajectory", str(f)],
    "oem-not-oem": lambda f: _oem(f, b"hello\nworld\n"),
    "oem-binary": lambda f: _oem(f, bytes(range(256)) * 10),
    "oem-truncated": lambda f: _oem(f, b"CCSDS_OEM_VERS = 2.0\nMETA_START\nOBJECT_NAME = X\n"),
    "oem-short-coverage": _short_oem,
    # windows files for schedule --windows
    "windows-other-station": lambda f: _windows_csv(
        f,
        "kind,subject,start_utc,stop_utc,duration_s\n"
        "contact,Goldstone,2030-01-01T01:00:00.000Z,2030-01-01T02:00:00.000Z,3600\n",
    ),
    "windows-other-span": lambda f: _windows_csv(
        f,
        "kind,subject,start_utc,stop_utc,duration_s\n"
        "contact,DSS-43,2031-01-01T01:00:00.000Z,2031-01-01T02:00:00.000Z,3600\n",
    ),
    "windows-not-csv": lambda f: _windows_csv(f, "this is not\na windows file\n"),
    "windows-bad-time": lambda f: _windows_csv(
        f, "kind,subject,start_utc,stop_utc,duration_s\ncontact,DSS-43,yesterday,today,1\n"
    ),
    # output locations
    "propagate-o-directory": lambda f: ["propagate", str(_good(f)), "-o", str(f / "out")],
    "propagate-o-missing-folder": lambda f: ["propagate", str(_good(f)), "-o", str(f / "out" / "no" / "t.oem")],
    "propagate-o-proc": lambda f: ["propagate", str(_good(f)), "-o", "/proc/lunarscope-test.oem"],
    "windows-o-directory": lambda f: ["windows", str(_good(f)), "-o", str(f / "out")],
    "schedule-o-dev-null-folder": lambda f: ["schedule", str(_good(f)), "-o", "/dev/null/s.csv"],
    "plan-o-existing-file": lambda f: (
        (f / "out" / "file").write_text("keep"),
        ["plan", str(_good(f)), "-o", str(f / "out" / "file")],
    )[1],
    "plan-o-missing-parent": lambda f: ["plan", str(_good(f)), "-o", str(f / "out" / "a" / "b")],
    "ephem-o-directory": lambda f: _ephem("-o", str(f / "out"), step='3600'),
    # command-line values
    "propagate-step-tiny": lambda f: ["propagate", str(_good(f)), "-o", str(f / "out" / "t.oem"), "--step", "1e-6"],
    "propagate-step-nan": lambda f: ["propagate", str(_good(f)), "-o", str(f / "out" / "t.oem"), "--step", "nan"],
    "propagate-step-negative": lambda f: ["propagate", str(_good(f)), "-o", str(f / "out" / "t.oem"), "--step", "-1"],
    "propagate-step-text": lambda f: ["propagate", str(_good(f)), "-o", str(f / "out" / "t.oem"), "--step", "1h"],
    "ephem-step-tiny": lambda f: _ephem("-o", str(f / "out" / "e.csv"), step='1e-6'),
    "ephem-step-inf": lambda f: _ephem("-o", str(f / "out" / "e.csv"), step='inf'),
    "ephem-start-bare-number": lambda f: _ephem(start='2462502.5'),
    "ephem-target": lambda f: _ephem(target='vulcan'),
    "ephem-frame": lambda f: _ephem("--frame", "GSE"),
    "ephem-kernel-missing": lambda f: [
        *_ephem(),
        "--ephemeris",
        str(f / "de.bsp"),
    ],
    "ephem-outside-kernel": lambda f: _ephem(start='2900-01-01', stop='2900-01-02', step='3600'),
    "schedule-time-limit": lambda f: ["schedule", str(_good(f)), "-o", str(f / "out" / "s.csv"), "--time-limit", "-1"],
    "schedule-solver": lambda f: ["schedule", str(_good(f)), "-o", str(f / "out" / "s.csv"), "--solver", "gurobi"],
    "plan-time-limit-nan": lambda f: ["plan", str(_good(f)), "-o", str(f / "out" / "p"), "--time-limit", "nan"],
    "unknown-job": lambda f: ["fly", str(_good(f))],
    "windows-missing-output": lambda f: ["windows", str(_good(f))],
}

# run in a subprocess under a memory limit: they could eat memory or recurse
_BOMB = b"".join(
    [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    + [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]\n".encode() for k in range(1, 9)]
    + [b"start: *a8\n"]
)


def _sparse(path, size):
    with open(path, "wb") as fh:
        fh.truncate(size)


SUBPROCESS_CASES = {
    "mission-alias-bomb": lambda f: _mission_file(f, _BOMB),
    "mission-deep-nesting": lambda f: _mission_file(f, b"name: " + b"[" * 50000 + b"]" * 50000 + b"\n"),
    "mission-deep-mapping": lambda f: _mission_file(f, b"".join(b"  " * k + b"k:\n" for k in range(3000))),
    "mission-python-tag": lambda f: _mission_file(f, b"name: !!python/object/apply:os.system ['echo pwned']\n"),
    "mission-binary": lambda f: _mission_file(f, bytes(range(256)) * 64),
    "mission-dev-zero": lambda f: ["propagate", "/dev/zero", "-o", str(f / "out" / "t.oem")],
    "mission-huge-sparse": lambda f: (
        _sparse(f / "m.yaml", 3 * 1024**3),
        ["propagate", str(f / "m.yaml"), "-o", str(f / "out" / "t.oem")],
    )[1],
    "mission-fifo": lambda f: (
        os.mkfifo(f / "m.yaml"),
        ["propagate", str(f / "m.yaml"), "-o", str(f / "out" / "t.oem")],
    )[1],
    "catalogue-dev-zero": lambda f: (os.symlink("/dev/zero", f / "cat.csv"), _catalogue_mission(f, "cat.csv"))[1],
    "catalogue-fifo": lambda f: (os.mkfifo(f / "cat.csv"), _catalogue_mission(f, "cat.csv"))[1],
    "catalogue-huge-sparse": lambda f: (_sparse(f / "cat.csv", 3 * 1024**3), _catalogue_mission(f, "cat.csv"))[1],
    "oem-dev-zero": lambda f: ["windows", str(_good(f)), "-o", str(f / "out" / "w.csv"), "--trajectory", "/dev/zero"],
    "oem-huge-sparse": lambda f: (
        _sparse(f / "t.oem", 3 * 1024**3),
        ["windows", str(_good(f)), "-o", str(f / "out" / "w.csv"), "--trajectory", str(f / "t.oem")],
    )[1],
    "windows-csv-dev-zero": lambda f: [
        "schedule",
        str(_good(f)),
        "-o",
        str(f / "out" / "s.csv"),
        "--windows",
        "/dev/zero",
    ],
}

CASE_COUNT = len(MISSION_EDITS) + len(OTHER_CASES) + len(SUBPROCESS_CASES)


def _snapshot(folder: pathlib.Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)  # folders: only that they exist (a write probe touches their mtime)
            out[p] = (st.st_mode,) if os.path.isdir(p) else (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _check_answer(rc, stderr: str, before: dict, after: dict) -> None:
    assert "Traceback" not in stderr, stderr[-3000:]
    assert rc == 2, stderr[-3000:]
    lines = stderr.splitlines()
    assert 1 <= len(lines) <= MAX_STDERR_LINES, stderr[-3000:]
    for line in lines:
        assert line.startswith(("lunarscope: error:", "lunarscope: warning:")), line[:300]
        assert len(line) < 1200, line[:300]
    assert any(line.startswith("lunarscope: error:") for line in lines)
    assert after == before, "something was written"


def _prepare(tmp_path: pathlib.Path, make) -> tuple[list[str], dict]:
    (tmp_path / "out").mkdir()
    argv = make(tmp_path)
    return argv, _snapshot(tmp_path)


@pytest.mark.parametrize("case, edit, cmd", MISSION_EDITS, ids=[c[0] for c in MISSION_EDITS])
def test_mission_edit_is_refused(case, edit, cmd, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    argv = _command(cmd, _write_mission(tmp_path, edit), tmp_path / "out")
    before = _snapshot(tmp_path)
    rc = main(argv)
    _check_answer(rc, capsys.readouterr().err, before, _snapshot(tmp_path))


@pytest.mark.parametrize("case", sorted(OTHER_CASES))
def test_bad_input_is_refused(case, tmp_path, capsys):
    argv, before = _prepare(tmp_path, OTHER_CASES[case])
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse refusals
        rc = exc.code
    _check_answer(rc, capsys.readouterr().err, before, _snapshot(tmp_path))


def _limit_memory():  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY_LIMIT_BYTES, SUBPROCESS_MEMORY_LIMIT_BYTES))


@pytest.fixture(scope="module")
def subprocess_results(tmp_path_factory):
    """All subprocess cases at once (they are mostly interpreter start-up)."""
    prepared = {}
    for name, make in SUBPROCESS_CASES.items():
        folder = tmp_path_factory.mktemp(name)
        prepared[name] = (folder, *_prepare(folder, make))

    def run(name):
        folder, argv, _ = prepared[name]
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "lunarscope.cli.main", *argv],
                capture_output=True,
                text=True,
                timeout=SUBPROCESS_TIMEOUT_S,
                preexec_fn=_limit_memory,
                errors="replace",
            )
            return proc.returncode, proc.stderr
        except subprocess.TimeoutExpired:
            return None, f"timed out after {SUBPROCESS_TIMEOUT_S} s"

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(prepared, pool.map(run, prepared)))
    return {name: (prepared[name], results[name]) for name in prepared}


@pytest.mark.parametrize("case", sorted(SUBPROCESS_CASES))
def test_hostile_file_is_refused_in_bounded_memory(case, subprocess_results):
    (folder, _argv, before), (rc, stderr) = subprocess_results[case]
    _check_answer(rc, stderr, before, _snapshot(folder))


def test_corpus_size():
    assert CASE_COUNT >= 60
