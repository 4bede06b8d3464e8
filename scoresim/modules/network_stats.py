"""Network measures: degree, connectedness, and how dissenters' ties compare (social exile)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoresim.engine.module import Measure, Module, Params, Phase, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.society.gather import component_labels, tie_correlation
from scoresim.society.network import Network


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


def giant_component(net: Network, alive: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Mask of the living citizens in the largest connected component."""
    labels = component_labels(net)
    sizes = np.bincount(labels[alive], minlength=net.n)
    return np.asarray(alive & (labels == int(sizes.argmax())))


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
        deg = sim.network.degree()
        diss = alive & (people["dissenter"] == 1)
        other = alive & ~diss
        live_deg = deg[alive]
        sim.record("mean_degree", float(live_deg.mean()))
        sim.record("isolated_share", float(np.mean(live_deg == 0)))
        if diss.any():
            sim.record("dissenter_mean_degree", float(deg[diss].mean()))
        if other.any():
            sim.record("others_mean_degree", float(deg[other].mean()))
        if diss.any() and other.any() and deg[other].mean() > 0:
            sim.record("dissenter_degree_ratio", float(deg[diss].mean() / deg[other].mean()))
        if (sim.t + 1) % self.pars.structure_every:
            return
        giant = giant_component(sim.network, alive)
        sim.record("fragmentation", 1.0 - np.count_nonzero(giant) / np.count_nonzero(alive))
        if diss.any():
            sim.record("dissenters_outside_giant", float(np.mean(~giant[diss])))
        if "score" in people:
            sim.record("score_assortativity", tie_correlation(sim.network, people["score"], alive))
