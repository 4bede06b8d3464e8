"""Checkpoints: a resumed run equals the uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scoresim import Simulation, load_checkpoint, load_scenario, save_checkpoint
from tests.conftest import assert_same_state, small_scenario


def test_checkpoint_of_an_imported_network_with_text_ids(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("a,b\nann,bob\nbob,cid\ncid,dan\ndan,ann\n" * 1)
    (tmp_path / "s.toml").write_text(
        'steps = 4\n[society.network]\nkind = "edgelist"\npath = "e.csv"\n[modules.expression]\n'
    )
    sim = Simulation(load_scenario(tmp_path / "s.toml"))
    sim.run(until=2)
    resumed = load_checkpoint(save_checkpoint(sim, tmp_path / "c.npz"))
    assert resumed.society.external_ids is not None
    assert sorted(resumed.society.external_ids.tolist()) == ["ann", "bob", "cid", "dan"]


def test_checkpoint_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    sc = small_scenario(steps=30, record={"snapshot_steps": [5, 20]})
    whole = Simulation(sc)
    whole.run()
    half = Simulation(sc)
    half.run(until=15)
    path = save_checkpoint(half, tmp_path / "half.npz")
    del half
    resumed = load_checkpoint(path)
    assert resumed.t == 15
    resumed.run()
    assert_same_state(whole, resumed)
    for step in (5, 20):
        for k, v in whole.snapshots[step].items():
            assert v.tobytes() == resumed.snapshots[step][k].tobytes()


def test_checkpoint_resume_with_every_scoring_module(tmp_path: Path) -> None:
    from scoresim import load_scenario

    sc = load_scenario("social-credit", {"society.agents": 1500, "steps": 30})
    whole = Simulation(sc)
    whole.run()
    half = Simulation(sc)
    half.run(until=17)  # mid-year: yearly state (quintile bounds, dissent slope) must carry over
    resumed = load_checkpoint(save_checkpoint(half, tmp_path / "half.npz"))
    resumed.run()
    assert_same_state(whole, resumed)
    a, b = whole.result().egos, resumed.result().egos
    for part in a:
        for k in a[part]:
            np.testing.assert_array_equal(a[part][k], b[part][k])
