"""The perks module: who crosses each threshold, the loan, access measures, the Gini."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim.modules.common import ADULT_AGE
from tests.modules.conftest import run, sim_of


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
