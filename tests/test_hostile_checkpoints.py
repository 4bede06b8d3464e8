"""Crafted checkpoints: one clear line and exit 2, never a crash inside a kernel.

Each case takes a real checkpoint and damages one thing. Loading runs in a subprocess, so a
segfault (exit 139) would fail the test instead of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scoresim import Simulation, load_scenario
from scoresim.engine.checkpoint import save_checkpoint

Arrays = dict[str, Any]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = Simulation(load_scenario("social-credit", {"society.agents": 300, "steps": 24}))
    sim.run(until=7)
    return save_checkpoint(sim, tmp_path_factory.mktemp("ck") / "good.npz")


def _meta(a: Arrays) -> dict[str, Any]:
    return dict(json.loads(a["meta"].tobytes()))


def _set_meta(a: Arrays, meta: Any) -> None:
    a["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def _tie_past_population(a: Arrays) -> None:
    a["net:indices"] = a["net:indices"].copy()
    a["net:indices"][-1] = 10**6


def _indptr_backwards(a: Arrays) -> None:
    a["net:indptr"] = a["net:indptr"].copy()
    a["net:indptr"][5] = a["net:indptr"][-1] + 50


def _indptr_short(a: Arrays) -> None:
    a["net:indptr"] = a["net:indptr"][:-10]


def _asymmetric(a: Arrays) -> None:
    indptr, idx = a["net:indptr"], a["net:indices"].copy()
    row = int(np.flatnonzero(np.diff(indptr) > 1)[0])
    idx[indptr[row]] = (idx[indptr[row]] + 1) % (indptr.size - 1)  # one end moved
    a["net:indices"] = idx


def _self_tie(a: Arrays) -> None:
    indptr, idx = a["net:indptr"], a["net:indices"].copy()
    row = int(np.flatnonzero(np.diff(indptr) > 0)[0])
    idx[indptr[row]] = row
    a["net:indices"] = idx


def _negative_tie(a: Arrays) -> None:
    a["net:indices"] = a["net:indices"].copy()
    a["net:indices"][0] = -3


def _float_indices(a: Arrays) -> None:
    a["net:indices"] = a["net:indices"].astype(np.float64)


def _short_citizen_array(a: Arrays) -> None:
    key = next(k for k in a if k.startswith("people:"))
    a[key] = a[key][:-1]


def _measures_truncated(a: Arrays) -> None:
    a["measures"] = a["measures"][:-2]


def _egos_outside(a: Arrays) -> None:
    a["egos"] = np.array([10**7], dtype=np.int64)


def _missing_measures(a: Arrays) -> None:
    del a["measures"]


def _meta_not_json(a: Arrays) -> None:
    a["meta"] = np.frombuffer(b"\xff{not json", dtype=np.uint8)


def _meta_a_list(a: Arrays) -> None:
    _set_meta(a, [1, 2, 3])


def _meta_missing_t(a: Arrays) -> None:
    meta = _meta(a)
    del meta["t"]
    _set_meta(a, meta)


def _t_beyond_run(a: Arrays) -> None:
    meta = _meta(a)
    meta["t"] = 10**9
    _set_meta(a, meta)
    a["measures"] = np.zeros((0, a["measures"].shape[1]))


def _scenario_unknown_key(a: Arrays) -> None:
    meta = _meta(a)
    meta["scenario"]["from_the_future"] = 1
    _set_meta(a, meta)


def _text_people(a: Arrays) -> None:
    key = next(k for k in a if k.startswith("people:"))
    a[key] = a[key].astype(str)


CASES: dict[str, tuple[Callable[[Arrays], None], str]] = {
    "tie past the population": (_tie_past_population, "outside the population"),
    "indptr runs backwards": (_indptr_backwards, "never decrease"),
    "indptr too short": (_indptr_short, "one more than the citizens"),
    "ties not symmetric": (_asymmetric, "not"),
    "a citizen their own friend": (_self_tie, "own friend"),
    "negative tie": (_negative_tie, "outside the population"),
    "float indices": (_float_indices, "must be integers"),
    "a citizen array too short": (_short_citizen_array, "differ in length"),
    "measures truncated": (_measures_truncated, "but the run had completed"),
    "egos outside": (_egos_outside, "egos must be citizen ids"),
    "measures missing": (_missing_measures, "'measures' is missing"),
    "metadata not JSON": (_meta_not_json, "its metadata"),
    "metadata a list": (_meta_a_list, "checkpoint format None"),
    "metadata without t": (_meta_missing_t, "'t' is missing"),
    "t beyond the run": (_t_beyond_run, "1000000000"),
    "scenario from a later version": (_scenario_unknown_key, "does not validate in this version"),
    "text where numbers belong": (_text_people, "unsupported type"),
}

LOAD = """
import sys
from scoresim.core.errors import InputError
from scoresim.engine.checkpoint import load_checkpoint
try:
    load_checkpoint(sys.argv[1])
except InputError as exc:
    print("INPUT:", exc)
    sys.exit(2)
"""


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_checkpoint_is_one_clear_line(good: Path, tmp_path: Path, case: str) -> None:
    damage, message = CASES[case]
    with np.load(good, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    damage(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    done = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True)
    assert done.returncode == 2, (case, done.returncode, done.stderr[-500:])
    assert done.stdout.startswith("INPUT:") and message in done.stdout, done.stdout
    assert done.stdout.count("\n") == 1 and "Traceback" not in done.stderr


def test_the_undamaged_checkpoint_resumes(good: Path) -> None:
    from scoresim.engine.checkpoint import load_checkpoint

    sim = load_checkpoint(good)
    assert sim.t == 7 and sim.run().steps.size == 24


def test_a_checkpoint_of_another_code_version_warns_once_and_resumes(
    good: Path, tmp_path: Path
) -> None:
    from scoresim.engine.checkpoint import load_checkpoint
    from scoresim.results import CodeVersionWarning

    with np.load(good, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = _meta(arrays)
    meta["code_version"] = "0.0.1+gdeadbeef"
    _set_meta(arrays, meta)
    path = tmp_path / "old.npz"
    np.savez(path, **arrays)
    with pytest.warns(CodeVersionWarning, match=r"0\.0\.1\+gdeadbeef") as seen:
        sim = load_checkpoint(path)
    assert len(seen) == 1 and sim.run().steps.size == 24


FILES: dict[str, Callable[[bytes], bytes]] = {
    "truncated to half": lambda good: good[: len(good) // 2],
    "truncated to its first bytes": lambda good: good[:30],
    "empty": lambda good: b"",
    "garbage": lambda good: bytes(range(256)) * 8,
    "a lone .npy array": lambda good: b"\x93NUMPY\x01\x00v\x00" + b" " * 118 + b"\n",
}


@pytest.mark.parametrize("case", list(FILES))
def test_a_damaged_checkpoint_file_is_one_clear_line(good: Path, tmp_path: Path, case: str) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(FILES[case](good.read_bytes()))
    done = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True)
    assert done.returncode == 2, (case, done.returncode, done.stderr[-500:])
    assert done.stdout.startswith("INPUT:") and "Traceback" not in done.stderr
