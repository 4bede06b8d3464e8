"""Expression and self-censorship: who voices dissent, and who falls silent.

A would-be dissenter's chance to speak in a month has the log-odds

    logit(p0) + peer * (s - s_ref) - fear * (1.5 - independence) * cost

where ``p0`` is the unscored chance (rising with independence), ``s`` the share of friends
seen speaking last month (weighted by their reach), and ``cost`` the expected score loss in
units of 50 points plus the perks at stake in units of $1,000 a year. Without a score the cost
is zero and only conviction and peers matter. Any adult may also share accurate embarrassing
news, weighed the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at
from scoresim.modules.common import living_adults
from scoresim.modules.scoring import KIND_HISTORY, KIND_NEWS, KIND_NONE, KIND_OPINION
from scoresim.society.prefetch import PREFETCH_AHEAD, prefetch

POINTS_UNIT = 50.0
VALUE_UNIT = 1000.0


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
        counts = _express(
            ctx.network.indptr,
            ctx.network.indices,
            seen_weight,
            living_adults(people),
            people["dissenter"],
            people["independence"],
            ctx.read("speech_cost"),
            ctx.read("perk_at_stake"),
            np.array(
                [
                    p.base_rate,
                    p.independence_weight,
                    p.peer_weight,
                    p.peer_reference,
                    p.fear,
                    p.news_rate,
                    p.history_share,
                    p.news_share,
                ]
            ),
            ctx.stream("speak").base(t),
            ctx.stream("news").base(t),
            ctx.stream("kind").base(t),
            people["violation_kind"],
            people["expressed"],
            people["expressions"],
            people["self_censored"],
        )
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


@njit(cache=True, parallel=True)
def _express(
    indptr: Any,
    indices: Any,
    seen_weight: Any,
    adult: Any,
    dissenter: Any,
    independence: Any,
    speech_cost: Any,
    perk_at_stake: Any,
    pars: Any,
    base_speak: Any,
    base_news: Any,
    base_kind: Any,
    kind_out: Any,
    expressed_out: Any,
    expressions: Any,
    self_censored: Any,
) -> Any:
    """Every citizen's decision this month, in one parallel pass (formula in the module doc).

    Draws are ``uniform_at`` of the citizen's id in each decision's block, so a citizen's
    draw does not depend on anyone else's and common random numbers hold.
    """
    base_rate, ind_weight, peer, ref = pars[0], pars[1], pars[2], pars[3]
    fear, news_rate, history_share, news_share = pars[4], pars[5], pars[6], pars[7]
    logit_news = _logit(max(news_rate, 1e-6))
    n_want = n_spoke = n_silenced = n_conf = n_news = 0
    last = indices.size - 1
    for i in prange(seen_weight.size):
        kind_out[i] = KIND_NONE
        expressed_out[i] = 0
        if not adult[i]:
            continue
        seen = 0.0
        for q in range(indptr[i], indptr[i + 1]):
            prefetch(seen_weight, indices[min(q + PREFETCH_AHEAD, last)])
            j = indices[q]
            seen += seen_weight[j]
        deg = indptr[i + 1] - indptr[i]
        share = seen / deg if deg > 0 else 0.0
        cost = speech_cost[i] / POINTS_UNIT + perk_at_stake[i] / VALUE_UNIT
        deterrence = fear * (1.5 - independence[i]) * cost
        if dissenter[i] == 1:
            n_want += 1
            p0 = base_rate * (1.0 + ind_weight * (independence[i] - 0.5))
            p0 = min(max(p0, 1e-6), 1.0 - 1e-6)
            social = _logit(p0) + peer * (share - ref)
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
