"""The public blacklist at the bottom of the score, and the sanctions it brings."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.modules.common import flag
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS, occupation_code

#: Whether each occupation code is one a listed citizen is barred from.
_BARRABLE = np.isin(np.arange(len(OCCUPATIONS)), [occupation_code(o) for o in BARRABLE_OCCUPATIONS])


class BlacklistConstants(NamedTuple):
    """What :func:`_list_and_sanction` takes of the parameters (:meth:`BlacklistParams.constants`).

    Attributes:
        threshold: Score below which an enrolled citizen is listed.
        exit_score: Score at which a listed citizen may leave.
        min_months: Months on the list before an exit is possible.
        allow_exit: Whether the listed can leave the list.
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
    public: bool
    throttle: float
    barred_income: np.float32
    barrable: NDArray[np.bool_]
    worker: int


class Listing(NamedTuple):
    """Per-citizen states listing and sanctions change, in place.

    ``alive``, ``enrolled`` and ``score`` are only read; ``occupation``, ``income`` and
    ``wage`` change for citizens barred from their occupation.
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
        False, "whether the listed can leave the list", why="the articles describe no exit"
    )
    exit_score: float = param(
        500,
        "score at which a listed citizen may leave (if exits are allowed)",
        ge=0,
        le=2000,
        plausible=(450, 600),
        why="assumption: recovery above the threshold",
    )
    min_months: int = param(
        12,
        "months on the list before an exit is possible",
        ge=0,
        le=1200,
        plausible=(6, 36),
        why="assumption: credit repair takes about a year",
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
            public=bool(self.public),
            throttle=float(self.throttle),
            barred_income=np.float32(self.barred_income),
            barrable=_BARRABLE,
            worker=occupation_code("worker"),
        )


@register
class Blacklist(Module):
    """Enrolled citizens under the threshold are listed, throttled and barred from some jobs."""

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
    )
    reads = (
        Read("score"),  # the list is of the lowest scores: no scoring, no list
        Read("enrolled", 1),  # without enrolment, everyone is scored and may be listed
        Read("wage", 0, writes=True),  # cut for the barred; without the economy, zeros dropped
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
            "living citizens who left the list this month",
            label="citizens who left the list",
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
        )
        size, inflow, exits, barring, barred = _list_and_sanction(ctx.n, state, p.constants())
        ctx.record("blacklist_size", float(size))
        ctx.record("blacklist_inflow", float(inflow))
        ctx.record("blacklist_exits", float(exits))
        ctx.record("sanctions_applied", float(inflow + barring))
        ctx.record("barred_total", float(barred))


@twin
def _list_and_sanction(st: Listing, c: BlacklistConstants) -> tuple[int, int, int, int, int]:
    """List, release and sanction everyone in one pass.

    Returns (living listed, newly listed, living released, newly barred, ever barred).
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
    threshold = c.threshold
    exit_score = c.exit_score
    min_months = c.min_months
    allow_exit = c.allow_exit
    public = c.public
    throttle = c.throttle
    barred_income = c.barred_income
    barrable = c.barrable
    worker = c.worker
    size = inflow = exits = barring = ever_barred = 0
    for i in prange(score.size):
        living = alive[i] == 1
        was = listed[i] == 1
        if not was and living and enrolled[i] and score[i] < threshold:
            listed[i] = 1
            inflow += 1
        elif was and (
            not living or (allow_exit and months[i] >= min_months and score[i] >= exit_score)
        ):
            listed[i] = 0
            exits += living
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
    return size, inflow, exits, barring, ever_barred
