"""The manifest: one row per run in a DuckDB database, with views over the Parquet files.

Only the coordinating process writes it, in short transactions, so ``scoresim runs`` can read
it while a sweep is running.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from scoresim.core.errors import InputError

__all__ = ["DB_FILE", "RunRecord", "connect", "damaged", "list_runs", "upsert"]

DB_FILE = "scoresim.duckdb"
_LOCK_WAIT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    experiment VARCHAR,
    scenario VARCHAR,
    scenario_hash VARCHAR,
    seed UBIGINT,
    replicate INTEGER,
    code_version VARCHAR,
    status VARCHAR,
    started DOUBLE,
    finished DOUBLE,
    elapsed_s DOUBLE,
    error VARCHAR,
    path VARCHAR,
    params JSON
)
"""

STATUSES = ("pending", "complete", "failed")


@dataclass
class RunRecord:
    """One manifest row."""

    run_id: str
    experiment: str
    scenario: str
    scenario_hash: str
    seed: int
    replicate: int = 0
    code_version: str = ""
    status: str = "pending"
    started: float | None = None
    finished: float | None = None
    elapsed_s: float | None = None
    error: str | None = None
    path: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def row(self) -> tuple[Any, ...]:
        """Values in table column order."""
        return (
            self.run_id,
            self.experiment,
            self.scenario,
            self.scenario_hash,
            self.seed,
            self.replicate,
            self.code_version,
            self.status,
            self.started,
            self.finished,
            self.elapsed_s,
            self.error,
            self.path,
            json.dumps(self.params),
        )


@contextmanager
def connect(
    root: Path, read_only: bool = False, views: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store's database (creating it unless ``read_only``), with fresh views.

    Views (recreated on each open, with absolute paths, so a moved directory still works):
    ``complete_runs``; ``measures`` (every complete run's per-step measures with its manifest
    columns); ``final_measures`` (each run's last step).

    Raises:
        InputError: If ``read_only`` and there is no database, or it stays locked.
    """
    db = root / DB_FILE
    if read_only and not db.exists():
        raise InputError(f"{root}: not a scoresim results directory (no {DB_FILE})")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{root}: cannot write results here: {exc.strerror or exc}") from None
    for path in (db, db.with_name(f"{DB_FILE}.wal")):
        _plain_or_absent(root, path)
    deadline = time.monotonic() + _LOCK_WAIT_S
    while True:
        try:
            con = duckdb.connect(str(db), read_only=read_only, config=_CONFIG)
            break
        except duckdb.IOException as exc:
            # Another process holds DuckDB's write lock for a moment (a batch flushing its
            # rows): wait. Anything else is a damaged file, and waiting would not mend it.
            if "lock" not in str(exc).lower():
                raise damaged(root, exc) from None
            if time.monotonic() > deadline:
                raise InputError(f"{db}: database is locked by another process: {exc}") from None
            time.sleep(0.05)
        except duckdb.Error as exc:
            raise damaged(root, exc) from None
    try:
        try:
            _refuse_code(con, root)
            if not read_only:
                con.execute(_SCHEMA)
            if views:  # they read every run's Parquet schema: skipped for manifest updates
                _create_views(con, root)
        except duckdb.Error as exc:
            raise damaged(root, exc) from None
        yield con
    finally:
        con.close()


#: A database someone sent must not fetch or load anything: no extension is installed or
#: loaded behind the user's back.
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
_COLUMNS = [line.split()[0] for line in _SCHEMA.splitlines()[2:-1]]


def _plain_or_absent(root: Path, path: Path) -> None:
    """Refuse a database file that is a link or a special file (DuckDB would follow it)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        raise InputError(
            f"{path}: not a plain file of its own (a link or a special file); remove it, "
            f"then `scoresim repair {root}` rebuilds the manifest"
        )


def _refuse_code(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Refuse a database that holds code: views, macros, computed or default columns.

    The manifest is data. A database that was edited to run something when it is read
    (a view over ``read_text``, say) is treated as damaged, and repair moves it aside.
    """
    stored = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_views() WHERE NOT internal AND NOT temporary)"
        " + (SELECT count(*) FROM duckdb_functions() WHERE NOT internal"
        "    AND function_type IN ('macro', 'table_macro'))"
        " + (SELECT count(*) FROM duckdb_columns() WHERE NOT internal"
        "    AND (is_generated OR column_default IS NOT NULL))"
    ).fetchone()
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs' "
            "AND NOT internal ORDER BY column_index"
        ).fetchall()
    ]
    if (stored and stored[0]) or (columns and columns != _COLUMNS):
        raise InputError(
            f"{root / DB_FILE}: holds views, macros or a runs table of another shape, which "
            f"a manifest never does; `scoresim repair {root}` moves it aside and rebuilds it"
        )


def damaged(root: Path, exc: Exception) -> InputError:
    """The one line for a manifest or run files DuckDB cannot read, and what mends it."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(
        f"{root / DB_FILE}: cannot read the manifest or a run's files ({reason}); "
        f"`scoresim repair {root}` rebuilds the manifest from the run files"
    )


def _create_views(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    # Temporary views: they live in this connection only, so read-only connections get them
    # too and the database file never stores a path.
    con.execute(
        "CREATE OR REPLACE TEMP VIEW complete_runs AS SELECT * FROM runs WHERE status = 'complete'"
    )
    # The complete runs' files, by name: a glob would also read a damaged run's file that
    # the manifest no longer counts (see repair), and fail on it.
    rows = con.execute("SELECT run_id FROM complete_runs ORDER BY run_id").fetchall()
    files = [root.resolve() / "runs" / r[0] / "measures.parquet" for r in rows]
    files = [f for f in files if f.is_file()]
    if not files:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW measures AS "
            "SELECT *, NULL::INTEGER AS step FROM complete_runs WHERE false"
        )
    else:
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW measures AS "
            "SELECT r.*, m.* EXCLUDE (filename) FROM read_parquet("
            f"[{listed}], union_by_name = true, filename = true) m "
            "JOIN complete_runs r ON regexp_extract(replace(m.filename, '\\', '/'), "
            "'/runs/([^/]+)/measures\\.parquet$', 1) = r.run_id"
        )
    # Each run's last reported value of every measure: yearly measures are NaN in most
    # months, so the last row alone would lose them (the same rule as RunResult.final).
    cols = [d[0] for d in con.execute("DESCRIBE measures").fetchall()]
    manifest = {d[0] for d in con.execute("DESCRIBE runs").fetchall()}
    measures = [c for c in cols if c not in manifest and c not in ("step", "year", "month")]
    # Column names come from the files: quoted as identifiers, so a crafted name stays a name.
    quoted = ['"' + c.replace('"', '""') + '"' for c in measures]
    lasts = ", ".join(
        f"arg_max({q}, step) FILTER (WHERE {q} IS NOT NULL AND NOT isnan({q})) AS {q}"
        for q in quoted
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW final_measures AS SELECT r.*, f.* EXCLUDE (run_id) FROM "
        f"(SELECT run_id, max(step) AS step{', ' + lasts if lasts else ''} FROM measures "
        "GROUP BY run_id) f JOIN complete_runs r USING (run_id)"
    )


def upsert(root: Path, records: Sequence[RunRecord]) -> None:
    """Insert or replace manifest rows."""
    if not records:
        return
    with connect(root, views=False) as con:
        try:
            con.executemany(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r.row() for r in records],
            )
        except duckdb.Error as exc:  # e.g. a DuckDB file of something else, or damaged
            raise damaged(root, exc) from None


def list_runs(root: Path, status: str | None = None) -> list[dict[str, Any]]:
    """Manifest rows as dicts, oldest first; optionally only those with ``status``."""
    with connect(root, read_only=True, views=False) as con:
        sql = "SELECT * FROM runs"
        args: list[Any] = []
        if status is not None:
            sql += " WHERE status = ?"
            args.append(status)
        try:
            cur = con.execute(sql + " ORDER BY run_id", args)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        except duckdb.Error as exc:
            raise damaged(root, exc) from None
