"""Citizens as a struct of arrays: one row per citizen, the row index is the citizen id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["BARRABLE_OCCUPATIONS", "OCCUPATIONS", "People"]

#: Occupation codes (index = code). As described in the articles, the blacklisted are barred
#: from the occupations listed in BARRABLE_OCCUPATIONS.
OCCUPATIONS: tuple[str, ...] = (
    "student",
    "worker",
    "farmer",
    "clerk",
    "trader",
    "teacher",
    "engineer",
    "government official",
    "reporter",
    "ceo",
    "statistician",
    "retired",
    "unemployed",
)
BARRABLE_OCCUPATIONS: tuple[str, ...] = ("government official", "reporter", "ceo", "statistician")


def occupation_code(name: str) -> int:
    """Return the code of occupation ``name``."""
    return OCCUPATIONS.index(name)


class People:
    """Per-citizen state, one contiguous array per attribute.

    Ids are row indices; they are stable for a run and never reused (the dead keep their row
    with ``alive == 0``). Arrays have spare capacity so that births append without copying
    every month.

    Args:
        arrays: Initial attributes, all of the same length.
        fills: Value given to citizens added by :meth:`grow`, per attribute (default 0).
    """

    def __init__(
        self,
        arrays: Mapping[str, NDArray[np.generic]],
        fills: Mapping[str, float] | None = None,
    ):
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"attribute arrays differ in length: {sorted(lengths)}")
        self.n: int = lengths.pop()
        self._data: dict[str, NDArray[np.generic]] = {
            k: np.ascontiguousarray(v) for k, v in arrays.items()
        }
        self._fill: dict[str, float] = {k: (fills or {}).get(k, 0.0) for k in self._data}

    @property
    def capacity(self) -> int:
        """Rows allocated, of which the first ``n`` are citizens."""
        return len(next(iter(self._data.values())))

    def __getitem__(self, name: str) -> NDArray[Any]:
        """Return a writable view of attribute ``name`` over the ``n`` citizens."""
        try:
            return self._data[name][: self.n]
        except KeyError:
            raise KeyError(f"no per-citizen state {name!r}; have {sorted(self._data)}") from None

    def __setitem__(self, name: str, values: ArrayLike) -> None:
        """Overwrite attribute ``name`` (keeps its dtype)."""
        self[name][...] = values

    def __contains__(self, name: object) -> bool:
        """Whether attribute ``name`` exists."""
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        """Iterate over attribute names."""
        return iter(self._data)

    def add(self, name: str, dtype: DTypeLike, fill: float = 0) -> NDArray[Any]:
        """Add a new attribute filled with ``fill`` and return its view.

        Raises:
            ValueError: If the attribute already exists.
        """
        if name in self._data:
            raise ValueError(f"per-citizen state {name!r} is declared twice")
        self._data[name] = np.full(self.capacity, fill, dtype=dtype)
        self._fill[name] = fill
        return self[name]

    def declare(self, name: str, dtype: DTypeLike, fill: float = 0) -> NDArray[Any]:
        """Add attribute ``name``, or check that the existing one has ``dtype``.

        Modules declare their states this way, both on a fresh run and on a resumed one
        (whose arrays come from the checkpoint).

        Raises:
            ValueError: If it exists with another dtype.
        """
        if name not in self._data:
            return self.add(name, dtype, fill)
        if self._data[name].dtype != np.dtype(dtype):
            raise ValueError(
                f"per-citizen state {name!r} is {self._data[name].dtype}, declared {dtype}"
            )
        self._fill[name] = fill
        return self[name]

    def grow(self, count: int) -> NDArray[np.int64]:
        """Append ``count`` citizens with every attribute at its fill value.

        Returns:
            The new citizens' ids.
        """
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        needed = self.n + count
        if needed > self.capacity:
            # A little slack (births are about 1% a year): at 100M citizens every spare row
            # costs the whole state's width, and arrays are reallocated one at a time.
            new_cap = max(needed, self.capacity + self.capacity // 32 + 16)
            for k, a in self._data.items():
                grown = np.empty(new_cap, dtype=a.dtype)
                grown[: self.n] = a[: self.n]
                grown[self.n :] = self._fill[k]
                self._data[k] = grown
        ids = np.arange(self.n, needed, dtype=np.int64)
        for k, a in self._data.items():
            a[self.n : needed] = self._fill[k]
        self.n = needed
        return ids

    @property
    def fills(self) -> dict[str, float]:
        """Value each attribute takes for citizens added by :meth:`grow`."""
        return dict(self._fill)

    def arrays(self) -> dict[str, NDArray[Any]]:
        """Return every attribute trimmed to ``n`` rows (views, not copies)."""
        return {k: v[: self.n] for k, v in self._data.items()}

    @property
    def nbytes(self) -> int:
        """Bytes held by the citizens' rows."""
        return sum(a[: self.n].nbytes for a in self._data.values())
