"""Comparisons under common random numbers: paired replicates, one control, one sign."""

from __future__ import annotations

import json
import math
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


def test_a_named_control_sets_every_sign_and_is_kept_for_the_report(tmp_path: Path) -> None:
    from scoresim.report.html import write_report
    from scoresim.store import load_results

    out = tmp_path / "cc"
    args = ["compare", "no-score", "social-credit", "social-credit-private", "-n", "500"]
    args += ["-t", "12", "-r", "2", "--out", str(out), "--control", "social-credit", "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert "effect" not in data["social-credit"]["expression_rate"]  # the control has none
    eff = data["no-score"]["expression_rate"]["effect"]
    assert eff["control"] == "social-credit"
    finals = load_results(out)
    assert finals.baseline == "social-credit"  # kept in experiment.json
    diff = np.mean(finals.finals("no-score", "expression_rate")) - np.mean(
        finals.finals("social-credit", "expression_rate")
    )
    assert eff["mean"] == pytest.approx(diff)
    # The report says which control, and --control on the report overrides the stored one.
    page = write_report(out).read_text(encoding="utf-8")
    assert "effect against social-credit" in page
    page = write_report(out, control="no-score").read_text(encoding="utf-8")
    assert "effect against no-score" in page
    bad = runner.invoke(app, ["report", str(out), "--control", "nope"])
    assert bad.exit_code == 2 and "--control = 'nope'" in bad.output
    bad = runner.invoke(app, [*args[:-3], "--out", str(tmp_path / "x"), "--control", "nope"])
    assert bad.exit_code == 2 and "not among the scenarios" in bad.output


def test_intervals_stay_within_what_a_measure_can_be(tmp_path: Path) -> None:
    from scoresim.analysis.stats import Interval, within

    # Truncation keeps the mean and cuts only what lies outside the range.
    iv = within(Interval(0.33, -1.1, 1.77, 3), 0.0, float("inf"))
    assert (iv.mean, iv.ci_low, iv.ci_high, iv.n) == (0.33, 0.0, 1.77, 3)
    assert within(Interval(0.5, 0.4, 0.6, 3), 0.0, 1.0) == Interval(0.5, 0.4, 0.6, 3)
    cmp = compare(["social-credit", "no-score"], SMALL, replicates=3, out=tmp_path)
    summary, effects = cmp.summary(), cmp.effects()
    for name, measures in summary.items():
        for m, v in measures.items():
            kind = cmp.measure_info(m).get("kind")
            if math.isnan(v.ci_low):
                continue
            if kind == "share":
                assert 0.0 <= v.ci_low <= v.ci_high <= 1.0, (name, m)
            if kind == "count":
                assert v.ci_low >= 0.0, (name, m)
    for m, v in effects["social-credit"].items():
        if cmp.measure_info(m).get("kind") == "share" and not math.isnan(v.ci_low):
            assert -1.0 <= v.ci_low <= v.ci_high <= 1.0, m
    # Declared bounds, where the kind does not say: an index in [0, 1], a mean of counts.
    inf = float("inf")
    assert cmp.value_range("perk_gini") == (0.0, 1.0)
    assert cmp.value_range("run_born_independence") == (0.0, 1.0)
    assert cmp.value_range("dissenter_ties_lost") == (0.0, inf)
    assert cmp.value_range("mean_assets") == (-inf, inf)  # assets may be debts
    for name, measures in summary.items():
        for m, v in measures.items():
            low, high = cmp.value_range(m)
            assert math.isnan(v.ci_low) or low <= v.ci_low <= v.ci_high <= high, (name, m)


def test_effects_pair_replicates_by_number_when_one_is_missing(tmp_path: Path) -> None:
    from scoresim.analysis.compare import RunSet, ScenarioRuns

    cmp = compare(["social-credit", "no-score"], SMALL, replicates=3, out=tmp_path)
    sc, ns = cmp.scenarios["social-credit"], cmp.scenarios["no-score"]
    # The control lost replicate 0 (a failed run): pairs are replicates 1 and 2 only.
    short = RunSet(
        {
            "social-credit": sc,
            "no-score": ScenarioRuns("no-score", ns.runs[1:], ns.dirs[1:], ns.replicates[1:]),
        }
    )
    eff = short.effects(["expression_rate"])["social-credit"]["expression_rate"]
    a = np.array(sc.finals("expression_rate")[1:])
    b = np.array(ns.finals("expression_rate")[1:])
    assert eff.n == 2 and eff.mean == pytest.approx(float((a - b).mean()))
