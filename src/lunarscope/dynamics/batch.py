"""Many orbits at once: :func:`propagate_many` runs M independent propagations on all cores.

Each orbit is exactly the single-orbit :func:`~lunarscope.dynamics.propagator.propagate` (same
integrator, tolerances, force model and arcs), so orbit i of a batch is bit for bit the orbit
one would get alone. The orbits are spread over forked worker processes: the compiled
integrator holds the GIL, so threads would run one at a time, while forked workers inherit the
parent's compiled kernels and field data (no recompilation, no pickling of the force model).

What the workers add to the serial loop is kept small (``benchmarks/bench_batch.py``,
docs/benchmarks.md: 1000 orbits x 1 d at 10x10 took 1.05x the serial loop's CPU seconds, the
idle-core bound 1.91x on 2 workers; 1.20x / 1.67x before):

- orbits are handed out one at a time from a shared counter, so no core idles at the end
  while another finishes a long chunk;
- results come back through shared memory: each worker writes the arrays of its results
  (the dense output, ~0.2 MB per orbit-day) into its own ``memfd`` with one copy (~0.25 ms per
  orbit-day, about what the serial loop spends allocating the same arrays) and sends only a
  small pickled skeleton through a pipe (pickle protocol 5, out-of-band buffers); the parent
  maps the memory and rebuilds the results as views of it, without unpickling or copying the
  arrays (before: pickled results, ~0.5 ms per orbit-day on each side plus the pipe copies);
- no executor threads or queues: the parent waits on the workers' pipes;
- the right-hand side's argument tuple (``ForceModel.args``: the span fit, ~0.3 ms) of each of
  the batch's spans (fewer than ``propagator.ARGS_CACHE_SIZE``) is built once in the parent
  before the fork; every orbit finds it in ``propagate``'s cache (the same tuple, so the same
  bits as a single run).

Below ``PARALLEL_MIN_ORBITS`` orbits, with ``workers=1``, or without ``fork`` and
``os.memfd_create`` (not Linux) the loop runs in this process.
"""

from __future__ import annotations

import ctypes
import mmap
import multiprocessing as mp
import os
import pickle
import selectors
import signal
import struct
import threading
import traceback
import weakref

import numpy as np

from ..constants import MOON_RADIUS_KM
from ..errors import InputError
from .forces import ForceModel
from .propagator import ARGS_CACHE_SIZE, PropagationResult, force_args, propagate

PARALLEL_MIN_ORBITS = 4
"""Fewer orbits than this run in the calling process (forking the workers costs ~10-50 ms)."""

WARMUP_SPAN_S = 1.0
"""Span (s) of the short propagation run in the parent before forking, so the workers inherit
the compiled integrator instead of each compiling it."""

BUFFER_ALIGN_BYTES = 64
"""Alignment (bytes, one cache line) of each result array in a worker's shared memory."""

_PIPE_READ_BYTES = 1 << 20  # bytes read from a worker's pipe at a time
_HEADER = struct.Struct("<Q")  # length prefix (bytes) of each message a worker sends

# Set in the parent just before the workers fork; read by the workers.
_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()  # one forking batch at a time per process


def _span(values, m: int, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(m, float(v))
    if v.shape != (m,) or not np.all(np.isfinite(v)):
        raise InputError(name, f"must be one finite TDB time (s) or {m} of them (one per orbit), got shape {v.shape}")
    return v


def _run_one(i: int, settings: dict) -> PropagationResult:
    return propagate(
        settings["states"][i],
        float(settings["t_start"][i]),
        float(settings["t_stop"][i]),
        settings["force_model"],
        name=settings["names"][i],
        **settings["options"],
    )


def _send(fd: int, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_HEADER.pack(len(data)) + data)
    while data:
        data = data[os.write(fd, data) :]


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while data.nbytes:
        n = os.pwrite(fd, data, offset)
        data, offset = data[n:], offset + n


def _take(settings: dict) -> int:
    """Next orbit index from the shared counter (>= M: nothing left)."""
    with settings["lock"]:
        i = int(settings["next"][0])
        settings["next"][0] = i + 1
    return i


def _worker(k: int, settings: dict) -> None:
    """Worker ``k`` (forked): propagate orbits from the shared counter until none is left; each
    result's arrays go to the worker's memfd, its skeleton and their places down the pipe.
    Never returns (``os._exit``)."""
    code = 0
    out = settings["pipes_w"][k]
    try:
        for j, (r, w) in enumerate(zip(settings["pipes_r"], settings["pipes_w"])):
            os.close(r)
            if j != k:
                os.close(w)
                os.close(settings["memfds"][j])
        fd = settings["memfds"][k]
        m = len(settings["states"])
        offset = 0
        while (i := _take(settings)) < m:
            try:
                res = _run_one(i, settings)
            except InputError as exc:
                with settings["lock"]:
                    settings["next"][0] = m  # the others stop after their current orbit
                _send(out, ("input_error", i, exc.field, exc.problem))
                break
            buffers: list = []
            skeleton = pickle.dumps(res, protocol=5, buffer_callback=buffers.append)
            spans = []
            for b in buffers:
                raw = b.raw()
                offset = -(-offset // BUFFER_ALIGN_BYTES) * BUFFER_ALIGN_BYTES
                _pwrite_all(fd, raw, offset)
                spans.append((offset, raw.nbytes))
                offset += raw.nbytes
            _send(out, ("ok", i, skeleton, spans))
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # a bug: its traceback goes to the parent, which raises it
        code = 1
        try:
            _send(out, ("error", -1, traceback.format_exc()))
        except BaseException:
            pass
    finally:
        os._exit(code)


def _map_shared(fd: int, size: int) -> memoryview:
    """A writable view of the first ``size`` bytes of memfd ``fd``, mapped without keeping a file
    descriptor open (``mmap.mmap`` would hold a duplicate for the mapping's life: one per worker
    per batch of results kept); unmapped when the last array viewing it is gone."""
    if size == 0:
        return memoryview(bytearray())
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    addr = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        err = ctypes.get_errno()
        raise OSError(err, f"propagate_many: mmap of the results failed: {os.strerror(err)}")
    buf = (ctypes.c_char * size).from_address(addr)
    weakref.finalize(buf, libc.munmap, addr, size)
    return memoryview(buf).cast("B")


def _messages(buf: bytearray):
    """Complete messages at the front of ``buf`` (removed from it)."""
    out = []
    while len(buf) >= _HEADER.size:
        (n,) = _HEADER.unpack_from(buf)
        if len(buf) < _HEADER.size + n:
            break
        out.append(pickle.loads(bytes(buf[_HEADER.size : _HEADER.size + n])))
        del buf[: _HEADER.size + n]
    return out


def _can_fork() -> bool:
    return "fork" in mp.get_all_start_methods() and hasattr(os, "memfd_create")


def _run_forked(settings: dict, m: int, workers: int, progress) -> list[PropagationResult]:
    """Fork ``workers`` processes over the shared settings, collect their results in input order."""
    settings["lock"] = mp.get_context("fork").Lock()
    counter = mmap.mmap(-1, 8)  # anonymous and shared with the forked workers
    settings["next"] = np.frombuffer(counter, dtype=np.int64)
    settings["memfds"], settings["pipes_r"], settings["pipes_w"] = [], [], []
    pids: list[int] = []
    skeletons: dict[int, tuple] = {}
    errors: list[tuple] = []
    open_fds: list[int] = []
    sel = selectors.DefaultSelector()
    try:
        for k in range(workers):
            settings["memfds"].append(os.memfd_create(f"lunarscope-batch-{k}"))
            r, w = os.pipe()
            settings["pipes_r"].append(r)
            settings["pipes_w"].append(w)
        open_fds = settings["memfds"] + settings["pipes_r"] + settings["pipes_w"]
        for k in range(workers):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                _worker(k, settings)
            pids.append(pid)
        for w in settings["pipes_w"]:
            os.close(w)
            open_fds.remove(w)
        pending = {}
        for k, r in enumerate(settings["pipes_r"]):
            sel.register(r, selectors.EVENT_READ, k)
            pending[r] = bytearray()
        done = reported = 0
        while pending:
            for key, _ in sel.select():
                r, k = key.fd, key.data
                data = os.read(r, _PIPE_READ_BYTES)
                if not data:
                    sel.unregister(r)
                    del pending[r]
                    continue
                pending[r] += data
                for msg in _messages(pending[r]):
                    if msg[0] == "ok":
                        skeletons[msg[1]] = (k, msg[2], msg[3])
                        done += 1
                    else:
                        errors.append(msg)
            if progress is not None and done > reported and not errors:
                progress(done, m)
                reported = done
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            pids = [p for p in pids if p != pid]
            code = os.waitstatus_to_exitcode(status)
            if code == 130:
                raise KeyboardInterrupt
            if code != 0 and not errors:
                raise RuntimeError(f"propagate_many: worker {pid} ended with exit code {code} (killed?)")
        bugs = [e for e in errors if e[0] == "error"]
        if bugs:
            raise RuntimeError(f"propagate_many: a worker failed:\n{bugs[0][2]}")
        if errors:
            _, i, field, problem = min(errors, key=lambda e: e[1])
            raise InputError(field, f"orbit {i}: {problem}")
        views = [_map_shared(fd, os.fstat(fd).st_size) for fd in settings["memfds"]]
        results = []
        for i in range(m):
            k, skeleton, spans = skeletons[i]
            results.append(pickle.loads(skeleton, buffers=[views[k][a : a + n] for a, n in spans]))
        return results
    finally:
        for pid in pids:  # still running only after an error or Ctrl-C here
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        sel.close()
        for fd in open_fds:
            os.close(fd)


def default_workers() -> int:
    """Cores this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def propagate_many(
    states0,
    t_start,
    t_stop,
    force_model: ForceModel,
    *,
    rtol: float = 1e-12,
    atol_km: float = 1e-9,
    impact_altitude_km: float = 0.0,
    fixed_step_s: float | None = None,
    method: str = "dop853",
    names=None,
    workers: int | None = None,
    progress=None,
) -> list[PropagationResult]:
    """Propagate M Moon-centred ICRF states ``states0`` (M, 6) (km, km/s) with one force model.

    ``t_start``, ``t_stop``: TDB seconds, one value for all orbits or one per orbit (M,).
    ``rtol``, ``atol_km``, ``impact_altitude_km``, ``fixed_step_s``, ``method`` as in ``propagate``;
    ``names``: M trajectory names (default ``orbit-<i>``); ``workers``: processes (default: the
    cores available; 1 runs in this process); ``progress(done, total)`` as orbits finish.
    Returns M ``PropagationResult`` in input order, each identical to ``propagate`` of that orbit.
    """
    states = np.array(states0, dtype=np.float64)
    if states.ndim != 2 or states.shape[1] != 6 or states.shape[0] == 0:
        raise InputError("states0", f"must be an (M, 6) array of states (km, km/s), got shape {np.shape(states0)}")
    m = states.shape[0]
    if not np.all(np.isfinite(states)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(states), axis=1))[0])
        raise InputError("states0", f"orbit {bad}: state must be 6 finite numbers (km, km/s)")
    t0 = _span(t_start, m, "t_start")
    t1 = _span(t_stop, m, "t_stop")
    if np.any(t1 <= t0):
        raise InputError("t_stop", f"orbit {int(np.flatnonzero(t1 <= t0)[0])}: stop must be after start")
    impact_r = MOON_RADIUS_KM + float(impact_altitude_km)
    low = np.linalg.norm(states[:, :3], axis=1) <= impact_r
    if np.any(low):
        raise InputError("states0", f"orbit {int(np.flatnonzero(low)[0])}: initial radius is below the impact radius")
    if names is None:
        names = [f"orbit-{i}" for i in range(m)]
    names = [str(n) for n in names]
    if len(names) != m:
        raise InputError("names", f"need {m} names (one per orbit), got {len(names)}")
    if workers is None:
        workers = default_workers()
    workers = int(workers)
    if workers < 1:
        raise InputError("workers", f"{workers} must be >= 1")
    settings = {
        "states": states,
        "t_start": t0,
        "t_stop": t1,
        "force_model": force_model,
        "names": names,
        "options": {
            "rtol": rtol,
            "atol_km": atol_km,
            "impact_altitude_km": impact_altitude_km,
            "fixed_step_s": fixed_step_s,
            "method": method,
        },
    }
    workers = min(workers, m)
    if workers == 1 or m < PARALLEL_MIN_ORBITS or not _can_fork():
        results = []
        for i in range(m):
            results.append(_run_one(i, settings))
            if progress is not None:
                progress(i + 1, m)
        return results
    spans = sorted(set(zip(t0.tolist(), t1.tolist())))
    if len(spans) >= ARGS_CACHE_SIZE:
        force_model.args(float(t0.min()), float(t1.max()))  # span and data errors surface here, once
    # compile (or load) the integrator for this force model here, once, instead of in every worker
    propagate(states[0], float(t0[0]), float(t0[0]) + WARMUP_SPAN_S, force_model, **settings["options"])
    if len(spans) < ARGS_CACHE_SIZE:
        # the argument tuples (span fits) of the orbits' spans, built once here: the forked
        # workers find them in propagate's cache instead of each building them per orbit
        for a, b in spans:
            force_args(force_model, a, b, impact_r)
    with _SHARED_LOCK:
        _SHARED.clear()
        _SHARED.update(settings)
        try:
            return _run_forked(_SHARED, m, workers, progress)
        finally:
            _SHARED.clear()
