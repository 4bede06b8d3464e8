"""The friendship module: ties fade, citizens short of ties make new ones with each other."""

from __future__ import annotations

import numpy as np

from scoresim import Simulation
from scoresim.core.rng import Stream
from scoresim.modules.friendship import _accepted, _consecutive_pairs
from tests.modules.conftest import sim_of


def test_founders_keep_up_their_first_degree_and_nobody_short_makes_no_tie() -> None:
    sim = sim_of({"friendship": {"fade_rate": 0.0}})
    p = sim.people
    np.testing.assert_array_equal(p["sociability"], sim.network.degree())
    sim.step()
    assert sim.result().measures["ties_formed"][0] == 0  # nobody is short of ties


def test_new_ties_join_two_citizens_short_of_ties() -> None:
    sim = sim_of({"friendship": {"fade_rate": 0.0, "seek_rate": 1.0}})
    p = sim.people
    keen = np.arange(sim.n) % 3 == 0
    p["sociability"][keen] += 4  # a third want four more friends
    before = sim.network.degree().copy()
    sim.step()
    gained = sim.network.degree() - before
    assert gained[keen].sum() > 0
    assert np.all(gained[~keen] == 0)  # the others were not short: nobody befriended them
    # Each new tie comes from one attempt (four each, at seek_rate 1) and adds 2 to the sum.
    assert gained[keen].sum() <= 2 * 4 * keen.sum()
    # Nearly every attempt finds a partner: seekers are paired with one another.
    assert gained[keen].mean() > 3.5


def test_newborns_take_a_living_citizens_sociability() -> None:
    sim = sim_of({"friendship": {}, "demography": {}}, steps=13)
    sim.run()
    p = sim.people
    born = np.flatnonzero(p["generation"] > 0)
    assert born.size > 0
    founders = p["sociability"][: born.min()]
    assert np.all(np.isin(p["sociability"][born], founders))


def test_each_side_turns_the_other_down_with_its_refusal() -> None:
    n = 200_000
    refusal = np.zeros(n)
    refusal[: n // 2] = 0.3  # the first half are refused 30% of the time
    a = np.arange(0, n // 2, dtype=np.int64)  # refused ones with ...
    b = np.arange(n // 2, n, dtype=np.int64)  # ... ones nobody refuses
    ok = _accepted(Stream(1, "friendship", "accept"), 0, a, b, refusal)
    k = n // 2
    assert abs(ok.mean() - 0.7) < 4 * np.sqrt(0.21 / k)  # binomial interval around 1 - 0.3
    assert _accepted(Stream(1, "friendship", "accept"), 0, b, b + 0, np.zeros(n)).all()
    refusal[:] = 1.0
    assert not _accepted(Stream(1, "friendship", "accept"), 0, a, b, refusal).any()


def test_pairs_are_formed_inside_each_group() -> None:
    groups = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3], dtype=np.int64)
    first, left = _consecutive_pairs(groups)
    assert first.tolist() == [0, 3, 6, 8]
    assert left.tolist() == [2, 5]
    assert np.all(groups[first] == groups[first + 1])


def test_homophily_keeps_opposite_stances_from_befriending() -> None:
    mods = {
        "friendship": {"fade_rate": 0.0, "seek_rate": 1.0, "homophily": 1.0},
        "opinions": {"discuss_rate": 0.0, "anchoring": 0.0},
    }
    sim = sim_of(mods)
    p = sim.people
    left = np.arange(sim.n) % 2 == 0
    p["opinion"][:] = np.where(left, 0.0, 1.0)  # stances 0 and 1: distance 1, acceptance 0
    p["sociability"][:] += 4
    before = set(zip(*(x.tolist() for x in _ties(sim)), strict=True))
    sim.step()
    new = set(zip(*(x.tolist() for x in _ties(sim)), strict=True)) - before
    assert new
    assert all(left[a] == left[b] for a, b in new)


def _ties(sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
    net = sim.network
    u = net.sources()
    keep = u < net.indices
    return u[keep], net.indices[keep]
