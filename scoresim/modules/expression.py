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

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit

from scoresim.engine.module import Measure, Module, Params, Phase, State, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.modules.common import living_adults
from scoresim.modules.scoring import KIND_HISTORY, KIND_NEWS, KIND_NONE, KIND_OPINION
from scoresim.society.gather import neighbour_sum

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
    measures = (
        Measure("expression_rate", "share of living adult would-be dissenters who spoke"),
        Measure("self_censorship_rate", "share of would-be dissenters silenced by the score"),
        Measure("news_rate", "share of living adult conformers who shared embarrassing news"),
    )

    def propensity(self, sim: Simulation) -> NDArray[np.float64]:
        """Each citizen's unscored chance to speak this month if they hold dissenting views."""
        p = self.pars
        scale = 1.0 + p.independence_weight * (sim.people["independence"] - 0.5)
        return np.asarray(np.clip(p.base_rate * scale, 1e-6, 1 - 1e-6), dtype=np.float64)

    def step(self, sim: Simulation) -> None:
        """Draw who speaks, who shares news, and who keeps silent out of fear."""
        p, people, t, n = self.pars, sim.people, sim.t, sim.n
        adult = living_adults(people)
        reach = people.get("reach", np.ones(n, dtype=np.float32))
        seen = neighbour_sum(sim.network, people["expressed"] * reach)
        share = seen / np.maximum(sim.network.degree(), 1)
        cost = (
            people.get("speech_cost", 0.0) / POINTS_UNIT
            + people.get("perk_at_stake", 0.0) / VALUE_UNIT
        )
        deterrence = p.fear * (1.5 - people["independence"]) * cost
        social = p.peer_weight * (share - p.peer_reference)

        wants = adult & (people["dissenter"] == 1)
        u = sim.stream(self, "speak").uniform(t, n)
        free = expit(logit(self.propensity(sim)) + social)
        scored = expit(logit(self.propensity(sim)) + social - deterrence)
        spoke = wants & (u < scored)
        silenced = wants & (u < free) & ~spoke

        conformer = adult & (people["dissenter"] == 0)
        p_news = expit(logit(max(p.news_rate, 1e-6)) - deterrence)
        news = conformer & (sim.stream(self, "news").uniform(t, n) < p_news)

        what = sim.stream(self, "kind").uniform(t, n)
        kind = np.full(n, KIND_NONE, dtype=np.uint8)
        kind[spoke] = KIND_OPINION
        kind[spoke & (what < p.history_share)] = KIND_HISTORY
        kind[spoke & (what >= 1 - p.news_share)] = KIND_NEWS
        kind[news] = KIND_NEWS
        people["violation_kind"] = kind
        posted = spoke | news
        people["expressed"] = posted
        people["expressions"][posted] += 1
        people["self_censored"][silenced] += 1
        n_want = int(np.count_nonzero(wants))
        n_conf = int(np.count_nonzero(conformer))
        sim.record("expression_rate", np.count_nonzero(spoke) / n_want if n_want else np.nan)
        sim.record(
            "self_censorship_rate", np.count_nonzero(silenced) / n_want if n_want else np.nan
        )
        sim.record("news_rate", np.count_nonzero(news) / n_conf if n_conf else np.nan)
