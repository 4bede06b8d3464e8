"""Figures of a results directory, as matplotlib figures (usable from a notebook).

Every function takes a results directory (or the :class:`~scoresim.analysis.compare.RunSet`
loaded from one) and returns a ``matplotlib.figure.Figure``. Colours are fixed per scenario
across figures; the unscored control is always black and dashed.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files or embedded images, never windows

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from scoresim.analysis.compare import RunSet
from scoresim.core.errors import InputError
from scoresim.store import ego_tables, load_results

__all__ = [
    "blacklist",
    "degree",
    "ego_network",
    "expression",
    "independence_by_generation",
    "perk_access",
    "score_distribution",
]

Data = RunSet | str | Path
# Scenario colours avoid the two group colours, which mean dissenters and conformers.
PALETTE = ("#1b6ca8", "#e07a1f", "#2e933c", "#8e5ea2", "#00798c", "#b5838d", "#6d597a")
DISSENTER = "#d1495b"
CONFORMER = "#34495e"


def _data(data: Data) -> RunSet:
    return data if isinstance(data, RunSet) else load_results(data)


def colours(data: RunSet) -> dict[str, str]:
    """A colour per scenario; the control is black."""
    out, k = {}, 0
    for name in data.names:
        if name == data.baseline:
            out[name] = "#222222"
        else:
            out[name] = PALETTE[k % len(PALETTE)]
            k += 1
    return out


def _style(name: str, data: RunSet) -> dict[str, Any]:
    return {"linestyle": "--"} if name == data.baseline else {}


def _years(steps: np.ndarray) -> np.ndarray:
    return (steps + 1) / 12.0


def _finish(fig: Figure, ax: Any, title: str, ylabel: str, legend: bool = True) -> Figure:
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.set_xlabel("years since the score was introduced")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _mandate(ax: Any, data: RunSet) -> None:
    """Mark the month enrolment became mandatory, if a scenario has one after the start."""
    months = {
        r.runs[0].scenario.modules["enrolment"]["mandate_step"]
        for r in data.scenarios.values()
        if "enrolment" in r.runs[0].scenario.modules
    }
    for m in sorted(x for x in months if x > 0):
        ax.axvline(m / 12.0, color="#777777", lw=0.8, ls=":")
        ax.annotate(
            "enrolment mandatory",
            (m / 12.0, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            fontsize=7,
            color="#555555",
        )


def _band(ax: Any, data: RunSet, measure: str, label_fmt: str = "{}") -> bool:
    """Plot ``measure`` per scenario with its confidence band; False if nobody reports it."""
    col = colours(data)
    drawn = False
    for name, runs in data.scenarios.items():
        if not runs.has(measure):
            continue
        steps, mean, lo, hi = runs.series(measure)
        ok = np.isfinite(mean)
        x = _years(steps[ok])
        ax.plot(
            x, mean[ok], color=col[name], label=label_fmt.format(name), lw=1.8, **_style(name, data)
        )
        if data.replicates > 1 and np.isfinite(lo[ok]).any():
            ax.fill_between(x, lo[ok], hi[ok], color=col[name], alpha=0.18, lw=0)
        drawn = True
    return drawn


def _measure_axis(ax: Any, data: RunSet, measure: str) -> None:
    """Shares from 0 to 100%, other measures from zero when they cannot be negative."""
    info = data.measure_info(measure)
    if info.get("kind") == "share":
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    elif info.get("kind") in ("count", "currency"):
        ax.set_ylim(bottom=0)


def expression(data: Data) -> Figure:
    """Share of would-be dissenters who speak each month, against the control."""
    d = _data(data)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    _band(ax, d, "expression_rate")
    _mandate(ax, d)
    _measure_axis(ax, d, "expression_rate")
    bands = f", 95% band over {d.replicates} replicates" if d.replicates > 1 else ""
    return _finish(
        fig,
        ax,
        f"Chilling: dissenters who speak up each month{bands}",
        d.label("expression_rate"),
    )


def degree(data: Data) -> Figure:
    """Dissenters' mean number of ties against everyone else's."""
    d = _data(data)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    col = colours(d)
    for name, runs in d.scenarios.items():
        for measure, ls, who in (
            ("dissenter_mean_degree", "-", "dissenters"),
            ("others_mean_degree", ":", "others"),
        ):
            if not runs.has(measure):
                continue
            steps, mean, lo, hi = runs.series(measure)
            ok = np.isfinite(mean)
            ax.plot(
                _years(steps[ok]), mean[ok], color=col[name], ls=ls, lw=1.8, label=f"{name}: {who}"
            )
            if d.replicates > 1:
                ax.fill_between(
                    _years(steps[ok]), lo[ok], hi[ok], color=col[name], alpha=0.15, lw=0
                )
    _mandate(ax, d)
    ax.set_ylim(bottom=0)
    return _finish(
        fig,
        ax,
        "Social exile: friends of dissenters (solid) and of others (dotted)",
        "mean number of ties",
    )


def blacklist(data: Data) -> Figure:
    """Citizens on the public blacklist over time."""
    d = _data(data)
    if not any(s.has("blacklist_size") for s in d.scenarios.values()):
        raise InputError("No scenario here has a blacklist, so there is no list to draw.")
    fig, ax = plt.subplots(figsize=(7.5, 4))
    _band(ax, d, "blacklist_size")
    _measure_axis(ax, d, "blacklist_size")
    return _finish(
        fig,
        ax,
        "Blacklist: citizens listed",
        d.label("blacklist_size"),
        legend=bool(ax.lines),
    )


def score_distribution(data: Data) -> Figure:
    """The score's distribution over time: median, 25-75% and 10-90% bands, per scenario."""
    d = _data(data)
    scored = d.scored()
    if not scored:
        raise InputError(f"{d.root}: no scenario here computes a score")
    fig, axes = plt.subplots(
        1, len(scored), figsize=(3.6 * len(scored) + 1, 4), sharey=True, squeeze=False
    )
    col = colours(d)
    for ax, name in zip(axes[0], scored, strict=True):
        runs = d.scenarios[name]
        steps = _years(runs.steps.astype(float))
        # The percentiles the scoring module reports (score_pNN), drawn as nested bands.
        qs = sorted(int(m[7:]) for m in d.measure_names() if re.fullmatch(r"score_p\d+", m))
        q = {p: runs.series(f"score_p{p}")[1] for p in qs}
        for k in range(len(qs) // 2):
            lo, hi = qs[k], qs[-1 - k]
            alpha = 0.15 + 0.2 * k
            ax.fill_between(
                steps, q[lo], q[hi], color=col[name], alpha=alpha, lw=0, label=f"{lo}-{hi}%"
            )
        if len(qs) % 2:
            ax.plot(
                steps,
                q[qs[len(qs) // 2]],
                color=col[name],
                lw=2,
                label="median" if qs[len(qs) // 2] == 50 else f"{qs[len(qs) // 2]}%",
            )
        marks = d.marks("score", "perk", name) + d.marks("score", "sanction", name)
        for mark in marks:
            red = mark["kind"] == "sanction"
            ax.axhline(mark["value"], color="#b03030" if red else "#888888", lw=0.8, ls=":")
            ax.annotate(
                mark["label"] if red else f"{mark['value']:g}",
                (1.0, mark["value"]),
                xycoords=("axes fraction", "data"),
                xytext=(-2, 2),
                textcoords="offset points",
                ha="right",
                fontsize=7,
                color="#b03030" if red else "#666666",
            )
        # The axis shows every threshold that matters, the blacklist's included.
        values = [m["value"] for m in marks]
        if values:
            low, high = ax.get_ylim()
            ax.set_ylim(min(low, min(values) - 25), max(high, max(values) + 25))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("years")
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0][0].set_ylabel("score (grey: perk thresholds; red: the blacklist)")
    axes[0][0].legend(frameon=False, fontsize=8, loc="lower left")
    fig.suptitle(
        "Scores over time (living adults)", x=0.01, ha="left", fontweight="bold", fontsize=11
    )
    fig.tight_layout()
    return fig


def perk_access(data: Data, scenario: str | None = None) -> Figure:
    """Share over each perk threshold over time, dissenters against conformers."""
    d = _data(data)
    scored = d.scored()
    if not scored:
        raise InputError(f"{d.root}: no scenario here computes a score")
    name = scenario or scored[0]
    if name not in d.scenarios:
        raise InputError(f"scenario {name!r} is not in {d.root}; have {', '.join(d.names)}")
    runs = d.scenarios[name]
    perks = d.marks("score", "perk", name)
    if not perks:
        raise InputError(f"{d.root}: scenario {name!r} declares no perks")
    fig, axes = plt.subplots(
        1, len(perks), figsize=(3 * len(perks), 3.4), sharey=True, squeeze=False
    )
    axes = axes[0]
    for ax, perk in zip(axes, perks, strict=True):
        for group, colour in (("dissenters", DISSENTER), ("conformers", CONFORMER)):
            steps, mean, lo, hi = runs.series(f"perk_share_{perk['key']}_{group}")
            ok = np.isfinite(mean)
            ax.plot(_years(steps[ok]), mean[ok], color=colour, lw=1.8, label=group)
            if d.replicates > 1:
                ax.fill_between(_years(steps[ok]), lo[ok], hi[ok], color=colour, alpha=0.2, lw=0)
        ax.set_title(f"{perk['value']:g}+: {perk['label']}", fontsize=10)
        ax.set_xlabel("years")
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes:
        _mandate(ax, d)
    axes[0].set_ylabel("share holding the perk")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(
        f"Access to perks in {name}: dissenters against conformers",
        x=0.01,
        ha="left",
        fontweight="bold",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def independence_by_generation(data: Data) -> Figure:
    """Selection: each generation's mean independence, scenario minus control, against zero.

    Differences are drawn, not levels: on the level's scale (0-1) a difference of a
    thousandth is invisible, and on a zoomed one it looks large. The axis is symmetric about
    zero and spans at least +-0.02, so an effect's size reads against the scale's.
    """
    d = _data(data)
    # Those born under the policy first, then the generations demography reports.
    groups = [
        (m, str(d.measure_info(m)["label"]).removeprefix("mean independence of "))
        for m in d.measure_names()
        if m == "run_born_independence" or m.startswith("independence_gen")
    ]
    others = [n for n in d.names if n != d.baseline]
    present = [g for g in groups if any(d.scenarios[n].has(g[0]) for n in others)]
    if not others or not present:
        raise InputError("selection needs a scenario besides the control, with generations")
    effects = d.effects([m for m, _ in present])
    fig, ax = plt.subplots(figsize=(7.5, 4))
    col = colours(d)
    width = 0.6 / max(len(others), 1)
    reach = 0.02
    for k, name in enumerate(others):
        x = np.arange(len(present)) + (k - (len(others) - 1) / 2) * width
        ivs = [effects[name][m] for m, _ in present]
        mean = np.array([iv.mean for iv in ivs])
        lo = np.array([iv.ci_low for iv in ivs])
        hi = np.array([iv.ci_high for iv in ivs])
        has_ci = np.isfinite(lo)
        ax.errorbar(
            x,
            mean,
            yerr=np.where(has_ci, [mean - lo, hi - mean], 0.0),
            fmt="o",
            color=col[name],
            capsize=3,
            label=name,
        )
        spread = np.concatenate([np.abs(mean), np.abs(lo[has_ci]), np.abs(hi[has_ci])])
        if np.isfinite(spread).any():
            reach = max(reach, float(np.nanmax(spread)) * 1.2)
    ax.axhline(0, color="#222222", lw=1)
    ax.set_ylim(-reach, reach)
    ax.set_xticks(np.arange(len(present)), [label for _, label in present], fontsize=8)
    band = "95% intervals" if d.replicates > 1 else "one run each: no intervals"
    ax.set_title(
        f"Selection: independence against {d.baseline} ({band})",
        loc="left",
        fontsize=11,
        fontweight="bold",
    )
    ax.set_ylabel(f"difference in mean independence\n(scale 0-1; 0 = as under {d.baseline})")
    ax.grid(alpha=0.3, axis="y")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _ring(groups: list[list[int]]) -> dict[int, tuple[float, float]]:
    """Friends on a circle, group after group (kept, cut, new), so colours sit together."""
    order = [n for g in groups for n in g]
    return {
        n: (
            math.cos(2 * math.pi * i / max(len(order), 1)),
            math.sin(2 * math.pi * i / max(len(order), 1)),
        )
        for i, n in enumerate(order)
    }


def ego_network(data: Data, scenario: str | None = None, ego: int | None = None) -> Figure:
    """One dissenter's friends at the start and at the end; ties cut in red, new ones green."""
    d = _data(data)
    name = scenario or (d.scored() or d.names)[0]
    if name not in d.scenarios:
        raise InputError(f"scenario {name!r} is not in {d.root}; have {', '.join(d.names)}")
    tables = ego_tables(d.scenarios[name].dirs[0])
    if not tables:
        raise InputError(
            f"{d.scenarios[name].dirs[0]}: no ego networks recorded (record.ego_networks = 0)"
        )
    nodes, ties = tables["nodes"], tables["ties"]
    first, last = int(nodes["step"].min()), int(nodes["step"].max())

    def friends(e: int, step: int) -> set[int]:
        m = (ties["ego"] == e) & (ties["step"] == step)
        u, v = ties["u"][m], ties["v"][m]
        return set(v[u == e].tolist()) | set(u[v == e].tolist())

    def alive_at_end(e: int) -> bool:
        me = (nodes["ego"] == e) & (nodes["step"] == last) & (nodes["node"] == e)
        return bool(me.any() and nodes["alive"][me].all())

    if ego is None:  # who lost the most friends makes the clearest picture, if still alive:
        egos = np.unique(nodes["ego"]).tolist()  # the dead lose every friend at once
        living = [e for e in egos if alive_at_end(e)] or egos
        ego = int(max(living, key=lambda e: len(friends(e, first) - friends(e, last))))
    died = not alive_at_end(ego)
    before, after = friends(ego, first), friends(ego, last)
    kept, cut, new = sorted(before & after), sorted(before - after), sorted(after - before)
    pos = _ring([kept, cut, new])
    pos[ego] = (0.0, 0.0)
    at_end = (nodes["ego"] == ego) & (nodes["step"] == last)
    dissent = dict(
        zip(nodes["node"][at_end].tolist(), nodes["dissenter"][at_end].tolist(), strict=True)
    )

    def among(step: int) -> list[tuple[int, int]]:
        m = (ties["ego"] == ego) & (ties["step"] == step)
        return [
            (u, v)
            for u, v in zip(ties["u"][m].tolist(), ties["v"][m].tolist(), strict=True)
            if ego not in (u, v)
        ]

    def shown_ties(step: int, mine: set[int]) -> list[tuple[int, int]]:
        return [(u, v) for u, v in among(step) if u in mine and v in mine]

    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2))
    panels = (
        (axes[0], first, before, "at the start", {n: "cut" for n in cut}),
        (
            axes[1],
            last,
            after,
            f"after {last / 12:.0f} years" + (" (they died before the end)" if died else ""),
            {n: "new" for n in new},
        ),
    )
    for ax, step, mine, title, marks in panels:
        for u, v in shown_ties(step, mine):  # friends' ties to each other, faint
            ax.plot(*zip(pos[u], pos[v], strict=True), color="#dddddd", lw=0.4, zorder=0)
        for n in mine:
            kind = marks.get(n)
            colour = {"cut": "#d1495b", "new": "#2e933c"}.get(kind or "", "#9a9a9a")
            ax.plot(
                *zip(pos[ego], pos[n], strict=True),
                color=colour,
                lw=1.8 if kind else 1.0,
                ls="--" if kind == "cut" else "-",
                zorder=1,
            )
        shown = [n for n in pos if n == ego or n in mine]
        for n in shown:
            x, y = pos[n]
            c = DISSENTER if dissent.get(n) else CONFORMER
            ax.scatter(
                [x],
                [y],
                s=320 if n == ego else 60,
                color=c,
                zorder=3,
                edgecolor="black" if n == ego else "white",
                linewidth=1.5,
            )
        ax.set_title(f"{title}: {len(mine)} friends", fontsize=10)
        ax.set_xlim(-1.2, 1.2)
        ax.set_ylim(-1.2, 1.2)
        ax.set_aspect("equal")
        ax.axis("off")
    handles = [
        Line2D(
            [],
            [],
            color="#d1495b",
            ls="--",
            lw=1.8,
            label=f"gone later: cut, faded or died ({len(cut)})",
        ),
        Line2D([], [], color="#2e933c", lw=1.8, label=f"new since ({len(new)})"),
        Line2D([], [], color="#9a9a9a", lw=1.0, label=f"kept ({len(kept)})"),
        Line2D(
            [],
            [],
            marker="o",
            color="white",
            markerfacecolor=DISSENTER,
            markersize=8,
            label="holds dissenting views",
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="white",
            markerfacecolor=CONFORMER,
            markersize=8,
            label="conformer",
        ),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=8)
    fig.suptitle(
        f"One dissenter's friends in {name} (citizen {ego}, the large dot)",
        x=0.01,
        ha="left",
        fontweight="bold",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
