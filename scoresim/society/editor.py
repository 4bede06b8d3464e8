"""Tie edits one at a time within a step, at a cost proportional to the edits.

The network's own edits are batched: queued during a phase and applied in one O(ties) pass
at its end, which is what vectorised mechanisms want. Event-by-event models (a voter model
that rewires one tie, then lets the next agent look at the rewired network) need each edit
to be visible at once. A :class:`TieEditor` keeps the rows it touched as sets (a row is
copied on first touch: O(degree)); every later read and edit of those rows is O(1) or
O(degree), and untouched rows are read from the CSR directly. :meth:`TieEditor.flush`
applies the net change to the network in one commit.
"""

from __future__ import annotations

from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from scoresim.core.context import Ties

__all__ = ["TieEditor"]


class TieEditor:
    """Sequential tie edits over a network, visible at once, committed together.

    Use it as a context manager (``with TieEditor(ctx.network) as ed:``) so that the edits
    are committed when the block ends, or call :meth:`flush`. If the block raises, its edits
    are dropped: the network stays as it was. Batched edits (``network.cut``/``add``) must not
    be queued while an editor is open; they would be committed with its edits.

    The network's counters see the net change: a tie cut and added again before the flush
    counts as neither.

    Args:
        network: The network to edit; it must have no batched edits pending.
    """

    def __init__(self, network: Ties):
        if network.pending:
            raise RuntimeError("commit the network's queued edits before editing ties one by one")
        self._net = network
        self._rows: dict[int, set[int]] = {}
        self._cut: set[tuple[int, int]] = set()
        self._added: set[tuple[int, int]] = set()

    def _check(self, i: int) -> None:
        if not 0 <= i < self._net.n:
            raise IndexError(f"node {i} is outside the network's 0..{self._net.n - 1}")

    def _row(self, i: int) -> set[int]:
        self._check(i)
        row = self._rows.get(i)
        if row is None:
            row = set(self._net.neighbours(i).tolist())
            self._rows[i] = row
        return row

    def neighbours(self, i: int) -> NDArray[np.int64]:
        """Node ``i``'s neighbours now, ascending (so that draws over them are reproducible)."""
        row = self._rows.get(i)
        if row is None:
            self._check(i)
            return self._net.neighbours(i).astype(np.int64)
        return np.array(sorted(row), dtype=np.int64)

    def degree(self, i: int) -> int:
        """Node ``i``'s number of ties now."""
        row = self._rows.get(i)
        if row is None:
            self._check(i)
            return int(self._net.indptr[i + 1] - self._net.indptr[i])
        return len(row)

    def has(self, a: int, b: int) -> bool:
        """Whether the tie ``(a, b)`` exists now."""
        return b in self._row(a)

    def cut(self, a: int, b: int) -> bool:
        """Remove the tie ``(a, b)``; False if there was none."""
        row_a = self._row(a)
        if b not in row_a:
            return False
        row_a.discard(b)
        self._row(b).discard(a)
        key = (min(a, b), max(a, b))
        if key in self._added:
            self._added.discard(key)
        else:
            self._cut.add(key)
        return True

    def add(self, a: int, b: int) -> bool:
        """Create the tie ``(a, b)``; False if it exists or ``a == b``."""
        if a == b:
            return False
        row_a = self._row(a)
        if b in row_a:
            return False
        row_a.add(b)
        self._row(b).add(a)
        key = (min(a, b), max(a, b))
        if key in self._cut:
            self._cut.discard(key)
        else:
            self._added.add(key)
        return True

    @property
    def edits(self) -> tuple[int, int]:
        """(ties cut, ties added) not yet committed: the net change since the last flush."""
        return len(self._cut), len(self._added)

    def flush(self) -> tuple[int, int]:
        """Commit the net change to the network in one pass; returns (cut, added)."""
        for pairs, queue in ((self._cut, self._net.cut), (self._added, self._net.add)):
            if pairs:
                arr = np.array(sorted(pairs), dtype=np.int64)
                queue(arr[:, 0], arr[:, 1])
        self._cut.clear()
        self._added.clear()
        self._rows.clear()
        return self._net.commit()

    def __enter__(self) -> TieEditor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.flush()
