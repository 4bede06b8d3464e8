from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scoresim import InputError, Simulation, parse_scenario
from scoresim.core.rng import Streams
from scoresim.society import build_society
from scoresim.society.edgelist import read_edgelist


def ring_pairs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A ring with scrambled labels: badly numbered on purpose."""
    labels = np.random.default_rng(seed).permutation(n) * 7 + 1000
    a = labels
    b = np.roll(labels, -1)
    return a, b


def bandwidth(net) -> int:
    return int(np.abs(net.indices.astype(np.int64) - net.sources()).max())


def test_csv_without_header_rcm_renumbers_for_locality(tmp_path: Path) -> None:
    a, b = ring_pairs(500)
    path = tmp_path / "edges.csv"
    path.write_text("".join(f"{x},{y}\n" for x, y in zip(a, b, strict=True)))
    net, labels = read_edgelist(path, "rcm")
    assert net.n == 500 and net.n_ties == 500
    assert bandwidth(net) <= 2
    plain, _ = read_edgelist(path, "none")
    assert bandwidth(plain) > 100
    # The topology is preserved: mapping back through labels gives the original ties.
    u, v = net.pairs()
    got = {frozenset((labels[x], labels[y])) for x, y in zip(u, v, strict=True)}
    assert got == {frozenset((x, y)) for x, y in zip(a, b, strict=True)}


def test_csv_with_header_tabs_and_string_ids(tmp_path: Path) -> None:
    path = tmp_path / "edges.tsv"
    path.write_text("source\ttarget\nann\tbob\nbob\tcid\ncid\tann\nann\tann\n")
    net, labels = read_edgelist(path)
    assert net.n == 3 and net.n_ties == 3
    assert sorted(labels.tolist()) == ["ann", "bob", "cid"]


def test_parquet_and_scenario_build(tmp_path: Path) -> None:
    a, b = ring_pairs(300)
    pq.write_table(pa.table({"u": a, "v": b, "weight": np.ones(300)}), tmp_path / "e.parquet")
    sc = parse_scenario(
        {
            "steps": 3,
            "society": {"network": {"kind": "edgelist", "path": "e.parquet"}},
            "modules": {"expression": {}, "friendship": {}},
        },
        base_dir=tmp_path,
    )
    soc = build_society(sc.society, Streams(1))
    assert soc.n == 300 and soc.network.n_ties == 300
    assert soc.external_ids is not None
    assert soc.people["independence"].min() >= 0
    Simulation(sc).run()


def test_bad_edge_lists_give_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_edgelist(tmp_path / "absent.csv")
    one = tmp_path / "one.csv"
    one.write_text("1\n2\n3\n")
    with pytest.raises(InputError, match="two columns"):
        read_edgelist(one)
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(InputError, match="no ties"):
        read_edgelist(empty)


@pytest.mark.parametrize("reorder", ["rcm", "none"])
def test_declared_node_count_keeps_isolated_nodes(tmp_path: Path, reorder: str) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("0,1\n1,2\n5,6\n")  # 3, 4, 7, 8 and 9 are in no tie
    net, labels = read_edgelist(path, reorder, nodes=10)
    assert net.n == 10 and net.n_ties == 3
    assert sorted(labels.tolist()) == list(range(10))
    degree_of = dict(zip(labels.tolist(), net.degree().tolist(), strict=True))
    assert degree_of == {0: 1, 1: 2, 2: 1, 3: 0, 4: 0, 5: 1, 6: 1, 7: 0, 8: 0, 9: 0}
    u, v = net.pairs()
    got = {frozenset((int(labels[x]), int(labels[y]))) for x, y in zip(u, v, strict=True)}
    assert got == {frozenset((0, 1)), frozenset((1, 2)), frozenset((5, 6))}


def test_declared_node_count_runs_with_isolated_citizens(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("".join(f"{i},{i + 1}\n" for i in range(0, 40, 2)))  # 20 pairs
    sc = parse_scenario(
        {
            "steps": 2,
            "society": {"network": {"kind": "edgelist", "path": str(path), "nodes": 60}},
            "modules": {"expression": {}},
        }
    )
    result = Simulation(sc).run()
    assert result.measures["population"][0] == 60
    assert result.measures["ties"][0] == 20


@pytest.mark.parametrize(
    ("text", "needle"),
    [("0,1\n1,12\n", "node id 12 is outside 0..9"), ("0,1\n-1,2\n", "node id -1 is outside")],
)
def test_declared_node_count_rejects_ids_outside_it(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=needle):
        read_edgelist(path, "rcm", nodes=10)


def test_declared_node_count_needs_integer_ids(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("a,b\nx,y\n")
    with pytest.raises(InputError, match="needs integer node ids"):
        read_edgelist(path, "rcm", nodes=10)
