"""Ctrl-C that is not lost.

Python turns SIGINT into ``KeyboardInterrupt`` at the next bytecode of the main thread. When that
bytecode runs inside a ctypes callback — numba's LLVM object cache calls one while it compiles a
kernel, which a fresh install does in the windows stage for tens of seconds — the exception is
printed as "Exception ignored" and dropped, and the run carries on as if Ctrl-C had never been
pressed. ``watch()`` keeps the signal: its handler raises as the default one does and starts a
watcher thread that, every ``RETRY_S``, looks at the exception the main thread is handling;
while it is not a ``KeyboardInterrupt`` (the first one was dropped) it interrupts the main thread
again (``_thread.interrupt_main``). Once it sees the interrupt being handled (``except`` /
``finally`` clean-ups on the way out) it stops, so clean-up code is not interrupted twice.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
import threading

#: Seconds between the watcher's looks at the main thread after Ctrl-C.
RETRY_S = 0.5


def _handled(ident: int):
    """The exception the thread ``ident`` is handling (None when none)."""
    exc = sys._current_exceptions().get(ident)
    return exc[1] if isinstance(exc, tuple) else exc


class _Watch:
    def __init__(self):
        self.pid = os.getpid()
        self.main = threading.main_thread().ident
        self.hit = False
        self.stop = threading.Event()

    def handler(self, signum, frame):
        if os.getpid() == self.pid and not self.hit:  # forked workers: the default behaviour
            self.hit = True
            threading.Thread(target=self._retry, name="sigint-watch", daemon=True).start()
        raise KeyboardInterrupt

    def _retry(self) -> None:
        while not self.stop.wait(RETRY_S):
            if isinstance(_handled(self.main), KeyboardInterrupt):
                return  # delivered: the main thread is on its way out
            _thread.interrupt_main()


@contextlib.contextmanager
def watch():
    """Within the block SIGINT raises ``KeyboardInterrupt`` and a dropped one is raised again
    (module doc); the previous handler is restored after it. A no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    w = _Watch()
    old = signal.signal(signal.SIGINT, w.handler)
    try:
        yield
    finally:
        w.stop.set()
        signal.signal(signal.SIGINT, old)
