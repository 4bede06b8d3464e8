"""The enrolment module: pilot regions, roll-out, voluntary where open, then mandatory."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from scoresim.modules.enrolment import EnrolmentParams
from tests.modules.conftest import run, sim_of

SCORE: dict[str, dict[str, Any]] = {"scoring": {}, "perks": {}}


def test_mandate_zero_enrols_every_adult_from_the_start() -> None:
    sim = sim_of({**SCORE, "enrolment": {"mandate_step": 0}}, steps=3)
    p = sim.people
    adult = p["age"] >= 18
    np.testing.assert_array_equal(p["enrolled"] == 1, adult)  # before a step; children later
    sim.run()
    m = sim.result().measures
    np.testing.assert_array_equal(m["enrolled_share"], 1.0)
    np.testing.assert_array_equal(m["regions_open"], 1.0)
    assert np.all(p["enrolled"][adult] == 1) and np.all(p["enrolment_open"] == 1)


def test_the_roll_out_opens_the_configured_share_of_communities_in_one_order() -> None:
    pars = {"pilot_share": 0.2, "open_all_step": 10, "mandate_step": 1000}
    sim = sim_of({**SCORE, "enrolment": pars}, steps=14)
    community = sim.people["community"]
    c = int(community.max()) + 1
    opened_before = np.zeros(c, bool)
    for t in range(14):
        sim.step()
        share = min(1.0, 0.2 + 0.8 * t / 10)
        k = min(c, math.floor(share * c + 0.5))
        assert sim.result().measures["regions_open"][t] == k / c
        open_c = np.zeros(c, bool)
        open_c[community[sim.people["enrolment_open"] == 1]] = True
        # Whole communities open: every citizen of an open community is open, none elsewhere.
        np.testing.assert_array_equal(sim.people["enrolment_open"] == 1, open_c[community])
        assert open_c.sum() == k
        assert np.all(open_c[opened_before])  # an open community stays open
        opened_before = open_c
    assert EnrolmentParams(**pars).open_share(0) == 0.2


def test_a_larger_pilot_opens_the_same_communities_and_more() -> None:
    def pilots(share: float) -> np.ndarray:
        sim = run({**SCORE, "enrolment": {"pilot_share": share, "mandate_step": 1000}}, steps=1)
        return np.unique(sim.people["community"][sim.people["enrolment_open"] == 1])

    small, large = pilots(0.1), pilots(0.4)
    assert small.size > 0 and large.size > small.size
    assert np.all(np.isin(small, large))


def test_nobody_enrols_outside_open_regions_and_all_the_willing_enrol_inside() -> None:
    pars = {
        "pilot_share": 0.2,
        "open_all_step": 6,
        "mandate_step": 1000,
        "initial_share": 0.5,
        "enrol_rate": 1.0,
    }
    sim = sim_of({**SCORE, "enrolment": pars}, steps=8)
    p = sim.people
    joined_any = False
    for _ in range(8):
        before = p["enrolled"] == 1
        adult = (p["alive"] == 1) & (p["age"] >= 18)
        # Enrolment runs before this month's perks: it weighs the offer of the month before.
        willing = adult & (p["perk_offer"] > p["privacy_cost"])
        sim.step()
        open_ = p["enrolment_open"] == 1
        enrolled = p["enrolled"] == 1
        assert not np.any(enrolled & ~open_)  # exactly 0 enrolled where not yet open
        joined = enrolled & ~before
        np.testing.assert_array_equal(joined, willing & open_ & ~before)  # enrol_rate 1
        joined_any |= bool(joined.any())
    assert joined_any


def test_early_adopters_only_in_pilot_regions() -> None:
    sim = sim_of(
        {**SCORE, "enrolment": {"pilot_share": 0.3, "initial_share": 1.0, "mandate_step": 99}}
    )
    p = sim.people
    sim.step()
    adult = p["age"] >= 18
    open_ = p["enrolment_open"] == 1
    assert 0 < open_.mean() < 1
    np.testing.assert_array_equal(p["enrolled"][adult] == 1, open_[adult])


@pytest.mark.parametrize("mandate", [6, 3])
def test_enrolment_becomes_mandatory_everywhere_at_the_mandate(mandate: int) -> None:
    pars = {"mandate_step": mandate, "pilot_share": 0.1, "open_all_step": 48}
    sim = sim_of({**SCORE, "enrolment": pars}, steps=8)
    p = sim.people
    for t in range(8):
        adult = (p["alive"] == 1) & (p["age"] >= 18)
        missing = int(np.count_nonzero(adult & (p["enrolled"] == 0)))
        sim.step()
        m = sim.result().measures
        if t < mandate:
            assert m["enrolled_share"][t] < 1.0 and m["regions_open"][t] < 1.0
        else:  # open everywhere, even though the roll-out would not have finished
            assert m["enrolled_share"][t] == 1.0 and m["regions_open"][t] == 1.0
        if t == mandate:
            assert m["enrolments"][t] == missing
    share = sim.result().measures["enrolled_share"]
    assert share[0] < share[mandate - 1]
