"""What numba does not offer the lanes kernels: stack arrays, the fused multiply-add, and
compiling with LLVM's SLP vectoriser.

``fma(a, b, c)`` is a·b + c with one rounding (``llvm.fma.f64``, one instruction on x86-64 with
FMA3, vectorised with the loop around it). The gravity kernels use it where written instead of
letting the compiler contract a·b + c where it likes (``fastmath={"contract"}``): contraction is
decided per compiled function, after inlining, so the same source summed in two functions (the
one-orbit kernel and the lanes kernel) could round differently; written FMAs round the same
everywhere.

Fixed-size float64 scratch arrays on the stack of a numba function:

``np.empty`` inside a compiled function is a heap allocation with a reference count (~18 ns,
and atomic counting on every hand-over). The lane kernels (:mod:`lunarscope.dynamics.rkn12_lanes`)
need ~30 small arrays per call; as stack arrays (LLVM ``alloca`` in the caller's entry block,
no reference count) they cost nothing, and LLVM knows that no two of them alias, so the loops
over the lanes vectorize (with :func:`njit_slp`; ``benchmarks/rhs_breakdown.py``).

``stack_empty1(n)`` / ``stack_empty2(n0, n1)`` / ``stack_empty3(n0, n1, n2)`` with integer
constants (module-level ints are constants to numba) returns an uninitialised C-contiguous
array of that shape that lives until the function that calls it returns: call it in the kernel
that uses the array, never in a helper that returns it.
"""

from __future__ import annotations

import contextlib

from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.core import config as numba_config
from numba.core.compiler_lock import global_compiler_lock
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array


def _typed(dims):
    """(array type, codegen) of a stack array of the literal shape ``dims``, or None."""
    if not all(isinstance(d, types.IntegerLiteral) for d in dims):
        return None
    shape = [int(d.literal_value) for d in dims]
    arr_t = types.Array(types.float64, len(shape), "C")

    def codegen(context, builder, signature, args):
        f64 = context.get_value_type(types.float64)
        n = 1
        for d in shape:
            n *= d
        data = builder.bitcast(cgutils.alloca_once(builder, ir.ArrayType(f64, n)), f64.as_pointer())
        intp = context.get_value_type(types.intp)
        strides, step = [], 8
        for d in reversed(shape):
            strides.insert(0, ir.Constant(intp, step))
            step *= d
        ary = make_array(arr_t)(context, builder)
        populate_array(
            ary,
            data=data,
            shape=[ir.Constant(intp, d) for d in shape],
            strides=strides,
            itemsize=ir.Constant(intp, 8),
            meminfo=None,
        )
        return ary._getvalue()

    return arr_t(*dims), codegen


@intrinsic
def stack_empty1(typingctx, n):
    """Uninitialised float64 array (n,) on the stack (n a constant)."""
    return _typed((n,))


@intrinsic
def stack_empty2(typingctx, n0, n1):
    """Uninitialised float64 array (n0, n1) on the stack (constants)."""
    return _typed((n0, n1))


@intrinsic
def stack_empty3(typingctx, n0, n1, n2):
    """Uninitialised float64 array (n0, n1, n2) on the stack (constants)."""
    return _typed((n0, n1, n2))


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (float64)."""
    if not all(isinstance(x, types.Float) for x in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        f64 = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f64], ir.FunctionType(f64, [f64, f64, f64]))
        vals = [context.cast(builder, v, t, types.float64) for v, t in zip(args, signature.args)]
        return builder.call(fn, vals)

    return types.float64(a, b, c), codegen


@contextlib.contextmanager
def _slp_vectorize():
    """numba's compilations with LLVM's superword-level vectoriser on (numba leaves it off:
    ``NUMBA_SLP_VECTORIZE``); numba reads the flag per compilation, so it is set for the
    compilation only, under numba's compiler lock (nothing else compiles meanwhile)."""
    with global_compiler_lock:
        old = numba_config.SLP_VECTORIZE
        numba_config.SLP_VECTORIZE = 1
        try:
            yield
        finally:
            numba_config.SLP_VECTORIZE = old


def njit_slp(**options):
    """``numba.njit(**options)`` whose every compilation — a call from Python or a caller being
    compiled, whoever comes first — runs with the SLP vectoriser on. The lane loops have constant
    trip counts; LLVM unrolls them completely, and only this pass turns the unrolled lanes into
    vector instructions (10x10 field sum over 8 points: ~22 ns per point with it, ~120 without;
    ``benchmarks/rhs_breakdown.py``)."""

    def decorate(fn):
        dispatcher = njit(**options)(fn)
        compile_default = dispatcher.compile

        def compile_slp(sig):
            with _slp_vectorize():
                return compile_default(sig)

        dispatcher.compile = compile_slp  # numba compiles through this method on every path
        return dispatcher

    return decorate
