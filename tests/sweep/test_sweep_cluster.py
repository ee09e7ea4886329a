"""Sweeps on a real cluster: a ``dask scheduler`` and 2 ``dask worker`` processes on localhost.

Resume, an error row, and a worker killed mid-sweep (the table equals a clean run's, bit for
bit, except ``wall_s``). The tests share one cluster; the kill test comes last (it kills one).
"""

import os
import signal

import pyarrow.parquet as pq
from sweep_helpers import tiny_sweep

from lunarscope.cli.main import main
from lunarscope.sweep import Sweep

VARY = {"orbit.elements.raan_deg": [0, 90, 180, 270], "orbit.elements.i_deg": [50, 70]}


def _write_sweep(tmp_path, vary=VARY, **extra):
    import yaml

    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump(tiny_sweep(vary, **extra), sort_keys=False))
    return str(p)


def _table(path):
    return pq.read_table(path).drop_columns(["wall_s"])


def test_cli_sweep_on_an_existing_cluster_then_resume(dask_cluster, tmp_path, capsys):
    sweep = _write_sweep(tmp_path)
    out = tmp_path / "results"
    assert main(["sweep", sweep, "-o", str(out), "--scheduler", dask_cluster.scheduler_file]) == 0
    err = capsys.readouterr().err
    assert "2 workers" in err and "8/8 cases" in err
    first = _table(out / "sweep.parquet")
    assert first.num_rows == 8 and set(first.column("status").to_pylist()) == {"ok"}
    assert first.column_names[:4] == ["case", "orbit.elements.raan_deg", "orbit.elements.i_deg", "case_key"]
    parts = sorted(os.listdir(out / "cases"))
    # a rerun skips every finished case: no new part, the same table
    assert main(["sweep", sweep, "-o", str(out), "--scheduler", dask_cluster.address]) == 0
    assert sorted(os.listdir(out / "cases")) == parts
    assert _table(out / "sweep.parquet").equals(first)
    # a lost part: only its cases run again
    os.remove(out / "cases" / parts[0])
    assert main(["sweep", sweep, "-o", str(out), "--scheduler", dask_cluster.address]) == 0
    assert len(os.listdir(out / "cases")) == len(parts)
    assert _table(out / "sweep.parquet").equals(first)


def test_a_raising_case_is_an_error_row_and_the_sweep_goes_on(dask_cluster, tmp_path):
    from distributed import Client

    # impact radius above the initial periapsis: case 1's propagation raises
    sweep = Sweep.from_dict(tiny_sweep({"propagator.impact_altitude_km": [0, 3000]}))
    with Client(dask_cluster.address) as client:
        df = sweep.run(client, out=str(tmp_path / "r"))
    assert list(df["status"]) == ["ok", "error"]
    assert df["error"][0] == "" and df["error"][1].startswith("propagate: orbit: initial radius")
    assert df["eclipse_fraction"].isna().tolist() == [False, True]


def test_bad_scheduler_is_one_error_line(tmp_path, capsys):
    sweep = _write_sweep(tmp_path)
    assert main(["sweep", sweep, "-o", str(tmp_path / "r"), "--scheduler", "nowhere"]) == 2
    assert capsys.readouterr().err.startswith("lunarscope: error: --scheduler:")


def test_wrong_case_is_refused_before_any_work(tmp_path, capsys):
    sweep = _write_sweep(tmp_path, {"orbit.elements.e": [0.5, 1.5]})
    assert main(["sweep", sweep, "-o", str(tmp_path / "r"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lunarscope: error: case 1: orbit.elements.e:" in err
    assert not (tmp_path / "r").exists()


def test_killed_worker_loses_nothing(dask_cluster, tmp_path):
    from distributed import Client

    vary = {"orbit.elements.raan_deg": [0, 45, 90, 135, 180, 225, 270, 315], "orbit.elements.i_deg": [50, 70]}
    sweep = Sweep.from_dict(tiny_sweep(vary))
    victim = dask_cluster.workers[0]
    killed = []

    with Client(dask_cluster.address) as client:
        address = next(a for a, w in client.scheduler_info()["workers"].items() if w.get("name") == "w0")

        def kill_after_first_rows(done, total, errors, elapsed, eta):
            if done >= 2 and not killed:
                busy = len(client.processing(workers=[address]).get(address, ()))  # tasks on it now
                os.kill(victim.pid, signal.SIGKILL)
                killed.append((done, busy))

        clean = sweep.run(client, out=str(tmp_path / "clean"), chunk_size=1, as_arrow=True)
        info = client.scheduler_info()["workers"]
        assert len(info) == 2
        hurt = sweep.run(
            client, out=str(tmp_path / "hurt"), chunk_size=1, progress=kill_after_first_rows, as_arrow=True
        )
        assert killed and killed[0][0] < 16 and killed[0][1] >= 1, f"the worker must die mid-task: {killed}"
        assert victim.wait(timeout=10) == -signal.SIGKILL
    assert set(hurt.column("status").to_pylist()) == {"ok"}
    assert hurt.drop_columns(["wall_s"]).equals(clean.drop_columns(["wall_s"]))
    assert _table(tmp_path / "hurt" / "sweep.parquet").equals(_table(tmp_path / "clean" / "sweep.parquet"))
