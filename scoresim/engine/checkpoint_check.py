"""What a checkpoint must be before any kernel sees it.

The numba kernels trust their arrays: a tie pointing past the population, or an ``indptr``
that runs backwards, reads memory that is not there and kills the process. A checkpoint is
a file someone may have crafted or truncated, so every array the kernels and the engine
index by is checked here first: shapes, dtypes, ranges, the network's CSR invariants
(rows that start at 0, never run backwards, end at the number of ties, list each friend
once in ascending order, never the citizen themself, and agree in both directions), and
the metadata's fields, the per-citizen states' types (the society's and each module's
declared ones) and the ranges of those the engine indexes by (occupation, community,
parent, 0/1 flags), the ego networks' ids, and the snapshots' names.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.core import registry
from scoresim.society.people import OCCUPATIONS

__all__ = ["SOCIETY_DTYPES", "check_checkpoint"]

#: The society's own per-citizen arrays, with the dtypes ``society.population`` gives them
#: (the kernels are compiled for these).
SOCIETY_DTYPES: dict[str, np.dtype[Any]] = {
    "alive": np.dtype(np.uint8),
    "age": np.dtype(np.float32),
    "income": np.dtype(np.float32),
    "assets": np.dtype(np.float32),
    "occupation": np.dtype(np.uint8),
    "independence": np.dtype(np.float32),
    "dissenter": np.dtype(np.uint8),
    "community": np.dtype(np.int32),
    "generation": np.dtype(np.uint16),
    "parent": np.dtype(np.int32),
}
#: The ego networks' tables and columns, as ``engine.ego.capture`` makes them.
EGO_COLUMNS = {
    "nodes": ("ego", "step", "node", "dissenter", "alive", "score"),
    "ties": ("ego", "step", "u", "v"),
}
#: Snapshot arrays: ``snap:STEP:STATE`` (per-citizen state) and ``ties:STEP:u|v``.
_SNAPSHOT_KEY = re.compile(r"(snap|ties):(\d{1,9}):(.+)")


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
    if len(set(meta["modules"])) != len(meta["modules"]):
        _fail(source, "metadata field 'modules' names a module twice")
    # Fills are given to citizens born later, into arrays of the states' dtypes.
    for value in meta["fills"].values():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            _fail(source, "metadata field 'fills' must give each state a finite number")


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


def _states(people: dict[str, NDArray[Any]], modules: list[str], n: int, source: str) -> None:
    """The states the run's code expects, with their dtypes; the ranges of index states."""
    declared = dict(SOCIETY_DTYPES)
    known = registry.known()
    for name in modules:
        if name in known:  # a plugin's module, not imported, is refused by the loader
            declared.update({s.name: np.dtype(s.dtype) for s in known[name].states})
    for name, dtype in declared.items():
        have = people.get(f"people:{name}")
        if have is None:
            _fail(source, f"the per-citizen state {name!r} is missing")
        elif have.dtype != dtype:
            _fail(source, f"people:{name} is {have.dtype}, the run's code keeps it as {dtype}")
    if n == 0:
        return
    # Values the engine and the kernels index by, or test as flags.
    bounds = {
        "alive": (0, 1),
        "dissenter": (0, 1),
        "occupation": (0, len(OCCUPATIONS) - 1),
        "community": (0, n - 1),
        "parent": (-1, n - 1),
    }
    for name, (lo, hi) in bounds.items():
        values = people[f"people:{name}"]
        if values.min() < lo or values.max() > hi:
            _fail(source, f"people:{name} must hold values from {lo} to {hi}")


def _egos(arrays: dict[str, NDArray[Any]], n: int, source: str) -> None:
    """The ego networks at the start: the tables ``capture`` makes, of citizens' ids."""
    parts: dict[str, dict[str, NDArray[Any]]] = {}
    for key, value in arrays.items():
        if key.startswith("ego:"):
            pieces = key.split(":", 2)
            if len(pieces) != 3:
                _fail(source, f"{key[:60]!r} is no column of the ego networks")
            parts.setdefault(pieces[1], {})[pieces[2]] = value
    if not parts:
        return
    if {p: tuple(sorted(c)) for p, c in parts.items()} != {
        p: tuple(sorted(c)) for p, c in EGO_COLUMNS.items()
    }:
        _fail(source, "the ego networks' tables are not those the run keeps")
    for part, cols in parts.items():
        lengths = {c.shape for c in cols.values()}
        if len(lengths) != 1 or len(next(iter(lengths))) != 1:
            _fail(source, f"the ego networks' {part} columns differ in length")
        ids = [cols[c] for c in ("ego", "node", "u", "v") if c in cols]
        for col in ids:
            if col.dtype.kind not in "iu" or (col.size and (col.min() < 0 or col.max() >= n)):
                _fail(source, "the ego networks must name citizens by id")


def _snapshots(arrays: dict[str, NDArray[Any]], t: int, source: str) -> None:
    for key in arrays:
        if key.startswith(("snap:", "ties:")):
            match = _SNAPSHOT_KEY.fullmatch(key)
            if match is None or int(match.group(2)) >= t:
                _fail(source, f"{key[:60]!r} is no snapshot of a month the run has done")


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
    burn = arrays.get("burn_in_measures")
    if burn is not None and (burn.ndim != 2 or burn.dtype.kind != "f"):
        _fail(source, "burn_in_measures must be a table of numbers")
    if measures.dtype.kind != "f":
        _fail(source, "measures must be numbers")
    _states(people, meta["modules"], n, source)
    _egos(arrays, n, source)
    _snapshots(arrays, t, source)
