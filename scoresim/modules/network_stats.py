"""Network measures: degree, connectedness, and how dissenters' ties compare (social exile)."""

from __future__ import annotations

import numpy as np

from scoresim.engine.module import Measure, Module, Params, Phase, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
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
    measures = (
        Measure("mean_degree", "mean number of ties of the living"),
        Measure("isolated_share", "share of the living with no tie"),
        Measure("dissenter_degree_ratio", "dissenters' mean degree over others' mean degree"),
        Measure("dissenter_mean_degree", "mean number of ties of living dissenters"),
        Measure("others_mean_degree", "mean number of ties of the other living citizens"),
        Measure("fragmentation", "share of the living outside the giant component"),
        Measure("dissenters_outside_giant", "share of living dissenters outside the giant"),
        Measure("score_assortativity", "correlation of scores across ties (if scored)"),
    )

    def step(self, sim: Simulation) -> None:
        """Compute the measures on the network as it stands at the end of the step."""
        if (sim.t + 1) % self.pars.every:
            return
        people = sim.people
        alive = people["alive"] == 1
        if not alive.any():
            return
        diss = alive & (people["dissenter"] == 1)
        count, ties, isolated, n_diss, diss_ties = degree_sums(sim.network.indptr, alive, diss)
        n_other, other_ties = count - n_diss, ties - diss_ties
        sim.record("mean_degree", ties / count)
        sim.record("isolated_share", isolated / count)
        if n_diss:
            sim.record("dissenter_mean_degree", diss_ties / n_diss)
        if n_other:
            sim.record("others_mean_degree", other_ties / n_other)
        if n_diss and n_other and other_ties > 0:
            sim.record("dissenter_degree_ratio", (diss_ties / n_diss) / (other_ties / n_other))
        if (sim.t + 1) % self.pars.structure_every:
            return
        giant = largest_component(sim.network, alive)
        sim.record("fragmentation", 1.0 - np.count_nonzero(giant) / np.count_nonzero(alive))
        if diss.any():
            sim.record("dissenters_outside_giant", float(np.mean(~giant[diss])))
        if "score" in people:
            sim.record("score_assortativity", tie_correlation(sim.network, people["score"], alive))
