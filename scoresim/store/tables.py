"""Study tables kept in the store beside the manifest (a calibration's posterior, ...).

The Parquet file a study writes is its truth; the table is a copy made for SQL, replaced
whenever the study writes the file again.
"""

from __future__ import annotations

import re
from pathlib import Path

from scoresim.store.manifest import connect

__all__ = ["put_table"]


def put_table(root: Path, name: str, parquet: Path) -> None:
    """Replace table ``name`` in ``root``'s database with the rows of ``parquet``.

    Raises:
        ValueError: If ``name`` is not a plain identifier.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"table name {name!r}: letters, digits and underscores only")
    with connect(root, views=False) as con:
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet(?)",
            [str(parquet.resolve())],
        )
