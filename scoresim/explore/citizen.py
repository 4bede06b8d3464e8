"""A person's story: one citizen at a snapshot, their years, their friends and a narrative.

The lookup reads the citizen's row of the snapshot looked at (from the cached columns),
their row of every snapshot (one row group each), and their friends from the ties
snapshots. Tables for download (history, friends, friends lost and gained) come from the
same reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from scoresim.explore import friends as circle
from scoresim.explore.blacklist import exits
from scoresim.explore.cache import load_columns, read_row
from scoresim.explore.errors import NotFoundError
from scoresim.explore.narrative import first_listing, narrate
from scoresim.explore.score import band_of, perks_held, score_parts

if TYPE_CHECKING:
    from scoresim.explore.runs import RunIndex, Source

__all__ = ["HISTORY", "TABLES", "citizen", "citizen_table"]

#: States read at every snapshot for the history (where the run has them).
HISTORY = (
    "alive",
    "score",
    "blacklisted",
    "listed_months",
    "violations",
    "expressions",
    "self_censored",
    "income",
    "perks",
    "perk_value",
    "ties_lost",
    "ties_cut_by",
    "score_penalty",
    "score_spillover",
    "dissenter",
    "occupation",
)
#: Tables of a citizen that can be downloaded.
TABLES = ("history", "friends", "changes")


def _history(run: RunIndex, cid: int) -> list[dict[str, Any]]:
    """The citizen's row at every snapshot they were alive or dead in (oldest first)."""
    cols = [c for c in HISTORY if c in run.columns]
    if not cols:
        return []
    out = []
    for s, path in sorted(run.steps.items()):
        row = read_row(path, cid, cols)  # reads one row group of one file
        if row is not None:
            out.append({"step": s, **row})
    return out


def _me(data: Source, scenario: str, replicate: int, cid: int, step: int | None) -> Any:
    """The run, the step, the snapshot's columns and the citizen's row there."""
    run = data.run(scenario, replicate)
    chosen, snap = data.snapshot(run, step)
    cols = load_columns(snap)
    n = circle.citizens_in(cols)
    if not 0 <= cid < n:
        raise NotFoundError(f"no citizen {cid} at step {chosen} of this run (ids 0 to {n - 1})")
    return run, chosen, cols, {k: v[cid].item() for k, v in cols.items()}


def _scored(data: Source, scenario: str, me: dict[str, Any]) -> dict[str, Any]:
    """The score's parts, band, perks and sanctions."""
    marks = data.results.marks("score", None, scenario)
    parts = score_parts(me, data.states(scenario), data.params(scenario, "scoring") or {})
    return {
        "parts": parts,
        "band": band_of(parts["score"], [k for k in marks if k["kind"] == "band"]),
        "components": {c["label"]: c["points"] for c in parts["components"]},
        "penalties": {c["label"]: c["points"] for c in parts["penalties"]},
        "perks": perks_held(int(me.get("perks", 0) or 0), marks),
        "sanctions": {
            "blacklisted": bool(me.get("blacklisted", 0)),
            "months_listed": me.get("listed_months", 0),
            "reach": me.get("reach", 1.0),
            "barred_from_listed_occupations": bool(me.get("barred", 0)),
        },
    }


def citizen(
    data: Source, scenario: str, replicate: int, cid: int, step: int | None
) -> dict[str, Any]:
    """Everything the citizen page shows of citizen ``cid``: their story."""
    run, chosen, cols, me = _me(data, scenario, replicate, cid, step)
    out: dict[str, Any] = {
        "id": cid,
        "step": chosen,
        "scenario": scenario,
        "replicate": replicate,
        "attributes": me,
        "scored": "score" in me,
        "marks": data.results.marks("score", None, scenario),
        "exits": exits(data, scenario),
    }
    if out["scored"]:
        scoring = data.params(scenario, "scoring") or {}
        if float(me["score"]) < float(scoring.get("score_min", 0.0)) - 1e-3:
            # Born after this month's scoring: the score's states still hold their fill.
            out.update(scored=False, unscored="born this month: not scored yet")
        else:
            out.update(_scored(data, scenario, me))
    out["history"] = _history(run, cid)
    out["listed"] = first_listing(out["history"])
    out.update(circle.friends_at(run, cid, chosen, cols))
    changes = circle.changes(run, cid)
    if changes is not None:
        changes.pop("table")
    out["changes"] = changes
    out["narrative"], out["facts"] = narrate(
        me, out["history"], out["listed"], changes, out["exits"]
    )
    return out


def citizen_table(
    data: Source, scenario: str, replicate: int, cid: int, step: int | None, name: str
) -> pa.Table:
    """One of the citizen's tables (``TABLES``), whole, for download."""
    if name not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}")
    run, chosen, cols, _ = _me(data, scenario, replicate, cid, step)
    if name == "history":
        rows = _history(run, cid)
        return pa.Table.from_pylist(rows) if rows else pa.table({"step": pa.array([], pa.int64())})
    if name == "friends":
        found = circle.friends_at(run, cid, chosen, cols)
        path = run.ties.get(found["ties_step"]) if found["ties_step"] is not None else None
        ids = (
            circle.neighbours(path, cid, circle.citizens_in(cols))
            if path is not None
            else np.zeros(0, dtype=np.int64)
        )
        return pa.table(circle.friend_columns(cols, ids))
    changes = circle.changes(run, cid)
    if changes is None:
        return pa.table({"id": pa.array([], pa.int64())})
    return pa.table(changes["table"])
