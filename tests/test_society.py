"""Building a society: the synthetic network, community order, citizens' attributes."""

from __future__ import annotations

import numpy as np

from scoresim import parse_scenario
from scoresim.core.rng import Streams
from scoresim.society import OCCUPATIONS, build_society
from tests.conftest import check_csr


def build(n: int, **network):
    sc = parse_scenario({"society": {"agents": n, "network": network}})
    return build_society(sc.society, Streams(9))


def test_synthetic_network_has_target_degree_mix_and_heavy_tail() -> None:
    soc = build(20_000, mean_degree=12, within_share=0.7, community_size=80)
    net = soc.network
    check_csr(net)
    deg = net.degree()
    assert abs(deg.mean() - 12) / 12 < 0.02
    community = soc.people["community"]
    src = net.sources()
    within = np.mean(community[src] == community[net.indices])
    assert abs(within - 0.7) < 0.03
    # Heavy tail: the top 1% hold far more than 1% of ties; the maximum is many times the mean.
    top = np.sort(deg)[-len(deg) // 100 :]
    assert top.sum() / deg.sum() > 0.04
    assert deg.max() > 8 * deg.mean()
    # Community order: ids of a community are contiguous.
    assert np.all(np.diff(community) >= 0)


def test_community_order_keeps_neighbours_close() -> None:
    soc = build(50_000, within_share=0.8, community_size=100)
    net = soc.network
    gap = np.abs(net.indices.astype(np.int64) - net.sources())
    # Most ties sit within a few communities' span, against ~n/3 for a random numbering.
    assert np.median(gap) < 200


def test_build_is_deterministic_per_seed() -> None:
    a = build(3000)
    b = build(3000)
    assert np.array_equal(a.network.indices, b.network.indices)
    for name in a.people:
        assert np.array_equal(a.people[name], b.people[name])


def test_memory_budget_per_citizen_and_edge() -> None:
    soc = build(50_000)
    people_bytes = soc.people.nbytes + soc.network.indptr.nbytes
    assert people_bytes <= 100 * soc.n
    assert soc.network.indices.nbytes <= 8 * soc.network.indices.size


def test_population_attributes() -> None:
    soc = build(20_000)
    p = soc.people
    assert p["age"].min() == 0 and p["age"].max() < 100
    children = np.flatnonzero(p["age"] < 18)
    assert 0.2 < children.size / p.n < 0.27  # the life table's pyramid: about 23% children
    student = p["occupation"] == OCCUPATIONS.index("student")
    assert np.all(p["income"] > 0) and np.all(p["assets"][~student] > 0)
    assert np.all(p["assets"][student] == 0)  # students own nothing, like those born later
    ind = p["independence"]
    assert ind.min() >= 0 and ind.max() <= 1
    assert abs(p["dissenter"].mean() - 0.15) < 0.01
    # Dissent is likelier among the independent.
    assert ind[p["dissenter"] == 1].mean() > ind[p["dissenter"] == 0].mean() + 0.05
    working = (p["age"] >= 22) & (p["age"] < 65)
    assert np.median(p["income"][working]) > 0.5 * 9000
