"""Directional tests of the whole system: each preset against the unscored control."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim.experiments import compare
from scoresim.results import RunResult

PRESETS = [
    "no-score",
    "social-credit",
    "ability-to-pay",
    "social-credit-private",
    "social-credit-no-network",
    "social-credit-expungement",
]


@pytest.fixture(scope="module")
def runs() -> dict[str, RunResult]:
    cmp = compare(PRESETS, {"society.agents": 6000, "steps": 108, "seed": 5})
    return {name: s.runs[0] for name, s in cmp.scenarios.items()}


def last_year(result: RunResult, measure: str) -> float:
    """Mean over the final 12 months: less noisy than the last month alone."""
    col = result.measures[measure][-12:]
    return float(np.nanmean(col))


def test_social_credit_chills_expression_and_exiles_dissenters(runs) -> None:
    control, scored = runs["no-score"], runs["social-credit"]
    assert last_year(scored, "expression_rate") < 0.8 * last_year(control, "expression_rate")
    assert (
        last_year(scored, "dissenter_degree_ratio")
        < last_year(control, "dissenter_degree_ratio") - 0.03  # measured: 0.965 vs 1.026
    )
    assert last_year(scored, "spillover_loss") > 1.0
    assert last_year(scored, "perk_gap_700") > 0.02
    assert scored.final()["blacklist_size"] > 0


def test_ability_to_pay_leaves_expression_unchanged(runs) -> None:
    control, atp = runs["no-score"], runs["ability-to-pay"]
    diff = last_year(atp, "expression_rate") - last_year(control, "expression_rate")
    assert abs(diff) < 0.02
    assert np.nansum(atp.measures["self_censorship_rate"]) == 0
    assert (
        abs(last_year(atp, "dissenter_degree_ratio") - last_year(control, "dissenter_degree_ratio"))
        < 0.03
    )
    assert abs(last_year(atp, "perk_gap_700")) < 0.03  # no penalty for dissent


def test_private_scores_remove_social_exile(runs) -> None:
    control, scored = runs["no-score"], runs["social-credit"]
    private = runs["social-credit-private"]
    assert np.nansum(private.measures["ties_cut"]) == 0
    assert (
        abs(
            last_year(private, "dissenter_degree_ratio")
            - last_year(control, "dissenter_degree_ratio")
        )
        < 0.03
    )
    assert np.nansum(scored.measures["ties_cut"]) > 0


def test_no_network_factor_removes_spillover_and_most_exile(runs) -> None:
    control, scored = runs["no-score"], runs["social-credit"]
    no_net = runs["social-credit-no-network"]
    assert np.nanmax(no_net.measures["spillover_loss"]) == 0
    harm = last_year(control, "dissenter_degree_ratio") - last_year(
        scored, "dissenter_degree_ratio"
    )
    left = last_year(control, "dissenter_degree_ratio") - last_year(
        no_net, "dissenter_degree_ratio"
    )
    assert left < 0.5 * harm


def test_expungement_empties_the_blacklist(runs) -> None:
    scored, expunged = runs["social-credit"], runs["social-credit-expungement"]
    assert np.nansum(scored.measures["blacklist_exits"]) == 0
    assert np.nansum(expunged.measures["blacklist_exits"]) > 0
    assert expunged.final()["blacklist_size"] < 0.5 * scored.final()["blacklist_size"]


def test_compared_run_equals_a_standalone_run(runs) -> None:
    from scoresim import Simulation, load_scenario

    alone = Simulation(
        load_scenario("social-credit", {"society.agents": 6000, "steps": 108, "seed": 5})
    ).run()
    for k, v in alone.measures.items():
        np.testing.assert_array_equal(v, runs["social-credit"].measures[k], err_msg=k)
