"""Import of an anonymised network topology: a file of id pairs, and nothing else.

Text files are read by ``edgelist_text``, Parquet files by ``edgelist_parquet``; the ids
become node numbers and labels in ``edgelist_ids``. Here they are put together, checked
for a header and empty ids, and made a ``Network``, renumbered for locality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee

from scoresim.core.errors import InputError
from scoresim.society.edgelist_ids import first_true, node_labels
from scoresim.society.edgelist_parquet import read_parquet
from scoresim.society.edgelist_text import bare, is_header, read_text, sniff
from scoresim.society.network import Network

__all__ = ["read_edgelist"]


def _one_line(exc: BaseException) -> str:
    """A library's error message squeezed to one short line (it may quote file content)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:200] + "..."


def _read_pairs(path: Path) -> tuple[pa.ChunkedArray, pa.ChunkedArray, int]:
    """The two id columns, header removed, and the file row of their first entry (1-based).

    Text ids are stripped of surrounding whitespace; an empty id is an error.
    """
    if path.is_dir():
        raise InputError(f"{path}: edge list path is a directory, not a file")
    if path.exists() and not path.is_file():  # a pipe or a device: never read, never waited on
        raise InputError(f"{path}: edge list path is not a regular file")
    if not path.is_file():
        raise InputError(f"{path}: edge list file not found")
    first_row = 1
    try:
        kind, skip = sniff(path)
        if kind == "parquet":
            a, b = read_parquet(path)
        else:
            a, b = read_text(path, kind, skip)
            if a.length() and b.null_count == b.length():
                raise InputError(f"{path}: edge list needs two columns of node ids, found 1")
            a, b = bare(a), bare(b)
            if a.length() and is_header(a[0].as_py(), b[0].as_py()):
                header = a[0], b[0]
                a, b, first_row = a[1:], b[1:], 2
                # Files joined with `cat` repeat their header: as a tie it would add nodes.
                again = pc.and_(pc.equal(a, header[0]), pc.equal(b, header[1]))
                if pc.any(again).as_py():
                    row = first_true(again) + first_row
                    raise InputError(f"{path}: row {row} repeats the header row")
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read edge list: {_one_line(exc)}") from None
    if a.length() == 0:
        raise InputError(f"{path}: edge list has no ties")
    for col in (a, b):
        empty = pc.is_null(col)
        if pa.types.is_large_string(col.type) or pa.types.is_string(col.type):
            empty = pc.or_(empty, pc.equal(col, ""))
        if pc.any(empty).as_py():
            row = first_true(empty) + first_row
            raise InputError(f"{path}: edge list has empty node ids (row {row})")
    return a, b, first_row


def read_edgelist(
    path: Path, reorder: str = "rcm", nodes: int | None = None
) -> tuple[Network, NDArray[np.generic]]:
    """Read an undirected edge list and renumber its nodes ``0..n-1``.

    Text files: comma-separated (with CSV quoting) if the first non-blank line holds a
    comma; else tab-separated if it holds a tab (runs of tabs and spaces around a tab are
    one separator, so ids may hold spaces); else separated by runs of spaces and tabs.
    Leading and trailing blanks, a UTF-8 BOM, quotes and blank lines are ignored. The first
    row is a header, and skipped, when neither of its first two fields is a number; so a
    file of text ids needs a header row. Parquet files are recognised by their content.

    Ids are labels: integers (compared as integers, exactly, whatever their size: ``007``
    is ``7``) when every id in the file is an integer, else text. An id that is a decimal
    number (``1.5``, ``1e9``) is an error, never truncated. Ties are undirected: repeats
    are dropped, and so are self-ties, whose node is kept.

    Args:
        path: CSV/text or Parquet file; the first two columns are the ends of each tie.
            Any further columns are ignored: only topology enters a simulation. Parquet id
            columns must be of integer or string type.
        reorder: ``"rcm"`` numbers nodes in reverse Cuthill-McKee order so that neighbours sit
            close in memory; ``"none"`` keeps the sorted order of the original ids.
        nodes: If given, the ids are the integers ``0..nodes-1`` and every one of them is a
            node, including ids that appear in no tie (isolated citizens).

    Returns:
        (network, original id of each new node id: int64, uint64, Python ints or str).

    Raises:
        InputError: Missing or unreadable file, fewer than two columns, no ties, an empty,
            decimal or non-printable id, a Parquet id column of another type, or (with
            ``nodes``) an id that is not an integer in ``[0, nodes)``.
    """
    a, b, first_row = _read_pairs(path)
    inverse, labels = node_labels(path, a, b, first_row, nodes)
    n = labels.size
    ia, ib = inverse[: a.length()], inverse[a.length() :]
    net = Network.from_pairs(n, ia, ib)
    if reorder == "rcm":
        adj = csr_matrix(
            (np.ones(net.indices.size, dtype=np.int8), net.indices, net.indptr), shape=(n, n)
        )
        order = reverse_cuthill_mckee(adj, symmetric_mode=True)  # new id -> old id
        new_of_old = np.empty(n, dtype=np.int64)
        new_of_old[order] = np.arange(n)
        u, v = net.pairs()
        net = Network.from_pairs(n, new_of_old[u], new_of_old[v])
        labels = labels[order]
    return net, labels
