"""The enrolment module: voluntary, then mandatory."""

from __future__ import annotations

import numpy as np

from tests.modules.conftest import run, sim_of


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
    p = sim.people
    before = p["enrolled"] == 1
    # Enrolment runs before this month's perks: it weighs the offer of the month before.
    willing = (p["alive"] == 1) & (p["age"] >= 18) & (p["perk_offer"] > p["privacy_cost"])
    sim.step()
    joined = (p["enrolled"] == 1) & ~before
    assert joined.any()
    np.testing.assert_array_equal(joined, willing & ~before)  # enrol_rate 1: all of them
