"""The life table and the founding population drawn from it: a stationary society."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim import Simulation, parse_scenario
from scoresim.core.errors import InputError, ScenarioError
from scoresim.core.rng import Streams
from scoresim.core.specs import LifeTableSpec
from scoresim.society import build_society
from scoresim.society.lifetable import LifeTable


@pytest.mark.parametrize(
    "spec",
    [
        LifeTableSpec(),
        LifeTableSpec(mortality_30=0.004, mortality_growth=0.06, max_age=90),
        LifeTableSpec(fertility_min=18, fertility_max=45, net_reproduction=1.3),
    ],
)
def test_a_year_of_the_table_reproduces_its_pyramid(spec: LifeTableSpec) -> None:
    """Age everyone, apply mortality at the new age, add the births: the same pyramid.

    An off-by-one in the ages at which mortality or fertility apply breaks this equality.
    """
    life = LifeTable(spec)
    ages = np.arange(spec.max_age + 1, dtype=np.float64)
    now = life.survival.copy()  # counts per age, 1 newborn a year
    aged = np.zeros_like(now)
    aged[1:] = now[:-1] * (1.0 - life.hazard(ages[1:]))
    aged[0] = float((aged * life.fertility(ages)).sum())
    if spec.net_reproduction == 1.0:
        np.testing.assert_allclose(aged, now, rtol=1e-12, atol=1e-15)
    # Children per newborn over a life is the table's net reproduction.
    assert float((now * life.fertility(ages)).sum()) == pytest.approx(spec.net_reproduction)


def test_the_table_is_the_gompertz_law() -> None:
    life = LifeTable(LifeTableSpec(mortality_30=0.001, mortality_growth=0.085, max_age=100))
    ages = np.array([30.0, 38.0, 99.0, 100.0])
    np.testing.assert_allclose(
        life.hazard(ages)[:3], 0.001 * np.exp(0.085 * (ages[:3] - 30)), rtol=1e-12
    )
    assert life.hazard(ages)[3] == 1.0  # nobody outlives max_age
    assert life.survival[0] == 1.0 and life.survival[-1] == 0.0
    assert 70 < life.life_expectancy < 80
    assert life.fertility(np.array([19.0, 20.0, 40.0, 41.0])).tolist() == [
        0.0,
        life.fertility_rate,
        life.fertility_rate,
        0.0,
    ]


def test_founding_ages_follow_the_pyramid_and_children_have_parents() -> None:
    sc = parse_scenario({"society": {"agents": 40_000}})
    soc = build_society(sc.society, Streams(1))
    life = LifeTable(sc.society.life_table)
    p = soc.people
    age = p["age"].astype(np.int64)
    counts = np.bincount(age // 10, minlength=11)[:10]
    expected = np.add.reduceat(life.pyramid(), np.arange(0, 101, 10))[:10] * p.n
    # Each decade's count within 4 binomial sd of the pyramid's.
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected) + 1), (counts, expected)
    kids = np.flatnonzero(p["parent"] >= 0)
    assert np.all(age[kids] < 18)
    assert kids.size > 0.9 * np.count_nonzero(age < 18)
    parent = p["parent"][kids]
    gap = age[parent] - age[kids]
    assert gap.min() >= 20 and gap.max() <= 40
    assert np.array_equal(p["community"][parent], p["community"][kids])
    assert np.all(p["parent"][age >= 18] == -1)
    assert np.all(soc.network.has_ties(kids, parent.astype(np.int64)))  # a parent is a friend
    # The generator drew fewer ties to make room for the parents': the configured degree.
    assert abs(soc.network.degree().mean() - 20.0) < 0.5


def test_life_table_errors_name_the_field() -> None:
    with pytest.raises(ScenarioError, match="fertility_max"):
        parse_scenario({"society": {"life_table": {"fertility_min": 30, "fertility_max": 25}}})
    with pytest.raises(ScenarioError, match="age_max"):
        parse_scenario({"society": {"people": {"age_max": 110}}})


def test_a_table_that_needs_more_than_a_child_a_year_is_refused() -> None:
    table = {"fertility_min": 30, "fertility_max": 30, "net_reproduction": 3.0}
    sc = parse_scenario({"society": {"agents": 100, "life_table": table}})
    with pytest.raises(InputError, match=r"net_reproduction 3 over ages 30-30.*at most 1"):
        Simulation(sc)


def test_the_burn_in_is_whole_years() -> None:
    with pytest.raises(ScenarioError, match="burn_in"):
        parse_scenario({"burn_in": 18})
    assert parse_scenario({"burn_in": 24}).burn_in == 24
