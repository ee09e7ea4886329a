"""The wall-clock safety cap and the progress callback of one solve."""

from __future__ import annotations

import time


class SolveClock:
    """``time_limit_s`` (s) from now as a deadline (``time.perf_counter`` time), and
    ``progress(fraction)`` clipped to 0..1 (None: silent)."""

    def __init__(self, time_limit_s: float, progress=None):
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + float(time_limit_s)
        self.progress = progress

    def left(self) -> float:
        """Seconds until the deadline (negative once past it)."""
        return self.deadline - time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, fraction)))
