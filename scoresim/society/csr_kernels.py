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
def row_pointers_from_keys(n: int, keys: I64) -> I64:
    """Row pointers of the symmetric CSR of unique ties ``u * n + v`` (u < v)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(keys.size):
        indptr[keys[k] // n + 1] += 1
        indptr[keys[k] % n + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    return indptr


@njit(cache=True)
def fill_rows_from_keys(indptr: I64, keys: I64, out: I32) -> None:
    """Write the neighbours of each row into ``out`` (as long as ``indptr[-1]`` or longer).

    With sorted keys rows come out sorted: row ``r`` receives its lower neighbours (keys
    ``a*n + r``) before its upper ones (``r*n + b``), each group ascending, because every
    key ``a*n + r`` precedes ``r*n + b``.
    """
    n = indptr.size - 1
    pos = indptr[:-1].copy()
    for k in range(keys.size):
        a = keys[k] // n
        b = keys[k] % n
        out[pos[a]] = b
        pos[a] += 1
        out[pos[b]] = a
        pos[b] += 1


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


@njit(cache=True, parallel=True)
def cut_positions(indptr: I64, indices: I32, a: I64, b: I64) -> I64:
    """Positions in ``indices`` of both directed entries of each existing tie ``(a[k], b[k])``.

    The pairs must be unique (missing ties are skipped). Returns the positions ascending.
    """
    pos = np.empty(2 * a.size, dtype=np.int64)
    for k in prange(a.size):
        x = a[k]
        y = b[k]
        pxy = _find(indices, indptr[x], indptr[x + 1], y)
        pos[2 * k] = pxy
        pos[2 * k + 1] = _find(indices, indptr[y], indptr[y + 1], x) if pxy >= 0 else -1
    pos.sort()
    return pos[np.searchsorted(pos, 0) :].copy()  # the missing ties' -1s sort first


@njit(cache=True, parallel=True)
def absent(indptr: I64, indices: I32, a: I64, b: I64) -> NDArray[np.bool_]:
    """For each pair, whether the tie ``(a[k], b[k])`` is absent from the network."""
    out = np.empty(a.size, dtype=np.bool_)
    for k in prange(a.size):
        x = a[k]
        out[k] = _find(indices, indptr[x], indptr[x + 1], b[k]) < 0
    return out


@njit(cache=True)
def plan_edits(indptr: I64, cut_pos: I64, add_src: I64) -> tuple[I64, int, bool]:
    """Row pointers after removing entries ``cut_pos`` and adding entries owned by ``add_src``.

    Both inputs ascending. Returns (new row pointers, longest new row, whether more entries
    move right than left: then :func:`apply_edits` works from the end).
    """
    n = indptr.size - 1
    new_ptr = np.empty(n + 1, dtype=np.int64)
    new_ptr[0] = 0
    c = 0
    q = 0
    longest = 0
    balance = 0  # entries moving right minus entries moving left
    for i in range(n):
        end = indptr[i + 1]
        length = end - indptr[i]
        if new_ptr[i] > indptr[i]:
            balance += length
        elif new_ptr[i] < indptr[i]:
            balance -= length
        while c < cut_pos.size and cut_pos[c] < end:
            length -= 1
            c += 1
        while q < add_src.size and add_src[q] == i:
            length += 1
            q += 1
        new_ptr[i + 1] = new_ptr[i] + length
        longest = max(longest, length)
    return new_ptr, longest, balance > 0


@njit(cache=True, inline="always")
def _read_row(
    indptr: I64,
    buf: I32,
    i: int,
    cut_pos: I64,
    c: int,
    add_src: I64,
    add_dst: I64,
    q: int,
    ring: I32,
    at: int,
) -> int:
    """Write row ``i`` as edited into the ring buffer at ``at`` and return its length.

    ``c`` and ``q`` index the row's first cut position and first new entry; cut entries are
    skipped and new ones merged in order. ``ring.size`` is a power of two.
    """
    mask = ring.size - 1
    p = indptr[i]
    end = indptr[i + 1]
    w = 0
    while True:
        while c < cut_pos.size and cut_pos[c] == p and p < end:
            p += 1
            c += 1
        has_old = p < end
        has_new = q < add_src.size and add_src[q] == i
        if not has_old and not has_new:
            break
        if has_new and (not has_old or add_dst[q] < buf[p]):
            ring[(at + w) & mask] = add_dst[q]
            q += 1
        else:
            ring[(at + w) & mask] = buf[p]
            p += 1
        w += 1
    return w


@njit(cache=True)
def _ring(longest: int, moved: int) -> I32:
    """A ring buffer (power-of-two size) large enough for the rows held back at once.

    Rows are held only while the new place of the row being written covers old entries
    not yet read: at most the shift against the working direction (no more than the
    entries added or cut, ``moved``) plus two rows.
    """
    cap = 16
    while cap < 2 * longest + moved + 16:
        cap *= 2
    return np.empty(cap, dtype=np.int32)


@njit(cache=True)
def _first_edited_row(indptr: I64, cut_pos: I64, add_src: I64) -> int:
    """The first row with a cut or a new entry (n if none)."""
    row = indptr.size - 1
    if cut_pos.size:
        row = np.searchsorted(indptr, cut_pos[0], side="right") - 1
    if add_src.size:
        row = min(row, add_src[0])
    return row


@njit(cache=True)
def _apply_forward(
    indptr: I64, new_ptr: I64, buf: I32, cut_pos: I64, add_src: I64, add_dst: I64, longest: int
) -> None:
    n = indptr.size - 1
    ring = _ring(longest, max(add_src.size, cut_pos.size))
    mask = ring.size - 1
    head = 0
    size = 0
    c = 0  # next cut position to pass
    q = 0  # next new entry to place
    i = _first_edited_row(indptr, cut_pos, add_src)  # rows before it stay put
    k = i  # next row to read
    while i < n:
        start = new_ptr[i]
        stop = new_ptr[i + 1]
        if k == i and size == 0 and stop <= indptr[i + 1]:
            # Moving left or staying: nothing before has overwritten this row's entries.
            edited = i  # scan to the next edited row (the edits are dense: no bisection)
            while edited < n and not (
                (c < cut_pos.size and cut_pos[c] < indptr[edited + 1])
                or (q < add_src.size and add_src[q] == edited)
            ):
                edited += 1
            if edited > i:
                # A run of unedited rows, all shifted alike: one copy, ascending.
                shift = start - indptr[i]
                if shift != 0:
                    for j in range(indptr[i], indptr[edited]):
                        buf[j + shift] = buf[j]
                i = k = edited
                continue
            c_end = c
            while c_end < cut_pos.size and cut_pos[c_end] < indptr[i + 1]:
                c_end += 1
            q_end = q
            while q_end < add_src.size and add_src[q_end] == i:
                q_end += 1
            _read_row(indptr, buf, i, cut_pos, c, add_src, add_dst, q, ring, 0)
            for j in range(stop - start):
                buf[start + j] = ring[j]
            c, q = c_end, q_end
            i = k = i + 1
            continue
        # Moving right: first hold back every row whose old entries the write will cover.
        while k < n and (k <= i or indptr[k] < stop):
            if size + new_ptr[k + 1] - new_ptr[k] > ring.size:
                raise RuntimeError("apply_edits: ring buffer overflow")
            c_end = c
            while c_end < cut_pos.size and cut_pos[c_end] < indptr[k + 1]:
                c_end += 1
            q_end = q
            while q_end < add_src.size and add_src[q_end] == k:
                q_end += 1
            size += _read_row(indptr, buf, k, cut_pos, c, add_src, add_dst, q, ring, head + size)
            c, q = c_end, q_end
            k += 1
        for j in range(stop - start):
            buf[start + j] = ring[(head + j) & mask]
        head = (head + stop - start) & mask
        size -= stop - start
        i += 1
    indptr[:] = new_ptr


@njit(cache=True)
def _apply_backward(
    indptr: I64, new_ptr: I64, buf: I32, cut_pos: I64, add_src: I64, add_dst: I64, longest: int
) -> None:
    # The mirror of _apply_forward: rows written from the last one to the first edited one.
    n = indptr.size - 1
    ring = _ring(longest, max(add_src.size, cut_pos.size))
    mask = ring.size - 1
    head = 0
    size = 0
    first = _first_edited_row(indptr, cut_pos, add_src)  # rows before it stay put
    c = cut_pos.size  # cut positions from here on belong to rows already read
    q = add_src.size
    i = k = n - 1  # row to write, next row to read
    while i >= first:
        start = new_ptr[i]
        stop = new_ptr[i + 1]
        if k == i and size == 0 and start >= indptr[i]:
            # Moving right or staying: rows after this one were written past its old end.
            edited = i  # scan to the previous edited row
            while edited >= 0 and not (
                (c > 0 and cut_pos[c - 1] >= indptr[edited]) or (q > 0 and add_src[q - 1] == edited)
            ):
                edited -= 1
            if edited < i:
                # A run of unedited rows, all shifted alike: one copy, descending.
                shift = start - indptr[i]
                if shift != 0:
                    for j in range(indptr[i + 1] - 1, indptr[edited + 1] - 1, -1):
                        buf[j + shift] = buf[j]
                i = k = edited
                continue
            c0 = c
            while c0 > 0 and cut_pos[c0 - 1] >= indptr[i]:
                c0 -= 1
            q0 = q
            while q0 > 0 and add_src[q0 - 1] == i:
                q0 -= 1
            _read_row(indptr, buf, i, cut_pos, c0, add_src, add_dst, q0, ring, 0)
            for j in range(stop - start):
                buf[start + j] = ring[j]
            c, q = c0, q0
            i = k = i - 1
            continue
        # Moving left: hold back every row whose old entries the write will cover.
        while k >= 0 and (k >= i or indptr[k + 1] > start):
            if size + new_ptr[k + 1] - new_ptr[k] > ring.size:
                raise RuntimeError("apply_edits: ring buffer overflow")
            c0 = c
            while c0 > 0 and cut_pos[c0 - 1] >= indptr[k]:
                c0 -= 1
            q0 = q
            while q0 > 0 and add_src[q0 - 1] == k:
                q0 -= 1
            size += _read_row(indptr, buf, k, cut_pos, c0, add_src, add_dst, q0, ring, head + size)
            c, q = c0, q0
            k -= 1
        for j in range(stop - start):
            buf[start + j] = ring[(head + j) & mask]
        head = (head + stop - start) & mask
        size -= stop - start
        i -= 1
    indptr[:] = new_ptr


def apply_edits(
    indptr: I64,
    new_ptr: I64,
    buf: I32,
    cut_pos: I64,
    add_src: I64,
    add_dst: I64,
    longest: int,
    backward: bool,
) -> None:
    """Edit the CSR in place: ``buf`` (capacity >= ``new_ptr[-1]``) and ``indptr`` updated.

    Rows shift by the net count of edits before them. They are written one after another,
    from the start if most entries move left, from the end if most move right; a row that
    would overwrite old entries not yet read first has those rows read, edited, into a small
    ring buffer. The only extra memory is that ring (two rows plus the new entries at most)
    and ``new_ptr``, not a second copy of the ties; rows before the first edit stay put.

    Args:
        indptr: Row pointers (overwritten with ``new_ptr``).
        new_ptr: Row pointers after the edits (:func:`plan_edits`).
        buf: Neighbour ids, rows sorted; at least as long as the old and the new entries.
        cut_pos: Ascending positions of the entries to remove.
        add_src: Rows of the new entries, ascending.
        add_dst: Their neighbours, ascending within each row.
        longest: Longest row after the edits.
        backward: Work from the end (see :func:`plan_edits`).
    """
    run = _apply_backward if backward else _apply_forward
    run(indptr, new_ptr, buf, cut_pos, add_src, add_dst, longest)


#: Tie entries per chunk for kernels that mark entries in a bit set: a multiple of 64, so
#: that chunks run in parallel never share a word.
BIT_CHUNK = 1 << 16


@njit(cache=True, inline="always")
def set_bit(bits: NDArray[np.uint64], p: int) -> None:
    """Set bit ``p`` of the bit set ``bits`` (64 entries a word)."""
    bits[p >> 6] |= np.uint64(1) << np.uint64(p & 63)


@njit(cache=True, parallel=True)
def bit_positions(bits: NDArray[np.uint64]) -> I64:
    """Positions of the set bits, ascending (counted per chunk, then written in parallel)."""
    words = BIT_CHUNK // 64
    chunks = (bits.size + words - 1) // words
    start = np.zeros(chunks + 1, dtype=np.int64)
    for c in prange(chunks):
        k = 0
        for w in range(c * words, min(bits.size, (c + 1) * words)):
            x = bits[w]
            while x:
                x &= x - np.uint64(1)
                k += 1
        start[c + 1] = k
    for c in range(chunks):
        start[c + 1] += start[c]
    out = np.empty(start[chunks], dtype=np.int64)
    for c in prange(chunks):
        k = start[c]
        for w in range(c * words, min(bits.size, (c + 1) * words)):
            x = bits[w]
            b = 0
            while x:
                if x & np.uint64(1):
                    out[k] = w * 64 + b
                    k += 1
                x >>= np.uint64(1)
                b += 1
    return out
