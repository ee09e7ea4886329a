"""``lunarscope windows``: output format, the summary, --trajectory, bad input (exit 2)."""

import csv
import os

import pytest
import yaml

from lunarscope.cli.main import main
from lunarscope.mission.observing import KINDS

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "windows")


@pytest.fixture(scope="module")
def short_mission(tmp_path_factory):
    folder = tmp_path_factory.mktemp("win")
    with open(os.path.join(DATA, "polar100.yaml"), encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = "6 h"
    raw["targets"] = raw["targets"][:3]
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump(raw))
    return folder, path, raw


def test_windows_csv_and_summary(short_mission, capsys):
    folder, path, _ = short_mission
    out = folder / "w.csv"
    assert main(["windows", str(path), "-o", str(out)]) == 0
    with open(out, encoding="utf-8") as fh:
        header = fh.readline().strip()
        rows = list(csv.reader(fh))
    assert header == "kind,subject,start_utc,stop_utc,duration_s"
    keys = [(r[0], r[1], r[2]) for r in rows]
    assert keys == sorted(keys)
    kinds = {r[0] for r in rows}
    assert {"umbra", "penumbra", "site_pass", "target_visible", "target_occulted"} <= kinds
    assert kinds <= set(KINDS)
    assert {r[1] for r in rows if r[0] == "umbra"} == {"moon"}
    assert all(float(r[4]) > 0 for r in rows)
    summary = folder / "w_targets.csv"
    with open(summary, encoding="utf-8") as fh:
        srows = list(csv.DictReader(fh))
    assert [r["target"] for r in srows] == ["Sirius", "Vega", "Polaris"]
    assert all(0 <= float(r["visible_fraction"]) <= 1 for r in srows)
    assert "visible %" in capsys.readouterr().out


def test_trajectory_option_and_coverage(short_mission, capsys):
    folder, path, raw = short_mission
    oem = folder / "t.oem"
    assert main(["propagate", str(path), "-o", str(oem), "--step", "30"]) == 0
    a, b = folder / "a.csv", folder / "b.csv"
    assert main(["windows", str(path), "-o", str(a)]) == 0
    assert main(["windows", str(path), "-o", str(b), "--trajectory", str(oem)]) == 0
    ra = list(csv.reader(open(a, encoding="utf-8")))
    rb = list(csv.reader(open(b, encoding="utf-8")))
    assert len(ra) == len(rb) and [r[:2] for r in ra] == [r[:2] for r in rb]
    # an OEM that does not cover the mission span
    longer = dict(raw, duration="7 h")
    lp = folder / "longer.yaml"
    lp.write_text(yaml.safe_dump(longer))
    capsys.readouterr()
    assert main(["windows", str(lp), "-o", str(folder / "c.csv"), "--trajectory", str(oem)]) == 2
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("lunarscope: error:")]
    assert len(errors) == 1 and "--trajectory" in errors[0] and "not the mission span" in errors[0]
    # a file that is not an OEM
    bad = folder / "bad.oem"
    bad.write_text("hello, world\n")
    assert main(["windows", str(path), "-o", str(folder / "d.csv"), "--trajectory", str(bad)]) == 2
    assert "--trajectory" in capsys.readouterr().err
    assert main(["windows", str(path), "-o", str(folder / "d.csv"), "--trajectory", str(folder / "missing.oem")]) == 2


@pytest.mark.parametrize(
    "edit,key",
    [
        (lambda r: r["targets"][0].update(dec_deg=91), "targets[0].dec_deg"),
        (lambda r: r["stations"][2].update(elevation_mask=[[0, 5], [90, -91]]), "stations[2].elevation_mask[1]"),
        (lambda r: r.update(windows={"stations": ["Nowhere"]}), "windows.stations[0]"),
        (lambda r: r.update(windows={"sites": ["Shackleton"]}), "windows.sites[0]"),
    ],
)
def test_bad_mission_exit_2(short_mission, tmp_path, capsys, edit, key):
    import copy

    _, _, raw = short_mission
    raw = copy.deepcopy(raw)
    edit(raw)
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(raw))
    assert main(["windows", str(p), "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert key in err and err.count("\n") == 1
