"""Numba kernels that build and edit the symmetric CSR adjacency of the social network.

Rows are kept sorted so that membership tests are binary searches and rebuilds are merges.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from scoresim.core.kernels import twin

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]


class Csr(NamedTuple):
    """The symmetric adjacency as kernels take it.

    Attributes:
        indptr: Row pointers, length ``n + 1``.
        indices: Neighbour ids, row after row, sorted within each row.
    """

    indptr: I64
    indices: I32


class Edits(NamedTuple):
    """A batch of tie edits in CSR terms (:meth:`Network.commit` builds it).

    Attributes:
        cut_pos: Ascending positions in ``indices`` of the entries to remove.
        add_src: Rows of the new entries, ascending.
        add_dst: Their neighbours, ascending within each row.
    """

    cut_pos: I64
    add_src: I64
    add_dst: I64


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


@twin
def _cut_positions(csr: Csr, a: I64, b: I64) -> I64:
    indptr = csr.indptr
    indices = csr.indices
    pos = np.empty(2 * a.size, dtype=np.int64)
    for k in prange(a.size):
        x = a[k]
        y = b[k]
        pxy = _find(indices, indptr[x], indptr[x + 1], y)
        pos[2 * k] = pxy
        pos[2 * k + 1] = _find(indices, indptr[y], indptr[y + 1], x) if pxy >= 0 else -1
    pos.sort()
    return pos[np.searchsorted(pos, 0) :].copy()  # the missing ties' -1s sort first


def cut_positions(csr: Csr, a: I64, b: I64) -> I64:
    """Positions in ``indices`` of both directed entries of each existing tie ``(a[k], b[k])``.

    The pairs must be unique (missing ties are skipped). Returns the positions ascending.
    """
    return _cut_positions(csr.indptr.size - 1, csr, a, b)


@twin
def _absent(csr: Csr, a: I64, b: I64) -> NDArray[np.bool_]:
    indptr = csr.indptr
    indices = csr.indices
    out = np.empty(a.size, dtype=np.bool_)
    for k in prange(a.size):
        x = a[k]
        out[k] = _find(indices, indptr[x], indptr[x + 1], b[k]) < 0
    return out


def absent(csr: Csr, a: I64, b: I64) -> NDArray[np.bool_]:
    """For each pair, whether the tie ``(a[k], b[k])`` is absent from the network."""
    return _absent(csr.indptr.size - 1, csr, a, b)


@njit(cache=True)
def plan_edits(indptr: I64, edits: Edits) -> tuple[I64, int, bool]:
    """Row pointers after removing the entries ``edits.cut_pos`` and adding the new ones.

    Returns (new row pointers, longest new row, whether more entries move right than left:
    then :func:`apply_edits` works from the end).
    """
    cut_pos = edits.cut_pos
    add_src = edits.add_src
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
    edits: Edits,
    c: int,
    q: int,
    ring: I32,
    at: int,
    mask: int = -1,
) -> int:
    """Write row ``i`` as edited into ``ring`` at ``at`` and return its length.

    ``c`` and ``q`` index the row's first cut position and first new entry in ``edits``;
    cut entries are skipped and new ones merged in order. Positions wrap with ``mask`` (the
    ring's size, a power of two, minus one; -1 writes linearly).
    """
    cut_pos = edits.cut_pos
    add_src = edits.add_src
    add_dst = edits.add_dst
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
    not yet read: at most the largest shift against the working direction (``moved``) plus
    two rows.
    """
    cap = 16
    while cap < 2 * longest + moved + 16:
        cap *= 2
    return np.empty(cap, dtype=np.int32)


@njit(cache=True)
def _apply_forward(
    indptr: I64, new_ptr: I64, buf: I32, edits: Edits, longest: int, lo: int, hi: int
) -> None:
    """Edit rows ``[lo, hi)`` in place, writing them first to last.

    Reads no row outside the range: the caller has saved any such row whose old entries a
    write here may cover.
    """
    cut_pos = edits.cut_pos
    add_src = edits.add_src
    moved = 0  # the most a row here moves right, against the working direction
    for i in range(lo, hi + 1):
        moved = max(moved, new_ptr[i] - indptr[i])
    ring = _ring(longest, moved)
    mask = ring.size - 1
    head = 0
    size = 0
    c = int(np.searchsorted(cut_pos, indptr[lo]))  # next cut position to pass
    q = int(np.searchsorted(add_src, lo))  # next new entry to place
    i = k = lo  # row to write, next row to read
    while i < hi:
        start = new_ptr[i]
        stop = new_ptr[i + 1]
        if k == i and size == 0 and stop <= indptr[i + 1]:
            # Moving left or staying: nothing before has overwritten this row's entries.
            edited = i  # scan to the next edited row (the edits are dense: no bisection)
            while edited < hi and not (
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
            c_end, q_end = _row_edits_after(indptr, edits, c, q, i)
            _read_row(indptr, buf, i, edits, c, q, ring, 0, mask)
            for j in range(stop - start):
                buf[start + j] = ring[j]
            c, q = c_end, q_end
            i = k = i + 1
            continue
        # Moving right: first hold back every row whose old entries the write will cover.
        while k < hi and (k <= i or indptr[k] < stop):
            if size + new_ptr[k + 1] - new_ptr[k] > ring.size:
                raise RuntimeError("apply_edits: ring buffer overflow")
            c_end, q_end = _row_edits_after(indptr, edits, c, q, k)
            size += _read_row(indptr, buf, k, edits, c, q, ring, head + size, mask)
            c, q = c_end, q_end
            k += 1
        for j in range(stop - start):
            buf[start + j] = ring[(head + j) & mask]
        head = (head + stop - start) & mask
        size -= stop - start
        i += 1


@njit(cache=True)
def _apply_backward(
    indptr: I64, new_ptr: I64, buf: I32, edits: Edits, longest: int, lo: int, hi: int
) -> None:
    """Edit rows ``[lo, hi)`` in place, writing them last to first (mirror of the above)."""
    cut_pos = edits.cut_pos
    add_src = edits.add_src
    moved = 0  # the most a row here moves left, against the working direction
    for i in range(lo, hi + 1):
        moved = max(moved, indptr[i] - new_ptr[i])
    ring = _ring(longest, moved)
    mask = ring.size - 1
    head = 0
    size = 0
    c = int(np.searchsorted(cut_pos, indptr[hi]))  # cuts from here on belong to rows already read
    q = int(np.searchsorted(add_src, hi))
    i = k = hi - 1  # row to write, next row to read
    while i >= lo:
        start = new_ptr[i]
        stop = new_ptr[i + 1]
        if k == i and size == 0 and start >= indptr[i]:
            # Moving right or staying: rows after this one were written past its old end.
            edited = i  # scan to the previous edited row
            while edited >= lo and not (
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
            c0, q0 = _row_edits_before(indptr, edits, c, q, i)
            _read_row(indptr, buf, i, edits, c0, q0, ring, 0, mask)
            for j in range(stop - start):
                buf[start + j] = ring[j]
            c, q = c0, q0
            i = k = i - 1
            continue
        # Moving left: hold back every row whose old entries the write will cover.
        while k >= lo and (k >= i or indptr[k + 1] > start):
            if size + new_ptr[k + 1] - new_ptr[k] > ring.size:
                raise RuntimeError("apply_edits: ring buffer overflow")
            c0, q0 = _row_edits_before(indptr, edits, c, q, k)
            size += _read_row(indptr, buf, k, edits, c0, q0, ring, head + size, mask)
            c, q = c0, q0
            k -= 1
        for j in range(stop - start):
            buf[start + j] = ring[(head + j) & mask]
        head = (head + stop - start) & mask
        size -= stop - start
        i -= 1


@njit(cache=True, inline="always")
def _row_edits_after(indptr: I64, edits: Edits, c: int, q: int, i: int) -> tuple[int, int]:
    """Given row ``i``'s first cut ``c`` and first new entry ``q``, those of row ``i + 1``."""
    cut_pos = edits.cut_pos
    add_src = edits.add_src
    while c < cut_pos.size and cut_pos[c] < indptr[i + 1]:
        c += 1
    while q < add_src.size and add_src[q] == i:
        q += 1
    return c, q


@njit(cache=True, inline="always")
def _row_edits_before(indptr: I64, edits: Edits, c: int, q: int, i: int) -> tuple[int, int]:
    """Given the first cut ``c`` and new entry ``q`` after row ``i``, row ``i``'s first ones."""
    cut_pos = edits.cut_pos
    add_src = edits.add_src
    while c > 0 and cut_pos[c - 1] >= indptr[i]:
        c -= 1
    while q > 0 and add_src[q - 1] == i:
        q -= 1
    return c, q


@njit(cache=True)
def _block_zones(indptr: I64, new_ptr: I64, blocks: int) -> tuple[I64, I64, I64]:
    """Split the rows into blocks of about equal entries; per block, the rows to save first.

    Block ``b`` holds rows ``[bounds[b], bounds[b + 1])``. Its head rows
    ``[bounds[b], heads[b])`` start before the new end of block ``b - 1`` (whose writes may
    cover them); its tail rows ``[tails[b], bounds[b + 1])`` end after the new start of block
    ``b + 1``. Between them, the interior reads and writes only places no other block's
    interior touches.
    """
    n = indptr.size - 1
    bounds = np.empty(blocks + 1, dtype=np.int64)
    for b in range(blocks + 1):
        bounds[b] = np.searchsorted(indptr, indptr[n] * b // blocks)
    bounds[0] = 0
    bounds[blocks] = n
    heads = np.empty(blocks, dtype=np.int64)
    tails = np.empty(blocks, dtype=np.int64)
    for b in range(blocks):
        lo = bounds[b]
        hi = bounds[b + 1]
        h = np.searchsorted(indptr, new_ptr[lo])  # first row starting at or after it
        heads[b] = min(max(h, lo), hi)
        t = hi
        if b + 1 < blocks and new_ptr[hi] < indptr[hi]:
            t = np.searchsorted(indptr, new_ptr[hi], side="right") - 1
        tails[b] = min(max(t, heads[b]), hi)
    return bounds, heads, tails


@twin
def _apply_blocks(
    indptr: I64, new_ptr: I64, buf: I32, edits: Edits, longest: int, backward: bool, blocks: int
) -> None:
    cut_pos = edits.cut_pos
    add_src = edits.add_src
    bounds, heads, tails = _block_zones(indptr, new_ptr, blocks)
    # Zone 2b: block b's head rows; zone 2b + 1: its tail rows.
    first = np.empty(2 * blocks, dtype=np.int64)
    last = np.empty(2 * blocks, dtype=np.int64)
    first[0::2] = bounds[:-1]
    last[0::2] = heads
    first[1::2] = tails
    last[1::2] = bounds[1:]
    offset = np.zeros(2 * blocks + 1, dtype=np.int64)
    for z in range(2 * blocks):
        offset[z + 1] = offset[z] + new_ptr[last[z]] - new_ptr[first[z]]
    saved = np.empty(offset[-1], dtype=np.int32)
    no_wrap = -1  # a mask of all ones: `saved` is written linearly
    for z in prange(2 * blocks):  # 1: save the zones' rows, as edited
        c = int(np.searchsorted(cut_pos, indptr[first[z]]))
        q = int(np.searchsorted(add_src, first[z]))
        at = offset[z]
        for k in range(first[z], last[z]):
            c_end, q_end = _row_edits_after(indptr, edits, c, q, k)
            at += _read_row(indptr, buf, k, edits, c, q, saved, at, no_wrap)
            c, q = c_end, q_end
    for b in prange(blocks):  # 2: the interiors, each on its own
        if heads[b] < tails[b]:
            if backward:
                _apply_backward(indptr, new_ptr, buf, edits, longest, heads[b], tails[b])
            else:
                _apply_forward(indptr, new_ptr, buf, edits, longest, heads[b], tails[b])
    for z in prange(2 * blocks):  # 3: the zones' rows to their new places
        dest = new_ptr[first[z]]
        for j in range(offset[z + 1] - offset[z]):
            buf[dest + j] = saved[offset[z] + j]
    indptr[:] = new_ptr


#: Entries from which tie edits are split into blocks edited in parallel.
PARALLEL_EDITS_FROM = 1 << 22


def apply_edits(
    indptr: I64,
    new_ptr: I64,
    buf: I32,
    edits: Edits,
    longest: int,
    backward: bool,
    blocks: int | None = None,
) -> None:
    """Edit the CSR in place: ``buf`` (capacity >= ``new_ptr[-1]``) and ``indptr`` updated.

    Rows shift by the net count of edits before them. They are written one after another,
    from the start if most entries move left, from the end if most move right; a row that
    would overwrite old entries not yet read first has those rows read, edited, into a small
    ring buffer. The only extra memory is that ring (two rows plus the largest shift against
    the working direction) and ``new_ptr``, not a second copy of the ties. Large networks
    are split into blocks of rows edited in parallel: the few rows at each block's edges
    that a neighbour's writes could cover are saved first and written last.

    Args:
        indptr: Row pointers (overwritten with ``new_ptr``).
        new_ptr: Row pointers after the edits (:func:`plan_edits`).
        buf: Neighbour ids, rows sorted; at least as long as the old and the new entries.
        edits: The entries to remove and to add.
        longest: Longest row after the edits.
        backward: Work from the end (see :func:`plan_edits`).
        blocks: Blocks edited in parallel (default: one below PARALLEL_EDITS_FROM entries,
            else four per thread). The result does not depend on it.
    """
    if blocks is None:
        blocks = 1 if buf.size < PARALLEL_EDITS_FROM else 4 * numba.get_num_threads()
    blocks = max(1, min(blocks, indptr.size - 1))
    if blocks == 1:
        n = indptr.size - 1
        run = _apply_backward if backward else _apply_forward
        run(indptr, new_ptr, buf, edits, longest, 0, n)
        indptr[:] = new_ptr
    else:
        _apply_blocks(indptr.size - 1, indptr, new_ptr, buf, edits, longest, backward, blocks)


#: Tie entries per chunk for kernels that mark entries in a bit set: a multiple of 64, so
#: that chunks run in parallel never share a word.
BIT_CHUNK = 1 << 16


@njit(cache=True, inline="always")
def set_bit(bits: NDArray[np.uint64], p: int) -> None:
    """Set bit ``p`` of the bit set ``bits`` (64 entries a word)."""
    bits[p >> 6] |= np.uint64(1) << np.uint64(p & 63)


@twin
def _bit_positions(bits: NDArray[np.uint64]) -> I64:
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


def bit_positions(bits: NDArray[np.uint64], size: int | None = None) -> I64:
    """Positions of the set bits, ascending (counted per chunk, then written in parallel).

    Args:
        bits: The bit set, 64 entries a word.
        size: Citizens of the society the bits are about, which picks the serial or the
            parallel kernel (``scoresim.core.kernels``); by default, one per bit.
    """
    return _bit_positions(64 * bits.size if size is None else size, bits)


def sample_ties(
    indptr: I64, indices: I32, rng: np.random.Generator, rate: float
) -> tuple[I64, I64]:
    """Draw each tie with chance ``rate``, by its ``u < v`` entry's position.

    Positions are drawn by geometric gaps over all entries, so the cost is that of the ties
    drawn, not of the network; which positions are drawn is a function of ``rng`` alone (a
    month's stream), so a tie's fate depends on its place in the adjacency, not on others'.

    Returns:
        The drawn ties' ends ``(u, v)`` with ``u < v``, in entry order.
    """
    m = indices.size
    if m == 0 or rate <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if rate >= 1:
        pos = np.arange(m, dtype=np.int64)
    else:
        expected = m * rate
        chunk = int(expected + 6 * np.sqrt(expected) + 16)
        gaps = [rng.geometric(rate, chunk)]
        total = int(gaps[0].sum())
        while total < m:  # rarely: more gaps until the positions pass the last entry
            gaps.append(rng.geometric(rate, chunk))
            total += int(gaps[-1].sum())
        pos = np.cumsum(np.concatenate(gaps)) - 1
        pos = pos[pos < m]
    u = np.searchsorted(indptr, pos, side="right") - 1  # the row holding each entry
    v = indices[pos].astype(np.int64)
    upper = v > u
    return u[upper].astype(np.int64), v[upper]


def pair_key(a: I64, b: I64) -> I64:
    """A draw position for each pair ``(a, b)``: the same whatever the population size.

    Ids are below 2**31, so ``a * 2**32 + b`` is unique; keyed this way, a pair's draw in two
    paired scenarios does not move when one of them has had more births.
    """
    return np.asarray((a.astype(np.int64) << 32) | b.astype(np.int64), dtype=np.int64)
