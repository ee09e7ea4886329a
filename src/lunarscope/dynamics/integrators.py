"""Compiled Dormand–Prince 8(5,3) integrator with 7th-order dense output and events.

The method is DOP853 of E. Hairer, S. P. Nørsett and G. Wanner, *Solving Ordinary
Differential Equations I*, 2nd ed., Springer 1993, Sec. II.10 (the 8th-order
Dormand–Prince pair with the 5th- and 3rd-order embedded error estimators and the
7th-order continuous extension), as published in their Fortran code ``dop853.f``
(version of 2004). The Butcher coefficients below are the numerical values of that
publication; the step-size controller, the initial-step guess (``HINIT``) and the
dense-output formula (``CONTD8``) follow the same source (HNW II.4 and II.10).

Right-hand sides and event functions are numba-compiled functions received as
first-class arguments of the compiled integrator::

    @numba.njit(cache=True)
    def rhs(t, y, args):          # t [s], y (n,) float64, args: any tuple
        return dy                 # (n,) float64

    @numba.njit(cache=True)
    def event(t, y, args):        # terminal event: stops where it crosses + -> -
        return value              # float

Each distinct (rhs, event, args-type) combination compiles its own specialization of
the integrator once per process (numba caching may store it on disk).

Fixed-step option: the same 12-stage 8th-order DOP853 formula is applied with a
constant step ``fixed_step`` and no error control (the final step is shortened, or
stretched by at most 1 %, to land exactly on ``t_end``); dense output and events
work as in the adaptive mode.

Units are whatever the right-hand side uses (lunarscope uses km, km/s, s).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numba
import numpy as np
from numba.core.types.function_type import WrapperAddressProtocol
from numba.experimental.function_type import _get_wrapper_address

from lunarscope.errors import InputError

from .dop853_kernel import IntegrationStatus, dense_evaluate, dop853_kernel, no_event
from .dop853_tableau import DOP853_A, DOP853_C, DOP853_D, DOP853_E3, DOP853_E5, UNIT_ROUNDOFF
from .rkn12_kernel import hermite_evaluate, rkn12_kernel, velocity_dependence

__all__ = [
    "DOP853_A",
    "DOP853_C",
    "DOP853_D",
    "DOP853_E3",
    "DOP853_E5",
    "METHODS",
    "DenseSolution",
    "HermiteDenseSolution",
    "IntegrationResult",
    "IntegrationStatus",
    "integrate",
    "no_event",
]

DEFAULT_EVENT_TOL_S = 1e-6  # event times are located to 1 microsecond
DEFAULT_MAX_STEPS = 1_000_000


_CONTIGUITY_TOL_S = 1e-6  # arcs joined by DenseSolution.concatenate must meet within 1 µs

#: Integration methods: "dop853" (first-order systems, any rhs) and "rkn12" (RKN12(10) of
#: Dormand, El-Mikkawy & Prince 1987 for y = (r, v) whose acceleration does not depend on v).
METHODS = ("dop853", "rkn12")
#: "rkn12" refuses a rhs whose acceleration moves by more than this (relative) when v moves.
VELOCITY_FREE_REL_TOL = 1e-12


class DenseSolution:
    """Piecewise 7th-order DOP853 polynomials covering [t_start, t_stop] (or reversed).

    Calling it with a time array (M,) returns states (M, n); with a scalar, (n,).
    Step k covers [t_k, t_{k+1}); where arcs are concatenated (e.g. at an impulsive
    manoeuvre) the value at the joint comes from the later arc (right-continuous in
    the direction of integration). Times outside the span raise InputError.
    """

    def __init__(self, t_nodes, t_old, h, coefs, y_start=None):
        t_nodes = np.ascontiguousarray(t_nodes, dtype=np.float64)
        self.t_nodes = t_nodes
        self.t_old = np.ascontiguousarray(t_old, dtype=np.float64)
        self.h = np.ascontiguousarray(h, dtype=np.float64)
        self.coefs = np.ascontiguousarray(coefs, dtype=np.float64)
        self.direction = 1.0 if (len(t_nodes) < 2 or t_nodes[-1] >= t_nodes[0]) else -1.0
        self._keys = t_nodes * self.direction
        self._y_start = None if y_start is None else np.array(y_start, dtype=np.float64)

    @property
    def t_start(self) -> float:
        return float(self.t_nodes[0])

    @property
    def t_stop(self) -> float:
        return float(self.t_nodes[-1])

    @property
    def n_steps(self) -> int:
        return int(self.coefs.shape[0])

    def __call__(self, t):
        tq = np.asarray(t, dtype=np.float64)
        scalar = tq.ndim == 0
        tq = np.atleast_1d(tq).ravel()
        lo, hi = sorted((self.t_start, self.t_stop))
        if tq.size and (not np.all(np.isfinite(tq)) or tq.min() < lo or tq.max() > hi):
            raise InputError("t", f"times must lie in the integrated span [{lo!r}, {hi!r}] s")
        if self.n_steps == 0:  # zero-length span: only t_start is valid
            out = np.repeat(self._y_start[None, :], tq.size, axis=0)
        else:
            out = self._evaluate(tq)
        return out[0] if scalar else out

    def _evaluate(self, tq):
        return dense_evaluate(self._keys, self.t_old, self.h, self.coefs, self.direction, tq)

    @classmethod
    def concatenate(cls, pieces) -> DenseSolution:
        """Join arcs back to back (same direction, each starting where the last stops)."""
        pieces = [p for p in pieces]
        if not pieces:
            raise InputError("pieces", "need at least one DenseSolution")
        nonempty = [p for p in pieces if p.n_steps > 0] or pieces[:1]
        kinds = {type(p) for p in nonempty}
        if len(kinds) > 1:
            raise InputError("pieces", "cannot join arcs of different integration methods")
        cls = kinds.pop()
        direction = nonempty[0].direction
        for prev, nxt in itertools.pairwise(pieces):
            if abs(nxt.t_start - prev.t_stop) > _CONTIGUITY_TOL_S:
                raise InputError(
                    "pieces",
                    f"arc starting at {nxt.t_start!r} s does not continue the arc stopping at {prev.t_stop!r} s",
                )
        for p in nonempty:
            if p.n_steps > 0 and p.direction != direction:
                raise InputError("pieces", "all arcs must run in the same time direction")
        if len(nonempty) == 1:
            return nonempty[0]
        nodes = [nonempty[0].t_nodes]
        for p in nonempty[1:]:
            nodes.append(p.t_nodes[1:])
        # the joint node is the earlier arc's stop time; later polynomials keep their own
        # origin t_old, so a sub-microsecond mismatch is harmless.
        return cls(
            np.concatenate(nodes),
            np.concatenate([p.t_old for p in nonempty]),
            np.concatenate([p.h for p in nonempty]),
            np.concatenate([p.coefs for p in nonempty]),
        )

    def __add__(self, other):
        return DenseSolution.concatenate([self, other])


class HermiteDenseSolution(DenseSolution):
    """Piecewise degree-10 polynomials of the RKN12 integrator (coefs (K, 11, 3) of the position
    in x = (t − t_old)/h through r, v and the stage accelerations; velocity from the derivative).
    Same interface as DenseSolution."""

    def _evaluate(self, tq):
        return hermite_evaluate(self._keys, self.t_old, self.h, self.coefs, self.direction, tq)


@dataclass
class IntegrationResult:
    """Output of :func:`integrate`.

    t (K+1,) step-boundary times [s]; y (K+1, n) states there; dense the continuous
    solution; status an IntegrationStatus; event_time/event_state the terminal event
    (NaN when none fired); n_steps accepted steps; n_rhs right-hand-side calls.
    """

    t: np.ndarray
    y: np.ndarray
    dense: DenseSolution
    status: IntegrationStatus
    event_time: float
    event_state: np.ndarray
    n_steps: int
    n_rhs: int

    @property
    def success(self) -> bool:
        return self.status in (IntegrationStatus.SUCCESS, IntegrationStatus.EVENT)


def usable_rtol(rtol: float) -> float:
    """``rtol`` raised to 10 unit roundoffs where it is below (HNW dop853.f refuses less)."""
    return max(float(rtol), 10.0 * float(UNIT_ROUNDOFF))


def _is_compiled(fn) -> bool:
    return isinstance(fn, numba.core.registry.CPUDispatcher)


_KERNELS: dict = {}  # (method, args type) -> compiled kernel entry point
_ENTRIES: dict = {}  # (rhs, event, method, args fingerprint) -> (entry, rhs address, event address, v-check)
#: The last argument tuples seen, by identity: id -> (the tuple, its fingerprint, rhs functions
#: whose rkn12 velocity check it passed). A propagator hands the same cached tuple (its span fit)
#: to every arc and orbit, so these are looked up, not recomputed (~0.15 ms per kernel call).
_SEEN_ARGS: OrderedDict = OrderedDict()
SEEN_ARGS_SIZE = 16
_SEEN_LOCK = threading.Lock()  # propagate_many's threads share the table
_INT64_RANGE = (-(2**63), 2**63)  # Python ints numba types as int64


class _CompiledAddress(WrapperAddressProtocol):
    """A compiled rhs or event handed to the kernel as the address of its C wrapper for one
    signature: the kernel's FunctionType argument is then unboxed without numba's per-call
    compile-result lookups of a Dispatcher (~0.4 ms per kernel call, measured with
    ``benchmarks/bench_batch.py``'s 10x10 force model), but an exception raised inside the
    function cannot reach the caller (``integrate(..., fast_call=True)`` only)."""

    def __init__(self, fn, sig):
        self.fn = fn  # keeps the dispatcher (and its compiled code) alive
        self.sig = sig
        self.address = _get_wrapper_address(fn, sig)

    def __wrapper_address__(self):
        return self.address

    def signature(self):
        return self.sig


def _fingerprint(x):
    """A cheap key that determines numba's type of ``x`` (arrays: dtype, ndim, layout flags,
    writeable, aligned; tuples element by element); ``numba.typeof`` of a force model's argument
    tuple costs ~0.5 ms, this ~20 µs. Other objects fall back to ``numba.typeof``."""
    if isinstance(x, np.ndarray):
        f = x.flags
        return (x.dtype.str, x.ndim, f.c_contiguous, f.f_contiguous, f.writeable, f.aligned)
    if isinstance(x, tuple):
        return tuple(map(_fingerprint, x))
    if isinstance(x, bool) or isinstance(x, float) or isinstance(x, np.generic):
        return type(x)
    if isinstance(x, int):
        return (int, _INT64_RANGE[0] <= x < _INT64_RANGE[1])
    return numba.typeof(x)


def _seen(args) -> tuple:
    """(args, fingerprint, set of rhs whose velocity check passed) for this very tuple (identity:
    a tuple's arrays may be written in place, but not its numba type, and the velocity check
    of one tuple is kept, as its state is the same function)."""
    with _SEEN_LOCK:
        hit = _SEEN_ARGS.get(id(args))
        if hit is not None and hit[0] is args:
            return hit
    hit = (args, _fingerprint(args), set())
    with _SEEN_LOCK:
        _SEEN_ARGS[id(args)] = hit
        while len(_SEEN_ARGS) > SEEN_ARGS_SIZE:
            _SEEN_ARGS.popitem(last=False)
    return hit


def _kernel_entry(rhs, event, args, method="dop853", seen=None):
    """(kernel entry point, rhs address, event address, velocity check) for rhs/event/args,
    compiled or checked once per distinct argument type (see :func:`_kernel_for`); the velocity
    check (rkn12 only, else None) is :func:`velocity_dependence` typed with the rhs as a
    FunctionType, so that its on-disk cache index holds no Dispatcher types (numba cannot
    pickle those of functions gone from the process, and failed to save the index). ``seen``:
    ``_seen(args)`` when the caller has it already."""
    key = (rhs, event, method, (seen or _seen(args))[1])
    hit = _ENTRIES.get(key)
    if hit is not None:
        return hit
    entry, rsig, esig, vcheck = _compile_kernel(rhs, event, args, method)
    hit = (entry, _CompiledAddress(rhs, rsig), _CompiledAddress(event, esig), vcheck)
    _ENTRIES[key] = hit
    return hit


def _kernel_for(rhs, event, args, method="dop853"):
    """Compiled kernel taking rhs/event as first-class functions (numba FunctionType).

    Typing rhs and event as ``FunctionType`` (instead of numba's per-function
    ``Dispatcher`` type) makes one kernel serve every rhs with the same args type, and
    lets numba's on-disk cache reuse it across processes.
    """
    return _kernel_entry(rhs, event, args, method)[0]


def _compile_kernel(rhs, event, args, method):
    argty = numba.typeof(args)
    vec = numba.types.float64[::1]
    f64 = numba.types.float64
    rsig = vec(f64, vec, argty)
    esig = f64(f64, vec, argty)
    try:
        rhs.compile(rsig)
    except Exception as exc:  # numba typing errors have many classes
        raise InputError(
            "rhs",
            f"must compile as rhs(t: float64, y: float64[::1], args) -> float64[::1] for args of type {argty}: {exc}",
        ) from exc
    try:
        event.compile(esig)
    except Exception as exc:
        raise InputError(
            "event",
            f"must compile as event(t: float64, y: float64[::1], args) -> float64 for args of type {argty}: {exc}",
        ) from exc
    entry = _KERNELS.get((method, argty))
    if entry is None:
        ksig = (
            numba.types.FunctionType(rsig),
            numba.types.FunctionType(esig),
            f64,
            vec,
            f64,
            argty,
            f64,
            vec,
            f64,
            f64,
            numba.types.int64,
            f64,
            f64,
        )
        kern = rkn12_kernel if method == "rkn12" else dop853_kernel
        kern.compile(ksig)
        entry = kern.overloads[ksig].entry_point
        _KERNELS[(method, argty)] = entry
    vcheck = None
    if method == "rkn12":
        vsig = (numba.types.FunctionType(rsig), f64, vec, argty)
        velocity_dependence.compile(vsig)
        vcheck = velocity_dependence.overloads[vsig].entry_point
    return entry, rsig, esig, vcheck


def _check_velocity_free(rhs, t0, y0, args, vcheck, rhs_arg):
    """RKN needs rhs = (v, a(t, r)): refuse an acceleration that moves with v (at t0, y0; run
    once per rhs and argument tuple). ``vcheck``: the compiled velocity_dependence;
    ``rhs_arg``: rhs or its address."""
    a_scale = float(np.max(np.abs(rhs(t0, y0, args)[3:]))) or 1.0
    if vcheck(rhs_arg, t0, y0, args) > VELOCITY_FREE_REL_TOL * a_scale:
        raise InputError("method", "rkn12 needs an acceleration that does not depend on the velocity; use dop853")


def integrate(
    rhs,
    t0,
    y0,
    t_end,
    args=(),
    rtol=1e-10,
    atol=1e-12,
    max_step=np.inf,
    event=None,
    fixed_step=None,
    first_step=None,
    max_steps=DEFAULT_MAX_STEPS,
    event_tol=DEFAULT_EVENT_TOL_S,
    method="dop853",
    fast_call=False,
) -> IntegrationResult:
    """Integrate y' = rhs(t, y, args) from t0 to t_end with DOP853 (HNW 1993) or RKN12(10).

    rhs, event: numba ``@njit`` functions ``(t, y, args)``; args: a tuple passed through
    untouched. rtol scalar; atol scalar or (n,). max_step [s] caps |h|. event: terminal
    event, stops at its first + -> - crossing, located to event_tol [s] on the dense
    output. fixed_step [s] > 0: constant-step DOP853 without error control (rtol,
    atol, max_step and first_step are then unused). first_step [s] overrides the HNW
    initial-step guess; max_steps bounds attempted (accepted + rejected) steps.
    The dense output always costs 3 extra rhs calls per accepted step (counted in n_rhs).
    method "rkn12": the RKN12(10) Nyström pair (:mod:`.rkn12_kernel`) for y = (r, v) of 6
    components with rhs = (v, a(t, r)); 17 rhs calls per step, dense output from the stages for free
    (:class:`HermiteDenseSolution`); a rhs whose acceleration depends on v raises InputError
    (checked at the first call with each rhs and argument tuple).
    fast_call: hand rhs and event to the kernel by the address of their compiled C wrappers
    (saves ~0.4 ms per call); only for functions that cannot raise (an exception inside them
    would not reach the caller) — the propagator's force model.
    """
    if method not in METHODS:
        raise InputError("method", f"{method!r} must be one of {', '.join(METHODS)}")
    if not _is_compiled(rhs):
        raise InputError("rhs", "must be a numba @njit function rhs(t, y, args) -> dy")
    if event is None:
        event = no_event
    elif not _is_compiled(event):
        raise InputError("event", "must be a numba @njit function event(t, y, args) -> float")
    y0 = np.array(y0, dtype=np.float64)
    if y0.ndim != 1 or y0.size == 0 or not np.all(np.isfinite(y0)):
        raise InputError("y0", "must be a non-empty 1-D array of finite numbers")
    t0 = float(t0)
    t_end = float(t_end)
    if not (math.isfinite(t0) and math.isfinite(t_end)):
        raise InputError("t0/t_end", "must be finite")
    rtol = float(rtol)
    if not rtol > 0.0 or not math.isfinite(rtol):
        raise InputError("rtol", f"{rtol!r} must be > 0")
    rtol = usable_rtol(rtol)
    atol_arr = np.asarray(atol, dtype=np.float64)
    if atol_arr.ndim > 1 or (atol_arr.ndim == 1 and atol_arr.shape != y0.shape):
        raise InputError("atol", f"must be a scalar or have shape {y0.shape}")
    atol_arr = np.broadcast_to(atol_arr, y0.shape).copy()
    if np.any(~np.isfinite(atol_arr)) or np.any(atol_arr < 0.0):
        raise InputError("atol", "must be finite and >= 0 (scalar or one per component)")
    max_step = float(max_step)
    if not max_step > 0.0:
        raise InputError("max_step", f"{max_step!r} must be > 0")
    fs = 0.0
    if fixed_step is not None:
        fs = float(fixed_step)
        if not (fs > 0.0 and math.isfinite(fs)):
            raise InputError("fixed_step", f"{fixed_step!r} must be a finite step > 0 s")
    h0 = 0.0
    if first_step is not None:
        h0 = float(first_step)
        if not (h0 > 0.0 and math.isfinite(h0)):
            raise InputError("first_step", f"{first_step!r} must be > 0 s")
    if not isinstance(args, tuple):
        raise InputError("args", "must be a tuple")
    seen = _seen(args)
    kernel, rhs_c, event_c, vcheck = _kernel_entry(rhs, event, args, method, seen)
    if method == "rkn12":
        if y0.shape != (6,):
            raise InputError("method", f"rkn12 integrates y = (r, v) of 6 components, got {y0.shape[0]}")
        passed = seen[2]
        if rhs not in passed:  # once per rhs and argument tuple
            _check_velocity_free(rhs, t0, y0, args, vcheck, rhs_c if fast_call else rhs)
            passed.add(rhs)
    if fast_call:
        rhs, event = rhs_c, event_c
    (ts, ys, tolds, hs, coefs, status, t_ev, y_ev, n_steps, n_rhs) = kernel(
        rhs, event, t0, y0, t_end, args, rtol, atol_arr, max_step, h0, int(max_steps), fs, float(event_tol)
    )
    dense_cls = HermiteDenseSolution if method == "rkn12" else DenseSolution
    dense = dense_cls(ts, tolds, hs, coefs, y_start=y0)
    return IntegrationResult(
        t=ts,
        y=ys,
        dense=dense,
        status=IntegrationStatus(status),
        event_time=float(t_ev),
        event_state=y_ev,
        n_steps=int(n_steps),
        n_rhs=int(n_rhs),
    )
