"""Where things live inside a results directory, and what made it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from scoresim.core.errors import InputError

__all__ = ["EXPERIMENT_FILE", "is_plain_dir", "read_experiment", "remove_path", "run_dir"]

#: What made the runs of a results directory (compare, sweep, calibrate, robustness).
EXPERIMENT_FILE = "experiment.json"


def run_dir(root: Path, run_id: str) -> Path:
    """Directory of run ``run_id`` under results directory ``root``."""
    return root / "runs" / run_id


def read_experiment(root: Path) -> dict[str, Any]:
    """``experiment.json`` of a results directory ({} if it has none).

    Raises:
        InputError: If it is there but unreadable, or not an experiment's description.
    """
    path = root / EXPERIMENT_FILE
    if not path.is_file():
        return {}
    try:
        exp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: unreadable ({exc})") from None
    if not isinstance(exp, dict):
        raise InputError(f"{path}: not an experiment's description")
    return exp


def is_plain_dir(path: Path) -> bool:
    """Whether ``path`` is a directory itself, not a link to one."""
    return path.is_dir() and not path.is_symlink()


def remove_path(path: Path) -> None:
    """Remove ``path`` if it is there: a link or file is unlinked, a directory removed.

    A link is never followed: a directory someone sent may hold a link where a leftover of
    an interrupted run is expected, pointing at something of the user's.
    """
    if is_plain_dir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif path.is_symlink() or path.exists():
        path.unlink(missing_ok=True)
