"""obsloctap.vot / obsloctap.csv (IVOA ObsLocTAP 1.0 ivoa.obsplan) from a real plan: read back
by astropy (columns, units, UCDs, one row per observation), values against the typed plan and
astropy's own UTC→MJD, the CSV the same rows, and no half-written product on a failed run."""

from __future__ import annotations

import csv
import io
import pathlib
import sys
import warnings

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "report"))
from plan_fixture import fixture_mission, run_fixture_plan  # noqa: E402

from lunarscope.io import obsloctap  # noqa: E402
from lunarscope.mission.plan import PRODUCTS  # noqa: E402

#: The 26 columns of ivoa.obsplan in the order of ObsLocTAP 1.0.
STANDARD_COLUMNS = (
    "t_planning target_name obs_id obs_collection s_ra s_dec s_fov s_region s_resolution t_min t_max "
    "t_exptime t_resolution em_min em_max em_res_power o_ucd pol_states pol_xel facility_name "
    "instrument_name t_plan_exptime category priority execution_status tracking_type"
).split()
#: The plan's UTC text carries 1 ms; MJD values must agree to that.
TIME_TOL_S = 1e-3
SECONDS_PER_DAY = 86400.0


@pytest.fixture(scope="module")
def plan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("obsloctap") / "plan"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Earth orientation beyond the IERS table: known, documented
        result = run_fixture_plan(str(out))
    return out, result


def _observations(plan):
    return [a for a in plan.schedule.activities if a.activity == "observe"]


def _read_csv(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# IVOA ObsLocTAP 1.0") and "MJD (UTC)" in lines[0]
    return list(csv.DictReader(io.StringIO("\n".join(lines[1:]) + "\n")))


def test_plan_products_include_both_files(plan_run):
    out, _ = plan_run
    assert "obsloctap.vot" in PRODUCTS and "obsloctap.csv" in PRODUCTS
    assert {"obsloctap.vot", "obsloctap.csv"} <= {p.name for p in out.iterdir()}


def test_votable_parses_back_with_units_and_ucds(plan_run):
    from astropy.io.votable import parse

    out, result = plan_run
    vot = parse(str(out / "obsloctap.vot"))
    table = vot.get_first_table()
    assert [f.name for f in table.fields] == STANDARD_COLUMNS
    fields = {f.name: f for f in table.fields}
    for name, unit, ucd, _, _ in obsloctap.COLUMNS:
        assert (str(fields[name].unit) if fields[name].unit is not None else None) == unit, name
        assert fields[name].ucd == ucd, name
    assert str(fields["t_min"].unit) == "d" and str(fields["s_ra"].unit) == "deg"
    assert fields["s_dec"].ucd == "pos.eq.dec" and fields["t_max"].ucd == "time.end;obs.exposure"
    (timesys,) = vot.time_systems
    assert timesys.timescale == "UTC" and timesys.timeorigin == "MJD-origin"
    assert all(fields[n].ref == timesys.ID for n in ("t_planning", "t_min", "t_max"))
    data = table.to_table()
    observations = _observations(result.plan)
    assert len(observations) >= 2
    assert len(data) == len(observations)


def test_values_match_plan(plan_run):
    from astropy.io.votable import parse
    from astropy.time import Time

    out, result = plan_run
    plan = result.plan
    data = parse(str(out / "obsloctap.vot")).get_first_table().to_table()
    observations = _observations(plan)
    where = {t.name: (t.ra_deg, t.dec_deg) for t in plan.targets}
    t_min = Time([a.start_utc for a in observations], format="isot", scale="utc").mjd
    t_max = Time([a.stop_utc for a in observations], format="isot", scale="utc").mjd
    assert np.abs(np.asarray(data["t_min"]) - t_min).max() * SECONDS_PER_DAY < TIME_TOL_S
    assert np.abs(np.asarray(data["t_max"]) - t_max).max() * SECONDS_PER_DAY < TIME_TOL_S
    stamp = Time(plan.generated_utc.rstrip("Z"), format="isot", scale="utc").mjd
    assert np.abs(np.asarray(data["t_planning"]) - stamp).max() * SECONDS_PER_DAY < TIME_TOL_S
    assert list(data["target_name"]) == [a.target for a in observations]
    assert np.allclose(data["s_ra"], [where[a.target][0] for a in observations], rtol=0, atol=1e-12)
    assert np.allclose(data["s_dec"], [where[a.target][1] for a in observations], rtol=0, atol=1e-12)
    assert np.allclose(data["t_exptime"], [a.duration_s for a in observations], rtol=0, atol=1e-9)
    assert np.allclose(data["t_plan_exptime"], data["t_exptime"], rtol=0, atol=0)
    assert set(data["facility_name"]) == {plan.mission.name}  # "<test & escape>" survives the XML
    assert set(data["execution_status"]) == {"Scheduled"} and set(data["category"]) == {"Fixed"}
    assert set(data["tracking_type"]) == {"Sidereal"} and set(np.asarray(data["priority"])) == {0}
    assert np.isnan(np.asarray(data["em_min"], float)).all() and np.isnan(np.asarray(data["s_fov"], float)).all()
    assert np.ma.getmaskarray(data["pol_xel"]).all()
    # obs_id: the request named in schedule.csv, then the visit number; unique
    sched = list(csv.DictReader(io.StringIO((out / "schedule.csv").read_text())))
    requests = [r["request"] for r in sched if r["activity"] == "observe"]
    assert all(requests) and [str(x).rsplit("/", 1)[0] for x in data["obs_id"]] == requests
    assert len(set(data["obs_id"])) == len(data)
    assert all(r["request"] == "" for r in sched if r["activity"] != "observe")


def test_csv_has_the_same_rows(plan_run):
    from astropy.io.votable import parse

    out, _ = plan_run
    data = parse(str(out / "obsloctap.vot")).get_first_table().to_table()
    rows = _read_csv(out / "obsloctap.csv")
    assert list(rows[0].keys()) == STANDARD_COLUMNS
    assert len(rows) == len(data)
    for row, ref in zip(rows, data):
        assert row["obs_id"] == ref["obs_id"] and row["target_name"] == ref["target_name"]
        for name in ("t_min", "t_max", "t_planning"):
            assert abs(float(row[name]) - float(ref[name])) * SECONDS_PER_DAY < TIME_TOL_S
        assert float(row["s_ra"]) == float(ref["s_ra"]) and float(row["s_dec"]) == float(ref["s_dec"])
        assert row["em_min"] == "" and row["pol_xel"] == "" and row["priority"] == "0"


def test_no_observations_gives_empty_tables(plan_run):
    import dataclasses

    from astropy.io.votable import parse

    _, result = plan_run
    plan = result.plan
    empty = dataclasses.replace(plan, schedule=dataclasses.replace(plan.schedule, activities=()))
    table = obsloctap.obsloctap_table(empty)
    assert len(table) == 0 and table.colnames == STANDARD_COLUMNS
    back = parse(io.BytesIO(obsloctap.votable_bytes(table))).get_first_table().to_table()
    assert len(back) == 0 and back.colnames == STANDARD_COLUMNS
    assert obsloctap.csv_text(table).splitlines()[1:] == [",".join(STANDARD_COLUMNS)]


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "existing-folder"])
def test_failed_run_writes_neither(tmp_path, monkeypatch, existing):
    """The CSV writer fails after the VOTable went into the staging folder: neither file (nor
    any other product) reaches the output folder, and no staging folder is left."""
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "schedule.csv").write_text("old\n")

    calls = []

    def boom(table):
        calls.append(len(table))
        raise KeyboardInterrupt

    monkeypatch.setattr(obsloctap, "csv_text", boom)
    with warnings.catch_warnings(), pytest.raises(KeyboardInterrupt):
        warnings.simplefilter("ignore")
        run_fixture_plan(str(out), fixture_mission("2 h"))
    assert calls  # it stopped in the ObsLocTAP writer, after obsloctap.vot was staged
    if existing:
        assert sorted(p.name for p in out.iterdir()) == ["schedule.csv"]
        assert (out / "schedule.csv").read_text() == "old\n"
    else:
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["out"] if existing else [])
