"""Comparing policies on one society under common random numbers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from scoresim.engine.simulation import Simulation
from scoresim.errors import InputError
from scoresim.results import RunResult
from scoresim.rng import Streams
from scoresim.scenario import Scenario, load_scenario
from scoresim.society import build_society

__all__ = ["compare", "final_table"]

#: Called after each step with (scenario name, steps done, steps in all).
CompareProgress = Callable[[str, int, int], None]


def compare(
    scenarios: Sequence[str | Scenario],
    overrides: dict[str, Any] | None = None,
    progress: CompareProgress | None = None,
) -> dict[str, RunResult]:
    """Run several scenarios on one society with common random numbers.

    Every scenario must describe the same society and seed (after ``overrides``): the society
    is built once and each run starts from a copy, and every random decision a module makes
    is drawn from the same stream in every run. So a difference between two runs is the
    policies' effect, not noise.

    Args:
        scenarios: Preset names, scenario files or validated scenarios; names must differ.
        overrides: Dotted keys applied to every scenario (e.g. ``{"society.agents": 5000}``).
        progress: Told of each step.

    Returns:
        Results keyed by scenario name, in the order given.

    Raises:
        InputError: Fewer than two scenarios, duplicate names, or differing society or seed.
    """
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
    society = build_society(first.society, Streams(first.seed))
    results: dict[str, RunResult] = {}
    for sc in loaded:
        sim = Simulation(sc, society=society.copy())
        tick = None if progress is None else (lambda d, t, n=sc.name: progress(n, d, t))
        results[sc.name] = sim.run(progress=tick)
    return results


def final_table(results: dict[str, RunResult]) -> dict[str, dict[str, float | None]]:
    """Final value of every measure, keyed by scenario then measure (None where absent)."""
    names: list[str] = []
    for r in results.values():
        names += [k for k in r.measures if k not in names]
    out: dict[str, dict[str, float | None]] = {}
    for label, r in results.items():
        final = r.final()
        out[label] = {
            k: (None if k not in final or math.isnan(final[k]) else final[k]) for k in names
        }
    return out
