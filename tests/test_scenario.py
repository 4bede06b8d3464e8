from __future__ import annotations

from pathlib import Path

import pytest

from scoresim import (
    ScenarioError,
    load_scenario,
    parse_scenario,
)
from scoresim.scenario import preset_names


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    return str(info.value)


def test_defaults_are_valid() -> None:
    sc = parse_scenario({})
    assert sc.society.agents == 10_000
    assert sc.society.network.kind == "communities"
    assert sc.society.network.mean_degree == 20


def test_presets_load() -> None:
    assert "default" in preset_names()
    for name in preset_names():
        assert load_scenario(name).steps > 0


def test_unknown_top_level_key_names_file_and_allowed(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "stpes = 3\n")
    assert str(tmp_path / "s.toml") in msg
    assert "stpes: unknown key" in msg
    assert "steps" in msg and "society" in msg


def test_unknown_nested_key_lists_that_tables_keys(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[society.network]\nmean_degre = 3\n")
    assert "society.network.mean_degre: unknown key" in msg
    assert "mean_degree" in msg and "within_share" in msg
    assert "agents" not in msg  # keys of the network table, not of society


def test_out_of_range_names_path_value_and_bound(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[society.network]\nwithin_share = 1.5\n")
    assert msg.endswith("society.network.within_share = 1.5: must be <= 1")


def test_wrong_type(tmp_path: Path) -> None:
    msg = error_of(tmp_path, 'steps = "ten"\n')
    assert 'steps = "ten": must be a whole number' in msg


def test_module_parameter_errors_carry_module_path(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[modules.expression]\nbase_rate = 2\nbogus = 1\n")
    assert "modules.expression.base_rate = 2: must be <= 1" in msg
    assert "modules.expression.bogus: unknown key" in msg
    assert "base_rate" in msg.split("bogus: unknown key")[1]


def test_unknown_module(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[modules.telepathy]\n")
    assert "modules.telepathy" in msg and "unknown module" in msg and "economy" in msg


def test_malformed_toml(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "steps = = 3\n")
    assert "malformed TOML" in msg and "line 1" in msg


def test_missing_file_or_preset(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no such scenario file.*presets: .*default"):
        load_scenario(tmp_path / "absent.toml")


def test_age_bounds_cross_checked(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "[society.people]\nage_min = 50\nage_max = 40\n")
    assert "society.people.age_max = 40" in msg and "age_min" in msg


def test_overrides_are_validated(tmp_path: Path) -> None:
    path = write(tmp_path, "steps = 5\n")
    assert load_scenario(path, {"society.agents": 50, "seed": 3}).society.agents == 50
    with pytest.raises(ScenarioError, match=r"society\.agents = 1: must be >= 10"):
        load_scenario(path, {"society.agents": 1})


def test_edgelist_forbids_agents_and_resolves_relative_path(tmp_path: Path) -> None:
    text = '[society]\nagents = 100\n[society.network]\nkind = "edgelist"\npath = "e.csv"\n'
    assert "leave agents out" in error_of(tmp_path, text)
    sc = load_scenario(write(tmp_path, text.replace("agents = 100\n", "")))
    assert sc.society.network.kind == "edgelist"
    assert sc.society.network.path == (tmp_path / "e.csv").resolve()


def test_digest_changes_with_content_only() -> None:
    a = parse_scenario({"seed": 1, "modules": {"economy": {}}})
    b = parse_scenario({"modules": {"economy": {"saving_rate": 0.1}}, "seed": 1})
    c = parse_scenario({"seed": 2, "modules": {"economy": {}}})
    assert a.digest() == b.digest()  # defaults filled in, key order irrelevant
    assert a.digest() != c.digest()


def test_edgelist_with_agents_names_the_key() -> None:
    data = {"society": {"agents": 500, "network": {"kind": "edgelist", "path": "x.csv"}}}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source="f.toml")
    assert str(info.value) == (
        "f.toml: society.agents = 500: an imported edge list sets the number of citizens; "
        "leave agents out"
    )


def test_table_overrides_merge_instead_of_replacing() -> None:
    sc = load_scenario("social-credit", {"modules": {"scoring": {"violation_penalty": 10}}})
    assert sc.modules["scoring"]["violation_penalty"] == 10
    assert "tie_cutting" in sc.modules and "economy" in sc.modules


def test_a_scenario_extending_a_preset_can_import_a_network(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("".join(f"{i},{(i + 1) % 50}\n" for i in range(50)))
    (tmp_path / "s.toml").write_text(
        'extends = "social-credit"\n[society.network]\nkind = "edgelist"\npath = "e.csv"\n'
    )
    sc = load_scenario(tmp_path / "s.toml")
    assert sc.society.agents is None and sc.society.network.kind == "edgelist"
    assert "scoring" in sc.modules


def test_a_plugin_that_does_not_import_is_named_in_the_error() -> None:
    from scoresim import ScenarioError, parse_scenario

    with pytest.raises(ScenarioError) as err:
        parse_scenario({"plugins": ["no_such_plugin_xyz"]})
    assert "cannot import plugin 'no_such_plugin_xyz': ModuleNotFoundError" in str(err.value)
    assert "{" not in str(err.value).split("cannot import", 1)[1]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_toml_nested_600_deep_is_one_line(tmp_path: Path, command: str) -> None:
    from typer.testing import CliRunner

    from scoresim.cli import app

    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 600 + "]" * 600 + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, [command, str(deep), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "nested too deeply" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_score_min_must_be_below_score_max() -> None:
    with pytest.raises(ScenarioError, match="score_min = 900 must be below score_max = 400"):
        load_scenario(
            "social-credit", {"modules.scoring.score_min": 900, "modules.scoring.score_max": 400}
        )
