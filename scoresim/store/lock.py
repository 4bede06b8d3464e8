"""One writer per results directory: an advisory lock on ``DIR/.scoresim.lock``.

Two processes writing one directory (the same ``compare --out DIR --resume`` started twice)
would replace each other's run directories; the lock makes the second one stop with a clear
message, or wait its turn. Readers (report, explore, runs) never take it. The lock is the
kernel's (``flock``), so it goes away with its process, even one killed by SIGKILL.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from scoresim.core.errors import InputError
from scoresim.store.layout import run_dir

__all__ = ["LOCK_FILE", "writer_lock"]

LOCK_FILE = ".scoresim.lock"

# Directories this thread holds, with how often: a command that holds a directory calls
# run_batch, which takes the same lock again (flock would block on a second open file).
# Another thread is another writer: it opens its own file and is refused like a process.
_held: dict[tuple[Path, int], int] = {}
_guard = threading.Lock()


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it: 'pid N, `command` since HH:MM:SS'."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(float(info["since"])))
        return f"pid {int(info['pid'])}, `{str(info['command'])[:120]}` since {since}"
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return "another process"


def _open(root: Path) -> int:
    """The lock file, opened for writing: a regular file of its own, never a link.

    A results directory may come from someone else: a lock file that is a symbolic or hard
    link to another file would have that file overwritten by the holder's stamp.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(
            root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o666
        )
    except OSError as exc:
        reason = "is a link" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise InputError(f"{root}: cannot write results here: {LOCK_FILE} {reason}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise InputError(
            f"{root}: cannot write results here: {LOCK_FILE} is not a plain file of its own "
            "(a link or a special file); remove it"
        )
    return fd


@contextmanager
def writer_lock(
    root: Path, wait: bool = False, waiting: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the writer lock of results directory ``root`` (created if missing).

    A directory this call created and nobody wrote into is removed again, so a command
    that stops on bad input leaves nothing behind.

    Args:
        root: The results directory.
        wait: If another process holds it, wait for it instead of failing.
        waiting: Told once, with the holder, when the lock must be waited for.

    Raises:
        InputError: If another process holds it and ``wait`` is false, or ``root`` cannot
            be written.
    """
    key = (root.resolve(), threading.get_ident())
    with _guard:
        if key in _held:  # this process holds it already (a command, then its batch)
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    created = not root.exists()
    fd = _locked(root, wait, waiting)
    try:
        runs = run_dir(root, "_").parent
        if runs.is_symlink():  # writers would write and delete in the link's target
            raise InputError(
                f"{runs}: is a link; scoresim writes runs only into a directory of the results "
                "directory itself"
            )
        with _guard:
            _held[key] = 1
        try:
            stamp = {"pid": os.getpid(), "command": " ".join(sys.argv), "since": time.time()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(stamp).encode("utf-8"), 0)
            yield
        finally:
            with _guard:
                del _held[key]
            if created and {p.name for p in root.iterdir()} == {LOCK_FILE}:
                # Another writer may be creating it again meanwhile: then it stays.
                with suppress(OSError):
                    (root / LOCK_FILE).unlink()
                    root.rmdir()
    finally:
        os.close(fd)  # closing the file releases the lock


def _locked(root: Path, wait: bool, waiting: Callable[[str], None] | None) -> int:
    """An open lock file of ``root`` that this process holds the lock of."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        raise InputError(
            f"{root}: writing results needs a POSIX system (Linux, macOS, WSL) for its lock"
        ) from None

    told = False
    while True:
        fd = _open(root)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                os.close(fd)
                raise InputError(
                    f"{root}: another scoresim process is writing here ({holder}); add --wait "
                    "to start when it is done, or write elsewhere"
                ) from None
            if waiting is not None and not told:
                waiting(holder)
                told = True
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        # The holder may have removed an unused directory's lock file before we got the
        # lock: ours would then be a lock on a file nobody else sees. Take the one there.
        try:
            same = os.fstat(fd).st_ino == os.stat(root / LOCK_FILE).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
