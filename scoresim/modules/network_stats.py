"""Network measures: degree, connectedness, and how dissenters' ties compare (social exile)."""

from __future__ import annotations

import numpy as np

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, param
from scoresim.core.registry import register
from scoresim.modules.common import living_adults
from scoresim.society.gather import degree_sums, largest_component, tie_correlation


class NetworkStatsParams(Params):
    """Parameters of the network measures."""

    every: int = param(
        1,
        "compute degree measures every this many months",
        ge=1,
        le=1200,
        why="monthly; larger for huge societies",
    )
    structure_every: int = param(
        12,
        "compute components and assortativity every this many months",
        ge=1,
        le=1200,
        why="yearly: a pass over all ties costs 1 s a month at 10M citizens",
    )


@register
class NetworkStats(Module):
    """Degree, isolation, the giant component, and dissenters' place in the network."""

    name = "network_stats"
    phase = Phase.MEASURES
    Params = NetworkStatsParams
    pars: NetworkStatsParams
    # Only read when the scoring module runs: a score everyone shares has no correlation.
    reads = (Read("score", 0),)
    measures = (
        Measure(
            "mean_degree",
            "mean number of ties of living adults",
            label="mean ties per citizen",
            unit="ties",
        ),
        Measure(
            "isolated_share",
            "share of living adults with no tie",
            label="citizens without ties",
            kind="share",
            better="lower",
        ),
        Measure(
            "dissenter_degree_ratio",
            "dissenters' mean degree over others' mean degree (1 = equal)",
            label="dissenters' friends relative to others' (1 = equal)",
            kind="ratio",
            better="higher",
            headline=True,
        ),
        Measure(
            "dissenter_mean_degree",
            "mean number of ties of living adult dissenters",
            label="dissenters' mean ties",
            unit="ties",
        ),
        Measure(
            "others_mean_degree",
            "mean number of ties of the other living adults",
            label="others' mean ties",
            unit="ties",
        ),
        Measure(
            "fragmentation",
            "share of the living outside the giant component",
            label="citizens outside the giant component",
            kind="share",
            better="lower",
        ),
        Measure(
            "dissenters_outside_giant",
            "share of living dissenters outside the giant component",
            label="dissenters outside the giant component",
            kind="share",
            better="lower",
        ),
        Measure(
            "score_assortativity",
            "correlation of scores across ties (if scored), yearly",
            label="score correlation across ties",
        ),
    )

    def step(self, ctx: Context) -> None:
        """Compute the measures on the network as it stands at the end of the step."""
        if (ctx.t + 1) % self.pars.every:
            return
        people = ctx.people
        alive = people["alive"] == 1
        # Degrees of adults: newborns join with one tie and make friends over their first
        # months, which would dent every year's last month.
        adult = living_adults(people)
        if not adult.any():
            return
        diss = adult & (people["dissenter"] == 1)
        count, ties, isolated, n_diss, diss_ties = degree_sums(ctx.network.indptr, adult, diss)
        n_other, other_ties = count - n_diss, ties - diss_ties
        ctx.record("mean_degree", ties / count)
        ctx.record("isolated_share", isolated / count)
        if n_diss:
            ctx.record("dissenter_mean_degree", diss_ties / n_diss)
        if n_other:
            ctx.record("others_mean_degree", other_ties / n_other)
        if n_diss and n_other and other_ties > 0:
            ctx.record("dissenter_degree_ratio", (diss_ties / n_diss) / (other_ties / n_other))
        if (ctx.t + 1) % self.pars.structure_every:
            return
        giant = largest_component(ctx.network, alive)
        ctx.record("fragmentation", 1.0 - np.count_nonzero(giant) / np.count_nonzero(alive))
        if diss.any():
            ctx.record("dissenters_outside_giant", float(np.mean(~giant[diss])))
        if "score" in people:
            ctx.record(
                "score_assortativity", tie_correlation(ctx.network, ctx.read("score"), alive)
            )
