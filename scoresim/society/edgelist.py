"""Import of an anonymised network topology: a file of id pairs, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee

from scoresim.core.errors import InputError
from scoresim.society.network import Network

__all__ = ["read_edgelist"]


def _read_table(path: Path) -> pa.Table:
    if not path.is_file():
        raise InputError(f"{path}: edge list file not found")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pq.read_table(path)
        with path.open("rb") as fh:
            first = fh.readline().decode("utf-8", "replace")
        sep = "," if "," in first else ("\t" if "\t" in first else " ")
        fields = [f.strip() for f in first.strip().split(sep) if f.strip()]
        has_header = not all(f.lstrip("-").isdigit() for f in fields[:2])
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(autogenerate_column_names=not has_header),
            parse_options=pacsv.ParseOptions(delimiter=sep),
        )
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: cannot read edge list: {exc}") from None


def _declared_ids(path: Path, ids: NDArray[Any], nodes: int) -> NDArray[np.int64]:
    """Ids checked to be integers in ``[0, nodes)``, as int64."""
    if not np.issubdtype(ids.dtype, np.integer):
        raise InputError(
            f"{path}: society.network.nodes = {nodes} needs integer node ids 0..{nodes - 1}; "
            f"found ids of type {ids.dtype}"
        )
    bad = ids[(ids < 0) | (ids >= nodes)]
    if bad.size:
        raise InputError(
            f"{path}: node id {bad[0]} is outside 0..{nodes - 1} (society.network.nodes = {nodes})"
        )
    return ids.astype(np.int64)


def read_edgelist(
    path: Path, reorder: str = "rcm", nodes: int | None = None
) -> tuple[Network, NDArray[np.generic]]:
    """Read an undirected edge list and renumber its nodes ``0..n-1``.

    Args:
        path: CSV (comma, tab or space separated; header optional) or Parquet; the first two
            columns are the ends of each tie. Any further columns are ignored: only topology
            enters a simulation.
        reorder: ``"rcm"`` numbers nodes in reverse Cuthill-McKee order so that neighbours sit
            close in memory; ``"none"`` keeps the sorted order of the original ids.
        nodes: If given, the ids are the integers ``0..nodes-1`` and every one of them is a
            node, including ids that appear in no tie (isolated citizens).

    Returns:
        (network, original id of each new node id).

    Raises:
        InputError: Missing or unreadable file, fewer than two columns, no ties, or (with
            ``nodes``) an id that is not an integer in ``[0, nodes)``.
    """
    table = _read_table(path)
    if table.num_columns < 2:
        raise InputError(
            f"{path}: edge list needs two columns of node ids, found {table.num_columns}"
        )
    if table.num_rows == 0:
        raise InputError(f"{path}: edge list has no ties")
    a = table.column(0).to_numpy(zero_copy_only=False)
    b = table.column(1).to_numpy(zero_copy_only=False)
    if table.column(0).null_count or table.column(1).null_count:
        raise InputError(f"{path}: edge list has empty node ids")
    try:
        ends = np.concatenate([a, b])
        if nodes is None:
            labels, inverse = np.unique(ends, return_inverse=True)
        else:
            inverse = _declared_ids(path, ends, nodes)
            labels = np.arange(nodes, dtype=np.int64)
    except TypeError:
        raise InputError(f"{path}: node ids in the two columns are of different kinds") from None
    n = labels.size
    ia, ib = inverse[: a.size], inverse[a.size :]
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
