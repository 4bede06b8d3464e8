"""The public blacklist at the bottom of the score, the sanctions it brings, and its exits.

As described in the articles ("Credit China ... All 869,582 of them"), enrolled citizens under
a score threshold are listed; their posts lose reach and they are barred from some
occupations. The articles describe no way off the list; two exits can be switched on (the
``social-credit-expungement`` preset does): expiry after a term, and credit repair, a score
back at or above an exit score for some months running. After any exit a citizen is listed
again only on a fresh fall: once their score has been back at or above the threshold.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Mark, Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.modules.common import ADULT_AGE, flag
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS, occupation_code

#: Whether each occupation code is one a listed citizen is barred from.
_BARRABLE = np.isin(np.arange(len(OCCUPATIONS)), [occupation_code(o) for o in BARRABLE_OCCUPATIONS])


class BlacklistConstants(NamedTuple):
    """What :func:`_list_and_sanction` takes of the parameters (:meth:`BlacklistParams.constants`).

    Attributes:
        threshold: Score below which an enrolled citizen is listed.
        exit_score: Score at or above which a listed citizen recovers.
        min_months: Months running at or above ``exit_score`` that credit repair takes.
        allow_exit: Whether the listed can leave by credit repair.
        term: Months after which a listing expires (0: never).
        public: Whether the list is published.
        throttle: Share of their usual reach a listed citizen's posts keep.
        barred_income: Income kept when barred from an occupation (float32).
        barrable: Whether each occupation code is barred to the listed.
        worker: Occupation code the barred move to.
    """

    threshold: float
    exit_score: float
    min_months: int
    allow_exit: bool
    term: int
    public: bool
    throttle: float
    barred_income: np.float32
    barrable: NDArray[np.bool_]
    worker: int


class Listing(NamedTuple):
    """Per-citizen states listing and sanctions change, in place.

    ``alive``, ``enrolled`` and ``score`` are only read; ``occupation``, ``income`` and
    ``wage`` change for citizens barred from their occupation. ``recovered`` counts a listed
    citizen's months running at or above the exit score; ``spent`` marks those who left the
    list and have not been back at or above the threshold since (no relisting before).
    """

    alive: NDArray[np.uint8]
    enrolled: NDArray[np.bool_]
    score: NDArray[Any]
    listed: NDArray[np.uint8]
    months: NDArray[np.uint16]
    listed_publicly: NDArray[np.uint8]
    reach: NDArray[np.float32]
    occupation: NDArray[Any]
    barred: NDArray[np.uint8]
    income: NDArray[np.float32]
    wage: NDArray[np.float32]
    recovered: NDArray[np.uint16]
    spent: NDArray[np.uint8]


class BlacklistParams(Params):
    """Parameters of the blacklist and its sanctions."""

    threshold: float = param(
        450,
        "score below which an enrolled citizen is listed",
        ge=0,
        le=2000,
        plausible=(400, 550),
        why="the bottom of the 'poor' band (350-550)",
    )
    public: bool = param(
        True,
        "whether the list is published (Credit China)",
        why="the articles: a public list of 869,582 people",
    )
    allow_exit: bool = param(
        False,
        "whether the listed can leave by credit repair (min_months running at or above exit_score)",
        why="the articles describe no exit; the expungement safeguard allows it",
    )
    exit_score: float = param(
        500,
        "score at or above which a listed citizen counts as recovering (if repair is allowed)",
        ge=0,
        le=2000,
        plausible=(450, 600),
        why="assumption: recovery above the threshold",
    )
    min_months: int = param(
        12,
        "months running at or above exit_score after which a listed citizen leaves by repair",
        ge=0,
        le=1200,
        plausible=(6, 36),
        why="assumption: credit repair takes about a year",
    )
    term: int = param(
        0,
        "months after which a listing expires (0: never)",
        ge=0,
        le=1200,
        plausible=(12, 60),
        why="the articles describe no expiry; the court's list of debtors lists for two years",
    )
    throttle: float = param(
        0.3,
        "share of their usual reach a listed citizen's posts keep",
        ge=0,
        le=1,
        plausible=(0.0, 0.7),
        why="the articles: limited internet connectivity",
    )
    barred_income: float = param(
        0.6,
        "income kept by a listed citizen barred from a listed occupation",
        ge=0,
        le=1,
        plausible=(0.4, 0.9),
        why="assumption: the next job pays less",
    )

    def constants(self) -> BlacklistConstants:
        """The parameters as :func:`_list_and_sanction` takes them."""
        return BlacklistConstants(
            threshold=float(self.threshold),
            exit_score=float(self.exit_score),
            min_months=int(self.min_months),
            allow_exit=bool(self.allow_exit),
            term=int(self.term),
            public=bool(self.public),
            throttle=float(self.throttle),
            barred_income=np.float32(self.barred_income),
            barrable=_BARRABLE,
            worker=occupation_code("worker"),
        )


@register
class Blacklist(Module):
    """Enrolled citizens under the threshold are listed, throttled and barred from some jobs.

    The listed leave when the listing expires (``term``) or by credit repair (``allow_exit``:
    ``min_months`` running at or above ``exit_score``); expiry is tested first. Nobody leaves
    as described (both off). The dead leave the list without counting as exits.
    """

    name = "blacklist"
    phase = Phase.OUTCOMES
    policy = True
    Params = BlacklistParams
    pars: BlacklistParams
    states = (
        State("blacklisted", np.uint8, 0, "1 while on the blacklist"),
        State("listed_months", np.uint16, 0, "months on the blacklist (current listing)"),
        State("listed_publicly", np.uint8, 0, "1 while listed on a public list"),
        State("reach", np.float32, 1.0, "share of usual reach one's posts get"),
        State("barred", np.uint8, 0, "1 once barred from a listed occupation"),
        State(
            "listed_recovered",
            np.uint16,
            0,
            "months running a listed citizen's score has been at or above the exit score",
        ),
        State(
            "listing_spent",
            np.uint8,
            0,
            "1 after leaving the list, until the score is back at or above the threshold",
        ),
        State(
            "listing_at_stake",
            np.float32,
            0.0,
            "yearly cost of being listed (perks and barred income) for one post from the list, USD",
        ),
        State(
            "listing_risk",
            np.float32,
            0.0,
            "expected yearly cost of a listing to an unenrolled adult who enrolled, USD",
        ),
    )
    reads = (
        Read("score"),  # the list is of the lowest scores: no scoring, no list
        Read("enrolled", 1),  # without enrolment, everyone is scored and may be listed
        Read("wage", 0, writes=True),  # cut for the barred; without the economy, zeros dropped
        Read("speech_cost", 0),  # what one more post costs: who is one post from the list
        Read("perk_value", 0),  # the perks a listing takes away (none without perks)
        Read("perk_at_stake", 0),  # those of them a post already puts at stake
        Read("perk_offer", 0),  # the perks an unenrolled citizen would give up if listed
    )
    measures = (
        Measure(
            "blacklist_size",
            "living citizens on the blacklist",
            label="citizens on the blacklist",
            kind="count",
            unit="citizens",
            better="lower",
            headline=True,
        ),
        Measure(
            "blacklist_inflow",
            "citizens listed this month",
            kind="count",
            unit="citizens",
            better="lower",
        ),
        Measure(
            "blacklist_exits",
            "living citizens who left the list this month (expiry and credit repair)",
            label="citizens who left the list",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "blacklist_expiries",
            "living citizens whose listing expired this month",
            label="listings expired",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "blacklist_repairs",
            "living citizens who left the list by credit repair this month",
            label="citizens who left the list by credit repair",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "sanctions_applied",
            "new sanctions this month (throttling and barring)",
            label="new sanctions",
            kind="count",
            unit="sanctions",
            better="lower",
        ),
        Measure(
            "barred_total",
            "citizens ever barred from a listed occupation",
            label="citizens barred from their occupation",
            kind="count",
            unit="citizens",
            better="lower",
        ),
    )

    def marks(self) -> tuple[Mark, ...]:
        """The listing threshold on the score."""
        return (Mark("score", self.pars.threshold, "blacklisted below", kind="sanction"),)

    def step(self, ctx: Context) -> None:
        """List, release and sanction."""
        p, people = self.pars, ctx.people
        state = Listing(
            alive=people["alive"],
            enrolled=flag(ctx, "enrolled"),
            score=ctx.read("score"),
            listed=people["blacklisted"],
            months=people["listed_months"],
            listed_publicly=people["listed_publicly"],
            reach=people["reach"],
            occupation=people["occupation"],
            barred=people["barred"],
            income=people["income"],
            wage=ctx.read("wage"),
            recovered=people["listed_recovered"],
            spent=people["listing_spent"],
        )
        size, inflow, expired, repaired, barring, barred = _list_and_sanction(
            ctx.n, state, p.constants()
        )
        ctx.record("blacklist_size", float(size))
        ctx.record("blacklist_inflow", float(inflow))
        ctx.record("blacklist_exits", float(expired + repaired))
        ctx.record("blacklist_expiries", float(expired))
        ctx.record("blacklist_repairs", float(repaired))
        ctx.record("sanctions_applied", float(inflow + barring))
        ctx.record("barred_total", float(barred))
        self._at_stake(ctx)

    def _at_stake(self, ctx: Context) -> None:
        """What a listing would cost each living adult: one post away, and by enrolling.

        ``listing_at_stake``: for an enrolled adult whom one more post would list, the perks
        they hold that the post does not already put at stake (``perk_at_stake``) plus, in a
        barrable occupation, the income the bar takes (the expression module weighs it).
        ``listing_risk``: for an unenrolled adult, the share of living enrolled adults of
        their kind (dissenting or not) on the public list, times the perks they would be
        offered plus the barred income (the enrolment module weighs it). Both are 0 for
        everyone else.
        """
        p, people = self.pars, ctx.people
        x = Stakes(
            alive=people["alive"],
            age=people["age"],
            enrolled=flag(ctx, "enrolled"),
            listed=people["blacklisted"],
            dissenter=people["dissenter"],
            score=ctx.read("score"),
            speech_cost=ctx.read("speech_cost"),
            perk_value=ctx.read("perk_value"),
            perk_at_stake=ctx.read("perk_at_stake"),
            perk_offer=ctx.read("perk_offer"),
            occupation=people["occupation"],
            income=people["income"],
        )
        counts = _listed_by_kind(ctx.n, x)  # enrolled adults and the listed, by kind
        odds = (
            counts[1] / counts[0] if counts[0] else 0.0,
            counts[3] / counts[2] if counts[2] else 0.0,
        )
        _stakes(
            ctx.n,
            x,
            _BARRABLE,
            float(p.threshold),
            float(1.0 - p.barred_income),
            odds,
            people["listing_at_stake"],
            people["listing_risk"],
        )


class Stakes(NamedTuple):
    """What :func:`_stakes` weighs of each citizen (read only)."""

    alive: NDArray[np.uint8]
    age: NDArray[np.float32]
    enrolled: NDArray[np.bool_]
    listed: NDArray[np.uint8]
    dissenter: NDArray[np.uint8]
    score: NDArray[Any]
    speech_cost: NDArray[Any]
    perk_value: NDArray[Any]
    perk_at_stake: NDArray[Any]
    perk_offer: NDArray[Any]
    occupation: NDArray[Any]
    income: NDArray[np.float32]


@twin
def _listed_by_kind(x: Stakes) -> tuple[int, int, int, int]:
    """Living enrolled adults and the listed among them, by kind.

    Returns (conformers, of them listed, dissenters, of them listed).
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    alive = x.alive
    age = x.age
    enrolled = x.enrolled
    listed = x.listed
    dissenter = x.dissenter
    conf = conf_listed = diss = diss_listed = 0
    for i in prange(alive.size):
        if alive[i] == 1 and age[i] >= ADULT_AGE and enrolled[i]:
            if dissenter[i] == 1:
                diss += 1
                diss_listed += listed[i]
            else:
                conf += 1
                conf_listed += listed[i]
    return conf, conf_listed, diss, diss_listed


@twin
def _stakes(
    x: Stakes,
    barrable: NDArray[np.bool_],
    threshold: float,
    lost_share: float,
    odds: tuple[float, float],
    at_stake: NDArray[np.float32],
    risk: NDArray[np.float32],
) -> None:
    """Write each citizen's listing stake and enrolment risk (see ``Blacklist._at_stake``)."""
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    alive = x.alive
    age = x.age
    enrolled = x.enrolled
    listed = x.listed
    dissenter = x.dissenter
    score = x.score
    speech_cost = x.speech_cost
    perk_value = x.perk_value
    perk_at_stake = x.perk_at_stake
    perk_offer = x.perk_offer
    occupation = x.occupation
    income = x.income
    odds_conf, odds_diss = odds
    for i in prange(alive.size):
        at_stake[i] = 0.0
        risk[i] = 0.0
        if alive[i] == 1 and age[i] >= ADULT_AGE:
            lost = lost_share * income[i] if barrable[occupation[i]] else 0.0
            if not enrolled[i]:
                chance = odds_diss if dissenter[i] == 1 else odds_conf
                risk[i] = chance * (perk_offer[i] + lost)
            elif listed[i] == 0 and score[i] >= threshold > score[i] - speech_cost[i]:
                at_stake[i] = max(perk_value[i] - perk_at_stake[i], 0.0) + lost


@twin
def _list_and_sanction(st: Listing, c: BlacklistConstants) -> tuple[int, int, int, int, int, int]:
    """List, release and sanction everyone in one pass.

    A listed citizen who has completed ``term`` months on the list leaves (expiry); else one
    whose score has been at or above ``exit_score`` for ``min_months`` months running, this
    one included, leaves (credit repair). An enrolled living citizen not listed is listed
    when their score is under the threshold, unless they left before and have not been back
    at or above the threshold since.

    Returns (living listed, newly listed, expiries, repairs, newly barred, ever barred);
    expiries and repairs count the living only.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    alive = st.alive
    enrolled = st.enrolled
    score = st.score
    listed = st.listed
    months = st.months
    listed_publicly = st.listed_publicly
    reach = st.reach
    occupation = st.occupation
    barred = st.barred
    income = st.income
    wage = st.wage
    recovered = st.recovered
    spent = st.spent
    threshold = c.threshold
    exit_score = c.exit_score
    min_months = c.min_months
    allow_exit = c.allow_exit
    term = c.term
    public = c.public
    throttle = c.throttle
    barred_income = c.barred_income
    barrable = c.barrable
    worker = c.worker
    size = inflow = expired = repaired = barring = ever_barred = 0
    for i in prange(score.size):
        living = alive[i] == 1
        was = listed[i] == 1
        s = score[i]
        if s >= threshold:
            spent[i] = 0  # back over the threshold: a new fall may list again
        if was:
            recovered[i] = recovered[i] + 1 if s >= exit_score else 0
            if not living:
                listed[i] = 0
            elif term > 0 and months[i] >= term:
                listed[i] = 0
                expired += 1
            elif allow_exit and s >= exit_score and recovered[i] >= min_months:
                listed[i] = 0
                repaired += 1
            if listed[i] == 0:
                recovered[i] = 0
                spent[i] = s < threshold
        elif living and enrolled[i] and s < threshold and spent[i] == 0:
            listed[i] = 1
            inflow += 1
        now = listed[i] == 1
        months[i] = months[i] + 1 if now else 0
        listed_publicly[i] = now and public
        reach[i] = throttle if now else 1.0
        if now:
            size += living
            if barrable[occupation[i]]:
                occupation[i] = worker
                barred[i] = 1
                income[i] *= barred_income
                wage[i] *= barred_income
                barring += 1
        ever_barred += barred[i] == 1
    return size, inflow, expired, repaired, barring, ever_barred
