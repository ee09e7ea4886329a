"""``lunarscope replan`` end to end on the quick-look mission: a full output folder beside the
old one with diff.csv and a replan block, the frozen rows of schedule.csv byte-identical, the
ToO no earlier than t_free; wrong inputs are one error line with exit code 2; Ctrl-C leaves
nothing behind."""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from lunarscope.cli.main import main
from lunarscope.mission.plan import PRODUCTS

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRIGGER = "2030-01-02T00:00:00Z"
COMMANDING = "commanding: {uplink_stations: [DSS-43], lead_time: 2 h, min_contact: 10 min}\n"
TOO = """too_class: ultra_disruptive
targets:
  - {name: SN 2030A, ra_deg: 150.0, dec_deg: 20.0, exposure_s: 3600, min_visit_s: 1800, priority: 6}
"""
#: Longest wait (s) for the staging folder before the Ctrl-C test gives up.
MARKER_TIMEOUT_S = 120.0


def _mission(folder: pathlib.Path, commanding: str = COMMANDING) -> pathlib.Path:
    path = folder / "mission.yaml"
    path.write_text((ROOT / "examples" / "quick-look.yaml").read_text() + commanding)
    return path


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    d = tmp_path_factory.mktemp("replan")
    mission = _mission(d)
    assert main(["plan", str(mission), "-o", str(d / "out")]) == 0
    (d / "too.yaml").write_text(TOO)
    assert main(["replan", str(d / "out"), "--add", str(d / "too.yaml"), "--at", TRIGGER, "-o", str(d / "new")]) == 0
    return d


def _error(capsys, argv) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lunarscope: error: "), err
    return err[0]


def test_new_folder_as_plan_writes_it(planned):
    new = planned / "new"
    assert sorted(p.name for p in new.iterdir()) == sorted([*PRODUCTS, "diff.csv"])
    s = json.loads((new / "summary.json").read_text())
    b = s["replan"]
    assert b["frozen_identical"] and b["fraction_kept"] == 1.0
    assert s["mission"]["file"] == str(planned / "mission.yaml") and len(s["mission"]["sha256"]) == 64
    too = b["too"][0]
    assert too["too_class"] == "ultra_disruptive" and too["first_visit_utc"] >= b["t_free_utc"]
    assert too["response_s"] >= too["earliest_possible_response_s"] >= 0
    # uplink: DSS-43 in contact at the trigger, 10 min to radiate, 2 h lead time
    assert b["t_free_utc"] == "2030-01-02T02:10:00.000Z" and b["t_free_basis"] == "uplink"
    assert "SN 2030A" in [t["name"] for t in s["targets"]]


def test_frozen_rows_byte_identical(planned):
    b = json.loads((planned / "new" / "summary.json").read_text())["replan"]
    old = (planned / "out" / "schedule.csv").read_text().splitlines()
    new = (planned / "new" / "schedule.csv").read_text().splitlines()
    assert old[0] == new[0]
    t_free = b["t_free_utc"]
    frozen = [
        ln
        for ln in old[1:]
        if ln.split(",")[2] < t_free and (not ln.startswith("downlink") or ln.split(",")[3] <= t_free)
    ]
    assert frozen and set(frozen) <= set(new[1:])


def test_diff_categories(planned):
    rows = list(csv.DictReader((planned / "new" / "diff.csv").open()))
    assert {r["change"] for r in rows} <= {"kept", "moved", "dropped", "added"}
    added = [r for r in rows if r["change"] == "added"]
    assert [r["target"] for r in added] == ["SN 2030A"] and added[0]["old_start_utc"] == ""
    old_obs = sum(1 for r in csv.DictReader((planned / "out" / "schedule.csv").open()) if r["activity"] == "observe")
    assert sum(1 for r in rows if r["change"] != "added") == old_obs
    assert all(r["reason"] for r in rows if r["change"] == "dropped")


def test_default_folder_name_and_frozen_option(planned, capsys):
    assert (
        main(["replan", str(planned / "out"), "--add", str(planned / "too.yaml"), "--at", TRIGGER, "--frozen", "1 d"])
        == 0
    )
    new = pathlib.Path(str(planned / "out") + "-replan-20300102T000000Z")
    b = json.loads((new / "summary.json").read_text())["replan"]
    assert b["t_free_utc"] == "2030-01-03T00:00:00.000Z" and b["t_free_basis"] == "frozen"
    assert "response" in capsys.readouterr().err


def test_least_change_option(planned):
    out = planned / "least"
    argv = ["replan", str(planned / "out"), "--add", str(planned / "too.yaml"), "--at", TRIGGER, "-o", str(out)]
    assert main([*argv, "--least-change"]) == 0
    b = json.loads((out / "summary.json").read_text())["replan"]
    assert b["mode"] == "least change" and b["frozen_identical"] and b["too"][0]["first_visit_utc"]


def test_replan_of_a_replan_folder(planned, tmp_path, capsys):
    """A second ToO on the replanned folder: the first ToO's requests are read back (history),
    the new one may observe the first one's target; a changed history file is refused."""
    too2 = tmp_path / "too2.yaml"
    too2.write_text(
        "targets:\n  - {name: GRB 300102A, ra_deg: 40.0, dec_deg: 10.0}\n"
        "requests:\n  - {target: GRB 300102A, exposure_s: 2400, min_visit_s: 1200, priority: 5, too_class: disruptive}\n"
        "  - {target: SN 2030A, exposure_s: 1800, priority: 2, name: SN 2030A late}\n"
    )
    at = "2030-01-02T12:00:00Z"
    assert main(["replan", str(planned / "new"), "--add", str(too2), "--at", at, "-o", str(tmp_path / "n2")]) == 0
    b = json.loads((tmp_path / "n2" / "summary.json").read_text())["replan"]
    assert [h["trigger_utc"] for h in b["history"]] == ["2030-01-02T00:00:00.000Z", "2030-01-02T12:00:00.000Z"]
    assert b["frozen_identical"] and b["changes"]["dropped"] == 0
    rows = list(csv.DictReader((tmp_path / "n2" / "schedule.csv").open()))
    assert {"SN 2030A#5", "GRB 300102A#6", "SN 2030A late"} <= {r["request"] for r in rows}
    assert "--at" in _error(
        capsys, ["replan", str(planned / "new"), "--add", str(too2), "--at", "2030-01-01T12:00:00Z"]
    )


def test_wrong_inputs_one_line(planned, capsys, tmp_path):
    out, too = str(planned / "out"), str(planned / "too.yaml")
    assert "--at" in _error(capsys, ["replan", out, "--add", too, "--at", "2031-01-01T00:00:00Z"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets:\n  - {name: X, ra_deg: 10, dec_deg: 95, exposure_s: 100}\n")
    assert "dec_deg" in _error(capsys, ["replan", out, "--add", str(bad), "--at", TRIGGER])
    bad.write_text("too_class: urgent\ntargets: [{name: X, ra_deg: 10, dec_deg: 5, exposure_s: 100}]\n")
    assert "too_class" in _error(capsys, ["replan", out, "--add", str(bad), "--at", TRIGGER])
    bad.write_text("requests: [{target: Nowhere, exposure_s: 100}]\n")
    assert "unknown target" in _error(capsys, ["replan", out, "--add", str(bad), "--at", TRIGGER])
    assert "summary.json" in _error(capsys, ["replan", str(tmp_path), "--add", too, "--at", TRIGGER])
    assert "--frozen" in _error(capsys, ["replan", out, "--add", too, "--at", TRIGGER, "--frozen", "-3 h"])


def test_unknown_uplink_station(tmp_path, capsys):
    mission = _mission(tmp_path, "commanding: {uplink_stations: [Goldstone]}\n")
    line = _error(capsys, ["plan", str(mission), "-o", str(tmp_path / "o")])
    assert "commanding.uplink_stations[0]" in line and "DSS-43" in line
    mission = _mission(tmp_path, "commanding: {lead_time: soon}\n")
    assert "commanding.lead_time" in _error(capsys, ["plan", str(mission), "-o", str(tmp_path / "o")])


def test_uplink_station_without_contacts_warns(tmp_path):
    from lunarscope.mission import load_mission

    mission = _mission(tmp_path, COMMANDING + "windows: {stations: [Tien-Shan]}\n")
    with pytest.warns(UserWarning, match="commanding.uplink_stations: no contact windows .* DSS-43"):
        m = load_mission(str(mission))
    assert m.commanding.uplink_stations == ("DSS-43",) and m.commanding.lead_time_s == 7200.0


def test_changed_or_missing_mission_file(planned, tmp_path, capsys):
    import shutil

    copy = tmp_path / "out"
    shutil.copytree(planned / "out", copy)
    s = json.loads((copy / "summary.json").read_text())
    changed = tmp_path / "mission.yaml"
    changed.write_text(pathlib.Path(s["mission"]["file"]).read_text() + "# edited\n")
    s["mission"]["file"] = str(changed)
    (copy / "summary.json").write_text(json.dumps(s))
    assert "changed" in _error(capsys, ["replan", str(copy), "--add", str(planned / "too.yaml"), "--at", TRIGGER])
    changed.unlink()
    assert "no longer exists" in _error(
        capsys, ["replan", str(copy), "--add", str(planned / "too.yaml"), "--at", TRIGGER]
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_leaves_nothing(planned, tmp_path):
    """A real SIGINT while the products are written: exit 130, no new folder, no staging folder."""
    target = tmp_path / "new"
    cmd = [sys.executable, "-m", "lunarscope.cli.main", "replan", str(planned / "out"), "--add"]
    cmd += [str(planned / "too.yaml"), "--at", TRIGGER, "-o", str(target)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t_end = time.monotonic() + MARKER_TIMEOUT_S
    while time.monotonic() < t_end and proc.poll() is None:
        if any(n.startswith(".new.partial-") for n in os.listdir(tmp_path)):
            break
        time.sleep(0.001)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    assert not target.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".new.partial-")]
