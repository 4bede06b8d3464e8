"""The purchases module: who buys what by its law; gaming only near a threshold; each switch at
0 without effect."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from scoresim import Simulation
from scoresim.core.kernels import SERIAL_BELOW
from scoresim.modules import purchases
from scoresim.modules.common import ADULT_AGE
from tests.modules.conftest import month_draws, run, sim_of, spy

STATE = ("alive", "age", "income", "parent", "lifestyle", "assets", "gamed")
AFTER = ("lifestyle", "assets", "gamed")
#: A society whose scores pass the bragging threshold often, so that friends' posts are seen.
BRAGGING = {"threshold": 500, "rate": 0.5}


def test_approved_purchases_raise_and_gaming_happens_only_near_a_threshold() -> None:
    mods = {"scoring": {}, "perks": {}, "purchases": {"gaming_rate": 0.0}}
    thrifty = run({**mods, "purchases": {"approved_rate": 0.6, "gaming_rate": 0.0}}, steps=6)
    gamer_free = run(mods, steps=6)
    assert thrifty.people["score_behaviour"].mean() > gamer_free.people["score_behaviour"].mean()
    assert np.nansum(gamer_free.result().measures["gaming_purchases"]) == 0
    sim = sim_of({**mods, "purchases": {"gaming_rate": 1.0, "gaming_window": 20}}, steps=3)
    sim.step()
    gap = sim.people["points_to_next_perk"].copy()
    adult = sim.people["age"] >= ADULT_AGE
    sim.step()
    gamed = sim.people["gamed"] > 0
    assert gamed.any()
    assert np.array_equal(gamed, adult & (gap > 0) & (gap <= 20))


def expected_month(sim: Simulation, call: dict[str, Any]) -> dict[str, Any]:
    """A month of shopping by its law, recomputed in numpy from the draws of its streams."""
    p = next(m for m in sim.modules if m.name == "purchases").pars
    assert isinstance(p, purchases.PurchasesParams)
    b, t = call["before"], call["t"]
    n = b["alive"].size
    u = month_draws(sim, "purchases", t, n)

    alive = b["alive"] == 1
    age = b["age"].astype(np.float64)
    adult = alive & (age >= ADULT_AGE)
    kids = alive & (age < purchases.BABY_AGE) & (b["parent"] >= 0)
    parent = np.zeros(n, bool)
    parent[b["parent"][kids]] = True
    income = b["income"].astype(np.float64)
    mean_income = max(income[adult].mean(), 1.0)
    enrolled = b["enrolled"] == 1
    gap = b["points_to_next_perk"]
    games = adult & enrolled & (gap > 0) & (gap <= p.gaming_window)
    games &= u("game") < p.gaming_rate
    w = p.income_weight
    p_approved = p.approved_rate * ((1.0 - w) + w / mean_income * income)
    u_approved = u("approved")
    plain = u_approved < p_approved
    pressed = enrolled & (b["brag_exposure"] > 0) & (p.brag_pressure > 0)
    approved = np.where(
        pressed, u_approved < p_approved * (1.0 + p.brag_pressure * b["brag_exposure"]), plain
    )
    approved &= adult
    baby = adult & parent & (u("baby") < p.baby_rate)
    youth = np.clip((age - ADULT_AGE) / 32.0, 0.0, 1.0)
    young = age < purchases.YOUNG_UNTIL
    p_dis = p.disfavoured_rate * (1.0 - 0.5 * youth) * np.where(young, p.young_games, 1.0)
    disfavoured = adult & ~games & (u("disfavoured") < p_dis)
    moves = approved.astype(int) + baby + games - disfavoured
    decayed = (b["lifestyle"].astype(np.float64) * p.memory).astype(np.float32)
    older = age >= purchases.OLDER_FROM
    high = income > mean_income
    return {
        "lifestyle": np.where(adult, decayed.astype(np.float64) + moves, decayed),
        "moves": moves,
        "games": games,
        "approved_purchases": int(approved.sum() + baby.sum()),
        "disfavoured_purchases": int(disfavoured.sum()),
        "gaming_purchases": int(games.sum()),
        "baby_purchases": int(baby.sum()),
        "brag_purchases": int((adult & approved & ~plain).sum()),
        "game_rate_18_29": disfavoured[adult & young].mean(),
        "game_rate_30_49": disfavoured[adult & ~young & ~older].mean(),
        "game_rate_50plus": disfavoured[adult & older].mean(),
        "approved_rate_high_income": approved[adult & high].mean(),
        "approved_rate_low_income": approved[adult & ~high].mean(),
    }


def check_month(sim: Simulation, call: dict[str, Any]) -> dict[str, Any]:
    """Assert that a month of shopping followed its law exactly; return what was expected."""
    want = expected_month(sim, call)
    got = call["after"]
    # Purchases are whole steps of the record: float32 rounding is far below one.
    np.testing.assert_allclose(got["lifestyle"], want["lifestyle"], atol=1e-4)
    np.testing.assert_array_equal(got["gamed"] - call["before"]["gamed"], want["games"])
    m = sim.result().measures
    for name in purchases.Purchases.measures:
        value = m[name.name][call["t"]]
        assert value == pytest.approx(want[name.name], rel=1e-12), name.name
    return want


def test_shopping_follows_income_family_age_and_friends_posts_by_its_law() -> None:
    mods = {
        "economy": {},
        "enrolment": {"initial_share": 0.5, "mandate_step": 100},  # some shop unscored
        "scoring": {},
        "perks": {},
        "bragging": BRAGGING,
        "purchases": {"baby_rate": 0.6, "brag_pressure": 5.0},
    }
    sim = sim_of(mods, steps=6, agents=8000)
    calls = spy(sim, "purchases", STATE, AFTER)
    sim.run()
    wants = [check_month(sim, call) for call in calls]
    total = {k: sum(w[k] for w in wants) for k in ("baby_purchases", "brag_purchases")}
    assert total["baby_purchases"] > 100 and total["brag_purchases"] > 0
    enrolled = [c["before"]["enrolled"].mean() for c in calls]
    assert min(enrolled) > 0.05 and max(enrolled) < 0.95
    last = wants[-1]
    assert last["game_rate_18_29"] > last["game_rate_30_49"] > last["game_rate_50plus"]
    assert last["approved_rate_high_income"] > last["approved_rate_low_income"]


def test_each_switch_at_zero_leaves_the_old_rule() -> None:
    """Off, the new channels give the rule of earlier versions: approved_rate for everyone, no
    baby supplies, the age ramp alone, no pressure from friends' posts."""
    off = {"income_weight": 0.0, "baby_rate": 0.0, "young_games": 1.0, "brag_pressure": 0.0}
    mods = {"economy": {}, "scoring": {}, "perks": {}, "purchases": off}
    with_brags = sim_of({**mods, "bragging": BRAGGING}, steps=6, agents=5000)
    calls = spy(with_brags, "purchases", STATE, AFTER)
    with_brags.run()
    for call in calls:
        check_month(with_brags, call)
    m = with_brags.result().measures
    assert np.nansum(m["baby_purchases"]) == np.nansum(m["brag_purchases"]) == 0
    # Friends' posts are seen, yet without brag_pressure shopping is what it is without them.
    assert max(float(c["before"]["brag_exposure"].max()) for c in calls) > 0
    alone = run(mods, steps=6, agents=5000)
    np.testing.assert_array_equal(alone.people["lifestyle"], with_brags.people["lifestyle"])
    # A switch alone, against the defaults: in its first month only its own purchases change
    # (later, the score they move changes who games).
    base = run({**mods, "purchases": {}}, steps=1, agents=5000).result().measures
    no_baby = run({**mods, "purchases": {"baby_rate": 0.0}}, steps=1, agents=5000)
    nb = no_baby.result().measures
    assert base["baby_purchases"][0] > 0 and nb["baby_purchases"][0] == 0
    for k in ("disfavoured_purchases", "gaming_purchases"):
        assert base[k][0] == nb[k][0], k
    assert base["approved_purchases"][0] - base["baby_purchases"][0] == nb["approved_purchases"][0]


def test_the_shopping_kernels_agree_serially_and_in_parallel() -> None:
    n = SERIAL_BELOW + 70_000
    rng = np.random.default_rng(9)
    f32 = np.float32
    adult = rng.random(n) < 0.8
    alive = (rng.random(n) < 0.97).astype(np.uint8)
    age = rng.integers(0, 90, n).astype(f32)
    parent = np.where(rng.random(n) < 0.5, rng.integers(0, n, n), -1).astype(np.int32)
    income = rng.lognormal(9, 0.6, n).astype(f32)
    c = purchases.PurchasesParams(gaming_rate=0.5).constants()
    draws = purchases.ShopDraws(*(np.uint64(k + 3) for k in range(4)))
    results = []
    for name in ("serial", "parallel"):
        marks = np.zeros(n, bool)
        mean = getattr(purchases._households, name)(adult, alive, age, parent, income, marks)
        x = purchases.ShopInputs(
            adult=adult,
            enrolled=rng.random(n) < 2,  # all
            gap=np.linspace(0, 60, n).astype(f32),
            age=age,
            income=income,
            young_parent=marks,
            exposure=np.where(np.arange(n) % 7 == 0, 0.2, 0.0).astype(f32),
            mean_income=mean,
        )
        state = purchases.ShopState(
            np.linspace(-2, 2, n).astype(f32), np.full(n, 1e4, f32), np.zeros(n, np.uint16)
        )
        counts = getattr(purchases._shop, name)(x, state, c, draws)
        results.append((mean, marks, counts, state))
    (m0, k0, c0, s0), (m1, k1, c1, s1) = results
    assert m0 == m1
    np.testing.assert_array_equal(k0, k1)
    np.testing.assert_array_equal(c0, c1)
    for a, b in zip(s0, s1, strict=True):
        np.testing.assert_array_equal(a, b)
    got = dict(zip(purchases.SHOP_COUNTS, c0.tolist(), strict=True))
    assert min(got["gaming"], got["baby"], got["brag"]) > 0
