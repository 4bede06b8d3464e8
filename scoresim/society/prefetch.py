"""Software prefetch for numba kernels that gather values of each citizen's friends.

A gather ``values[indices[q]]`` over the ties misses the cache for most ties that leave the
community once the society outgrows the cache (about 1M citizens); the CPU overlaps only a
few such misses. Asking for ``values[indices[q + PREFETCH_AHEAD]]`` while using entry ``q``
keeps many misses in flight: at 10M citizens a two-value gather over the ties took 0.35 s
without, 0.15 s 64 entries ahead and 0.11 s 128-512 ahead (benchmarks/bench_all.py,
module times).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["PREFETCH_AHEAD", "prefetch"]

#: How many tie entries ahead kernels prefetch.
PREFETCH_AHEAD = 192


@intrinsic
def _prefetch(typingctx: Any, arr: Any, index: Any) -> Any:
    """Hint that element ``index`` of C-contiguous ``arr`` (counted flat) will be read soon.

    Compiles to LLVM's ``llvm.prefetch`` (read, high locality); it never faults and does not
    change results.
    """
    if not isinstance(arr, types.Array) or not isinstance(index, types.Integer):
        return None
    sig = types.void(arr, index)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, fnty, "llvm.prefetch.p0i8"
        )
        builder.call(fn, [i8p, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


#: Called from kernels as ``prefetch(arr, index)``; typed here for checkers, which do not see
#: through numba's intrinsic decorator.
prefetch: Callable[[Any, int], None] = _prefetch  # type: ignore[assignment]
