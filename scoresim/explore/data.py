"""What the explorer reads: a results directory's entries, measures and per-citizen snapshots.

Everything is read-only. Request parameters never become paths: runs are looked up by
entry name and replicate in an index built at start-up, snapshots by step number. Every
effect is an entry minus the one control (``RunSet.baseline``), paired by replicate, its
interval truncated to the measure's range as RunSet truncates it.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from scoresim.analysis.compare import RunSet
from scoresim.analysis.stats import mean_ci, paired_effect, within
from scoresim.core.errors import InputError
from scoresim.explore import blacklist as lists
from scoresim.explore import citizen as story
from scoresim.explore import examples
from scoresim.explore.cache import load_columns, load_ties
from scoresim.explore.entries import refuse_study, scenario_runs, sweep_runs
from scoresim.explore.errors import NotFoundError, UnreadableError, reading
from scoresim.explore.runs import RunIndex, index_run
from scoresim.results import MANIFEST_FILE, MEASURES_FILE
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS
from scoresim.store import load_results, read_experiment

__all__ = ["BLACKLIST_SORTS", "ExplorerData", "NotFoundError", "RunIndex", "open_results"]

BLACKLIST_SORTS = lists.SORTS


def _finite(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


class ExplorerData:
    """A results directory, indexed for the explorer's queries.

    A run whose measures cannot be read is left out, and a snapshot or ties file that cannot
    be read is left out of its run's index; each such run gets a line in ``warnings``.

    Args:
        root: The results directory.
        control: The entry every effect is against (None: the default choice).

    Raises:
        InputError: If it holds no complete run that can be read, is a study's directory,
            or ``control`` names no entry.
    """

    def __init__(self, root: Path, control: str | None = None):
        self.root = root
        exp = read_experiment(root) if root.is_dir() else {}
        refuse_study(root, exp)
        self.points: list[dict[str, Any]] = []
        #: One line for each run left out or with files left out (the command prints them).
        self.warnings: list[str] = []
        if exp.get("kind") == "sweep":
            results, self.points, self.warnings = sweep_runs(root, exp)
        elif (root / MEASURES_FILE).is_file() and (root / MANIFEST_FILE).is_file():
            results = load_results(root)  # a single run's directory: nothing to leave out
        else:
            results, self.warnings = scenario_runs(root, exp)
        self.results: RunSet = results.with_control(control)
        self.runs: dict[str, list[RunIndex]] = {
            name: [index_run(d) for d in sr.dirs] for name, sr in self.results.scenarios.items()
        }
        for name, indexed in self.runs.items():
            for idx in indexed:
                if idx.skipped:
                    files = ", ".join(f"{f} ({why})" for f, why in sorted(idx.skipped.items()))
                    # A ties file left out: friends come from the nearest other ties snapshot.
                    then = "; lookups at those snapshots answer 422" if idx.unreadable else ""
                    self.warnings.append(
                        f"run {idx.run_id} of {name}: left out unreadable {files}{then}"
                    )
        # Replicate number -> position, so a missing replicate cannot shift the others.
        self._position = {
            name: {rep: k for k, rep in enumerate(sr.replicates)}
            for name, sr in self.results.scenarios.items()
        }
        self.steps = int(self.results.first.steps.size)
        self.measures = sorted(self.results.measure_names())
        self._db = duckdb.connect(":memory:")
        self._lock = threading.Lock()  # DuckDB cursors are per thread; creating one is cheap
        self._series_cache: dict[tuple[str, str], dict[str, list[float | None]]] = {}

    # -- lookups -----------------------------------------------------------------------

    @property
    def control(self) -> str:
        """The entry every effect is against."""
        return self.results.baseline

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
        """The snapshot at ``step`` (default: the last that can be read).

        Raises:
            UnreadableError: If the snapshot at ``step`` (default: every one) is unreadable.
            NotFoundError: If the run kept none, or none at ``step``.
        """
        if step is not None and step in run.unreadable:
            raise UnreadableError(
                f"the snapshot at step {step} of run {run.run_id} is unreadable "
                f"({run.unreadable[step]})"
            )
        if not run.steps and run.unreadable:
            raise UnreadableError(f"every snapshot of run {run.run_id} is unreadable")
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

    def metadata(self, scenario: str) -> dict[str, Any]:
        """What the runs of ``scenario`` recorded of their modules, measures and marks."""
        return self.results.scenarios[scenario].runs[0].metadata

    def params(self, scenario: str, module: str) -> dict[str, Any] | None:
        """The parameters of ``module`` in ``scenario`` (None if it does not run it)."""
        mod = self.metadata(scenario).get("modules", {}).get(module)
        return dict(mod.get("params", {})) if isinstance(mod, dict) else None

    def states(self, scenario: str) -> dict[str, dict[str, Any]]:
        """Every per-citizen state the modules of ``scenario`` declared, by name."""
        return {
            k: v
            for mod in self.metadata(scenario).get("modules", {}).values()
            for k, v in mod.get("states", {}).items()
        }

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._db.cursor()

    def rows(self, sql: str, args: list[Any], what: str) -> list[dict[str, Any]]:
        """The rows of a query over snapshot files (``what`` names them in errors)."""
        cur = self._cursor()
        try:
            with reading(what):
                res = cur.execute(sql, args)
                cols = [d[0] for d in res.description]
                return [dict(zip(cols, row, strict=True)) for row in res.fetchall()]
        finally:
            cur.close()

    def table(self, sql: str, args: list[Any], what: str) -> pa.Table:
        """A query's answer as an Arrow table (for CSV)."""
        cur = self._cursor()
        try:
            with reading(what):
                return cur.sql(sql, params=args).to_arrow_table()
        finally:
            cur.close()

    def warm(self) -> None:
        """Load the default view's snapshot and ties (what the first lookup would wait for)."""
        scenario = next((n for n in self.runs if n != self.control), self.control)
        run = self.runs[scenario][0]
        try:  # a file damaged since start-up is reported when a lookup asks for it
            if run.steps:
                load_columns(run.steps[max(run.steps)])
            if run.ties:
                load_ties(run.ties[max(run.ties)])
        except UnreadableError:
            pass

    # -- overview and measures ---------------------------------------------------------

    def _description(self, name: str) -> str:
        for p in self.points:
            if p["entry"] == name:
                values = ", ".join(f"{k} = {v}" for k, v in p["params"].items())
                return f"design point {p['point']}: {values} ({p['complete']} of {p['runs']} runs)"
        return self.results.scenarios[name].runs[0].scenario.description

    def overview(self) -> dict[str, Any]:
        """Entries, control, replicates, steps, measures, snapshot steps and design points."""
        first = next(iter(self.runs.values()))[0]
        return {
            "kind": self.results.kind,
            "name": str(self.results.experiment.get("name", "")),
            "scenarios": list(self.runs),
            "control": self.control,
            "baseline": self.control,
            "replicates": {n: sorted(self._position[n]) for n in self.runs},
            "steps": self.steps,
            "measures": self.measures,
            "snapshot_steps": sorted(first.steps),
            "citizens": first.citizens,
            "descriptions": {n: self._description(n) for n in self.runs},
            "points": self.points,
            "headline": self.results.headline(),
            "occupations": list(OCCUPATIONS),
            "barred_occupations": list(BARRABLE_OCCUPATIONS),
            "measure_info": {m: self.results.measure_info(m) for m in self.measures},
            "example_kinds": examples.KINDS,
        }

    def _known(self, measure: str) -> None:
        if measure not in self.measures:
            raise NotFoundError(f"no measure {measure!r}")

    def series(self, measure: str) -> dict[str, dict[str, list[float | None]]]:
        """Per entry: mean and 95% interval (within the measure's range) at each step."""
        self._known(measure)
        low, high = self.results.value_range(measure)
        out = {}
        for name, sr in self.results.scenarios.items():
            key = (name, measure)
            if key not in self._series_cache:
                _, mean, lo, hi = sr.series(measure)
                if len(sr.runs) < 2:  # one run: no interval
                    lo = hi = np.full(mean.size, np.nan)
                lo, hi = np.maximum(lo, low), np.minimum(hi, high)  # NaN stays NaN
                self._series_cache[key] = {
                    k: [_finite(v) for v in arr[: self.steps]]
                    for k, arr in (("mean", mean), ("ci_low", lo), ("ci_high", hi))
                }
            out[name] = self._series_cache[key]
        return out

    def at_step(self, step: int, measures: list[str]) -> dict[str, dict[str, float | None]]:
        """Per entry: the mean of each measure at ``step`` over replicates."""
        if not 0 <= step < self.steps:
            raise NotFoundError(f"step {step} is outside 0 to {self.steps - 1}")
        return {
            name: {m: self.series(m)[name]["mean"][step] for m in measures if m in self.measures}
            for name in self.runs
        }

    def _values(self, name: str, measure: str, step: int) -> dict[int, float]:
        """Each replicate's value of ``measure`` at ``step`` (NaN where not reported)."""
        sr = self.results.scenarios[name]
        out = {}
        for rep, run in zip(sr.replicates, sr.runs, strict=True):
            col = run.measures.get(measure)
            out[rep] = float(col[step]) if col is not None and step < col.size else math.nan
        return out

    def compare(self, step: int, measures: list[str]) -> dict[str, Any]:
        """Levels of ``measures`` per entry at ``step``, and effects against the control.

        Each effect is entry minus control, paired by replicate (those both have), with its
        95% interval truncated to the range a difference of the measure can take.
        """
        values = self.at_step(step, measures)
        levels: dict[str, dict[str, dict[str, float | int | None]]] = {}
        effects: dict[str, dict[str, dict[str, float | int | None]]] = {}
        for m in (m for m in measures if m in self.measures):
            low, high = self.results.value_range(m)
            base = self._values(self.control, m, step)
            for name in self.runs:
                mine = self._values(name, m, step)
                iv = within(mean_ci(list(mine.values())), low, high)
                levels.setdefault(name, {})[m] = iv.as_dict()
                if name == self.control:
                    continue
                reps = sorted(set(base) & set(mine))
                diff = paired_effect([base[r] for r in reps], [mine[r] for r in reps])
                effects.setdefault(name, {})[m] = within(diff, low - high, high - low).as_dict()
        return {
            "step": step,
            "control": self.control,
            "measures": measures,
            "values": values,
            "levels": levels,
            "effects": effects,
        }

    # -- citizens, the blacklist, examples ------------------------------------------------

    def citizen(self, scenario: str, replicate: int, cid: int, step: int | None) -> dict[str, Any]:
        """Everything the citizen page shows of citizen ``cid``: their story."""
        return story.citizen(self, scenario, replicate, cid, step)

    def blacklist(
        self,
        scenario: str,
        replicate: int,
        step: int | None,
        page: int,
        size: int,
        sort: str,
        descending: bool,
        filters: lists.Filters | None = None,
    ) -> dict[str, Any]:
        """One page of the public blacklist, filtered and sorted, with why each is listed."""
        query = lists.Query(sort, descending, filters or lists.Filters())
        return lists.page(self, scenario, replicate, step, query, page, size)

    def blacklist_table(
        self,
        scenario: str,
        replicate: int,
        step: int | None,
        sort: str,
        descending: bool,
        filters: lists.Filters | None = None,
    ) -> pa.Table:
        """Every listed citizen who passes the filters, sorted, for download."""
        query = lists.Query(sort, descending, filters or lists.Filters())
        return lists.table(self, scenario, replicate, step, query)

    def example(self, scenario: str, replicate: int, kind: str, n: int) -> dict[str, Any]:
        """The ``n``-th citizen of an example kind (e.g. a listed dissenter)."""
        return examples.pick(self, scenario, replicate, kind, n)


def open_results(root: Path, control: str | None = None) -> ExplorerData:
    """Index a results directory for the explorer, effects against ``control``.

    Args:
        root: A results directory (of run, compare or sweep) or a single run's directory.
        control: The scenario (or sweep entry) every effect is against; None: the default
            (the experiment's, else no-score when present, else the first).

    Raises:
        InputError: Not a results directory, no complete run in it, a calibration's or
            robustness study's directory, an unreadable file, or ``control`` naming no
            scenario.
    """
    if not root.is_dir():
        raise InputError(f"{root}: no such results directory")
    try:
        return ExplorerData(root, control)
    except (
        OSError,
        pa.ArrowException,
        duckdb.Error,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
    ) as exc:
        # One line: the command prints it and exits 2 (a traceback would bury it).
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InputError(
            f"{root}: a results file is unreadable ({type(exc).__name__}: {first})"
        ) from None
