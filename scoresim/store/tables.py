"""Study tables kept in the store beside the manifest (a calibration's posterior, ...).

The Parquet file a study writes is its truth; the table is a copy made for SQL, replaced
whenever the study writes the file again. ``tables.json`` names each table's file, so that
``scoresim repair`` can make the tables again when it rebuilds the database.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import duckdb

from scoresim.results import atomic_write
from scoresim.store.manifest import connect

__all__ = ["TABLES_FILE", "put_table", "restore_tables"]

#: Which Parquet file (relative to the results directory) each study table copies.
TABLES_FILE = "tables.json"
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
#: The manifest's own table and views: a study table must not replace them.
_RESERVED = frozenset({"runs", "complete_runs", "measures", "final_measures"})


def put_table(root: Path, name: str, parquet: Path) -> None:
    """Replace table ``name`` in ``root``'s database with the rows of ``parquet``.

    Raises:
        ValueError: If ``name`` is not a plain identifier.
    """
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise ValueError(
            f"table name {name!r}: letters, digits and underscores only, and not one of "
            f"{', '.join(sorted(_RESERVED))}"
        )
    with connect(root, views=False) as con:
        con.execute(
            f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_parquet(?)',
            [str(parquet.resolve())],
        )
    if parquet.resolve().parent != root.resolve():
        return  # only a file of the directory itself can be found again by repair
    known = {**_listed(root), name: parquet.name}
    text = json.dumps(known, indent=2, sort_keys=True)
    atomic_write(root / TABLES_FILE, lambda p: p.write_text(text, encoding="utf-8"))


def _listed(root: Path) -> dict[str, str]:
    """The tables ``tables.json`` names, with their files: only plain names and paths."""
    try:
        data = json.loads((root / TABLES_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: v
        for k, v in data.items()
        if isinstance(k, str)
        and _NAME.fullmatch(k)
        and k not in _RESERVED
        and isinstance(v, str)
        and re.fullmatch(r"[A-Za-z0-9_.-]+\.parquet", v)
    }


def restore_tables(root: Path) -> list[str]:
    """Make again every table ``tables.json`` names whose file is there and reads.

    Returns:
        The names of the tables made; a file that is missing, a link or not a readable
        Parquet file is left out (the study that wrote it can write it again).
    """
    done = []
    for name, file in sorted(_listed(root).items()):
        path = root / file
        try:
            plain = stat.S_ISREG(path.lstat().st_mode)
        except OSError:
            plain = False
        if not plain:
            continue
        try:
            put_table(root, name, path)
        except duckdb.Error:
            continue
        done.append(name)
    return done
