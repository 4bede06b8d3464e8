"""Gathers over neighbours: the hot loop of spillover, peer influence and relationships.

Each is one pass over the CSR in row order; neighbours are numbered close together, so the
reads of ``values[indices]`` mostly hit cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from scoresim.society.network import Network

__all__ = ["neighbour_count", "neighbour_mean", "neighbour_sum"]


@njit(cache=True, parallel=True)
def _sum(indptr: Any, indices: Any, values: Any) -> Any:
    n = indptr.size - 1
    out = np.zeros(n, dtype=np.float64)
    for i in prange(n):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            acc += values[indices[p]]
        out[i] = acc
    return out


@njit(cache=True, parallel=True)
def _count(indptr: Any, indices: Any, flags: Any) -> Any:
    n = indptr.size - 1
    out = np.zeros(n, dtype=np.int32)
    for i in prange(n):
        c = 0
        for p in range(indptr[i], indptr[i + 1]):
            if flags[indices[p]]:
                c += 1
        out[i] = c
    return out


def neighbour_sum(net: Network, values: NDArray[Any]) -> NDArray[np.float64]:
    """For each node, the sum of ``values`` over its neighbours."""
    return np.asarray(_sum(net.indptr, net.indices, values), dtype=np.float64)


def neighbour_count(net: Network, flags: NDArray[Any]) -> NDArray[np.int32]:
    """For each node, how many neighbours have a true (non-zero) flag."""
    return np.asarray(_count(net.indptr, net.indices, flags), dtype=np.int32)


def neighbour_mean(
    net: Network, values: NDArray[Any], empty: float = np.nan
) -> NDArray[np.float64]:
    """For each node, the mean of ``values`` over its neighbours (``empty`` if none)."""
    deg = net.degree()
    total = neighbour_sum(net, values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(deg > 0, total / np.maximum(deg, 1), empty)
