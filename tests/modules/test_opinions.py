"""The opinions module: bounded-confidence discussions, convictions, falsified stances."""

from __future__ import annotations

import numpy as np

from scoresim.modules.opinions import discuss
from tests.modules.conftest import CALM, run, sim_of


def test_a_discussion_moves_each_side_within_the_bound_only() -> None:
    opinion = np.array([0.2, 0.4, 0.1, 0.9, 0.5, 0.5], dtype=np.float32)
    stance = opinion.copy()
    stance[5] = 0.3  # citizen 5 shows less than they think
    u, v = np.array([0, 2, 4]), np.array([1, 3, 5])
    discuss(opinion, stance, u, v, confidence=0.3, convergence=0.25)
    np.testing.assert_allclose(opinion[:2], [0.25, 0.35], rtol=1e-6)  # gap 0.2: both move
    np.testing.assert_allclose(opinion[2:4], [0.1, 0.9])  # gap 0.8: too far, nobody moves
    # 4 moves towards 5's stance (0.3), 5 towards 4's (0.5, its own opinion: no change).
    np.testing.assert_allclose(opinion[4:], [0.45, 0.5], rtol=1e-6)
    opinion[:] = [0.2, 0.5, 0.0, 0.0, 0.0, 0.0]
    stance[:] = opinion
    discuss(opinion, stance, u[:1], v[:1], confidence=0.3, convergence=0.25)
    np.testing.assert_allclose(opinion[:2], [0.2, 0.5])  # gap exactly at the bound: no move


def test_founders_opinions_match_their_dissent_and_leave_the_gap_empty() -> None:
    sim = sim_of({"opinions": {"dissent_threshold": 0.6, "founding_gap": 0.2}})
    p = sim.people
    dissent = p["dissenter"] == 1
    assert np.all(p["opinion"][dissent] >= 0.7) and np.all(p["opinion"][~dissent] < 0.5)
    np.testing.assert_array_equal(p["opinion"], p["anchor"])
    np.testing.assert_array_equal(p["opinion"], p["stance"])


def test_without_a_score_nobody_falsifies_and_dissent_follows_the_opinion() -> None:
    sim = run({"expression": {}, "opinions": {"anchoring": 0.0}}, steps=24)
    p = sim.people
    assert np.all(p["falsifying"] == 0)
    alive = p["alive"] == 1
    np.testing.assert_array_equal(p["stance"][alive], p["opinion"][alive])
    np.testing.assert_array_equal(p["dissenter"][alive] == 1, p["opinion"][alive] >= 0.6)
    assert np.nansum(sim.result().measures["discussions"]) > 0


def test_convictions_pull_opinions_back_at_their_rate() -> None:
    sim = sim_of({"opinions": {"discuss_rate": 0.0, "anchoring": 0.1}})
    p = sim.people
    p["opinion"][:] = 0.0  # everyone knocked off their conviction
    sim.step()
    pull = np.minimum(0.1 * (0.5 + p["independence"]), 1.0)
    np.testing.assert_allclose(p["opinion"], pull * p["anchor"], rtol=1e-5, atol=1e-7)


def test_the_silenced_show_the_mildest_safe_stance_until_they_speak() -> None:
    mods = {
        "expression": {"fear": 40.0},  # the score silences nearly every dissenter
        "scoring": {},
        "enrolment": {"mandate_step": 0},
        "perks": {},
        "opinions": {"reveal_months": 3, "mask_margin": 0.05},
    }
    sim = run(mods, steps=2)
    p = sim.people
    hiding = p["falsifying"] > 0
    assert hiding.any()
    assert np.all(p["dissenter"][hiding] == 1)
    # The mildest safe stance, never more critical than the opinion behind it.
    np.testing.assert_allclose(p["stance"][hiding], np.minimum(0.55, p["opinion"][hiding]))
    shown = ~hiding
    np.testing.assert_array_equal(p["stance"][shown], p["opinion"][shown])
    assert np.all(p["falsifying"] <= 3)
    calm = run({**mods, "expression": CALM}, steps=2)
    assert np.all(calm.people["falsifying"] == 0)  # nobody silenced, nobody hides
