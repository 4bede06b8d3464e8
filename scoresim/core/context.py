"""What a module sees of a run: the ``Context`` protocol modules program against.

The engine's ``Simulation`` satisfies it; modules never import the engine. The protocols name
exactly what a mechanism may touch: citizens' arrays, the ties (read them, queue edits), the
clock, its random streams, the states of other modules it declared it reads, and births.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from scoresim.core.rng import Stream

__all__ = ["Citizens", "Context", "LifeTableView", "Ties"]


class LifeTableView(Protocol):
    """The society's mortality and fertility by whole year of age."""

    def hazard(self, age: NDArray[np.floating]) -> NDArray[np.float64]:
        """Yearly chance of death at each age."""

    def fertility(self, age: NDArray[np.floating]) -> NDArray[np.float64]:
        """Yearly chance of a child at each age, without any policy."""


class Citizens(Protocol):
    """Per-citizen arrays, one row per citizen (the row is the citizen's id)."""

    @property
    def n(self) -> int:
        """Citizens ever born (ids ``0..n-1``)."""

    def __getitem__(self, name: str) -> NDArray[Any]:
        """A writable view of state ``name`` (KeyError if no module declares it)."""

    def __contains__(self, name: object) -> bool:
        """Whether state ``name`` exists in this run."""

    def __iter__(self) -> Iterator[str]:
        """State names."""


class Ties(Protocol):
    """The symmetric network in CSR form, with edits queued until the end of the phase."""

    @property
    def indptr(self) -> NDArray[np.int64]:
        """Row pointers, length ``n + 1``."""

    @property
    def indices(self) -> NDArray[np.int32]:
        """Neighbour ids, row after row, sorted within each row."""

    @property
    def n(self) -> int:
        """Number of nodes."""

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""

    def degree(self, nodes: NDArray[np.integer] | None = None) -> NDArray[np.int64]:
        """Ties of each node (or of ``nodes``)."""

    def sources(self) -> NDArray[np.int64]:
        """The first end of each entry of ``indices`` (the row holding it)."""

    def neighbours(self, i: int) -> NDArray[np.int32]:
        """Ids of node ``i``'s neighbours, ascending."""

    def ties_of(self, nodes: NDArray[np.integer]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every tie of ``nodes`` as (node, neighbour) arrays."""

    def has_ties(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> NDArray[np.bool_]:
        """Whether each tie ``(a[k], b[k])`` exists."""

    def cut(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> None:
        """Queue ties for removal at the end of the phase."""

    def add(self, a: NDArray[np.integer], b: NDArray[np.integer]) -> None:
        """Queue ties for creation at the end of the phase."""

    @property
    def pending(self) -> bool:
        """Whether edits are queued."""

    def commit(self) -> tuple[int, int]:
        """Apply the queued edits now; returns (ties cut, ties added)."""


class Context(Protocol):
    """A run as a module sees it (the engine's ``Simulation`` is one)."""

    @property
    def people(self) -> Citizens:
        """Per-citizen state of every module, one namespace."""

    @property
    def network(self) -> Ties:
        """The social network."""

    @property
    def t(self) -> int:
        """The current step (month), from 0."""

    @property
    def n(self) -> int:
        """Citizens ever born (ids ``0..n-1``)."""

    @property
    def year(self) -> int:
        """The current year of the run, from 0."""

    @property
    def life_table(self) -> LifeTableView:
        """The society's life table (``society.life_table``)."""

    @property
    def burn_in(self) -> bool:
        """Whether this step is in the burn-in, before the policy starts."""

    def stream(self, decision: str) -> Stream:
        """The random stream of a decision the current module declared in ``streams``."""

    def read(self, name: str) -> NDArray[Any]:
        """Another module's state the current module declared in ``reads``.

        The state itself when its module runs, else an array of the declared default.
        """

    def record(self, name: str, value: float) -> None:
        """Report one of the current module's measures for this step."""

    def commit(self) -> tuple[int, int]:
        """Apply the ties queued so far now, instead of at the end of the phase."""

    def grow(self, count: int) -> NDArray[np.int64]:
        """Add ``count`` citizens without ties (births); return their ids."""
