"""The commands that run scenarios: run, compare and sweep."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from scoresim.analysis.compare import RunSet
from scoresim.cli.batch import _batch, _writing
from scoresim.cli.comparison import _comparison_json, _comparison_tables
from scoresim.cli.options import (
    Agents,
    AsJson,
    Cluster,
    Control,
    ExecutorKind,
    Resume,
    Seed,
    Steps,
    Wait,
    Workers,
    Years,
    _length,
    _overrides,
)
from scoresim.cli.output import EXIT_FAILED, _fail, _measure_fmt, _out, _unit, err_console
from scoresim.cli.progress import _show_progress
from scoresim.core.errors import InputError
from scoresim.experiments.batch import run_batch
from scoresim.experiments.compare import compare
from scoresim.experiments.executors import InProcessExecutor
from scoresim.experiments.runner import input_message, is_input_error
from scoresim.experiments.spec import RunSpec
from scoresim.experiments.sweep import sweep as run_sweep
from scoresim.results import load_run
from scoresim.scenario import load_scenario
from scoresim.store import run_dir


def run(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file, or a preset name.")],
    agents: Agents = None,
    years: Years = None,
    steps: Steps = None,
    seed: Seed = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory.")] = Path(
        "results/run"
    ),
    show_all: Annotated[bool, typer.Option("--all", help="Show every measure.")] = False,
    wait: Wait = False,
    as_json: AsJson = False,
) -> None:
    """Run one scenario; write its measures to OUT/runs/RUN_ID/measures.parquet.

    The run goes through the same batch machinery as compare and sweep (manifest rows,
    atomic files), in this process; running it again replaces it only once the new run is
    complete.
    """
    try:
        sc = load_scenario(scenario, _overrides(agents, years, steps, seed))
        spec = RunSpec.of(sc, "run")
        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("months"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not _show_progress(as_json),
        )
        with _writing(out, wait), bar:
            # Months of the burn-in and of the run, as the simulation counts them.
            task = bar.add_task(sc.name, total=sc.burn_in + sc.steps)
            executor = InProcessExecutor(
                lambda done, total: bar.update(task, completed=done, total=total)
            )
            report = run_batch([spec], out, executor, rerun=True)
    except InputError as exc:
        raise _fail(exc) from None
    if report.failed:
        error = report.failures[spec.run_id]
        if is_input_error(error):  # the same one line as any other bad input
            raise _fail(InputError(input_message(error)))
        err_console.print(f"[bold red]error:[/] run failed: {error}", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    result = load_run(run_dir(out, spec.run_id))
    path = run_dir(out, spec.run_id) / "measures.parquet"
    if as_json:
        summary = {
            **result.provenance(),
            "run_id": spec.run_id,
            "measures_file": str(path),
            "final": {k: (None if math.isnan(v) else v) for k, v in result.final().items()},
        }
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    runs = RunSet.of({sc.name: [result]})
    names = runs.measure_names() if show_all else runs.headline()
    table = Table(title=f"{sc.name}: final measures", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("column", style="dim")
    finals = result.final()
    for name in names:
        info = runs.measure_info(name)
        table.add_row(info["label"], _measure_fmt(info)(finals[name]), _unit(info), name)
    console = _out()
    console.print(table)
    if not show_all:
        console.print("headline measures; --all shows every measure", style="dim")
    console.print(
        f"seed {sc.seed} · scenario hash {result.scenario_hash} · "
        f"code {result.code_version} · {result.provenance()['elapsed_s']} s",
        highlight=False,
    )
    console.print(f"measures written to [bold]{path}[/]")


def compare_cmd(
    scenarios: Annotated[list[str], typer.Argument(help="Two or more presets or scenario files.")],
    agents: Agents = None,
    years: Years = None,
    steps: Steps = None,
    seed: Seed = None,
    replicates: Annotated[
        int, typer.Option("--replicates", "-r", help="Seeds per scenario, paired.", min=1)
    ] = 1,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Keep the runs in this results directory.")
    ] = None,
    workers: Workers = None,
    executor: ExecutorKind = "pool",
    cluster: Cluster = None,
    resume: Resume = False,
    wait: Wait = False,
    control: Control = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show every measure.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print {scenario: {measure: number}}; with --replicates, "
            "{mean, ci_low, ci_high, effect}.",
        ),
    ] = False,
) -> None:
    """Run policies on one society with common random numbers; compare final measures.

    Effects are always scenario minus the control: --control, else no-score when compared,
    else the first scenario. The control is kept with the runs, so reports use it too.
    """
    try:
        with _batch("compare", executor, workers, cluster, as_json, out, wait) as (ex, bar):
            cmp = compare(
                scenarios,
                _overrides(agents, years, steps, seed),
                replicates=replicates,
                executor=ex,
                out=out,
                resume=resume,
                progress=bar,
                control=control,
            )
    except InputError as exc:  # a run failing in the code is one line too (_batch)
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(_comparison_json(cmp), indent=2) + "\n")
        return
    console = _out()
    for table in _comparison_tables(cmp, show_all):
        console.print(table)
    console.print(
        "Same society and random draws in every column (common random numbers); "
        "scoring as described in the articles.",
        highlight=False,
    )


def sweep_cmd(
    design: Annotated[Path, typer.Argument(help="Design file (TOML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory.")] = Path(
        "results/sweep"
    ),
    years: Years = None,
    steps: Steps = None,
    workers: Workers = None,
    executor: ExecutorKind = "pool",
    cluster: Cluster = None,
    resume: Resume = False,
    wait: Wait = False,
    as_json: AsJson = False,
) -> None:
    """Run every point of a design (factorial, lhs, sobol, morris) into a results directory.

    --years or --steps sets every point's length over the design's own.
    """
    try:
        length = _length(years, steps)
        label = f"sweep {design.name}"
        with _batch(label, executor, workers, cluster, as_json, out, wait) as (ex, bar):
            report = run_sweep(design, out, ex, resume=resume, progress=bar, steps=length)
    except InputError as exc:
        raise _fail(exc) from None
    summary = {
        "out": str(out),
        "ran": report.ran,
        "skipped": report.skipped,
        "failed": report.failed,
        "failures": report.failures,
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        typer.echo(
            f"{report.ran} runs ({report.failed} failed), {report.skipped} already complete; "
            f"results in {out}"
        )
        for run_id, error in list(report.failures.items())[:10]:
            typer.echo(f"  failed {run_id}: {error}")
    if report.failed:  # a sweep with holes is not a success: scripts must see it
        err_console.print(
            f"[bold red]error:[/] {report.failed} of {report.ran} runs failed; "
            "their points have no results (`scoresim runs --status failed` lists them)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FAILED)
