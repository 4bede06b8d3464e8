"""The run files are the truth, the manifest their index: rebuilding the index from them."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoresim.core.errors import InputError
from scoresim.results import MANIFEST_FILE, verify_run
from scoresim.store.layout import is_plain_dir, remove_path, run_dir
from scoresim.store.lock import writer_lock
from scoresim.store.manifest import DB_FILE, RunRecord, list_runs, upsert
from scoresim.store.tables import restore_tables

__all__ = ["RepairReport", "record_from_files", "repair"]


@dataclass
class RepairReport:
    """What :func:`repair` found and did."""

    complete: int = 0
    restored: int = 0
    damaged: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    leftovers: int = 0
    moved_db: Path | None = None
    tables: list[str] = field(default_factory=list)


def _text(info: dict[str, Any], key: str, default: str) -> str:
    value = info.get(key)
    return value if isinstance(value, str) else default


def _int(info: dict[str, Any], key: str, default: int) -> int:
    value = info.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _time(info: dict[str, Any], key: str) -> float | None:
    value = info.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def record_from_files(path: Path, base: RunRecord) -> RunRecord:
    """A complete run's manifest row: ``base`` (its spec's row) with what run.json recorded.

    Fields run.json lacks or holds in another type keep ``base``'s values.
    """
    try:
        info = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    params = info.get("params")
    seed = _int(info, "seed", base.seed)
    replicate = _int(info, "replicate", base.replicate)  # the manifest's column is 32-bit
    return RunRecord(
        run_id=base.run_id,
        experiment=_text(info, "experiment", base.experiment),
        scenario=_text(info, "scenario", base.scenario),
        scenario_hash=_text(info, "scenario_hash", base.scenario_hash),
        seed=seed if 0 <= seed < 2**64 else base.seed,
        replicate=replicate if -(2**31) <= replicate < 2**31 else base.replicate,
        code_version=_text(info, "code_version", base.code_version),
        status="complete",
        started=_time(info, "started"),
        finished=_time(info, "finished"),
        elapsed_s=_time(info, "elapsed_s"),
        path=f"runs/{base.run_id}",
        params=params if isinstance(params, dict) else base.params,
    )


def _clear_leftovers(runs: Path) -> int:
    """Remove what interrupted runs left behind; a run caught mid-replacement comes back.

    Links among them are removed, never followed or renamed into place.
    """
    count = 0
    for d in sorted(runs.glob(".*.replaced")):
        final = runs / d.name[1 : -len(".replaced")]
        if is_plain_dir(d) and not final.exists() and not final.is_symlink():
            d.rename(final)
        else:
            remove_path(d)
        count += 1
    for d in sorted(runs.glob(".*.partial")):
        remove_path(d)
        count += 1
    return count


def _row(record: dict[str, Any]) -> RunRecord:
    params = record.get("params")
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except ValueError:
            params = {}
    fields: dict[str, Any] = {k: record.get(k) for k in RunRecord.__dataclass_fields__}
    fields["params"] = params if isinstance(params, dict) else {}
    return RunRecord(**fields)


def repair(root: Path) -> RepairReport:
    """Make ``root``'s manifest say what its run files hold.

    A run directory whose files match its run.json (sizes and checksums) is complete; one
    that does not is marked failed with the reason, so ``--resume`` reruns it; a complete row
    whose directory is gone is marked failed too. A manifest DuckDB cannot read is moved
    aside (``scoresim.duckdb.damaged-TIME``) and rebuilt. Leftovers of interrupted runs are
    removed; the study tables ``tables.json`` names are made again from their files. Holds
    the directory's writer lock.

    Raises:
        InputError: If ``root`` is not a results directory, or another process writes it.
    """
    runs = root / "runs"
    if not runs.is_dir() and not (root / DB_FILE).exists():
        raise InputError(f"{root}: not a scoresim results directory (no runs/ and no {DB_FILE})")
    report = RepairReport()
    with writer_lock(root):
        known: dict[str, RunRecord] = {}
        if (root / DB_FILE).exists():
            try:
                known = {r["run_id"]: _row(r) for r in list_runs(root)}
            except InputError:
                report.moved_db = root / f"{DB_FILE}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
                (root / DB_FILE).rename(report.moved_db)
                (root / f"{DB_FILE}.wal").unlink(missing_ok=True)
        dirs: list[Path] = []
        if runs.is_dir():
            report.leftovers = _clear_leftovers(runs)
            dirs = sorted(d for d in runs.iterdir() if not d.name.startswith(".") and d.is_dir())
        rows: list[RunRecord] = []
        for d in dirs:
            base = known.get(d.name) or RunRecord(d.name, "", "", "", 0, path=f"runs/{d.name}")
            # A run's directory that links elsewhere is not the run's: never recorded complete.
            reason = "its directory is a link" if d.is_symlink() else verify_run(d)
            if reason is None:
                rows.append(record_from_files(d, base))
                report.complete += 1
                if base.status != "complete":
                    report.restored += 1
            else:
                base.status, base.error = "failed", f"damaged: {reason}"
                rows.append(base)
                report.damaged[d.name] = reason
        on_disk = {d.name for d in dirs}
        for run_id, record in known.items():
            if run_id not in on_disk and record.status == "complete":
                record.status, record.error = "failed", "files missing"
                rows.append(record)
                report.missing.append(run_id)
        upsert(root, rows)
        if report.moved_db is not None:  # the study tables went with it: make them again
            report.tables = restore_tables(root)
    return report


def run_state(root: Path, row: dict[str, Any]) -> str:
    """A manifest row's status, checked against its files for the complete ones.

    ``complete`` rows whose files are gone or do not match run.json's sizes read
    ``missing`` or ``damaged`` (``scoresim repair`` records that in the manifest).
    """
    status = str(row.get("status"))
    if status != "complete":
        return status
    run_id = str(row.get("run_id"))
    path = run_dir(root, run_id)
    if Path(run_id).name != run_id or path.is_symlink():
        return "damaged"  # not a directory of this results directory
    if not path.is_dir():
        return "missing"
    return "complete" if verify_run(path, checksums=False) is None else "damaged"
