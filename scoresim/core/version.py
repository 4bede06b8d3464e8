"""The code version recorded with every result."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

__version__ = "0.1.0"


@functools.cache
def code_version() -> str:
    """Return the package version plus the git commit when run from a checkout.

    Returns:
        For example ``"0.1.0+g1a2b3c4"`` or ``"0.1.0+g1a2b3c4.dirty"``; just the package
        version when git or the checkout is absent.
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return __version__

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()

    try:
        sha = git("rev-parse", "--short=10", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{sha}" + (".dirty" if dirty else "")
