"""Ctrl-C raised inside a ctypes callback (numba's LLVM object cache, while a kernel compiles)
is dropped by Python; ``cli.sigint.watch`` raises it again. Each case runs in its own process."""

import subprocess
import sys
import textwrap

import pytest

#: Seconds within which a dropped Ctrl-C must still stop the run (the CLI's promise, as in
#: tests/cli/test_interrupt.py).
EXIT_WITHIN_S = 2.0

SCRIPT = textwrap.dedent(
    r'''
import ctypes, ctypes.util, os, signal, sys, threading, time
from lunarscope.cli.sigint import watch

libc = ctypes.CDLL(ctypes.util.find_library("c"))
CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))

def slow_cmp(a, b):  # Python code inside a C call: a KeyboardInterrupt here is dropped
    t = time.perf_counter()
    while time.perf_counter() - t < 0.05:
        pass
    return a[0] - b[0]

def run():
    arr = (ctypes.c_int * 8)(*range(8, 0, -1))
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    t0 = time.perf_counter()
    libc.qsort(arr, len(arr), ctypes.sizeof(ctypes.c_int), CMP(slow_cmp))  # ~1 s in callbacks
    t_sort = time.perf_counter() - t0
    t = time.perf_counter()
    while time.perf_counter() - t < 5.0:  # the run carries on
        pass
    return t_sort

if __name__ == "__main__":
    mode = sys.argv[1]
    t0 = time.perf_counter()
    try:
        if mode == "watch":
            with watch():
                run()
        else:
            run()
        print("not interrupted", round(time.perf_counter() - t0, 2))
    except KeyboardInterrupt:
        print("interrupted", round(time.perf_counter() - t0, 2))
    '''
)


def _run(tmp_path, mode):
    path = tmp_path / "swallow.py"
    path.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(path), mode], capture_output=True, text=True, timeout=60)
    status, seconds = out.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    return status, float(seconds), out.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_plain_python_drops_a_ctrl_c_inside_a_ctypes_callback(tmp_path):
    """The premise of ``watch``: without it the run carries on to its end."""
    status, seconds, err = _run(tmp_path, "plain")
    assert status == "not interrupted" and "Exception ignored" in err, (status, err)
    assert seconds > 5.0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_watch_raises_the_dropped_ctrl_c_again(tmp_path):
    status, seconds, err = _run(tmp_path, "watch")
    assert status == "interrupted", err
    assert seconds < EXIT_WITHIN_S, err
