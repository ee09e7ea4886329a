"""Ctrl-C in every stage: a real SIGINT to a real `lunarscope` process stops it within 2 s
with exit code 130 and leaves no staging folder and no product (files already in -o kept)."""

import os
import pathlib
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The promise: Ctrl-C answered within this (s) from the signal to the exit.
EXIT_WITHIN_S = 2.0
#: Longest wait (s) for a stage marker on stderr before the test gives up.
MARKER_TIMEOUT_S = 120.0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _mission(tmp_path) -> pathlib.Path:
    """The demo mission shortened to 2 days, CP-SAT with a large budget: every stage lasts."""
    text = (ROOT / "examples" / "circumlunar-telescope.yaml").read_text()
    text = text.replace(
        "catalogues/telescope_targets.csv", str(ROOT / "examples" / "catalogues" / "telescope_targets.csv")
    )
    text = re.sub(r"^duration: .*$", "duration: 2 d", text, flags=re.M)
    text = re.sub(
        r"^scheduling: .*$", "scheduling: {solver: cpsat, time_limit_s: 600, work_limit: 1000}", text, flags=re.M
    )
    path = tmp_path / "mission.yaml"
    path.write_text(text)
    return path


def _interrupt(cmd, cwd, marker: str, delay_s: float, ready=None):
    """Start ``cmd``, wait for ``marker`` on stderr, then ``delay_s`` (or, with ``ready``, until
    ``ready()`` is true: polled every millisecond), send SIGINT.
    Returns (exit code, seconds from the signal to the exit, stderr)."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue = queue.Queue()
    seen = []

    def pump():
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    t_end = time.monotonic() + MARKER_TIMEOUT_S
    try:
        while True:
            line = lines.get(timeout=max(0.1, t_end - time.monotonic()))
            if line is None:
                pytest.fail(f"{cmd} ended before {marker!r}: {''.join(seen)}")
            seen.append(line)
            if marker in line:
                break
        time.sleep(delay_s)
        while ready is not None and not ready() and proc.poll() is None and time.monotonic() < t_end:
            time.sleep(0.001)
        assert proc.poll() is None, f"finished before the signal: {''.join(seen)}"
        t_sig = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
        elapsed = time.monotonic() - t_sig
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while True:
        try:
            line = lines.get(timeout=2)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
    return rc, elapsed, "".join(seen)


# (marker on stderr that the stage has begun, delay into the stage)
PLAN_STAGES = {
    "propagate": ("circumlunar-telescope:", 0.0),
    "windows": ("1/4 propagate: done", 0.2),
    "schedule": ("2/4 windows: done", 1.5),
    "products": ("3/4 schedule: done", 0.0),
}
#: The products stage is short: its signal waits for the staging folder to appear (products
#: are being written into it), so it always lands inside the stage.
WAITS_FOR_STAGING = {"products"}


#: Runs tried for the products stage: its staging folder may live only ~0.1 s, so a signal sent
#: the moment it appears can land after the final rename; such a run must have finished cleanly
#: (exit 0, every product in place) and is tried again, until one is caught inside the stage.
STAGING_ATTEMPTS = 4


@pytest.mark.parametrize("stage", list(PLAN_STAGES))
def test_ctrl_c_in_every_plan_stage(tmp_path, stage):
    mission = _mission(tmp_path)
    out = tmp_path / "out"
    marker, delay = PLAN_STAGES[stage]
    ready = None
    if stage in WAITS_FOR_STAGING:
        ready = lambda: any(p.name.startswith(".out.partial-") for p in tmp_path.iterdir())  # noqa: E731
    for _ in range(STAGING_ATTEMPTS if stage in WAITS_FOR_STAGING else 1):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir()
        (out / "keep.txt").write_text("mine\n")
        rc, elapsed, err = _interrupt(
            ["lunarscope", "plan", str(mission), "-o", str(out)], tmp_path, marker, delay, ready=ready
        )
        if rc != 0:
            break
        # the signal came after the products were in place: a complete, clean run
        assert (out / "summary.json").exists() and (out / "keep.txt").read_text() == "mine\n", err
        assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert rc == 130, err
    assert elapsed < EXIT_WITHIN_S, f"{elapsed:.2f} s: {err}"
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine\n"
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_ctrl_c_in_schedule_command(tmp_path):
    mission = _mission(tmp_path)
    target = tmp_path / "schedule.csv"
    rc, elapsed, err = _interrupt(
        ["lunarscope", "schedule", str(mission), "-o", str(target)], tmp_path, "windows: done", 1.5
    )
    assert rc == 130, err
    assert elapsed < EXIT_WITHIN_S, f"{elapsed:.2f} s: {err}"
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mission.yaml"]
