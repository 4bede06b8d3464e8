"""What a checkpoint must be before any kernel sees it.

The numba kernels trust their arrays: a tie pointing past the population, or an ``indptr``
that runs backwards, reads memory that is not there and kills the process. A checkpoint is
a file someone may have crafted or truncated, so every array the kernels and the engine
index by is checked here first: shapes, dtypes, ranges, the network's CSR invariants
(rows that start at 0, never run backwards, end at the number of ties, list each friend
once in ascending order, never the citizen themself, and agree in both directions), and
the metadata's fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_checkpoint"]


def _fail(source: str, what: str) -> None:
    raise ValueError(f"{source}: not a valid checkpoint: {what}")


def _meta(meta: Any, source: str) -> None:
    if not isinstance(meta, dict):
        _fail(source, "its metadata is not an object")
    kinds: dict[str, type | tuple[type, ...]] = {
        "t": int,
        "scenario": dict,
        "modules": list,
        "fills": dict,
        "started": (int, float),
    }
    for key, kind in kinds.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            _fail(source, f"metadata field {key!r} is missing or of the wrong type")
    if not all(isinstance(m, str) for m in meta["modules"]):
        _fail(source, "metadata field 'modules' must list module names")


def _network(indptr: NDArray[Any], indices: NDArray[Any], n: int, source: str) -> None:
    if indptr.ndim != 1 or indptr.dtype.kind not in "iu" or indptr.size != n + 1:
        _fail(source, f"net:indptr must be {n + 1} integers (one more than the citizens)")
    if indices.ndim != 1 or indices.dtype.kind not in "iu":
        _fail(source, "net:indices must be integers")
    if indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0):
        _fail(source, "net:indptr must start at 0, never decrease and end at the ties' count")
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        _fail(source, f"a tie points outside the population (ids 0 to {n - 1})")
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr).astype(np.int64))
    if np.any(rows == indices):
        _fail(source, "a citizen is their own friend")
    starts = np.zeros(indices.size, dtype=bool)
    starts[indptr[:-1][np.diff(indptr) > 0]] = True
    if indices.size > 1 and np.any(np.diff(indices.astype(np.int64))[~starts[1:]] <= 0):
        _fail(source, "a row of net:indices is not in ascending order without repeats")
    forward = rows * n + indices
    backward = np.sort(indices.astype(np.int64) * n + rows)
    if not np.array_equal(forward, backward):
        _fail(source, "the ties are not symmetric (u lists v but v does not list u)")


def check_checkpoint(arrays: dict[str, NDArray[Any]], meta: Any, source: str) -> None:
    """Check a checkpoint's arrays and metadata (see the module's docstring).

    Raises:
        ValueError: The first problem, in one line.
    """
    _meta(meta, source)
    people = {k: v for k, v in arrays.items() if k.startswith("people:")}
    if not people:
        _fail(source, "it holds no citizens")
    sizes = {v.shape for v in people.values()}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        _fail(source, "the citizens' arrays differ in length or are not one-dimensional")
    n = next(iter(sizes))[0]
    # Only the imported network's original ids may be text.
    bad = sorted(
        k
        for k, v in arrays.items()
        if v.dtype.kind not in ("biufU" if k == "external_ids" else "biuf")
    )
    if bad:
        _fail(source, f"arrays of an unsupported type: {', '.join(bad[:3])}")
    for key in ("net:indptr", "net:indices", "measures", "egos"):
        if key not in arrays:
            _fail(source, f"array {key!r} is missing")
    _network(arrays["net:indptr"], arrays["net:indices"], n, source)
    t = meta["t"]
    measures = arrays["measures"]
    if measures.ndim != 2 or measures.shape[0] != t:
        _fail(
            source,
            f"measures hold {measures.shape[0] if measures.ndim else 0} months, "
            f"but the run had completed {t}",
        )
    egos = arrays["egos"]
    if (
        egos.ndim != 1
        or egos.dtype.kind not in "iu"
        or (egos.size and (egos.min() < 0 or egos.max() >= n))
    ):
        _fail(source, "egos must be citizen ids")
