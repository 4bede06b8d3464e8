"""Where a run's snapshots are, and what the explorer's parts read of an indexed directory.

The story, the blacklist and the examples are written against :class:`Source`, not against
:class:`~scoresim.explore.data.ExplorerData` itself, so they do not import the module that
imports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from scoresim.analysis.compare import RunSet
from scoresim.explore.cache import problem
from scoresim.results import SNAPSHOT_DIR

__all__ = ["RunIndex", "Source", "index_run"]

_STEP_FILE = re.compile(r"step-(\d{6})\.parquet$")
_TIES_FILE = re.compile(r"ties-(\d{6})\.parquet$")


@dataclass
class RunIndex:
    """Where one run's readable snapshots are, and which of its files are not.

    Attributes:
        unreadable: Snapshot steps whose file is corrupt, truncated or of another layout, with
            what is wrong (they are not in ``steps``: a lookup there is answered 422).
        skipped: Every unreadable snapshot or ties file, by name, with what is wrong.
    """

    run_id: str
    directory: Path
    steps: dict[int, Path] = field(default_factory=dict)
    ties: dict[int, Path] = field(default_factory=dict)
    citizens: int = 0
    columns: list[str] = field(default_factory=list)
    unreadable: dict[int, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def index_run(directory: Path) -> RunIndex:
    """Find a run's snapshot and tie files, check their footers, and read its citizens.

    A file whose footer does not parse, or whose columns are not what the explorer reads,
    is left out of the index (and named in ``skipped``), so that start-up and the other
    files' lookups never meet it.
    """
    snaps = directory / SNAPSHOT_DIR
    idx = RunIndex(directory.name, directory)
    if snaps.is_dir():
        for f in sorted(snaps.iterdir()):
            if m := _STEP_FILE.search(f.name):
                if (why := problem(f)) is None:
                    idx.steps[int(m.group(1))] = f
                else:
                    idx.unreadable[int(m.group(1))] = why
                    idx.skipped[f.name] = why
            elif m := _TIES_FILE.search(f.name):
                if (why := problem(f, ties=True)) is None:
                    idx.ties[int(m.group(1))] = f
                else:
                    idx.skipped[f.name] = why
    if idx.steps:
        try:  # checked above; a file replaced since is reported when it is asked for
            meta = pq.read_metadata(idx.steps[max(idx.steps)])
            idx.citizens = meta.num_rows
            idx.columns = list(meta.schema.names)
        except (OSError, pa.ArrowException):
            pass
    return idx


class Source(Protocol):
    """What the explorer's parts read of an indexed results directory."""

    results: RunSet

    def __hash__(self) -> int:
        """Sources are cached by identity."""
        ...

    def run(self, scenario: str, replicate: int) -> RunIndex:
        """The run of ``scenario`` and ``replicate``."""
        ...

    def snapshot(self, run: RunIndex, step: int | None) -> tuple[int, Path]:
        """The snapshot at ``step`` (default: the last)."""
        ...

    def params(self, scenario: str, module: str) -> dict[str, Any] | None:
        """The parameters of ``module`` in ``scenario`` (None if it does not run it)."""
        ...

    def states(self, scenario: str) -> dict[str, dict[str, Any]]:
        """Every per-citizen state the modules of ``scenario`` declared, by name."""
        ...

    def rows(self, sql: str, args: list[Any], what: str) -> list[dict[str, Any]]:
        """The rows of a query over snapshot files."""
        ...

    def table(self, sql: str, args: list[Any], what: str) -> pa.Table:
        """A query's answer as an Arrow table."""
        ...
