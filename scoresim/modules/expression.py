"""Expression: would-be dissenters decide each month whether to voice their views."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from scoresim.engine.module import Measure, Module, Params, Phase, State
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation


class ExpressionParams(Params):
    """Parameters of expression."""

    base_rate: float = Field(
        0.3, ge=0, le=1, description="monthly chance a dissenter of average independence speaks"
    )
    independence_weight: float = Field(
        1.0, ge=0, le=10, description="how much more the independent speak (0: not at all)"
    )


@register
class Expression(Module):
    """Dissenters speak with a chance rising with their independence."""

    name = "expression"
    phase = Phase.EXPRESSION
    Params = ExpressionParams
    pars: ExpressionParams
    states = (
        State("expressed", np.uint8, 0, "1 if the citizen voiced dissent this month"),
        State("expressions", np.uint32, 0, "months in which the citizen voiced dissent"),
    )
    measures = (
        Measure("expression_rate", "share of living would-be dissenters who spoke this month"),
    )

    def propensity(self, sim: Simulation) -> NDArray[np.float64]:
        """Each citizen's chance to speak this month if they hold dissenting views."""
        p = self.pars
        ind = sim.people["independence"]
        scale = 1.0 + p.independence_weight * (ind - 0.5)
        return np.clip(p.base_rate * scale, 0.0, 1.0).astype(np.float64)

    def step(self, sim: Simulation) -> None:
        """Draw who speaks."""
        wants = (sim.people["dissenter"] == 1) & (sim.people["alive"] == 1)
        spoke = wants & sim.stream(self, "speak").bernoulli(sim.t, self.propensity(sim), sim.n)
        sim.people["expressed"] = spoke
        sim.people["expressions"][spoke] += 1
        n_want = int(np.count_nonzero(wants))
        sim.record("expression_rate", np.count_nonzero(spoke) / n_want if n_want else np.nan)
