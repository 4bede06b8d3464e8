"""scoresim and the Mesa reference implementation agree statistically on small societies.

Both run the core model (expression with self-censorship, scoring with spillover, perks, tie
cutting; everyone enrolled) on the same 30 societies (seeds 0-29), each with its own random
numbers. For each headline measure, the two-sample statistic
``z = (mean_mesa - mean_scoresim) / sqrt(var_mesa / 30 + var_scoresim / 30)`` is N(0, 1) when
the implementations agree. Tolerance |z| < 3.5: a false alarm has probability 4.7e-4 per
measure, about 0.2% for all five together, so the test is not flaky; and it still fails for
differences of about five standard errors (for expression_rate about 0.05, a quarter of the
chilling the score causes), as the second test shows by changing one rule's parameter.
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from mesa_reference import HEADLINE, core_scenario, run_mesa

from scoresim import Simulation

SEEDS = range(30)
AGENTS, STEPS = 400, 24
TOLERANCE = 3.5


def z_scores(a: list[dict[str, float]], b: list[dict[str, float]]) -> dict[str, float]:
    out = {}
    for k in HEADLINE:
        x = [r[k] for r in a]
        y = [r[k] for r in b]
        se = math.sqrt(statistics.variance(x) / len(x) + statistics.variance(y) / len(y))
        out[k] = (statistics.fmean(x) - statistics.fmean(y)) / se
    return out


@pytest.fixture(scope="module")
def mesa_runs() -> list[dict[str, float]]:
    return [run_mesa(core_scenario(AGENTS, STEPS, s), s) for s in SEEDS]


def scoresim_runs(**modules: dict[str, float]) -> list[dict[str, float]]:
    return [Simulation(core_scenario(AGENTS, STEPS, s, **modules)).run().final() for s in SEEDS]


def test_scoresim_and_mesa_agree(mesa_runs: list[dict[str, float]]) -> None:
    z = z_scores(mesa_runs, scoresim_runs())
    assert all(abs(v) < TOLERANCE for v in z.values()), z


def test_the_comparison_detects_a_changed_rule(mesa_runs: list[dict[str, float]]) -> None:
    z = z_scores(mesa_runs, scoresim_runs(expression={"fear": 4.0}))
    assert abs(z["expression_rate"]) > TOLERANCE, z


def test_the_comparison_detects_a_changed_opinion_rule(mesa_runs: list[dict[str, float]]) -> None:
    z = z_scores(mesa_runs, scoresim_runs(opinions={"reveal_months": 2}))
    assert abs(z["falsifying_share"]) > TOLERANCE, z
