"""Comparing policies on one society under common random numbers, with replicates."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoresim.errors import InputError
from scoresim.experiments.batch import BatchProgress, run_batch, write_experiment
from scoresim.experiments.executors import Executor, InProcessExecutor
from scoresim.experiments.spec import RunSpec, derive_seed
from scoresim.experiments.stats import Interval, mean_ci, paired_effect
from scoresim.results import RunResult, load_run
from scoresim.scenario import Scenario, load_scenario
from scoresim.store import run_dir

__all__ = ["Comparison", "compare"]


@dataclass
class Comparison:
    """Runs of several scenarios, replicate by replicate on the same seeds.

    Attributes:
        runs: Per scenario name (in the order given), its runs by replicate.
    """

    runs: dict[str, list[RunResult]]

    @property
    def names(self) -> list[str]:
        """Scenario names, the baseline first."""
        return list(self.runs)

    @property
    def replicates(self) -> int:
        """Replicates per scenario."""
        return len(next(iter(self.runs.values())))

    def measure_names(self) -> list[str]:
        """Every measure any scenario reports, in first-seen order."""
        names: list[str] = []
        for results in self.runs.values():
            names += [k for k in results[0].measures if k not in names]
        return names

    def finals(self, name: str, measure: str) -> list[float]:
        """``measure``'s final value in each replicate of scenario ``name`` (NaN if absent)."""
        return [r.final().get(measure, math.nan) for r in self.runs[name]]

    def final_table(self) -> dict[str, dict[str, float | None]]:
        """Replicate 0's final value of every measure, by scenario (None where absent)."""
        out: dict[str, dict[str, float | None]] = {}
        for name in self.names:
            row = {}
            for m in self.measure_names():
                v = self.finals(name, m)[0]
                row[m] = None if math.isnan(v) else v
            out[name] = row
        return out

    def summary(self, level: float = 0.95) -> dict[str, dict[str, Interval]]:
        """Mean and confidence interval of each final measure over replicates."""
        return {
            name: {m: mean_ci(self.finals(name, m), level) for m in self.measure_names()}
            for name in self.names
        }

    def effects(self, level: float = 0.95) -> dict[str, dict[str, Interval]]:
        """Each scenario's effect against the first, paired by replicate, with its interval."""
        base = self.names[0]
        return {
            name: {
                m: paired_effect(self.finals(base, m), self.finals(name, m), level)
                for m in self.measure_names()
            }
            for name in self.names[1:]
        }


def _load(scenarios: Sequence[str | Scenario], overrides: dict[str, Any] | None) -> list[Scenario]:
    if len(scenarios) < 2:
        raise InputError(f"compare needs at least two scenarios, got {len(scenarios)}")
    loaded = [s if isinstance(s, Scenario) else load_scenario(s, overrides) for s in scenarios]
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        raise InputError(f"compare: scenario names must differ, got {names}")
    first = loaded[0]
    for sc in loaded[1:]:
        for label, a, b in (
            ("society", first.society, sc.society),
            ("seed", first.seed, sc.seed),
            ("steps", first.steps, sc.steps),
        ):
            if a != b:
                raise InputError(
                    f"compare: {sc.name} differs from {first.name} in {label}; "
                    "runs compared under common random numbers need one society, seed and length"
                )
    return loaded


def compare(
    scenarios: Sequence[str | Scenario],
    overrides: dict[str, Any] | None = None,
    replicates: int = 1,
    executor: Executor | None = None,
    out: Path | None = None,
    resume: bool = False,
    progress: BatchProgress | None = None,
) -> Comparison:
    """Run several scenarios on one society with common random numbers.

    Every scenario must describe the same society, seed and length (after ``overrides``).
    Replicate ``r`` of every scenario uses the same derived seed, hence the same society and
    the same draws in every module; the difference between two scenarios in a replicate is
    their policies' effect, not noise, and effects are estimated from these pairs.

    Args:
        scenarios: Preset names, scenario files or validated scenarios; names must differ.
        overrides: Dotted keys applied to every scenario (e.g. ``{"society.agents": 5000}``).
        replicates: Seeds per scenario (>= 1).
        executor: Where runs execute (default: in this process).
        out: Results directory to keep the runs in (default: a temporary one).
        resume: Continue a comparison already stored in ``out``.
        progress: Told after each run.

    Raises:
        InputError: Fewer than two scenarios, duplicate names, differing society, seed or
            length, a bad replicate count, or a run that failed.
    """
    if replicates < 1:
        raise InputError(f"--replicates = {replicates}: must be >= 1")
    loaded = _load(scenarios, overrides)
    specs: dict[str, list[RunSpec]] = {sc.name: [] for sc in loaded}
    for r in range(replicates):
        for sc in loaded:
            seeded = sc.model_copy(update={"seed": derive_seed(sc.seed, r)})
            specs[sc.name].append(RunSpec.of(seeded, "compare", r, label=sc.name))
    meta = {
        "kind": "compare",
        "name": "compare " + " ".join(specs),
        "scenarios": {sc.name: sc.digest() for sc in loaded},
        "replicates": replicates,
        "seed": loaded[0].seed,
    }
    executor = executor or InProcessExecutor()
    with tempfile.TemporaryDirectory(prefix="scoresim-compare-") as tmp:
        root = Path(out) if out is not None else Path(tmp)
        write_experiment(root, meta, resume)
        flat = [s for per in specs.values() for s in per]
        report = run_batch(flat, root, executor, progress)
        if report.failed:
            first = next(iter(report.failures.items()))
            raise InputError(f"compare: {report.failed} run(s) failed; {first[0]}: {first[1]}")
        runs = {
            name: [load_run(run_dir(root, s.run_id)) for s in per] for name, per in specs.items()
        }
    return Comparison(runs)
