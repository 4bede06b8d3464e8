"""The blacklist module: listing, sanctions, exits."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim.society.people import BARRABLE_OCCUPATIONS, occupation_code
from tests.modules.conftest import run, sim_of


def test_blacklist_lists_sanctions_and_only_releases_when_allowed() -> None:
    mods = {
        "expression": {"fear": 0.0, "base_rate": 0.9},
        "enrolment": {"mandate_step": 0},
        "scoring": {"violation_penalty": 40},
        "perks": {},
        "economy": {},
    }
    kept = sim_of({**mods, "blacklist": {}}, steps=24)
    kept.run(until=12)
    listed_then = kept.people["blacklisted"] == 1
    kept.run()
    p = kept.people
    listed = p["blacklisted"] == 1
    assert listed.sum() > 20
    assert np.all(listed[: listed_then.size][listed_then & (p["alive"][: listed_then.size] == 1)])
    assert np.all(p["reach"][listed] == pytest.approx(0.3))
    barrable = np.isin(p["occupation"], [occupation_code(o) for o in BARRABLE_OCCUPATIONS])
    assert not np.any(listed & barrable)
    assert p["barred"].sum() > 0
    assert np.all(p["perks"][listed] == 0)
    assert np.nansum(kept.result().measures["blacklist_exits"]) == 0
    freed = run(
        {
            **mods,
            "blacklist": {"allow_exit": True, "min_months": 2},
            "scoring": {"violation_penalty": 40, "expire_after": 2},
        },
        steps=24,
    )
    assert np.nansum(freed.result().measures["blacklist_exits"]) > 0
