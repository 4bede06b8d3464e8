from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from scoresim.cli import app

runner = CliRunner()


def test_run_writes_parquet_and_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app, ["run", "default", "-n", "500", "-t", "13", "-s", "4", "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["steps"] == 13 and summary["seed"] == 4 and summary["agents"] == 500
    run = out / "runs" / summary["run_id"]
    assert summary["measures_file"] == str(run / "measures.parquet")
    table = pq.read_table(run / "measures.parquet")
    assert table.num_rows == 13
    assert table.column("step").to_pylist() == list(range(13))
    assert summary["final"]["expression_rate"] == table.column("expression_rate")[-1].as_py()
    meta = table.schema.metadata
    assert meta[b"scoresim.scenario_hash"].decode() == summary["scenario_hash"]
    assert meta[b"scoresim.code_version"].decode() == summary["code_version"]
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 4
    listed = json.loads(runner.invoke(app, ["runs", str(out), "--json"]).stdout)
    assert [(r["run_id"], r["status"]) for r in listed] == [(summary["run_id"], "complete")]


def test_run_prints_a_table_without_json(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "default", "-n", "300", "-t", "2", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "expression_rate" in res.stdout and "measures written to" in res.stdout


def test_bad_inputs_exit_2_with_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[society]\nagents = 'many'\n")
    cases = [
        (["run", str(bad)], 'society.agents = "many": must be a whole number'),
        (["run", "default", "--agents", "3"], "society.agents = 3: must be >= 10"),
        (["run", "no-such-preset"], "no such scenario file"),
    ]
    for args, expected in cases:
        res = runner.invoke(app, [*args, "-o", str(tmp_path / "x")])
        assert res.exit_code == 2, (args, res.output)
        assert expected in res.stderr.replace("\n", " "), res.stderr
        assert "Traceback" not in res.output
    assert not (tmp_path / "x").exists()  # nothing half-written


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "scoresim", "run", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "malformed TOML" in proc.stderr and "Traceback" not in proc.stderr


def test_presets_lists_each_preset_with_its_description() -> None:
    from scoresim.scenario import load_scenario, preset_names

    res = runner.invoke(app, ["presets", "--json"])
    assert res.exit_code == 0
    listed = json.loads(res.stdout)
    assert list(listed) == preset_names() and "no-score" in listed
    for name, text in listed.items():
        assert text and text == load_scenario(name).description
    table = runner.invoke(app, ["presets"]).stdout
    assert "Control: an unscored society" in table


def test_runs_gives_whole_ids_and_params_as_json(tmp_path: Path) -> None:
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        'name = "a-rather-long-sweep-name-to-make-long-run-ids"\nscenario = "no-score"\n'
        'method = "factorial"\nlevels = 2\noverrides = { "society.agents" = 200, steps = 2 }\n'
        '[parameters."modules.expression.base_rate"]\nlow = 0.1\nhigh = 0.2\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert (
        runner.invoke(
            app, ["sweep", str(sweep), "--out", str(out), "--executor", "inprocess"]
        ).exit_code
        == 0
    )
    rows = json.loads(runner.invoke(app, ["runs", str(out), "--json"]).stdout)
    assert {r["params"]["modules.expression.base_rate"] for r in rows} == {0.1, 0.2}
    table = runner.invoke(app, ["runs", str(out)]).stdout
    for r in rows:  # whole, on one line, however long
        assert len(r["run_id"]) > 60 and r["run_id"] in table


def test_generated_docs_are_current() -> None:
    from scoresim.reference import model_parameters, scenario_reference

    docs = Path(__file__).resolve().parent.parent / "docs"
    scenarios = (docs / "scenarios.md").read_text()
    assert scenarios.endswith(scenario_reference()), "regenerate with `make docs`"
    assert "| `mean_degree` | `20.0` | > 0, <= 1000 |" in scenarios
    model = (docs / "model.md").read_text()
    assert model.endswith(model_parameters()), "regenerate with `make docs`"


def test_every_builtin_parameter_says_why() -> None:
    from scoresim.core import registry

    for name, cls in registry.known().items():
        if not cls.__module__.startswith("scoresim."):
            continue
        for key, field in cls.Params.model_fields.items():
            extra = field.json_schema_extra
            assert isinstance(extra, dict) and extra.get("why"), f"{name}.{key}"
            assert field.description, f"{name}.{key}"


def test_compare_json_is_preset_then_measure_to_number(tmp_path: Path) -> None:
    args = [
        "compare",
        "social-credit",
        "no-score",
        "-n",
        "800",
        "-y",
        "1",
        "-s",
        "2",
        "--json",
        "--executor",
        "inprocess",
    ]
    res = runner.invoke(app, [*args, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert list(data) == ["social-credit", "no-score"]
    for row in data.values():
        assert all(isinstance(v, int | float) for v in row.values())
    assert "spillover_loss" in data["social-credit"] and "spillover_loss" not in data["no-score"]
    runs = json.loads(runner.invoke(app, ["runs", str(tmp_path), "--json"]).stdout)
    sc = next(r["run_id"] for r in runs if r["scenario"] == "social-credit")
    table = pq.read_table(tmp_path / "runs" / sc / "measures.parquet")
    assert table.column("expression_rate")[-1].as_py() == data["social-credit"]["expression_rate"]


def test_compare_prints_a_headline_table() -> None:
    res = runner.invoke(
        app,
        ["compare", "social-credit", "ability-to-pay", "-n", "600", "-y", "1", "--workers", "2"],
    )
    assert res.exit_code == 0, res.output
    assert "expression_rate" in res.stdout and "ability-to-pay" in res.stdout
    assert "common random numbers" in res.stdout


def test_compare_rejects_different_societies_and_single_scenarios(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('extends = "no-score"\nname = "other"\n[society.network]\nmean_degree = 5\n')
    res = runner.invoke(app, ["compare", "social-credit", str(other), "-n", "500", "-y", "1"])
    assert res.exit_code == 2 and "differs from social-credit in society" in res.stderr
    res = runner.invoke(app, ["compare", "social-credit"])
    assert res.exit_code == 2 and "at least two" in res.stderr


def test_years_or_steps_on_every_command_that_runs(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["run", "default", "-n", "200", "-y", "1", "-o", str(tmp_path / "a"), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["steps"] == 12
    both = ["--years", "1", "--steps", "5"]
    for cmd in (
        ["run", "default", "-n", "200", *both],
        ["compare", "no-score", "ability-to-pay", "-n", "200", *both],
        ["sweep", "design.toml", *both],
    ):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 2, res.output
        assert "--years = 1 and --steps = 5: give one of them" in res.stderr
    res = runner.invoke(
        app,
        [
            "compare",
            "no-score",
            "ability-to-pay",
            "-n",
            "200",
            "--steps",
            "3",
            "--json",
            "--executor",
            "inprocess",
        ],
    )
    assert res.exit_code == 0, res.output
    design = tmp_path / "d.toml"
    design.write_text(
        'name = "d"\nscenario = "no-score"\nmethod = "lhs"\nsamples = 2\nseed = 1\n'
        '[overrides]\n"society.agents" = 200\nsteps = 30\n'
        '[parameters]\n"modules.expression.fear" = { low = 0.5, high = 2.0 }\n'
    )
    out = tmp_path / "sweep"
    res = runner.invoke(
        app, ["sweep", str(design), "--steps", "2", "-o", str(out), "--executor", "inprocess"]
    )
    assert res.exit_code == 0, res.output
    assert {
        r["scenario"] for r in json.loads(runner.invoke(app, ["runs", str(out), "--json"]).stdout)
    }
    steps = {json.loads(p.read_text())["steps"] for p in out.glob("runs/*/run.json")}
    assert steps == {2}


def test_a_failed_rerun_keeps_the_earlier_run(tmp_path: Path) -> None:
    flag = tmp_path / "fail-now"
    sc = _fault_scenario(tmp_path, flag)
    out = tmp_path / "out"
    first = runner.invoke(app, ["run", str(sc), "-o", str(out), "--json"])
    assert first.exit_code == 0, first.output
    run_id = json.loads(first.stdout)["run_id"]
    measures = (out / "runs" / run_id / "measures.parquet").read_bytes()
    flag.touch()
    again = runner.invoke(app, ["run", str(sc), "-o", str(out)])
    assert again.exit_code == 1
    assert "run failed: RuntimeError: injected fault" in again.stderr
    assert "Traceback" not in again.output
    assert (out / "runs" / run_id / "measures.parquet").read_bytes() == measures
    rows = json.loads(runner.invoke(app, ["runs", str(out), "--json"]).stdout)
    assert [(r["run_id"], r["status"]) for r in rows] == [(run_id, "complete")]
    assert not list((out / "runs").glob(".*partial"))


def _fault_scenario(tmp_path: Path, flag: Path, interrupt: bool = False) -> Path:
    sc = tmp_path / "sc.toml"
    sc.write_text(
        f'name = "f"\nplugins = ["tests.plugins.fault"]\nsteps = 2\n[society]\nagents = 200\n'
        f'[modules.fault]\nfail_if_exists = "{flag}"\ninterrupt = {str(interrupt).lower()}\n'
    )
    return sc


def test_an_interrupted_rerun_leaves_the_earlier_run_listed(tmp_path: Path) -> None:
    flag = tmp_path / "stop-now"
    sc = _fault_scenario(tmp_path, flag, interrupt=True)
    out = tmp_path / "out"
    first = runner.invoke(app, ["run", str(sc), "-o", str(out), "--json"])
    assert first.exit_code == 0, first.output
    run_id = json.loads(first.stdout)["run_id"]
    flag.touch()
    again = runner.invoke(app, ["run", str(sc), "-o", str(out)])
    assert again.exit_code == 130  # what the shell reports for Ctrl-C
    rows = json.loads(runner.invoke(app, ["runs", str(out), "--json"]).stdout)
    assert [(r["run_id"], r["status"]) for r in rows] == [(run_id, "complete")]


def test_a_crash_while_swapping_in_a_rerun_keeps_the_earlier_run(tmp_path: Path) -> None:
    flag = tmp_path / "fail-now"
    sc = _fault_scenario(tmp_path, flag)
    out = tmp_path / "out"
    first = runner.invoke(app, ["run", str(sc), "-o", str(out), "--json"])
    run_id = json.loads(first.stdout)["run_id"]
    run_path = out / "runs" / run_id
    measures = (run_path / "measures.parquet").read_bytes()
    # As if the process died between moving the old run aside and moving the new one in.
    run_path.rename(run_path.with_name(f".{run_id}.replaced"))
    flag.touch()
    again = runner.invoke(app, ["run", str(sc), "-o", str(out)])
    assert again.exit_code == 1
    assert (run_path / "measures.parquet").read_bytes() == measures
    assert not list((out / "runs").glob(".*"))


def test_compare_exits_1_when_a_run_fails_in_the_code(tmp_path: Path) -> None:
    flag = tmp_path / "fail-now"
    flag.touch()
    sc = _fault_scenario(tmp_path, flag)
    other = tmp_path / "other.toml"
    other.write_text(sc.read_text().replace('name = "f"', 'name = "g"'))
    res = runner.invoke(app, ["compare", str(sc), str(other), "--executor", "inprocess"])
    assert res.exit_code == 1
    assert "run(s) failed" in res.stderr and "injected fault" in res.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "cannot read edge list"),
        (b"0,1\n1,", "edge list has empty node ids"),
        (b"0,1\n1e9,2\n", "nodes = 10 needs integer node ids 0..9"),
        (b"0,1\n1,12\n", "node id 12 is outside 0..9"),
    ],
)
def test_a_bad_edge_list_in_a_run_is_one_line_and_exit_2(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (tmp_path / "e.csv").write_bytes(content)
    sc = tmp_path / "s.toml"
    sc.write_text(
        'steps = 1\n[society.network]\nkind = "edgelist"\npath = "e.csv"\nnodes = 10\n'
        "[modules.expression]\n"
    )
    res = runner.invoke(app, ["run", str(sc), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert expected in res.stderr.replace("\n", " ")
    assert "Traceback" not in res.output and "run failed" not in res.stderr
    assert "edgelist.py" not in res.stderr  # no code location for a bad input


@pytest.mark.parametrize("command", ["calibrate", "robustness"])
def test_studies_take_steps_in_whole_years(tmp_path: Path, command: str) -> None:
    res = runner.invoke(app, [command, "--steps", "30", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--steps = 30" in res.output and "multiple of 12" in res.output
    assert not (tmp_path / "o").exists()
