"""The report of a sweep.

Every design point with its parameters (none dropped), each output against each swept
parameter, and the sensitivity table where the design allows one.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.figure import Figure

from scoresim.analysis.compare import RunSet
from scoresim.core.errors import InputError
from scoresim.experiments.sensitivity import final_values, sensitivity
from scoresim.report.embed import figure_html, fmt, measure_formatter

__all__ = ["sweep_body"]

#: Points listed in the table before the rest are folded away.
SHOWN = 200


def _means(root: Path, exp: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Each point's output means over its complete replicates, and how many were complete."""
    outputs = list(exp["outputs"])
    finals = final_values(root, outputs)
    runs: list[list[str]] = exp["runs"]
    y = np.full((len(runs), len(outputs)), np.nan)
    done = np.zeros(len(runs), dtype=int)
    for i, ids in enumerate(runs):
        rows = [[finals[r].get(o, math.nan) for o in outputs] for r in ids if r in finals]
        done[i] = len(rows)
        if rows:
            y[i] = np.nanmean(np.array(rows, dtype=np.float64), axis=0)
    return y, done


def _points_table(exp: dict[str, Any], data: RunSet, y: np.ndarray, done: np.ndarray) -> str:
    params = list(exp["points"][0]) if exp["points"] else []
    outputs = list(exp["outputs"])
    reps = len(exp["runs"][0]) if exp["runs"] else 0
    head = "".join(f"<th><code>{html.escape(p)}</code></th>" for p in params)
    head += "".join(f"<th>{html.escape(data.label(o))}</th>" for o in outputs)
    shows = [measure_formatter(data.measure_info(o)) for o in outputs]
    rows = []
    for i, point in enumerate(exp["points"]):
        cells = "".join(
            f"<td>{fmt(v) if isinstance(v, float) else html.escape(str(v))}</td>"
            for v in point.values()
        )
        if done[i] == 0:
            cells += f"<td colspan='{len(outputs)}'>no complete run</td>"
        else:
            cells += "".join(
                f"<td>{show(float(v))}</td>" for show, v in zip(shows, y[i], strict=True)
            )
        rows.append(f"<tr data-point='{i}'><td>{i}</td><td>{done[i]}/{reps}</td>{cells}</tr>")
    table = (
        "<table id='points'><thead><tr><th>point</th><th>runs</th>"
        f"{head}</tr></thead><tbody>{''.join(rows[:SHOWN])}</tbody></table>"
    )
    if len(rows) > SHOWN:
        rest = "<table><tbody>" + "".join(rows[SHOWN:]) + "</tbody></table>"
        table += f"<details><summary>{len(rows) - SHOWN} more points</summary>{rest}</details>"
    return table


def _scatter(exp: dict[str, Any], data: RunSet, y: np.ndarray) -> Figure | None:
    """Each output (row) against each swept numeric parameter (column), point means."""
    points = exp["points"]
    params = [
        p
        for p in (points[0] if points else {})
        if all(isinstance(pt[p], int | float) and not isinstance(pt[p], bool) for pt in points)
    ]
    outputs = list(exp["outputs"])
    if not params:
        return None
    fig = Figure(figsize=(2.6 * len(params) + 0.8, 2.1 * len(outputs) + 0.6))
    axes = fig.subplots(len(outputs), len(params), squeeze=False)
    for j, out in enumerate(outputs):
        for k, p in enumerate(params):
            ax = axes[j][k]
            x = np.array([pt[p] for pt in points], dtype=np.float64)
            ok = np.isfinite(y[:, j])
            ax.scatter(x[ok], y[ok, j], s=10, color="#1b6ca8", alpha=0.7)
            info = data.measure_info(out)
            if info.get("kind") == "share" or info.get("unit") == "share difference":
                ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            if j == len(outputs) - 1:
                ax.set_xlabel(p.split(".")[-1], fontsize=8)
            if k == 0:
                ax.set_title(data.label(out), loc="left", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _indices(root: Path) -> str:
    try:
        report = sensitivity(root)
    except InputError as exc:
        return f"<p class='note'>No sensitivity table: {html.escape(str(exc))}</p>"
    what = {
        "sobol": "Sobol indices (first order S1, total ST, with 95% confidence half-widths)",
        "morris": "Morris elementary effects (mu*, its confidence, sigma)",
    }.get(report["method"], "Spearman rank correlations of each output with each parameter")
    blocks = [
        f"<p>{what} over {report['points_used']} of "
        f"{report['points']} design points (final values, mean over replicates).</p>"
    ]
    blocks += [f"<p class='note'>Warning: {html.escape(w)}</p>" for w in report["warnings"]]
    for out, per_param in report["indices"].items():
        keys = list(next(iter(per_param.values()))) if per_param else []
        head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
        rows = "".join(
            f"<tr><td><code>{html.escape(p)}</code></td>"
            + "".join(f"<td>{fmt(v[k])}</td>" for k in keys)
            + "</tr>"
            for p, v in per_param.items()
        )
        blocks.append(
            f"<table data-output='{html.escape(out)}'><thead><tr><th>{html.escape(out)}</th>"
            f"{head}</tr></thead><tbody>{rows}</tbody></table>"
        )
    return "".join(blocks)


def sweep_body(root: Path, exp: dict[str, Any], data: RunSet) -> tuple[str, str]:
    """The sweep report's intro note and body.

    Raises:
        InputError: If ``experiment.json`` does not describe a sweep this version reads.
    """
    try:
        y, done = _means(root, exp)
        table = _points_table(exp, data, y, done)
        fig = _scatter(exp, data, y)
        design = exp["design"]
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InputError(
            f"{root}: experiment.json is not a sweep this version reads: {exc!r}"
        ) from None
    complete = int((done > 0).sum())
    scenario, method = html.escape(str(design.get("scenario"))), html.escape(str(exp.get("method")))
    intro = (
        f"A sweep of {scenario} by {method}: "
        f"{len(exp['points'])} design points, {complete} with a complete run; every point's "
        "replicates on the same seeds as every other point's."
    )
    figure = (
        figure_html(
            "sweep",
            fig,
            "Each output's final value (mean over a point's replicates) against each swept "
            "parameter, one dot per design point.",
        )
        if fig is not None
        else "<p class='note'>No numeric parameter to plot against.</p>"
    )
    body = (
        f"<h2>Design points</h2>{table}<h2>Outputs against the swept parameters</h2>{figure}"
        f"<h2>Sensitivity</h2>{_indices(root)}"
    )
    return intro, body
