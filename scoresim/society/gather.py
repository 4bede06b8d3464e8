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

__all__ = [
    "component_labels",
    "neighbour_sum",
    "tie_correlation",
]


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


def neighbour_sum(net: Network, values: NDArray[Any]) -> NDArray[np.float64]:
    """For each node, the sum of ``values`` over its neighbours."""
    return np.asarray(_sum(net.indptr, net.indices, values), dtype=np.float64)


@njit(cache=True)
def _find_root(parent: Any, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


@njit(cache=True)
def _components(indptr: Any, indices: Any) -> Any:
    n = indptr.size - 1
    parent = np.arange(n)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j > i:
                a = _find_root(parent, i)
                b = _find_root(parent, j)
                if a != b:
                    if a < b:
                        parent[b] = a
                    else:
                        parent[a] = b
    for i in range(n):
        parent[i] = _find_root(parent, i)
    return parent


def component_labels(net: Network) -> NDArray[np.int64]:
    """Connected-component label of each node (the smallest id in its component)."""
    return np.asarray(_components(net.indptr, net.indices), dtype=np.int64)


@njit(cache=True)
def _tie_moments(indptr: Any, indices: Any, values: Any, keep: Any) -> Any:
    out = np.zeros(6)  # count, sum a, sum b, sum a^2, sum b^2, sum ab
    for i in range(indptr.size - 1):
        if not keep[i]:
            continue
        a = values[i]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if keep[j]:
                b = values[j]
                out[0] += 1
                out[1] += a
                out[2] += b
                out[3] += a * a
                out[4] += b * b
                out[5] += a * b
    return out


def tie_correlation(net: Network, values: NDArray[Any], keep: NDArray[np.bool_]) -> float:
    """Pearson correlation of ``values`` across the two ends of ties between kept nodes."""
    n, sa, sb, saa, sbb, sab = _tie_moments(net.indptr, net.indices, values, keep)
    if n < 3:
        return float("nan")
    cov = sab / n - (sa / n) * (sb / n)
    va = saa / n - (sa / n) ** 2
    vb = sbb / n - (sb / n) ** 2
    if va <= 0 or vb <= 0:
        return float("nan")
    return float(cov / np.sqrt(va * vb))
