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

from scoresim.analysis.compare import RunSet, ScenarioRuns
from scoresim.core.errors import InputError
from scoresim.results import load_run
from scoresim.store import list_runs, run_dir

__all__ = ["STUDIES", "point_labels", "refuse_study", "sweep_runs"]

#: Directories whose runs are points of a study, with what the study is.
STUDIES = {
    "calibrate": "a calibration (history matching of parameters to observed targets)",
    "robustness": "a robustness study (the conclusions tested over the assumptions' ranges)",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.,:=+\- ]")


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


def sweep_runs(root: Path, exp: dict[str, Any]) -> tuple[RunSet, list[dict[str, Any]]]:
    """A sweep's design points with complete runs as entries, and every point described.

    Returns:
        The RunSet (one entry per point with a complete run, in design order) and, for each
        point, its number, entry name (None without a complete run), parameters and runs.

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
    for i, (point, ids) in enumerate(zip(points, runs, strict=True)):
        done = [complete[str(r)] for r in ids if str(r) in complete]
        if done:
            dirs = [run_dir(root, r["run_id"]) for r in done]
            entries[labels[i]] = ScenarioRuns(
                labels[i], [load_run(d) for d in dirs], dirs, [int(r["replicate"]) for r in done]
            )
        described.append(
            {
                "point": i,
                "entry": labels[i] if done else None,
                "params": point,
                "runs": len(ids),
                "complete": len(done),
            }
        )
    if not entries:
        raise InputError(f"{root}: no design point of this sweep has a complete run")
    return RunSet(entries, root, "sweep", exp), described
