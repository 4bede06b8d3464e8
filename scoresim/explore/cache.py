"""Fast point lookups in snapshot files: row groups read on demand, whole columns cached.

A citizen lookup touches one row of the citizen's snapshot, a few hundred friends scattered
over the society, and the ties among them. Reading those through SQL scans row groups of
every friend's neighbourhood; at 10 million citizens that took 85 ms (median) and up to
0.6 s. Instead the explorer keeps, per recently used snapshot, the columns it needs in memory
(loaded from the Parquet file once) and the ties as CSR, so a lookup is array indexing.
The blacklist stays a DuckDB query: it is a scan by nature.
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from scoresim.explore.errors import UnreadableError, reading

__all__ = [
    "columns_of",
    "count_rows",
    "load_column",
    "load_columns",
    "load_ties",
    "name_of",
    "problem",
    "read_row",
]

#: Snapshots and tie files kept in memory at once (each is O(citizens) or O(ties)).
CACHED = 3
_READ_LOCK = threading.Lock()


def name_of(path: Path) -> str:
    """A snapshot file as messages name it: its name and its run's id, not where it is."""
    return f"{path.name} of run {path.parent.parent.name}"


def _numeric(kind: pa.DataType) -> bool:
    types = pa.types
    return bool(types.is_integer(kind) or types.is_floating(kind) or types.is_boolean(kind))


def problem(path: Path, ties: bool = False) -> str | None:
    """Why a snapshot (or, with ``ties``, a ties file) is unreadable, from its footer alone.

    Snapshots hold numbers only, one row per citizen; ties files the columns ``u`` and
    ``v``. A footer tells whether the file parses (truncation cuts it off), each column's
    type, and, where the writer kept statistics, whether any value is missing.

    Returns:
        What is wrong, in a few words without a path; None if nothing the footer tells.
    """
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except (OSError, pa.ArrowException) as exc:
        return f"corrupt or truncated: {type(exc).__name__}"
    if ties and not {"u", "v"} <= set(schema.names):
        return "of another layout: no u and v columns"
    for f in schema:
        if not _numeric(f.type):
            return f"of another layout: column {f.name[:40]!r} is {str(f.type)[:20]}, not numbers"
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            stats = group.column(c).statistics
            if stats is not None and stats.has_null_count and stats.null_count > 0:
                return f"column {group.column(c).path_in_schema[:40]!r} has missing values"
    return None


def _checked(table: pa.Table, path: Path) -> pa.Table:
    """``table`` if its columns are numbers without gaps (what every reader here assumes).

    The index checked the footer at start-up; this holds for a file replaced since, or one
    written without statistics.
    """
    for name, col in zip(table.column_names, table.columns, strict=True):
        if not _numeric(col.type) or col.null_count:
            why = "has missing values" if _numeric(col.type) else "is not numbers"
            raise UnreadableError(
                f"{name_of(path)} is unreadable (of another layout: column {name[:40]!r} {why})"
            )
    return table


@functools.lru_cache(maxsize=64)
def columns_of(path: Path) -> tuple[str, ...]:
    """The column names of a snapshot file (from its footer, checked as the index does).

    Raises:
        UnreadableError: If the footer does not parse, or tells of text or missing values.
    """
    why = problem(path)
    if why is not None:
        raise UnreadableError(f"{name_of(path)} is unreadable ({why})")
    with reading(name_of(path)):
        return tuple(pq.read_schema(path).names)


@functools.lru_cache(maxsize=CACHED)
def load_columns(path: Path) -> dict[str, NDArray[Any]]:
    """Every column of a snapshot file as numpy arrays (row ``i`` is citizen ``i``)."""
    with reading(name_of(path)):
        table = _checked(pq.read_table(path), path)
        return {c: table.column(c).to_numpy() for c in table.column_names}


@functools.lru_cache(maxsize=4 * CACHED)
def load_column(path: Path, name: str) -> NDArray[Any]:
    """One column of a snapshot file (a few bytes a citizen, without the others)."""
    with reading(name_of(path)):
        table = _checked(pq.read_table(path, columns=[name]), path)
        return np.asarray(table.column(name).to_numpy())


@functools.lru_cache(maxsize=CACHED)
def load_ties(path: Path) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """A ties file (directed entries sorted by ``u``) as CSR: (indptr, neighbours)."""
    with reading(name_of(path)):
        table = _checked(pq.read_table(path, columns=["u", "v"]), path)
        u = table.column("u").to_numpy()
        v = table.column("v").to_numpy().astype(np.int32, copy=False)
    if u.size and (int(u.min()) < 0 or int(v.min()) < 0):
        raise UnreadableError(f"{name_of(path)} is unreadable (negative citizen ids)")
    n = int(u.max()) + 1 if u.size else 0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return indptr, v


@functools.lru_cache(maxsize=64)
def _file(path: Path) -> tuple[pq.ParquetFile, list[int]]:
    with reading(name_of(path)):
        f = pq.ParquetFile(path)
    starts = [0]
    for g in range(f.metadata.num_row_groups):
        starts.append(starts[-1] + f.metadata.row_group(g).num_rows)
    return f, starts


def count_rows(path: Path) -> int:
    """How many rows (citizens) a snapshot file holds, from its footer."""
    return _file(path)[1][-1]


def read_row(path: Path, row: int, columns: Sequence[str]) -> dict[str, Any] | None:
    """One row of a snapshot, reading only its row group (None if out of range)."""
    f, starts = _file(path)
    if not 0 <= row < starts[-1]:
        return None
    g = bisect.bisect_right(starts, row) - 1
    with reading(name_of(path)), _READ_LOCK:  # one ParquetFile per path; requests in threads
        table = f.read_row_group(g, columns=list(columns))
    _checked(table, path)
    return {c: table.column(c)[row - starts[g]].as_py() for c in columns}
