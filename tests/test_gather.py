"""Graph kernels: components and correlation across ties against scipy and numpy."""

from __future__ import annotations

import numpy as np
import pytest

from scoresim.society import Network


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
