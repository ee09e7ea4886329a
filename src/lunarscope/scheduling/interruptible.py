"""Long C solver calls that Ctrl-C can interrupt.

CP-SAT and HiGHS run for seconds inside C without returning to Python, so a SIGINT would
only raise ``KeyboardInterrupt`` once they finish (CP-SAT even catches SIGINT itself unless
``catch_sigint_signal`` is False and then stops "as if the time limit was reached").
``run`` executes such a call in a daemon worker thread (both solvers release the GIL) while
the main thread waits in short joins, where ``KeyboardInterrupt`` is raised at once. On an
interrupt ``stop`` (e.g. ``CpSolver.stop_search``) is called and the interrupt re-raised; a
call that cannot be stopped (scipy's HiGHS) is abandoned: its daemon thread dies with the
process.
"""

from __future__ import annotations

import threading
import time

#: How often (s) the waiting main thread wakes up; Ctrl-C is answered within about this.
JOIN_POLL_S = 0.05
#: After ``stop`` on Ctrl-C, how long (s) to wait for the stopped call to return: a C++ solver
#: thread still running when the process exits aborts it (std::terminate).
STOP_JOIN_S = 1.0


def run(fn, *args, stop=None, timeout_s: float | None = None, **kwargs):
    """``fn(*args, **kwargs)`` in a daemon thread, interruptible by Ctrl-C from the main thread.

    Returns what ``fn`` returns and re-raises what it raises. ``stop``: called (without
    arguments) when the wait is interrupted, before ``KeyboardInterrupt`` is re-raised.
    ``timeout_s``: wall-clock wait (s) after which ``stop`` is called and ``TimeoutError``
    raised (a call without ``stop`` is abandoned and finishes in the background). Called
    from any thread other than the main one, ``fn`` simply runs in place (only the main thread
    receives signals).
    """
    if threading.current_thread() is not threading.main_thread() and timeout_s is None:
        return fn(*args, **kwargs)
    box: dict = {}
    done = threading.Event()  # not Thread.join: an interrupted join can leave it returning at once

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=target, name=f"lunarscope-{getattr(fn, '__name__', 'solver')}", daemon=True)
    worker.start()
    t_end = None if timeout_s is None else time.monotonic() + max(0.0, float(timeout_s))
    try:
        while not done.wait(JOIN_POLL_S):
            if t_end is not None and time.monotonic() >= t_end:
                if stop is not None:
                    stop()
                    done.wait(STOP_JOIN_S)
                raise TimeoutError(f"{getattr(fn, '__name__', 'call')} not finished in {timeout_s:.3g} s")
    except KeyboardInterrupt:
        if stop is not None:
            stop()
            done.wait(STOP_JOIN_S)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def linprog(*args, **kwargs):
    """``scipy.optimize.linprog`` through ``run``."""
    from scipy.optimize import linprog as _linprog

    return run(_linprog, *args, **kwargs)


def milp(*args, **kwargs):
    """``scipy.optimize.milp`` through ``run``."""
    from scipy.optimize import milp as _milp

    return run(_milp, *args, **kwargs)


def cp_solve(solver, model):
    """``solver.solve(model)`` through ``run``, stopped by ``solver.stop_search()`` on Ctrl-C.

    Also turns off CP-SAT's own SIGINT handler (``catch_sigint_signal``), which would swallow
    the interrupt and let the run go on."""
    solver.parameters.catch_sigint_signal = False
    return run(solver.solve, model, stop=solver.stop_search)
