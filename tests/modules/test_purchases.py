"""The purchases module: approved purchases raise the score; gaming only near a threshold."""

from __future__ import annotations

import numpy as np

from scoresim.modules.common import ADULT_AGE
from tests.modules.conftest import run, sim_of


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
