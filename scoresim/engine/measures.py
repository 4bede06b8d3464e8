"""The per-step measures of a run: one row per step, one column per measure."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["MeasureTable"]


class MeasureTable:
    """Accumulates measures step by step; a measure not reported in a step is NaN.

    Args:
        names: Every measure that may be reported, in column order.
    """

    def __init__(self, names: list[str]):
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"measure names reported by two modules: {dup}")
        self.names = list(names)
        self._rows: list[NDArray[np.float64]] = []
        self._index = {n: i for i, n in enumerate(self.names)}
        self._current: NDArray[np.float64] | None = None

    def begin(self) -> None:
        """Open the row of a new step."""
        self._current = np.full(len(self.names), np.nan)

    def set(self, name: str, value: float) -> None:
        """Set measure ``name`` in the open row."""
        if self._current is None:
            raise RuntimeError("no step is open")
        if name not in self._index:
            raise KeyError(f"measure {name!r} was not declared; declared: {self.names}")
        self._current[self._index[name]] = float(value)

    def end(self) -> None:
        """Close the open row."""
        if self._current is None:
            raise RuntimeError("no step is open")
        self._rows.append(self._current)
        self._current = None

    def __len__(self) -> int:
        """Number of completed steps."""
        return len(self._rows)

    def columns(self) -> dict[str, NDArray[np.float64]]:
        """Each measure's values over the completed steps."""
        data = np.vstack(self._rows) if self._rows else np.empty((0, len(self.names)))
        return {n: data[:, i].copy() for i, n in enumerate(self.names)}

    def as_array(self) -> NDArray[np.float64]:
        """Completed rows as a (steps, measures) array (for checkpoints)."""
        return np.vstack(self._rows) if self._rows else np.empty((0, len(self.names)))

    def load_array(self, data: NDArray[np.float64]) -> None:
        """Replace the completed rows (from a checkpoint)."""
        if data.ndim != 2 or data.shape[1] != len(self.names):
            raise ValueError(f"expected (steps, {len(self.names)}) measures, got {data.shape}")
        self._rows = [row.copy() for row in data]
