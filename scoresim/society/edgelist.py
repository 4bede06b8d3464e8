"""Import of an anonymised network topology: a file of id pairs, and nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee

from scoresim.errors import InputError
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


def read_edgelist(path: Path, reorder: str = "rcm") -> tuple[Network, NDArray[np.generic]]:
    """Read an undirected edge list and renumber its nodes ``0..n-1``.

    Args:
        path: CSV (comma, tab or space separated; header optional) or Parquet; the first two
            columns are the ends of each tie. Any further columns are ignored: only topology
            enters a simulation.
        reorder: ``"rcm"`` numbers nodes in reverse Cuthill-McKee order so that neighbours sit
            close in memory; ``"none"`` keeps the sorted order of the original ids.

    Returns:
        (network, original id of each new node id).

    Raises:
        InputError: Missing or unreadable file, fewer than two columns, or no ties.
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
        labels, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
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
