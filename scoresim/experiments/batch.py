"""Running a batch of specs into a results store: skip what is done, record what happens."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoresim.errors import InputError
from scoresim.experiments.executors import Executor
from scoresim.experiments.runner import pending_record
from scoresim.experiments.spec import RunSpec
from scoresim.results import MANIFEST_FILE, MEASURES_FILE, atomic_write
from scoresim.store import list_runs, run_dir, upsert

__all__ = ["BatchReport", "BatchProgress", "done_ids", "run_batch"]

#: Told after each run: (finished ok, failed, to run in all).
BatchProgress = Callable[[int, int, int], None]
EXPERIMENT_FILE = "experiment.json"


@dataclass
class BatchReport:
    """What a batch did."""

    ran: int
    skipped: int
    failed: int
    failures: dict[str, str]


def done_ids(root: Path) -> set[str]:
    """Runs recorded complete whose files are all there."""
    if not (root / "scoresim.duckdb").exists():
        return set()
    done = set()
    for row in list_runs(root, status="complete"):
        out = run_dir(root, row["run_id"])
        if (out / MEASURES_FILE).is_file() and (out / MANIFEST_FILE).is_file():
            done.add(row["run_id"])
    return done


def write_experiment(root: Path, meta: dict[str, Any], resume: bool) -> None:
    """Write ``experiment.json``; on resume, insist that it describes the same experiment."""
    path = root / EXPERIMENT_FILE
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if resume and old != meta:
            raise InputError(
                f"{root}: --resume with a different experiment than the one stored there "
                f"({old.get('name')!r}); use another --out directory"
            )
        if not resume:
            raise InputError(
                f"{root}: already holds an experiment ({old.get('name')!r}); "
                "add --resume to continue it, or choose another --out directory"
            )
    atomic_write(path, lambda p: p.write_text(json.dumps(meta, indent=2), encoding="utf-8"))


def run_batch(
    specs: Sequence[RunSpec],
    root: Path,
    executor: Executor,
    progress: BatchProgress | None = None,
) -> BatchReport:
    """Run every spec not already complete in ``root``, recording each outcome as it comes.

    The manifest gets a ``pending`` row per run first, then each run's final row as soon as it
    finishes, so a batch killed at any moment loses no finished run, and rerunning it runs only
    what is missing.
    """
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise InputError("two runs of the batch have the same id")
    done = done_ids(root)
    todo = [s for s in specs if s.run_id not in done]
    upsert(root, [pending_record(s) for s in todo])
    ok = failed = 0
    failures: dict[str, str] = {}
    if progress is not None:
        progress(0, 0, len(todo))
    for record in executor.run(todo, str(root)):
        upsert(root, [record])
        if record.status == "complete":
            ok += 1
        else:
            failed += 1
            failures[record.run_id] = record.error or ""
        if progress is not None:
            progress(ok, failed, len(todo))
    return BatchReport(
        ran=len(todo), skipped=len(specs) - len(todo), failed=failed, failures=failures
    )
