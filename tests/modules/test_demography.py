"""The demography module: births, inheritance, deaths."""

from __future__ import annotations

import numpy as np

from tests.modules.conftest import run


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


def test_the_dead_lose_every_tie() -> None:
    sim = run({"demography": {"mortality_30": 0.05}}, steps=24, agents=2000)
    dead = sim.people["alive"] == 0
    assert dead.sum() > 50
    assert np.all(sim.network.degree()[dead] == 0)
