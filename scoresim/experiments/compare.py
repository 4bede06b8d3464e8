"""Comparing policies on one society under common random numbers, with replicates."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scoresim.analysis.compare import RunSet, ScenarioRuns
from scoresim.core.errors import InputError, RunFailedError
from scoresim.experiments.batch import BatchProgress, run_batch, write_experiment
from scoresim.experiments.executors import Executor, InProcessExecutor
from scoresim.experiments.runner import is_input_error
from scoresim.experiments.spec import RunSpec, derive_seed
from scoresim.results import load_run
from scoresim.scenario import Scenario, load_scenario
from scoresim.store import run_dir

__all__ = ["compare"]


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
    control: str | None = None,
) -> RunSet:
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
        control: The scenario effects are measured against (default: no-score when
            compared, else the first); kept with the runs, so reports use it too.

    Raises:
        InputError: Fewer than two scenarios, duplicate names, differing society, seed or
            length, a bad replicate count, or runs that failed on their input.
        RunFailedError: A run that failed in the code.
    """
    if replicates < 1:
        raise InputError(f"--replicates = {replicates}: must be >= 1")
    loaded = _load(scenarios, overrides)
    if control is not None and control not in [sc.name for sc in loaded]:
        raise InputError(
            f"--control = {control!r}: not among the scenarios compared "
            f"({', '.join(sc.name for sc in loaded)})"
        )
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
        **({"control": control} if control is not None else {}),
    }
    executor = executor or InProcessExecutor()
    with tempfile.TemporaryDirectory(prefix="scoresim-compare-") as tmp:
        root = Path(out) if out is not None else Path(tmp)
        write_experiment(root, meta, resume)
        flat = [s for per in specs.values() for s in per]
        report = run_batch(flat, root, executor, progress)
        if report.failed:
            first = next(iter(report.failures.items()))
            message = f"compare: {report.failed} run(s) failed; {first[0]}: {first[1]}"
            if all(is_input_error(e) for e in report.failures.values()):
                raise InputError(message)
            raise RunFailedError(message)
        runs = {
            name: ScenarioRuns(
                name,
                [load_run(run_dir(root, s.run_id)) for s in per],
                [run_dir(root, s.run_id) for s in per] if out is not None else [],
                list(range(replicates)),
            )
            for name, per in specs.items()
        }
    return RunSet(runs, Path(out) if out is not None else None, "compare", meta, control)
