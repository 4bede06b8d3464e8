"""Shopping as the score sees it: approved and disfavoured goods, and gaming near a perk."""

from __future__ import annotations

import numpy as np

from scoresim.engine.module import Measure, Module, Params, Phase, State, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
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
    measures = (
        Measure("approved_purchases", "approved goods bought this month"),
        Measure("disfavoured_purchases", "disfavoured goods bought this month"),
        Measure("gaming_purchases", "approved goods bought to pass a perk threshold"),
    )

    def step(self, sim: Simulation) -> None:
        """One month of shopping."""
        p, people, t, n = self.pars, sim.people, sim.t, sim.n
        adult = living_adults(people)
        enrolled = flag(people, "enrolled", True)
        gap = people.get("points_to_next_perk", None)
        near = (
            adult & enrolled & (gap > 0) & (gap <= p.gaming_window)
            if gap is not None
            else np.zeros(n, dtype=bool)
        )
        games = near & sim.stream(self, "game").bernoulli(t, p.gaming_rate, n)
        approved = adult & sim.stream(self, "approved").bernoulli(t, p.approved_rate, n)
        youth = np.clip((people["age"] - ADULT_AGE) / 32.0, 0.0, 1.0)
        p_dis = p.disfavoured_rate * (1.0 - 0.5 * youth)
        disfavoured = adult & ~games & sim.stream(self, "disfavoured").bernoulli(t, p_dis, n)
        life = people["lifestyle"]
        life *= np.float32(p.memory)
        life += approved.astype(np.float32) + games - disfavoured
        people["assets"][games] -= np.float32(p.approved_price)
        people["gamed"][games] += 1
        sim.record("approved_purchases", float(np.count_nonzero(approved)))
        sim.record("disfavoured_purchases", float(np.count_nonzero(disfavoured)))
        sim.record("gaming_purchases", float(np.count_nonzero(games)))
