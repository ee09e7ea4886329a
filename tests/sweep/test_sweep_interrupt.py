"""Ctrl-C during a sweep: exit 130, the local cluster's processes gone, only whole parts left,
no sweep.parquet; the next run resumes from the parts."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import yaml
from sweep_helpers import tiny_sweep

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
#: Longest wait for the first finished case (s): the cluster starts and warms up first.
FIRST_ROWS_TIMEOUT_S = 120
#: Ctrl-C must be answered (cluster shut down, process gone) within this (s).
EXIT_WITHIN_S = 30


def test_ctrl_c_shuts_the_cluster_down_and_leaves_whole_parts(tmp_path):
    vary = {"orbit.elements.raan_deg": [float(k) for k in range(0, 360, 15)]}
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump(tiny_sweep(vary), sort_keys=False))
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "lunarscope.cli.main", "sweep", str(sweep), "-o", str(out), "--workers", "1"]
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    deadline = time.monotonic() + FIRST_ROWS_TIMEOUT_S
    while time.monotonic() < deadline:
        parts = list((out / "cases").glob("*.parquet")) if (out / "cases").exists() else []
        if parts:
            break
        time.sleep(0.05)
    assert parts, "no case finished in time"
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children  # the local cluster's worker (and its nanny)
    proc.send_signal(signal.SIGINT)
    try:
        err = proc.communicate(timeout=EXIT_WITHIN_S)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err
    assert "lunarscope: interrupted" in err
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"cluster processes left: {alive}"
    assert not (out / "sweep.parquet").exists()
    assert not list((out / "cases").glob("*.tmp*"))
    import pyarrow.parquet as pq

    done = sum(pq.read_table(p).num_rows for p in (out / "cases").glob("*.parquet"))
    assert 1 <= done < len(vary["orbit.elements.raan_deg"])
