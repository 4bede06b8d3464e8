"""The bragging module: only enrolled high scorers brag."""

from __future__ import annotations

import numpy as np

from tests.modules.conftest import sim_of


def test_only_enrolled_high_scorers_brag() -> None:
    sim = sim_of(
        {"scoring": {}, "enrolment": {"mandate_step": 3}, "bragging": {"rate": 0.5}}, steps=6
    )
    for _ in range(6):
        before = sim.people["brags"].copy()
        sim.step()
        bragged = sim.people["brags"] > before
        assert np.all(sim.people["score"][bragged] >= 700)
        assert np.all(sim.people["enrolled"][bragged] == 1)
    assert sim.people["brags"].sum() > 0
