from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoresim import parse_scenario
from scoresim.core.rng import Streams
from scoresim.society import Network, build_society


def as_set(net: Network) -> set[tuple[int, int]]:
    u, v = net.pairs()
    return set(zip(u.tolist(), v.tolist(), strict=True))


def check_csr(net: Network) -> None:
    """Symmetric, sorted rows, no self-ties, no duplicates."""
    src = net.sources()
    dst = net.indices.astype(np.int64)
    assert np.all(dst != src)
    same_row = src[1:] == src[:-1]
    assert np.all(np.diff(dst)[same_row] > 0)
    fwd = np.sort(src * net.n + dst)
    back = np.sort(dst * net.n + src)
    assert np.array_equal(fwd, back)


pairs = st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(initial=pairs, cuts=pairs, adds=pairs)
def test_batched_edits_match_a_set_model(initial, cuts, adds) -> None:
    n = 15
    a = np.array([p[0] for p in initial], dtype=np.int64)
    b = np.array([p[1] for p in initial], dtype=np.int64)
    net = Network.from_pairs(n, a, b)
    model = {(min(x, y), max(x, y)) for x, y in initial if x != y}
    assert as_set(net) == model
    check_csr(net)
    net.cut(np.array([p[0] for p in cuts], dtype=np.int64), np.array([p[1] for p in cuts]))
    net.add(np.array([p[0] for p in adds], dtype=np.int64), np.array([p[1] for p in adds]))
    cut_set = {(min(x, y), max(x, y)) for x, y in cuts if x != y}
    add_set = {(min(x, y), max(x, y)) for x, y in adds if x != y}
    n_cut, n_added = net.commit()
    expected = (model - cut_set) | (add_set - model)
    assert as_set(net) == expected
    assert n_cut == len(model & cut_set)
    assert n_added == len(add_set - model)
    check_csr(net)
    assert not net.pending


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_cut=st.integers(0, 80), n_add=st.integers(0, 160))
def test_edits_in_place_over_several_commits_match_a_set_model(seed, n_cut, n_add) -> None:
    """Rows move left and right in the one buffer; every commit must leave the set model."""
    rng = np.random.default_rng(seed)
    n = 60
    net = Network.from_pairs(n, rng.integers(0, n, 150), rng.integers(0, n, 150))
    model = as_set(net)
    for _ in range(4):
        tie_list = sorted(model)
        picked = rng.choice(len(tie_list), size=min(n_cut, len(tie_list)), replace=False)
        cuts = [tie_list[i] for i in picked] + [(0, 1), (2, 2)]  # some missing, a self-tie
        adds = rng.integers(0, n, (n_add, 2))
        net.cut(np.array([c[1] for c in cuts]), np.array([c[0] for c in cuts]))
        net.add(adds[:, 0], adds[:, 1])
        cut_set = {(min(x, y), max(x, y)) for x, y in cuts if x != y}
        add_set = {(min(x, y), max(x, y)) for x, y in adds.tolist() if x != y}
        n_cut_done, n_added = net.commit()
        assert n_cut_done == len(model & cut_set)
        assert n_added == len(add_set - model)
        model = (model - cut_set) | (add_set - model)
        assert as_set(net) == model
        check_csr(net)


def test_grow_adds_isolated_nodes() -> None:
    net = Network.from_pairs(3, np.array([0, 1]), np.array([1, 2]))
    net.grow(2)
    assert net.n == 5 and net.degree().tolist() == [1, 2, 1, 0, 0]
    net.add(np.array([4]), np.array([0]))
    net.commit()
    assert net.neighbours(4).tolist() == [0]


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
    assert p["age"].min() >= 18 and p["age"].max() <= 80
    assert np.all(p["income"] > 0) and np.all(p["assets"] > 0)
    ind = p["independence"]
    assert ind.min() >= 0 and ind.max() <= 1
    assert abs(p["dissenter"].mean() - 0.15) < 0.01
    # Dissent is likelier among the independent.
    assert ind[p["dissenter"] == 1].mean() > ind[p["dissenter"] == 0].mean() + 0.05
    assert np.median(p["income"]) > 0.5 * 9000


def test_component_labels_and_tie_correlation_match_scipy_and_numpy() -> None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    from scoresim.society.gather import component_labels, tie_correlation

    rng = np.random.default_rng(4)
    n = 400
    net = Network.from_pairs(n, rng.integers(0, n, 300), rng.integers(0, n, 300))
    labels = component_labels(net)
    adj = csr_matrix((np.ones(net.indices.size), net.indices, net.indptr), shape=(n, n))
    count, ref = connected_components(adj, directed=False)
    assert np.unique(labels).size == count
    # Same partition: a label pair maps one to one.
    pairs = set(zip(labels.tolist(), ref.tolist(), strict=True))
    assert len(pairs) == count
    values = rng.random(n)
    keep = rng.random(n) < 0.8
    src = net.sources()
    both = keep[src] & keep[net.indices]
    expected = np.corrcoef(values[src[both]], values[net.indices[both]])[0, 1]
    assert tie_correlation(net, values, keep) == pytest.approx(expected, abs=1e-9)


def test_ties_of_reads_the_rows_of_the_given_nodes() -> None:
    net = Network.from_pairs(6, np.array([0, 0, 1, 3, 4]), np.array([1, 2, 2, 4, 5]))
    owner, nb = net.ties_of(np.array([0, 4, 5]))
    assert list(zip(owner.tolist(), nb.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (4, 3),
        (4, 5),
        (5, 4),
    ]
    empty_owner, empty_nb = net.ties_of(np.array([], dtype=np.int64))
    assert empty_owner.size == 0 and empty_nb.size == 0


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 3 * (1 << 16) + 17])
def test_bit_positions_lists_the_set_bits_in_order(size: int) -> None:
    from scoresim.society.csr_kernels import bit_positions, set_bit

    rng = np.random.default_rng(size)
    marked = np.flatnonzero(rng.random(size) < 0.05)
    if size:
        marked = np.union1d(marked, [0, size - 1])  # both ends, and word edges when present
    bits = np.zeros((size + 63) // 64, dtype=np.uint64)
    for p in marked.tolist():
        set_bit(bits, p)
    assert bit_positions(bits).tolist() == marked.tolist()


@pytest.mark.parametrize("blocks", [1, 2, 3, 7])
@pytest.mark.parametrize("backward", [False, True])
def test_in_place_edits_agree_whatever_the_direction_and_blocks(backward, blocks) -> None:
    """Either direction and any split into parallel blocks gives the one edited network."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(5, 120))
        net = Network.from_pairs(n, rng.integers(0, n, 4 * n), rng.integers(0, n, 4 * n))
        model = as_set(net)
        # Heavy cuts in some seeds, heavy additions in others: shifts of both signs.
        cut_share = rng.random()
        cuts = [t for t in sorted(model) if rng.random() < cut_share]
        adds = rng.integers(0, n, (3 * n, 2))
        net.cut(np.array([c[0] for c in cuts], dtype=np.int64), np.array([c[1] for c in cuts]))
        net.add(adds[:, 0], adds[:, 1])
        net.commit(backward=backward, blocks=blocks)
        add_set = {(min(x, y), max(x, y)) for x, y in adds.tolist() if x != y}
        assert as_set(net) == (model - set(cuts)) | (add_set - model), seed
        check_csr(net)


def test_network_from_read_only_arrays_can_be_edited() -> None:
    net = Network.from_pairs(4, np.array([0, 1, 2]), np.array([1, 2, 3]))
    indptr, indices = net.indptr.copy(), net.indices.copy()
    indptr.flags.writeable = False
    indices.flags.writeable = False
    frozen = Network(indptr, indices)
    frozen.cut(np.array([0]), np.array([1]))
    frozen.add(np.array([0]), np.array([3]))
    assert frozen.commit() == (1, 1)
    assert as_set(frozen) == {(0, 3), (1, 2), (2, 3)}
    assert indices.tolist() == [1, 0, 2, 1, 3, 2]  # the caller's read-only arrays untouched


edit_ops = st.lists(
    st.tuples(st.booleans(), st.integers(0, 11), st.integers(0, 11)), min_size=1, max_size=80
)


@settings(max_examples=150, deadline=None)
@given(initial=pairs, ops=edit_ops)
def test_tie_editor_sees_each_edit_at_once_and_commits_the_net_change(initial, ops) -> None:
    from scoresim.society.editor import TieEditor

    n = 15
    a = np.array([p[0] for p in initial], dtype=np.int64)
    b = np.array([p[1] for p in initial], dtype=np.int64)
    net = Network.from_pairs(n, a, b)
    model = as_set(net)
    start = set(model)
    with TieEditor(net) as ed:
        for is_add, x, y in ops:
            key = (min(x, y), max(x, y))
            if is_add:
                assert ed.add(x, y) == (x != y and key not in model)
                if x != y:
                    model.add(key)
            else:
                assert ed.cut(x, y) == (key in model)
                model.discard(key)
            # Every read sees the edits so far; the network itself is untouched until the end.
            for node in (x, y):
                expect = sorted({v for e in model for v in e if node in e and v != node})
                assert ed.neighbours(node).tolist() == expect
                assert ed.degree(node) == len(expect)
            assert ed.has(x, y) == (key in model)
            assert ed.edits == (len(start - model), len(model - start))
            assert as_set(net) == start
    check_csr(net)
    assert as_set(net) == model
    assert (net.cut_total, net.added_total) == (len(start - model), len(model - start))


def test_tie_editor_refuses_a_network_with_queued_edits() -> None:
    from scoresim.society.editor import TieEditor

    net = Network.from_pairs(4, np.array([0]), np.array([1]))
    net.cut(np.array([0]), np.array([1]))
    with pytest.raises(RuntimeError, match="commit"):
        TieEditor(net)


def test_tie_editor_copies_only_the_rows_it_touches() -> None:
    from scoresim.society.editor import TieEditor

    net = build_society(parse_scenario({"society": {"agents": 20_000}}).society, Streams(0)).network
    ed = TieEditor(net)
    ed.cut(5, int(net.neighbours(5)[0]))
    ed.add(5, 19_999)
    assert ed.neighbours(123).tolist() == net.neighbours(123).tolist()  # read from the CSR
    assert len(ed._rows) == 3  # 5, its old friend, 19_999: nothing else was copied
