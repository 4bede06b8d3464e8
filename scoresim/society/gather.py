"""Gathers over neighbours: the hot loop of spillover, peer influence and relationships.

Each is one pass over the CSR in row order; neighbours are numbered close together, so the
reads of ``values[indices]`` mostly hit cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from scoresim.core.context import Ties
from scoresim.core.kernels import twin
from scoresim.society.csr_kernels import Csr
from scoresim.society.prefetch import PREFETCH_AHEAD, prefetch

__all__ = [
    "component_labels",
    "degree_sums",
    "friend_of_friend",
    "largest_component",
    "neighbour_sum",
    "tie_correlation",
]


@twin
def _sum(csr: Csr, values: NDArray[Any]) -> NDArray[np.float64]:
    indptr = csr.indptr
    indices = csr.indices
    n = indptr.size - 1
    out = np.zeros(n, dtype=np.float64)
    last = indices.size - 1
    for i in prange(n):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            prefetch(values, indices[min(p + PREFETCH_AHEAD, last)])
            acc += values[indices[p]]
        out[i] = acc
    return out


def neighbour_sum(net: Ties, values: NDArray[Any]) -> NDArray[np.float64]:
    """For each node, the sum of ``values`` over its neighbours."""
    csr = Csr(net.indptr, net.indices)
    return np.asarray(_sum(net.n, csr, values), dtype=np.float64)


@njit(cache=True)
def _find_root(parent: Any, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


@njit(cache=True)
def _components(csr: Csr) -> NDArray[np.int32]:
    indptr = csr.indptr
    indices = csr.indices
    n = indptr.size - 1
    parent = np.arange(n, dtype=np.int32)  # ids fit: the CSR stores them as int32 too
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


def component_labels(net: Ties) -> NDArray[np.int32]:
    """Connected-component label of each node (the smallest id in its component)."""
    return np.asarray(_components(Csr(net.indptr, net.indices)))


@njit(cache=True)
def _in_largest(labels: Any, keep: Any) -> Any:
    sizes = np.zeros(labels.size, dtype=np.int32)
    for i in range(labels.size):
        if keep[i]:
            sizes[labels[i]] += 1
    best = np.argmax(sizes)  # ties go to the smallest label
    out = np.empty(labels.size, dtype=np.bool_)
    for i in range(labels.size):
        out[i] = keep[i] and labels[i] == best
    return out


def largest_component(net: Ties, keep: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Mask of the kept nodes in the component holding the most kept nodes.

    Components are those of the whole network; 9 bytes a node of temporaries.
    """
    return np.asarray(_in_largest(component_labels(net), keep))


@twin
def _degree_sums(indptr: Any, alive: Any, marked: Any) -> Any:
    count = 0
    ties = 0
    isolated = 0
    m_count = 0
    m_ties = 0
    for i in prange(indptr.size - 1):
        if alive[i]:
            d = indptr[i + 1] - indptr[i]
            count += 1
            ties += d
            isolated += d == 0
            if marked[i]:
                m_count += 1
                m_ties += d
    return np.array([count, ties, isolated, m_count, m_ties], dtype=np.int64)


def degree_sums(
    indptr: NDArray[np.int64], alive: NDArray[Any], marked: NDArray[Any]
) -> NDArray[np.int64]:
    """Integer totals over the living: (count, ties, isolated, marked count, marked ties).

    One pass and no n-sized temporaries; integer sums, so the same whatever the threads.
    """
    return np.asarray(_degree_sums(indptr.size - 1, indptr, alive, marked), dtype=np.int64)


@njit(cache=True)
def _tie_moments(csr: Csr, values: Any, keep: Any) -> Any:
    indptr = csr.indptr
    indices = csr.indices
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


def tie_correlation(net: Ties, values: NDArray[Any], keep: NDArray[np.bool_]) -> float:
    """Pearson correlation of ``values`` across the two ends of ties between kept nodes."""
    n, sa, sb, saa, sbb, sab = _tie_moments(Csr(net.indptr, net.indices), values, keep)
    if n < 3:
        return float("nan")
    cov = sab / n - (sa / n) * (sb / n)
    va = saa / n - (sa / n) ** 2
    vb = sbb / n - (sb / n) ** 2
    if va <= 0 or vb <= 0:
        return float("nan")
    return float(cov / np.sqrt(va * vb))


def friend_of_friend(
    net: Ties, who: NDArray[np.int64], u1: NDArray[np.float64], u2: NDArray[np.float64]
) -> NDArray[np.int64]:
    """For each citizen in ``who``, a random friend's random friend (-1 where none).

    Args:
        net: The network.
        who: Citizens looking for a new tie.
        u1: Uniform draws choosing the friend, one per citizen in ``who``.
        u2: Uniform draws choosing the friend's friend.
    """
    out = np.full(who.size, -1, dtype=np.int64)
    deg_who = net.degree(who)
    has = deg_who > 0
    w = who[has]
    j = net.indices[net.indptr[w] + (u1[has] * deg_who[has]).astype(np.int64)].astype(np.int64)
    k = net.indices[net.indptr[j] + (u2[has] * net.degree(j)).astype(np.int64)].astype(np.int64)
    out[has] = np.where(k != w, k, -1)
    return out
