"""Reading a results directory back: its complete runs, grouped by scenario, as a RunSet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from numpy.typing import NDArray

from scoresim.analysis.compare import RunSet, ScenarioRuns
from scoresim.core.errors import InputError
from scoresim.results import MANIFEST_FILE, MEASURES_FILE, load_run
from scoresim.store.layout import read_experiment, run_dir
from scoresim.store.manifest import DB_FILE, list_runs

__all__ = ["ego_tables", "load_results", "runs_by_scenario"]


def _single_run(path: Path) -> RunSet:
    result = load_run(path)
    runs = ScenarioRuns(result.scenario.name, [result], [path], [0])
    return RunSet({runs.name: runs}, path, "run")


def _checked(root: Path, row: dict[str, Any]) -> dict[str, Any]:
    """A complete run's manifest row, if its values have the types this reader relies on.

    Raises:
        InputError: A value of another type (a manifest edited or damaged by hand).
    """
    replicate, finished = row.get("replicate"), row.get("finished")
    run_id = row.get("run_id")
    plain_id = (
        isinstance(run_id, str) and Path(run_id).name == run_id and run_id not in ("", ".", "..")
    )
    if not plain_id:  # a run's directory is runs/RUN_ID: an id with a path would lead out
        raise InputError(
            f"{root / DB_FILE}: a row names run {run_id!r}, which is not a run's directory name; "
            f"`scoresim repair {root}` rebuilds the manifest"
        )
    if not isinstance(replicate, int) or not (
        finished is None or isinstance(finished, int | float)
    ):
        raise InputError(
            f"{root / DB_FILE}: the row of run {row.get('run_id')!r} is damaged (replicate = "
            f"{replicate!r}, finished = {finished!r}); `scoresim repair {root}` rebuilds it"
        )
    return row


def runs_by_scenario(root: Path, experiment: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each scenario's complete manifest rows, one per replicate, in the experiment's order.

    Where a directory holds several runs of a replicate (e.g. repeated ``scoresim run`` with
    other options), the one that finished last stands for it.

    Raises:
        InputError: If the directory holds no complete run, or a row is damaged.
    """
    rows = [_checked(root, r) for r in list_runs(root, "complete")]
    if not rows:
        raise InputError(f"{root}: holds no complete run")
    named = experiment.get("scenarios")
    order = list(named if isinstance(named, dict) else {}) or sorted(
        {str(r["scenario"]) for r in rows}
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for name in order:
        latest: dict[int, dict[str, Any]] = {}
        for r in rows:
            if r["scenario"] == name:
                seen = latest.get(r["replicate"])
                if seen is None or (r["finished"] or 0) > (seen["finished"] or 0):
                    latest[r["replicate"]] = r
        if latest:
            out[name] = [latest[k] for k in sorted(latest)]
    return out


def load_results(path: str | Path) -> RunSet:
    """Load a results directory (from run, compare or sweep) or a single run's directory.

    Raises:
        InputError: If it holds no complete run.
    """
    root = Path(path)
    if (root / MEASURES_FILE).is_file() and (root / MANIFEST_FILE).is_file():
        return _single_run(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such results directory")
    experiment = read_experiment(root)
    grouped: dict[str, ScenarioRuns] = {}
    for name, mine in runs_by_scenario(root, experiment).items():
        dirs = [run_dir(root, r["run_id"]) for r in mine]
        grouped[name] = ScenarioRuns(
            name, [load_run(d) for d in dirs], dirs, [int(r["replicate"]) for r in mine]
        )
    control = experiment.get("control")
    if not isinstance(control, str) or control not in grouped:
        control = None  # none named, or its runs are missing: the default choice
    return RunSet(grouped, root, str(experiment.get("kind", "run")), experiment, control)


def ego_tables(run_path: Path) -> dict[str, dict[str, NDArray[Any]]]:
    """A run's ego-network tables (``nodes`` and ``ties``), empty if none were recorded."""
    out: dict[str, dict[str, NDArray[Any]]] = {}
    for part in ("nodes", "ties"):
        f = run_path / f"ego_{part}.parquet"
        if f.is_file():
            t = pq.read_table(f)
            out[part] = {c: t.column(c).to_numpy() for c in t.column_names}
    return out
