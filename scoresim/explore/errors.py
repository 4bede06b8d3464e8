"""What the explorer answers when a request names nothing, or a results file is unreadable.

Neither message holds a server path: a request is answered with what it asked for and the
run it is about, never with where the run is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["NotFoundError", "UnreadableError", "reading", "without_paths"]


class NotFoundError(Exception):
    """A scenario, replicate, step, citizen or example that is not in the results."""


class UnreadableError(Exception):
    """A results file that cannot be read (corrupt, truncated or of another layout)."""


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Turn a failed read of ``what`` (e.g. "snapshot 35 of run X") into UnreadableError.

    Args:
        what: What is being read, as the message names it (no path).

    Raises:
        UnreadableError: If reading raised an I/O, Arrow or DuckDB error, or found a column
            missing.
    """
    try:
        yield
    except (OSError, pa.ArrowException, duckdb.Error, KeyError, EOFError) as exc:
        raise UnreadableError(
            f"{what} is unreadable (corrupt, truncated or of another layout: {type(exc).__name__})"
        ) from None


def without_paths(text: str, root: Path) -> str:
    """``text`` with the results directory's path replaced by ``RESULTS``.

    The last guard before a message leaves the server: messages are written without paths,
    but one from a library (e.g. "Could not open Parquet input source '/home/...'") or a
    worker's error may still hold one.

    Args:
        text: The message.
        root: The results directory (its absolute and its resolved path are replaced).
    """
    for where in sorted({str(root.absolute()), str(root.resolve())}, key=len, reverse=True):
        if len(where) > 1:  # not "/" itself
            text = text.replace(where, "RESULTS")
    return text
