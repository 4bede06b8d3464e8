"""Perks at score thresholds, the instant loan, and who has access to them."""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import numpy as np
from numba import prange
from numpy.typing import NDArray
from pydantic import field_validator

from scoresim.core.context import Context
from scoresim.core.declare import Mark, Measure, Module, Params, Phase, Read, State, param
from scoresim.core.kernels import twin
from scoresim.core.registry import register
from scoresim.core.rng import uniform_at
from scoresim.modules.common import flag, living_adults

#: The articles' thresholds, in order: the perks' identifiers in measure names, whatever
#: thresholds a scenario sets (labels show the scenario's own).
PERK_IDS = ("600", "650", "700", "750")
#: What each perk is, in threshold order.
PERK_TITLES = ("instant loan", "car without deposit", "Singapore permit", "Schengen visa")
#: Ordinals naming the perks in descriptions (which, unlike labels, are not filled in).
_ORDINALS = ("first", "second", "third", "fourth")
#: Whom a perk share counts: (measure name suffix, words in the description, label).
_PERK_GROUPS = (
    ("", "s", "adults"),
    ("_dissenters", " dissenters", "dissenters"),
    ("_conformers", " conformers", "conformers"),
)
NO_NEXT = 1e9  # points to the next perk when none is above


def gini_of_counts(values: NDArray[np.floating], counts: NDArray[np.integer]) -> float:
    """Gini coefficient of a population where ``counts[i]`` people hold ``values[i]``."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=np.float64)[order]
    c = np.asarray(counts, dtype=np.float64)[order]
    n = c.sum()
    total = (v * c).sum()
    if n == 0 or total <= 0:
        return 0.0
    # Sum over people of (2 rank - n - 1) v, with ranks of equal values contiguous.
    first = np.cumsum(c) - c  # people ranked before each value
    rank_sum = c * (2 * first + c + 1) / 2  # sum of 1-based ranks within each value
    return float((2 * (v * rank_sum).sum() - (n + 1) * total) / (n * total))


#: Citizens per chunk of the parallel perk count.
_CHUNK = 1 << 16


F64 = NDArray[np.float64]
F32 = NDArray[np.float32]


class PerksConstants(NamedTuple):
    """What the perks' kernels take of the parameters (:meth:`PerksParams.constants`).

    Attributes:
        thresholds: Score unlocking each perk, ascending.
        values: Yearly value of each perk to its holder, USD.
        loan_takeup: Chance a citizen takes the loan when first eligible.
        loan_amount: The instant loan, USD.
        instalment: Monthly repayment, USD.
        missed_decay: Monthly retention of the missed-payment record.
    """

    thresholds: F64
    values: F64
    loan_takeup: float
    loan_amount: float
    instalment: float
    missed_decay: float


class GrantInputs(NamedTuple):
    """What perks and access depend on (read only).

    Attributes:
        score: The score.
        adult: Whether a living adult.
        enrolled: Whether enrolled in the score.
        listed: Whether on the blacklist or the list of defaulters.
        dissenter: 1 for would-be dissenters.
        speech_cost: Points one more opinion post would cost.
        income: Yearly income, USD.
        edges: This year's income quintile bounds (4 values).
    """

    score: NDArray[Any]
    adult: NDArray[np.bool_]
    enrolled: NDArray[np.bool_]
    listed: NDArray[np.bool_]
    dissenter: NDArray[np.uint8]
    speech_cost: NDArray[Any]
    income: NDArray[Any]
    edges: F64


class GrantOutputs(NamedTuple):
    """What :func:`_grant` writes for each citizen (the module's states)."""

    perks: NDArray[np.uint8]
    value: F32
    offer: F32
    at_stake: F32
    to_next: F32


class Loans(NamedTuple):
    """The instant loan's per-citizen state, updated in place by :func:`_loan`."""

    taken: NDArray[np.uint8]
    assets: F32
    debt: F32
    missed: F32


@twin
def _grant(x: GrantInputs, consts: PerksConstants, out: GrantOutputs) -> Any:
    """Grant perks and count access, in one pass over the citizens.

    Writes perks held, their value, the offer, the stake of one post and the gap to the next
    threshold; returns the counts the access measures need (by group, income quintile and
    perk combination). Citizens are split into fixed chunks counted in parallel; the counts
    are integers, so their totals do not depend on the number of threads.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    score = x.score
    adult = x.adult
    enrolled = x.enrolled
    listed = x.listed
    dissenter = x.dissenter
    speech = x.speech_cost
    income = x.income
    edges = x.edges
    thresholds = consts.thresholds
    values = consts.values
    bits_out = out.perks
    value_out = out.value
    offer_out = out.offer
    stake_out = out.at_stake
    gap_out = out.to_next
    k_perks = thresholds.size
    chunks = (score.size + _CHUNK - 1) // _CHUNK
    group_n = np.zeros((chunks, 3))
    group_held = np.zeros((chunks, 3, k_perks))
    quint_n = np.zeros((chunks, 5))
    quint_held = np.zeros((chunks, 5))
    by_bits = np.zeros((chunks, 16), dtype=np.int64)
    for c in prange(chunks):
        for i in range(c * _CHUNK, min(score.size, (c + 1) * _CHUNK)):
            s = score[i]
            eligible = adult[i] and not listed[i]
            held_ok = eligible and enrolled[i]
            bits = 0
            value = 0.0
            offer = 0.0
            stake = 0.0
            gap = NO_NEXT
            for k in range(k_perks):
                t = thresholds[k]
                if s >= t:
                    if eligible:
                        offer += values[k]
                    if held_ok:
                        bits |= 1 << k
                        value += values[k]
                    if enrolled[i] and s - speech[i] < t:
                        stake += values[k]
                elif t - s < gap:
                    gap = t - s
            bits_out[i] = bits
            value_out[i] = value
            offer_out[i] = offer
            stake_out[i] = stake
            gap_out[i] = gap
            if adult[i]:
                g = 1 if dissenter[i] == 1 else 2
                group_n[c, g] += 1
                by_bits[c, bits] += 1
                q = 0
                while q < 4 and income[i] > edges[q]:
                    q += 1
                quint_n[c, q] += 1
                if bits >> 2 & 1:
                    quint_held[c, q] += 1
                for k in range(k_perks):
                    if bits >> k & 1:
                        group_held[c, g, k] += 1
    return (
        group_n.sum(axis=0),
        group_held.sum(axis=0),
        quint_n.sum(axis=0),
        quint_held.sum(axis=0),
        by_bits.sum(axis=0),
    )


@twin
def _loan(
    bits: NDArray[np.uint8],
    had: NDArray[np.bool_],
    loans: Loans,
    base: np.uint64,
    c: PerksConstants,
) -> tuple[int, int]:
    """The instant loan: taken on first reaching the 600 perk, repaid monthly from assets.

    Returns (loans taken, repayments missed) this month.
    """
    # One field a statement: see scoresim.core.kernels on named tuples in parallel loops.
    taken = loans.taken
    assets = loans.assets
    debt = loans.debt
    missed = loans.missed
    takeup = c.loan_takeup
    amount = c.loan_amount
    instalment = c.instalment
    decay = c.missed_decay
    n_taken = 0
    n_missed = 0
    for i in prange(bits.size):
        if bits[i] & 1 and not had[i] and taken[i] == 0 and uniform_at(base, i) < takeup:
            taken[i] = 1
            assets[i] += amount
            debt[i] += amount
            n_taken += 1
        missed[i] *= decay
        if debt[i] > 0:
            due = min(debt[i], instalment)
            if assets[i] >= due:
                assets[i] -= due
                debt[i] -= due
            else:
                missed[i] += 1
                n_missed += 1
    return n_taken, n_missed


class PerksParams(Params):
    """Thresholds and values of the perks, and the terms of the instant loan."""

    thresholds: tuple[float, float, float, float] = param(
        (600, 650, 700, 750),
        "scores unlocking loan, car, Singapore permit, Schengen visa",
        why="the articles: 600, 650, 700, 750",
    )
    values: tuple[float, float, float, float] = param(
        (100, 150, 300, 600),
        "yearly value of each perk to its holder, USD",
        plausible=(0.5, 2.0),
        why="assumption: deposit saved, visa time and fees; plausible range is a multiplier",
    )
    loan_amount: float = param(
        800, "instant loan without collateral, USD", ge=0, le=1e6, why="the articles: about $800"
    )
    loan_months: int = param(
        12, "months to repay the loan", ge=1, le=120, why="assumption: a one-year consumer loan"
    )
    loan_takeup: float = param(
        0.3,
        "chance a citizen takes the loan when first eligible",
        ge=0,
        le=1,
        plausible=(0.1, 0.6),
        why="assumption",
    )

    @field_validator("thresholds")
    @classmethod
    def _ascending(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        # Written so that nan fails every test (a comparison with nan is always False).
        if not all(0 <= x <= 2000 for x in v):
            raise ValueError("thresholds must be scores from 0 to 2000")
        if any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("thresholds must increase")
        return v

    @field_validator("values")
    @classmethod
    def _non_negative(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0 <= x <= 1e6 for x in v):
            raise ValueError("values must be from 0 to 1e6 USD a year")
        return v

    missed_decay: float = param(
        0.97,
        "monthly retention of the missed-payment record",
        ge=0,
        le=1,
        plausible=(0.9, 0.99),
        why="assumption: negative records fade over a few years",
    )

    def constants(self) -> PerksConstants:
        """The parameters as the perks' kernels take them."""
        return PerksConstants(
            thresholds=np.asarray(self.thresholds, dtype=np.float64),
            values=np.asarray(self.values, dtype=np.float64),
            loan_takeup=float(self.loan_takeup),
            loan_amount=float(self.loan_amount),
            instalment=float(self.loan_amount / self.loan_months),
            missed_decay=float(self.missed_decay),
        )


@register
class Perks(Module):
    """Enrolled, unlisted citizens over a threshold hold its perk; the loan feeds assets."""

    name = "perks"
    phase = Phase.SCORING
    policy = True
    order = 110  # after the score is computed
    Params = PerksParams
    pars: PerksParams
    states = (
        State("perks", np.uint8, 0, "bit k set if perk k is held"),
        State("perk_value", np.float32, 0, "yearly value of perks held, USD"),
        State("perk_offer", np.float32, 0, "yearly value of perks the score would unlock"),
        State("perk_at_stake", np.float32, 0, "value lost if one more post cut the score"),
        State("points_to_next_perk", np.float32, NO_NEXT, "points below the next threshold"),
        State("debt", np.float32, 0, "outstanding loan, USD"),
        State("loan_taken", np.uint8, 0, "1 once the instant loan was taken"),
        State("missed_payments", np.float32, 0, "decaying count of missed repayments"),
    )
    reads = (
        Read("score"),  # perks unlock at score thresholds
        Read("enrolled", 1),  # without enrolment, everyone holds the perks of their score
        Read("blacklisted", 0),  # without a blacklist, nobody is barred from them
        Read("listed_debtor", 0),  # without the list of defaulters, nobody is barred for debt
        Read("speech_cost", 0),  # without a score, a post puts nothing at stake
    )
    streams = ("loan",)
    measures = (
        *(
            Measure(
                f"perk_share_{pid}{suffix}",
                f"share of living adult{who} holding the {_ORDINALS[k]} perk ({PERK_TITLES[k]})",
                label=f"{group} over {{thresholds[{k}]:g}} ({PERK_TITLES[k]})",
                kind="share",
                headline=pid == "700" and not suffix,
            )
            for suffix, who, group in _PERK_GROUPS
            for k, pid in enumerate(PERK_IDS)
        ),
        *(
            Measure(
                f"perk_gap_{pid}",
                f"conformers' share holding the {_ORDINALS[k]} perk ({PERK_TITLES[k]}) "
                "minus dissenters' share",
                label=f"conformers' minus dissenters' share over {{thresholds[{k}]:g}}",
                # A difference of two shares: from -1 to 1, so not a share itself.
                kind="number",
                unit="share difference",
                better="lower",
                headline=pid == "700",
            )
            for k, pid in enumerate(PERK_IDS)
        ),
        *(
            Measure(
                f"perk_share_700_q{q}",
                f"share of living adults holding the third perk ({PERK_TITLES[2]}) in income "
                f"quintile {q} (1 poorest)",
                label=f"adults over {{thresholds[2]:g}} in income quintile {q} (1 poorest)",
                kind="share",
            )
            for q in range(1, 6)
        ),
        Measure(
            "perk_gini",
            "Gini coefficient of the yearly value of perks held by living adults",
            label="inequality of perks (Gini)",
            kind="ratio",
            bounds=(0.0, 1.0),
            better="lower",
            headline=True,
        ),
        Measure(
            "loans_taken",
            "instant loans taken this month",
            label="instant loans taken",
            kind="count",
            unit="loans",
        ),
        Measure(
            "missed_repayments",
            "loan repayments missed this month",
            label="loan repayments missed",
            kind="count",
            unit="repayments",
            better="lower",
        ),
    )

    _edges: NDArray[np.float64] | None = None  # income quintile bounds of this year

    def get_state(self) -> dict[str, NDArray[Any]]:
        """This year's income quintile bounds."""
        return {} if self._edges is None else {"edges": self._edges}

    def set_state(self, state: dict[str, NDArray[Any]]) -> None:
        """Restore the quintile bounds.

        Raises:
            ValueError: If they are not four ascending numbers (the kernel reads four, and
                reading past the end of an array there reads other memory).
        """
        edges = state.get("edges")
        if edges is not None:
            edges = np.asarray(edges)
            if (
                edges.shape != (4,)
                or edges.dtype.kind != "f"
                or not np.all(np.diff(edges) >= 0)  # nan fails
            ):
                raise ValueError("edges must be four ascending income bounds")
            edges = edges.astype(np.float64)
        self._edges = edges

    def marks(self) -> tuple[Mark, ...]:
        """Each perk's threshold on the score, labelled with what it unlocks."""
        p = self.pars
        titles = (f"{PERK_TITLES[0]} (${p.loan_amount:,.0f})", *PERK_TITLES[1:])
        return tuple(
            Mark("score", t, title, kind="perk", key=pid)
            for t, title, pid in zip(p.thresholds, titles, PERK_IDS, strict=True)
        )

    def step(self, ctx: Context) -> None:
        """Grant perks, run the loan, and measure access."""
        p, people = self.pars, ctx.people
        adult = living_adults(people)
        income = people["income"]
        if ctx.t % 12 == 0 or self._edges is None:  # income quintiles, set once a year
            self._edges = (
                np.quantile(income[adult], [0.2, 0.4, 0.6, 0.8]) if adult.any() else np.zeros(4)
            )
        edges = self._edges
        had_loan_perk = (people["perks"] & 1) == 1
        x = GrantInputs(
            score=ctx.read("score"),
            adult=adult,
            enrolled=flag(ctx, "enrolled"),
            listed=flag(ctx, "blacklisted") | flag(ctx, "listed_debtor"),
            dissenter=people["dissenter"],
            speech_cost=ctx.read("speech_cost"),
            income=income,
            edges=edges,
        )
        out = GrantOutputs(
            perks=people["perks"],
            value=people["perk_value"],
            offer=people["perk_offer"],
            at_stake=people["perk_at_stake"],
            to_next=people["points_to_next_perk"],
        )
        counts = _grant(ctx.n, x, p.constants(), out)
        loans = self._run_loan(ctx, had_loan_perk)
        self._measure(ctx, counts, loans)

    def _run_loan(self, ctx: Context, had_loan_perk: NDArray[np.bool_]) -> tuple[int, int]:
        """Run the instant loan; returns (loans taken, repayments missed) this month."""
        p, people = self.pars, ctx.people
        loans = Loans(
            taken=people["loan_taken"],
            assets=people["assets"],
            debt=people["debt"],
            missed=people["missed_payments"],
        )
        base = ctx.stream("loan").base(ctx.t)
        taken, missed = _loan(ctx.n, people["perks"], had_loan_perk, loans, base, p.constants())
        return int(taken), int(missed)

    def _measure(self, ctx: Context, counts: Any, loans: tuple[int, int]) -> None:
        """Record access to the perks from the counts of ``_grant``, and the loans."""
        group_n, group_held, quint_n, quint_held, by_bits = counts
        with np.errstate(invalid="ignore", divide="ignore"):
            share_diss = group_held[1] / group_n[1]
            share_conf = group_held[2] / group_n[2]
            share_all = (group_held[1] + group_held[2]) / (group_n[1] + group_n[2])
            share_q = quint_held / quint_n
        for k, pid in enumerate(PERK_IDS):
            ctx.record(f"perk_share_{pid}", share_all[k])
            ctx.record(f"perk_share_{pid}_dissenters", share_diss[k])
            ctx.record(f"perk_share_{pid}_conformers", share_conf[k])
            ctx.record(f"perk_gap_{pid}", share_conf[k] - share_diss[k])
        if group_n[1] + group_n[2] > 0:
            for q in range(5):
                ctx.record(f"perk_share_700_q{q + 1}", share_q[q])
            # Perk value takes one of 16 values (a subset of four perks): Gini by counting.
            values = np.array(
                [sum(v for k, v in enumerate(self.pars.values) if b >> k & 1) for b in range(16)]
            )
            ctx.record("perk_gini", gini_of_counts(values, by_bits))
        ctx.record("loans_taken", float(loans[0]))
        ctx.record("missed_repayments", float(loans[1]))
