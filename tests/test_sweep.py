"""Sweep designs (factorial, LHS, Sobol, Morris), sweeps and sensitivity indices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scoresim.cli import app
from scoresim.experiments import InProcessExecutor
from scoresim.experiments.design import design_specs, load_design, sample_points
from scoresim.experiments.sensitivity import WIDE, _sobol_warnings
from scoresim.experiments.sweep import sweep
from tests.conftest import LHS, write_design

runner = CliRunner()


@pytest.mark.parametrize(
    ("method", "extra", "runs"),
    [
        ("factorial", "levels = 3", 9),
        ("lhs", "samples = 5", 5),
        ("sobol", "samples = 4", 16),  # N (D + 2)
        ("morris", "samples = 3\nlevels = 4", 9),  # N (D + 1)
    ],
)
def test_design_methods_give_the_expected_points(
    tmp_path: Path, method: str, extra: str, runs: int
) -> None:
    body = f"""
name = "d"
scenario = "social-credit"
method = "{method}"
{extra}
[parameters]
"modules.scoring.violation_penalty" = {{ low = 0, high = 40 }}
"modules.tie_cutting.cut_rate" = {{ low = 0.0, high = 0.05 }}
"""
    design, _ = load_design(write_design(tmp_path / "d.toml", body))
    points = sample_points(design)
    assert len(points) == runs
    for p in points:
        assert 0 <= p["modules.scoring.violation_penalty"] <= 40
        assert 0 <= p["modules.tie_cutting.cut_rate"] <= 0.05


def test_lhs_sweep_and_sensitivity(tmp_path: Path) -> None:
    design = write_design(tmp_path / "d.toml", LHS)
    out = tmp_path / "out"
    report = sweep(design, out, InProcessExecutor())
    assert (report.ran, report.skipped, report.failed) == (12, 0, 0)
    res = runner.invoke(app, ["sensitivity", str(out), "--json"])
    assert res.exit_code == 0, res.output
    sens = json.loads(res.stdout)
    assert sens["method"] == "lhs" and sens["points_used"] == 6
    rho = sens["indices"]["expression_rate"]["modules.expression.fear"]["spearman"]
    assert rho < -0.5  # more fear, less expression
    again = sweep(design, out, InProcessExecutor(), resume=True)
    assert (again.ran, again.skipped) == (0, 12)


def test_sobol_sweep_gives_indices(tmp_path: Path) -> None:
    body = LHS.replace('method = "lhs"', 'method = "sobol"').replace("samples = 6", "samples = 4")
    body = body.replace("replicates = 2", "replicates = 1")
    out = tmp_path / "out"
    sweep(write_design(tmp_path / "d.toml", body), out, InProcessExecutor())
    sens = json.loads(runner.invoke(app, ["sensitivity", str(out), "--json"]).stdout)
    idx = sens["indices"]["expression_rate"]["modules.expression.fear"]
    assert set(idx) == {"S1", "S1_conf", "ST", "ST_conf"}
    # Four base samples are far too few: the report says so, index by index.
    expected = [
        (out_name, param, key)
        for out_name, per_param in sens["indices"].items()
        for param, vals in per_param.items()
        for key in ("S1", "ST")
        if vals[key] is not None and (not 0 <= vals[key] <= 1 or (vals[f"{key}_conf"] or 0) > WIDE)
    ]
    assert expected
    assert len(sens["warnings"]) == len(expected)
    for (out_name, param, key), text in zip(expected, sens["warnings"], strict=True):
        assert text.startswith(f"{out_name}: {key} of {param} is ")


def test_sobol_warnings_name_impossible_and_imprecise_indices_only() -> None:
    indices = {
        "a": {"S1": -0.345, "S1_conf": 0.1, "ST": 1.276, "ST_conf": 0.1},
        "b": {"S1": 0.4, "S1_conf": 0.3, "ST": 0.5, "ST_conf": 0.05},
        "c": {"S1": 0.0, "S1_conf": 0.25, "ST": 1.0, "ST_conf": 0.0},
    }
    warnings = _sobol_warnings("out", indices)
    assert [w.split(" is ")[0] for w in warnings] == [
        "out: S1 of a",
        "out: ST of a",
        "out: S1 of b",
    ]
    assert "outside [0, 1]" in warnings[0] and "too wide" in warnings[2]


def test_bad_design_files_exit_2(tmp_path: Path) -> None:
    cases = {
        "missing.toml": None,
        "bad.toml": 'name = "x"\nscenario = "social-credit"\nmethod = "grid"\n'
        '[parameters]\n"seed" = { low = 0, high = 1 }\n',
        "range.toml": 'name = "x"\nscenario = "social-credit"\n'
        '[parameters]\n"modules.scoring.pdo" = { low = 5, high = 1 }\n',
        "key.toml": 'name = "x"\nscenario = "social-credit"\nmethod = "lhs"\nsamples = 2\n'
        '[parameters]\n"modules.scoring.nonsense" = { low = 0, high = 1 }\n',
        "sobol.toml": 'name = "x"\nscenario = "social-credit"\nmethod = "sobol"\n'
        '[parameters]\n"modules.scoring.visibility" = { values = ["public"] }\n',
    }
    expected = {
        "missing.toml": "design file not found",
        "bad.toml": 'method = "grid"',
        "range.toml": "high = 1",
        "key.toml": "modules.scoring.nonsense: unknown key",
        "sobol.toml": "needs low/high ranges",
    }
    for name, body in cases.items():
        if body is not None:
            (tmp_path / name).write_text(body)
        res = runner.invoke(
            app,
            ["sweep", str(tmp_path / name), "-o", str(tmp_path / "o"), "--executor", "inprocess"],
        )
        assert res.exit_code == 2, (name, res.output)
        assert expected[name] in res.stderr.replace("\n", " "), (name, res.stderr)


def test_long_sweep_names_keep_run_ids_distinct(tmp_path: Path) -> None:
    design = tmp_path / "d.toml"
    design.write_text(
        f'name = "{"x" * 90}"\nscenario = "no-score"\nmethod = "lhs"\nsamples = 4\n'
        '[parameters]\n"modules.expression.base_rate" = { values = [0.2] }\n'
    )
    specs, _ = design_specs(*load_design(design))
    assert len({s.run_id for s in specs}) == 4
