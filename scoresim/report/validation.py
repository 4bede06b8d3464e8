"""The report's "How sure are we?": targets met and missed, the posterior, the claims' robustness.

The targets are checked on the report's own runs. The calibration and the robustness study
are separate experiments (``scoresim calibrate``, ``scoresim robustness``, both run by
``make validate``); the report includes them when given their directories.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scoresim.analysis.compare import RunSet
from scoresim.calibration import check, load_targets
from scoresim.calibration.history import CALIBRATION_FILE
from scoresim.core.errors import InputError
from scoresim.report import validation_plots
from scoresim.report.embed import figure_html, fmt

__all__ = ["calibration_section", "how_sure", "read_study", "robustness_section"]

ROBUSTNESS_FILE = "robustness.json"


def read_study(root: Path, name: str) -> dict[str, Any]:
    """A study's summary file (``calibration.json``, ``robustness.json``).

    Raises:
        InputError: If it is missing or not valid JSON.
    """
    path = root / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise InputError(f"{root}: no {name}; is it the --out of that study?") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: damaged: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: damaged: not a JSON object")
    return data


def _targets(data: RunSet) -> str:
    try:
        checks = check(load_targets(), data)
    except InputError as exc:
        return (
            f"<p class='note'>No target can be computed on these runs: {html.escape(str(exc))}</p>"
        )
    rows = []
    for c in checks:
        iv = c.model
        model = fmt(iv.mean) + (
            "" if math.isnan(iv.ci_low) else f" [{fmt(iv.ci_low)}, {fmt(iv.ci_high)}]"
        )
        met = "n/a" if math.isnan(iv.mean) else ("met" if c.met else "missed")
        rows.append(
            f"<tr data-target='{c.target.name}'><td>{html.escape(c.target.name)}<br>"
            f"<span class='ci'>{html.escape(c.target.description)}</span></td>"
            f"<td>{fmt(c.target.value)} ± {fmt(c.target.uncertainty)}</td><td>{model}</td>"
            f"<td>{met}</td></tr>"
        )
    n_met = sum(c.met for c in checks)
    return (
        f"<p>These runs, at the scenarios' own parameters, meet {n_met} of {len(checks)} "
        "published figures they can be compared with (the model's mean within two standard "
        "deviations; sources in <code>scoresim targets</code> and docs/validation.md).</p>"
        "<table id='targets'><thead><tr><th>target</th><th>figure</th>"
        "<th>model [95% interval]</th><th></th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _calibration(result: dict[str, Any], root: Path) -> str:
    plan = result["plan"]
    head = (
        f"<p>Calibrated by history matching ({len(result['waves'])} waves of "
        f"{plan['points']} points, each on {plan['replicates']} seeds, {plan['agents']:,} "
        f"citizens over {plan['years']} years): <b>fitted</b> to {', '.join(result['fitted'])}; "
        f"<b>held back</b> to validate: {', '.join(result['held_back']) or 'none'}.</p>"
    )
    if result.get("status") != "calibrated":
        return head + f"<p><b>{html.escape(result.get('message', ''))}</b></p>"
    post = result["posterior"]
    rows = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{fmt(p['prior_low'])} to "
        f"{fmt(p['prior_high'])}</td><td>{fmt(p['mean'])}</td>"
        f"<td>{fmt(p['q025'])} to {fmt(p['q975'])}</td><td>{p['shrinkage']:.2f}</td></tr>"
        for k, p in post["parameters"].items()
    )
    table = (
        "<table id='posterior'><thead><tr><th>parameter</th><th>prior (uniform)</th>"
        "<th>posterior mean</th><th>95% interval</th><th>sd / prior sd</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    parts = [head, table]
    parts.append(
        figure_html(
            "posterior",
            validation_plots.posterior_figure(result, root),
            f"The posterior of each calibrated parameter over its whole prior range "
            f"({post['samples']:,} samples, {post['effective_samples']:,.0f} effective); dashed: "
            "the uniform prior; dotted: the default; shaded: the 95% interval.",
        )
    )
    checks = result.get("checks", {})
    if checks:
        parts.append(
            figure_html(
                "predictive",
                validation_plots.predictive_figure(result),
                "Posterior predictive checks: every target, fitted or held back, against "
                f"{plan['predictive']} runs at draws from the posterior (blue) and at the "
                "defaults on the same seeds (grey).",
            )
        )
        failed = [
            f"{n} ({c['use']}: figure {fmt(c['value'])}, calibrated model "
            f"{fmt(c['posterior']['mean'])} [{fmt(c['posterior']['low'])}, "
            f"{fmt(c['posterior']['high'])}])"
            for n, c in checks.items()
            if not c["posterior"]["met"]
        ]
        parts.append(
            "<p>The calibrated model fails: " + html.escape("; ".join(failed)) + ".</p>"
            if failed
            else "<p>The calibrated model meets every target.</p>"
        )
    return "".join(parts)


def _robustness(result: dict[str, Any], root: Path) -> str:
    claims = result["claims"]
    items = "".join(
        f"<li data-claim='{html.escape(name)}'><b>{html.escape(c['statement'].rstrip('.'))}</b>: "
        f"{html.escape(c['sentence'])}</li>"
        for name, c in claims.items()
    )
    study = result.get("study", {})
    return (
        f"<p>Each headline conclusion, stated as a claim, over {study.get('points', '?')} "
        f"points of the plausible parameter space ({len(study.get('parameters', []))} "
        "assumptions, each over its documented range, Latin hypercube, every scenario on the "
        "same seeds):</p>"
        f"<ul class='lead'>{items}</ul>"
        + figure_html(
            "robustness",
            validation_plots.claims_figure(result),
            "The share of the plausible parameter space in which each claim holds, with its "
            "95% (Wilson) interval.",
        )
    )


def _study(
    root: Path,
    name: str,
    render: Callable[[dict[str, Any], Path], str],
) -> str:
    """A study's part of the section; a summary missing what it should hold is refused."""
    result = read_study(root, name)
    try:
        return render(result, root)
    except (KeyError, TypeError, ValueError, IndexError, OSError) as exc:
        # ArrowInvalid (a damaged posterior.parquet) is a ValueError.
        raise InputError(f"{root / name}: damaged or from another version: {exc!r}") from None


def calibration_section(root: Path) -> str:
    """A calibration's part of the report (its directory holds ``calibration.json``)."""
    return _study(root, CALIBRATION_FILE, _calibration)


def robustness_section(root: Path) -> str:
    """A robustness study's part of the report (its directory holds ``robustness.json``)."""
    return _study(root, ROBUSTNESS_FILE, _robustness)


def how_sure(data: RunSet, calibration: Path | None, robustness: Path | None) -> str:
    """The section's HTML.

    Raises:
        InputError: If a study directory given lacks its summary or it is damaged.
    """
    parts = ["<h3>Published figures</h3>", _targets(data)]
    if calibration is not None:
        parts += ["<h3>Calibration</h3>", calibration_section(calibration)]
    if robustness is not None:
        parts += [
            "<h3>Robustness of the conclusions</h3>",
            _study(robustness, ROBUSTNESS_FILE, _robustness),
        ]
    if calibration is None or robustness is None:
        parts.append(
            "<p class='note'>This report has no "
            + " and no ".join(
                n
                for n, d in (("calibration", calibration), ("robustness study", robustness))
                if d is None
            )
            + ": <code>make validate</code> runs both and writes a report with them.</p>"
        )
    return "".join(parts)
