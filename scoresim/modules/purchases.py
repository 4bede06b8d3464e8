"""Shopping as the score sees it: approved and disfavoured goods, and gaming near a perk."""

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
from scoresim.modules.common import ADULT_AGE, flag, living_adults


class PurchasesConstants(NamedTuple):
    """What :func:`_shop` takes of the parameters (:meth:`PurchasesParams.constants`)."""

    gaming_window: float
    gaming_rate: float
    approved_rate: float
    disfavoured_rate: float
    memory: float
    approved_price: float
    adult_age: float


class ShopInputs(NamedTuple):
    """What each citizen's shopping depends on (read only).

    Attributes:
        adult: Whether a living adult.
        enrolled: Whether enrolled in the score.
        gap: Points below the next perk threshold.
        age: Age in years.
    """

    adult: NDArray[np.bool_]
    enrolled: NDArray[np.bool_]
    gap: NDArray[Any]
    age: NDArray[Any]


class ShopState(NamedTuple):
    """What shopping changes, in place: the lifestyle record, assets, months gamed."""

    lifestyle: NDArray[np.float32]
    assets: NDArray[np.float32]
    gamed: NDArray[np.uint16]


class ShopDraws(NamedTuple):
    """Starts of this month's blocks of draws (``Stream.base``), one per decision."""

    game: np.uint64
    approved: np.uint64
    disfavoured: np.uint64


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

    def constants(self) -> PurchasesConstants:
        """The parameters as :func:`_shop` takes them."""
        return PurchasesConstants(
            gaming_window=float(self.gaming_window),
            gaming_rate=float(self.gaming_rate),
            approved_rate=float(self.approved_rate),
            disfavoured_rate=float(self.disfavoured_rate),
            memory=float(self.memory),
            approved_price=float(self.approved_price),
            adult_age=float(ADULT_AGE),
        )


@register
class Purchases(Module):
    """Citizens buy approved and disfavoured goods; those just below a perk game the score."""

    name = "purchases"
    phase = Phase.ECONOMY
    policy = True
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
        x = ShopInputs(
            adult=living_adults(people),
            enrolled=flag(ctx, "enrolled"),
            gap=ctx.read("points_to_next_perk"),
            age=people["age"],
        )
        state = ShopState(people["lifestyle"], people["assets"], people["gamed"])
        draws = ShopDraws(
            game=ctx.stream("game").base(t),
            approved=ctx.stream("approved").base(t),
            disfavoured=ctx.stream("disfavoured").base(t),
        )
        approved, disfavoured, games = _shop(ctx.n, x, state, p.constants(), draws)
        ctx.record("approved_purchases", float(approved))
        ctx.record("disfavoured_purchases", float(disfavoured))
        ctx.record("gaming_purchases", float(games))


@twin
def _shop(
    x: ShopInputs, state: ShopState, c: PurchasesConstants, draws: ShopDraws
) -> tuple[int, int, int]:
    """Everyone's month of shopping in one parallel pass; returns the three counts."""
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    adult = x.adult
    enrolled = x.enrolled
    gap = x.gap
    age = x.age
    lifestyle = state.lifestyle
    assets = state.assets
    gamed = state.gamed
    window = c.gaming_window
    gaming_rate = c.gaming_rate
    approved_rate = c.approved_rate
    disfavoured_rate = c.disfavoured_rate
    memory = c.memory
    price = c.approved_price
    adult_age = c.adult_age
    base_game = draws.game
    base_approved = draws.approved
    base_disfavoured = draws.disfavoured
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
