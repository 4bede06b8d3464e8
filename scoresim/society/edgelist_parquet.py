"""Reading a Parquet edge list: its first two columns, if they hold integers or text."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scoresim.core.errors import InputError

__all__ = ["read_parquet"]


def _id_column(path: Path, field: pa.Field, column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet id column as integers or strings, or a refusal naming its type."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        column = column.cast(kind)  # pandas categoricals come back as dictionaries
    if pa.types.is_integer(kind):
        return column
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.large_string())
    if pa.types.is_string_view(kind):
        return column.cast(pa.large_string())
    raise InputError(
        f"{path}: column {field.name!r} has type {field.type}; node ids must be integers or text"
    )


def read_parquet(path: Path) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """The first two columns of a Parquet file, refused unless integers or strings."""
    with pq.ParquetFile(path) as pf:
        schema = pf.schema_arrow
        if len(schema) < 2:
            raise InputError(
                f"{path}: edge list needs two columns of node ids, found {len(schema)}"
            )
        fields = [schema.field(0), schema.field(1)]
        for field in fields:  # checked before reading: a list column may be large
            kind = field.type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if not (
                pa.types.is_integer(kind)
                or pa.types.is_string(kind)
                or pa.types.is_large_string(kind)
                or pa.types.is_string_view(kind)
            ):
                raise InputError(
                    f"{path}: column {field.name!r} has type {field.type}; "
                    "node ids must be integers or text"
                )
        names = [f.name for f in fields]
        table = pf.read(columns=names) if names[0] != names[1] else pf.read()
    return (
        _id_column(path, fields[0], table.column(0)),
        _id_column(path, fields[1], table.column(1)),
    )
