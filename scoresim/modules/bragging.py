"""High scorers post their score as a status signal."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at
from scoresim.modules.common import flag, living_adults


class BraggingConstants(NamedTuple):
    """What :func:`_brag` takes of the parameters (:meth:`BraggingParams.constants`).

    Attributes:
        rate: Monthly chance at the top of the range, for average independence.
        threshold: Score from which citizens may brag.
        span: Points from the threshold to the top of the range (at least 1).
    """

    rate: float
    threshold: float
    span: float


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

    def constants(self) -> BraggingConstants:
        """The parameters as :func:`_brag` takes them."""
        return BraggingConstants(
            rate=float(self.rate),
            threshold=float(self.threshold),
            span=float(max(self.score_max - self.threshold, 1.0)),
        )


@register
class Bragging(Module):
    """Enrolled adults above the threshold post their score, more so the higher it is.

    Friends see the posts (``brag_exposure``), which presses them to conform and to raise
    their own score (the expression and purchases modules read it).
    """

    name = "bragging"
    phase = Phase.OUTCOMES
    policy = True
    Params = BraggingParams
    pars: BraggingParams
    states = (
        State("brags", np.uint16, 0, "months in which the citizen posted their score"),
        State(
            "brag_exposure",
            np.float32,
            0.0,
            "share of one's friends who posted their score this month",
        ),
    )
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
        Measure(
            "braggers_share",
            "share of living enrolled adults who have ever posted their score",
            label="the scored who ever posted their score",
            kind="share",
        ),
    )

    def step(self, ctx: Context) -> None:
        """Draw who brags."""
        p, people = self.pars, ctx.people
        able = living_adults(people) & flag(ctx, "enrolled")
        bragged = np.zeros(ctx.n, dtype=np.uint8)
        count = _brag(
            ctx.n,
            able,
            ctx.read("score"),
            people["independence"],
            people["brags"],
            bragged,
            ctx.stream("brag").base(ctx.t),
            p.constants(),
        )
        # Friends see the posts: the pressure the expression and purchases modules feel.
        # Braggers are few: only their friends' exposure is not 0.
        exposure = people["brag_exposure"]
        exposure[...] = 0.0
        _, friends = ctx.network.ties_of(np.flatnonzero(bragged))
        if friends.size:
            who, seen = np.unique(friends, return_counts=True)
            exposure[who] = seen / ctx.network.degree(who)
        ctx.record("bragging_posts", float(count))
        scored = int(np.count_nonzero(able))
        ever = int(np.count_nonzero(able & (people["brags"] > 0)))
        ctx.record("braggers_share", ever / scored if scored else np.nan)


@twin
def _brag(
    able: NDArray[np.bool_],
    score: NDArray[Any],
    independence: NDArray[Any],
    brags: NDArray[np.uint16],
    bragged: NDArray[np.uint8],
    base: np.uint64,
    c: BraggingConstants,
) -> int:
    """Who posts their score this month (draws by id, ``uniform_at``); returns how many.

    The chance grows with the height of the score above the threshold; the independent care
    less for the score as a status.
    """
    rate = c.rate
    threshold = c.threshold
    span = c.span
    count = 0
    for i in prange(score.size):
        if able[i] and score[i] >= threshold:
            height = min(max((score[i] - threshold) / span, 0.0), 1.0)
            if uniform_at(base, i) < rate * height * (1.5 - independence[i]):
                brags[i] += 1
                bragged[i] = 1
                count += 1
    return count
