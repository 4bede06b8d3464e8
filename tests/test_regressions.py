"""Bugs found in review, each pinned by a test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoresim import Simulation, load_checkpoint, load_scenario, save_checkpoint
from scoresim.experiments import compare
from scoresim.experiments.design import design_specs, load_design
from scoresim.store import connect


def test_table_overrides_merge_instead_of_replacing() -> None:
    sc = load_scenario("social-credit", {"modules": {"scoring": {"violation_penalty": 10}}})
    assert sc.modules["scoring"]["violation_penalty"] == 10
    assert "tie_cutting" in sc.modules and "economy" in sc.modules


def test_views_work_when_the_results_path_contains_runs(tmp_path: Path) -> None:
    root = tmp_path / "runs" / "exp"
    compare(["no-score", "ability-to-pay"], {"society.agents": 300, "steps": 3}, out=root)
    with connect(root, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM measures").fetchone()[0] == 6


def test_final_measures_keep_yearly_values_when_steps_are_not_whole_years(
    tmp_path: Path,
) -> None:
    cmp = compare(
        ["no-score", "ability-to-pay"], {"society.agents": 400, "steps": 18}, out=tmp_path
    )
    expected = cmp.scenarios["no-score"].runs[0].final()["births"]
    assert not np.isnan(expected)
    with connect(tmp_path, read_only=True) as con:
        got = con.execute(
            "SELECT births FROM final_measures WHERE scenario = 'no-score'"
        ).fetchone()[0]
    assert got == expected


def test_long_sweep_names_keep_run_ids_distinct(tmp_path: Path) -> None:
    design = tmp_path / "d.toml"
    design.write_text(
        f'name = "{"x" * 90}"\nscenario = "no-score"\nmethod = "lhs"\nsamples = 4\n'
        '[parameters]\n"modules.expression.base_rate" = { values = [0.2] }\n'
    )
    specs, _ = design_specs(*load_design(design))
    assert len({s.run_id for s in specs}) == 4


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


def test_a_scenario_extending_a_preset_can_import_a_network(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("".join(f"{i},{(i + 1) % 50}\n" for i in range(50)))
    (tmp_path / "s.toml").write_text(
        'extends = "social-credit"\n[society.network]\nkind = "edgelist"\npath = "e.csv"\n'
    )
    sc = load_scenario(tmp_path / "s.toml")
    assert sc.society.agents is None and sc.society.network.kind == "edgelist"
    assert "scoring" in sc.modules


@pytest.mark.parametrize("sort", ["age", "violations"])
def test_blacklist_sorted_by_a_column_the_snapshot_lacks_is_a_422(
    tmp_path: Path, sort: str
) -> None:
    from fastapi.testclient import TestClient

    from scoresim.explore import create_app, open_results

    (tmp_path / "s.toml").write_text(
        'extends = "social-credit"\nname = "lean"\n'
        '[record]\nsnapshot_states = ["blacklisted", "score"]\n'
    )
    compare(
        [str(tmp_path / "s.toml"), "no-score"],
        {"society.agents": 400, "steps": 12},
        out=tmp_path / "out",
    )
    client = TestClient(create_app(open_results(tmp_path / "out")))
    r = client.get(f"/api/blacklist?scenario=lean&sort={sort}")
    assert r.status_code == 422 and "sortable here" in r.text
