from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from scoresim import Scenario, Simulation, parse_scenario
from scoresim.society import Network

BASE_MODULES: dict[str, dict[str, Any]] = {
    "economy": {},
    "expression": {},
    "friendship": {},
    "demography": {},
    "network_stats": {},
}


def small_scenario(agents: int = 2000, steps: int = 24, seed: int = 11, **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "small",
        "seed": seed,
        "steps": steps,
        "society": {"agents": agents},
        "modules": {k: dict(v) for k, v in BASE_MODULES.items()},
    }
    for key, value in extra.items():
        data[key] = value
    return parse_scenario(data)


def assert_same_state(a: Simulation, b: Simulation) -> None:
    """Two simulations hold the same step, measures, citizens and ties, bit for bit."""
    assert a.t == b.t
    ra, rb = a.result(), b.result()
    assert ra.measures.keys() == rb.measures.keys()
    for k in ra.measures:
        np.testing.assert_array_equal(ra.measures[k], rb.measures[k], err_msg=k)
    assert list(a.people) == list(b.people)
    for k in a.people:
        assert a.people[k].tobytes() == b.people[k].tobytes(), k
    assert np.array_equal(a.network.indptr, b.network.indptr)
    assert np.array_equal(a.network.indices, b.network.indices)


@pytest.fixture
def scenario() -> Scenario:
    return small_scenario()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def write_design(path: Path, body: str) -> Path:
    """Write a sweep design file and return its path."""
    path.write_text(body)
    return path


LHS = """
name = "lhs-test"
scenario = "social-credit"
method = "lhs"
samples = 6
replicates = 2
seed = 3
outputs = ["expression_rate", "spillover_loss"]
[overrides]
"society.agents" = 500
steps = 12
"modules.enrolment.mandate_step" = 0
[parameters]
"modules.scoring.violation_penalty" = { low = 0, high = 40 }
"modules.expression.fear" = { low = 0.0, high = 4.0 }
"""


pairs = st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=60)


def as_set(net: Network) -> set[tuple[int, int]]:
    """Every tie once, as a set of (u, v) with u < v."""
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
