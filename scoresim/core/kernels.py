"""Twin numba kernels: one Python function compiled parallel and serial, picked by size.

A ``parallel=True`` kernel pays a launch: waking the worker threads and waiting for the
slowest. On the 2-core machine of ``benchmarks/bench_parallel_launch.py`` that costs a few
microseconds when the threads are awake and idle cores wait, but milliseconds (a scheduler
time slice, 4-8 ms, or more) when other processes keep the cores busy, against well under a
microsecond for the same kernel over a few items run serially. :func:`twin` compiles a
kernel both ways from the same Python function and runs the serial one for societies of
fewer than :data:`SERIAL_BELOW` citizens, or when numba has one thread.

The size a twin is given is the number of citizens of the society it works for (the rows
of the network), not the count of its own items: all of a step's kernels then run the same
way. Mixing costs more than either: worker threads left idle through serial kernels fall
asleep, and the next parallel kernel must wake them (``benchmarks/bench_kernels.py``, 4,000
citizens with two other processes spinning: 104 ms a step with the tie kernels serial and
the gathers parallel, 8 ms all serial, 6-226 ms all parallel).

Numba's on-disk cache keys a function's entries by its file, qualified name and first line,
and within that by signature and bytecode, not by the ``parallel`` flag: two dispatchers of
one function would read each other's machine code. The serial twin is therefore compiled
from a copy of the function with its own qualified name (``NAME.serial``), so that each
twin has its own cache file.

Kernels take their arrays and constants grouped in ``typing.NamedTuple`` s and bind each
field they use to a local variable, one field a statement, before any ``prange`` loop:
numba's parallel loops lose writes made to an array reached through a named tuple's field
inside the loop, or bound by unpacking a tuple of fields (numba issues #5872 and #7135;
numba 0.68 still loses them). ``tests/test_kernels.py`` checks that serial and parallel
versions write the same.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

import numba
from numba import njit

__all__ = ["SERIAL_BELOW", "Twin", "twin"]

P = ParamSpec("P")
R = TypeVar("R")

# Measured on this 2-core machine (numba 0.68, OpenMP threading layer), medians unless said
# otherwise. ``benchmarks/bench_parallel_launch.py``, three runs:
# - a parallel launch over one item: idle, 1.3-4 us after 0.2-2 ms of other work, 63-117 us
#   after 20 ms (the threads went to sleep); under load (two other processes spinning),
#   medians from 1.3 us to 8 ms, means 0.3-7.6 ms, stalls of 8-20 ms;
# - a serial item: 0.21 ns (elementwise with one draw), 0.49-0.50 ns (a citizen or a tie
#   entry of a gather over ties), 54-67 ns (a binary search in a random row of a million);
# - the parallel version is faster, idle, from 16,384-32,768 items (elementwise),
#   8,192-16,384 (gather) and 512-1,024 (search); under load from 65,536 items or not below
#   524,288 (elementwise), from 8,192 or not below 524,288 (gather), from 8,192-65,536
#   (search).
# ``benchmarks/bench_kernels.py --compare forced`` (social-credit, every twin serial against
# every twin parallel; ``_earn`` of the economy stays parallel): idle, all parallel is faster
# from about 2,000 citizens (serial / parallel step: 0.93 at 1,000 citizens, 1.02 at 2,000,
# 1.11 at 4,000, 1.27 at 10,000, 1.35 at 30,000, 1.41 at 60,000, 1.58 at 200,000); under
# load, two runs, all parallel is erratic, threads sometimes staying awake, and all serial
# never much slower (parallel / serial step: 28 at 4,000 citizens, 0.9-15 at 20,000, 1.8-7
# at 60,000, 2.3-2.5 at 200,000).

#: Citizens from which twins run in parallel: the idle crossover of the per-citizen
#: elementwise kernels (16,384-32,768 items). Smaller societies (tests, examples, small
#: sweeps) run every twin serially: 10-35% slower a step idle, up to 28 times faster under
#: load.
SERIAL_BELOW = 1 << 15


def _renamed(fn: Callable[P, R], suffix: str) -> Callable[P, R]:
    """A copy of ``fn`` (same code, globals, defaults) whose qualified name ends in ``suffix``."""
    copy = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
    )
    copy.__kwdefaults__ = fn.__kwdefaults__
    copy.__module__ = fn.__module__
    copy.__doc__ = fn.__doc__
    copy.__annotations__ = dict(fn.__annotations__)
    copy.__qualname__ = f"{fn.__qualname__}.{suffix}"
    return copy


class Twin(Generic[P, R]):
    """A kernel compiled twice from one Python function: parallel and serial.

    Call it with the society's size first: ``kernel(size, *args)`` runs the serial version
    when ``size < serial_below`` or numba has a single thread (a launch would buy nothing),
    else the parallel one. Both give the same results wherever the kernel's output does not
    depend on how its loop is split (per-item writes, integer counts); float sums reduced
    across a ``prange`` do depend on it, so such a kernel must not be a twin.

    Args:
        fn: The kernel, written with ``prange`` loops.
        serial_below: Size from which the parallel version runs.
        options: Further ``numba.njit`` options (``cache=True`` is the default).

    Attributes:
        parallel: The ``njit(parallel=True)`` dispatcher.
        serial: The ``njit(parallel=False)`` dispatcher (``prange`` runs as ``range``).
        serial_below: Size from which the parallel version runs.
    """

    def __init__(
        self, fn: Callable[P, R], serial_below: int = SERIAL_BELOW, **options: Any
    ) -> None:
        options.setdefault("cache", True)
        self.py_func = fn
        self.parallel: Callable[P, R] = njit(parallel=True, **options)(fn)
        self.serial: Callable[P, R] = njit(parallel=False, **options)(_renamed(fn, "serial"))
        self.serial_below = serial_below
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__

    def pick(self, size: int) -> Callable[P, R]:
        """The version to run for a society of ``size`` citizens.

        Serial below ``serial_below`` or with one thread, else parallel.
        """
        if size < self.serial_below or numba.get_num_threads() == 1:
            return self.serial
        return self.parallel

    def __call__(self, size: int, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the version :meth:`pick` chooses for ``size`` citizens on the arguments."""
        return self.pick(size)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Twin({self.__qualname__}, serial_below={self.serial_below})"


@overload
def twin(fn: Callable[P, R], /) -> Twin[P, R]: ...


@overload
def twin(
    *, serial_below: int = SERIAL_BELOW, **options: Any
) -> Callable[[Callable[P, R]], Twin[P, R]]: ...


def twin(
    fn: Callable[P, R] | None = None, /, *, serial_below: int = SERIAL_BELOW, **options: Any
) -> Twin[P, R] | Callable[[Callable[P, R]], Twin[P, R]]:
    """Decorator making a :class:`Twin` of a kernel: ``@twin`` or ``@twin(serial_below=N)``.

    Args:
        fn: The kernel (when used without parentheses).
        serial_below: Size from which the parallel version runs.
        options: Further ``numba.njit`` options.

    Returns:
        The twin, or a decorator making one.
    """
    if fn is not None:
        return Twin(fn, serial_below, **options)

    def make(f: Callable[P, R]) -> Twin[P, R]:
        return Twin(f, serial_below, **options)

    return make
