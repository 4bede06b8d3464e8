"""The options the commands share, and what --agents, --years, --steps and --seed become."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from scoresim.core.errors import InputError

# Options shared by the commands that run experiments.
Agents = Annotated[int | None, typer.Option("--agents", "-n", help="Number of citizens.")]
Seed = Annotated[int | None, typer.Option("--seed", "-s", help="Run seed.")]
Years = Annotated[
    int | None, typer.Option("--years", "-y", help="Years to simulate (12 steps each).", min=1)
]
Steps = Annotated[
    int | None, typer.Option("--steps", "-t", help="Months to simulate (steps).", min=1)
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Workers = Annotated[
    int | None, typer.Option("--workers", "-w", help="Worker processes (default: one per core).")
]
ExecutorKind = Annotated[
    str, typer.Option("--executor", help="inprocess or pool (ignored with --cluster).")
]
Cluster = Annotated[
    str | None,
    typer.Option("--cluster", help="Run on Dask: 'local' (a LocalCluster) or tcp://HOST:PORT."),
]
Resume = Annotated[bool, typer.Option("--resume", help="Continue the experiment stored in --out.")]
Wait = Annotated[
    bool,
    typer.Option(
        "--wait", help="If another scoresim process is writing --out, wait for it to finish."
    ),
]
Control = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="Scenario effects are against (default: no-score if present, else the first).",
    ),
]


def _length(years: int | None, steps: int | None) -> int | None:
    """Months to simulate from --years or --steps (not both), or None for the scenario's."""
    if years is not None and steps is not None:
        raise InputError(
            f"--years = {years} and --steps = {steps}: give one of them (a year is 12 steps)"
        )
    return 12 * years if years is not None else steps


def _overrides(
    agents: int | None, years: int | None, steps: int | None, seed: int | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if agents is not None:
        out["society.agents"] = agents
    length = _length(years, steps)
    if length is not None:
        out["steps"] = length
    if seed is not None:
        out["seed"] = seed
    return out


def _whole_years(years: int | None, steps: int | None) -> int | None:
    """Years from --years or --steps, for studies whose runs last whole years."""
    months = _length(years, steps)
    if months is None:
        return None
    if months % 12:
        raise InputError(
            f"--steps = {months}: this study's runs last whole years; give a multiple of 12"
        )
    return months // 12
