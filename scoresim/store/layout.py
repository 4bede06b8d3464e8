"""Where things live inside a results directory, and what made it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scoresim.core.errors import InputError

__all__ = ["EXPERIMENT_FILE", "read_experiment", "run_dir"]

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
