"""Expression and self-censorship: who voices dissent, and who falls silent.

A would-be dissenter's chance to speak in a month has the log-odds

    logit(p0) + peer * (s - s_ref) - brag_pressure * b
        - fear * (1.5 - independence) * cost * (1 + alarm * l)

where ``p0`` is the unscored chance (rising with independence), ``s`` the share of friends
seen speaking last month (weighted by their reach), ``b`` the share of friends who posted
their score last month, ``l`` the share of friends on the public blacklist (seeing friends
punished raises the perceived risk: the spiral of silence), and ``cost`` the expected score
loss in units of 50 points plus the perks at stake, and for one post from the blacklist what
listing would cost (perks and barred income), in units of $1,000 a year. Without a score
the cost is zero and only conviction and peers matter. Any adult may also share accurate
embarrassing news, weighed the same way.
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
from scoresim.core.rng import uniform_at
from scoresim.modules.common import KIND_HISTORY, KIND_NEWS, KIND_NONE, KIND_OPINION, living_adults
from scoresim.society.csr_kernels import Csr
from scoresim.society.prefetch import PREFETCH_AHEAD, prefetch

POINTS_UNIT = 50.0
VALUE_UNIT = 1000.0
#: Added to a listed citizen's seen weight (which is at most 1) to carry the listing along.
LISTED_MARK = 2.0


class ExpressionConstants(NamedTuple):
    """What :func:`_express` takes of the parameters (:meth:`ExpressionParams.constants`)."""

    base_rate: float
    independence_weight: float
    peer_weight: float
    peer_reference: float
    fear: float
    news_rate: float
    history_share: float
    news_share: float
    alarm: float
    brag_pressure: float


class ExpressionInputs(NamedTuple):
    """What each citizen's decision to speak depends on (read only).

    Attributes:
        seen_weight: What friends saw of each citizen's posts last month (reach if posted),
            plus LISTED_MARK if the citizen is on a public blacklist: one gather per friend
            reads both.
        adult: Whether a living adult.
        dissenter: 1 for would-be dissenters.
        independence: Independence in [0, 1].
        speech_cost: Points one more opinion post would cost.
        perk_at_stake: Yearly value of perks one more post would lose, USD, plus what being
            listed would cost (perks and barred income) if one more post would list them.
        brag_exposure: Share of one's friends who posted their score last month.
    """

    seen_weight: NDArray[np.float32]
    adult: NDArray[np.bool_]
    dissenter: NDArray[np.uint8]
    independence: NDArray[Any]
    speech_cost: NDArray[Any]
    perk_at_stake: NDArray[Any]
    brag_exposure: NDArray[Any]


class ExpressionDraws(NamedTuple):
    """Starts of this month's blocks of draws (``Stream.base``), one per decision."""

    speak: np.uint64
    news: np.uint64
    kind: np.uint64


class ExpressionOutputs(NamedTuple):
    """The module's states :func:`_express` writes."""

    violation_kind: NDArray[np.uint8]
    expressed: NDArray[np.uint8]
    expressions: NDArray[np.uint32]
    self_censored: NDArray[np.uint32]


class ExpressionParams(Params):
    """Parameters of expression and self-censorship."""

    base_rate: float = param(
        0.3,
        "monthly chance a dissenter of average independence speaks, unscored",
        ge=0,
        le=1,
        plausible=(0.1, 0.5),
        why="assumption; Pew 2014: 42% of social-media users would post on Snowden",
    )
    independence_weight: float = param(
        1.0,
        "how much more the independent speak (0: not at all)",
        ge=0,
        le=10,
        plausible=(0.0, 2.0),
        why="assumption",
    )
    peer_weight: float = param(
        4.0,
        "log-odds gained per unit share of friends seen speaking",
        ge=0,
        le=50,
        plausible=(0.0, 10.0),
        why="assumption: the spiral of silence",
    )
    peer_reference: float = param(
        0.05,
        "share of friends speaking at which peers neither embolden nor deter",
        ge=0,
        le=1,
        why="about the unscored share (15% dissenters x 30%)",
    )
    fear: float = param(
        1.5,
        "log-odds lost per unit of cost (50 points or $1,000 a year of perks)",
        ge=0,
        le=50,
        plausible=(0.5, 4.0),
        why="assumption; Penney: about 20% fewer privacy-sensitive Wikipedia views",
    )
    news_rate: float = param(
        0.01,
        "monthly chance any adult shares accurate embarrassing news, unscored",
        ge=0,
        le=1,
        plausible=(0.0, 0.05),
        why="the articles' Shanghai crash example",
    )
    history_share: float = param(
        0.25,
        "share of dissenters' posts describing another history",
        ge=0,
        le=1,
        why="assumption",
    )
    news_share: float = param(
        0.15,
        "share of dissenters' posts that are embarrassing news",
        ge=0,
        le=1,
        why="assumption",
    )
    alarm: float = param(
        3.0,
        "rise in fear per unit share of one's friends on the public blacklist "
        "(fear x (1 + alarm x share))",
        ge=0,
        le=100,
        plausible=(0.0, 10.0),
        why="assumption: perceived risk follows what one sees happen to friends "
        "(Noelle-Neumann 1974, spiral of silence)",
    )
    brag_pressure: float = param(
        1.0,
        "log-odds a dissenter loses per unit share of friends who posted their score",
        ge=0,
        le=50,
        plausible=(0.0, 4.0),
        why="assumption: the articles' bragging as a public display of conformity",
    )

    def constants(self) -> ExpressionConstants:
        """The parameters as :func:`_express` takes them."""
        return ExpressionConstants(
            base_rate=float(self.base_rate),
            independence_weight=float(self.independence_weight),
            peer_weight=float(self.peer_weight),
            peer_reference=float(self.peer_reference),
            fear=float(self.fear),
            news_rate=float(self.news_rate),
            history_share=float(self.history_share),
            news_share=float(self.news_share),
            alarm=float(self.alarm),
            brag_pressure=float(self.brag_pressure),
        )


@register
class Expression(Module):
    """Dissenters weigh conviction and peers against the score loss and perks at stake."""

    name = "expression"
    phase = Phase.EXPRESSION
    Params = ExpressionParams
    pars: ExpressionParams
    states = (
        State("expressed", np.uint8, 0, "1 if the citizen posted dissent or news this month"),
        State("expressions", np.uint32, 0, "months in which the citizen posted"),
        State("violation_kind", np.uint8, 0, "0 none, 1 opinion, 2 history, 3 news"),
        State("self_censored", np.uint32, 0, "months a dissenter kept silent out of fear"),
    )
    reads = (
        Read("reach", 1),  # without a blacklist, every post reaches all friends
        Read("speech_cost", 0),  # without a score, speaking costs no points
        Read("perk_at_stake", 0),  # nor perks
        Read("listed_publicly", 0),  # without a blacklist, no friend is seen punished
        Read("brag_exposure", 0),  # without bragging, no friend shows off a score
        Read("listing_at_stake", 0),  # without a blacklist, no post can cost a listing
    )
    streams = ("speak", "news", "kind")
    measures = (
        Measure(
            "expression_rate",
            "share of living adult would-be dissenters who spoke this month",
            label="dissenters who spoke up in the last month",
            kind="share",
            better="higher",
            headline=True,
        ),
        Measure(
            "self_censorship_rate",
            "share of living adult would-be dissenters silenced by the score this month",
            label="dissenters silenced by the score in the last month",
            kind="share",
            better="lower",
            headline=True,
        ),
        Measure(
            "news_rate",
            "share of living adult conformers who shared embarrassing news this month",
            label="conformers who shared embarrassing news",
            kind="share",
            better="higher",
        ),
    )

    def step(self, ctx: Context) -> None:
        """Draw who speaks, who shares news, and who keeps silent out of fear."""
        p, people, t = self.pars, ctx.people, ctx.t
        # What friends see of last month's posts, in one new array (one gather per friend),
        # made before the kernel overwrites ``expressed``.
        seen_weight = (people["expressed"] * ctx.read("reach")).astype(np.float32)
        seen_weight += np.float32(LISTED_MARK) * ctx.read("listed_publicly")
        net = ctx.network
        csr = Csr(net.indptr, net.indices)
        x = ExpressionInputs(
            seen_weight=seen_weight,
            adult=living_adults(people),
            dissenter=people["dissenter"],
            independence=people["independence"],
            speech_cost=ctx.read("speech_cost"),
            perk_at_stake=ctx.read("perk_at_stake") + ctx.read("listing_at_stake"),
            brag_exposure=ctx.read("brag_exposure"),
        )
        draws = ExpressionDraws(
            speak=ctx.stream("speak").base(t),
            news=ctx.stream("news").base(t),
            kind=ctx.stream("kind").base(t),
        )
        out = ExpressionOutputs(
            violation_kind=people["violation_kind"],
            expressed=people["expressed"],
            expressions=people["expressions"],
            self_censored=people["self_censored"],
        )
        counts = _express(ctx.n, csr, x, p.constants(), draws, out)
        n_want, n_spoke, n_silenced, n_conf, n_news = counts
        ctx.record("expression_rate", n_spoke / n_want if n_want else np.nan)
        ctx.record("self_censorship_rate", n_silenced / n_want if n_want else np.nan)
        ctx.record("news_rate", n_news / n_conf if n_conf else np.nan)


@njit(cache=True, inline="always")
def _logit(x: float) -> float:
    return float(np.log(x / (1.0 - x)))


@njit(cache=True, inline="always")
def _expit(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


@twin
def _express(
    csr: Csr,
    x: ExpressionInputs,
    c: ExpressionConstants,
    draws: ExpressionDraws,
    out: ExpressionOutputs,
) -> tuple[int, int, int, int, int]:
    """Every citizen's decision this month, in one parallel pass (formula in the module doc).

    Draws are ``uniform_at`` of the citizen's id in each decision's block, so a citizen's
    draw does not depend on anyone else's and common random numbers hold. Returns the
    counts of would-be dissenters, those who spoke, those silenced, conformers, and
    conformers who shared news.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    indptr = csr.indptr
    indices = csr.indices
    seen_weight = x.seen_weight
    adult = x.adult
    dissenter = x.dissenter
    independence = x.independence
    speech_cost = x.speech_cost
    perk_at_stake = x.perk_at_stake
    brag_exposure = x.brag_exposure
    alarm = c.alarm
    brag_pressure = c.brag_pressure
    base_rate = c.base_rate
    ind_weight = c.independence_weight
    peer = c.peer_weight
    ref = c.peer_reference
    fear = c.fear
    news_rate = c.news_rate
    history_share = c.history_share
    news_share = c.news_share
    base_speak = draws.speak
    base_news = draws.news
    base_kind = draws.kind
    kind_out = out.violation_kind
    expressed_out = out.expressed
    expressions = out.expressions
    self_censored = out.self_censored
    logit_news = _logit(max(news_rate, 1e-6))
    n_want = n_spoke = n_silenced = n_conf = n_news = 0
    last = indices.size - 1
    for i in prange(seen_weight.size):
        kind_out[i] = KIND_NONE
        expressed_out[i] = 0
        if not adult[i]:
            continue
        seen = 0.0
        punished = 0.0
        for q in range(indptr[i], indptr[i + 1]):
            prefetch(seen_weight, indices[min(q + PREFETCH_AHEAD, last)])
            w = seen_weight[indices[q]]
            if w >= LISTED_MARK:
                punished += 1.0
                w -= LISTED_MARK
            seen += w
        deg = indptr[i + 1] - indptr[i]
        share = seen / deg if deg > 0 else 0.0
        risk = 1.0 + alarm * (punished / deg if deg > 0 else 0.0)
        cost = speech_cost[i] / POINTS_UNIT + perk_at_stake[i] / VALUE_UNIT
        deterrence = fear * (1.5 - independence[i]) * cost * risk
        if dissenter[i] == 1:
            n_want += 1
            p0 = base_rate * (1.0 + ind_weight * (independence[i] - 0.5))
            p0 = min(max(p0, 1e-6), 1.0 - 1e-6)
            social = _logit(p0) + peer * (share - ref) - brag_pressure * brag_exposure[i]
            u = uniform_at(base_speak, i)
            if u < _expit(social - deterrence):
                n_spoke += 1
                what = uniform_at(base_kind, i)
                k = KIND_OPINION
                if what >= 1.0 - news_share:
                    k = KIND_NEWS
                elif what < history_share:
                    k = KIND_HISTORY
                kind_out[i] = k
                expressed_out[i] = 1
                expressions[i] += 1
            elif u < _expit(social):
                n_silenced += 1
                self_censored[i] += 1
        else:
            n_conf += 1
            if uniform_at(base_news, i) < _expit(logit_news - deterrence):
                n_news += 1
                kind_out[i] = KIND_NEWS
                expressed_out[i] = 1
                expressions[i] += 1
    return n_want, n_spoke, n_silenced, n_conf, n_news
