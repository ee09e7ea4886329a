"""``lunarscope plan`` on a mission whose orbit is ``{family: nrho, resonance: "9:2"}``: the orbit
resolves at load (CR3BP member → full model), and windows, scheduling and the report run on it;
a wrong family key is one error line, exit 2, nothing written."""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import yaml

from lunarscope.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _mission(folder: pathlib.Path, **orbit) -> pathlib.Path:
    """examples/quick-look.yaml (5 targets, 2 stations, greedy) cut to 2 days in the 9:2 NRHO."""
    raw = yaml.safe_load((ROOT / "examples" / "quick-look.yaml").read_text())
    raw["name"] = "nrho-quick"
    raw["duration"] = "2 d"
    raw["orbit"] = {"family": "nrho", "lagrange": "L2", "branch": "south", "resonance": "9:2", **orbit}
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 8, "order": 8}
    raw["propagator"] = {"rtol": 1.0e-12, "atol_km": 1.0e-9}
    p = folder / "nrho.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


def test_plan_runs_on_the_nrho(tmp_path, capsys):
    out = tmp_path / "plan"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["plan", str(_mission(tmp_path)), "-o", str(out)]) == 0
    # the apolune (~71,000 km) is beyond the sphere of influence by design: no "a_km in m?" hint
    said = " ".join(str(w.message) for w in caught) + capsys.readouterr().err
    assert "sphere of influence" not in said
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "report.html", "trajectory.oem"} <= names
    summary = json.loads((out / "summary.json").read_text())
    text = json.dumps(summary)
    assert "nrho-quick" in text
    # the OEM is the NRHO: it starts on the apolune side (~70,000 km) and falls towards the perilune
    # (~3,250 km, reached 3.3 d after apolune)
    from lunarscope.io.oem import read_oem

    seg = read_oem(out / "trajectory.oem")[0]
    r = np.linalg.norm(np.asarray(seg.states)[:, :3], axis=1)
    assert 65000.0 < r[0] < 76000.0 and r.max() == r[0]
    assert r[-1] < 50000.0 and np.all(np.diff(r) < 0)


def test_wrong_resonance_one_line(tmp_path, capsys):
    out = tmp_path / "plan"
    rc = main(["plan", str(_mission(tmp_path, resonance="9")), "-o", str(out)])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lunarscope: error: orbit.resonance")
    assert not out.exists()
