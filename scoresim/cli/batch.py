"""What a command that runs or writes holds: the writer lock, an executor, its progress bar.

``_writing_now`` is the one list of results directories being written, which ``main`` reads
when it is interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.markup import escape

from scoresim.cli.output import EXIT_FAILED, _fail, err_console
from scoresim.cli.progress import _RunBar, _show_progress
from scoresim.core.errors import RunFailedError
from scoresim.experiments.executors import Executor, make_executor
from scoresim.store.lock import writer_lock


@contextmanager
def _executor(kind: str, workers: int | None, cluster: str | None) -> Iterator[Executor]:
    executor = make_executor(kind, workers, cluster)
    try:
        yield executor
    finally:
        executor.close()


def _waiting(holder: str) -> None:
    err_console.print(
        f"waiting for {escape(holder)} to finish writing there", highlight=False, soft_wrap=True
    )


#: Results directories this command is writing (what an interrupt has to speak of).
_writing_now: list[Path] = []


@contextmanager
def _writing(out: Path | None, wait: bool) -> Iterator[None]:
    """Hold ``out``'s writer lock for the whole command (nothing to hold without ``out``)."""
    if out is None:
        yield
        return
    with writer_lock(out, wait, _waiting):
        _writing_now.append(out)
        try:
            yield
        finally:
            _writing_now.remove(out)


@contextmanager
def _batch(
    label: str,
    kind: str,
    workers: int | None,
    cluster: str | None,
    as_json: bool,
    out: Path | None = None,
    wait: bool = False,
) -> Iterator[tuple[Executor, _RunBar]]:
    """``out``'s writer lock, an executor and its progress bar (told runs' months)."""
    try:
        with (
            _writing(out, wait),
            _executor(kind, workers, cluster) as ex,
            _RunBar(label, _show_progress(as_json)) as bar,
        ):
            if bar.enabled:
                ex.months = bar.months
            yield ex, bar
    except RunFailedError as exc:  # e.g. a worker process killed: runs done are recorded
        raise _fail(exc, EXIT_FAILED) from None
