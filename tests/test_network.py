from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoresim.society import Network
from tests.conftest import as_set, check_csr, pairs


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
