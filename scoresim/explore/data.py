"""What the explorer reads: a results directory's runs, measures and per-citizen snapshots.

Everything is read-only. Request parameters never become paths: runs are looked up by
scenario name and replicate in an index built at start-up, snapshots by step number.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq

from scoresim.analysis.compare import RunSet
from scoresim.core.errors import InputError
from scoresim.explore.cache import load_columns, load_ties, read_row
from scoresim.results import SNAPSHOT_DIR
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS
from scoresim.store import load_results

__all__ = ["BLACKLIST_SORTS", "ExplorerData", "NotFoundError", "band_of"]

#: Columns the blacklist may be sorted by.
BLACKLIST_SORTS = ("id", "score", "listed_months", "violations", "age")
MAX_FRIENDS = 200
_STEP_FILE = re.compile(r"step-(\d{6})\.parquet$")
_TIES_FILE = re.compile(r"ties-(\d{6})\.parquet$")


class NotFoundError(Exception):
    """A scenario, replicate, step or citizen that is not in the results."""


def _group(states: dict[str, Any], group: str) -> list[str]:
    """Names of the declared states in ``group``, in declared order."""
    return [k for k, v in states.items() if v.get("group") == group]


def _part_label(state: dict[str, Any]) -> str:
    """A score part's label: its state's description, without the leading "points ..."."""
    desc = str(state.get("description", ""))
    return desc.removeprefix("points from ").removeprefix("points lost to ")


def band_of(score: float, bands: list[dict[str, Any]]) -> str | None:
    """The band a score falls in, from the bands the scoring module declared (as marks)."""
    below = [b for b in bands if score >= float(b["value"])]
    return str(max(below, key=lambda b: float(b["value"]))["label"]) if below else None


@dataclass
class RunIndex:
    """Where one run's snapshots are."""

    run_id: str
    directory: Path
    steps: dict[int, Path] = field(default_factory=dict)
    ties: dict[int, Path] = field(default_factory=dict)
    citizens: int = 0
    columns: list[str] = field(default_factory=list)


def _index_run(directory: Path) -> RunIndex:
    snaps = directory / SNAPSHOT_DIR
    idx = RunIndex(directory.name, directory)
    if snaps.is_dir():
        for f in sorted(snaps.iterdir()):
            if m := _STEP_FILE.search(f.name):
                idx.steps[int(m.group(1))] = f
            elif m := _TIES_FILE.search(f.name):
                idx.ties[int(m.group(1))] = f
    if idx.steps:
        meta = pq.read_metadata(idx.steps[max(idx.steps)])
        idx.citizens = meta.num_rows
        idx.columns = list(meta.schema.names)
    return idx


class ExplorerData:
    """A results directory, indexed for the explorer's queries.

    Args:
        root: The results directory.

    Raises:
        InputError: If it holds no complete run.
    """

    def __init__(self, root: Path):
        self.root = root
        self.results: RunSet = load_results(root)
        self.runs: dict[str, list[RunIndex]] = {
            name: [_index_run(d) for d in sr.dirs] for name, sr in self.results.scenarios.items()
        }
        # Replicate number -> position, so a missing replicate cannot shift the others.
        self._position = {
            name: {rep: k for k, rep in enumerate(sr.replicates)}
            for name, sr in self.results.scenarios.items()
        }
        first = next(iter(self.results.scenarios.values())).runs[0]
        self.steps = int(first.steps.size)
        self.measures = sorted(self.results.measure_names())
        self._db = duckdb.connect(":memory:")
        self._lock = threading.Lock()  # DuckDB cursors are per thread; creating one is cheap
        self._series_cache: dict[tuple[str, str], dict[str, list[float | None]]] = {}

    # -- lookups -----------------------------------------------------------------------

    def run(self, scenario: str, replicate: int) -> RunIndex:
        """The run of ``scenario`` and ``replicate``."""
        if scenario not in self.runs:
            raise NotFoundError(f"no scenario {scenario!r}; have {', '.join(self.runs)}")
        known = self._position[scenario]
        if replicate not in known:
            raise NotFoundError(
                f"{scenario} has replicates {', '.join(map(str, sorted(known)))}, not {replicate}"
            )
        return self.runs[scenario][known[replicate]]

    def snapshot(self, run: RunIndex, step: int | None) -> tuple[int, Path]:
        """The snapshot at ``step`` (default: the last)."""
        if not run.steps:
            raise NotFoundError(
                f"run {run.run_id} kept no per-citizen snapshots "
                "(set record.snapshot_every in its scenario)"
            )
        chosen = max(run.steps) if step is None else step
        if chosen not in run.steps:
            raise NotFoundError(
                f"no snapshot at step {step}; snapshots at steps "
                f"{', '.join(map(str, sorted(run.steps)))}"
            )
        return chosen, run.steps[chosen]

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._db.cursor()

    def _rows(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        cur = self._cursor()
        try:
            res = cur.execute(sql, args)
            cols = [d[0] for d in res.description]
            return [dict(zip(cols, row, strict=True)) for row in res.fetchall()]
        finally:
            cur.close()

    def warm(self) -> None:
        """Load the default view's snapshot and ties (what the first lookup would wait for)."""
        scenario = self.results.baseline
        scenario = next((n for n in self.runs if n != scenario), scenario)
        run = self.runs[scenario][0]
        if run.steps:
            load_columns(run.steps[max(run.steps)])
        if run.ties:
            load_ties(run.ties[max(run.ties)])

    # -- overview and measures ---------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        """Scenarios, replicates, steps, measures and snapshot steps."""
        first = next(iter(self.runs.values()))[0]
        return {
            "scenarios": list(self.runs),
            "replicates": {n: len(r) for n, r in self.runs.items()},
            "steps": self.steps,
            "measures": self.measures,
            "snapshot_steps": sorted(first.steps),
            "citizens": first.citizens,
            "baseline": self.results.baseline,
            "descriptions": {
                n: sr.runs[0].scenario.description for n, sr in self.results.scenarios.items()
            },
            "headline": self.results.headline(),
            "occupations": list(OCCUPATIONS),
            "barred_occupations": list(BARRABLE_OCCUPATIONS),
            "measure_info": {m: self.results.measure_info(m) for m in self.measures},
        }

    def series(self, measure: str) -> dict[str, dict[str, list[float | None]]]:
        """Per scenario: mean and 95% interval of ``measure`` at each step."""
        if measure not in self.measures:
            raise NotFoundError(f"no measure {measure!r}")
        out = {}
        for name, sr in self.results.scenarios.items():
            key = (name, measure)
            if key not in self._series_cache:
                _, mean, lo, hi = sr.series(measure)
                if len(sr.runs) < 2:  # one run: no interval
                    lo = hi = np.full(mean.size, np.nan)
                self._series_cache[key] = {
                    k: [None if math.isnan(v) else float(v) for v in arr[: self.steps]]
                    for k, arr in (("mean", mean), ("ci_low", lo), ("ci_high", hi))
                }
            out[name] = self._series_cache[key]
        return out

    def at_step(self, step: int, measures: list[str]) -> dict[str, dict[str, float | None]]:
        """Per scenario: the mean of each measure at ``step`` over replicates."""
        if not 0 <= step < self.steps:
            raise NotFoundError(f"step {step} is outside 0 to {self.steps - 1}")
        return {
            name: {m: self.series(m)[name]["mean"][step] for m in measures if m in self.measures}
            for name in self.runs
        }

    # -- citizens ----------------------------------------------------------------------

    def citizen(self, scenario: str, replicate: int, cid: int, step: int | None) -> dict[str, Any]:
        """Everything the lookup shows about citizen ``cid``."""
        run = self.run(scenario, replicate)
        step, snap = self.snapshot(run, step)
        cols = load_columns(snap)
        if not 0 <= cid < len(cols["id"]):
            raise NotFoundError(
                f"no citizen {cid} at step {step} of this run (ids 0 to {len(cols['id']) - 1})"
            )
        me = {k: v[cid].item() for k, v in cols.items()}
        scored = "score" in me
        out: dict[str, Any] = {
            "id": cid,
            "step": step,
            "scenario": scenario,
            "replicate": replicate,
            "attributes": me,
            "scored": scored,
        }
        if scored:
            meta = self.results.scenarios[scenario].runs[0]
            marks = [k for k in meta.metadata.get("marks", []) if k["on"] == "score"]
            out["band"] = band_of(float(me["score"]), [k for k in marks if k["kind"] == "band"])
            # The score's parts as the scoring module groups and describes its states.
            states = {
                k: v
                for mod in meta.metadata.get("modules", {}).values()
                for k, v in mod.get("states", {}).items()
            }
            out["components"] = {
                _part_label(states[k]): me.get(k) for k in _group(states, "score component")
            }
            out["penalties"] = {
                _part_label(states[k]): -float(me.get(k, 0.0))
                for k in _group(states, "score penalty")
            }
            bits = int(me.get("perks", 0) or 0)
            perks = sorted((k for k in marks if k["kind"] == "perk"), key=lambda k: k["value"])
            out["perks"] = [
                {"threshold": p["value"], "perk": p["label"], "held": bool(bits >> k & 1)}
                for k, p in enumerate(perks)
            ]
            out["sanctions"] = {
                "blacklisted": bool(me.get("blacklisted", 0)),
                "months_listed": me.get("listed_months", 0),
                "reach": me.get("reach", 1.0),
                "barred_from_listed_occupations": bool(me.get("barred", 0)),
            }
        out["history"] = self._history(run, cid)
        found = self._ties_file(run, step)
        if found is None:
            out.update(
                friends=[], friends_total=0, ties_step=None, ego={"nodes": [cid], "ties": []}
            )
            return out
        out["ties_step"], ties = found
        indptr, nbrs = load_ties(ties)
        friends = nbrs[indptr[cid] : indptr[cid + 1]] if cid + 1 < indptr.size else nbrs[:0]
        friends = friends[friends < len(cols["id"])]
        out["friends_total"] = int(friends.size)
        out["friends"] = self._friend_rows(cols, friends)
        shown = np.array([f["id"] for f in out["friends"]], dtype=np.int64)
        out["ego"] = _ego(indptr, nbrs, cid, shown)
        return out

    def _friend_rows(self, cols: dict[str, Any], friends: Any) -> list[dict[str, Any]]:
        keys = ["id"] + [
            c for c in ("score", "drag", "dissenter", "blacklisted", "alive") if c in cols
        ]
        rows = [{k: cols[k][f].item() for k in keys} for f in friends.tolist()]
        if "drag" in keys:  # who drags the score down comes first
            rows.sort(key=lambda r: (-r["drag"], r["id"]))
        return rows[:MAX_FRIENDS]

    def _history(self, run: RunIndex, cid: int) -> list[dict[str, Any]]:
        cols = [
            c
            for c in ("score", "violations", "perk_value", "blacklisted", "ties_lost")
            if c in run.columns
        ]
        if not cols:
            return []
        out = []
        for s, path in sorted(run.steps.items()):
            row = read_row(path, cid, cols)  # reads one row group of one file
            if row is not None:
                out.append({"step": s, **row})
        return out

    def _ties_file(self, run: RunIndex, step: int) -> tuple[int, Path] | None:
        earlier = [s for s in run.ties if s <= step]
        if not run.ties:
            return None
        s = max(earlier) if earlier else min(run.ties)
        return s, run.ties[s]

    # -- the blacklist -----------------------------------------------------------------

    def blacklist(
        self,
        scenario: str,
        replicate: int,
        step: int | None,
        page: int,
        size: int,
        sort: str,
        descending: bool,
    ) -> dict[str, Any]:
        """One page of the public blacklist, sorted."""
        if sort not in BLACKLIST_SORTS:
            raise ValueError(f"sort must be one of {', '.join(BLACKLIST_SORTS)}")
        run = self.run(scenario, replicate)
        step, snap = self.snapshot(run, step)
        if "blacklisted" not in run.columns:
            return {
                "step": step,
                "total": 0,
                "page": page,
                "size": size,
                "rows": [],
                "note": f"{scenario} has no blacklist",
            }
        if sort not in run.columns:
            raise ValueError(
                f"sort = {sort!r}: this run's snapshots have no such column; sortable here: "
                f"{', '.join(c for c in BLACKLIST_SORTS if c in run.columns)}"
            )
        cols = ["id"] + [
            c
            for c in ("score", "listed_months", "violations", "age", "occupation")
            if c in run.columns
        ]
        order = f'"{sort}" {"DESC" if descending else "ASC"}, id ASC'
        src = f"read_parquet('{_q(snap)}')"
        total = self._rows(f"SELECT count(*) AS n FROM {src} WHERE blacklisted = 1", [])[0]["n"]
        rows = self._rows(
            f"SELECT {', '.join(cols)} FROM {src} WHERE blacklisted = 1 ORDER BY {order} "
            "LIMIT ? OFFSET ?",
            [size, (page - 1) * size],
        )
        return {"step": step, "total": total, "page": page, "size": size, "rows": rows}


def _ego(indptr: Any, nbrs: Any, cid: int, friends: Any) -> dict[str, Any]:
    """The citizen, the shown friends and every tie among them."""
    members = np.union1d(friends, [cid])
    ties = []
    for u in members.tolist():
        if u + 1 >= indptr.size:
            continue
        row = nbrs[indptr[u] : indptr[u + 1]]
        for v in row[(row > u) & np.isin(row, members)].tolist():
            ties.append([u, v])
    return {"nodes": members.tolist(), "ties": ties}


def _q(path: Path) -> str:
    """A path from the index (never from a request), quoted for a SQL string literal."""
    return str(path).replace("'", "''")


def open_results(root: Path) -> ExplorerData:
    """Index a results directory for the explorer.

    Raises:
        InputError: Not a results directory, or no complete run in it.
    """
    if not root.is_dir():
        raise InputError(f"{root}: no such results directory")
    return ExplorerData(root)
