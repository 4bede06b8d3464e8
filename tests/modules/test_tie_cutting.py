"""The tie-cutting module: who is cut, and that private scores stop it."""

from __future__ import annotations

import numpy as np

from tests.modules.conftest import CALM, run


def test_tie_cutting_targets_those_who_drag_scores_down() -> None:
    sim = run(
        {"expression": CALM, "scoring": {}, "enrolment": {"mandate_step": 0}, "tie_cutting": {}},
        steps=12,
    )
    p = sim.people
    violators = p["violations"] > 0
    assert p["ties_lost"].sum() > 0
    assert p["ties_lost"][violators].mean() > 5 * p["ties_lost"][~violators].mean()


def test_private_scores_stop_score_driven_cutting() -> None:
    sim = run(
        {
            "expression": CALM,
            "scoring": {"visibility": "private"},
            "enrolment": {"mandate_step": 0},
            "tie_cutting": {},
        },
        steps=6,
    )
    assert np.nansum(sim.result().measures["ties_cut"]) == 0
