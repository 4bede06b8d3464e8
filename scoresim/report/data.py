"""Loading a results directory for figures and reports."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray

from scoresim.errors import InputError
from scoresim.experiments.stats import Interval, mean_ci, paired_effect
from scoresim.results import MANIFEST_FILE, MEASURES_FILE, RunResult, load_run
from scoresim.store import list_runs, run_dir

__all__ = ["CONTROL", "ResultsData", "ScenarioRuns", "load_results"]

#: The scenario effects are measured against when a comparison holds it.
CONTROL = "no-score"


@dataclass
class ScenarioRuns:
    """The replicates of one scenario in a results directory."""

    name: str
    runs: list[RunResult]
    dirs: list[Path]
    replicates: list[int] = field(default_factory=list)  # the runs' replicate numbers

    @property
    def steps(self) -> NDArray[np.int32]:
        """Steps of the first replicate."""
        return self.runs[0].steps

    def has(self, measure: str) -> bool:
        """Whether the scenario reports ``measure`` at all."""
        col = self.runs[0].measures.get(measure)
        return col is not None and bool(np.isfinite(col).any())

    def series(self, measure: str) -> tuple[NDArray[np.float64], ...]:
        """(steps, mean, ci_low, ci_high) of ``measure`` per step over replicates."""
        width = int(self.steps.size)
        stack = np.full((len(self.runs), width), np.nan)
        for k, r in enumerate(self.runs):  # replicates of another length are cut or padded
            col = r.measures.get(measure, np.full(width, np.nan))[:width]
            stack[k, : col.size] = col
        mean = np.nanmean(stack, axis=0) if np.isfinite(stack).any() else stack[0]
        if len(self.runs) < 2:
            return self.steps.astype(np.float64), mean, mean.copy(), mean.copy()
        ivs = [mean_ci(stack[:, j]) for j in range(stack.shape[1])]
        lo = np.array([iv.ci_low for iv in ivs])
        hi = np.array([iv.ci_high for iv in ivs])
        return self.steps.astype(np.float64), mean, lo, hi

    def finals(self, measure: str) -> list[float]:
        """Final value per replicate (NaN where absent)."""
        return [r.final().get(measure, math.nan) for r in self.runs]


@dataclass
class ResultsData:
    """Every complete run of a results directory, grouped by scenario."""

    root: Path
    kind: str
    scenarios: dict[str, ScenarioRuns]
    experiment: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Scenario names in the experiment's order."""
        return list(self.scenarios)

    @property
    def replicates(self) -> int:
        """Replicates of the first scenario."""
        return len(next(iter(self.scenarios.values())).runs)

    @property
    def baseline(self) -> str:
        """The control if the comparison holds one, else the first scenario."""
        return CONTROL if CONTROL in self.scenarios else self.names[0]

    def scored(self) -> list[str]:
        """Scenarios that compute a score."""
        return [n for n, s in self.scenarios.items() if s.has("mean_score")]

    def summary(self, measure: str) -> dict[str, Interval]:
        """Mean and interval of ``measure``'s final value per scenario."""
        return {n: mean_ci(s.finals(measure)) for n, s in self.scenarios.items()}

    def effects(self, measure: str) -> dict[str, Interval]:
        """Paired effect of each scenario against the baseline on ``measure``."""
        base = self.scenarios[self.baseline].finals(measure)
        return {
            n: paired_effect(base, s.finals(measure))
            for n, s in self.scenarios.items()
            if n != self.baseline
        }


def _single_run(path: Path) -> ResultsData:
    result = load_run(path)
    runs = ScenarioRuns(result.scenario.name, [result], [path], [0])
    return ResultsData(path, "run", {runs.name: runs})


def load_results(path: str | Path) -> ResultsData:
    """Load a results directory (from run, compare or sweep) or a single run's directory.

    Raises:
        InputError: If it holds no complete run.
    """
    root = Path(path)
    if (root / MEASURES_FILE).is_file() and (root / MANIFEST_FILE).is_file():
        return _single_run(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such results directory")
    rows = list_runs(root, "complete")
    if not rows:
        raise InputError(f"{root}: holds no complete run")
    exp_file = root / "experiment.json"
    experiment = json.loads(exp_file.read_text(encoding="utf-8")) if exp_file.is_file() else {}
    order = list(experiment.get("scenarios", {})) or sorted({r["scenario"] for r in rows})
    grouped: dict[str, ScenarioRuns] = {}
    for name in order:
        # One run per replicate: where a directory holds several (e.g. repeated `scoresim
        # run` with other options), the one that finished last stands for it.
        latest: dict[int, dict[str, Any]] = {}
        for r in rows:
            if r["scenario"] == name:
                seen = latest.get(r["replicate"])
                if seen is None or (r["finished"] or 0) > (seen["finished"] or 0):
                    latest[r["replicate"]] = r
        mine = [latest[k] for k in sorted(latest)]
        if not mine:
            continue
        dirs = [run_dir(root, r["run_id"]) for r in mine]
        grouped[name] = ScenarioRuns(
            name, [load_run(d) for d in dirs], dirs, [int(r["replicate"]) for r in mine]
        )
    return ResultsData(root, str(experiment.get("kind", "run")), grouped, experiment)


def ego_tables(run_path: Path) -> dict[str, dict[str, NDArray[Any]]]:
    """A run's ego-network tables (``nodes`` and ``ties``), empty if none were recorded."""
    out: dict[str, dict[str, NDArray[Any]]] = {}
    for part in ("nodes", "ties"):
        f = run_path / f"ego_{part}.parquet"
        if f.is_file():
            t = pq.read_table(f)
            out[part] = {c: t.column(c).to_numpy() for c in t.column_names}
    return out
