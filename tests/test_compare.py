"""Comparisons under common random numbers: paired replicates, one control, one sign."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scoresim.cli import app
from scoresim.experiments import compare
from scoresim.store import list_runs

runner = CliRunner()

# Everyone enrolled from the start (the default mandate comes at month 60).
SMALL = {"society.agents": 600, "steps": 12, "modules.enrolment.mandate_step": 0}


def test_replicated_compare_pairs_seeds_and_reports_intervals(tmp_path: Path) -> None:
    cmp = compare(["social-credit", "no-score"], SMALL, replicates=3, out=tmp_path)
    seeds = [[r.seed for r in s.runs] for s in cmp.scenarios.values()]
    assert seeds[0] == seeds[1] and len(set(seeds[0])) == 3  # paired, distinct
    summary, effects = cmp.summary(), cmp.effects()
    er = summary["social-credit"]["expression_rate"]
    assert er.ci_low <= er.mean <= er.ci_high and er.n == 3
    # One control and one sign: the effect is the scenario minus no-score, whatever the order.
    assert cmp.baseline == "no-score" and set(effects) == {"social-credit"}
    diffs = np.array(cmp.finals("social-credit", "expression_rate")) - np.array(
        cmp.finals("no-score", "expression_rate")
    )
    assert effects["social-credit"]["expression_rate"].mean == pytest.approx(diffs.mean())
    assert effects["social-credit"]["expression_rate"].mean < 0  # chilling: fewer speak
    # The store holds the six runs, and its views agree with what compare returned.
    rows = list_runs(tmp_path, "complete")
    assert len(rows) == 6
    from scoresim.store import connect

    with connect(tmp_path, read_only=True) as con:
        got = dict(
            con.execute(
                "SELECT run_id, expression_rate FROM final_measures WHERE scenario = 'no-score'"
            ).fetchall()
        )
    assert sorted(got.values()) == sorted(cmp.finals("no-score", "expression_rate"))


def test_compare_json_with_replicates(tmp_path: Path) -> None:
    args = [
        "compare",
        "social-credit",
        "no-score",
        "-n",
        "500",
        "-y",
        "1",
        "-r",
        "2",
        "--executor",
        "inprocess",
        "--json",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    entry = data["social-credit"]["expression_rate"]
    assert set(entry) == {"mean", "ci_low", "ci_high", "effect"}
    assert set(data["no-score"]["expression_rate"]) == {"mean", "ci_low", "ci_high"}
    assert entry["ci_low"] <= entry["mean"] <= entry["ci_high"]
