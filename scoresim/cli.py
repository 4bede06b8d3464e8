"""The ``scoresim`` command: a thin layer over the Python API."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from scoresim.engine.simulation import Simulation
from scoresim.errors import InputError
from scoresim.reference import scenario_reference
from scoresim.results import RunResult
from scoresim.scenario import load_scenario, preset_names

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="scoresim: simulate citizen-scoring systems, as described in the articles, "
    "on synthetic societies, and measure what they do.",
)
err_console = Console(stderr=True)
EXIT_INPUT = 2


def _fail(exc: InputError) -> typer.Exit:
    for line in str(exc).splitlines():
        err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_INPUT)


def _overrides(agents: int | None, steps: int | None, seed: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if agents is not None:
        out["society.agents"] = agents
    if steps is not None:
        out["steps"] = steps
    if seed is not None:
        out["seed"] = seed
    return out


def _run_with_progress(sim: Simulation, show: bool) -> RunResult:
    if not show:
        return sim.run()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("step {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(sim.scenario.name, total=sim.scenario.steps)
        return sim.run(progress=lambda done, _total: bar.update(task, completed=done))


def _summary_table(result: RunResult) -> Table:
    table = Table(title=f"{result.scenario.name}: final measures", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result.final().items():
        table.add_row(name, _fmt(value))
    return table


def _fmt(value: float) -> str:
    """A measure for people: thousands separators, four significant digits, no exponent."""
    if math.isnan(value):
        return "n/a"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) >= 1e-4 else f"{value:.2e}"


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or a preset name.")],
    agents: Annotated[
        int | None, typer.Option("--agents", "-n", help="Number of citizens.")
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", "-t", help="Months to simulate.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", help="Run seed.")] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for measures.parquet and run.json.")
    ] = Path("results/run"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run one scenario and write its per-step measures to OUT/measures.parquet."""
    try:
        sc = load_scenario(scenario, _overrides(agents, steps, seed))
        sim = Simulation(sc)
        result = _run_with_progress(sim, show=not as_json and err_console.is_terminal)
        path = result.write(out)
    except InputError as exc:
        raise _fail(exc) from None
    if as_json:
        summary = {
            **result.provenance(),
            "measures_file": str(path),
            "final": {k: (None if math.isnan(v) else v) for k, v in result.final().items()},
        }
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    prov = result.provenance()
    console = Console()
    console.print(_summary_table(result))
    console.print(
        f"seed {prov['seed']} · scenario hash {prov['scenario_hash']} · "
        f"code {prov['code_version']} · {prov['elapsed_s']} s",
        highlight=False,
    )
    console.print(f"measures written to [bold]{path}[/]")


@app.command()
def presets() -> None:
    """List the scenarios shipped with scoresim."""
    for name in preset_names():
        typer.echo(name)


@app.command()
def describe() -> None:
    """Print every scenario key with its default, allowed range and meaning (Markdown)."""
    typer.echo(scenario_reference(), nl=False)


def main() -> None:
    """Entry point for ``python -m scoresim``."""
    app()
