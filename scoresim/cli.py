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

from scoresim.compare import compare, final_table
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


def _progress_bar() -> Progress:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("step {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=err_console, transient=True)


def _run_with_progress(sim: Simulation, show: bool) -> RunResult:
    if not show:
        return sim.run()
    with _progress_bar() as bar:
        task = bar.add_task(sim.scenario.name, total=sim.scenario.steps)
        return sim.run(progress=lambda done, _total: bar.update(task, completed=done))


def _summary_table(result: RunResult) -> Table:
    table = Table(title=f"{result.scenario.name}: final measures", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result.final().items():
        table.add_row(name, _fmt(value))
    return table


def _fmt(value: float | None) -> str:
    """A measure for people: thousands separators, four significant digits, no exponent."""
    if value is None or math.isnan(value):
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


#: Measures shown by ``compare`` unless ``--all`` is given.
HEADLINE = (
    "expression_rate",
    "self_censorship_rate",
    "dissenter_degree_ratio",
    "dissenter_ties_lost",
    "spillover_loss",
    "mean_score",
    "perk_share_700",
    "perk_gap_700",
    "perk_gini",
    "blacklist_size",
    "gaming_purchases",
    "bragging_posts",
    "newborn_independence",
    "population",
)


@app.command(name="compare")
def compare_cmd(
    scenarios: Annotated[list[str], typer.Argument(help="Two or more presets or scenario files.")],
    agents: Annotated[
        int | None, typer.Option("--agents", "-n", help="Number of citizens.")
    ] = None,
    years: Annotated[
        int | None, typer.Option("--years", "-y", help="Years to simulate.", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", help="Run seed.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write each run to OUT/NAME/.")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show every measure.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print {scenario: {measure: number}} as JSON (absent: left out)."
        ),
    ] = False,
) -> None:
    """Run policies on one society with common random numbers; compare final measures."""
    steps = None if years is None else 12 * years
    show = not as_json and err_console.is_terminal
    try:
        if show:
            with _progress_bar() as bar:
                tasks = {s: bar.add_task(s, total=None) for s in scenarios}

                def tick(name: str, done: int, total: int) -> None:
                    task = tasks.get(name) or bar.add_task(name, total=total)
                    tasks[name] = task
                    bar.update(task, completed=done, total=total)

                results = compare(scenarios, _overrides(agents, steps, seed), progress=tick)
        else:
            results = compare(scenarios, _overrides(agents, steps, seed))
        if out is not None:
            for name, result in results.items():
                result.write(out / name)
    except InputError as exc:
        raise _fail(exc) from None
    table = final_table(results)
    if as_json:
        numbers = {
            label: {k: v for k, v in row.items() if v is not None} for label, row in table.items()
        }
        sys.stdout.write(json.dumps(numbers, indent=2) + "\n")
        return
    names = [m for m in next(iter(table.values())) if show_all or m in HEADLINE]
    if not show_all:
        names.sort(key=HEADLINE.index)
    first = next(iter(results.values()))
    view = Table(
        title=f"final measures after {first.steps.size} months, "
        f"{first.scenario.society.agents or 'imported'} citizens, seed {first.seed}",
        title_justify="left",
    )
    view.add_column("measure")
    for label in table:
        view.add_column(label, justify="right")
    for m in names:
        view.add_row(m, *(_fmt(r[m]) for r in table.values()))
    console = Console()
    console.print(view)
    console.print(
        "Same society and random draws in every column (common random numbers); "
        "scoring as described in the articles.",
        highlight=False,
    )


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
