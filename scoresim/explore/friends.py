"""A citizen's friends: at a snapshot, drawn as a circle, and lost and gained over the run.

Ties are snapshotted at the first and the last snapshot. Friends lost are those at the
first and not at the last; gained, the reverse. Who cut whom is not recorded tie by tie;
the counts ``ties_cut_by`` (ties a citizen cut for score reasons) and ``ties_lost`` (ties
others cut with them) are. So each lost tie says what the counts allow: a death, a cut by
either side for score reasons (when both counts moved), or fading (when neither could be a
score cut). Everything is numpy over the citizen's friends, never a loop over citizens.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from scoresim.explore.cache import count_rows, load_column, load_columns, load_ties

if TYPE_CHECKING:
    from scoresim.explore.runs import RunIndex

__all__ = [
    "MAX_FRIENDS",
    "changes",
    "citizens_in",
    "friend_columns",
    "friends_at",
    "neighbours",
    "rows_of",
]

#: Friends (and changes) listed in a lookup; the CSV has them all.
MAX_FRIENDS = 200
_SHOWN = ("score", "drag", "dissenter", "blacklisted", "alive")
Columns = dict[str, NDArray[Any]]


def citizens_in(cols: Columns) -> int:
    """How many citizens a snapshot's columns hold."""
    return int(next(iter(cols.values())).size) if cols else 0


def neighbours(path: Path, cid: int, citizens: int) -> NDArray[np.int64]:
    """Citizen ``cid``'s friends in the ties file at ``path`` (ids below ``citizens``)."""
    indptr, nbrs = load_ties(path)
    if cid + 1 >= indptr.size:
        return np.zeros(0, dtype=np.int64)
    row = nbrs[indptr[cid] : indptr[cid + 1]].astype(np.int64)
    return np.unique(row[(row >= 0) & (row < citizens)])


def rows_of(table: Columns, limit: int = MAX_FRIENDS) -> list[dict[str, Any]]:
    """The first ``limit`` rows of a column table as JSON-ready dicts."""
    cols = {k: v[:limit].tolist() for k, v in table.items()}
    count = len(next(iter(cols.values()))) if cols else 0
    return [{k: v[i] for k, v in cols.items()} for i in range(count)]


def friend_columns(cols: Columns, friends: NDArray[np.int64]) -> Columns:
    """The friends' columns shown, those who drag the score down most first."""
    keys = [k for k in _SHOWN if k in cols]
    if "drag" in cols:
        friends = friends[np.lexsort((friends, -cols["drag"][friends]))]
    return {"id": friends, **{k: cols[k][friends] for k in keys}}


def _ties_at(run: RunIndex, step: int) -> tuple[int, Path] | None:
    """The ties snapshot in force at ``step`` (the latest at or before, else the first)."""
    if not run.ties:
        return None
    earlier = [s for s in run.ties if s <= step]
    s = max(earlier) if earlier else min(run.ties)
    return s, run.ties[s]


def friends_at(run: RunIndex, cid: int, step: int, cols: Columns) -> dict[str, Any]:
    """The citizen's friends at ``step``'s ties snapshot, and their circle drawn."""
    citizens = citizens_in(cols)
    found = _ties_at(run, step)
    if found is None:
        return {"friends": [], "friends_total": 0, "ties_step": None, "ego": _ego(None, cid, [])}
    ties_step, path = found
    table = friend_columns(cols, neighbours(path, cid, citizens))
    shown = table["id"][:MAX_FRIENDS]
    return {
        "ties_step": ties_step,
        "friends_total": int(table["id"].size),
        "friends": rows_of(table),
        "ego": _ego(path, cid, shown),
    }


def _ego(path: Path | None, cid: int, friends: Any) -> dict[str, Any]:
    """The citizen, the shown friends and every tie among them."""
    members = np.union1d(np.asarray(friends, dtype=np.int64), [cid])
    if path is None:
        return {"nodes": members.tolist(), "ties": []}
    indptr, nbrs = load_ties(path)
    ties: list[list[int]] = []
    for u in members.tolist():  # at most MAX_FRIENDS + 1 rows of the ties
        if u + 1 >= indptr.size:
            continue
        row = nbrs[indptr[u] : indptr[u + 1]]
        ties.extend([u, v] for v in row[(row > u) & np.isin(row, members)].tolist())
    return {"nodes": members.tolist(), "ties": ties}


def _delta(run: RunIndex, first: int, last: int, state: str, ids: NDArray[np.int64]) -> Any:
    """How much ``state`` (a running count) rose between two snapshots, for ``ids``."""
    a = load_column(run.steps[first], state).astype(np.int64)
    b = load_column(run.steps[last], state).astype(np.int64)
    return b[ids] - a[ids]


def changes(run: RunIndex, cid: int) -> dict[str, Any] | None:
    """Friends lost and gained between the first and last ties snapshots, and how.

    None when ties were snapshotted once, or the citizen was not yet born at the first.
    """
    if len(run.ties) < 2:
        return None
    first, last = min(run.ties), max(run.ties)
    if first not in run.steps or last not in run.steps:
        return None
    now = load_columns(run.steps[last])
    n_first = count_rows(run.steps[first])
    if cid >= n_first:
        return None
    f0 = neighbours(run.ties[first], cid, n_first)
    f1 = neighbours(run.ties[last], cid, citizens_in(now))
    lost, gained = np.setdiff1d(f0, f1), np.setdiff1d(f1, f0)
    counted = {"ties_cut_by", "ties_lost"} <= set(now)
    me = np.array([cid])
    out: dict[str, Any] = {
        "from_step": first,
        "to_step": last,
        "first": int(f0.size),
        "last": int(f1.size),
        "lost": int(lost.size),
        "gained": int(gained.size),
        "cut_by_others": int(_delta(run, first, last, "ties_lost", me)[0]) if counted else None,
        "cut_by_them": int(_delta(run, first, last, "ties_cut_by", me)[0]) if counted else None,
    }
    table = _change_columns(run, now, cid, lost, gained, out, counted)
    out["rows_total"] = int(table["id"].size)
    out["rows"] = rows_of(table)
    out["table"] = table
    return out


def _change_columns(
    run: RunIndex,
    now: Columns,
    cid: int,
    lost: NDArray[np.int64],
    gained: NDArray[np.int64],
    counts: dict[str, Any],
    counted: bool,
) -> Columns:
    """Lost then gained friends: their state at the last snapshot and how each tie ended."""
    ids = np.concatenate([lost, gained])
    first, last = counts["from_step"], counts["to_step"]
    table: Columns = {
        "id": ids,
        "change": np.array(["lost"] * lost.size + ["gained"] * gained.size, dtype=object),
    }
    for k in ("score", "dissenter", "blacklisted", "alive"):
        if k in now:
            table[k] = now[k][ids]
    ended = np.full(ids.size, "new friend", dtype=object)
    ended[: lost.size] = _how_ended(run, now, cid, lost, counts, counted)
    table["how"] = ended
    if counted:
        n_first = count_rows(run.steps[first])
        old = np.where(ids < n_first, ids, 0)  # a friend born since had counted nothing
        for k in ("ties_cut_by", "ties_lost"):
            table[k + "_since"] = np.where(
                ids < n_first, _delta(run, first, last, k, old), now[k][ids]
            )
    return table


def _how_ended(
    run: RunIndex,
    now: Columns,
    cid: int,
    lost: NDArray[np.int64],
    counts: dict[str, Any],
    counted: bool,
) -> NDArray[Any]:
    """How each lost tie may have ended, as far as the running counts tell."""
    alive = now["alive"] if "alive" in now else np.ones(citizens_in(now), dtype=np.uint8)
    if not counted:
        they = mine = np.zeros(lost.size, dtype=bool)
    else:
        first, last = counts["from_step"], counts["to_step"]
        they = (_delta(run, first, last, "ties_cut_by", lost) > 0) & (counts["cut_by_others"] > 0)
        mine = (_delta(run, first, last, "ties_lost", lost) > 0) & (counts["cut_by_them"] > 0)
    return np.select(
        [
            np.full(lost.size, alive[cid] != 1),
            alive[lost] != 1,
            they & mine,
            they,
            mine,
        ],
        [
            "this citizen died",
            "friend died",
            "cut for score reasons by either, or faded",
            "cut by the friend for score reasons, or faded",
            "cut by this citizen for score reasons, or faded",
        ],
        "faded (not a score cut)",
    )
