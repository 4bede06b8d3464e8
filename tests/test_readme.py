"""The README's Python example runs as written (on a smaller society)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    code = block.group(1).replace("20_000", "500")
    assert code.count("\n") <= 12  # "a ten-line Python example", give or take blank lines
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})
    assert (tmp_path / "results" / "notebook-run" / "measures.parquet").is_file()
    assert (tmp_path / "half.npz").is_file()


def test_readme_states_the_two_commands_and_scope() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
    assert "never ingests records of real people" in text


def test_readme_shows_the_explorer_with_a_small_committed_screenshot() -> None:
    text = README.read_text()
    found = re.search(r"!\[[^\]]*\]\((docs/img/[^)]+)\)", text)
    assert found is not None
    image = README.parent / found.group(1)
    assert image.is_file() and image.stat().st_size < 150_000
    assert "/whatif" in text and "what if" in text.lower()
