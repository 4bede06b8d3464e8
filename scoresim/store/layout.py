"""Where a run lives inside a results directory."""

from __future__ import annotations

from pathlib import Path

__all__ = ["run_dir"]


def run_dir(root: Path, run_id: str) -> Path:
    """Directory of run ``run_id`` under results directory ``root``."""
    return root / "runs" / run_id
