"""What a ``parallel=True`` launch costs against a serial loop, idle and under load.

Measures, with the twins of ``scoresim.core.kernels`` (one Python function compiled
parallel and serial):

1. the launch overhead: a trivial ``prange`` kernel over one item, parallel minus serial;
2. the serial cost per item of an elementwise kernel with one draw per item (like the
   modules' per-citizen kernels), of a gather over ties (like the score's; an item is a
   citizen or a tie entry) and of a binary search in a random row (like the tie edits');
3. the crossover: for each kernel, serial and parallel times over a range of sizes and the
   smallest size from which the parallel one is faster.

Each call follows ``--gap`` milliseconds of busy Python work, as a kernel in a step follows
numpy work (threads that were idle have gone to sleep: the launch wakes them). Medians of
``--repeats`` calls, serial and parallel alternating. "Under load" runs the same while two
other processes spin on the cores (a sweep's workers, a test run). The figures set
``SERIAL_BELOW`` in ``scoresim/core/kernels.py``.

Run: ``.venv/bin/python benchmarks/bench_parallel_launch.py [--repeats 40] [--gap 2]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numba
import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.kernels import Twin, twin
from scoresim.core.rng import uniform_at


@twin(cache=False)
def _touch(out: Any) -> None:
    for i in prange(out.size):
        out[i] += 1.0


@twin(cache=False)
def _draws(base: Any, score: Any, threshold: float) -> int:
    count = 0
    for i in prange(score.size):
        if score[i] >= threshold and uniform_at(base, i) < (score[i] - threshold) / 600.0:
            count += 1
    return count


@twin(cache=False)
def _gather(indptr: Any, indices: Any, values: Any, out: Any) -> None:
    for i in prange(indptr.size - 1):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            acc += values[indices[p]]
        out[i] = acc


@twin(cache=False)
def _search(indptr: Any, indices: Any, a: Any, b: Any, out: Any) -> None:
    for k in prange(a.size):  # a binary search of b[k] in row a[k], as tie edits do
        lo = indptr[a[k]]
        hi = indptr[a[k] + 1]
        while lo < hi:
            mid = (lo + hi) >> 1
            if indices[mid] < b[k]:
                lo = mid + 1
            else:
                hi = mid
        out[k] = lo


def _busy(seconds: float) -> None:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        pass


def _samples(
    calls: dict[str, Callable[[], object]], repeats: int, gap: float
) -> dict[str, NDArray[np.float64]]:
    """Seconds of each call, the calls alternating, each after ``gap`` s of work."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            _busy(gap)
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def _medians(calls: dict[str, Callable[[], object]], repeats: int, gap: float) -> dict[str, float]:
    """Median seconds of each call (see :func:`_samples`)."""
    return {k: float(np.median(t)) for k, t in _samples(calls, repeats, gap).items()}


def _csr(n: int, degree: int = 20) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """A CSR of ``n`` rows of ``degree`` sorted neighbours within +-500 ids (community order)."""
    rng = np.random.default_rng(1)
    indptr = np.arange(0, n * degree + 1, degree, dtype=np.int64)
    offsets = rng.integers(-500, 501, size=n * degree)
    indices = np.clip(np.repeat(np.arange(n), degree) + offsets, 0, n - 1).astype(np.int32)
    indices.reshape(n, degree).sort(axis=1)
    return indptr, indices


_BIG = _csr(1 << 20)  # searched by the search kernel: a million rows, 80 MB of ties


class Kind:
    """A class of kernels: the twin, its arguments for a size, the sizes to time."""

    def __init__(
        self,
        name: str,
        what: str,
        kernel: Twin[Any, Any],
        args: Callable[[int], tuple[Any, ...]],
        sizes: tuple[int, ...],
    ) -> None:
        self.name = name
        self.what = what
        self.kernel = kernel
        self.args = args
        self.sizes = sizes

    def versions(self, size: int) -> dict[str, Callable[[], object]]:
        """Calls of the serial and the parallel version over ``size`` items."""
        args = self.args(size)
        return {
            "serial": lambda: self.kernel.serial(*args),
            "parallel": lambda: self.kernel.parallel(*args),
        }


def _draw_args(size: int) -> tuple[Any, ...]:
    return np.uint64(7), np.random.default_rng(3).uniform(350, 950, size).astype(np.float32), 700.0


def _gather_args(size: int) -> tuple[Any, ...]:
    rows = max(size // 21, 1)  # a row of 20 ties is 21 items: the citizen and its ties
    indptr, indices = _csr(rows)
    return indptr, indices, np.random.default_rng(4).random(rows).astype(np.float32), np.empty(rows)


def _search_args(size: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(5)
    indptr, indices = _BIG
    a = rng.integers(0, indptr.size - 1, size)
    b = indices[indptr[a] + rng.integers(0, 20, size)]
    return indptr, indices, a, b, np.empty(size, dtype=np.int64)


KINDS = (
    Kind(
        "draws",
        "elementwise, one draw an item",
        _draws,
        _draw_args,
        tuple(1 << k for k in range(10, 22)),
    ),
    Kind(
        "gather",
        "a citizen or a tie entry of a gather over ties",
        _gather,
        _gather_args,
        tuple(1 << k for k in range(10, 22)),
    ),
    Kind(
        "search",
        "a binary search in a random row of a million",
        _search,
        _search_args,
        tuple(1 << k for k in range(4, 18)),
    ),
)
GAPS = (0.0002, 0.002, 0.02)


def launch(repeats: int) -> list[str]:
    """Table rows: the trivial kernel over one item after each gap, parallel and serial."""
    rows = []
    for gap in GAPS:
        t = _samples(
            {
                "serial": lambda: _touch.serial(np.zeros(1)),
                "parallel": lambda: _touch.parallel(np.zeros(1)),
            },
            5 * repeats,
            gap,
        )
        par, ser = t["parallel"] * 1e6, t["serial"] * 1e6
        rows.append(
            f"| {gap * 1e3:g} | {np.median(par):,.1f} | {par.mean():,.1f} "
            f"| {np.percentile(par, 90):,.1f} | {par.max():,.1f} | {np.median(ser):,.2f} |"
        )
    return rows


def per_item(kind: Kind, repeats: int) -> float:
    """Serial seconds per item at the kind's largest size."""
    size = kind.sizes[-1]
    return _medians({"x": kind.versions(size)["serial"]}, repeats, 0.0)["x"] / size


def crossover(
    kind: Kind, sizes: tuple[int, ...], repeats: int, gap: float
) -> list[tuple[int, dict[str, float]]]:
    """Per size: median seconds of the serial and the parallel version."""
    return [(size, _medians(kind.versions(size), repeats, gap)) for size in sizes]


def _first_parallel(rows: list[tuple[int, dict[str, float]]]) -> str:
    """The smallest size from which the parallel version is faster at every larger size."""
    first = None
    for size, t in rows:
        faster = t["parallel"] < t["serial"]
        if faster and first is None:
            first = size
        elif not faster:
            first = None
    return f"{first:,}" if first is not None else f"none up to {rows[-1][0]:,}"


@contextmanager
def load(processes: int) -> Iterator[None]:
    """Keep ``processes`` other processes spinning on the cores for the duration."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)
    ]
    time.sleep(0.5)
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def report(title: str, repeats: int, gap: float, full: bool) -> list[str]:
    """Markdown lines of one condition (idle or loaded)."""
    lines = [
        f"### {title}",
        "",
        "A kernel over one item, after some milliseconds of other work (us):",
        "",
        "| gap (ms) | parallel median | mean | p90 | max | serial median |",
        "|---:|---:|---:|---:|---:|---:|",
        *launch(repeats),
        "",
    ]
    if full:
        lines += ["Serial cost per item:", ""]
        lines += [f"- {k.name}: {per_item(k, repeats) * 1e9:.2f} ns ({k.what})" for k in KINDS]
        lines.append("")
    for kind in KINDS:
        sizes = kind.sizes if full else kind.sizes[::3]
        rows = crossover(kind, sizes, repeats if full else max(repeats // 4, 5), gap)
        lines += [
            f"{kind.name}: medians (us) after {gap * 1e3:g} ms of other work; parallel faster "
            f"from {_first_parallel(rows)} items.",
            "",
            "| items | serial (us) | parallel (us) |",
            "|---:|---:|---:|",
            *(
                f"| {size:,} | {t['serial'] * 1e6:,.1f} | {t['parallel'] * 1e6:,.1f} |"
                for size, t in rows
            ),
            "",
        ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--repeats", type=int, default=40, help="calls per median")
    ap.add_argument("--gap", type=float, default=2.0, help="ms of busy work before each call")
    ap.add_argument("--load", type=int, default=2, help="spinning processes for 'under load'")
    ap.add_argument("--out", help="also write the Markdown here")
    args = ap.parse_args()
    gap = args.gap / 1e3
    idle = report("Idle", args.repeats, gap, full=True)
    lines = [
        f"## Parallel launch ({numba.get_num_threads()} threads, "
        f"threading layer {numba.threading_layer()})",  # type: ignore[attr-defined]
        "",
        *idle,
    ]
    with load(args.load):
        lines += report(f"Under load ({args.load} spinning processes)", args.repeats, gap, False)
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
