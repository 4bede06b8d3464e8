"""The commands that study results and the model: sensitivity, targets, calibrate, robustness."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scoresim.cli.batch import _batch
from scoresim.cli.options import (
    Agents,
    AsJson,
    Cluster,
    ExecutorKind,
    Resume,
    Seed,
    Steps,
    Wait,
    Workers,
    Years,
    _whole_years,
)
from scoresim.cli.output import _fail, _fmt, _out, _warn
from scoresim.core.errors import InputError
from scoresim.experiments.sensitivity import sensitivity as sensitivity_indices


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
        _warn(warning)
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
        _warn(warning)
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
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    for warning in result["warnings"]:
        _warn(warning)
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
