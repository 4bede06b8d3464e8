"""High scorers post their score as a status signal."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at
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
    reads = (Read("score"), Read("enrolled", 1))  # without enrolment, everyone has a score to show
    streams = ("brag",)
    measures = (
        Measure(
            "bragging_posts",
            "citizens who posted their score this month",
            label="citizens who posted their score in the last month",
            kind="count",
            unit="citizens",
            headline=True,
        ),
    )

    def step(self, ctx: Context) -> None:
        """Draw who brags."""
        p, people = self.pars, ctx.people
        able = living_adults(people) & flag(ctx, "enrolled")
        count = _brag(
            able,
            ctx.read("score"),
            people["independence"],
            people["brags"],
            ctx.stream("brag").base(ctx.t),
            np.array([p.rate, p.threshold, max(p.score_max - p.threshold, 1.0)]),
        )
        ctx.record("bragging_posts", float(count))


@njit(cache=True, parallel=True)
def _brag(able: Any, score: Any, independence: Any, brags: Any, base: Any, pars: Any) -> int:
    """Who posts their score this month (draws by id, ``uniform_at``); returns how many.

    The chance grows with the height of the score above the threshold; the independent care
    less for the score as a status.
    """
    rate, threshold, span = pars[0], pars[1], pars[2]
    count = 0
    for i in prange(score.size):
        if able[i] and score[i] >= threshold:
            height = min(max((score[i] - threshold) / span, 0.0), 1.0)
            if uniform_at(base, i) < rate * height * (1.5 - independence[i]):
                brags[i] += 1
                count += 1
    return count
