"""The ``scoresim`` command: a thin layer over the Python API."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
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
from scoresim.analysis.stats import Interval
from scoresim.core.errors import InputError, RunFailedError, ScoresimError
from scoresim.experiments.batch import run_batch
from scoresim.experiments.compare import compare
from scoresim.experiments.executors import Executor, InProcessExecutor, make_executor
from scoresim.experiments.runner import input_message, is_input_error
from scoresim.experiments.sensitivity import sensitivity as sensitivity_indices
from scoresim.experiments.spec import RunSpec
from scoresim.experiments.sweep import sweep as run_sweep
from scoresim.reference import scenario_reference
from scoresim.report.embed import measure_formatter
from scoresim.results import load_run
from scoresim.scenario import load_scenario, preset_names
from scoresim.store import list_runs, run_dir
from scoresim.store.lock import writer_lock
from scoresim.store.manifest import STATUSES
from scoresim.store.repair import repair as repair_store
from scoresim.store.repair import run_state

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="scoresim: simulate citizen-scoring systems, as described in the articles, "
    "on synthetic societies, and measure what they do.",
)
err_console = Console(stderr=True)
EXIT_INPUT = 2
EXIT_FAILED = 1

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


def _out() -> Console:
    """The console for results: as wide as the terminal, or 140 columns when piped.

    Piped into a log or a file, Rich would otherwise wrap the tables' labels at 80 columns.
    """
    probe = Console()
    return probe if probe.is_terminal else Console(width=140)


def _fail(exc: ScoresimError, code: int = EXIT_INPUT) -> typer.Exit:
    for line in str(exc).splitlines():
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


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


def _fmt(value: float | None) -> str:
    """A measure for people: thousands separators, four significant digits, no exponent."""
    if value is None or math.isnan(value):
        return "n/a"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) >= 1e-4 else f"{value:.2e}"


def _measure_fmt(info: dict[str, Any], effect: bool = False) -> Callable[[float | None], str]:
    """How to print a measure (or an effect on it): shares as percentages, else numbers."""
    return measure_formatter(info, effect, _fmt)


def _fmt_interval(iv: Interval, fmt: Callable[[float | None], str] = _fmt) -> str:
    if math.isnan(iv.ci_low):
        return fmt(iv.mean)
    return f"{fmt(iv.mean)} [{fmt(iv.ci_low)}, {fmt(iv.ci_high)}]"


def _unit(info: dict[str, Any]) -> str:
    """The unit column: shares are printed as percentages and need none."""
    unit = str(info.get("unit", ""))
    return "" if unit in ("share", "share difference") else unit


def _show_progress(as_json: bool) -> bool:
    return not as_json and err_console.is_terminal


@contextmanager
def _executor(kind: str, workers: int | None, cluster: str | None) -> Iterator[Executor]:
    executor = make_executor(kind, workers, cluster)
    try:
        yield executor
    finally:
        executor.close()


def _waiting(holder: str) -> None:
    err_console.print(
        f"waiting for {escape(holder)} to finish writing there", highlight=False, soft_wrap=True
    )


#: Results directories this command is writing (what an interrupt has to speak of).
_writing_now: list[Path] = []


@contextmanager
def _writing(out: Path | None, wait: bool) -> Iterator[None]:
    """Hold ``out``'s writer lock for the whole command (nothing to hold without ``out``)."""
    if out is None:
        yield
        return
    with writer_lock(out, wait, _waiting):
        _writing_now.append(out)
        try:
            yield
        finally:
            _writing_now.remove(out)


@contextmanager
def _batch(
    label: str,
    kind: str,
    workers: int | None,
    cluster: str | None,
    as_json: bool,
    out: Path | None = None,
    wait: bool = False,
) -> Iterator[tuple[Executor, _RunBar]]:
    """``out``'s writer lock, an executor and its progress bar (told runs' months)."""
    try:
        with (
            _writing(out, wait),
            _executor(kind, workers, cluster) as ex,
            _RunBar(label, _show_progress(as_json)) as bar,
        ):
            if bar.enabled:
                ex.months = bar.months
            yield ex, bar
    except RunFailedError as exc:  # e.g. a worker process killed: runs done are recorded
        raise _fail(exc, EXIT_FAILED) from None


class _RunBar:
    """One progress bar for a batch of runs.

    It counts months simulated where the executor tells them (in this process and in the
    local pool), else finished runs; and shows runs finished and failed, and the ETA.
    """

    def __init__(self, label: str, enabled: bool):
        self.enabled = enabled
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[unit]}"),
            TextColumn("· {task.fields[runs]} runs · [red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not enabled,
        )
        self.task = self.bar.add_task(label, total=None, failed=0, runs="0", unit="")
        self._runs = (0, 0, 0)
        self._months: dict[str, int] = {}
        self._per_run = 0

    def __call__(self, ok: int, failed: int, total: int) -> None:
        self._runs = (ok, failed, total)
        self._update()

    def months(self, run_id: str, done: int, total: int) -> None:
        """Told by the executor as a run advances (burn-in months included)."""
        self._months[run_id] = done
        self._per_run = max(self._per_run, total)
        self._update()

    def describe(self, label: str) -> None:
        """Name the stage the runs belong to (e.g. a calibration's wave)."""
        self.bar.update(self.task, description=label)
        self._months.clear()

    def _update(self) -> None:
        ok, failed, total = self._runs
        runs = f"{ok + failed}/{total}"
        if self._per_run:  # months known: the bar moves month by month
            done, whole = sum(self._months.values()), total * self._per_run
            self.bar.update(
                self.task,
                completed=done,
                total=whole,
                failed=failed,
                runs=runs,
                unit=f"{done:,}/{whole:,} months",
            )
        else:
            self.bar.update(
                self.task, completed=ok + failed, total=total, failed=failed, runs=runs, unit=""
            )

    def __enter__(self) -> _RunBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


@app.command()
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


def _comparison_json(cmp: RunSet) -> dict[str, Any]:
    if cmp.replicates == 1:
        return {
            name: {m: iv.mean for m, iv in measures.items() if not math.isnan(iv.mean)}
            for name, measures in cmp.summary().items()
        }
    summary, effects = cmp.summary(), cmp.effects()
    out: dict[str, Any] = {}
    for name, measures in summary.items():
        out[name] = {}
        for m, iv in measures.items():
            if math.isnan(iv.mean):
                continue
            entry: dict[str, Any] = iv.as_dict()
            if name in effects:
                entry["effect"] = {**effects[name][m].as_dict(), "control": cmp.baseline}
            out[name][m] = entry
    return out


def _comparison_tables(cmp: RunSet, show_all: bool) -> list[Table]:
    names = cmp.measure_names() if show_all else cmp.headline()
    first = cmp.first
    reps = cmp.replicates
    agents = first.scenario.society.agents or "imported"
    title = (
        f"final measures after {first.steps.size} months, {agents} citizens, seed "
        f"{first.seed}" + (f", mean [95% CI] over {reps} replicates" if reps > 1 else "")
    )
    view = Table(title=title, title_justify="left")
    view.add_column("measure")
    for label in cmp.names:
        view.add_column(label, justify="right")
    view.add_column("column", style="dim")
    summary = cmp.summary(names)
    for m in names:
        fmt = _measure_fmt(cmp.measure_info(m))
        view.add_row(cmp.label(m), *(_fmt_interval(summary[n][m], fmt) for n in cmp.names), m)
    if reps == 1:
        return [view]
    effects = cmp.effects(names)
    others = list(effects)
    eff = Table(
        title=f"effect against {cmp.baseline} (scenario minus control, paired by seed), "
        "mean [95% CI]",
        title_justify="left",
    )
    eff.add_column("measure")
    for label in others:
        eff.add_column(label, justify="right")
    eff.add_column("column", style="dim")
    for m in names:
        fmt = _measure_fmt(cmp.measure_info(m), effect=True)
        eff.add_row(cmp.label(m), *(_fmt_interval(effects[n][m], fmt) for n in others), m)
    return [view, eff]


@app.command(name="compare")
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
    except InputError as exc:
        raise _fail(exc) from None
    except RunFailedError as exc:
        raise _fail(exc, EXIT_FAILED) from None
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


@app.command(name="sweep")
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


@app.command()
def sensitivity(
    results: Annotated[Path, typer.Argument(help="A sweep's results directory.")],
    output: Annotated[
        list[str] | None, typer.Option("--output", help="Measure to explain (repeatable).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Turn a sweep's results into sensitivity indices (Sobol, Morris, or rank correlation)."""
    try:
        report = sensitivity_indices(results, output)
    except InputError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    for warning in report.get("warnings", []):
        err_console.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    console = _out()
    console.print(
        f"{report['method']} sensitivity over {report['points_used']} of {report['points']} "
        "design points (final values, mean over replicates)",
        highlight=False,
    )
    for out_name, per_param in report["indices"].items():
        table = Table(title=out_name, title_justify="left")
        table.add_column("parameter")
        keys = list(next(iter(per_param.values())))
        for k in keys:
            table.add_column(k, justify="right")
        for param, vals in per_param.items():
            table.add_row(param, *(_fmt(vals[k]) for k in keys))
        console.print(table)


@app.command()
def targets(
    results: Annotated[
        Path | None,
        typer.Argument(help="A comparison's results directory to check (omit to list)."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A target library (default: shipped).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List the published figures the model is compared to, or check a comparison against them.

    A target is met when the model's mean over replicates is within two standard deviations
    of the figure (its uncertainty and the replicates' standard error combined).
    """
    from scoresim.calibration import check, load_targets
    from scoresim.store import load_results

    try:
        library = load_targets(file)
        checks = check(library, load_results(results)) if results is not None else None
    except InputError as exc:
        raise _fail(exc) from None
    if checks is None:
        if as_json:
            rows = [t.model_dump(mode="json") for t in library.target]
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        table = Table(title="targets", title_justify="left")
        for col in ("name", "use", "value", "sd", "model quantity", "source"):
            table.add_column(col)
        for t in library.target:
            what = f"{t.kind}: {t.measure}" + (f" / {t.denominator}" if t.denominator else "")
            table.add_row(t.name, t.use, _fmt(t.value), _fmt(t.uncertainty), what, t.source)
        _out().print(table)
        return
    if as_json:
        out = {
            c.target.name: {"value": c.target.value, **c.model.as_dict(), "met": c.met}
            for c in checks
        }
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    table = Table(title=f"targets against {results}", title_justify="left")
    for col in ("name", "use", "target", "model [95% interval]", "met"):
        table.add_column(col)
    for c in checks:
        iv = c.model
        model = _fmt(iv.mean)
        if not math.isnan(iv.ci_low):
            model += f" [{_fmt(iv.ci_low)}, {_fmt(iv.ci_high)}]"
        spread = f"{_fmt(c.target.value)} +- {_fmt(c.target.uncertainty)}"
        met = "n/a" if math.isnan(iv.mean) else ("yes" if c.met else "no")
        table.add_row(c.target.name, c.target.use, spread, model, met)
    _out().print(table)


@app.command(name="calibrate")
def calibrate_cmd(
    library: Annotated[
        Path | None,
        typer.Argument(help="Target library with a [calibration] table (default: shipped)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory.")] = Path(
        "results/calibration"
    ),
    agents: Agents = None,
    years: Years = None,
    steps: Steps = None,
    points: Annotated[
        int | None, typer.Option("--points", help="Parameter points per wave.", min=4)
    ] = None,
    waves: Annotated[
        int | None, typer.Option("--waves", help="Waves of history matching.", min=1)
    ] = None,
    workers: Workers = None,
    executor: ExecutorKind = "pool",
    cluster: Cluster = None,
    resume: Resume = False,
    wait: Wait = False,
    as_json: AsJson = False,
) -> None:
    """Fit the library's chosen parameters to its chosen targets, and check the rest.

    History matching with Gaussian-process emulators, wave by wave, then a posterior
    (samples and weights, in the results store) and posterior predictive checks of every
    target, fitted or held back. --agents, --years, --points and --waves replace the plan's.
    """
    from scoresim.calibration.history import calibrate

    try:
        whole = _whole_years(years, steps)
        changes = {"agents": agents, "years": whole, "points": points, "waves": waves}
        with _batch("calibrate", executor, workers, cluster, as_json, out, wait) as (ex, bar):
            result = calibrate(
                library, out, ex, resume=resume, progress=bar, stage=bar.describe, changes=changes
            )
    except InputError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    for warning in result["warnings"]:
        err_console.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    console = _out()
    if result["status"] != "calibrated":
        console.print(result["message"], highlight=False)
        return
    post = result["posterior"]
    size = f"{post['samples']:,} samples, {post['effective_samples']:,.0f} effective"
    table = Table(title=f"posterior ({size})", title_justify="left")
    for col in ("parameter", "prior", "mean", "95% interval", "sd / prior sd"):
        table.add_column(col)
    for key, p in post["parameters"].items():
        table.add_row(
            key,
            f"{_fmt(p['prior_low'])} to {_fmt(p['prior_high'])}",
            _fmt(p["mean"]),
            f"{_fmt(p['q025'])} to {_fmt(p['q975'])}",
            f"{p['shrinkage']:.2f}",
        )
    console.print(table)
    checks = Table(title="posterior predictive checks", title_justify="left")
    for col in ("target", "use", "figure", "calibrated [95% range]", "met", "defaults", "met "):
        checks.add_column(col)
    for name, c in result.get("checks", {}).items():
        row = [name, c["use"], f"{_fmt(c['value'])} +- {_fmt(c['uncertainty'])}"]
        for which in ("posterior", "defaults"):
            k = c[which]
            row += [
                f"{_fmt(k['mean'])} [{_fmt(k['low'])}, {_fmt(k['high'])}]",
                "yes" if k["met"] else "no",
            ]
        checks.add_row(*row)
    console.print(checks)
    typer.echo(f"results in {out}")


@app.command(name="robustness")
def robustness_cmd(
    claims: Annotated[
        Path | None, typer.Argument(help="Claims file with a [study] table (default: shipped).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory.")] = Path(
        "results/robustness"
    ),
    points: Annotated[
        int | None, typer.Option("--points", help="Latin hypercube points.", min=2)
    ] = None,
    replicates: Annotated[
        int | None, typer.Option("--replicates", "-r", help="Seeds per point.", min=1)
    ] = None,
    agents: Agents = None,
    years: Years = None,
    steps: Steps = None,
    seed: Seed = None,
    workers: Workers = None,
    executor: ExecutorKind = "pool",
    cluster: Cluster = None,
    resume: Resume = False,
    wait: Wait = False,
    as_json: AsJson = False,
) -> None:
    """In what share of the plausible parameter space each headline claim holds, and why.

    Every assumption with a documented range is drawn over it (Latin hypercube, the same
    seeds at every point); each claim gets its share with a Wilson interval, the assumptions
    that decide it (first-order and delta indices with bootstrap intervals) and a PRIM box
    of where it fails.
    """
    from scoresim.calibration.robustness import robustness

    try:
        with _batch("robustness", executor, workers, cluster, as_json, out, wait) as (ex, bar):
            result = robustness(
                claims,
                out,
                ex,
                points=points,
                replicates=replicates,
                agents=agents,
                years=_whole_years(years, steps),
                seed=seed,
                resume=resume,
                progress=bar,
            )
    except InputError as exc:
        raise _fail(exc) from None
    except RunFailedError as exc:
        raise _fail(exc, EXIT_FAILED) from None
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    for warning in result["warnings"]:
        err_console.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    study = result["study"]
    console = _out()
    console.print(
        f"{result['points']['used']} points of {len(study['parameters'])} assumptions, "
        f"{study['agents']:,} citizens over {study['years']} years:",
        highlight=False,
    )
    for name, c in result["claims"].items():
        console.print(f"[bold]{escape(name)}[/]: {escape(c['sentence'])}", highlight=False)
    typer.echo(f"results in {out}")


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A results directory (run or comparison).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default RESULTS/report.html).")
    ] = None,
    calibration: Annotated[
        Path | None, typer.Option("--calibration", help="A calibration's directory to include.")
    ] = None,
    robustness: Annotated[
        Path | None,
        typer.Option("--robustness", help="A robustness study's directory to include."),
    ] = None,
    control: Control = None,
) -> None:
    """Write a self-contained HTML report (figures embedded) and print its path.

    "How sure are we?" checks the runs against the published targets, and shows a
    calibration's posterior and a robustness study's claims when given their directories.
    """
    from scoresim.report.html import write_report

    try:
        path = write_report(results, out, calibration, robustness, control)
    except InputError as exc:
        raise _fail(exc) from None
    typer.echo(f"report written to {path}")


@app.command()
def explore(
    results: Annotated[Path, typer.Argument(help="A results directory.")],
    port: Annotated[
        int, typer.Option("--port", "-p", help="Port (0: any free one).", min=0, max=65535)
    ] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on (default: this machine only; any other is reachable "
            "from the network, without authentication).",
        ),
    ] = "127.0.0.1",
    control: Control = None,
) -> None:
    """Start the web explorer over a results directory and print its address.

    Every effect it shows is a scenario minus the control (--control, else the experiment's,
    else no-score when present, else the first). A sweep's design points are its entries;
    a calibration's or robustness study's directory is for `scoresim report`.
    """
    import threading

    from scoresim.explore import create_app, open_results
    from scoresim.explore.guard import allowed_hosts
    from scoresim.explore.server import ListenError, exposure_warning, listen, serve, url

    def warn(text: str) -> None:  # one line each, however narrow the terminal
        err_console.print(
            f"[bold yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True
        )

    try:
        data = open_results(results, control)
    except InputError as exc:
        raise _fail(exc) from None
    for line in data.warnings:
        warn(line)
    # Bound before the address is printed: a port in use is said, not a dead address.
    try:
        sock = listen(host, port)
    except ListenError as exc:
        raise _fail(InputError(str(exc))) from None
    # What the socket is bound to, not how --host spelled it: "127.1", "0" and "2130706433"
    # are addresses too, and browsers send the address in its usual form.
    bound, port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
    if (exposed := exposure_warning(bound)) is not None:
        warn(exposed)
    hosts = allowed_hosts(bound, port)
    if hosts is not None:  # and the name it was asked for, as a browser would send it
        hosts = hosts | (allowed_hosts(host, port) or frozenset())
    # Load the default citizen view in the background: at 10M citizens that takes seconds.
    threading.Thread(target=data.warm, daemon=True).start()
    typer.echo(f"scoresim explorer at {url(bound, port)} (Ctrl-C to stop)")
    serve(create_app(data, hosts=hosts), sock)


@app.command()
def runs(
    results: Annotated[Path, typer.Argument(help="A results directory.")],
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs with this status.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List the runs recorded in a results directory (the manifest)."""
    if status is not None and status not in STATUSES:
        raise _fail(InputError(f"--status = {status!r}: allowed: {', '.join(STATUSES)}"))
    try:
        rows = list_runs(results, status)
    except InputError as exc:
        raise _fail(exc) from None
    for r in rows:  # the manifest keeps params as JSON text: give them as JSON
        with suppress(json.JSONDecodeError):
            r["params"] = json.loads(r["params"]) if isinstance(r["params"], str) else r["params"]
        # A complete row is only as good as its files: say where they are gone or damaged.
        r["status"] = run_state(results, r)
    broken = sum(r["status"] in ("missing", "damaged") for r in rows)
    if broken:
        err_console.print(
            f"[bold yellow]warning:[/] {broken} run(s) recorded complete have missing or "
            f"damaged files; `scoresim repair {escape(str(results))}` records that, and "
            "--resume reruns them",
            highlight=False,
            soft_wrap=True,
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    table = Table(title=f"{len(rows)} runs in {results}", title_justify="left")
    # Whole run ids: they name the directories, so a cut one is of no use.
    table.add_column("run_id", no_wrap=True, overflow="fold")
    for col in ("scenario", "seed", "status", "elapsed_s", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["run_id"],
            r["scenario"],
            str(r["seed"]),
            r["status"],
            _fmt(r["elapsed_s"]),
            (r["error"] or "")[:60],
        )
    _out().print(table)


@app.command()
def repair(
    results: Annotated[Path, typer.Argument(help="A results directory.")],
    wait: Wait = False,
    as_json: AsJson = False,
) -> None:
    """Rebuild a results directory's manifest from its run files, which are the truth.

    Runs whose files match their run.json (sizes and checksums) are recorded complete; damaged
    ones and complete rows whose files are gone are recorded failed, so --resume reruns
    them; a manifest that cannot be read is moved aside and rebuilt.
    """
    try:
        with _writing(results if results.is_dir() else None, wait):
            done = repair_store(results)
    except InputError as exc:
        raise _fail(exc) from None
    summary = {
        "complete": done.complete,
        "restored": done.restored,
        "damaged": done.damaged,
        "missing": done.missing,
        "leftovers_removed": done.leftovers,
        "manifest_moved_to": str(done.moved_db) if done.moved_db else None,
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    if done.moved_db is not None:
        typer.echo(f"unreadable manifest moved to {done.moved_db}; rebuilt from the run files")
    typer.echo(
        f"{done.complete} complete runs ({done.restored} newly recorded), "
        f"{len(done.damaged)} damaged, {len(done.missing)} missing, "
        f"{done.leftovers} leftovers of interrupted runs removed"
    )
    for run_id, reason in list(done.damaged.items())[:10]:
        typer.echo(f"  damaged {run_id}: {reason}")
    for run_id in done.missing[:10]:
        typer.echo(f"  missing {run_id}")
    if done.damaged or done.missing:
        typer.echo("--resume on the experiment reruns the damaged and missing runs")


@app.command()
def presets(as_json: AsJson = False) -> None:
    """List the scenarios shipped with scoresim, each with its description."""
    described = {name: load_scenario(name).description for name in preset_names()}
    if as_json:
        sys.stdout.write(json.dumps(described, indent=2) + "\n")
        return
    table = Table(title='presets (scoresim run NAME; extends = "NAME" in a file)')
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for name, text in described.items():
        table.add_row(name, text)
    _out().print(table)


@app.command()
def describe() -> None:
    """Print every scenario key with its default, allowed range and meaning (Markdown)."""
    typer.echo(scenario_reference(), nl=False)


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings as one line each, like errors, without the source line Python adds."""
    err_console.print(
        f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True
    )


def main() -> None:
    """Entry point of the ``scoresim`` command and ``python -m scoresim``.

    Ctrl-C and SIGTERM stop in order: workers are stopped, finished runs are recorded
    (run_batch), one line says how to continue when results were being written, and the
    exit code is 128 plus the signal's number (130, 143).
    """
    import signal
    import warnings

    warnings.showwarning = _one_line_warning
    stopped: list[int] = []
    was_writing: list[Path] = []

    def stop(signum: int, frame: Any) -> None:
        if stopped:  # stopping already: a second Ctrl-C must not cut the recording short
            return
        stopped.append(signum)
        was_writing.extend(_writing_now)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        app()
    except BaseException:
        # Typer turns the interrupt into a silent exit, and DuckDB, interrupted mid-query,
        # into a RuntimeError: either way, say what happened and what holds.
        if not stopped:
            raise
    if not stopped:
        return
    if was_writing:
        where = escape(str(was_writing[0]))
        err_console.print(
            f"[bold red]stopped:[/] runs that finished are recorded in {where}; "
            "the same command with --resume continues",
            highlight=False,
            soft_wrap=True,
        )
    sys.exit(128 + stopped[0])
