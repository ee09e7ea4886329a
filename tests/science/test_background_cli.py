"""``lunarscope background`` end to end on a 6-hour cut of the quick-look mission: the summary,
background.csv and background.html; wrong input gets one line, exit code 2, nothing written."""

from __future__ import annotations

import csv
import pathlib
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml

from lunarscope.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mission_file(tmp_path_factory) -> pathlib.Path:
    """examples/quick-look.yaml cut to 6 h, orbit in ICRF axes, a 4x4 field (propagates in ~1 s)."""
    raw = yaml.safe_load((ROOT / "examples" / "quick-look.yaml").read_text())
    raw["duration"] = "6 h"
    raw["orbit"]["frame"] = "ICRF"
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 4, "order": 4}
    path = tmp_path_factory.mktemp("bg") / "mission.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def run_ok(mission_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("bg_out") / "products"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["background", str(mission_file), "--target", "NGC 4151", "--step", "10 min", "-o", str(out)])
    return code, out, buf.getvalue()


def test_background_cli_writes_csv_html_and_summary(run_ok):
    code, out, stdout = run_ok
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["background.csv", "background.html"]
    rows = list(csv.DictReader((out / "background.csv").open()))
    assert len(rows) == 37  # 6 h every 10 min, both ends
    cols = rows[0].keys()
    for term in ("zodiacal", "moon", "earth"):
        assert f"{term}_W_m2_sr_um" in cols and f"{term}_e_s_pix" in cols
    assert {"total_e_s_pix", "sun_deg", "moon_limb_deg", "earth_deg", "time_utc"} <= set(cols)
    assert "galactic_W_m2_sr_um" not in cols  # off by default
    total = np.array([float(r["total_e_s_pix"]) for r in rows])
    parts = sum(np.array([float(r[f"{k}_e_s_pix"]) for r in rows]) for k in ("zodiacal", "moon", "earth"))
    assert np.allclose(total, parts, rtol=1e-5)
    assert rows[0]["time_utc"] == "2030-01-01T00:00:00.000Z"
    # summary: one line per term with min <= median <= max
    lines = {ln.split()[0]: ln.split() for ln in stdout.splitlines() if ln.split()}
    for term in ("zodiacal", "moon", "earth", "total"):
        lo, med, hi = (float(x) for x in lines[term][1:4])
        assert lo <= med <= hi
    # the chart is self-contained SVG with one polyline per term and the total
    html = (out / "background.html").read_text()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    svg = ET.fromstring(re.search(r"<svg.*</svg>", html, re.S).group(0))
    series = [el.get("data-series") for el in svg.iter("{http://www.w3.org/2000/svg}polyline")]
    assert series == ["zodiacal", "moon", "earth", "total"]


@pytest.mark.parametrize(
    "extra, field",
    [
        (["--target", "No Such Star"], "--target: 'No Such Star' is not a target"),
        (["--target", "Vega", "--band", "K"], "--band: 'K' is not a band"),
        (["--target", "Vega", "--step", "0"], "--step"),
        (["--target", "Vega", "--step", "0.001 s"], "--step"),
        (["--target", "Vega", "--trajectory", "missing.oem"], "--trajectory"),
        (["--target", "Vega", "--zodiacal", "zodipy"], "--zodiacal"),  # g band: below 1.25 um (or no zodipy)
    ],
)
def test_background_cli_wrong_input(mission_file, tmp_path, capsys, extra, field):
    out = tmp_path / "o"
    code = main(["background", str(mission_file), *extra, "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("lunarscope: error: ") and field in err[0]
    assert not out.exists()


def test_background_cli_output_is_a_file(mission_file, tmp_path, capsys):
    f = tmp_path / "taken"
    f.write_text("x")
    assert main(["background", str(mission_file), "--target", "Vega", "-o", str(f)]) == 2
    assert "-o" in capsys.readouterr().err
    assert f.read_text() == "x"


def test_background_cli_mission_without_targets(tmp_path, capsys):
    raw = yaml.safe_load((ROOT / "examples" / "quick-look.yaml").read_text())
    raw["duration"] = "1 h"
    for key in ("targets",):
        raw.pop(key)
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["background", str(path), "--target", "Vega", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--target" in err and "no targets" in err
