"""The results store: DuckDB manifest and views over the Parquet files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scoresim.experiments import compare
from scoresim.store import connect


def test_views_work_when_the_results_path_contains_runs(tmp_path: Path) -> None:
    root = tmp_path / "runs" / "exp"
    compare(["no-score", "ability-to-pay"], {"society.agents": 300, "steps": 3}, out=root)
    with connect(root, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM measures").fetchone()[0] == 6


def test_final_measures_keep_yearly_values_when_steps_are_not_whole_years(
    tmp_path: Path,
) -> None:
    cmp = compare(
        ["no-score", "ability-to-pay"], {"society.agents": 400, "steps": 18}, out=tmp_path
    )
    expected = cmp.scenarios["no-score"].runs[0].final()["births"]
    assert not np.isnan(expected)
    with connect(tmp_path, read_only=True) as con:
        got = con.execute(
            "SELECT births FROM final_measures WHERE scenario = 'no-score'"
        ).fetchone()[0]
    assert got == expected
