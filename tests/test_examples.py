"""Examples are tests: each script in examples/ runs and says something checkable."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_custom_module_example_runs_as_a_script() -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_module.py")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "heard the rumour" in proc.stdout


def test_custom_module_spreads_and_is_reproducible() -> None:
    mod = runpy.run_path(str(EXAMPLES / "custom_module.py"))
    first = mod["main"]()
    again = mod["main"]()
    assert first == again
    assert 10 / 5000 < first <= 1.0  # it spread beyond the seeds
