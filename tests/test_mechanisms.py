"""Each mechanism in isolation, under common random numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from scoresim import Simulation, parse_scenario
from scoresim.modules.common import ADULT_AGE
from scoresim.modules.scoring import pdo_points
from scoresim.society.people import BARRABLE_OCCUPATIONS, occupation_code

CALM = {"fear": 0.0}  # expression that ignores the score, so posts are the same in every run


def sim_of(
    modules: dict[str, dict[str, Any]], steps: int = 12, agents: int = 3000, seed: int = 3
) -> Simulation:
    return Simulation(
        parse_scenario(
            {"seed": seed, "steps": steps, "society": {"agents": agents}, "modules": modules}
        )
    )


def run(modules: dict[str, dict[str, Any]], **kw: Any) -> Simulation:
    sim = sim_of(modules, **kw)
    sim.run()
    return sim


def test_pdo_scaling_matches_the_standard_points() -> None:
    p = np.array([0.05, 0.01, 0.001])
    pts = pdo_points(np.log((1 - p) / p), 600, 19, 50)
    np.testing.assert_allclose(pts, [600, 719, 886], atol=0.6)


@pytest.mark.parametrize(
    ("preset", "lo", "hi"), [("social-credit", 350, 950), ("ability-to-pay", 300, 850)]
)
def test_scores_stay_in_range_with_five_components(preset: str, lo: float, hi: float) -> None:
    from scoresim import load_scenario

    sim = Simulation(load_scenario(preset, {"society.agents": 2000, "steps": 6}))
    sim.run()
    s = sim.people["score"][sim.people["age"] >= ADULT_AGE]
    assert s.min() >= lo and s.max() <= hi
    parts = sum(
        sim.people[f"score_{c}"]
        for c in ("credit_history", "fulfilment", "behaviour", "identity", "relationships")
    )
    rebuilt = np.clip(
        lo + parts - sim.people["score_penalty"] - sim.people["score_spillover"], lo, hi
    )
    np.testing.assert_allclose(rebuilt, sim.people["score"], atol=0.01)


def test_violations_lower_the_score_by_the_penalty_and_memory_decays() -> None:
    mods = {"expression": CALM, "scoring": {"w_relationships": 0.0, "spillover_penalty": 0.0}}
    with_pen = sim_of(mods)
    without = sim_of({"expression": CALM, "scoring": {**mods["scoring"], "violation_penalty": 0}})
    mem_before = None
    for _ in range(12):
        mem_before = with_pen.people["violation_memory"].copy()
        with_pen.step()
        without.step()
    p = with_pen.people
    kinds = p["violation_kind"]
    added = np.array([0, 1.0, 1.0, 0.7], dtype=np.float32)[kinds]
    np.testing.assert_allclose(p["violation_memory"], 0.95 * mem_before + added, rtol=1e-5)
    violators = p["violations"] > 0
    assert violators.sum() > 50
    np.testing.assert_array_equal(p["violations"], without.people["violations"])  # same posts
    gap = without.people["score"] - p["score"]
    unclamped = violators & (p["score"] > 350)
    np.testing.assert_allclose(gap[unclamped], 15 * p["violation_memory"][unclamped], atol=0.05)
    assert np.all(gap[~violators] == 0)


def test_expiry_wipes_old_violations() -> None:
    sim = run({"expression": CALM, "scoring": {"expire_after": 3}}, steps=24)
    p = sim.people
    old = p["months_since_violation"] >= 3
    assert old.any() and np.all(p["violation_memory"][old] == 0)
    assert np.any(p["violation_memory"][~old] > 0)


def test_spillover_lowers_never_violators_with_violating_friends() -> None:
    base = {"expression": CALM, "scoring": {"w_relationships": 0.0}}
    on = run(base)
    off = run({"expression": CALM, "scoring": {"w_relationships": 0.0, "spillover_penalty": 0}})
    p = on.people
    clean = (p["violations"] == 0) & (p["age"] >= ADULT_AGE)
    from scoresim.society.gather import neighbour_sum

    exposed = clean & (neighbour_sum(on.network, p["violation_memory"]) > 0)
    assert exposed.sum() > 100
    loss = off.people["score"][exposed] - p["score"][exposed]
    assert np.all(loss > 0)
    np.testing.assert_allclose(loss, p["score_spillover"][exposed], atol=0.05)
    unexposed = clean & ~exposed
    np.testing.assert_array_equal(off.people["score"][unexposed], p["score"][unexposed])


def test_approved_purchases_raise_and_gaming_happens_only_near_a_threshold() -> None:
    mods = {"scoring": {}, "perks": {}, "purchases": {"gaming_rate": 0.0}}
    thrifty = run({**mods, "purchases": {"approved_rate": 0.6, "gaming_rate": 0.0}}, steps=6)
    gamer_free = run(mods, steps=6)
    assert thrifty.people["score_behaviour"].mean() > gamer_free.people["score_behaviour"].mean()
    assert np.nansum(gamer_free.result().measures["gaming_purchases"]) == 0
    sim = sim_of({**mods, "purchases": {"gaming_rate": 1.0, "gaming_window": 20}}, steps=3)
    sim.step()
    gap = sim.people["points_to_next_perk"].copy()
    adult = sim.people["age"] >= ADULT_AGE
    sim.step()
    gamed = sim.people["gamed"] > 0
    assert gamed.any()
    assert np.array_equal(gamed, adult & (gap > 0) & (gap <= 20))


def test_perks_follow_thresholds_and_the_loan_feeds_assets() -> None:
    mods = {"scoring": {}, "perks": {"loan_takeup": 1.0}, "enrolment": {"mandate_step": 0}}
    took = sim_of(mods, steps=2)
    none = sim_of({**mods, "perks": {"loan_takeup": 0.0}}, steps=2)
    took.step()
    none.step()
    p = took.people
    held = (p["perks"][:, None] >> np.arange(4)) & 1
    over = p["score"][:, None] >= np.array([600, 650, 700, 750])
    adult = (p["age"] >= ADULT_AGE)[:, None]
    np.testing.assert_array_equal(held == 1, over & adult)
    np.testing.assert_allclose(p["perk_value"], held @ np.array([100, 150, 300, 600.0]))
    takers = p["loan_taken"] == 1
    assert takers.sum() > 100 and np.all(held[takers, 0] == 1)
    diff = p["assets"][takers] - none.people["assets"][takers]
    np.testing.assert_allclose(diff, 800 - 800 / 12, rtol=1e-3)


def test_enrolment_is_voluntary_then_mandatory() -> None:
    sim = run({"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 6}}, steps=8)
    share = sim.result().measures["enrolled_share"]
    assert share[0] < share[5] < 1.0
    assert share[6] == 1.0 and share[7] == 1.0


def test_voluntary_enrolment_needs_perks_above_the_privacy_cost() -> None:
    sim = sim_of(
        {
            "scoring": {},
            "perks": {},
            "enrolment": {"mandate_step": 1000, "initial_share": 0.0, "enrol_rate": 1.0},
        }
    )
    sim.step()
    sim.step()
    p = sim.people
    enrolled = p["enrolled"] == 1
    assert enrolled.any()
    assert np.all(p["perk_offer"][enrolled] > p["privacy_cost"][enrolled])


def test_self_censorship_is_monotone_in_fear() -> None:
    mods = {"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 0}}
    spoke = {}
    for fear in (0.0, 1.5, 4.0):
        sim = sim_of({**mods, "expression": {"fear": fear}}, steps=1)
        sim.step()
        spoke[fear] = sim.people["expressed"] == 1
    # Same draws: anyone who speaks under more fear speaks under less.
    assert np.all(spoke[4.0] <= spoke[1.5]) and np.all(spoke[1.5] <= spoke[0.0])
    assert spoke[4.0].sum() < spoke[0.0].sum()


def test_independent_and_emboldened_dissenters_speak_more() -> None:
    sim = run({"expression": {}}, steps=12)
    p = sim.people
    d = (p["dissenter"] == 1) & (p["age"] >= ADULT_AGE)
    ind = p["independence"][d]
    n = p["expressions"][d]
    assert n[ind > 0.6].mean() > n[ind < 0.4].mean()


def test_tie_cutting_targets_those_who_drag_scores_down() -> None:
    sim = run(
        {"expression": CALM, "scoring": {}, "enrolment": {"mandate_step": 0}, "tie_cutting": {}},
        steps=12,
    )
    p = sim.people
    violators = p["violations"] > 0
    assert p["ties_lost"].sum() > 0
    assert p["ties_lost"][violators].mean() > 5 * p["ties_lost"][~violators].mean()


def test_private_scores_stop_score_driven_cutting() -> None:
    sim = run(
        {
            "expression": CALM,
            "scoring": {"visibility": "private"},
            "enrolment": {"mandate_step": 0},
            "tie_cutting": {},
        },
        steps=6,
    )
    assert np.nansum(sim.result().measures["ties_cut"]) == 0


def test_blacklist_lists_sanctions_and_only_releases_when_allowed() -> None:
    mods = {
        "expression": {"fear": 0.0, "base_rate": 0.9},
        "enrolment": {"mandate_step": 0},
        "scoring": {"violation_penalty": 40},
        "perks": {},
        "economy": {},
    }
    kept = sim_of({**mods, "blacklist": {}}, steps=24)
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
    assert np.nansum(kept.result().measures["blacklist_exits"]) == 0
    freed = run(
        {
            **mods,
            "blacklist": {"allow_exit": True, "min_months": 2},
            "scoring": {"violation_penalty": 40, "expire_after": 2},
        },
        steps=24,
    )
    assert np.nansum(freed.result().measures["blacklist_exits"]) > 0


def test_only_enrolled_high_scorers_brag() -> None:
    sim = sim_of(
        {"scoring": {}, "enrolment": {"mandate_step": 3}, "bragging": {"rate": 0.5}}, steps=6
    )
    for _ in range(6):
        before = sim.people["brags"].copy()
        sim.step()
        bragged = sim.people["brags"] > before
        assert np.all(sim.people["score"][bragged] >= 700)
        assert np.all(sim.people["enrolled"][bragged] == 1)
    assert sim.people["brags"].sum() > 0


def test_births_rise_with_perks_and_independence_is_inherited() -> None:
    mods = {"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 0}}
    rich = run({**mods, "demography": {"perk_fertility": 3.0}}, steps=36)
    flat = run({**mods, "demography": {"perk_fertility": 0.0}}, steps=36)
    births = lambda s: np.nansum(s.result().measures["births"])  # noqa: E731
    assert births(rich) > 1.1 * births(flat)
    p = rich.people
    kids = p["parent"] >= 0
    assert kids.sum() > 200
    r = np.corrcoef(p["independence"][kids], p["independence"][p["parent"][kids]])[0, 1]
    assert r > 0.3
    assert np.all(p["generation"][kids] == 1)
    assert np.any(p["prospects"][kids] > 1.0)


def test_access_measures_equal_a_direct_count() -> None:
    sim = run({"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 0}}, steps=3)
    final = sim.result().final()
    p = sim.people
    adult = (p["alive"] == 1) & (p["age"] >= ADULT_AGE)
    has700 = (p["perks"] >> 2) & 1
    diss = adult & (p["dissenter"] == 1)
    conf = adult & (p["dissenter"] == 0)
    assert final["perk_share_700_dissenters"] == pytest.approx(has700[diss].mean())
    assert final["perk_gap_700"] == pytest.approx(has700[conf].mean() - has700[diss].mean())
    assert final["perk_share_600"] == pytest.approx((p["perks"][adult] & 1).mean())
    income = p["income"][adult]
    poorest = income <= np.quantile(income, 0.2)
    assert final["perk_share_700_q1"] == pytest.approx(has700[adult][poorest].mean(), abs=0.01)
    values = np.sort(p["perk_value"][adult].astype(np.float64))
    n = values.size
    lorenz = np.sum((2 * np.arange(1, n + 1) - n - 1) * values) / (n * values.sum())
    assert final["perk_gini"] == pytest.approx(lorenz)


def test_gini_from_counts_equals_gini_of_the_expanded_values() -> None:
    from scoresim.modules.perks import gini_of_counts

    def gini(v: np.ndarray) -> float:  # the textbook formula on the expanded values
        v = np.sort(v)
        n = v.size
        return float(2 * np.sum(np.arange(1, n + 1) * v) / (n * v.sum()) - (n + 1) / n)

    rng = np.random.default_rng(3)
    values = rng.choice([0.0, 100.0, 250.0, 550.0, 1150.0], size=7)
    counts = rng.integers(0, 50, size=7)
    expanded = np.repeat(values, counts)
    assert gini_of_counts(values, counts) == pytest.approx(gini(expanded), abs=1e-12)


def test_expression_measures_equal_a_recount() -> None:
    sim = sim_of(
        {"scoring": {}, "perks": {}, "expression": {}, "enrolment": {"mandate_step": 0}},
        steps=3,
        agents=4000,
    )
    for _ in range(3):
        sim.step()
    p = sim.people
    adult = (p["alive"] == 1) & (p["age"] >= ADULT_AGE)
    want = adult & (p["dissenter"] == 1)
    final = sim.result().final()
    assert final["expression_rate"] == pytest.approx(np.mean(p["expressed"][want] == 1))
    conf = adult & (p["dissenter"] == 0)
    assert final["news_rate"] == pytest.approx(np.mean(p["expressed"][conf] == 1))
    assert np.all(p["violation_kind"][p["expressed"] == 1] > 0)
    assert np.all(p["violation_kind"][p["expressed"] == 0] == 0)


def test_binned_percentiles_are_within_a_bin_of_numpy() -> None:
    from scoresim.modules.scoring import PERCENTILE_BIN, QUANTILES, binned_percentiles

    s = np.random.default_rng(2).normal(640, 60, 50_000).clip(350, 950).astype(np.float32)
    exact = np.percentile(s, QUANTILES)
    got = binned_percentiles(s, 350, 950)
    assert np.all(np.abs(np.array(got) - exact) <= PERCENTILE_BIN)


def test_the_dead_lose_every_tie() -> None:
    sim = run({"demography": {"mortality_30": 0.05}}, steps=24, agents=2000)
    dead = sim.people["alive"] == 0
    assert dead.sum() > 50
    assert np.all(sim.network.degree()[dead] == 0)
