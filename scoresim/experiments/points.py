"""Parameter points run across several scenarios, under common random numbers.

Calibration and the robustness study both ask, at each point of a parameter space, what
several scenarios (a policy and its control, or a policy and its safeguards) give on the same
seeds. A point's ``modules.NAME.PARAM`` values apply to each scenario that has module NAME
(setting a parameter must never switch a mechanism on), and so do fixed values; other keys
(``society.agents``, ``steps``) apply to all. Runs that
two points share (a control that no swept parameter touches) run once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoresim.core.errors import InputError, ScenarioError
from scoresim.experiments.batch import BatchProgress, BatchReport, run_batch
from scoresim.experiments.executors import Executor
from scoresim.experiments.spec import RunSpec, derive_seed
from scoresim.results import RunResult, load_run
from scoresim.scenario import Scenario, load_scenario
from scoresim.store import run_dir

__all__ = ["PointRuns", "applicable", "point_specs", "run_points"]


def applicable(scenario: Scenario, point: dict[str, Any]) -> dict[str, Any]:
    """The part of ``point`` that applies to ``scenario`` (its own modules' parameters)."""
    out = {}
    for key, value in point.items():
        parts = key.split(".")
        if parts[0] == "modules" and len(parts) > 1 and parts[1] not in scenario.modules:
            continue
        out[key] = value
    return out


def point_specs(
    scenarios: Sequence[str],
    fixed: dict[str, Any],
    point: dict[str, Any],
    replicates: int,
    seed: int,
    experiment: str,
) -> dict[str, list[RunSpec]]:
    """Each scenario's runs at ``point``: replicate ``r`` on seed ``derive_seed(seed, r)``.

    Raises:
        InputError: If a scenario does not validate with the point's values (names both).
    """
    out: dict[str, list[RunSpec]] = {}
    for name in scenarios:
        try:
            plain = load_scenario(name)
            mine = applicable(plain, point)
            scenario = load_scenario(name, {**applicable(plain, fixed), **mine})
        except ScenarioError as exc:
            raise InputError(f"point {point}: {exc}") from None
        out[name] = [
            RunSpec.of(
                scenario.model_copy(update={"seed": derive_seed(seed, r)}),
                experiment,
                r,
                label=scenario.name,
                params=mine,
            )
            for r in range(replicates)
        ]
    return out


@dataclass
class PointRuns:
    """What the runs of a set of points gave.

    Attributes:
        runs: Per point, per scenario, the replicates' results (``None`` where a run failed).
        report: The batch's report (ran, skipped, failed).
    """

    runs: list[dict[str, list[RunResult | None]]]
    report: BatchReport


def run_points(
    specs: list[dict[str, list[RunSpec]]],
    root: Path,
    executor: Executor,
    progress: BatchProgress | None = None,
) -> PointRuns:
    """Run every point's specs into ``root`` (each distinct run once; complete ones kept)."""
    unique = {s.run_id: s for per in specs for runs in per.values() for s in runs}
    report = run_batch(list(unique.values()), root, executor, progress)
    loaded: dict[str, RunResult | None] = {}
    for run_id in unique:
        loaded[run_id] = None if run_id in report.failures else load_run(run_dir(root, run_id))
    return PointRuns(
        [{name: [loaded[s.run_id] for s in runs] for name, runs in per.items()} for per in specs],
        report,
    )
