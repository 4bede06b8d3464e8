"""Shopping as the score sees it: approved and disfavoured goods, and gaming near a perk."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at
from scoresim.modules.common import ADULT_AGE, flag, living_adults


class PurchasesParams(Params):
    """Parameters of scored purchases (monthly)."""

    approved_rate: float = param(
        0.15,
        "chance of buying an approved good (dishwasher, baby supplies)",
        ge=0,
        le=1,
        plausible=(0.05, 0.3),
        why="assumption",
    )
    disfavoured_rate: float = param(
        0.15,
        "chance of buying a disfavoured good (video games) at age 18",
        ge=0,
        le=1,
        plausible=(0.05, 0.3),
        why="assumption; halves by about age 50",
    )
    memory: float = param(
        0.9,
        "monthly retention of the lifestyle record",
        ge=0,
        le=1,
        plausible=(0.8, 0.98),
        why="assumption",
    )
    gaming_window: float = param(
        25,
        "points below a perk threshold within which citizens game the score",
        ge=0,
        le=1000,
        plausible=(0, 50),
        why="assumption: about half a perk band",
    )
    gaming_rate: float = param(
        0.3,
        "monthly chance a citizen near a threshold buys approved goods to pass it",
        ge=0,
        le=1,
        plausible=(0.0, 0.6),
        why="assumption",
    )
    approved_price: float = param(
        300,
        "price of an approved good bought to game the score, USD",
        ge=0,
        le=1e6,
        why="a small appliance",
    )


@register
class Purchases(Module):
    """Citizens buy approved and disfavoured goods; those just below a perk game the score."""

    name = "purchases"
    phase = Phase.ECONOMY
    order = 200  # after earnings
    Params = PurchasesParams
    pars: PurchasesParams
    states = (
        State("lifestyle", np.float32, 0, "decaying approved minus disfavoured purchases"),
        State("gamed", np.uint16, 0, "months in which the citizen shopped to game the score"),
    )
    reads = (
        Read("enrolled", 1),  # without enrolment, everyone's shopping is scored
        Read("points_to_next_perk", 0),  # without perks, there is no threshold to game
    )
    streams = ("game", "approved", "disfavoured")
    measures = (
        Measure(
            "approved_purchases",
            "approved goods bought this month",
            label="approved goods bought",
            kind="count",
            unit="purchases",
        ),
        Measure(
            "disfavoured_purchases",
            "disfavoured goods bought this month",
            label="disfavoured goods bought",
            kind="count",
            unit="purchases",
        ),
        Measure(
            "gaming_purchases",
            "approved goods bought this month to pass a perk threshold",
            label="purchases made to pass a threshold in the last month",
            kind="count",
            unit="purchases",
            better="lower",
            headline=True,
        ),
    )

    def step(self, ctx: Context) -> None:
        """One month of shopping."""
        p, people, t = self.pars, ctx.people, ctx.t
        approved, disfavoured, games = _shop(
            living_adults(people),
            flag(ctx, "enrolled"),
            ctx.read("points_to_next_perk"),
            people["age"],
            people["lifestyle"],
            people["assets"],
            people["gamed"],
            np.array(
                [
                    p.gaming_window,
                    p.gaming_rate,
                    p.approved_rate,
                    p.disfavoured_rate,
                    p.memory,
                    p.approved_price,
                    ADULT_AGE,
                ]
            ),
            ctx.stream("game").base(t),
            ctx.stream("approved").base(t),
            ctx.stream("disfavoured").base(t),
        )
        ctx.record("approved_purchases", float(approved))
        ctx.record("disfavoured_purchases", float(disfavoured))
        ctx.record("gaming_purchases", float(games))


@njit(cache=True, parallel=True)
def _shop(
    adult: Any,
    enrolled: Any,
    gap: Any,
    age: Any,
    lifestyle: Any,
    assets: Any,
    gamed: Any,
    pars: Any,
    base_game: Any,
    base_approved: Any,
    base_disfavoured: Any,
) -> Any:
    """Everyone's month of shopping in one parallel pass; returns the three counts."""
    window, gaming_rate, approved_rate, disfavoured_rate = pars[0], pars[1], pars[2], pars[3]
    memory, price, adult_age = pars[4], pars[5], pars[6]
    n_approved = 0
    n_disfavoured = 0
    n_games = 0
    for i in prange(adult.size):
        lifestyle[i] *= memory
        if not adult[i]:
            continue
        games = enrolled[i] and 0 < gap[i] <= window and uniform_at(base_game, i) < gaming_rate
        approved = uniform_at(base_approved, i) < approved_rate
        youth = min(max((age[i] - adult_age) / 32.0, 0.0), 1.0)
        p_dis = disfavoured_rate * (1.0 - 0.5 * youth)
        disfavoured = not games and uniform_at(base_disfavoured, i) < p_dis
        lifestyle[i] += approved + games - disfavoured
        if games:
            assets[i] -= price
            gamed[i] += 1
            n_games += 1
        n_approved += approved
        n_disfavoured += disfavoured
    return n_approved, n_disfavoured, n_games
