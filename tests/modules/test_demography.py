"""The demography module: births, inheritance, deaths."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoresim import Simulation
from tests.modules.conftest import run, sim_of


def _year_of_births(perk_fertility: float) -> tuple[Simulation, NDArray[np.float64]]:
    """A year of a scored society; each citizen's chance of a child at its year end."""
    mods = {"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 0}}
    sim = sim_of({**mods, "demography": {"perk_fertility": perk_fertility}}, agents=20_000)
    for _ in range(11):
        sim.step()
    p = sim.people
    alive, age = p["alive"] == 1, p["age"] + 1  # demography ages everyone first
    base = sim.life_table.fertility(age)
    weight = 1.0 + perk_fertility * p["perk_value"].astype(np.float64) / 1000.0
    fertile = alive & (base > 0)
    chance = np.where(fertile, base * weight / weight[fertile].mean(), 0.0)
    sim.step()
    # The year's dead could not have children: their chance is the survivors' only.
    return sim, chance * (sim.people["alive"][: chance.size] == 1)


def test_perks_shift_who_has_children_not_how_many() -> None:
    born: dict[float, int] = {}
    for strength in (0.0, 3.0):
        sim, chance = _year_of_births(strength)
        p = sim.people
        kids = np.flatnonzero(p["age"] == 0)
        parents = np.zeros(chance.size, dtype=bool)
        parents[p["parent"][kids]] = True
        perked = sim.people["perk_value"][: chance.size] > 0
        for group in (perked, ~perked):  # births in each group: its expected count, +- 4 sd
            expected, sd = chance[group].sum(), np.sqrt((chance * (1 - chance))[group].sum())
            assert abs(np.count_nonzero(parents & group) - expected) < 4 * sd + 1
        born[strength] = kids.size
    expected_total = 20_000 / sim.life_table.survival.sum()  # the table's births a year
    for count in born.values():
        assert abs(count - expected_total) < 4 * np.sqrt(expected_total)


def test_independence_is_inherited() -> None:
    mods = {"scoring": {}, "perks": {}, "enrolment": {"mandate_step": 0}}
    rich = run({**mods, "demography": {"perk_fertility": 3.0}}, steps=36)
    p = rich.people
    kids = p["generation"] > 0
    assert kids.sum() > 80  # about 1.3% a year
    r = np.corrcoef(p["independence"][kids], p["independence"][p["parent"][kids]])[0, 1]
    assert r > 0.3
    assert np.all(p["generation"][kids] == 1)
    assert np.any(p["prospects"][kids] > 1.0)


def test_the_dead_lose_every_tie() -> None:
    sim = run(
        {"demography": {}}, steps=24, agents=2000, society={"life_table": {"mortality_30": 0.05}}
    )
    dead = sim.people["alive"] == 0
    assert dead.sum() > 50
    assert np.all(sim.network.degree()[dead] == 0)
