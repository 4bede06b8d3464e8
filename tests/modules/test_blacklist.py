"""The blacklist module: listing, sanctions, exits by expiry and credit repair."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from scoresim.modules.blacklist import BlacklistParams, Listing, _list_and_sanction
from scoresim.society.people import BARRABLE_OCCUPATIONS, occupation_code
from tests.modules.conftest import CALM, run, sim_of

WORKER = occupation_code("worker")


def listing(n: int) -> Listing:
    """A list of ``n`` living, enrolled workers, nobody listed yet."""
    f32 = np.float32
    return Listing(
        alive=np.ones(n, np.uint8),
        enrolled=np.ones(n, bool),
        score=np.full(n, 600, f32),
        listed=np.zeros(n, np.uint8),
        months=np.zeros(n, np.uint16),
        listed_publicly=np.zeros(n, np.uint8),
        reach=np.ones(n, f32),
        occupation=np.full(n, WORKER, np.uint8),
        barred=np.zeros(n, np.uint8),
        income=np.full(n, 9000, f32),
        wage=np.full(n, 9000, f32),
        recovered=np.zeros(n, np.uint16),
        spent=np.zeros(n, np.uint8),
    )


def month(st: Listing, scores: Any, **pars: Any) -> tuple[int, ...]:
    """One month of the list with these scores; returns the kernel's counts."""
    st.score[...] = scores
    return tuple(int(x) for x in _list_and_sanction.serial(st, BlacklistParams(**pars).constants()))


def test_exactly_the_enrolled_living_under_the_threshold_are_listed() -> None:
    st = listing(6)
    st.enrolled[4] = False
    st.alive[5] = 0
    size, inflow, *_ = month(st, [449.99, 450, 450.01, 300, 300, 300])
    np.testing.assert_array_equal(st.listed, [1, 0, 0, 1, 0, 0])  # at 450 exactly: not listed
    assert (size, inflow) == (2, 2)
    np.testing.assert_allclose(st.reach, [0.3, 1, 1, 0.3, 1, 1], rtol=1e-6)
    np.testing.assert_array_equal(st.listed_publicly, [1, 0, 0, 1, 0, 0])
    month(st, [449.99, 450, 450.01, 300, 300, 300], public=False)
    np.testing.assert_array_equal(st.listed_publicly, 0)


def test_the_listed_are_barred_from_listed_occupations() -> None:
    st = listing(2)
    st.occupation[:] = occupation_code(BARRABLE_OCCUPATIONS[0])
    month(st, [400, 600])
    assert st.occupation[0] == WORKER and st.barred[0] == 1
    assert st.income[0] == pytest.approx(9000 * 0.6) and st.wage[0] == pytest.approx(5400)
    assert st.occupation[1] != WORKER and st.barred[1] == 0 and st.income[1] == 9000


@pytest.mark.parametrize("term", [1, 3, 7])
def test_a_listing_expires_exactly_after_its_term(term: int) -> None:
    st = listing(1)
    months_listed = 0
    for t in range(term + 2):
        _, inflow, expired, repaired, *_ = month(st, [300], term=term)
        if t < term:
            assert st.listed[0] == 1 and expired == 0
            months_listed += 1
        elif t == term:  # listed in months 0..term-1: term months, then out
            assert st.listed[0] == 0 and expired == 1 and repaired == 0
            assert st.months[0] == 0
        else:  # still under the threshold: no relisting without a fresh fall
            assert st.listed[0] == 0 and inflow == 0 and st.spent[0] == 1
    assert months_listed == term


def test_after_an_exit_a_citizen_is_listed_again_only_on_a_fresh_fall() -> None:
    st = listing(1)
    month(st, [300], term=2)
    month(st, [300], term=2)
    assert month(st, [300], term=2)[2] == 1  # expired
    assert month(st, [440], term=2)[1] == 0  # still under 450: spent
    assert month(st, [450], term=2)[1] == 0 and st.spent[0] == 0  # back at the threshold
    assert month(st, [449], term=2)[1] == 1 and st.listed[0] == 1  # a fresh fall lists again


def test_credit_repair_takes_min_months_running_at_or_above_the_exit_score() -> None:
    pars = {"allow_exit": True, "exit_score": 500, "min_months": 3}
    st = listing(1)
    month(st, [400], **pars)
    assert st.listed[0] == 1
    # Two months over 500, a dip under it (the count starts again), then three running.
    path = [500, 520, 499, 510, 505]
    for s in path:
        _, _, expired, repaired, *_ = month(st, [s], **pars)
        assert st.listed[0] == 1 and repaired == 0 and expired == 0
    _, _, expired, repaired, *_ = month(st, [500], **pars)
    assert st.listed[0] == 0 and repaired == 1 and expired == 0
    assert st.recovered[0] == 0 and st.spent[0] == 0  # 500 >= 450: a new fall may list again
    st2 = listing(1)
    month(st2, [400], allow_exit=True, exit_score=500, min_months=0)
    assert month(st2, [499], allow_exit=True, exit_score=500, min_months=0)[3] == 0
    assert month(st2, [500], allow_exit=True, exit_score=500, min_months=0)[3] == 1


def test_expiry_comes_before_repair_and_the_dead_are_no_exits() -> None:
    pars = {"allow_exit": True, "exit_score": 500, "min_months": 1, "term": 1}
    st = listing(2)
    month(st, [400, 400], **pars)
    st.alive[1] = 0
    _, _, expired, repaired, *_ = month(st, [600, 600], **pars)
    assert (expired, repaired) == (1, 0)
    np.testing.assert_array_equal(st.listed, [0, 0])


def test_with_every_exit_switched_off_nobody_leaves() -> None:
    rng = np.random.default_rng(1)
    st = listing(2000)
    exits = 0
    for _ in range(40):
        out = month(st, rng.uniform(350, 950, 2000), allow_exit=False, term=0)
        exits += out[2] + out[3]
    assert exits == 0 and st.listed.sum() > 0
    assert np.all(st.months[st.listed == 1] >= 1)


MODS: dict[str, dict[str, Any]] = {
    "expression": {"fear": 0.0, "base_rate": 0.9},
    "enrolment": {"mandate_step": 0},
    "scoring": {"violation_penalty": 40},
    "perks": {},
    "economy": {},
}


def test_blacklist_lists_sanctions_and_only_releases_when_allowed() -> None:
    kept = sim_of({**MODS, "blacklist": {}}, steps=24)
    kept.run(until=12)
    listed_then = kept.people["blacklisted"] == 1
    kept.run()
    p = kept.people
    listed = p["blacklisted"] == 1
    assert listed.sum() > 20
    assert np.all(listed[: listed_then.size][listed_then & (p["alive"][: listed_then.size] == 1)])
    assert np.all(p["reach"][listed] == pytest.approx(0.3))
    barrable = np.isin(p["occupation"], [occupation_code(o) for o in BARRABLE_OCCUPATIONS])
    assert not np.any(listed & barrable)
    assert p["barred"].sum() > 0
    assert np.all(p["perks"][listed] == 0)
    m = kept.result().measures
    for name in ("blacklist_exits", "blacklist_expiries", "blacklist_repairs"):
        assert np.nansum(m[name]) == 0
    freed = run(
        {
            **MODS,
            "blacklist": {"allow_exit": True, "min_months": 2},
            "scoring": {"violation_penalty": 40, "expire_after": 2},
        },
        steps=24,
    )
    m = freed.result().measures
    assert np.nansum(m["blacklist_repairs"]) > 0 and np.nansum(m["blacklist_expiries"]) == 0
    np.testing.assert_array_equal(m["blacklist_exits"], m["blacklist_repairs"])


def test_in_a_run_every_expiry_comes_exactly_a_term_after_the_listing() -> None:
    sim = sim_of({**MODS, "blacklist": {"term": 5}}, steps=30)
    p = sim.people
    listed_at: dict[int, int] = {}
    expiries = 0
    for t in range(30):
        before = p["blacklisted"] == 1
        alive_before = p["alive"] == 1
        sim.step()
        now = p["blacklisted"][: before.size] == 1
        for i in np.flatnonzero(~before & now):
            listed_at[int(i)] = t
        for i in np.flatnonzero(before & ~now & (p["alive"][: before.size] == 1)):
            assert t - listed_at[int(i)] == 5
            expiries += 1
        # Everyone still on the list at month t was listed less than 5 months ago.
        for i in np.flatnonzero(now & alive_before[: now.size]):
            assert t - listed_at[int(i)] < 5
        assert sim.result().measures["blacklist_expiries"][t] == np.count_nonzero(
            before & ~now & (p["alive"][: before.size] == 1)
        )
    assert expiries > 0


def test_the_serial_and_parallel_lists_agree() -> None:
    rng = np.random.default_rng(5)
    n = 40_000
    start = listing(n)._replace(
        alive=(rng.random(n) < 0.97).astype(np.uint8),
        enrolled=rng.random(n) < 0.8,
        score=rng.uniform(350, 950, n).astype(np.float32),
        listed=(rng.random(n) < 0.3).astype(np.uint8),
        months=rng.integers(0, 30, n).astype(np.uint16),
        occupation=rng.integers(0, 13, n).astype(np.uint8),
        recovered=rng.integers(0, 5, n).astype(np.uint16),
        spent=(rng.random(n) < 0.2).astype(np.uint8),
    )
    c = BlacklistParams(threshold=600, allow_exit=True, min_months=3, term=12).constants()
    results = []
    for version in (_list_and_sanction.serial, _list_and_sanction.parallel):
        st = Listing._make(a.copy() for a in start)
        counts = version(st, c)
        results.append((tuple(int(x) for x in counts), st))
    assert results[0][0] == results[1][0] and min(results[0][0]) > 0
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_what_listing_would_cost_is_set_for_those_one_post_from_the_list() -> None:
    line = 620.0  # above the default 450: many within a post of it, some holding a perk
    mods = {"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 0}}
    sim = run({**mods, "blacklist": {"threshold": line}, "expression": CALM}, steps=6)
    p = sim.people
    adult = (p["alive"] == 1) & (p["age"] >= 18) & (p["blacklisted"] == 0)
    edge = adult & (p["score"] >= line) & (p["score"] - p["speech_cost"] < line)
    assert edge.any() and (~edge & adult).any()
    barrable = np.isin(p["occupation"], [occupation_code(o) for o in BARRABLE_OCCUPATIONS])
    perks = np.maximum(p["perk_value"] - p["perk_at_stake"], 0.0)
    kept = BlacklistParams().barred_income
    expected = np.where(edge, perks + np.where(barrable, (1 - kept) * p["income"], 0.0), 0.0)
    assert (expected[edge] > 0).any()  # some have perks (or a barrable job) to lose
    np.testing.assert_allclose(p["listing_at_stake"], expected, rtol=1e-5)


def test_what_enrolling_risks_is_the_public_odds_of_ones_kind_times_the_cost() -> None:
    mods = {
        "scoring": {},
        "perks": {},
        "enrolment": {"mandate_step": 1000, "pilot_share": 1.0, "initial_share": 0.5},
        "blacklist": {"threshold": 620.0},
    }
    sim = run({**mods, "expression": CALM}, steps=6)
    p = sim.people
    adult = (p["alive"] == 1) & (p["age"] >= 18)
    enrolled, listed, dissent = p["enrolled"] == 1, p["blacklisted"] == 1, p["dissenter"] == 1
    outside = adult & ~enrolled
    assert outside.any() and (adult & enrolled & listed).any()
    odds = np.where(
        dissent,
        np.mean(listed[adult & enrolled & dissent]),
        np.mean(listed[adult & enrolled & ~dissent]),
    )
    barrable = np.isin(p["occupation"], [occupation_code(o) for o in BARRABLE_OCCUPATIONS])
    kept = BlacklistParams().barred_income
    cost = p["perk_offer"] + np.where(barrable, (1 - kept) * p["income"], 0.0)
    expected = np.where(outside, odds * cost, 0.0)
    assert (expected[outside] > 0).any()
    np.testing.assert_allclose(p["listing_risk"], expected, rtol=1e-5)
