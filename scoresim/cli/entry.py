"""``main``: the command's entry point, with its handling of signals and warnings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.markup import escape

from scoresim.cli.app import app
from scoresim.cli.batch import _writing_now
from scoresim.cli.output import _warn, err_console


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings as one line each, like errors, without the source line Python adds."""
    _warn(str(message))


def main() -> None:
    """Entry point of the ``scoresim`` command and ``python -m scoresim``.

    Ctrl-C and SIGTERM stop in order: workers are stopped, finished runs are recorded
    (run_batch), one line says how to continue when results were being written, and the
    exit code is 128 plus the signal's number (130, 143).
    """
    import signal
    import warnings

    warnings.showwarning = _one_line_warning
    stopped: list[int] = []
    was_writing: list[Path] = []

    def stop(signum: int, frame: Any) -> None:
        if stopped:  # stopping already: a second Ctrl-C must not cut the recording short
            return
        stopped.append(signum)
        was_writing.extend(_writing_now)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        app()
    except BaseException:
        # Typer turns the interrupt into a silent exit, and DuckDB, interrupted mid-query,
        # into a RuntimeError: either way, say what happened and what holds.
        if not stopped:
            raise
    if not stopped:
        return
    if was_writing:
        where = escape(str(was_writing[0]))
        err_console.print(
            f"[bold red]stopped:[/] runs that finished are recorded in {where}; "
            "the same command with --resume continues",
            highlight=False,
            soft_wrap=True,
        )
    sys.exit(128 + stopped[0])
