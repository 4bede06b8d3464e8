"""Fuzzing a results directory: whatever is damaged, readers give results or one InputError.

Hypothesis damages a real comparison (truncates, flips bytes, deletes files, writes odd JSON
and manifest rows) and reads it back the ways the commands do. Reading never runs a kernel,
so it is safe in this process.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoresim import InputError
from scoresim.experiments import InProcessExecutor, compare
from scoresim.experiments.batch import done_ids
from scoresim.experiments.sensitivity import final_values
from scoresim.results import verify_run
from scoresim.store import DB_FILE, EXPERIMENT_FILE, list_runs, load_results
from scoresim.store.repair import repair, run_state


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fuzz") / "cmp"
    compare(
        ["social-credit", "no-score"],
        {"society.agents": 200, "steps": 6},
        2,
        InProcessExecutor(),
        out=out,
    )
    return out


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".scoresim.lock")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

damage = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.floats(0, 1)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.just(0.0)),
    st.tuples(st.just("json"), st.integers(0, 10**6), json_values),
    st.tuples(st.just("bytes"), st.integers(0, 10**6), st.binary(max_size=300)),
)


def _apply(root: Path, how: tuple[str, int, Any]) -> None:
    kind, pick, arg = how
    files = _files(root)
    target = files[pick % len(files)]
    if kind == "delete":
        target.unlink()
    elif kind == "truncate":
        data = target.read_bytes()
        target.write_bytes(data[: int(len(data) * arg)])
    elif kind == "flip":
        data = bytearray(target.read_bytes())
        if data:
            at = min(int(len(data) * arg), len(data) - 1)
            data[at] ^= 0x5A
            target.write_bytes(bytes(data))
    elif kind == "json":  # a JSON file (run.json, experiment.json) replaced by other JSON
        jsons = [f for f in files if f.suffix == ".json"]
        jsons[pick % len(jsons)].write_text(json.dumps(arg, allow_nan=True))
    else:
        target.write_bytes(arg)


def _read_everything(root: Path) -> None:
    """What report, explore, runs, resume and sensitivity read; only InputError may escape."""
    for d in (root / "runs").iterdir() if (root / "runs").is_dir() else []:
        verify_run(d)
    done_ids(root)
    for step in (
        lambda: [run_state(root, r) for r in list_runs(root)],
        lambda: load_results(root),
        lambda: final_values(root, ["expression_rate"]),
    ):
        with contextlib.suppress(InputError):
            step()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hows=st.lists(damage, min_size=1, max_size=3))
def test_damaged_files_give_results_or_one_input_error(
    pristine: Path, tmp_path: Path, hows: list[tuple[str, int, Any]]
) -> None:
    root = tmp_path / "case"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root)
    for how in hows:
        _apply(root, how)
    _read_everything(root)
    # Repair always leaves a directory every reader can read, whatever was damaged.
    try:
        repair(root)
    except InputError:
        return
    for r in list_runs(root, "complete"):
        assert verify_run(root / "runs" / r["run_id"]) is None
    _read_everything(root)


row_values = st.fixed_dictionaries(
    {
        # Mostly ids of runs that exist, so that their odd values are read, not skipped.
        "run_id": st.integers(0, 3) | st.text(max_size=30),
        "scenario": st.sampled_from(["social-credit", "no-score"]) | st.text(max_size=30),
        "replicate": st.none() | st.integers(-(2**31), 2**31 - 1),
        "status": st.sampled_from(["complete", "pending", "failed", "", "COMPLETE"]),
        "finished": st.none() | st.floats(allow_nan=True),
        "params": st.none() | st.text(max_size=20).map(json.dumps) | st.just("{}"),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(row_values, min_size=1, max_size=4), experiment=json_values)
def test_crafted_manifest_rows_and_experiment_give_results_or_one_input_error(
    pristine: Path, tmp_path: Path, rows: list[dict[str, Any]], experiment: Any
) -> None:
    root = tmp_path / "rows"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(pristine, root)
    (root / EXPERIMENT_FILE).write_text(json.dumps(experiment))
    ids = sorted(d.name for d in (root / "runs").iterdir())
    with duckdb.connect(str(root / DB_FILE)) as con:
        for r in rows:
            if isinstance(r["run_id"], int):
                r["run_id"] = ids[r["run_id"]]
            con.execute(
                "INSERT OR REPLACE INTO runs (run_id, scenario, replicate, status, finished, "
                "params) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    r["run_id"],
                    r["scenario"],
                    r["replicate"],
                    r["status"],
                    r["finished"],
                    r["params"],
                ],
            )
    _read_everything(root)
