"""The financial list: citizens who default on the instant loan, and how they leave it.

The articles' list ("Credit China ... All 869,582 of them") is political; beside it stands a
list of those who do not pay their debts, modelled on the Supreme People's Court's list of
dishonest judgment debtors. A citizen who has missed ``min_missed`` instalments of the
perks module's instant loan is listed as a defaulter. The listed leave when the debt is
repaid, when the listing expires after ``term`` months, or by credit repair: each month in
which a listed debtor pays an instalment, a chance ``repair_rate`` of being struck off.

The list's one sanction is the state ``listed_debtor``: the perks module can withhold perks
(and loans) from the listed by reading it, as it does for the political blacklist.

The list reads only the perks module's ``debt``: an instalment was paid when the debt fell
since last month's review, missed when an outstanding debt did not fall.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray

from scoresim.core.context import Context
from scoresim.core.declare import Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at


class DebtorsConstants(NamedTuple):
    """What :func:`_review` takes of the parameters (:meth:`DebtorsParams.constants`).

    Attributes:
        min_missed: Instalments missed that list a citizen.
        term: Months after which a listing expires (0: never).
        repair_rate: Monthly chance a listed debtor who paid this month is struck off.
    """

    min_missed: int
    term: int
    repair_rate: float


class Review(NamedTuple):
    """Per-citizen states of the list, updated in place by :func:`_review`.

    ``alive`` and ``debt`` are only read.
    """

    alive: NDArray[np.uint8]
    debt: NDArray[np.float32]
    seen: NDArray[np.float32]
    arrears: NDArray[np.uint16]
    listed: NDArray[np.uint8]
    months: NDArray[np.uint16]


class DebtorsParams(Params):
    """Parameters of the list of defaulters."""

    min_missed: int = param(
        3,
        "instalments missed (since the last listing) that list a citizen as a defaulter",
        ge=1,
        le=1200,
        plausible=(1, 6),
        why="90 days past due, the usual definition of a default (Basel II), is 3 instalments",
    )
    term: int = param(
        24,
        "months after which a listing expires (0: never)",
        ge=0,
        le=1200,
        plausible=(12, 60),
        why="the court's provisions (2017): a listing lasts two years, extendable by 1-3",
    )
    repair_rate: float = param(
        0.1,
        "monthly chance a listed debtor who paid an instalment this month is struck off",
        ge=0,
        le=1,
        plausible=(0.02, 0.3),
        why="assumption: credit repair of a repaying debtor is granted within about ten months",
    )

    def constants(self) -> DebtorsConstants:
        """The parameters as :func:`_review` takes them."""
        return DebtorsConstants(
            min_missed=int(self.min_missed),
            term=int(self.term),
            repair_rate=float(self.repair_rate),
        )


@register
class Debtors(Module):
    """Citizens who miss loan instalments are listed as defaulters until they repay or leave."""

    name = "debtors"
    phase = Phase.OUTCOMES
    policy = True
    Params = DebtorsParams
    pars: DebtorsParams
    states = (
        State("listed_debtor", np.uint8, 0, "1 while on the list of defaulters"),
        State("debtor_months", np.uint16, 0, "months on the list of defaulters (current listing)"),
        State(
            "arrears",
            np.uint16,
            0,
            "loan instalments missed since the last listing or exit (0 once the debt is repaid)",
        ),
        State("debt_seen", np.float32, 0, "outstanding loan at last month's review, USD"),
    )
    reads = (Read("debt", 0),)  # without perks there is no loan, and nobody defaults
    streams = ("repair",)
    measures = (
        Measure(
            "debtor_list_size",
            "living citizens on the list of defaulters",
            label="citizens on the list of defaulters",
            kind="count",
            unit="citizens",
            better="lower",
        ),
        Measure(
            "debtor_inflow",
            "citizens listed as defaulters this month",
            label="defaulters listed",
            kind="count",
            unit="citizens",
            better="lower",
        ),
        Measure(
            "debtor_exits",
            "living citizens who left the list of defaulters this month (all exits)",
            label="defaulters who left the list",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "debtor_repaid",
            "living citizens who left the list of defaulters this month by repaying the debt",
            label="defaulters who repaid",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "debtor_expiries",
            "living citizens whose listing as a defaulter expired this month",
            label="defaulter listings expired",
            kind="count",
            unit="citizens",
        ),
        Measure(
            "debtor_repairs",
            "living citizens struck off the list of defaulters by credit repair this month",
            label="defaulters struck off by credit repair",
            kind="count",
            unit="citizens",
        ),
    )

    def step(self, ctx: Context) -> None:
        """Count missed instalments, list the defaulters, release the repaid and repaired."""
        people = ctx.people
        state = Review(
            alive=people["alive"],
            debt=ctx.read("debt"),
            seen=people["debt_seen"],
            arrears=people["arrears"],
            listed=people["listed_debtor"],
            months=people["debtor_months"],
        )
        base = ctx.stream("repair").base(ctx.t)
        size, inflow, repaid, expired, repaired = _review(ctx.n, state, base, self.pars.constants())
        ctx.record("debtor_list_size", float(size))
        ctx.record("debtor_inflow", float(inflow))
        ctx.record("debtor_exits", float(repaid + expired + repaired))
        ctx.record("debtor_repaid", float(repaid))
        ctx.record("debtor_expiries", float(expired))
        ctx.record("debtor_repairs", float(repaired))


@twin
def _review(st: Review, base: np.uint64, c: DebtorsConstants) -> tuple[int, int, int, int, int]:
    """One month's review of every citizen's loan and listing, in one pass.

    An instalment is missed when a debt outstanding last month did not fall, paid when it
    fell. A listed living citizen leaves when the debt is cleared (repaid), else when the
    listing has lasted ``term`` months (expiry), else, in a month they paid, with chance
    ``repair_rate`` (credit repair, draw ``i`` of the month's block); leaving clears the
    arrears. A living citizen not listed is listed once their arrears reach ``min_missed``.
    The dead leave the list without counting as exits.

    Returns (living listed, newly listed, repaid, expired, repaired).
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    alive = st.alive
    debt = st.debt
    seen = st.seen
    arrears = st.arrears
    listed = st.listed
    months = st.months
    min_missed = c.min_missed
    term = c.term
    repair_rate = c.repair_rate
    size = inflow = repaid = expired = repaired = 0
    for i in prange(debt.size):
        d = debt[i]
        before = seen[i]
        seen[i] = d
        paid = d < before
        if before > 0 and d >= before and arrears[i] < 65535:
            arrears[i] += 1
        if d <= 0:
            arrears[i] = 0
        living = alive[i] == 1
        if listed[i] == 1:
            if not living:
                listed[i] = 0
            elif d <= 0:
                listed[i] = 0
                repaid += 1
            elif term > 0 and months[i] >= term:
                listed[i] = 0
                expired += 1
            elif paid and repair_rate > 0 and uniform_at(base, i) < repair_rate:
                listed[i] = 0
                repaired += 1
            if listed[i] == 0:
                arrears[i] = 0
        elif living and arrears[i] >= min_missed:
            listed[i] = 1
            inflow += 1
        now = listed[i] == 1
        months[i] = months[i] + 1 if now else 0
        size += now and living
    return size, inflow, repaid, expired, repaired
