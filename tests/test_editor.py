"""The TieEditor: sequential tie edits, each visible at once, committed together."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoresim import parse_scenario
from scoresim.core.rng import Streams
from scoresim.society import Network, build_society
from tests.conftest import as_set, check_csr, pairs

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


@pytest.mark.parametrize("node", [-1, 15])
def test_tie_editor_refuses_nodes_outside_the_network(node: int) -> None:
    from scoresim.society.editor import TieEditor

    net = Network.from_pairs(15, np.array([0]), np.array([1]))
    ed = TieEditor(net)
    for call in (
        lambda: ed.add(0, node),
        lambda: ed.cut(node, 0),
        lambda: ed.neighbours(node),
        lambda: ed.degree(node),
        lambda: ed.has(node, 1),
    ):
        with pytest.raises(IndexError, match="outside the network"):
            call()
    assert ed.edits == (0, 0)
