"""Turning an edge list's two id columns into node numbers and the label of each node.

Every id is read as text first and only then, if every id in the file is an integer,
turned into an integer of an exact type (int64, else uint64, else Python ints): a type
inferred from a sample would turn ids past 2**63 into float64, and merge them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from scoresim.core.errors import InputError

__all__ = ["first_true", "node_labels"]

#: An integer id; ASCII digits only (Python's ``int`` also takes "1_000" and other scripts).
_INT = r"^[+-]?[0-9]+$"
#: A number that is not an integer (a point or an exponent).
_DECIMAL = r"^[+-]?(([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)$"
#: Control characters (C0, DEL and C1), which no printable id holds (RE2 syntax).
_CONTROL = r"[\x00-\x1f\x7f\x{80}-\x{9f}]"
_SHOWN = 40  # characters of a bad value quoted in a message
#: Longest integer id: Python refuses to parse ints of more than 4300 digits by default.
_MAX_DIGITS = 100


def _show(value: Any) -> str:
    """A bad value for a one-line message: quoted, escaped, and cut if long."""
    if not isinstance(value, str):
        return str(value)
    text = repr(value[:_SHOWN])
    return text + "..." if len(value) > _SHOWN else text


def first_true(mask: pa.ChunkedArray) -> int:
    """Index of the first true entry of a boolean column."""
    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


def _first_bad(
    a: pa.ChunkedArray, b: pa.ChunkedArray, bad: list[pa.ChunkedArray]
) -> tuple[int, Any]:
    """Row index and value of the first bad id, in file order (row by row)."""
    rows = [first_true(m) if pc.any(m).as_py() else a.length() for m in bad]
    col = 0 if rows[0] <= rows[1] else 1
    return rows[col], (a, b)[col][rows[col]].as_py()


def _refuse_any(
    path: Path,
    a: pa.ChunkedArray,
    b: pa.ChunkedArray,
    first_row: int,
    bad: list[pa.ChunkedArray],
    why: str,
) -> None:
    """Refuse the first bad id, in file order, if there is one.

    Raises:
        InputError: Naming the id, its row in the file, and ``why``.
    """
    if any(pc.any(m).as_py() for m in bad):
        row, value = _first_bad(a, b, bad)
        raise InputError(f"{path}: node id {_show(value)} (row {row + first_row}) {why}")


def _is_text(col: pa.ChunkedArray) -> bool:
    return bool(pa.types.is_string(col.type) or pa.types.is_large_string(col.type))


def _cast_all(cols: list[pa.ChunkedArray]) -> tuple[NDArray[Any], NDArray[Any]] | None:
    """Both columns as int64 if every id fits, else as uint64 if every id fits, else None."""
    for kind in (pa.int64(), pa.uint64()):
        try:
            return cols[0].cast(kind).to_numpy(), cols[1].cast(kind).to_numpy()
        except (pa.ArrowInvalid, OverflowError):
            continue
    return None


def _exact_integers(
    path: Path, a: pa.ChunkedArray, b: pa.ChunkedArray, first_row: int
) -> tuple[NDArray[Any], NDArray[Any]] | None:
    """Both columns as integers of one exact type, or None if some id is not an integer.

    int64 where every id fits, else uint64, else an object array of Python ints: never
    float64, which cannot tell 2**63 from 2**63 + 1.

    Raises:
        InputError: An integer id of more than ``_MAX_DIGITS`` characters.
    """
    cols = [a, b]
    if any(_is_text(c) and not pc.all(pc.match_substring_regex(c, _INT)).as_py() for c in cols):
        return None
    out = _cast_all(cols)
    if out is None:
        # arrow's cast refuses "+5" (and takes "0x10", which the pattern above excludes)
        cols = [pc.replace_substring(c, "+", "") if _is_text(c) else c for c in cols]
        out = _cast_all(cols)
    if out is not None:
        return out
    # Past 64 bits: exact Python ints, converted once per distinct id.
    long = [
        pc.greater(pc.utf8_length(c), _MAX_DIGITS) if _is_text(c) else pc.is_null(c) for c in cols
    ]
    if any(pc.any(m).as_py() for m in long):
        row, value = _first_bad(a, b, long)
        raise InputError(
            f"{path}: node id {_show(value)} (row {row + first_row}) is an integer of "
            f"{len(value)} characters; integer ids may have at most {_MAX_DIGITS}"
        )
    big: list[NDArray[Any]] = []
    for col in cols:
        if _is_text(col):
            distinct = pc.unique(col)
            values = np.array([int(s) for s in distinct.to_pylist()], dtype=object)
            big.append(values[pc.index_in(col, value_set=distinct).to_numpy()])
        else:
            big.append(np.array(col.to_pylist(), dtype=object))
    return big[0], big[1]


def _declared_ids(
    path: Path, a: NDArray[Any], b: NDArray[Any], nodes: int, first_row: int
) -> NDArray[np.int64]:
    """Ids checked to be integers in ``[0, nodes)``: both columns, one after the other."""
    bad: list[NDArray[np.bool_]] = []
    for ids in (a, b):
        if ids.dtype == object:
            bad.append(np.array([not 0 <= int(x) < nodes for x in ids], dtype=bool))
        elif ids.dtype == np.uint64:
            bad.append(ids >= nodes)
        else:
            bad.append((ids < 0) | (ids >= nodes))
    if bad[0].any() or bad[1].any():
        rows = [int(np.argmax(m)) if m.any() else a.size for m in bad]
        col = 0 if rows[0] <= rows[1] else 1
        value = str((a, b)[col][rows[col]])
        value = value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
        raise InputError(
            f"{path}: node id {value} is outside 0..{nodes - 1} "
            f"(society.network.nodes = {nodes}; row {rows[col] + first_row})"
        )
    return np.concatenate([a.astype(np.int64), b.astype(np.int64)])


def _text_labels(
    path: Path, a: pa.ChunkedArray, b: pa.ChunkedArray, first_row: int
) -> tuple[NDArray[np.int64], NDArray[np.generic]]:
    """Text ids of both columns renumbered in sorted order: (new ids, label of each).

    Raises:
        InputError: An id that is a decimal number, or that holds a control character.
    """
    a, b = (c.cast(pa.large_string()) for c in (a, b))
    number = [pc.match_substring_regex(c, _DECIMAL) for c in (a, b)]
    why = "is a decimal number; node ids must be integers or text labels"
    _refuse_any(path, a, b, first_row, number, why)
    control = [pc.match_substring_regex(c, _CONTROL) for c in (a, b)]
    why = "holds a control character; node ids must be printable text"
    _refuse_any(path, a, b, first_row, control, why)
    # Comment lines are not supported; read as ties they would add nodes named "#".
    comment = [pc.starts_with(c, "#") for c in (a, b)]
    why = "starts with '#': comment lines are not supported (only a header row); delete them"
    _refuse_any(path, a, b, first_row, comment, why)
    ends = pa.chunked_array(a.chunks + b.chunks, type=pa.large_string())
    distinct = pc.unique(ends)
    labels = distinct.take(pc.sort_indices(distinct))
    inverse = pc.index_in(ends, value_set=labels).to_numpy().astype(np.int64)
    return inverse, np.asarray(labels.to_numpy(zero_copy_only=False), dtype=object)


def node_labels(
    path: Path, a: pa.ChunkedArray, b: pa.ChunkedArray, first_row: int, nodes: int | None
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Node number of every tie end (column ``a``'s, then ``b``'s) and the label of each node.

    Args:
        path: The file, named in messages.
        a: First ends of the ties, integers or text.
        b: Second ends of the ties.
        first_row: The file row of the first tie (1-based), for messages.
        nodes: If given, the ids must be the integers ``0..nodes-1``, and are the numbers.

    Raises:
        InputError: A decimal, overlong or non-printable id, or (with ``nodes``) an id that
            is not an integer in ``[0, nodes)``.
    """
    ints = _exact_integers(path, a, b, first_row)
    if nodes is not None:
        if ints is None:
            not_int = [
                pc.invert(pc.match_substring_regex(c, _INT)) if _is_text(c) else pc.is_null(c)
                for c in (a, b)
            ]
            row, value = _first_bad(a, b, not_int)
            raise InputError(
                f"{path}: society.network.nodes = {nodes} needs integer node ids "
                f"0..{nodes - 1}; found {_show(value)} (row {row + first_row})"
            )
        inverse = _declared_ids(path, ints[0], ints[1], nodes, first_row)
        return inverse, np.arange(nodes, dtype=np.int64)
    if ints is None:
        return _text_labels(path, a, b, first_row)
    labels, inverse = np.unique(np.concatenate(ints), return_inverse=True)
    return inverse, labels
