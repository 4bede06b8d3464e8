"""The scoring module: PDO scaling, the score's range, penalties, expiry, spillover, percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim import Simulation
from scoresim.modules.common import ADULT_AGE
from scoresim.modules.scoring import pdo_points
from scoresim.society.gather import neighbour_sum
from tests.modules.conftest import CALM, run, sim_of


def test_pdo_scaling_matches_the_standard_points() -> None:
    p = np.array([0.05, 0.01, 0.001])
    pts = pdo_points(np.log((1 - p) / p), 600, 19, 50)
    np.testing.assert_allclose(pts, [600, 719, 886], atol=0.6)


@pytest.mark.parametrize(
    ("preset", "lo", "hi"), [("social-credit", 350, 950), ("ability-to-pay", 300, 850)]
)
def test_scores_stay_in_range_with_five_components(preset: str, lo: float, hi: float) -> None:
    from scoresim import load_scenario

    sim = Simulation(load_scenario(preset, {"society.agents": 2000, "steps": 6}))
    sim.run()
    s = sim.people["score"][sim.people["age"] >= ADULT_AGE]
    assert s.min() >= lo and s.max() <= hi
    parts = sum(
        sim.people[f"score_{c}"]
        for c in ("credit_history", "fulfilment", "behaviour", "identity", "relationships")
    )
    rebuilt = np.clip(
        lo + parts - sim.people["score_penalty"] - sim.people["score_spillover"], lo, hi
    )
    np.testing.assert_allclose(rebuilt, sim.people["score"], atol=0.01)


def test_violations_lower_the_score_by_the_penalty_and_memory_decays() -> None:
    mods = {"expression": CALM, "scoring": {"w_relationships": 0.0, "spillover_penalty": 0.0}}
    with_pen = sim_of(mods)
    without = sim_of({"expression": CALM, "scoring": {**mods["scoring"], "violation_penalty": 0}})
    mem_before = None
    for _ in range(12):
        mem_before = with_pen.people["violation_memory"].copy()
        with_pen.step()
        without.step()
    p = with_pen.people
    kinds = p["violation_kind"]
    added = np.array([0, 1.0, 1.0, 0.7], dtype=np.float32)[kinds]
    np.testing.assert_allclose(p["violation_memory"], 0.95 * mem_before + added, rtol=1e-5)
    violators = p["violations"] > 0
    assert violators.sum() > 50
    np.testing.assert_array_equal(p["violations"], without.people["violations"])  # same posts
    gap = without.people["score"] - p["score"]
    unclamped = violators & (p["score"] > 350)
    np.testing.assert_allclose(gap[unclamped], 15 * p["violation_memory"][unclamped], atol=0.05)
    assert np.all(gap[~violators] == 0)


def test_expiry_wipes_old_violations() -> None:
    sim = run({"expression": CALM, "scoring": {"expire_after": 3}}, steps=24)
    p = sim.people
    old = p["months_since_violation"] >= 3
    assert old.any() and np.all(p["violation_memory"][old] == 0)
    assert np.any(p["violation_memory"][~old] > 0)


def test_spillover_lowers_never_violators_with_violating_friends() -> None:
    base = {"expression": CALM, "scoring": {"w_relationships": 0.0}}
    on = run(base)
    off = run({"expression": CALM, "scoring": {"w_relationships": 0.0, "spillover_penalty": 0}})
    p = on.people
    clean = (p["violations"] == 0) & (p["age"] >= ADULT_AGE)
    from scoresim.society.gather import neighbour_sum

    exposed = clean & (neighbour_sum(on.network, p["violation_memory"]) > 0)
    assert exposed.sum() > 100
    loss = off.people["score"][exposed] - p["score"][exposed]
    assert np.all(loss > 0)
    np.testing.assert_allclose(loss, p["score_spillover"][exposed], atol=0.05)
    unexposed = clean & ~exposed
    np.testing.assert_array_equal(off.people["score"][unexposed], p["score"][unexposed])


def test_binned_percentiles_are_within_a_bin_of_numpy() -> None:
    from scoresim.modules.scoring import PERCENTILE_BIN, QUANTILES, binned_percentiles

    s = np.random.default_rng(2).normal(640, 60, 50_000).clip(350, 950).astype(np.float32)
    exact = np.percentile(s, QUANTILES)
    got = binned_percentiles(s, 350, 950)
    assert np.all(np.abs(np.array(got) - exact) <= PERCENTILE_BIN)


@pytest.mark.parametrize(
    ("form", "extra"),
    [
        ("mean", {}),
        ("capped", {"spillover_friend_cap": 0.5}),
        ("capped", {"spillover_friend_cap": 1e6}),
    ],
)
def test_spillover_follows_its_form_exactly(form: str, extra: dict[str, float]) -> None:
    pars = {"spillover_form": form, "spillover_cap": 30.0, **extra}
    sim = run({"expression": CALM, "scoring": pars}, steps=6)  # no tie edits: one network
    p, net = sim.people, sim.network
    sp = next(m.pars for m in sim.modules if m.name == "scoring")  # validated, with defaults
    mem = p["violation_memory"].astype(np.float64)
    deg = net.degree()
    if form == "mean":
        counted = neighbour_sum(net, mem) / np.maximum(deg, 1)
        expected = np.minimum(30.0, sp.spillover_penalty * counted)
        drag = sp.spillover_penalty * p["alive"].sum() / net.indices.size * mem
    else:
        capped = np.minimum(mem, sp.spillover_friend_cap)
        expected = np.minimum(30.0, sp.spillover_friend_penalty * neighbour_sum(net, capped))
        drag = sp.spillover_friend_penalty * capped
    np.testing.assert_allclose(p["score_spillover"], expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(p["drag"], drag, rtol=1e-5, atol=1e-5)
    assert (expected == 30.0).any() and (expected > 0).any()  # the cap and the slope both bite


def test_the_default_spillover_does_not_tax_sociability() -> None:
    def corr(pars: dict[str, object]) -> float:
        sim = run({"expression": CALM, "scoring": pars}, steps=12, agents=4000)
        p = sim.people
        clean = (p["violations"] == 0) & (p["age"] >= ADULT_AGE)
        return float(np.corrcoef(sim.network.degree()[clean], p["score_spillover"][clean])[0, 1])

    assert abs(corr({})) < 0.1  # the mean over friends: their conduct, not their number
    # The summed form of earlier versions (a cap no one reaches) taxes the sociable.
    assert corr({"spillover_form": "capped", "spillover_friend_cap": 1e6}) > 0.4
