"""Calibration by history matching: recovery of a known parameter, the plan's errors."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from scoresim.calibration import load_targets, target_value
from scoresim.calibration.emulator import fit_emulator, implausibility
from scoresim.calibration.history import CALIBRATION_FILE, calibrate
from scoresim.cli import app
from scoresim.core.errors import InputError
from scoresim.experiments import compare
from scoresim.experiments.executors import InProcessExecutor, PoolExecutor
from scoresim.experiments.points import point_specs, run_points
from scoresim.report.html import write_report
from scoresim.store import connect

runner = CliRunner()
Calibrated = tuple[Path, dict[str, Any], float]
TRUE_FEAR = 2.0
FIXED = {"society.agents": 2000, "steps": 36, "burn_in": 12, "modules.enrolment.mandate_step": 12}
LIBRARY = """
[[target]]
name = "chill"
description = "the model's own chilling at fear = 2"
source = "a run of the model"
value = {value}
uncertainty = 0.01
use = "calibration"
kind = "ratio_to_control"
measure = "expression_rate"
window = 12

[[target]]
name = "adoption"
description = "held back: enrolled share at the end"
source = "a run of the model"
value = 1.0
uncertainty = 0.05
kind = "value"
measure = "enrolled_share"

[calibration]
parameters = ["modules.expression.fear"]
agents = 2000
years = 3
fixed = {{ "modules.enrolment.mandate_step" = 12, "burn_in" = 12 }}
waves = 2
points = 8
replicates = 2
candidates = 2000
predictive = 4
seed = 5
"""


def _truth(root: Path) -> float:
    """The chilling ratio the model gives at fear = 2, on seeds the calibration never uses."""
    specs = [
        point_specs(
            ["social-credit", "no-score"], FIXED, {"modules.expression.fear": TRUE_FEAR}, 3, 99, "t"
        )
    ]
    runs = run_points(specs, root, InProcessExecutor()).runs[0]
    t = load_targets().target[0]  # penney_chilling: the same quantity
    return float(
        np.mean([target_value(t, runs["social-credit"][r], runs["no-score"][r]) for r in range(3)])
    )


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Calibrated:
    root = tmp_path_factory.mktemp("calibrate")
    value = _truth(root / "truth")
    library = root / "targets.toml"
    library.write_text(LIBRARY.format(value=value), encoding="utf-8")
    ex = PoolExecutor(2)
    try:
        result = calibrate(library, root / "out", ex)
    finally:
        ex.close()
    return root, result, value


@pytest.mark.slow
def test_calibration_recovers_a_parameter_from_the_models_own_output(
    calibrated: Calibrated,
) -> None:
    _, result, _ = calibrated
    assert result["status"] == "calibrated"
    fear = result["posterior"]["parameters"]["modules.expression.fear"]
    # The truth lies in the 95% interval, and the data narrowed the prior at least fivefold.
    assert fear["q025"] <= TRUE_FEAR <= fear["q975"]
    assert fear["shrinkage"] < 0.2
    assert result["waves"][-1]["not_ruled_out"] < 0.5
    assert result["fitted"] == ["chill"] and result["held_back"] == ["adoption"]


@pytest.mark.slow
def test_predictive_checks_meet_the_fitted_target_where_the_defaults_miss(
    calibrated: Calibrated,
) -> None:
    _, result, value = calibrated
    chill = result["checks"]["chill"]
    assert chill["use"] == "fitted" and chill["value"] == value
    assert chill["posterior"]["met"] and chill["posterior"]["n"] == 4
    # The defaults (fear 1.5) chill less: the ratio is higher than at fear 2.
    assert not chill["defaults"]["met"] and chill["defaults"]["mean"] > value
    assert result["checks"]["adoption"]["use"] == "held back"


@pytest.mark.slow
def test_the_posterior_is_in_the_store_and_a_resume_reruns_nothing(calibrated: Calibrated) -> None:
    root, result, _ = calibrated
    out = root / "out"
    with connect(out, read_only=True, views=False) as con:
        n, total, low = con.execute(
            'SELECT count(*), sum(weight), min("modules.expression.fear") FROM posterior'
        ).fetchone()
    assert n == result["posterior"]["samples"] and math.isclose(total, 1.0)
    assert low >= 0.5
    before = (out / CALIBRATION_FILE).read_text(encoding="utf-8")
    ex = InProcessExecutor()
    again = calibrate(root / "targets.toml", out, ex, resume=True)
    assert again == json.loads(before)
    # Without --resume the directory is refused, and nothing in it changes.
    with pytest.raises(InputError, match="--resume"):
        calibrate(root / "targets.toml", out, ex)


def test_an_emulator_rules_out_what_is_far_from_the_target() -> None:
    u = np.linspace(0, 1, 12)[:, None]
    y = 3.0 * u[:, 0] + 0.01 * np.sin(40 * u[:, 0])
    em = fit_emulator(u, y, 0.01**2, seed=1)
    grid = np.linspace(0, 1, 101)[:, None]
    imp, mu, _ = implausibility([em], np.array([1.5]), np.array([0.02]), grid)
    assert np.max(np.abs(mu[:, 0] - 3.0 * grid[:, 0])) < 0.05
    kept = grid[imp[:, 0] < 3, 0]
    assert kept.min() > 0.4 and kept.max() < 0.6  # around u = 0.5, where 3u = 1.5


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("", "no \\[calibration\\] table"),
        ('[calibration]\nparameters = ["modules.expression.fear"]\nreplicates = 1', "replicates"),
        ('[calibration]\nparameters = ["modules.nope.fear"]', "no module 'nope'"),
        ('[calibration]\nparameters = ["modules.expression.fearr"]', "no parameter 'fearr'"),
        (
            '[calibration]\nparameters = ["modules.expression.fear"]\ntargets = ["nope"]',
            "names no target",
        ),
        (
            '[calibration]\nparameters = ["modules.expression.fear"]\n'
            '[calibration.ranges]\n"modules.expression.fear" = [2, 1]',
            "low must be below high",
        ),
    ],
)
def test_a_bad_plan_is_one_clear_line_and_exit_2(tmp_path: Path, plan: str, message: str) -> None:
    library = tmp_path / "t.toml"
    library.write_text(LIBRARY.format(value=0.6).split("[calibration]")[0] + plan, "utf-8")
    result = runner.invoke(app, ["calibrate", str(library), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert re.search(message, result.output), result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_the_report_shows_the_posterior_and_every_targets_check(
    calibrated: Calibrated, tmp_path: Path
) -> None:
    root = calibrated[0]
    small = {**FIXED, "society.agents": 800}
    compare(["social-credit", "no-score"], small, out=tmp_path / "cmp")
    page = write_report(tmp_path / "cmp", calibration=root / "out").read_text(encoding="utf-8")
    section = page.split("<h2>How sure are we?</h2>")[1].split("<h2>")[0]
    assert "data-target='penney_chilling'" in section  # the shipped targets, on these runs
    assert "<code>modules.expression.fear</code>" in section
    assert "data-figure='posterior'" in section and "data-figure='predictive'" in section
    assert "fitted</b> to chill" in section and "validate: adoption" in section
    assert "no robustness study" in section and "make validate" in section
    # A directory that holds no calibration is one line and exit 2, and no report is written.
    out = runner.invoke(app, ["report", str(tmp_path / "cmp"), "--calibration", str(tmp_path)])
    assert out.exit_code == 2 and "no calibration.json" in out.output


@pytest.mark.slow
def test_a_calibration_on_a_dask_cluster_gives_the_same_posterior(
    calibrated: Calibrated, tmp_path: Path
) -> None:
    root, result, _ = calibrated
    out = tmp_path / "dask"
    args = ["calibrate", str(root / "targets.toml"), "--out", str(out), "--cluster", "local"]
    done = runner.invoke(app, [*args, "--workers", "2", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == result
    assert (out / "posterior.parquet").read_bytes() == (root / "out/posterior.parquet").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("calibration.json", b"{}"),
        ("calibration.json", b"[1, 2]"),
        ("calibration.json", b"{not json"),
        ("calibration.json", b"\xff\xfe"),
        ("posterior.parquet", b"PAR1 cut short"),
    ],
)
def test_a_damaged_calibration_is_one_line_and_no_report(
    calibrated: Calibrated, tmp_path: Path, name: str, content: bytes
) -> None:
    root = calibrated[0]
    if not (root / "cmp").exists():
        compare(["social-credit", "no-score"], {**FIXED, "society.agents": 500}, out=root / "cmp")
    study = tmp_path / "cal"
    for f in ("calibration.json", "posterior.parquet"):
        study.mkdir(exist_ok=True)
        shutil.copy(root / "out" / f, study / f)
    (study / name).write_bytes(content)
    out = tmp_path / "r.html"
    done = runner.invoke(
        app, ["report", str(root / "cmp"), "--calibration", str(study), "-o", str(out)]
    )
    assert done.exit_code == 2, done.output
    assert done.output.count("error:") == 1 and "Traceback" not in done.output
    assert not out.exists()


@pytest.mark.slow
def test_report_on_a_calibration_directory_shows_the_calibration(calibrated: Calibrated) -> None:
    root = calibrated[0]
    done = runner.invoke(app, ["report", str(root / "out"), "-o", str(root / "cal.html")])
    assert done.exit_code == 0, done.output
    page = (root / "cal.html").read_text(encoding="utf-8")
    assert "<table id='posterior'>" in page and "data-figure='predictive'" in page


def test_targets_the_runs_cannot_answer_are_refused_before_any_run(tmp_path: Path) -> None:
    library = tmp_path / "t.toml"
    text = LIBRARY.format(value=0.6).replace(
        'measure = "enrolled_share"', 'measure = "enrolled_share"\nmonth = 40'
    )
    text = text.replace(
        'kind = "ratio_to_control"', 'kind = "ratio_to_control"\nscenario = "social-credt"'
    )
    library.write_text(text, "utf-8")
    res = runner.invoke(app, ["calibrate", str(library), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "target chill: scenario 'social-credt'" in res.output
    assert "target adoption: month 40 is outside runs of 36 months" in res.output
    assert not (tmp_path / "o").exists()


def test_a_month_beyond_the_run_is_no_answer() -> None:
    from scoresim.calibration import value_at

    series = np.arange(12.0)
    assert value_at(series, 11, 1, False) == 11.0 and value_at(series, -12, 1, False) == 0.0
    assert math.isnan(value_at(series, 23, 1, False))  # not month 11 by wrapping around
    assert math.isnan(value_at(series, -13, 1, False))
