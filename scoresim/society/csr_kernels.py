"""Numba kernels that build and edit the symmetric CSR adjacency of the social network.

Rows are kept sorted so that membership tests are binary searches and rebuilds are merges.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]


@njit(cache=True)
def csr_from_sorted_pairs(n: int, u: I64, v: I64) -> tuple[I64, I32]:
    """Symmetric CSR from unique pairs ``u < v`` sorted by ``(u, v)``; rows come out sorted.

    Row ``r`` receives its lower neighbours (pairs ``(a, r)``) before its upper ones (pairs
    ``(r, b)``), each group ascending, because every key ``a*n + r`` precedes ``r*n + b``.
    """
    indptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(u.size):
        indptr[u[k] + 1] += 1
        indptr[v[k] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    pos = indptr[:-1].copy()
    indices = np.empty(indptr[n], dtype=np.int32)
    for k in range(u.size):
        a = u[k]
        b = v[k]
        indices[pos[a]] = b
        pos[a] += 1
        indices[pos[b]] = a
        pos[b] += 1
    return indptr, indices


@njit(cache=True)
def csr_from_sorted_keys(n: int, keys: I64) -> tuple[I64, I32]:
    """Symmetric CSR from unique sorted keys ``u * n + v`` (u < v); rows come out sorted.

    The same construction as :func:`csr_from_sorted_pairs`, reading the ends from the keys,
    so the pairs never exist as two more arrays of 8 bytes a tie.
    """
    indptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(keys.size):
        indptr[keys[k] // n + 1] += 1
        indptr[keys[k] % n + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    pos = indptr[:-1].copy()
    indices = np.empty(indptr[n], dtype=np.int32)
    for k in range(keys.size):
        a = keys[k] // n
        b = keys[k] % n
        indices[pos[a]] = b
        pos[a] += 1
        indices[pos[b]] = a
        pos[b] += 1
    return indptr, indices


def sorted_unique(keys: I64) -> I64:
    """Sort ``keys`` in place and return its unique values (a view, compacted in place)."""
    keys.sort()
    return keys[: _compact(keys)]


@njit(cache=True)
def _compact(keys: I64) -> int:
    if keys.size == 0:
        return 0
    w = 1
    for r in range(1, keys.size):
        if keys[r] != keys[w - 1]:
            keys[w] = keys[r]
            w += 1
    return w


@njit(cache=True)
def count_within(keys: I64, n: int, community: NDArray[np.int32]) -> int:
    """How many ties ``u * n + v`` join two citizens of the same community."""
    c = 0
    for k in range(keys.size):
        if community[keys[k] // n] == community[keys[k] % n]:
            c += 1
    return c


@njit(cache=True, inline="always")
def _find(indices: I32, lo: int, hi: int, x: int) -> int:
    """Position of ``x`` in the sorted slice ``indices[lo:hi]``, or -1."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    if lo < end and indices[lo] == x:
        return lo
    return -1


@njit(cache=True)
def mark_cuts(indptr: I64, indices: I32, a: I64, b: I64) -> tuple[NDArray[np.bool_], I64, int]:
    """Mark the directed entries of existing ties ``(a[k], b[k])`` for removal.

    Returns:
        (keep mask over ``indices``, entries removed per row, number of ties cut). Missing
        ties are ignored.
    """
    keep = np.ones(indices.size, dtype=np.bool_)
    removed = np.zeros(indptr.size - 1, dtype=np.int64)
    cut = 0
    for k in range(a.size):
        x = a[k]
        y = b[k]
        pxy = _find(indices, indptr[x], indptr[x + 1], y)
        if pxy < 0 or not keep[pxy]:
            continue
        pyx = _find(indices, indptr[y], indptr[y + 1], x)
        keep[pxy] = False
        keep[pyx] = False
        removed[x] += 1
        removed[y] += 1
        cut += 1
    return keep, removed, cut


@njit(cache=True)
def absent(indptr: I64, indices: I32, a: I64, b: I64) -> NDArray[np.bool_]:
    """For each pair, whether the tie ``(a[k], b[k])`` is absent from the network."""
    out = np.empty(a.size, dtype=np.bool_)
    for k in range(a.size):
        x = a[k]
        out[k] = _find(indices, indptr[x], indptr[x + 1], b[k]) < 0
    return out


@njit(cache=True, parallel=True)
def merge_rows(
    indptr: I64, indices: I32, keep: NDArray[np.bool_], removed: I64, src: I64, dst: I64
) -> tuple[I64, I32]:
    """Rebuild the CSR: kept entries merged with new directed entries sorted by (src, dst).

    Rows are independent once each knows where its output and its new entries start, so
    they are rebuilt in parallel; rows without edits, nearly all of them, are copied straight.
    """
    n = indptr.size - 1
    add_ptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(src.size):
        add_ptr[src[k] + 1] += 1
    for i in range(n):
        add_ptr[i + 1] += add_ptr[i]
    new_ptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        added = add_ptr[i + 1] - add_ptr[i]
        new_ptr[i + 1] = new_ptr[i] + (indptr[i + 1] - indptr[i]) - removed[i] + added
    out = np.empty(new_ptr[n], dtype=np.int32)
    for i in prange(n):
        w = new_ptr[i]
        p = indptr[i]
        end = indptr[i + 1]
        q = add_ptr[i]
        q_end = add_ptr[i + 1]
        if removed[i] == 0 and q == q_end:
            for k in range(end - p):
                out[w + k] = indices[p + k]
            continue
        while True:
            while p < end and not keep[p]:
                p += 1
            has_old = p < end
            has_new = q < q_end
            if not has_old and not has_new:
                break
            if has_new and (not has_old or dst[q] < indices[p]):
                out[w] = dst[q]
                q += 1
            else:
                out[w] = indices[p]
                p += 1
            w += 1
    return new_ptr, out
