"""Results store, replicated comparisons, sweeps, sensitivity and fault handling."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from scoresim import InputError
from scoresim.analysis.stats import mean_ci
from scoresim.cli import app
from scoresim.experiments import InProcessExecutor, compare
from scoresim.experiments.batch import done_ids
from scoresim.experiments.design import load_design, sample_points
from scoresim.experiments.sweep import sweep
from scoresim.store import list_runs, upsert
from scoresim.store.manifest import RunRecord

runner = CliRunner()
SMALL = {"society.agents": 600, "steps": 12}


def write_design(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


LHS = """
name = "lhs-test"
scenario = "social-credit"
method = "lhs"
samples = 6
replicates = 2
seed = 3
outputs = ["expression_rate", "spillover_loss"]
[overrides]
"society.agents" = 500
steps = 12
[parameters]
"modules.scoring.violation_penalty" = { low = 0, high = 40 }
"modules.expression.fear" = { low = 0.0, high = 4.0 }
"""


def test_mean_ci_matches_the_t_interval() -> None:
    iv = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert iv.mean == 2.5
    half = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2  # t(0.975, 3)
    assert iv.ci_low == pytest.approx(2.5 - half) and iv.ci_high == pytest.approx(2.5 + half)
    assert np.isnan(mean_ci([5.0]).ci_low)


def test_replicated_compare_pairs_seeds_and_reports_intervals(tmp_path: Path) -> None:
    cmp = compare(["social-credit", "no-score"], SMALL, replicates=3, out=tmp_path)
    seeds = [[r.seed for r in s.runs] for s in cmp.scenarios.values()]
    assert seeds[0] == seeds[1] and len(set(seeds[0])) == 3  # paired, distinct
    summary, effects = cmp.summary(), cmp.effects()
    er = summary["social-credit"]["expression_rate"]
    assert er.ci_low <= er.mean <= er.ci_high and er.n == 3
    # One control and one sign: the effect is the scenario minus no-score, whatever the order.
    assert cmp.baseline == "no-score" and set(effects) == {"social-credit"}
    diffs = np.array(cmp.finals("social-credit", "expression_rate")) - np.array(
        cmp.finals("no-score", "expression_rate")
    )
    assert effects["social-credit"]["expression_rate"].mean == pytest.approx(diffs.mean())
    assert effects["social-credit"]["expression_rate"].mean < 0  # chilling: fewer speak
    # The store holds the six runs, and its views agree with what compare returned.
    rows = list_runs(tmp_path, "complete")
    assert len(rows) == 6
    from scoresim.store import connect

    with connect(tmp_path, read_only=True) as con:
        got = dict(
            con.execute(
                "SELECT run_id, expression_rate FROM final_measures WHERE scenario = 'no-score'"
            ).fetchall()
        )
    assert sorted(got.values()) == sorted(cmp.finals("no-score", "expression_rate"))


def test_compare_json_with_replicates(tmp_path: Path) -> None:
    args = [
        "compare",
        "social-credit",
        "no-score",
        "-n",
        "500",
        "-y",
        "1",
        "-r",
        "2",
        "--executor",
        "inprocess",
        "--json",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    entry = data["social-credit"]["expression_rate"]
    assert set(entry) == {"mean", "ci_low", "ci_high", "effect"}
    assert set(data["no-score"]["expression_rate"]) == {"mean", "ci_low", "ci_high"}
    assert entry["ci_low"] <= entry["mean"] <= entry["ci_high"]


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


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    body = """
name = "faulty"
scenario = "base.toml"
method = "factorial"
[overrides]
"society.agents" = 300
steps = 4
[parameters]
"modules.fault.fail_at_step" = { values = [-1, 2, -1, 3] }
"""
    (tmp_path / "base.toml").write_text(
        'extends = "no-score"\nplugins = ["tests.plugins.fault"]\n[modules.fault]\n'
    )
    out = tmp_path / "out"
    report = sweep(write_design(tmp_path / "d.toml", body), out, InProcessExecutor())
    assert report.failed == 2 and report.ran == 4
    failed = list_runs(out, "failed")
    assert len(failed) == 2
    assert all("injected fault" in r["error"] for r in failed)
    assert all(not (out / "runs" / r["run_id"]).exists() for r in failed)
    assert len(list_runs(out, "complete")) == 2


def test_pending_or_half_written_runs_never_count_as_complete(tmp_path: Path) -> None:
    compare(["no-score", "ability-to-pay"], SMALL, out=tmp_path)
    rows = list_runs(tmp_path, "complete")
    victim = rows[0]["run_id"]
    (tmp_path / "runs" / victim / "run.json").unlink()  # as if killed before the manifest
    assert victim not in done_ids(tmp_path)
    upsert(tmp_path, [RunRecord("ghost", "x", "s", "h", 1)])
    assert "ghost" not in done_ids(tmp_path)
    res = runner.invoke(app, ["runs", str(tmp_path), "--status", "pending", "--json"])
    assert [r["run_id"] for r in json.loads(res.stdout)] == ["ghost"]


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


def test_results_are_bit_identical_across_executors(tmp_path: Path) -> None:
    from scoresim.experiments import DaskExecutor, PoolExecutor

    design = write_design(tmp_path / "d.toml", LHS.replace("samples = 6", "samples = 2"))
    hashes = {}
    for label, make in (
        ("inprocess", InProcessExecutor),
        ("pool", lambda: PoolExecutor(2)),
        ("dask", lambda: DaskExecutor("local", 2)),
    ):
        ex = make()
        try:
            sweep(design, tmp_path / label, ex)
        finally:
            ex.close()
        files = sorted((tmp_path / label / "runs").glob("*/measures.parquet"))
        assert len(files) == 4
        hashes[label] = {f.parent.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    assert hashes["inprocess"] == hashes["pool"] == hashes["dask"]


def _complete_on_disk(out: Path) -> set[str]:
    try:
        return done_ids(out)
    except (InputError, duckdb.Error):
        return set()


def test_sigkill_then_resume_reruns_only_missing_runs(tmp_path: Path) -> None:
    design = write_design(
        tmp_path / "d.toml",
        LHS.replace("samples = 6", "samples = 8")
        .replace("replicates = 2", "replicates = 1")
        .replace('"society.agents" = 500', '"society.agents" = 2500')
        .replace("steps = 12", "steps = 36"),
    )
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "scoresim",
        "sweep",
        str(design),
        "-o",
        str(out),
        "--workers",
        "1",
        "--json",
    ]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while len(_complete_on_disk(out)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = _complete_on_disk(out)
    assert 2 <= len(finished) < 8
    before = {
        f: hashlib.sha256(f.read_bytes()).hexdigest()
        for run_id in finished
        for f in (out / "runs" / run_id).rglob("*")
        if f.is_file()
    }
    res = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["skipped"] == len(finished)
    assert summary["ran"] == 8 - len(finished) and summary["failed"] == 0
    after = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in before}
    assert after == before
    assert len(done_ids(out)) == 8
    assert len(list_runs(out, "complete")) == 8  # the manifest caught up with the files
