"""Private views that move: bounded-confidence influence, convictions, and falsified stances.

Each citizen holds a private ``opinion`` in [0, 1] (1: most critical of the regime) and shows
a public ``stance``. Every month each tie is, with chance ``discuss_rate``, the occasion of a
discussion; of the drawn ties, a random maximal set sharing no citizen is held at once (a
matching: the batch equals the same discussions held one after another). In a discussion
each side moves its opinion towards the other's *stance* by ``convergence`` times the gap,
if the gap is under ``confidence``: the bounded-confidence model of Deffuant, Neau, Amblard
and Weisbuch (2000). Each citizen is also pulled back towards their conviction (``anchor``) by
``anchoring x (0.5 + independence)`` a month, as in Friedkin and Johnsen (1990): the
independent hold their views more firmly. Citizens at or above ``dissent_threshold`` are the
dissenters (society state ``dissenter``) whose posts the expression module draws.

Preference falsification (Kuran 1995, *Private Truths, Public Lies*): a dissenter whom the
score silenced (expression's ``self_censored`` rose) shows, for ``reveal_months``, the
mildest stance that is safe, ``mask_margin`` below the threshold; one who speaks shows their
opinion again.
Influence runs on stances, so hidden dissent stops persuading anyone, and what the public
sees (``perceived_dissent``) falls below what people privately think.

With ``anchoring = 0`` and no score (nobody is silenced, so every stance is the opinion),
this is the textbook Deffuant-Weisbuch model on the social network.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import uniforms_at
from scoresim.modules.common import ADULT_AGE
from scoresim.society.csr_kernels import sample_ties

#: Opinion of a citizen not yet given one (born since the module last ran).
UNSET = -1.0


class OpinionsParams(Params):
    """Parameters of opinion dynamics (monthly)."""

    confidence: float = param(
        0.3,
        "largest gap between one's opinion and a friend's stance that still persuades",
        ge=0,
        le=1,
        plausible=(0.1, 0.5),
        why="Deffuant et al. 2000: above about 0.25 a mixed population tends to agree",
    )
    convergence: float = param(
        0.3,
        "share of the gap a discussion closes, for each side",
        ge=0,
        le=0.5,
        plausible=(0.1, 0.5),
        why="Deffuant et al. 2000 use 0.1-0.5; it sets speed, not outcome",
    )
    discuss_rate: float = param(
        0.02,
        "monthly chance that a tie is the occasion of a discussion",
        ge=0,
        le=1,
        plausible=(0.005, 0.1),
        why="assumption: with 20 friends, about one political discussion every 2-3 months",
    )
    anchoring: float = param(
        0.05,
        "monthly pull back towards one's conviction, at independence 0.5 (0: none)",
        ge=0,
        le=1,
        plausible=(0.0, 0.1),
        why="Friedkin and Johnsen 1990: people keep part of their initial view",
    )
    dissent_threshold: float = param(
        0.6,
        "opinion from which a citizen privately dissents",
        ge=0,
        le=1,
        why="a label: founders' opinions are drawn on either side of it",
    )
    founding_gap: float = param(
        0.2,
        "width of the band around the threshold that no newcomer's opinion starts in",
        ge=0,
        le=0.5,
        plausible=(0.0, 0.4),
        why="assumption: dissent is a view held, not a coin toss at the threshold",
    )
    mask_margin: float = param(
        0.05,
        "how far below the threshold a hidden dissenter's public stance sits",
        ge=0,
        le=1,
        plausible=(0.0, 0.3),
        why="Kuran 1995: one falsifies as little as keeps one safe",
    )
    reveal_months: int = param(
        6,
        "months a dissenter silenced by the score shows the mainstream stance",
        ge=0,
        le=600,
        plausible=(1, 24),
        why="assumption: a view unspoken for half a year is taken for assent",
    )


@register
class Opinions(Module):
    """Friends persuade each other within a confidence bound; hidden dissent persuades none."""

    name = "opinions"
    phase = Phase.SOCIAL_RESPONSE
    order = 50  # before tie cutting and friendship: they see this month's stances
    Params = OpinionsParams
    pars: OpinionsParams
    states = (
        State("opinion", np.float32, UNSET, "private view in [0, 1] (1: most critical)"),
        State("anchor", np.float32, UNSET, "conviction the opinion is pulled back to"),
        State("stance", np.float32, UNSET, "public view others see and are swayed by"),
        State("falsifying", np.uint16, 0, "months left showing the mainstream stance"),
        State("censored_seen", np.uint32, 0, "self_censored as last seen (to see it rise)"),
    )
    reads = (
        Read("self_censored", 0),  # without expression, nobody is silenced
        Read("expressed", 0),
    )
    streams = ("founding", "discuss")
    measures = (
        Measure(
            "dissenter_share",
            "share of living adults whose private opinion is at or above the threshold",
            label="adults privately dissenting",
            kind="share",
        ),
        Measure(
            "perceived_dissent",
            "share of living adults whose public stance is at or above the threshold",
            label="adults seen dissenting",
            kind="share",
        ),
        Measure(
            "falsifying_share",
            "share of living adult dissenters showing the mainstream stance",
            label="dissenters hiding their view",
            kind="share",
            better="lower",
            headline=True,
        ),
        Measure(
            "mean_opinion",
            "mean private opinion (0-1) of living adults",
            label="mean private opinion of adults",
            bounds=(0.0, 1.0),
        ),
        Measure(
            "discussions",
            "discussions held this month",
            label="discussions",
            kind="count",
            unit="discussions",
        ),
    )

    def init(self, ctx: Context) -> None:
        """Give the founders opinions on their side of the threshold (``dissenter``)."""
        self._newcomers(ctx)

    def step(self, ctx: Context) -> None:
        """Newcomers' opinions, falsified stances, discussions, convictions, dissent."""
        p, people, t = self.pars, ctx.people, ctx.t
        self._newcomers(ctx)
        opinion, stance = people["opinion"], people["stance"]
        _falsify(
            ctx.n,
            Falsifying(
                alive=people["alive"],
                censored=ctx.read("self_censored"),
                expressed=ctx.read("expressed"),
                seen=people["censored_seen"],
                falsifying=people["falsifying"],
                opinion=opinion,
                stance=stance,
            ),
            p.reveal_months,
            max(p.dissent_threshold - p.mask_margin, 0.0),
        )
        u, v = sample_ties(
            ctx.network.indptr,
            ctx.network.indices,
            ctx.stream("discuss").generator(t),
            p.discuss_rate,
        )
        # Drawn ties sharing a citizen: kept in a random order while both ends are free.
        order = ctx.stream("discuss").generator(t, 1).permutation(u.size)
        keep = _greedy_matching(u, v, order, ctx.n)
        u, v = u[keep], v[keep]
        alive = people["alive"][u].astype(bool) & people["alive"][v].astype(bool)
        u, v = u[alive], v[alive]
        discuss(opinion, stance, u, v, p.confidence, p.convergence)
        counts = _settle(
            ctx.n,
            Settling(
                alive=people["alive"],
                age=people["age"],
                independence=people["independence"],
                anchor=people["anchor"],
                falsifying=people["falsifying"],
                opinion=opinion,
                stance=stance,
                dissenter=people["dissenter"],
            ),
            float(p.anchoring),
            float(p.dissent_threshold),
        )
        self._measure(ctx, counts, float(u.size))

    def _newcomers(self, ctx: Context) -> None:
        """Citizens without an opinion (founders, newborns) get one from their dissent.

        Dissenters draw it uniformly above the threshold, others below; it is also their
        conviction and their stance. Draws are indexed by id.
        """
        people, theta = ctx.people, self.pars.dissent_threshold
        opinion = people["opinion"]
        new = np.flatnonzero(opinion < 0)
        if new.size == 0:
            return
        u = uniforms_at(ctx.stream("founding").base(ctx.t), new)
        dissent = people["dissenter"][new] == 1
        gap = self.pars.founding_gap / 2
        value = np.where(dissent, theta + gap + (1.0 - theta - gap) * u, (theta - gap) * u)
        opinion[new] = value
        people["anchor"][new] = value
        people["stance"][new] = value

    def _measure(
        self, ctx: Context, counts: tuple[int, int, int, float, int], discussions: float
    ) -> None:
        adults, dissent, seen, opinion_sum, hiding = counts
        ctx.record("discussions", discussions)
        if not adults:
            return
        ctx.record("dissenter_share", dissent / adults)
        ctx.record("perceived_dissent", seen / adults)
        ctx.record("mean_opinion", opinion_sum / adults)
        if dissent:
            ctx.record("falsifying_share", hiding / dissent)


class Falsifying(NamedTuple):
    """What :func:`_falsify` reads and writes of each citizen."""

    alive: NDArray[np.uint8]
    censored: NDArray[Any]
    expressed: NDArray[Any]
    seen: NDArray[np.uint32]
    falsifying: NDArray[np.uint16]
    opinion: NDArray[np.float32]
    stance: NDArray[np.float32]


class Settling(NamedTuple):
    """What :func:`_settle` reads and writes of each citizen."""

    alive: NDArray[np.uint8]
    age: NDArray[np.float32]
    independence: NDArray[np.float32]
    anchor: NDArray[np.float32]
    falsifying: NDArray[np.uint16]
    opinion: NDArray[np.float32]
    stance: NDArray[np.float32]
    dissenter: NDArray[np.uint8]


@twin
def _falsify(x: Falsifying, reveal: int, masked: float) -> None:
    """Dissenters silenced this month show the mildest safe stance; speakers show theirs.

    ``self_censored`` rising since last month means silenced this month (``seen`` keeps last
    month's count). The hidden keep hiding ``reveal`` months, counted down each month.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    alive = x.alive
    censored = x.censored
    expressed = x.expressed
    seen = x.seen
    falsifying = x.falsifying
    opinion = x.opinion
    stance = x.stance
    for i in prange(alive.size):
        if alive[i] == 1:
            left = falsifying[i]
            if left > 0:
                left -= 1
            if censored[i] > seen[i]:
                left = reveal
            seen[i] = censored[i]
            if expressed[i] == 1:
                left = 0
            falsifying[i] = left
            if left > 0:  # never more critical than the opinion it hides
                stance[i] = min(masked, opinion[i])


@twin
def _settle(x: Settling, anchoring: float, theta: float) -> tuple[int, int, int, float, int]:
    """Pull opinions back to convictions, show the unhidden ones, mark dissent; count adults.

    Returns the living adults, those dissenting, those seen dissenting, the sum of their
    opinions, and the dissenters hiding their view.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    alive = x.alive
    age = x.age
    independence = x.independence
    anchor = x.anchor
    falsifying = x.falsifying
    opinion = x.opinion
    stance = x.stance
    dissenter = x.dissenter
    adults = dissent = seen = hiding = 0
    # Opinions summed in fixed point (2**-24): an integer sum is the same in any order, so
    # the serial and parallel kernels report the same mean.
    opinion_sum = 0
    for i in prange(alive.size):
        # An if-block, not `continue`: numba's prange with reductions mishandled the skip
        # (the dead's flags were rewritten, differently in the serial and parallel kernels).
        if alive[i] == 1:
            pull = min(anchoring * (0.5 + independence[i]), 1.0)
            o = min(max(opinion[i] + pull * (anchor[i] - opinion[i]), 0.0), 1.0)
            opinion[i] = o
            stance[i] = o if falsifying[i] == 0 else min(stance[i], o)
            dissenter[i] = 1 if o >= theta else 0
            if age[i] >= ADULT_AGE:
                adults += 1
                opinion_sum += int(o * 16777216.0 + 0.5)
                if o >= theta:
                    dissent += 1
                    if falsifying[i] > 0:
                        hiding += 1
                if stance[i] >= theta:
                    seen += 1
    return adults, dissent, seen, opinion_sum / 16777216.0, hiding


def discuss(
    opinion: NDArray[np.float32],
    stance: NDArray[np.float32],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    confidence: float,
    convergence: float,
) -> None:
    """Hold the discussions u[k]-v[k] (no citizen in two): the Deffuant-Weisbuch update.

    Each side moves its opinion by ``convergence`` times the gap to the other's stance, if
    that gap is under ``confidence``; in place.
    """
    ou, ov = opinion[u].copy(), opinion[v].copy()
    gap_u, gap_v = stance[v] - ou, stance[u] - ov
    opinion[u] = ou + np.where(np.abs(gap_u) < confidence, convergence * gap_u, 0.0)
    opinion[v] = ov + np.where(np.abs(gap_v) < confidence, convergence * gap_v, 0.0)


@njit(cache=True)
def _greedy_matching(
    u: NDArray[np.int64], v: NDArray[np.int64], order: NDArray[np.int64], n: int
) -> NDArray[np.bool_]:
    """Keep ties in ``order`` whose two ends are not yet in a kept tie (a maximal matching)."""
    taken = np.zeros(n, dtype=np.bool_)
    keep = np.zeros(u.size, dtype=np.bool_)
    for k in order:
        a, b = u[k], v[k]
        if not taken[a] and not taken[b]:
            taken[a] = True
            taken[b] = True
            keep[k] = True
    return keep
