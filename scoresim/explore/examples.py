"""Examples to look up without knowing an id: a listed dissenter, a dissenter's friend, ...

Candidates come from a run's last snapshot, most telling first (e.g. the listed dissenter
who lost most ties), so a teacher's first pick is a rich story and "another" walks down the
list. Each ordering is numpy over the snapshot's columns, cached per snapshot.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from scoresim.explore.cache import count_rows, load_columns, load_ties
from scoresim.explore.errors import NotFoundError

if TYPE_CHECKING:
    from scoresim.explore.runs import Source

__all__ = ["KINDS", "pick"]

#: Example kinds, with what they are (as the page offers them).
KINDS = {
    "listed-dissenter": "a dissenter on the blacklist",
    "listed-conformer": "a conformer on the blacklist",
    "dissenter-friend": "a conformer with dissenting friends",
    "conformer-perks": "a conformer with perks",
    "random": "any living citizen, at random",
}


def _col(cols: dict[str, NDArray[Any]], name: str, n: int, fill: float = 0) -> NDArray[Any]:
    return cols[name] if name in cols else np.full(n, fill)


def _dissenting_friends(ties: Path, dissenter: NDArray[Any]) -> NDArray[np.int64]:
    """How many friends with dissenting views each citizen has."""
    indptr, nbrs = load_ties(ties)
    n = dissenter.size
    flag = np.zeros(max(n, int(nbrs.max()) + 1 if nbrs.size else 0), dtype=np.int32)
    flag[:n] = dissenter == 1
    running = np.zeros(nbrs.size + 1, dtype=np.int64)
    np.cumsum(flag[nbrs], out=running[1:])
    counts = np.zeros(n, dtype=np.int64)
    rows = min(n, indptr.size - 1)
    counts[:rows] = running[indptr[1 : rows + 1]] - running[indptr[:rows]]
    return counts


@functools.lru_cache(maxsize=8)
def _ordered(snap: Path, ties: Path | None, kind: str) -> NDArray[np.int64]:
    """The candidates of ``kind`` at a snapshot, most telling first."""
    cols = load_columns(snap)
    n = int(next(iter(cols.values())).size) if cols else 0
    ids = np.arange(n, dtype=np.int64)
    alive = _col(cols, "alive", n, 1) == 1
    diss = _col(cols, "dissenter", n) == 1
    listed = _col(cols, "blacklisted", n) == 1
    if kind == "listed-dissenter":
        keep, key = alive & listed & diss, -_col(cols, "ties_lost", n).astype(np.float64)
    elif kind == "listed-conformer":
        keep, key = alive & listed & ~diss, -_col(cols, "score_spillover", n)
    elif kind == "dissenter-friend":
        friends = (
            _dissenting_friends(ties, _col(cols, "dissenter", n))
            if ties is not None
            else np.zeros(n, dtype=np.int64)
        )
        keep = alive & ~diss & (friends > 0)
        key = -_col(cols, "score_spillover", n) - friends
    elif kind == "conformer-perks":
        perks = _col(cols, "perks", n).astype(np.uint8)
        held = np.unpackbits(perks[:, None], axis=1).sum(axis=1)
        keep, key = alive & ~diss & ~listed & (held > 0), -held - _col(cols, "score", n) / 1e4
    else:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    chosen = ids[keep]
    return np.asarray(chosen[np.lexsort((chosen, key[keep]))], dtype=np.int64)


def pick(data: Source, scenario: str, replicate: int, kind: str, n: int) -> dict[str, Any]:
    """The ``n``-th example of ``kind`` (counting round) at the run's last snapshot."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    run = data.run(scenario, replicate)
    step, snap = data.snapshot(run, None)
    ties = run.ties[max(run.ties)] if run.ties else None
    if kind == "random":  # every living citizen, by id: not worth a cached copy
        cols = load_columns(snap)
        alive = cols["alive"] == 1 if "alive" in cols else np.ones(count_rows(snap), dtype=bool)
        found = np.flatnonzero(alive)
    else:
        found = _ordered(snap, ties, kind)
    if not found.size:
        raise NotFoundError(f"nobody in {scenario} is {KINDS[kind]} at its last snapshot")
    return {
        "id": int(found[n % found.size]),
        "kind": kind,
        "what": KINDS[kind],
        "step": step,
        "n": n % found.size,
        "candidates": int(found.size),
    }
