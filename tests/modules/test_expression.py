"""The expression module: self-censorship, independence, measures against a recount."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim.modules.common import ADULT_AGE
from tests.modules.conftest import run, sim_of


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
