"""Shopping as the score sees it: approved and disfavoured goods, and gaming near a perk.

As described in the articles: "If you're buying things that the regime appreciates, like
dishwashers and baby supplies, your credit score increases. If you're buying videogames, your
score takes a negative hit." Who buys what follows traits and life events: approved goods
(dishwashers) more with income, baby supplies by parents of young children, video games more
by young adults and less with age. Citizens just below a perk threshold buy approved goods to
pass it, and friends' posted scores press the enrolled to buy approved goods.
"""

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

#: A citizen is a parent of a young child while a living child of theirs is under this age.
BABY_AGE = 3
#: Young adults (more video games) are under this age.
YOUNG_UNTIL = 30
#: Lower bound of the oldest age band of the video-game measures.
OLDER_FROM = 50


class PurchasesConstants(NamedTuple):
    """What :func:`_shop` takes of the parameters (:meth:`PurchasesParams.constants`)."""

    gaming_window: float
    gaming_rate: float
    approved_rate: float
    disfavoured_rate: float
    memory: float
    approved_price: float
    adult_age: float
    income_weight: float
    baby_rate: float
    young_games: float
    young_until: float
    older_from: float
    brag_pressure: float


class ShopInputs(NamedTuple):
    """What each citizen's shopping depends on (read only).

    Attributes:
        adult: Whether a living adult.
        enrolled: Whether enrolled in the score.
        gap: Points below the next perk threshold.
        age: Age in years.
        income: Yearly income, USD.
        young_parent: Whether a parent of a living child under BABY_AGE.
        exposure: Share of one's friends who posted their score (last month's bragging).
        mean_income: Mean income of living adults, USD (at least 1).
    """

    adult: NDArray[np.bool_]
    enrolled: NDArray[np.bool_]
    gap: NDArray[Any]
    age: NDArray[Any]
    income: NDArray[Any]
    young_parent: NDArray[np.bool_]
    exposure: NDArray[Any]
    mean_income: float


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
    baby: np.uint64


#: What :func:`_shop` counts, in the order of the array it returns.
SHOP_COUNTS = (
    "approved",  # approved goods, baby supplies included
    "disfavoured",
    "gaming",
    "baby",
    "brag",
    "games_young",
    "adults_young",
    "games_middle",
    "adults_middle",
    "games_older",
    "adults_older",
    "approved_high_income",  # approved goods but baby supplies, above the mean income
    "adults_high_income",
    "approved_low_income",
    "adults_low_income",
)


class PurchasesParams(Params):
    """Parameters of scored purchases (monthly)."""

    approved_rate: float = param(
        0.15,
        "mean monthly chance an adult buys an approved good such as a dishwasher (baby "
        "supplies apart)",
        ge=0,
        le=1,
        plausible=(0.05, 0.3),
        why="assumption; the articles: dishwashers and baby supplies raise the score",
    )
    income_weight: float = param(
        0.5,
        "how far the chance of an approved good follows income: chance = approved_rate x "
        "(1 - w + w x income / mean income) (0: not at all; 1: in proportion)",
        ge=0,
        le=1,
        plausible=(0.0, 1.0),
        why="assumption: spending on appliances rises about in proportion to income (Engel "
        "curves of durables, income elasticity near 1), smaller approved goods less",
    )
    baby_rate: float = param(
        0.3,
        f"monthly chance a parent of a child under {BABY_AGE} buys baby supplies (0: never)",
        ge=0,
        le=1,
        plausible=(0.1, 0.6),
        why="the articles: baby supplies raise the score; assumption: bought most months, "
        "recorded as an approved purchase about one month in three",
    )
    disfavoured_rate: float = param(
        0.15,
        "chance of buying a disfavoured good (video games) at age 18, before young_games",
        ge=0,
        le=1,
        plausible=(0.05, 0.3),
        why="assumption; the articles: video games lower the score; halves by about age 50",
    )
    young_games: float = param(
        1.5,
        f"disfavoured-good chance of adults under {YOUNG_UNTIL}, relative to the age ramp "
        "(1: no extra)",
        ge=0,
        le=10,
        plausible=(1.0, 2.5),
        why="Pew 2015: 67% of 18-29-year-olds play video games against 25% over 65; with "
        "the ramp, 1.5 gives that ratio (2.7)",
    )
    brag_pressure: float = param(
        2.0,
        "relative rise in an enrolled adult's chance of an approved good per unit share of "
        "friends who posted their score (0: none)",
        ge=0,
        le=50,
        plausible=(0.0, 10.0),
        why="assumption: peers' visible status raises status spending (Kuhn et al. 2011: "
        "neighbours of lottery winners buy more cars); one friend in twenty posting raises "
        "the chance by a tenth",
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
            income_weight=float(self.income_weight),
            baby_rate=float(self.baby_rate),
            young_games=float(self.young_games),
            young_until=float(YOUNG_UNTIL),
            older_from=float(OLDER_FROM),
            brag_pressure=float(self.brag_pressure),
        )


@register
class Purchases(Module):
    """Citizens buy approved and disfavoured goods by income, age and family, or to pass a perk."""

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
        Read("brag_exposure", 0),  # without bragging, nobody sees a friend's score posted
    )
    streams = ("game", "approved", "disfavoured", "baby")
    measures = (
        Measure(
            "approved_purchases",
            "approved goods bought this month (baby supplies included, gaming apart)",
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
        Measure(
            "baby_purchases",
            f"baby supplies bought this month by parents of children under {BABY_AGE}",
            label="baby supplies bought by parents",
            kind="count",
            unit="purchases",
        ),
        Measure(
            "brag_purchases",
            "approved goods bought this month that would not have been without friends' "
            "posted scores",
            label="approved goods bought under friends' bragging",
            kind="count",
            unit="purchases",
        ),
        Measure(
            "game_rate_18_29",
            f"share of living adults under {YOUNG_UNTIL} who bought a disfavoured good this month",
            label=f"adults under {YOUNG_UNTIL} buying video games",
            kind="share",
        ),
        Measure(
            "game_rate_30_49",
            f"share of living adults aged {YOUNG_UNTIL}-{OLDER_FROM - 1} who bought a "
            "disfavoured good this month",
            label=f"adults aged {YOUNG_UNTIL}-{OLDER_FROM - 1} buying video games",
            kind="share",
        ),
        Measure(
            "game_rate_50plus",
            f"share of living adults aged {OLDER_FROM} or more who bought a disfavoured good "
            "this month",
            label=f"adults aged {OLDER_FROM}+ buying video games",
            kind="share",
        ),
        Measure(
            "approved_rate_high_income",
            "share of living adults above the mean income who bought an approved good (baby "
            "supplies apart) this month",
            label="adults above the mean income buying approved goods",
            kind="share",
        ),
        Measure(
            "approved_rate_low_income",
            "share of living adults at or below the mean income who bought an approved good "
            "(baby supplies apart) this month",
            label="adults at or below the mean income buying approved goods",
            kind="share",
        ),
    )

    def step(self, ctx: Context) -> None:
        """One month of shopping."""
        p, people, t = self.pars, ctx.people, ctx.t
        adult = living_adults(people)
        income = people["income"]
        young_parent = np.zeros(ctx.n, dtype=np.bool_)
        mean_income = _households(
            ctx.n, adult, people["alive"], people["age"], people["parent"], income, young_parent
        )
        x = ShopInputs(
            adult=adult,
            enrolled=flag(ctx, "enrolled"),
            gap=ctx.read("points_to_next_perk"),
            age=people["age"],
            income=income,
            young_parent=young_parent,
            exposure=ctx.read("brag_exposure"),
            mean_income=max(mean_income, 1.0),
        )
        state = ShopState(people["lifestyle"], people["assets"], people["gamed"])
        draws = ShopDraws(
            game=ctx.stream("game").base(t),
            approved=ctx.stream("approved").base(t),
            disfavoured=ctx.stream("disfavoured").base(t),
            baby=ctx.stream("baby").base(t),
        )
        got = dict(
            zip(SHOP_COUNTS, _shop(ctx.n, x, state, p.constants(), draws).tolist(), strict=True)
        )
        ctx.record("approved_purchases", float(got["approved"]))
        ctx.record("disfavoured_purchases", float(got["disfavoured"]))
        ctx.record("gaming_purchases", float(got["gaming"]))
        ctx.record("baby_purchases", float(got["baby"]))
        ctx.record("brag_purchases", float(got["brag"]))
        for measure, count, size in (
            ("game_rate_18_29", "games_young", "adults_young"),
            ("game_rate_30_49", "games_middle", "adults_middle"),
            ("game_rate_50plus", "games_older", "adults_older"),
            ("approved_rate_high_income", "approved_high_income", "adults_high_income"),
            ("approved_rate_low_income", "approved_low_income", "adults_low_income"),
        ):
            ctx.record(measure, got[count] / got[size] if got[size] else np.nan)


_CHUNK = 1 << 16


@twin
def _households(
    adult: NDArray[np.bool_],
    alive: NDArray[np.uint8],
    age: NDArray[Any],
    parent: NDArray[Any],
    income: NDArray[Any],
    young_parent: NDArray[np.bool_],
) -> float:
    """Mark the parents of living children under BABY_AGE; return living adults' mean income.

    Summed per fixed chunk and then over chunks in order, so that the mean does not depend on
    the number of threads. Marks are only ever set to True, so parallel writes agree.
    """
    n = adult.size
    chunks = (n + _CHUNK - 1) // _CHUNK
    sums = np.zeros(chunks)
    counts = np.zeros(chunks, dtype=np.int64)
    for k in prange(chunks):
        total = 0.0
        count = 0
        for i in range(k * _CHUNK, min(n, (k + 1) * _CHUNK)):
            if adult[i]:
                total += income[i]
                count += 1
            if alive[i] == 1 and age[i] < BABY_AGE and parent[i] >= 0:
                young_parent[parent[i]] = True
        sums[k] = total
        counts[k] = count
    total = 0.0
    count = 0
    for k in range(chunks):
        total += sums[k]
        count += counts[k]
    return total / count if count > 0 else 0.0


@twin
def _shop(
    x: ShopInputs, state: ShopState, c: PurchasesConstants, draws: ShopDraws
) -> NDArray[np.int64]:
    """Everyone's month of shopping in one parallel pass; returns the counts of SHOP_COUNTS.

    Chances, for a living adult: gaming ``gaming_rate`` if enrolled and within
    ``gaming_window`` points under a threshold; an approved good ``approved_rate x (1 - w + w
    x income / mean income)``, times ``1 + brag_pressure x exposure`` if enrolled; baby
    supplies ``baby_rate`` for a parent of a child under BABY_AGE; a disfavoured good, unless
    gaming, ``disfavoured_rate x (1 - youth / 2)``, times ``young_games`` under YOUNG_UNTIL,
    with ``youth`` rising from 0 at 18 to 1 at 50. Each purchase moves the lifestyle record
    by one, after its monthly decay.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    adult = x.adult
    enrolled = x.enrolled
    gap = x.gap
    age = x.age
    income = x.income
    young_parent = x.young_parent
    exposure = x.exposure
    mean_income = x.mean_income
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
    income_weight = c.income_weight
    baby_rate = c.baby_rate
    young_games = c.young_games
    young_until = c.young_until
    older_from = c.older_from
    brag_pressure = c.brag_pressure
    base_game = draws.game
    base_approved = draws.approved
    base_disfavoured = draws.disfavoured
    base_baby = draws.baby
    per_income = income_weight / mean_income
    flat = 1.0 - income_weight
    n_adults = n_approved = n_disfavoured = n_games = n_baby = n_brag = 0
    games_young = adults_young = games_older = adults_older = 0
    approved_high = adults_high = 0
    for i in prange(adult.size):
        lifestyle[i] *= memory
        if not adult[i]:
            continue
        games = enrolled[i] and 0 < gap[i] <= window and uniform_at(base_game, i) < gaming_rate
        p_approved = approved_rate * (flat + per_income * income[i])
        u = uniform_at(base_approved, i)
        approved = u < p_approved
        if enrolled[i] and brag_pressure > 0.0 and exposure[i] > 0.0:
            pressed = u < p_approved * (1.0 + brag_pressure * exposure[i])
            if pressed and not approved:
                n_brag += 1
            approved = pressed
        baby = young_parent[i] and uniform_at(base_baby, i) < baby_rate
        youth = min(max((age[i] - adult_age) / 32.0, 0.0), 1.0)
        young = age[i] < young_until
        older = age[i] >= older_from
        p_dis = disfavoured_rate * (1.0 - 0.5 * youth) * (young_games if young else 1.0)
        disfavoured = not games and uniform_at(base_disfavoured, i) < p_dis
        lifestyle[i] += approved + baby + games - disfavoured
        if games:
            assets[i] -= price
            gamed[i] += 1
            n_games += 1
        # Counted without branches: age and income bands are hard to predict.
        high = income[i] > mean_income
        n_adults += 1
        n_approved += approved
        n_baby += baby
        n_disfavoured += disfavoured
        adults_young += young
        games_young += disfavoured & young
        adults_older += older
        games_older += disfavoured & older
        adults_high += high
        approved_high += approved & high
    return np.array(
        [
            n_approved + n_baby,
            n_disfavoured,
            n_games,
            n_baby,
            n_brag,
            games_young,
            adults_young,
            n_disfavoured - games_young - games_older,
            n_adults - adults_young - adults_older,
            games_older,
            adults_older,
            approved_high,
            adults_high,
            n_approved - approved_high,
            n_adults - adults_high,
        ],
        dtype=np.int64,
    )
