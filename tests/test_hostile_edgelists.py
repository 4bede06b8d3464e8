"""Hostile and unlucky edge lists: the right network, or one clear line and exit 2.

The shipped corpus in tests/hostile/edgelists has an expected outcome per file; a few files
also run through ``scoresim run`` in subprocesses (started together, to keep this quick).
Hypothesis then writes random edge lists, whose node and tie counts are computed here
independently, and random bytes, which must give a network or an InputError, nothing else.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoresim import InputError
from scoresim.society.edgelist import read_edgelist

CORPUS = Path(__file__).parent / "hostile" / "edgelists"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "expected.toml").read_text())
NOT_CASES = {"expected.toml", "make_corpus.py"}
CLI_CASES = sorted(name for name, want in EXPECTED.items() if want.get("cli"))


def test_every_file_of_the_corpus_has_an_expected_outcome() -> None:
    files = {p.name for p in CORPUS.iterdir()} - NOT_CASES
    assert files == set(EXPECTED)
    for name, want in EXPECTED.items():
        assert (CORPUS / name).stat().st_size < 10_000, name
        assert ("error" in want) != bool(want.get("ok")), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str) -> None:
    want = EXPECTED[name]
    path = CORPUS / name
    if "error" in want:
        with pytest.raises(InputError) as info:
            read_edgelist(path, "rcm", want.get("declared"))
        message = str(info.value)
        assert "\n" not in message and len(message) < 400
        assert message.startswith(str(path))
        assert want["error"] in message
        return
    for reorder in ("rcm", "none"):
        net, labels = read_edgelist(path, reorder, want.get("declared"))
        assert (net.n, net.n_ties) == (want["nodes"], want["ties"])
        assert labels.size == net.n
        assert labels.dtype.kind in "iuO"  # exact integers or text, never float


def test_ids_past_2p63_keep_their_exact_values() -> None:
    _, labels = read_edgelist(CORPUS / "ids_near_2p64.csv", "none")
    assert labels.dtype == np.uint64
    assert [int(x) for x in labels] == [2**64 - 50 + k for k in range(50)]
    _, labels = read_edgelist(CORPUS / "ids_past_2p64.csv", "none")
    assert sorted(int(x) for x in labels) == sorted(
        [2**64 + k for k in range(25)] + [-(k + 1) for k in range(25)]
    )


def test_a_directory_and_a_missing_file_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory, not a file"):
        read_edgelist(tmp_path)
    with pytest.raises(InputError, match="edge list file not found"):
        read_edgelist(tmp_path / "absent.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(InputError, match="is not a regular file"):
        read_edgelist(tmp_path / "pipe.csv")


@pytest.mark.parametrize(
    ("content", "nodes", "ties"),
    [
        (b"u,v\nx," + b"y" * 2_000_000 + b"\nx,z\n", 3, 2),  # a row longer than a block
        (b"u v\nx " + b"y" * 2_000_000 + b"\nx z", 3, 2),  # the same, blank-separated
        (b"1,2", 2, 1),  # a single row without a line end
        (b"1 2", 2, 1),
    ],
)
def test_long_rows_and_missing_line_ends(
    tmp_path: Path, content: bytes, nodes: int, ties: int
) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    net, _ = read_edgelist(path)
    assert (net.n, net.n_ties) == (nodes, ties)


def test_a_file_of_blanks_past_the_sniffed_head_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b" " * 70_000 + b"\n1,2\n")
    with pytest.raises(InputError, match="no data in its first 64 KiB"):
        read_edgelist(path)


def test_a_first_row_longer_than_a_block_without_line_end(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"1," + b"2" * 2_000_000)
    with pytest.raises(InputError, match="integer ids may have at most 100"):
        read_edgelist(path)


# --- Through the command line, in subprocesses --------------------------------------------


@dataclass
class Run:
    returncode: int
    stderr: str
    out: Path


def _scenario(tmp: Path, key: str, edges: Path, declared: int | None) -> Path:
    scenario = tmp / f"{key}.toml"
    nodes = f"nodes = {declared}\n" if declared else ""
    scenario.write_text(
        f'steps = 1\n[society.network]\nkind = "edgelist"\npath = {str(edges)!r}\n{nodes}'
        "[modules.expression]\n"
    )
    return scenario


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every CLI case run by ``scoresim run``, all started at once."""
    tmp = tmp_path_factory.mktemp("cli")
    cases = {name: (CORPUS / name, EXPECTED[name].get("declared")) for name in CLI_CASES}
    cases["<a directory>"] = (tmp_path_factory.mktemp("a_directory.csv"), None)
    procs = {}
    for i, (name, (edges, declared)) in enumerate(cases.items()):
        scenario = _scenario(tmp, f"s{i}", edges, declared)
        out = tmp / f"out{i}"
        cmd = [sys.executable, "-m", "scoresim", "run", str(scenario), "--out", str(out)]
        procs[name] = (subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True), out)
    runs = {}
    for name, (proc, out) in procs.items():
        _, stderr = proc.communicate(timeout=120)
        runs[name] = Run(proc.returncode, stderr, out)
    return runs


@pytest.mark.parametrize("name", [*CLI_CASES, "<a directory>"])
def test_corpus_file_through_the_cli(cli_runs: dict[str, Run], name: str) -> None:
    run = cli_runs[name]
    want = EXPECTED.get(name, {"error": "is a directory, not a file"})
    assert "Traceback" not in run.stderr
    if "error" in want:
        assert run.returncode == 2, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert want["error"] in lines[0]
        assert "edgelist.py" not in lines[0]
        return
    assert run.returncode == 0, run.stderr
    (measures,) = run.out.glob("runs/*/measures.parquet")
    first = pq.read_table(measures).slice(0, 1).to_pylist()[0]
    assert (first["population"], first["ties"]) == (want["nodes"], want["ties"])


# --- Hypothesis: random edge lists, counted independently ----------------------------------

TEXT_LABELS = ["ann", "bob", "cid", "Dan", "zoë", "李", "x_1", "id-7", "0x10", "a.b"]
HEADERS = [("source", "target"), ("u", "v"), ("from", "to"), ("a", "b")]
INT_IDS = st.one_of(
    st.integers(-5, 30),
    st.integers(2**63 - 3, 2**63 + 3),
    st.integers(2**64 - 3, 2**64 + 3),
    st.integers(-(2**63) - 2, -(2**63) + 2),
)


COMMA_LABELS = ["ann lee", "x,y", 'say "hi"']  # need CSV (quoting, where they hold , or ")


@st.composite
def rendered_id(draw: st.DrawFn, text: bool, decimals: bool, comma: bool) -> str:
    """One id as written in the file (without quotes or blanks)."""
    if text and draw(st.integers(0, 29)) == 0:
        return "#tag"  # refused: comment lines are not supported
    if text and draw(st.booleans()):
        return draw(st.sampled_from(TEXT_LABELS + (COMMA_LABELS if comma else [])))
    value = draw(INT_IDS)
    if decimals and draw(st.integers(0, 9)) == 0:
        return f"{value}.{draw(st.sampled_from(['0', '5', '']))}"
    style = draw(st.sampled_from(["plain", "plain", "zeros", "plus"]))
    if style == "zeros" and value >= 0:
        return f"00{value}"
    if style == "plus" and value >= 0:
        return f"+{value}"
    return str(value)


@dataclass
class EdgeFile:
    data: bytes
    rows: list[tuple[str, str]]  # the ids of every row as written, header excluded
    header: bool
    first_line: str  # as written, BOM excluded


@st.composite
def edge_files(draw: st.DrawFn) -> EdgeFile:
    text = draw(st.booleans())
    decimals = draw(st.integers(0, 4)) == 0
    kind = draw(st.sampled_from(["comma", "tab", "blank"]))
    one_id = rendered_id(text, decimals, kind == "comma")
    rows = draw(st.lists(st.tuples(one_id, one_id), min_size=1, max_size=25))
    header = draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    weights = kind == "comma" and draw(st.booleans())  # a third column, ignored
    lines = []
    for i, (a, b) in enumerate([draw(st.sampled_from(HEADERS)), *rows] if header else rows):
        fields = [
            '"' + x.replace('"', '""') + '"' if "," in x or '"' in x or draw(st.booleans()) else x
            for x in (a, b)
        ]
        if kind == "comma":
            # a blank before a quoted field makes its quotes plain characters in CSV
            sep = draw(st.sampled_from([",", " ,"] if fields[1][0] == '"' else [",", ", "]))
            # blanks before an unquoted field only: ' "1"' is not a quoted field in CSV
            pad = [draw(st.sampled_from(["", " "])) for _ in fields]
            fields = [x if x.startswith('"') else p + x for p, x in zip(pad, fields, strict=True)]
            lead = ""
            tail = "," + draw(st.sampled_from(["w", "0.5", ""])) if weights else ""
        else:
            if kind == "tab":
                sep = draw(st.sampled_from(["\t", "\t\t", " \t", "\t "]))
            else:  # a tab between the first line's fields would make it tab-separated
                seps = ["  ", " "] if i == 0 else [" ", "  ", "\t", " \t "]
                sep = draw(st.sampled_from(seps))
            lead = draw(st.sampled_from(["", " ", "\t"]))
            tail = draw(st.sampled_from(["", " ", "\t "]))
        lines.append(lead + fields[0] + sep + fields[1] + tail)
    body = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return EdgeFile((bom + body).encode(), rows, header, lines[0])


NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)", re.ASCII)


def expected_network(f: EdgeFile) -> tuple[set[Any], set[frozenset[Any]]] | None:
    """Nodes and ties by the documented rules, or None where an InputError is due."""
    if f.first_line.lstrip(" \t").startswith("#"):
        return None  # a comment line, not supported
    rows = f.rows
    if not f.header and not any(NUMBER.fullmatch(x) for x in rows[0]):
        if rows[0] in rows[1:]:
            return None  # the header again, as in files joined by `cat`
        rows = rows[1:]  # a first row of two non-numbers is a header
    ids = [x for row in rows for x in row]
    if not ids or any(("." in x and NUMBER.fullmatch(x)) or x.startswith("#") for x in ids):
        return None
    if all(re.fullmatch(r"[+-]?[0-9]+", x) for x in ids):
        canon: dict[str, Any] = {x: int(x) for x in ids}
    else:
        canon = {x: x for x in ids}
    nodes = {canon[x] for x in ids}
    ties = {frozenset((canon[a], canon[b])) for a, b in rows if canon[a] != canon[b]}
    return nodes, ties


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=edge_files(), reorder=st.sampled_from(["rcm", "none"]))
def test_random_edge_lists_give_the_independently_counted_network(
    scratch: Path, f: EdgeFile, reorder: str
) -> None:
    path = scratch / "edges.csv"
    path.write_bytes(f.data)
    want = expected_network(f)
    if want is None:
        with pytest.raises(InputError):
            read_edgelist(path, reorder)
        return
    net, labels = read_edgelist(path, reorder)
    text = labels.dtype == object and isinstance(labels[0], str)
    canon = [str(x) if text else int(x) for x in labels]
    u, v = net.pairs()
    got_ties = {frozenset((canon[a], canon[b])) for a, b in zip(u, v, strict=True)}
    assert (set(canon), got_ties) == want
    assert net.n == len(want[0]) and net.n_ties == len(want[1])
    if all(isinstance(x, int) and 0 <= x <= 30 for x in want[0]):
        net, labels = read_edgelist(path, reorder, nodes=31)
        assert net.n == 31 and sorted(labels.tolist()) == list(range(31))
        u, v = net.pairs()
        assert {
            frozenset((int(labels[a]), int(labels[b]))) for a, b in zip(u, v, strict=True)
        } == want[1]


PIECES = [b"0", b"1", b"7", b"-", b"+", b".", b"e", b"9" * 20, b"a", b",", b"\t", b" ", b"  "]
PIECES += [
    b"\n",
    b"\r\n",
    b"\r",
    b'"',
    b"#",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"PAR1",
    b"\x1f\x8b",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join),
        st.binary(max_size=200).map(lambda b: gzip.compress(b, mtime=0)),
    ),
    suffix=st.sampled_from([".csv", ".tsv", ".txt", ".parquet"]),
    declared=st.sampled_from([None, None, 5]),
)
def test_any_bytes_give_a_network_or_an_input_error(
    scratch: Path, data: bytes, suffix: str, declared: int | None
) -> None:
    path = scratch / f"raw{suffix}"
    path.write_bytes(data)
    try:
        net, labels = read_edgelist(path, "rcm", declared)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert net.n == labels.size >= 1
    assert labels.dtype.kind in "iuO"
    if declared is not None:
        assert net.n == declared
