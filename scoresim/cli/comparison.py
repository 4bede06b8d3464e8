"""A comparison for people and for scripts: its tables and its JSON."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from scoresim.analysis.compare import RunSet
from scoresim.cli.output import _fmt_interval, _measure_fmt


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
