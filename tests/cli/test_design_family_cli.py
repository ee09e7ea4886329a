"""``lunarscope design family``: CSV columns, the 9:2 NRHO pick, the page of plots, wrong input."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from lunarscope.cli.design_family import CSV_COLUMNS
from lunarscope.cli.main import main
from lunarscope.dynamics import cr3bp


def test_nrho_family_and_9_2_member(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(
        [
            "design",
            "family",
            "nrho",
            "--lagrange",
            "L2",
            "--branch",
            "south",
            "--members",
            "8",
            "--resonance",
            "9:2",
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    with open(out / "family.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == 8
    for r in rows:
        assert float(r["y0"]) == 0.0 and float(r["vx0"]) == 0.0 and float(r["vz0"]) == 0.0
        assert float(r["period_d"]) == pytest.approx(float(r["period_nd"]) * cr3bp.T_STAR_S / 86400.0, rel=1e-14)
        assert 1850.0 <= float(r["perilune_km"]) <= 17350.0
    with open(out / "member.csv", newline="") as f:
        (m,) = list(csv.DictReader(f))
    assert float(m["period_d"]) == pytest.approx(2 / 9 * cr3bp.SYNODIC_MONTH_D, rel=1e-10)
    assert float(m["z0"]) < 0.0  # south: apolune below the plane, reported at the apolune-side crossing
    html = (out / "family.html").read_text(encoding="utf-8")
    for title in ("x–y", "x–z", "y–z", "period vs Jacobi", "stability vs Jacobi"):
        assert title in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert not list(out.glob("*.part"))
    err = capsys.readouterr().err
    assert "--resonance: period 6.56" in err


@pytest.mark.parametrize(
    "argv, option",
    [
        (["dro", "--lagrange", "L1"], "--lagrange"),
        (["halo"], "--lagrange"),
        (["halo", "--lagrange", "L2", "--branch", "east"], "--branch"),
        (["nrho", "--lagrange", "L2", "--resonance", "9-2"], "--resonance"),
        (["halo", "--lagrange", "L1", "--members", "1"], "--members"),
        (["halo", "--lagrange", "L1", "--az-km", "-5"], "--az-km"),
        (["comet", "--lagrange", "L1"], "family"),
    ],
)
def test_wrong_input_one_line(argv, option, tmp_path, capsys):
    out = tmp_path / "o"
    rc = main(["design", "family", *argv, "-o", str(out)])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lunarscope: error: " + option)
    assert not out.exists()


def test_unreached_resonance_real_cli(tmp_path):
    """A resonance the family does not reach: one line naming --resonance, exit 2, nothing written."""
    out = tmp_path / "o"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "lunarscope.cli.main",
            "design",
            "family",
            "nrho",
            "--lagrange",
            "L2",
            "--members",
            "3",
            "--resonance",
            "2:1",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("lunarscope:")]
    assert lines == [lines[0]] and lines[0].startswith(
        "lunarscope: error: --resonance: period 14.7653 d is not reached"
    )
    assert "Traceback" not in p.stderr
    assert not (out / "family.csv").exists()


def test_nrho_needs_no_lagrange_option_and_halo_does(tmp_path):
    """The NRHO part exists for L2 only, so ``--lagrange`` may be left out; for halo it is
    required, and the error says so (it said "None: give L1 or L2")."""
    from lunarscope.cli.main import main

    assert main(["design", "family", "nrho", "--members", "5", "-o", str(tmp_path / "n")]) == 0
    assert (tmp_path / "n" / "family.csv").exists()
    assert main(["design", "family", "halo", "-o", str(tmp_path / "h")]) == 2
    assert not (tmp_path / "h").exists()
