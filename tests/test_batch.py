"""Batches of runs on every executor: failures recorded, half-written runs never counted, resume."""

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
import pytest
from typer.testing import CliRunner

from scoresim import InputError
from scoresim.cli import app
from scoresim.experiments import InProcessExecutor, compare
from scoresim.experiments.batch import done_ids
from scoresim.experiments.sweep import sweep
from scoresim.store import list_runs, upsert
from scoresim.store.manifest import RunRecord
from tests.conftest import LHS, write_design

runner = CliRunner()

SMALL = {"society.agents": 600, "steps": 12}


def _complete_on_disk(out: Path) -> set[str]:
    try:
        return done_ids(out)
    except (InputError, duckdb.Error):
        return set()


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


@pytest.mark.parametrize("kind", ["inprocess", "pool"])
def test_executors_tell_each_runs_months_as_it_goes(tmp_path: Path, kind: str) -> None:
    from scoresim.experiments import make_executor
    from scoresim.experiments.spec import RunSpec
    from scoresim.scenario import load_scenario

    scenario = load_scenario("no-score", {"society.agents": 300, "steps": 14, "burn_in": 12})
    specs = [RunSpec.of(scenario.model_copy(update={"seed": s}), "t", s) for s in (1, 2, 3)]
    told: dict[str, list[tuple[int, int]]] = {}
    ex = make_executor(kind, 2)
    ex.months = lambda run_id, done, total: told.setdefault(run_id, []).append((done, total))
    try:
        records = list(ex.run(specs, str(tmp_path)))
    finally:
        ex.close()
    assert {r.status for r in records} == {"complete"}
    assert set(told) == {s.run_id for s in specs}
    for run_id, seen in told.items():
        dones = [d for d, _ in seen]
        assert dones == sorted(dones), run_id  # months only go forward
        assert {t for _, t in seen} == {12 + 14}  # the burn-in's months included
        assert seen[-1] == (26, 26)  # and every run is told its end
