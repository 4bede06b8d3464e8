"""The social network: an undirected graph in CSR form whose ties can change during a run."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.society import csr_kernels as kern

__all__ = ["Network", "normalise_pairs"]


def normalise_keys(a: NDArray[np.integer], b: NDArray[np.integer], n: int) -> NDArray[np.int64]:
    """Unique undirected ties as sorted keys ``u * n + v`` with ``u < v``, self-ties dropped.

    Args:
        a: One end of each tie.
        b: The other end.
        n: Number of nodes (ids must lie in ``[0, n)``).
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    # Sort-and-compare: numpy 2's hash-based np.unique is ~40x slower on 10M int64 keys.
    return kern.sorted_unique(lo[lo != hi] * n + hi[lo != hi])


def normalise_pairs(
    a: NDArray[np.integer], b: NDArray[np.integer], n: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return unique undirected pairs ``u < v`` sorted by ``(u, v)``, self-ties dropped.

    Args:
        a: One end of each tie.
        b: The other end.
        n: Number of nodes (ids must lie in ``[0, n)``).
    """
    keys = normalise_keys(a, b, n)
    return keys // n, keys % n


def _writable(a: NDArray[np.integer], dtype: type[np.integer]) -> NDArray[Any]:
    """``a`` as a contiguous, writable array of ``dtype``, copied only if it is not one."""
    out = np.ascontiguousarray(a, dtype=dtype)
    return out if out.flags.writeable else out.copy()


#: Spare room given to the neighbour ids when a network is built, as a share of the ties.
SPARE = 1 / 16


class Network:
    """Symmetric adjacency in CSR form with sorted rows; node ``i`` is citizen ``i``.

    Edits requested during a phase are queued with :meth:`cut` and :meth:`add` and applied
    together by :meth:`commit`, one pass per batch instead of one per tie, in place: the
    neighbour ids live in a buffer with spare room at the end, and the rows move within it.

    The arrays given are kept, not copied (at 100M citizens a copy of the ties is 4 GB), and
    commits edit them in place: pass copies to keep the originals. Read-only arrays are
    copied.

    Args:
        indptr: Row pointers, length ``n + 1`` (int64).
        indices: Neighbour ids, sorted within each row (int32); may run past
            ``indptr[-1]``, as spare room for edits.
    """

    def __init__(self, indptr: NDArray[np.int64], indices: NDArray[np.int32]):
        self.indptr = _writable(indptr, np.int64)
        # Neighbour ids with spare room at the end, so that edits happen in place.
        self._buf = _writable(indices, np.int32)
        self._sources: NDArray[np.int64] | None = None  # cached owner of each entry
        self._cuts: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        self._adds: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        # Running totals over every commit, whoever asked for it: the engine's tie counters.
        self.cut_total = 0
        self.added_total = 0

    @classmethod
    def from_pairs(cls, n: int, a: NDArray[np.integer], b: NDArray[np.integer]) -> Network:
        """Build from ties given as two id arrays (duplicates and self-ties are dropped)."""
        return cls.from_keys(n, normalise_keys(a, b, n))

    @classmethod
    def from_keys(cls, n: int, keys: NDArray[np.int64]) -> Network:
        """Build from unique sorted tie keys ``u * n + v`` (u < v), with spare room."""
        indptr = kern.row_pointers_from_keys(n, keys)
        size = int(indptr[-1])
        # Allocated here, not in numba, so that numpy owns it and can resize it in place.
        buf = np.empty(size + int(size * SPARE) + 1024, dtype=np.int32)
        kern.fill_rows_from_keys(indptr, keys, buf)
        return cls(indptr, buf)

    @property
    def indices(self) -> NDArray[np.int32]:
        """Neighbour ids, row after row (a view, valid until the next :meth:`commit`)."""
        return self._buf[: self.indptr[-1]]

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.indptr.size - 1

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        return self.indices.size // 2

    def degree(self, nodes: NDArray[np.integer] | None = None) -> NDArray[np.int64]:
        """Number of ties of each node, or of the given nodes only (no n-sized array)."""
        if nodes is None:
            return np.diff(self.indptr)
        return np.asarray(self.indptr[nodes + 1] - self.indptr[nodes], dtype=np.int64)

    def neighbours(self, i: int) -> NDArray[np.int32]:
        """Ids of node ``i``'s neighbours, ascending."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def sources(self) -> NDArray[np.int64]:
        """Owner of each entry of ``indices`` (the row each directed entry sits in).

        Cached until the ties change; treat the result as read-only.
        """
        if self._sources is None:
            self._sources = np.repeat(np.arange(self.n, dtype=np.int64), self.degree())
        return self._sources

    def pairs(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every tie once, as ``(u, v)`` with ``u < v``, sorted."""
        src = self.sources()
        upper = self.indices > src
        return src[upper], self.indices[upper].astype(np.int64)

    def ties_of(self, nodes: NDArray[np.integer]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every tie of the given nodes, as (node, neighbour) arrays.

        Reads only those rows: no array the size of the whole network is made.
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        counts = self.degree(nodes)
        owner = np.repeat(nodes, counts)
        # Positions of each node's entries: its row start plus 0, 1, ... within the row.
        starts = np.repeat(self.indptr[nodes] - np.cumsum(counts) + counts, counts)
        pos = starts + np.arange(owner.size)
        return owner, self.indices[pos].astype(np.int64)

    def has_ties(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> NDArray[np.bool_]:
        """Whether each tie ``(a[k], b[k])`` exists."""
        a64 = np.asarray(a, dtype=np.int64)
        b64 = np.asarray(b, dtype=np.int64)
        return ~kern.absent(kern.Csr(self.indptr, self.indices), a64, b64)

    def grow(self, count: int) -> None:
        """Append ``count`` isolated nodes (newborn citizens)."""
        if self._cuts or self._adds:
            raise RuntimeError("commit queued edits before growing the network")
        self.indptr = np.concatenate([self.indptr, np.full(count, self.indptr[-1], dtype=np.int64)])

    def cut(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> None:
        """Queue ties ``(a[k], b[k])`` for removal at the next :meth:`commit`."""
        self._cuts.append((np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)))

    def add(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> None:
        """Queue ties ``(a[k], b[k])`` for creation at the next :meth:`commit`."""
        self._adds.append((np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)))

    @property
    def pending(self) -> bool:
        """Whether edits are queued."""
        return bool(self._cuts or self._adds)

    def commit(self, *, backward: bool | None = None, blocks: int | None = None) -> tuple[int, int]:
        """Apply the queued edits: cuts first, then additions of ties not already present.

        Additions are checked against the network before the batch, so a tie both cut and
        added in one batch ends up cut. Cuts of missing ties and additions of existing ones or
        of self-ties are ignored.

        Args:
            backward: Edit rows last to first (default: the direction most entries move).
            blocks: Blocks of rows edited in parallel (default: by size). Neither changes
                the result; tests set them to check every variant of the kernel.

        Returns:
            (ties cut, ties added).
        """
        if not self.pending:
            return 0, 0
        empty = np.empty(0, dtype=np.int64)
        ca = np.concatenate([c[0] for c in self._cuts] or [empty])
        cb = np.concatenate([c[1] for c in self._cuts] or [empty])
        aa = np.concatenate([c[0] for c in self._adds] or [empty])
        ab = np.concatenate([c[1] for c in self._adds] or [empty])
        self._cuts.clear()
        self._adds.clear()
        for ids in (ca, cb, aa, ab):
            if ids.size and (ids.min() < 0 or ids.max() >= self.n):
                raise IndexError(f"tie edit names a node outside [0, {self.n})")
        cu, cv = normalise_pairs(ca, cb, self.n)
        au, av = normalise_pairs(aa, ab, self.n)
        csr = kern.Csr(self.indptr, self.indices)
        new = kern.absent(csr, au, av)
        au, av = au[new], av[new]
        cut_pos = kern.cut_positions(csr, cu, cv)
        src = np.concatenate([au, av])
        dst = np.concatenate([av, au])
        order = np.lexsort((dst, src))
        edits = kern.Edits(cut_pos, src[order], dst[order])
        del csr  # its view of the entries is stale once the buffer is resized
        new_ptr, longest, mostly_right = kern.plan_edits(self.indptr, edits)
        if new_ptr[-1] > self._buf.size:
            self._reserve(int(new_ptr[-1]))
        backward = mostly_right if backward is None else backward
        kern.apply_edits(self.indptr, new_ptr, self._buf, edits, longest, backward, blocks)
        self._sources = None
        cut, added = cut_pos.size // 2, int(au.size)
        self.cut_total += cut
        self.added_total += added
        return cut, added

    def _reserve(self, size: int) -> None:
        """Make room for ``size`` entries, with slack so that growth is rare.

        Resized in place when nothing else refers to the buffer (the allocator then remaps
        pages instead of copying: no second copy of the ties exists even briefly).
        """
        capacity = size + int(size * SPARE) + 1024
        try:
            self._buf.resize(capacity, refcheck=True)
        except ValueError:  # does not own its memory, or a view is held: copy
            grown = np.empty(capacity, dtype=np.int32)
            grown[: self.indptr[-1]] = self.indices
            self._buf = grown

    @property
    def nbytes(self) -> int:
        """Bytes held by the adjacency."""
        return self.indptr.nbytes + self._buf.nbytes
