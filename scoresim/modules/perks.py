"""Perks at score thresholds, the instant loan, and who has access to them."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray
from pydantic import field_validator

from scoresim.engine.module import Measure, Module, Params, Phase, State, param
from scoresim.engine.registry import register
from scoresim.engine.simulation import Simulation
from scoresim.modules.common import flag, living_adults

#: The articles' perks, in threshold order; measure names use these thresholds.
PERK_NAMES = ("loan", "car", "singapore", "schengen")
PERK_LABELS = ("600", "650", "700", "750")
NO_NEXT = 1e9  # points to the next perk when none is above


def gini(values: NDArray[np.floating]) -> float:
    """Gini coefficient of non-negative values (0: equal, 1: one holds all)."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    n = v.size
    total = v.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * np.sum(ranks * v) / (n * total)) - (n + 1.0) / n)


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
        if any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("thresholds must increase")
        return v

    @field_validator("values")
    @classmethod
    def _non_negative(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(x < 0 for x in v):
            raise ValueError("values must be >= 0")
        return v

    missed_decay: float = param(
        0.97,
        "monthly retention of the missed-payment record",
        ge=0,
        le=1,
        plausible=(0.9, 0.99),
        why="assumption: negative records fade over a few years",
    )


@register
class Perks(Module):
    """Enrolled, unlisted citizens over a threshold hold its perk; the loan feeds assets."""

    name = "perks"
    phase = Phase.SCORING
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
    measures = (
        *(
            Measure(f"perk_share_{t}", f"share of living adults holding the {t} perk")
            for t in PERK_LABELS
        ),
        *(
            Measure(f"perk_share_{t}_dissenters", f"share of dissenters holding the {t} perk")
            for t in PERK_LABELS
        ),
        *(
            Measure(f"perk_share_{t}_conformers", f"share of conformers holding the {t} perk")
            for t in PERK_LABELS
        ),
        *(
            Measure(f"perk_gap_{t}", f"{t} perk: conformers' share minus dissenters'")
            for t in PERK_LABELS
        ),
        *(
            Measure(f"perk_share_700_q{q}", f"700 perk share in income quintile {q} (1 poorest)")
            for q in range(1, 6)
        ),
        Measure("perk_gini", "Gini of the yearly value of perks held (living adults)"),
        Measure("loans_taken", "instant loans taken this month"),
        Measure("missed_repayments", "loan repayments missed this month"),
    )

    def step(self, sim: Simulation) -> None:
        """Grant perks, run the loan, and measure access."""
        p, people = self.pars, sim.people
        t = np.asarray(p.thresholds, dtype=np.float64)
        v = np.asarray(p.values, dtype=np.float64)
        score = people["score"].astype(np.float64)
        adult = living_adults(people)
        enrolled = flag(people, "enrolled", True)
        listed = flag(people, "blacklisted", False)
        over = score[:, None] >= t[None, :]  # (n, 4)
        eligible = adult & ~listed
        held = over & (eligible & enrolled)[:, None]
        bits = (held * (1 << np.arange(t.size))).sum(axis=1).astype(np.uint8)
        had_loan_perk = (people["perks"] & 1) == 1
        people["perks"] = bits
        people["perk_value"] = held @ v
        people["perk_offer"] = (over & eligible[:, None]) @ v
        cost = people.get("speech_cost", 0.0)
        lost = over & ((score - cost)[:, None] < t[None, :]) & enrolled[:, None]
        people["perk_at_stake"] = lost @ v
        gap = np.where(t[None, :] > score[:, None], t[None, :] - score[:, None], NO_NEXT)
        people["points_to_next_perk"] = gap.min(axis=1)

        loans = self._run_loan(sim, held[:, 0] & ~had_loan_perk)
        self._measure(sim, held, adult, p.values, loans)

    def _run_loan(self, sim: Simulation, newly: NDArray[np.bool_]) -> tuple[int, int]:
        p, people = self.pars, sim.people
        takes = (
            newly
            & (people["loan_taken"] == 0)
            & sim.stream(self, "loan").bernoulli(sim.t, p.loan_takeup, sim.n)
        )
        people["loan_taken"][takes] = 1
        people["assets"][takes] += np.float32(p.loan_amount)
        debt = people["debt"]
        debt[takes] += np.float32(p.loan_amount)
        assets = people["assets"]
        owing = debt > 0
        due = np.minimum(debt, np.float32(p.loan_amount / p.loan_months))
        pays = owing & (assets >= due)
        missed = owing & ~pays
        assets[pays] -= due[pays]
        debt[pays] -= due[pays]
        miss = people["missed_payments"]
        miss *= np.float32(p.missed_decay)
        miss[missed] += 1
        return int(np.count_nonzero(takes)), int(np.count_nonzero(missed))

    def _measure(
        self,
        sim: Simulation,
        held: NDArray[np.bool_],
        adult: NDArray[np.bool_],
        values: tuple[float, ...],
        loans: tuple[int, int],
    ) -> None:
        people = sim.people
        # Group codes: 0 not counted, 1 dissenter, 2 conformer; then 3..7 income quintiles.
        group = np.where(adult, 1 + (people["dissenter"] == 0), 0)
        n_group = np.bincount(group, minlength=3).astype(np.float64)
        held_by_group = np.stack(
            [np.bincount(group, weights=held[:, k], minlength=3) for k in range(held.shape[1])]
        )  # (perk, group)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_diss = held_by_group[:, 1] / n_group[1]
            share_conf = held_by_group[:, 2] / n_group[2]
            share_all = (held_by_group[:, 1] + held_by_group[:, 2]) / (n_group[1] + n_group[2])
        for k, label in enumerate(PERK_LABELS):
            sim.record(f"perk_share_{label}", share_all[k])
            sim.record(f"perk_share_{label}_dissenters", share_diss[k])
            sim.record(f"perk_share_{label}_conformers", share_conf[k])
            sim.record(f"perk_gap_{label}", share_conf[k] - share_diss[k])
        income = people["income"]
        if adult.any():
            edges = np.quantile(income[adult], [0.2, 0.4, 0.6, 0.8])
            quint = np.where(adult, np.searchsorted(edges, income, side="right"), 5)
            n_q = np.bincount(quint, minlength=6)
            held_q = np.bincount(quint, weights=held[:, 2], minlength=6)
            for q in range(5):
                sim.record(f"perk_share_700_q{q + 1}", held_q[q] / n_q[q] if n_q[q] else np.nan)
            sim.record("perk_gini", gini(people["perk_value"][adult]))
        sim.record("loans_taken", float(loans[0]))
        sim.record("missed_repayments", float(loans[1]))
