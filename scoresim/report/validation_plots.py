"""Figures of "How sure are we?": the posterior, the predictive checks, the claims' robustness."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from scoresim.core.registry import known

__all__ = ["claims_figure", "posterior_figure", "predictive_figure"]

FITTED = "#1b6ca8"
DEFAULTS = "#999999"
#: Targets further than this many standard deviations away are drawn at the edge.
EDGE = 8.0


def _default(key: str) -> float | None:
    """The module parameter's default value, if ``key`` names one."""
    _, module, name = key.split(".")
    cls = known().get(module)
    field = cls.Params.model_fields.get(name) if cls is not None else None
    return None if field is None else float(field.default)


def posterior_figure(result: dict[str, Any], root: Path) -> Figure:
    """Each calibrated parameter: the posterior over its whole prior range, the default marked."""
    params = result["posterior"]["parameters"]
    table = pq.read_table(root / "posterior.parquet")
    weights = table.column("weight").to_numpy()
    fig = Figure(figsize=(3.4 * len(params), 2.8))
    axes = fig.subplots(1, len(params), squeeze=False)[0]
    for ax, (key, p) in zip(axes, params.items(), strict=True):
        x = table.column(key).to_numpy()
        bins = np.linspace(p["prior_low"], p["prior_high"], 31)
        ax.hist(x, bins=bins, weights=weights, color=FITTED, alpha=0.75, density=True)
        ax.axhline(1.0 / (p["prior_high"] - p["prior_low"]), color=DEFAULTS, ls="--", lw=1)
        ax.axvspan(p["q025"], p["q975"], color=FITTED, alpha=0.08, lw=0)
        default = _default(key)
        if default is not None:
            ax.axvline(default, color="#222222", lw=1.2, ls=":")
        ax.set_xlim(p["prior_low"], p["prior_high"])
        ax.set_title(key.split(".", 1)[1], loc="left", fontsize=10)
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
    axes[0].set_ylabel("posterior density")
    fig.tight_layout()
    return fig


def _z(value: float | None, target: float, sd: float) -> float:
    return math.nan if value is None else (value - target) / sd


def predictive_figure(result: dict[str, Any]) -> Figure:
    """Every target: where the calibrated model and the defaults fall, in the figure's sds."""
    checks = result["checks"]
    names = list(checks)
    fig = Figure(figsize=(7.5, 0.45 * len(names) + 1.4))
    ax = fig.subplots()
    ax.axvspan(-2, 2, color="#2e933c", alpha=0.10, lw=0)
    ax.axvline(0, color="#2e933c", lw=1)
    for row, name in enumerate(names):
        c = checks[name]
        for which, colour, dy in (("defaults", DEFAULTS, 0.15), ("posterior", FITTED, -0.15)):
            k = c[which]
            if k["mean"] is None:
                continue
            lo, mid, hi = (
                float(np.clip(_z(k[q], c["value"], c["uncertainty"]), -EDGE, EDGE))
                for q in ("low", "mean", "high")
            )
            ax.plot([lo, hi], [row + dy] * 2, color=colour, lw=2.5, solid_capstyle="butt")
            marker = "o" if abs(mid) < EDGE else (">" if mid > 0 else "<")
            label = ("calibrated" if which == "posterior" else "defaults") if row == 0 else None
            ax.plot(mid, row + dy, marker, color=colour, label=label)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(
        [f"{n} ({'fitted' if checks[n]['use'] == 'fitted' else 'held back'})" for n in names],
        fontsize=8,
    )
    ax.invert_yaxis()
    ax.set_xlim(-EDGE - 0.5, EDGE + 0.5)
    ax.set_xlabel(
        "model minus published figure, in the figure's standard deviations\n"
        f"(line: 95% of predictive draws; dot: their mean; beyond {EDGE:g}: drawn at the edge)"
    )
    ax.set_title(
        "Targets: 0 is the published figure, green within 2 of its sds", loc="left", fontsize=11
    )
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def claims_figure(result: dict[str, Any]) -> Figure:
    """Each claim: the share of the plausible space where it holds, with its 95% interval."""
    claims = result["claims"]
    names = list(claims)
    fig = Figure(figsize=(7.5, 0.45 * len(names) + 1.2))
    ax = fig.subplots()
    for row, name in enumerate(names):
        c = claims[name]
        share, lo, hi = c["share"], c["share_low"], c["share_high"]
        if share is None:
            continue
        ax.barh(row, share, color=FITTED, alpha=0.7, height=0.6)
        ax.plot([lo, hi], [row, row], color="#222222", lw=1.5)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("share of the plausible parameter space where the claim holds (95% interval)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
