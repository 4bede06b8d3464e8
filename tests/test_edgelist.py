from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scoresim import InputError, Simulation, parse_scenario
from scoresim.rng import Streams
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
