"""High scorers post their score as a status signal."""

from __future__ import annotations

import numpy as np

from scoresim.engine.module import Measure, Module, Params, Phase, State, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.modules.common import flag, living_adults


class BraggingParams(Params):
    """Parameters of bragging."""

    threshold: float = param(
        700,
        "score from which citizens may brag",
        ge=0,
        le=2000,
        plausible=(650, 800),
        why="the 'excellent' band starts at 700",
    )
    rate: float = param(
        0.02,
        "monthly chance at the top of the range, for average independence",
        ge=0,
        le=1,
        plausible=(0.005, 0.05),
        why="the articles: almost 100,000 posted their score (of about 450M accounts)",
    )
    score_max: float = param(
        950, "top of the score range", ge=1, le=2000, why="the articles: 350-950"
    )


@register
class Bragging(Module):
    """Enrolled adults above the threshold post their score, more so the higher it is."""

    name = "bragging"
    phase = Phase.OUTCOMES
    Params = BraggingParams
    pars: BraggingParams
    states = (State("brags", np.uint16, 0, "months in which the citizen posted their score"),)
    measures = (Measure("bragging_posts", "citizens who posted their score this month"),)

    def step(self, sim: Simulation) -> None:
        """Draw who brags."""
        p, people = self.pars, sim.people
        able = living_adults(people) & flag(people, "enrolled", True)
        height = np.clip(
            (people["score"] - p.threshold) / max(p.score_max - p.threshold, 1.0), 0.0, 1.0
        )
        # The independent care less for the score as a status.
        chance = p.rate * height * (1.5 - people["independence"])
        brag = (
            able
            & (people["score"] >= p.threshold)
            & sim.stream(self, "brag").bernoulli(sim.t, chance, sim.n)
        )
        people["brags"][brag] += 1
        sim.record("bragging_posts", float(np.count_nonzero(brag)))
