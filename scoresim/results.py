"""What a run produces, and how it is written: Parquet measures and a JSON manifest."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import stat
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from scoresim.core.errors import InputError, ScenarioError
from scoresim.core.metadata import build_modules, run_metadata
from scoresim.core.version import code_version as current_code_version
from scoresim.scenario import Scenario, read_stored

__all__ = [
    "CodeVersionWarning",
    "RunResult",
    "atomic_write",
    "fingerprint",
    "load_run",
    "read_measures",
    "verify_run",
]

MEASURES_FILE = "measures.parquet"
#: The burn-in's measures, months -burn_in..-1 (absent when there is no burn-in).
BURN_IN_FILE = "burn_in.parquet"
MANIFEST_FILE = "run.json"
SNAPSHOT_DIR = "snapshots"
# Snapshots are sorted by id (ties by their first end), so small row groups let a reader
# fetch one citizen by reading one group: the explorer's lookups stay fast at 10M citizens.
SNAPSHOT_ROW_GROUP = 65_536
TIES_ROW_GROUP = 1_048_576


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through a temporary file in the same directory, then rename it.

    A reader sees the old file or the complete new one, never a half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_parquet(table: pa.Table, path: Path, row_group_size: int | None = None) -> None:
    pq.write_table(table, path, row_group_size=row_group_size)


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@dataclass
class RunResult:
    """Measures by step, optional per-citizen snapshots, and provenance of one run."""

    scenario: Scenario
    steps: NDArray[np.int32]
    measures: dict[str, NDArray[np.float64]]
    snapshots: dict[int, dict[str, NDArray[Any]]] = field(default_factory=dict)
    tie_snapshots: dict[int, dict[str, NDArray[Any]]] = field(default_factory=dict)
    egos: dict[str, dict[str, NDArray[Any]]] = field(default_factory=dict)
    code_version: str = ""
    scenario_hash: str = ""
    started: float = 0.0
    finished: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)
    stopped_early: bool = False
    burn_in: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """The run's seed."""
        return self.scenario.seed

    def final(self) -> dict[str, float]:
        """Each measure's last reported value (yearly measures: their last year's)."""
        out: dict[str, float] = {}
        for name, col in self.measures.items():
            seen = col[~np.isnan(col)]
            out[name] = float(seen[-1]) if seen.size else math.nan
        return out

    def measure_info(self, name: str) -> dict[str, Any]:
        """The declaration of measure ``name`` (label, kind, unit, better, headline, module).

        Measures without a declaration (a run written before declarations were recorded) get
        their name as label.
        """
        info = self.metadata.get("measures", {}).get(name)
        if info is not None:
            return dict(info)
        return {"name": name, "label": name, "description": "", "kind": "number", "unit": ""}

    def provenance(self) -> dict[str, Any]:
        """Scenario name and hash, seed, code version, steps and timings."""
        return {
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "code_version": self.code_version,
            "steps": int(self.steps.size),
            "burn_in": int(self.burn_in_steps.size),
            "agents": self.scenario.society.agents,
            "started": self.started,
            "finished": self.finished,
            "elapsed_s": round(self.finished - self.started, 3),
        }

    @property
    def burn_in_steps(self) -> NDArray[np.int32]:
        """The burn-in's months, -burn_in..-1 (the policy starts at month 0)."""
        months = len(next(iter(self.burn_in.values()))) if self.burn_in else 0
        return np.arange(-months, 0, dtype=np.int32)

    def to_arrow(self, burn_in: bool = False) -> pa.Table:
        """Measures as an Arrow table: step, year, month, then one column per measure.

        Args:
            burn_in: The burn-in's months (negative steps and years) instead of the run's.
        """
        steps = self.burn_in_steps if burn_in else self.steps
        cols: dict[str, Any] = {
            "step": pa.array(steps, pa.int32()),
            "year": pa.array(steps // 12, pa.int32()),
            "month": pa.array(steps % 12 + 1, pa.int8()),
        }
        data = self.burn_in if burn_in else self.measures
        cols.update({k: pa.array(v, pa.float64()) for k, v in data.items()})
        # No timings here: the same scenario and seed give the same bytes on any executor.
        meta = {
            "scoresim.scenario": self.scenario.model_dump_json(),
            "scoresim.scenario_hash": self.scenario_hash,
            "scoresim.seed": str(self.seed),
            "scoresim.code_version": self.code_version,
        }
        return pa.table(cols).replace_schema_metadata(meta)

    def write(self, out_dir: str | Path, provenance: dict[str, Any] | None = None) -> Path:
        """Write ``measures.parquet``, snapshots and ``run.json`` (last) into ``out_dir``.

        Every file is written atomically; the manifest goes last and records each file's
        size and SHA-256, so a directory whose files match its manifest holds a complete run
        (:func:`verify_run`).

        Args:
            out_dir: The run's directory.
            provenance: More fields for ``run.json`` (e.g. the run's id and experiment, so
                that a manifest can be rebuilt from the files).

        Returns:
            The path of the measures file.
        """
        out = Path(out_dir)
        written: list[Path] = []

        def put(path: Path, table: pa.Table, row_group_size: int | None = None) -> None:
            atomic_write(
                path, functools.partial(_write_parquet, table, row_group_size=row_group_size)
            )
            written.append(path)

        target = out / MEASURES_FILE
        put(target, self.to_arrow())
        if self.burn_in:
            put(out / BURN_IN_FILE, self.to_arrow(burn_in=True))
        else:  # a directory reused from a run with a burn-in must not keep its months
            (out / BURN_IN_FILE).unlink(missing_ok=True)
        for part, arrays in self.egos.items():
            put(out / f"ego_{part}.parquet", pa.table({k: pa.array(v) for k, v in arrays.items()}))
        for step, arrays in sorted(self.snapshots.items()):
            snap = pa.table({k: pa.array(v) for k, v in arrays.items()})
            put(out / SNAPSHOT_DIR / f"step-{step:06d}.parquet", snap, SNAPSHOT_ROW_GROUP)
        for step, arrays in sorted(self.tie_snapshots.items()):
            ties = pa.table({k: pa.array(v) for k, v in arrays.items()})
            put(out / SNAPSHOT_DIR / f"ties-{step:06d}.parquet", ties, TIES_ROW_GROUP)
        manifest = {
            **(provenance or {}),
            **self.provenance(),
            "status": (
                "complete"
                if self.steps.size == self.scenario.steps or self.stopped_early
                else "partial"
            ),
            "stopped_early": self.stopped_early,
            "final": {k: (None if math.isnan(v) else v) for k, v in self.final().items()},
            "scenario_definition": self.scenario.model_dump(mode="json"),
            "metadata": self.metadata,
            "files": {p.relative_to(out).as_posix(): fingerprint(p) for p in written},
        }
        text = json.dumps(manifest, indent=2)
        atomic_write(out / MANIFEST_FILE, lambda p: _write_text(p, text))
        return target


def _read_burn_in(path: Path, skip: set[str]) -> dict[str, NDArray[np.float64]]:
    """The burn-in's measures, as floats.

    Raises:
        InputError: If the file is not a readable Parquet table of numbers.
    """
    try:
        burn = pq.read_table(path)
        return {
            name: burn.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
            for name in burn.column_names
            if name not in skip
        }
    except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable table of burn-in measures: {reason}") from None


class CodeVersionWarning(UserWarning):
    """A run read back was written by another version of scoresim."""


_warned_versions: set[str] = set()


def fingerprint(path: Path) -> dict[str, Any]:
    """A file's size and SHA-256, as ``run.json`` records them."""
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def _read_manifest(out: Path) -> dict[str, Any]:
    """``run.json`` as a dict.

    Raises:
        InputError: Missing, unreadable, or not an object.
    """
    path = out / MANIFEST_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    if not isinstance(info, dict):
        raise InputError(f"{path}: not a run's manifest")
    return info


def verify_run(run_dir: str | Path, checksums: bool = True) -> str | None:
    """Why run directory ``run_dir`` is not a complete run, or None if it is.

    Its files must be those ``run.json`` lists, with the sizes (and, with ``checksums``, the
    SHA-256) recorded there. A run written before files were recorded needs a readable
    ``run.json`` and a ``measures.parquet`` whose footer reads.
    """
    return _verified(Path(run_dir), checksums)[0]


def _verified(out: Path, checksums: bool) -> tuple[str | None, dict[str, Any]]:
    """What is wrong with run ``out`` (None if nothing), and its ``run.json`` as read."""
    if not (out / MANIFEST_FILE).is_file():
        return f"{MANIFEST_FILE}: missing", {}
    try:
        info = _read_manifest(out)
    except InputError as exc:
        return f"{MANIFEST_FILE}: {str(exc).rsplit(': ', 1)[-1]}", {}
    return _damage(out, info, checksums), info


def _damage(out: Path, info: dict[str, Any], checksums: bool) -> str | None:
    """What is wrong with the files of run ``out`` against its read ``run.json``, if any."""
    files = info.get("files")
    if files is None:
        try:
            pq.read_metadata(out / MEASURES_FILE)
        except (OSError, pa.ArrowException) as exc:
            return f"{MEASURES_FILE}: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}"
        return None
    if not isinstance(files, dict) or MEASURES_FILE not in files:
        return f"{MANIFEST_FILE}: its list of files is damaged"
    for name, want in files.items():
        rel = Path(str(name))
        if rel.is_absolute() or ".." in rel.parts or not isinstance(want, dict):
            return f"{MANIFEST_FILE}: its list of files is damaged"
        path = out / rel
        try:  # lstat: a link (say to /dev/zero) is not a file of the run, and is not followed
            found = path.lstat()
        except (OSError, ValueError):  # ValueError: a name with a NUL byte
            return f"{name!r}: missing"
        if not stat.S_ISREG(found.st_mode):
            return f"{name!r}: not a plain file"
        if found.st_size != want.get("bytes"):
            return f"{name}: {found.st_size:,} bytes where {want.get('bytes')} were written"
        try:
            same = not checksums or fingerprint(path)["sha256"] == want.get("sha256")
        except OSError as exc:
            return f"{name}: unreadable ({exc.strerror or exc})"
        if not same:
            return f"{name}: its checksum differs from the one written"
    return None


def load_run(run_dir: str | Path) -> RunResult:
    """Read a run written by :meth:`RunResult.write` back into memory (snapshots excluded).

    Its files' sizes are checked against ``run.json`` first; a run written by another code
    version gives a :class:`CodeVersionWarning` (once per version).

    Raises:
        InputError: If the run's files are missing, damaged or not a run's.
    """
    out = Path(run_dir)
    damage, manifest = _verified(out, checksums=False)  # run.json is read once, here
    if damage is not None:
        raise InputError(
            f"{out}: damaged run ({damage}); `scoresim repair` marks it, and --resume reruns it"
        )
    try:
        table = pq.read_table(out / MEASURES_FILE)
        meta = table.schema.metadata or {}
        stored = meta[b"scoresim.scenario"]
        version = meta[b"scoresim.code_version"].decode()
        digest = meta[b"scoresim.scenario_hash"].decode()
        steps = table.column("step").to_numpy().astype(np.int32)
        skip = {"step", "year", "month"}
        measures = {
            name: table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
            for name in table.column_names
            if name not in skip
        }
    except (OSError, KeyError, ValueError, TypeError, UnicodeDecodeError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{out / MEASURES_FILE}: not a run's measures ({reason})") from None
    try:
        scenario = read_stored(stored, str(out / MEASURES_FILE))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    burn_in: dict[str, NDArray[np.float64]] = {}
    if (out / BURN_IN_FILE).is_file():
        burn_in = _read_burn_in(out / BURN_IN_FILE, skip)
    _warn_version(version, out)
    return RunResult(
        scenario=scenario,
        steps=steps,
        measures=measures,
        code_version=version,
        scenario_hash=digest,
        started=_number(manifest.get("started")),
        finished=_number(manifest.get("finished")),
        metadata=_checked_metadata(manifest.get("metadata"), scenario),
        stopped_early=manifest.get("stopped_early") is True,
        burn_in=burn_in,
    )


def _number(value: Any) -> float:
    """A timing from ``run.json``; 0 where it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return 0.0
    return number if math.isfinite(number) else 0.0


def _warn_version(version: str, out: Path) -> None:
    """Warn once per code version other than this one that wrote runs being read."""
    here = current_code_version()
    if version != here and version not in _warned_versions:
        _warned_versions.add(version)
        warnings.warn(
            f"{out}: written by scoresim {version}, read by {here}; its numbers are that version's",
            CodeVersionWarning,
            stacklevel=3,
        )


def _checked_metadata(meta: Any, scenario: Scenario) -> dict[str, Any]:
    """The declarations ``run.json`` recorded, if they have the shape faces rely on.

    A ``run.json`` written before declarations were recorded, or edited into another shape,
    gets them rebuilt from its scenario, so that no face trips over a missing key.
    """
    measures = meta.get("measures") if isinstance(meta, dict) else None
    marks = meta.get("marks") if isinstance(meta, dict) else None
    ok = (
        isinstance(measures, dict)
        and all(isinstance(v, dict) and isinstance(v.get("label"), str) for v in measures.values())
        and isinstance(marks, list)
        and all(
            isinstance(k, dict)
            and isinstance(k.get("on"), str)
            and isinstance(k.get("value"), int | float)
            and isinstance(k.get("label"), str)
            and isinstance(k.get("kind"), str)
            for k in marks
        )
        and isinstance(meta.get("modules"), dict)
    )
    return dict(meta) if ok else _rebuilt_metadata(scenario)


def _rebuilt_metadata(scenario: Scenario) -> dict[str, Any]:
    """Declarations of a run written before ``run.json`` recorded them: from its scenario."""
    try:
        return run_metadata(build_modules(scenario.modules))
    except ValueError:
        return {}


def read_measures(path: str | Path) -> pa.Table:
    """Read a measures file (or the one in a run directory)."""
    p = Path(path)
    return pq.read_table(p / MEASURES_FILE if p.is_dir() else p)
