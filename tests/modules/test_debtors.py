"""The list of defaulters: missed instalments list; repayment, expiry and repair release."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from scoresim.core.rng import uniforms_at
from scoresim.modules.debtors import Debtors, DebtorsParams, Review, _review
from tests.modules.conftest import sim_of


def review(n: int) -> Review:
    """The list's state for ``n`` living citizens without loans."""
    return Review(
        alive=np.ones(n, np.uint8),
        debt=np.zeros(n, np.float32),
        seen=np.zeros(n, np.float32),
        arrears=np.zeros(n, np.uint16),
        listed=np.zeros(n, np.uint8),
        months=np.zeros(n, np.uint16),
    )


def month(st: Review, debts: Any, *, base: int = 7, **pars: Any) -> tuple[int, ...]:
    """One month's review with these debts; returns (size, inflow, repaid, expired, repaired)."""
    st.debt[...] = debts
    out = _review.serial(st, np.uint64(base), DebtorsParams(**pars).constants())
    return tuple(int(x) for x in out)


def test_declared_as_a_policy_reading_the_debt() -> None:
    assert Debtors.policy is True
    assert [r.name for r in Debtors.reads] == ["debt"]
    assert {s.name for s in Debtors.states} >= {"listed_debtor", "arrears"}


@pytest.mark.parametrize("k", [1, 3, 5])
def test_a_citizen_is_listed_exactly_at_the_kth_missed_instalment(k: int) -> None:
    st = review(1)
    month(st, [733.3], min_missed=k)  # loan taken, first instalment paid
    for missed in range(1, k + 1):
        _, inflow, *_ = month(st, [733.3], min_missed=k)  # the debt did not fall
        assert st.arrears[0] == missed
        assert st.listed[0] == (missed >= k) and inflow == (missed == k)


def test_paying_does_not_count_as_missing_and_arrears_add_up_across_payments() -> None:
    st = review(1)
    for d in [800, 800, 700, 700, 600]:  # missed, paid, missed, paid (from 800 at t=0)
        month(st, [d], min_missed=3)
    assert st.arrears[0] == 2 and st.listed[0] == 0
    month(st, [600], min_missed=3)  # a third miss, not in a row: listed
    assert st.arrears[0] == 3 and st.listed[0] == 1


def test_repayment_releases_and_clears_the_arrears() -> None:
    st = review(1)
    for d in [800, 800, 800, 800]:
        month(st, [d], min_missed=3, term=0, repair_rate=0.0)
    assert st.listed[0] == 1
    assert month(st, [100], min_missed=3, term=0, repair_rate=0.0)[4] == 0  # paid: still listed
    size, _, repaid, expired, repaired = month(st, [0], min_missed=3, term=0, repair_rate=0.0)
    assert (size, repaid, expired, repaired) == (0, 1, 0, 0)
    assert st.listed[0] == 0 and st.arrears[0] == 0 and st.months[0] == 0


@pytest.mark.parametrize("term", [1, 4])
def test_a_listing_expires_exactly_after_its_term_and_relisting_needs_new_misses(
    term: int,
) -> None:
    pars: dict[str, Any] = {"min_missed": 2, "term": term, "repair_rate": 0.0}
    st = review(1)
    month(st, [800], **pars)
    month(st, [800], **pars)
    month(st, [800], **pars)
    assert st.listed[0] == 1  # listed in this month
    for _ in range(term - 1):
        assert month(st, [800], **pars)[3] == 0 and st.listed[0] == 1
    _, _, repaid, expired, _ = month(st, [800], **pars)  # term months on the list, then out
    assert (repaid, expired) == (0, 1) and st.listed[0] == 0 and st.arrears[0] == 0
    month(st, [800], **pars)
    assert st.listed[0] == 0 and st.arrears[0] == 1
    assert month(st, [800], **pars)[1] == 1  # two new misses: listed again


def test_credit_repair_strikes_off_only_in_months_the_debtor_paid_with_its_chance() -> None:
    n, base = 20_000, 11
    st = review(n)
    for _ in range(4):
        month(st, np.full(n, 800), min_missed=3)
    assert st.listed.all()
    # Half pay this month, half miss; a repair chance of 0.3 for the payers only.
    debts = np.where(np.arange(n) % 2 == 0, 700, 800)
    _, _, repaid, expired, repaired = month(st, debts, base=base, repair_rate=0.3, term=0)
    draws = uniforms_at(np.uint64(base), np.arange(n, dtype=np.int64))
    expected = (np.arange(n) % 2 == 0) & (draws < 0.3)
    np.testing.assert_array_equal(st.listed == 0, expected)
    assert repaired == expected.sum() and repaid == 0 and expired == 0
    assert abs(repaired / (n / 2) - 0.3) < 0.02


def test_with_every_exit_switched_off_only_repayment_releases() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    st = review(n)
    debt = np.full(n, 800.0)
    exits = [0, 0, 0]
    for _ in range(60):
        pay = rng.random(n) < 0.3
        debt = np.where(pay, np.maximum(debt - 100, 0), debt)
        _, _, repaid, expired, repaired = month(st, debt, term=0, repair_rate=0.0)
        exits = [exits[0] + repaid, exits[1] + expired, exits[2] + repaired]
    assert exits[1] == 0 and exits[2] == 0 and exits[0] > 0
    assert np.all(debt[st.listed == 1] > 0)


def test_the_dead_leave_without_counting_and_are_never_listed() -> None:
    st = review(2)
    for _ in range(4):
        month(st, [800, 800], min_missed=3)
    st.alive[:] = 0
    size, inflow, repaid, expired, repaired = month(st, [800, 800], min_missed=3)
    assert (size, inflow, repaid, expired, repaired) == (0, 0, 0, 0, 0)
    assert st.listed.sum() == 0


def test_in_a_run_defaulters_are_listed_after_three_misses_and_leave_on_repayment() -> None:
    mods: dict[str, dict[str, Any]] = {
        "scoring": {},
        "perks": {"loan_takeup": 1.0},
        "enrolment": {"mandate_step": 0},
        "debtors": {"term": 0, "repair_rate": 0.0},
    }
    sim = sim_of(mods, steps=30)
    sim.step()
    p = sim.people
    borrowers = np.flatnonzero(p["debt"] > 0)
    assert borrowers.size > 50
    broke, rich = borrowers[::2], borrowers[1::2]
    p["assets"][broke] = 0.0  # cannot pay: a miss every month
    for t in range(1, 4):
        sim.step()
        assert np.all(p["arrears"][broke] == t)
        assert np.all(p["listed_debtor"][broke] == (t >= 3))
    assert np.all(p["listed_debtor"][rich] == 0)
    m = sim.result().measures
    assert m["debtor_inflow"][3] == broke.size and m["debtor_list_size"][3] == broke.size
    p["assets"][broke] = 1e5  # they pay again: listed until the debt is cleared
    left = np.full(broke.size, -1)
    while sim.t < 30:
        sim.step()
        out = (p["listed_debtor"][broke] == 0) & (left < 0)
        left[out] = sim.t - 1
        living = p["alive"][broke] == 1
        np.testing.assert_array_equal(
            p["listed_debtor"][broke][living] == 0, p["debt"][broke][living] <= 0
        )
    m = sim.result().measures
    assert np.all(left >= 0) and np.all(p["alive"][broke] == 1)  # so every exit counts
    assert np.nansum(m["debtor_repaid"]) == broke.size == np.nansum(m["debtor_exits"])
    assert np.nansum(m["debtor_expiries"]) == 0 and np.nansum(m["debtor_repairs"]) == 0


def test_the_list_is_empty_without_the_perks_module() -> None:
    sim = sim_of({"debtors": {}}, steps=3)
    sim.run()
    m = sim.result().measures
    np.testing.assert_array_equal(m["debtor_list_size"], 0)


def test_the_serial_and_parallel_reviews_agree() -> None:
    rng = np.random.default_rng(4)
    n = 40_000
    start = Review(
        alive=(rng.random(n) < 0.97).astype(np.uint8),
        debt=rng.choice([0.0, 100.0, 800.0], n).astype(np.float32),
        seen=rng.choice([0.0, 100.0, 800.0], n).astype(np.float32),
        arrears=rng.integers(0, 5, n).astype(np.uint16),
        listed=(rng.random(n) < 0.3).astype(np.uint8),
        months=rng.integers(0, 30, n).astype(np.uint16),
    )
    c = DebtorsParams(term=12, repair_rate=0.5).constants()
    results = []
    for version in (_review.serial, _review.parallel):
        st = Review._make(a.copy() for a in start)
        counts = version(st, np.uint64(5), c)
        results.append((tuple(int(x) for x in counts), st))
    assert results[0][0] == results[1][0] and min(results[0][0]) > 0
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(a, b)
