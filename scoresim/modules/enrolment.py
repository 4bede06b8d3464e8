"""Enrolment: rolled out region by region, voluntary where open, then mandatory for everyone.

As described in the articles: "While currently supposedly voluntary, the government has
announced that it will be mandatory by 2020." The system opens first in pilot regions (a share
of the communities), then in more communities each month until all are open, and becomes
mandatory for every adult at the mandate month. Where it is open, an adult enrols when the
perks their score would unlock outweigh their privacy cost; where it is not, nobody can.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.modules.common import living_adults


class EnrolmentParams(Params):
    """Parameters of enrolment and of its roll-out."""

    mandate_step: int = param(
        60,
        "month from which enrolment is mandatory everywhere (0: everyone from the start)",
        ge=0,
        le=100_000,
        plausible=(36, 72),
        why="the articles: voluntary now, mandatory by 2020; announced in 2014-2015",
    )
    pilot_share: float = param(
        0.15,
        "share of communities open to enrolment from the start (pilot regions)",
        ge=0,
        le=1,
        plausible=(0.04, 0.3),
        why="43 pilot cities named in 2015-2016 (11, then 32) of about 300 prefecture-level cities",
    )
    open_all_step: int = param(
        48,
        "month by which every community is open; more open each month until then (0: all open)",
        ge=0,
        le=100_000,
        plausible=(24, 60),
        why="assumption: the roll-out is complete a year before the mandate",
    )
    initial_share: float = param(
        0.1,
        "share of adults in pilot regions enrolled at the start",
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

    def open_share(self, t: int) -> float:
        """The share of communities open to enrolment in month ``t``.

        ``pilot_share`` at month 0, rising linearly to 1 at ``open_all_step``; 1 from the
        mandate month (the mandate applies everywhere) and throughout when either is 0.
        """
        if t >= self.mandate_step or t >= self.open_all_step:
            return 1.0
        return self.pilot_share + (1.0 - self.pilot_share) * t / self.open_all_step

    def open_count(self, t: int, communities: int) -> int:
        """How many of ``communities`` are open in month ``t``: the share, rounded half up."""
        return min(communities, math.floor(self.open_share(t) * communities + 0.5))


@register
class Enrolment(Module):
    """Adults in open regions enrol when perks outweigh their privacy cost; later, all must.

    Communities open in the order of one draw each (stream ``region``, draw ``c`` belonging
    to community ``c``): the pilot regions are the first ``pilot_share`` of that order, and
    each later month opens the next ones, so a larger pilot share or a faster roll-out opens
    the same communities, only sooner.
    """

    name = "enrolment"
    phase = Phase.SCORING
    policy = True
    order = 50  # before the score, so this month's enrolment counts
    Params = EnrolmentParams
    pars: EnrolmentParams
    states = (
        State("enrolled", np.uint8, 0, "1 once enrolled in the score"),
        State("privacy_cost", np.float32, 0, "yearly privacy cost of enrolling, USD"),
        State("enrolment_open", np.uint8, 0, "1 where enrolment is open in one's community"),
    )
    reads = (
        Read("perk_offer", 0),  # without perks, enrolling offers nothing
        Read("listing_risk", 0),  # without a blacklist, enrolling risks no listing
    )
    streams = ("privacy_cost", "early", "enrol", "region")
    measures = (
        Measure(
            "enrolled_share",
            "share of living adults enrolled",
            label="adults enrolled",
            kind="share",
        ),
        Measure(
            "regions_open",
            "share of communities where enrolment is open",
            label="communities open to enrolment",
            kind="share",
        ),
        Measure(
            "enrolments",
            "citizens who enrolled this month (voluntarily or by the mandate)",
            label="citizens enrolled this month",
            kind="count",
            unit="citizens",
        ),
    )

    #: Each community's place in the roll-out order (0 opens first); drawn, not saved.
    _rank: NDArray[np.int64] | None = None

    def init(self, ctx: Context) -> None:
        """Draw privacy costs (higher for the independent) and the early adopters."""
        people, n = ctx.people, ctx.n
        cost = ctx.stream("privacy_cost").normal(0, n)
        # In place: at 100M citizens each float64 temporary is 800 MB.
        cost *= 0.5
        np.exp(cost, out=cost)
        cost *= self.pars.privacy_cost * (0.5 + people["independence"])
        people["privacy_cost"][...] = cost
        open_, _ = self._open(ctx, 0)
        adult = living_adults(people)
        early = ctx.stream("early").uniform(0, n) < self.pars.initial_share
        mandate = self.pars.mandate_step == 0
        people["enrolled"][...] = ((early & open_) | mandate) & adult  # children turn 18 later

    def step(self, ctx: Context) -> None:
        """Open this month's regions; enrol the willing there, or everyone once mandatory."""
        people = ctx.people
        adult = living_adults(people)
        enrolled = people["enrolled"]
        open_, share = self._open(ctx, ctx.t)
        if ctx.t >= self.pars.mandate_step:
            joins = adult & (enrolled == 0)
        else:
            offer = ctx.read("perk_offer")
            # A citizen also weighs what a listing would cost them, times its public odds.
            cost = people["privacy_cost"] + ctx.read("listing_risk")
            willing = adult & open_ & (enrolled == 0) & (offer > cost)
            joins = willing & ctx.stream("enrol").bernoulli(ctx.t, self.pars.enrol_rate, ctx.n)
        enrolled[joins] = 1
        ctx.record("regions_open", share)
        ctx.record("enrolled_share", float(enrolled[adult].mean()) if adult.any() else np.nan)
        ctx.record("enrolments", float(np.count_nonzero(joins)))

    def _open(self, ctx: Context, t: int) -> tuple[NDArray[np.bool_], float]:
        """Write ``enrolment_open`` for month ``t``; return it as a mask, and the share open."""
        community = ctx.people["community"]
        rank = self._ranks(ctx, community)
        k = self.pars.open_count(t, rank.size)
        out = ctx.people["enrolment_open"]
        if k >= rank.size:
            out[...] = 1
        else:
            np.take(rank < k, community, out=out.view(np.bool_))
        return out.view(np.bool_), k / rank.size if rank.size else float("nan")

    def _ranks(self, ctx: Context, community: NDArray[np.integer]) -> NDArray[np.int64]:
        """Each community's place in the roll-out order, drawn once (a pure function of seed)."""
        count = int(community.max()) + 1 if community.size else 0
        if self._rank is None or self._rank.size != count:
            u = ctx.stream("region").uniform(0, count)
            rank = np.empty(count, dtype=np.int64)
            rank[np.argsort(u, kind="stable")] = np.arange(count)
            self._rank = rank
        return self._rank
