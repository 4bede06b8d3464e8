"""What a results directory offers the explorer: its scenarios, or a sweep's design points.

A comparison's scenarios are entries as they are. A sweep runs one scenario at many design
points; each point with a complete run becomes its own entry, labelled by its parameter
values, and the points without one are listed too, so that none is silently dropped. A
calibration's or a robustness study's runs are points of a study, not scenarios: the
explorer says so and sends the user to the study's report.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from scoresim.analysis.compare import RunSet, ScenarioRuns
from scoresim.core.errors import InputError, ScoresimError
from scoresim.results import load_run
from scoresim.store import list_runs, run_dir
from scoresim.store.load import runs_by_scenario

__all__ = ["STUDIES", "point_labels", "refuse_study", "scenario_runs", "sweep_runs"]

#: Directories whose runs are points of a study, with what the study is.
STUDIES = {
    "calibrate": "a calibration (history matching of parameters to observed targets)",
    "robustness": "a robustness study (the conclusions tested over the assumptions' ranges)",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.,:=+\- ]")
#: What reading a damaged run's files raises (Parquet, JSON, a stored scenario, its shape):
#: such a run is left out with a warning, and the others are explored.
_DAMAGED = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    pa.ArrowException,
    ScoresimError,
)


def _entry(
    root: Path, name: str, rows: list[dict[str, Any]], warnings: list[str]
) -> ScenarioRuns | None:
    """The runs of ``rows`` that can be read, as entry ``name`` (None if none can).

    Each run that cannot be read adds a one-line warning to ``warnings``.
    """
    runs, dirs, replicates = [], [], []
    for r in rows:
        directory = run_dir(root, str(r["run_id"]))
        try:
            runs.append(load_run(directory))
        except _DAMAGED as exc:
            # Its first line, the run named by its id (the directory above it is known).
            first = str(exc).splitlines()[0] if str(exc) else ""
            first = first.replace(f"{directory}: ", "").replace(str(directory), "")[:200]
            warnings.append(
                f"left out run {r['run_id']} of {name}: a file of it is unreadable "
                f"({type(exc).__name__}{': ' + first if first else ''})"
            )
            continue
        dirs.append(directory)
        replicates.append(int(r["replicate"]))
    return ScenarioRuns(name, runs, dirs, replicates) if runs else None


def scenario_runs(root: Path, exp: dict[str, Any]) -> tuple[RunSet, list[str]]:
    """A run's or comparison's complete runs by scenario, leaving out runs it cannot read.

    Grouped as :func:`scoresim.store.load_results` groups them (one run per replicate: the
    last to finish), but a run whose measures or ``run.json`` are corrupt, truncated or
    empty is left out with a warning instead of stopping the explorer.

    Returns:
        The RunSet and a one-line warning for each run left out.

    Raises:
        InputError: If the directory holds no complete run, or none that can be read.
    """
    warnings: list[str] = []
    grouped: dict[str, ScenarioRuns] = {}
    for name, rows in runs_by_scenario(root, exp).items():
        entry = _entry(root, name, rows, warnings)
        if entry is not None:
            grouped[name] = entry
    if not grouped:
        raise InputError(f"{root}: no complete run can be read ({warnings[0]})")
    control = exp.get("control")
    if not isinstance(control, str) or control not in grouped:
        control = None  # none named, or its runs are missing: the default choice
    return RunSet(grouped, root, str(exp.get("kind", "run")), exp, control), warnings


def refuse_study(root: Path, exp: dict[str, Any]) -> None:
    """Refuse a calibration's or robustness study's directory, naming it and its report.

    Raises:
        InputError: If ``exp`` is of such a study.
    """
    kind = exp.get("kind")
    if kind in STUDIES:
        raise InputError(
            f"{root} holds {STUDIES[str(kind)]}, not scenarios to explore: its runs are the "
            f"study's points, and its summary is in its report: scoresim report {root}"
        )


def _value(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float | list):
        return str(v)
    if isinstance(v, list):
        return " ".join(_value(x) for x in v)
    return f"{v:.4g}"


def point_labels(points: list[dict[str, Any]]) -> list[str]:
    """Each design point's entry name: its number and parameter values, e.g.

    ``point 2: fear=3, violation_penalty=10`` (a parameter by its last dotted part, unless two
    share it).
    """
    keys = list(dict.fromkeys(k for p in points for k in p))
    tails = [k.rsplit(".", 1)[-1] for k in keys]
    short = {k: t if tails.count(t) == 1 else k for k, t in zip(keys, tails, strict=True)}
    return [
        _UNSAFE.sub(
            "", f"point {i}: " + ", ".join(f"{short[k]}={_value(v)}" for k, v in p.items())
        )[:280]
        for i, p in enumerate(points)
    ]


def sweep_runs(root: Path, exp: dict[str, Any]) -> tuple[RunSet, list[dict[str, Any]], list[str]]:
    """A sweep's design points with complete runs as entries, and every point described.

    Returns:
        The RunSet (one entry per point with a complete run that can be read, in design
        order); for each point, its number, entry name (None without such a run),
        parameters and runs; and a one-line warning for each unreadable run left out.

    Raises:
        InputError: If ``experiment.json`` is not a sweep this version reads, or no point has
            a complete run.
    """
    points, runs = exp.get("points"), exp.get("runs")
    if not (
        isinstance(points, list)
        and isinstance(runs, list)
        and len(points) == len(runs)
        and all(isinstance(p, dict) for p in points)
        and all(isinstance(r, list) for r in runs)
    ):
        raise InputError(f"{root}: experiment.json is not a sweep this version reads")
    complete = {r["run_id"]: r for r in list_runs(root, "complete")}
    labels = point_labels(points)
    entries: dict[str, ScenarioRuns] = {}
    described = []
    warnings: list[str] = []
    for i, (point, ids) in enumerate(zip(points, runs, strict=True)):
        done = [complete[str(r)] for r in ids if str(r) in complete]
        entry = _entry(root, labels[i], done, warnings) if done else None
        if entry is not None:
            entries[labels[i]] = entry
        described.append(
            {
                "point": i,
                "entry": labels[i] if entry is not None else None,
                "params": point,
                "runs": len(ids),
                "complete": len(entry.runs) if entry is not None else 0,
            }
        )
    if not entries:
        raise InputError(f"{root}: no design point of this sweep has a complete run")
    return RunSet(entries, root, "sweep", exp), described, warnings
