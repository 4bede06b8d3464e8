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
    sim.step()
    p = sim.people
    enrolled = p["enrolled"] == 1
    assert enrolled.any()
    assert np.all(p["perk_offer"][enrolled] > p["privacy_cost"][enrolled])
