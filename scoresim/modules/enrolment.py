"""Enrolment: voluntary while perks outweigh a privacy cost, then mandatory for everyone."""

from __future__ import annotations

import numpy as np

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.modules.common import ADULT_AGE, living_adults


class EnrolmentParams(Params):
    """Parameters of enrolment."""

    mandate_step: int = param(
        24,
        "month from which enrolment is mandatory (0: from the start)",
        ge=0,
        le=100_000,
        plausible=(0, 60),
        why="the articles: voluntary now, mandatory from 2020",
    )
    initial_share: float = param(
        0.1,
        "share enrolled at the start",
        ge=0,
        le=1,
        plausible=(0.0, 0.3),
        why="early adopters of the app",
    )
    privacy_cost: float = param(
        300,
        "median yearly privacy cost of enrolling, USD, for average independence",
        ge=0,
        le=1e6,
        plausible=(50, 1000),
        why="assumption",
    )
    enrol_rate: float = param(
        0.1,
        "monthly chance of enrolling once perks outweigh the privacy cost",
        ge=0,
        le=1,
        plausible=(0.02, 0.3),
        why="assumption: people take months to act",
    )


@register
class Enrolment(Module):
    """Adults enrol when the perks their score would unlock outweigh their privacy cost."""

    name = "enrolment"
    phase = Phase.SCORING
    policy = True
    order = 50  # before the score, so this month's enrolment counts
    Params = EnrolmentParams
    pars: EnrolmentParams
    states = (
        State("enrolled", np.uint8, 0, "1 once enrolled in the score"),
        State("privacy_cost", np.float32, 0, "yearly privacy cost of enrolling, USD"),
    )
    reads = (Read("perk_offer", 0),)  # without perks, enrolling offers nothing
    streams = ("privacy_cost", "early", "enrol")
    measures = (
        Measure(
            "enrolled_share",
            "share of living adults enrolled",
            label="adults enrolled",
            kind="share",
        ),
    )

    def init(self, ctx: Context) -> None:
        """Draw privacy costs (higher for the independent) and the early adopters."""
        people, n = ctx.people, ctx.n
        cost = ctx.stream("privacy_cost").normal(0, n)
        # In place: at 100M citizens each float64 temporary is 800 MB.
        cost *= 0.5
        np.exp(cost, out=cost)
        cost *= self.pars.privacy_cost * (0.5 + people["independence"])
        people["privacy_cost"][...] = cost
        adult = people["age"] >= ADULT_AGE
        early = ctx.stream("early").uniform(0, n) < self.pars.initial_share
        people["enrolled"][...] = (early & adult) | (self.pars.mandate_step == 0)

    def step(self, ctx: Context) -> None:
        """Enrol the willing, or everyone once the mandate applies."""
        people = ctx.people
        adult = living_adults(people)
        enrolled = people["enrolled"]
        if ctx.t >= self.pars.mandate_step:
            enrolled[adult] = 1
        else:
            offer = ctx.read("perk_offer")
            willing = adult & (enrolled == 0) & (offer > people["privacy_cost"])
            joins = willing & ctx.stream("enrol").bernoulli(ctx.t, self.pars.enrol_rate, ctx.n)
            enrolled[joins] = 1
        ctx.record("enrolled_share", float(enrolled[adult].mean()) if adult.any() else np.nan)
