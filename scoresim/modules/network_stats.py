"""Network measures: degree, and how dissenters' ties compare with everyone else's."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from scoresim.engine.module import Measure, Module, Params, Phase
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation


class NetworkStatsParams(Params):
    """Parameters of the network measures."""

    every: int = Field(1, ge=1, le=1200, description="compute every this many months")


@register
class NetworkStats(Module):
    """Mean degree, isolation, and dissenters' degree relative to others (social exile)."""

    name = "network_stats"
    phase = Phase.MEASURES
    Params = NetworkStatsParams
    pars: NetworkStatsParams
    measures = (
        Measure("mean_degree", "mean number of ties of the living"),
        Measure("isolated_share", "share of the living with no tie"),
        Measure("dissenter_degree_ratio", "dissenters' mean degree over others' mean degree"),
    )

    def step(self, sim: Simulation) -> None:
        """Compute the measures on the network as it stands at the end of the step."""
        if (sim.t + 1) % self.pars.every:
            return
        alive = sim.people["alive"].astype(bool)
        deg = sim.network.degree()
        diss = alive & (sim.people["dissenter"] == 1)
        other = alive & ~diss
        live_deg = deg[alive]
        sim.record("mean_degree", float(live_deg.mean()) if live_deg.size else np.nan)
        sim.record("isolated_share", float(np.mean(live_deg == 0)) if live_deg.size else np.nan)
        if diss.any() and other.any() and deg[other].mean() > 0:
            sim.record("dissenter_degree_ratio", float(deg[diss].mean() / deg[other].mean()))
