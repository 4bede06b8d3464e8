"""Running a batch of specs into a results store: skip what is done, record what happens."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoresim.core.errors import InputError
from scoresim.experiments.executors import Executor
from scoresim.experiments.runner import pending_record
from scoresim.experiments.spec import RunSpec
from scoresim.results import MANIFEST_FILE, atomic_write, verify_run
from scoresim.store import (
    DB_FILE,
    EXPERIMENT_FILE,
    RunRecord,
    list_runs,
    read_experiment,
    run_dir,
    upsert,
)
from scoresim.store.layout import is_plain_dir
from scoresim.store.lock import writer_lock
from scoresim.store.repair import record_from_files

__all__ = ["BatchReport", "BatchProgress", "done_ids", "run_batch"]

#: Told after each run: (finished ok, failed, to run in all).
BatchProgress = Callable[[int, int, int], None]
FLUSH_EVERY_S = 1.0


@dataclass
class BatchReport:
    """What a batch did."""

    ran: int
    skipped: int
    failed: int
    failures: dict[str, str]


def done_ids(root: Path, among: Iterable[str] | None = None) -> set[str]:
    """Runs whose files are complete: those run.json lists, with its sizes and checksums.

    The files are the truth and the manifest is their index: a run finished just before a
    crash, whose manifest row was not yet written, still counts (and :func:`run_batch`
    repairs its row); a run whose measures were truncated does not, and is run again.
    """
    runs = root / "runs"
    if not runs.is_dir():
        return set()
    dirs = runs.iterdir() if among is None else (runs / i for i in among)
    return {
        d.name
        for d in dirs
        if not d.name.startswith(".")
        and is_plain_dir(d)  # a link in runs/ is not a run of this directory
        and (d / MANIFEST_FILE).is_file()
        and verify_run(d) is None
    }


def _record_from_files(root: Path, spec: RunSpec) -> RunRecord:
    """A complete run's manifest row, from its spec and its run.json."""
    return record_from_files(run_dir(root, spec.run_id), pending_record(spec))


def write_experiment(root: Path, meta: dict[str, Any], resume: bool) -> None:
    """Write ``experiment.json``; on resume, insist that it describes the same experiment."""
    path = root / EXPERIMENT_FILE
    if path.exists():
        old = read_experiment(root)
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
    rerun: bool = False,
) -> BatchReport:
    """Run every spec not already complete in ``root``, recording each outcome as it comes.

    The manifest gets a ``pending`` row per run first, then each run's final row (within a
    second of its end). A batch killed at any moment loses no finished run, and rerunning it
    runs only what is missing.

    Args:
        specs: The runs.
        root: Results directory.
        executor: Where they run.
        progress: Told after each run.
        rerun: Run every spec even if complete in ``root`` (its files are replaced only when
            the new run succeeds).
    """
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise InputError("two runs of the batch have the same id")
    with writer_lock(root):
        return _run_locked(ids, specs, root, executor, progress, rerun)


def _run_locked(
    ids: list[str],
    specs: Sequence[RunSpec],
    root: Path,
    executor: Executor,
    progress: BatchProgress | None,
    rerun: bool,
) -> BatchReport:
    # Only this batch's runs are checked: a directory of many runs is not re-hashed for one.
    complete_before = done_ids(root, ids)
    done = set() if rerun else complete_before
    todo = [s for s in specs if s.run_id not in done]
    known = {r["run_id"]: r["status"] for r in list_runs(root)} if _has_db(root) else {}
    repaired = [
        _record_from_files(root, s)
        for s in specs
        if s.run_id in done and known.get(s.run_id) != "complete"
    ]
    # A rerun's complete row stands until the new run's record replaces it: an interrupted
    # rerun must not hide the earlier run behind a pending row.
    fresh = [pending_record(s) for s in todo if s.run_id not in complete_before]
    upsert(root, repaired + fresh)
    ok = failed = 0
    failures: dict[str, str] = {}
    if progress is not None:
        progress(0, 0, len(todo))
    buffer: list[RunRecord] = []
    recorded: set[str] = set()
    last_flush = time.monotonic()
    by_id = {s.run_id: s for s in specs}
    try:
        for record in executor.run(todo, str(root)):
            recorded.add(record.run_id)
            if record.status != "complete" and record.run_id in complete_before:
                # A failed rerun left the earlier complete run in place: the manifest keeps it.
                buffer.append(_record_from_files(root, by_id[record.run_id]))
            else:
                buffer.append(record)
            # The manifest is written at most once a second: opening DuckDB for every run
            # would make the coordinator the bottleneck of a sweep of short runs. The run's
            # files are already complete on disk, so a crash in between loses no run.
            if time.monotonic() - last_flush >= FLUSH_EVERY_S:
                upsert(root, buffer)
                buffer, last_flush = [], time.monotonic()
            if record.status == "complete":
                ok += 1
            else:
                failed += 1
                failures[record.run_id] = record.error or ""
            if progress is not None:
                progress(ok, failed, len(todo))
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM) or the executor broke: stop the workers first, so
        # that no run finishes behind the manifest's back, then record every run whose
        # files are complete, so the manifest says what the directory holds.
        executor.abort()
        # Only the runs not yet heard of are checked: a stop must not wait to re-hash them all.
        finished = done_ids(root, (s.run_id for s in todo if s.run_id not in recorded))
        buffer += [_record_from_files(root, by_id[i]) for i in finished]
        upsert(root, buffer)
        raise
    upsert(root, buffer)
    return BatchReport(
        ran=len(todo), skipped=len(specs) - len(todo), failed=failed, failures=failures
    )


def _has_db(root: Path) -> bool:
    return (root / DB_FILE).is_file()
