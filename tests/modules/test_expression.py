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


def test_each_dissenter_speaks_exactly_when_the_draw_is_under_the_formula() -> None:
    """The decision law, friend by friend: peers, bragging friends, listed friends, cost."""
    from scoresim.core.rng import uniform_at
    from scoresim.modules.expression import (
        LISTED_MARK,
        ExpressionDraws,
        ExpressionInputs,
        ExpressionOutputs,
        ExpressionParams,
        _express,
    )
    from scoresim.society.csr_kernels import Csr

    rng = np.random.default_rng(5)
    n, k = 4000, 6  # a ring lattice: each citizen's friends are the 3 on either side
    rows = np.repeat(np.arange(n), k)
    offsets = np.tile(np.array([-3, -2, -1, 1, 2, 3]), n)
    cols = np.sort(((rows + offsets) % n).reshape(n, k), axis=1).ravel().astype(np.int32)
    csr = Csr(np.arange(0, n * k + 1, k, dtype=np.int64), cols)
    spoke = (rng.random(n) < 0.3).astype(np.float32)
    listed_flag = (rng.random(n) < 0.2).astype(np.float32)
    x = ExpressionInputs(
        seen_weight=spoke + np.float32(LISTED_MARK) * listed_flag,
        adult=np.ones(n, dtype=bool),
        dissenter=np.ones(n, dtype=np.uint8),
        independence=rng.random(n).astype(np.float32),
        speech_cost=rng.uniform(0, 60, n).astype(np.float32),
        perk_at_stake=rng.uniform(0, 800, n).astype(np.float32),
        brag_exposure=rng.random(n).astype(np.float32),
    )
    p = ExpressionParams(alarm=3.0, brag_pressure=1.5, history_share=0.0, news_share=0.0)
    base = np.uint64(12345)
    out = ExpressionOutputs(
        violation_kind=np.zeros(n, np.uint8),
        expressed=np.zeros(n, np.uint8),
        expressions=np.zeros(n, np.uint32),
        self_censored=np.zeros(n, np.uint32),
    )
    _express(n, csr, x, p.constants(), ExpressionDraws(base, base + 1, base + 2), out)
    friends = cols.reshape(n, k)
    share = spoke[friends].mean(axis=1)
    listed = listed_flag[friends].mean(axis=1)
    p0 = np.clip(p.base_rate * (1 + p.independence_weight * (x.independence - 0.5)), 1e-6, 1)
    social = np.log(p0 / (1 - p0)) + p.peer_weight * (share - p.peer_reference)
    social -= p.brag_pressure * x.brag_exposure
    cost = x.speech_cost / 50.0 + x.perk_at_stake / 1000.0
    deter = p.fear * (1.5 - x.independence) * cost * (1 + p.alarm * listed)
    chance = 1 / (1 + np.exp(-(social - deter)))
    u = np.array([uniform_at(base, i) for i in range(n)])
    near = np.abs(u - chance) < 1e-5  # float32 inputs: leave the knife edge out
    np.testing.assert_array_equal((out.expressed == 1)[~near], (u < chance)[~near])
    silenced = (u >= chance) & (u < 1 / (1 + np.exp(-social)))
    np.testing.assert_array_equal((out.self_censored == 1)[~near], silenced[~near])
