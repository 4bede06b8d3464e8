"""A self-contained HTML report of a results directory: figures embedded, no network needed."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from scoresim.analysis.compare import RunSet
from scoresim.analysis.stats import Interval
from scoresim.core.errors import InputError
from scoresim.report import plots
from scoresim.report.embed import figure_html, fmt, measure_formatter, page
from scoresim.report.sweep import sweep_body
from scoresim.report.validation import calibration_section, how_sure, robustness_section
from scoresim.results import atomic_write
from scoresim.store import load_results, read_experiment

__all__ = ["render_report", "write_report"]

FIGURES: tuple[tuple[str, Callable[[RunSet], Figure], str], ...] = (
    (
        "expression",
        plots.expression,
        "Chilling. The share of citizens holding dissenting views who posted them each month. "
        "{band}",
    ),
    (
        "degree",
        plots.degree,
        "Social exile. Mean number of friends of dissenters (solid) and of everyone else "
        "(dotted), adults only. Friends are cut when a dissenter's posts visibly lower their "
        "score. The small dip every December, in every scenario, is the year's demography, "
        "applied at once at the year's end: the dead take their ties with them and "
        "18-year-olds join the adults with fewer friends; the ties are remade within a few "
        "months.",
    ),
    (
        "ego_network",
        plots.ego_network,
        "One dissenter's circle of friends at the start and at the end (one still alive, "
        "where the runs recorded one). Red dashed: ties gone since, cut for the score, "
        "faded or ended by a death; green: ties formed since.",
    ),
    (
        "score_distribution",
        plots.score_distribution,
        "The distribution of scores among living adults over time.",
    ),
    (
        "perk_access",
        plots.perk_access,
        "Access to perks: the share of dissenters and of conformers whose score unlocks each "
        "perk (enrolled, not blacklisted).",
    ),
    ("blacklist", plots.blacklist, "The public blacklist: citizens listed over time."),
    (
        "independence",
        plots.independence_by_generation,
        "Selection. Each group's mean independence at the end minus the control's, with its "
        "95% interval: those born under the policy, then each generation alive. Births rise "
        "with perks and independence is inherited with noise, so a perk gap could select; "
        "an interval across zero means no difference the replicates can tell.",
    ),
)


def _includes_zero(iv: Interval) -> bool:
    """Whether an effect's interval holds 0 (False without an interval)."""
    return not math.isnan(iv.ci_low) and iv.ci_low <= 0.0 <= iv.ci_high


def _interval_cell(
    iv: Interval, effect: bool = False, show: Callable[[float | None], str] = fmt
) -> str:
    value = "" if math.isnan(iv.mean) else repr(iv.mean)
    ci = (
        ""
        if math.isnan(iv.ci_low)
        else f"<br><span class='ci'>[{show(iv.ci_low)}, {show(iv.ci_high)}]</span>"
    )
    if effect and _includes_zero(iv):
        ci += "<br><span class='ci'>not distinguishable from 0</span>"
    return f"<td data-value='{value}'>{show(iv.mean)}{ci}</td>"


def _interval_table(
    table_id: str,
    corner: str,
    data: RunSet,
    intervals: dict[str, dict[str, Interval]],
    effect: bool = False,
) -> str:
    """Measures (rows) by scenario (columns); rows with no value skipped.

    The rows are the measures of ``intervals``, in order; their labels and units come from
    the runs' metadata.
    """
    columns = list(intervals)
    measures = list(next(iter(intervals.values()))) if intervals else []
    head = "".join(f"<th>{html.escape(n)}</th>" for n in columns)
    rows = []
    for m in measures:
        if all(math.isnan(intervals[n][m].mean) for n in columns):
            continue
        show = measure_formatter(data.measure_info(m), effect)
        cells = "".join(_interval_cell(intervals[n][m], effect, show) for n in columns)
        rows.append(
            f"<tr data-measure='{m}'><td>{html.escape(data.label(m))}<br><code>{m}</code></td>"
            f"{cells}</tr>"
        )
    return (
        f"<table id='{table_id}'><thead><tr><th>{html.escape(corner)}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _values_table(data: RunSet) -> str:
    reps = data.replicates
    what = f"mean over {reps} replicates [95% interval]" if reps > 1 else "one run"
    summary = data.summary(data.headline())
    return _interval_table("final-values", f"final value ({what})", data, summary)


def _all_values_table(data: RunSet) -> str:
    """Every measure any scenario reports, headline or not, in a collapsed section."""
    summary = data.summary(data.measure_names())
    table = _interval_table("all-values", "final value", data, summary)
    count = len(data.measure_names())
    return f"<details><summary>All {count} measures</summary>{table}</details>"


def _effects_section(data: RunSet) -> str:
    effects = data.effects(data.headline())
    if not effects:
        return (
            f"<p>These runs hold one scenario ({html.escape(data.names[0])}), so there is "
            "nothing to measure an effect against: <code>scoresim compare "
            f"{html.escape(data.names[0])} no-score</code> runs it beside the control on the "
            "same society and draws.</p>"
        )
    base = html.escape(data.baseline)
    note = (
        f"<p class='note'>Each scenario minus the control, {base}, paired replicate by "
        "replicate (same seeds), with 95% intervals when there are several replicates. "
        f"Measures that {base} does not have (scores, perks, the blacklist) appear only among "
        "the final values.</p>"
    )
    table = _interval_table("effects", f"effect against {data.baseline}", data, effects, True)
    return note + table


def _lead(data: RunSet) -> str:
    """A few sentences a journalist can read in a minute."""
    base = data.baseline
    lead = (
        "expression_rate",
        "dissenter_degree_ratio",
        "spillover_loss",
        "blacklist_size",
        "run_born_independence",
    )
    summary = data.summary(lead)
    effects = data.effects(lead)
    if len(data.names) == 1:
        return _lead_alone(data.names[0], summary[data.names[0]])
    items = []
    for name in data.names:
        if name == base:
            continue
        eff = effects[name]
        parts = []
        er = {n: v["expression_rate"] for n, v in summary.items()}
        if not math.isnan(eff["expression_rate"].mean):
            parts.append(
                f"dissenters spoke up in {er[name].mean:.0%} of months against "
                f"{er[base].mean:.0%} under {html.escape(base)}"
            )
        dr = {n: v["dissenter_degree_ratio"] for n, v in summary.items()}
        if not math.isnan(eff["dissenter_degree_ratio"].mean):
            parts.append(
                f"they kept {dr[name].mean:.0%} as many friends as others "
                f"({dr[base].mean:.0%} under {html.escape(base)})"
            )
        sp = summary[name]["spillover_loss"]
        if not math.isnan(sp.mean) and sp.mean > 0:
            parts.append(f"citizens who never posted lost {sp.mean:.0f} points through friends")
        bl = summary[name]["blacklist_size"]
        if not math.isnan(bl.mean) and bl.mean > 0:
            parts.append(f"{bl.mean:,.0f} citizens ended on the blacklist")
        sel = eff.get("run_born_independence")
        if sel is not None and not math.isnan(sel.mean):
            parts.append(_selection_sentence(sel, summary, name, base))
        if parts:
            items.append(f"<li><b>{html.escape(name)}</b>: " + "; ".join(parts) + ".</li>")
    return f"<ul class='lead'>{''.join(items)}</ul>" if items else ""


def _lead_alone(name: str, values: dict[str, Interval]) -> str:
    """The one-minute summary of a single scenario: its own levels, no comparison."""
    parts = []
    if not math.isnan(values["expression_rate"].mean):
        parts.append(f"dissenters spoke up in {values['expression_rate'].mean:.0%} of months")
    if not math.isnan(values["dissenter_degree_ratio"].mean):
        ratio = values["dissenter_degree_ratio"].mean
        parts.append(f"they kept {ratio:.0%} as many friends as others")
    sp = values["spillover_loss"].mean
    if not math.isnan(sp) and sp > 0:
        parts.append(f"citizens who never posted lost {sp:.0f} points through friends")
    bl = values["blacklist_size"].mean
    if not math.isnan(bl):
        parts.append(f"{bl:,.0f} citizens ended on the blacklist")
    said = "; ".join(parts) if parts else "none of the headline measures is reported"
    return (
        f"<ul class='lead'><li><b>{html.escape(name)}</b> alone: {said}. Without a control "
        "these are levels, not effects of the policy (see Effects).</li></ul>"
    )


def _selection_sentence(
    eff: Interval, summary: dict[str, dict[str, Interval]], name: str, base: str
) -> str:
    """Independence of those born under the policy against the control, honestly qualified."""
    own = summary[name]["run_born_independence"].mean
    other = summary[base]["run_born_independence"].mean
    if math.isnan(eff.ci_low):
        verdict = "one run, so no interval"
    elif _includes_zero(eff):
        verdict = f"[{eff.ci_low:+.4f}, {eff.ci_high:+.4f}]: not distinguishable from zero"
    else:
        verdict = f"[{eff.ci_low:+.4f}, {eff.ci_high:+.4f}]"
    return (
        f"those born under the policy have mean independence {own:.3f} against "
        f"{other:.3f} under {html.escape(base)} (difference {eff.mean:+.4f}, {verdict})"
    )


def _provenance(data: RunSet) -> str:
    rows = []
    for name, runs in data.scenarios.items():
        for d, r in zip(runs.dirs, runs.runs, strict=True):
            rows.append(
                f"<tr><td>{html.escape(name)}</td><td><code>{html.escape(d.name)}</code></td>"
                f"<td>{r.seed}</td><td><code>{r.scenario_hash}</code></td>"
                f"<td><code>{html.escape(r.code_version)}</code></td></tr>"
            )
    return (
        "<table id='provenance'><thead><tr><th>scenario</th><th>run</th><th>seed</th>"
        "<th>scenario hash</th><th>code version</th></tr></thead><tbody>"
        f"{''.join(rows)}</tbody></table>"
    )


def _parameters(data: RunSet) -> str:
    blocks = []
    for name, runs in data.scenarios.items():
        sc = runs.runs[0].scenario
        dump = sc.model_dump(mode="json")
        dump.pop("seed", None)
        text = html.escape(json.dumps(dump, indent=2))
        desc = html.escape(sc.description)
        blocks.append(
            f"<details><summary><b>{html.escape(name)}</b>: {desc}</summary>"
            f"<pre>{text}</pre></details>"
        )
    return "".join(blocks)


def render_report(
    data: RunSet, calibration: Path | None = None, robustness: Path | None = None
) -> str:
    """The report as one HTML string (figures as embedded PNG).

    Args:
        data: The runs.
        calibration: A calibration's directory, for "How sure are we?".
        robustness: A robustness study's directory, for the same section.
    """
    first = next(iter(data.scenarios.values())).runs[0]
    sc = first.scenario
    agents = f"{sc.society.agents:,}" if sc.society.agents else "an imported network of"
    title = data.experiment.get("name") or " vs ".join(data.names)
    band = (
        f"Shaded: 95% confidence band over {data.replicates} replicates."
        if data.replicates > 1
        else "One run per scenario, so no confidence band (compare --replicates gives one)."
    )
    figures = []
    for key, fn, caption in FIGURES:
        try:
            fig = fn(data)
        except InputError as exc:  # e.g. no scored scenario: say so instead of a figure
            figures.append(f"<p class='note' data-missing='{key}'>{html.escape(str(exc))}</p>")
            continue
        figures.append(figure_html(key, fig, caption.format(band=band)))
    intro = (
        f"A simulation of {agents} synthetic citizens over {first.steps.size / 12:g} years, "
        f"{data.replicates} replicate(s) per scenario, seed {sc.seed}; every scenario sees the "
        "same society and the same random draws (common random numbers)."
    )
    body = f"""<h2>In one minute</h2>
{_lead(data)}
<h2>Final values</h2>
{_values_table(data)}
{_all_values_table(data)}
<h2>Effects</h2>
{_effects_section(data)}
<h2>Figures</h2>
{"".join(figures)}
<h2>How sure are we?</h2>
{how_sure(data, calibration, robustness)}
<h2>Scenarios and provenance</h2>
{_provenance(data)}
{_parameters(data)}"""
    return page(title, intro, body)


def write_report(
    results: str | Path,
    out: str | Path | None = None,
    calibration: Path | None = None,
    robustness: Path | None = None,
    control: str | None = None,
) -> Path:
    """Render the report of a results directory (or one run's directory) to an HTML file.

    Args:
        results: The directory.
        out: Where to write (default: ``report.html`` inside ``results``).
        calibration: A calibration's directory to include.
        robustness: A robustness study's directory to include.
        control: The scenario effects are against (default: the one the comparison was
            run with, else no-score if present, else the first).

    Returns:
        The path written.
    """
    root = Path(results)
    target = Path(out) if out is not None else root / "report.html"
    kind = str(read_experiment(root).get("kind", "")) if root.is_dir() else ""
    if kind in ("calibrate", "robustness"):  # the study's summary is what it reports
        text = _study_page(root, kind)
    else:
        data = load_results(root)
        if control is not None:
            data = data.with_control(control)
        if data.kind == "sweep":
            intro, body = sweep_body(root, data.experiment, data)
            text = page(str(data.experiment.get("name", "sweep")), intro, body)
        else:
            text = render_report(data, calibration, robustness)
    atomic_write(target, lambda p: p.write_text(text, encoding="utf-8"))
    return target


def _study_page(root: Path, kind: str) -> str:
    """The report of a calibration's or a robustness study's own directory."""
    if kind == "calibrate":
        title, body = "calibration", calibration_section(root)
    else:
        title, body = "robustness of the conclusions", robustness_section(root)
    intro = (
        f"The {title} stored in {html.escape(root.name)}. <code>scoresim report</code> on a "
        "comparison, with --calibration and --robustness, puts it beside that comparison's "
        "results."
    )
    return page(title, intro, f"<h2>How sure are we?</h2>{body}")
