"""Twin kernels: serial and parallel agree, the size picks one, each has its own cache entry."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pytest

import scoresim.modules
import scoresim.society.gather
from scoresim import Simulation, load_scenario
from scoresim.core.kernels import SERIAL_BELOW, Twin, twin
from scoresim.modules import blacklist, purchases, scoring, tie_cutting
from scoresim.society import Network
from scoresim.society import csr_kernels as kern
from scoresim.society.network import normalise_pairs

ROOT = Path(__file__).resolve().parents[1]
#: Sizes on both sides of the threshold.
SIZES = (1_000, SERIAL_BELOW + 1_000)


def all_twins() -> list[Twin[Any, Any]]:
    assert scoresim.modules and scoresim.society.gather  # every kernel module imported
    return [o for o in gc.get_objects() if isinstance(o, Twin) and o.__module__ != __name__]


@pytest.fixture
def forced() -> Iterator[list[Twin[Any, Any]]]:
    """Every twin of scoresim; their thresholds are restored afterwards."""
    twins = all_twins()
    saved = [t.serial_below for t in twins]
    yield twins
    for t, below in zip(twins, saved, strict=True):
        t.serial_below = below


def test_the_size_picks_serial_below_the_threshold_and_parallel_from_it() -> None:
    if numba.get_num_threads() < 2:
        pytest.skip("one thread: every twin runs serially")
    twins = all_twins()
    assert len(twins) >= 15
    for t in twins:
        assert t.pick(t.serial_below - 1) is t.serial
        assert t.pick(t.serial_below) is t.parallel
        assert t.serial.targetoptions["parallel"] is False
        assert t.parallel.targetoptions["parallel"] is True
        assert t.serial_below == SERIAL_BELOW
    custom = twin(serial_below=10)(lambda x: x)
    assert custom.pick(9) is custom.serial
    assert custom.pick(10) is custom.parallel


def test_with_one_thread_every_size_runs_serially() -> None:
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert purchases._shop.pick(1 << 40) is purchases._shop.serial
    finally:
        numba.set_num_threads(threads)


@twin(cache=False, serial_below=100)
def _thread_ids(out: Any) -> None:
    for i in numba.prange(out.size):
        out[i] = numba.get_thread_id()


def test_calling_a_twin_runs_the_version_its_size_picks() -> None:
    if numba.get_num_threads() < 2:
        pytest.skip("one thread: parallel and serial run alike")
    out = np.full(1 << 16, -1, dtype=np.int64)
    _thread_ids(99, out)
    assert (out == 0).all()
    _thread_ids(100, out)
    assert out.max() > 0


def _csr(n: int, rng: np.random.Generator) -> kern.Csr:
    a = rng.integers(0, n, 10 * n)
    b = np.clip(a + rng.integers(-50, 51, a.size), 0, n - 1)
    net = Network.from_pairs(n, a, b)
    return kern.Csr(net.indptr, net.indices)


def _copies(t: Any) -> Any:
    """A copy of every array in the named tuple ``t`` (scalars kept)."""
    return type(t)(*(x.copy() if isinstance(x, np.ndarray) else x for x in t))


def _same(a: Any, b: Any) -> None:
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", SIZES)
def test_the_score_kernel_writes_the_same_serially_and_in_parallel(n: int) -> None:
    rng = np.random.default_rng(n)
    csr = _csr(n, rng)
    f32 = np.float32
    x = scoring.ScoreInputs(
        friends_view=rng.random((n, 2)).astype(f32),
        memory=rng.exponential(1, n).astype(f32),
        age=rng.integers(0, 90, n).astype(f32),
        income=rng.lognormal(9, 1, n).astype(f32),
        assets=rng.lognormal(10, 1, n).astype(f32),
        missed=rng.exponential(0.3, n).astype(f32),
        employed=rng.random(n) < 0.9,
        lifestyle=rng.normal(0, 2, n).astype(f32),
        occupation=rng.integers(0, scoring._IDENTITY.size, n).astype(np.uint8),
        enrolled=rng.random(n) < 0.5,
        median_income=8000.0,
        drag_per_memory=3.0,
    )
    empty = scoring.ScoreOutputs(*(np.zeros(n, f32) for _ in range(10)), np.zeros(n, np.uint8))
    c = scoring.ScoringParams().constants()
    results = []
    for version in (scoring._compose.serial, scoring._compose.parallel):
        out = _copies(empty)
        version(csr, x, c, out)
        results.append(out)
    _same(results[0], results[1])
    assert (results[0].score > 0).all()  # every output written, by both


@pytest.mark.parametrize("n", SIZES)
def test_shopping_and_listing_agree_serially_and_in_parallel(n: int) -> None:
    rng = np.random.default_rng(n + 1)
    f32 = np.float32
    shop_in = purchases.ShopInputs(
        adult=rng.random(n) < 0.8,
        enrolled=rng.random(n) < 0.5,
        gap=rng.uniform(0, 60, n).astype(f32),
        age=rng.integers(0, 90, n).astype(f32),
        income=rng.lognormal(9, 1, n).astype(f32),
        young_parent=rng.random(n) < 0.05,
        exposure=np.where(rng.random(n) < 0.1, 0.1, 0.0).astype(f32),
        mean_income=float(np.exp(9.5)),
    )
    shop_state = purchases.ShopState(
        rng.normal(0, 1, n).astype(f32), rng.lognormal(9, 1, n).astype(f32), np.zeros(n, np.uint16)
    )
    draws = purchases.ShopDraws(np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4))
    c = purchases.PurchasesParams(gaming_rate=0.5).constants()
    listing = blacklist.Listing(
        alive=(rng.random(n) < 0.95).astype(np.uint8),
        enrolled=rng.random(n) < 0.7,
        score=rng.uniform(350, 950, n).astype(f32),
        listed=(rng.random(n) < 0.05).astype(np.uint8),
        months=rng.integers(0, 30, n).astype(np.uint16),
        listed_publicly=np.zeros(n, np.uint8),
        reach=np.ones(n, f32),
        occupation=rng.integers(0, 13, n).astype(np.uint8),
        barred=np.zeros(n, np.uint8),
        income=rng.lognormal(9, 1, n).astype(f32),
        wage=rng.lognormal(9, 1, n).astype(f32),
        recovered=rng.integers(0, 5, n).astype(np.uint16),
        spent=(rng.random(n) < 0.1).astype(np.uint8),
    )
    bc = blacklist.BlacklistParams(
        threshold=600, allow_exit=True, min_months=3, term=12
    ).constants()
    results = []
    for serial in (True, False):
        state = _copies(shop_state)
        shop = purchases._shop.serial if serial else purchases._shop.parallel
        counts = shop(shop_in, state, c, draws)
        lst = _copies(listing)
        sanction = blacklist._list_and_sanction
        listed = (sanction.serial if serial else sanction.parallel)(lst, bc)
        results.append((counts, state, listed, lst))
    _same(results[0], results[1])
    assert results[0][0][2] > 0 and results[0][2][4] > 0  # gaming and barring happened


@pytest.mark.parametrize("n", SIZES)
def test_tie_kernels_agree_serially_and_in_parallel(n: int) -> None:
    rng = np.random.default_rng(n + 2)
    csr = _csr(n, rng)
    f32 = np.float32
    visible = tie_cutting.Visible(
        listed_publicly=(rng.random(n) < 0.1).astype(np.uint8),
        score_public=(rng.random(n) < 0.5).astype(np.uint8),
        drag=rng.exponential(3, n).astype(f32),
        score=rng.uniform(350, 950, n).astype(f32),
    )
    c = tie_cutting.TieCuttingParams(cut_rate=0.1).constants()
    a = rng.integers(0, n, 500)
    b = np.clip(a + rng.integers(-50, 51, 500), 0, n - 1)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)])[:, a != b], axis=1)
    results = []
    for serial in (True, False):

        def pick(t: Twin[Any, Any], on: bool = serial) -> Any:
            return t.serial if on else t.parallel

        fixed, seen = pick(tie_cutting._seen_by_friends)(visible, c)
        weighed = tie_cutting.Weighed(np.ones(n, bool), visible.score, fixed, seen)
        bits = pick(tie_cutting._cuts)(csr, weighed, np.uint64(5), c)
        positions = pick(kern._bit_positions)(bits)
        missing = pick(kern._absent)(csr, pairs[0], pairs[1])
        cut = pick(kern._cut_positions)(csr, pairs[0], pairs[1])
        results.append((fixed, seen, bits, positions, missing, cut))
    _same(results[0], results[1])
    assert results[0][3].size > 0 and results[0][5].size > 0 and results[0][4].any()


@pytest.mark.parametrize("backward", [False, True])
def test_blocked_tie_edits_and_gathers_agree_serially_and_in_parallel(backward: bool) -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    csr = _csr(n, rng)
    net = Network(csr.indptr, csr.indices)
    src = net.sources()
    pick = rng.choice(net.indices.size, 400, replace=False)
    cu, cv = normalise_pairs(src[pick], net.indices[pick].astype(np.int64), n)
    au, av = normalise_pairs(rng.integers(0, n, 400), rng.integers(0, n, 400), n)
    new = kern.absent(csr, au, av)
    s = np.concatenate([au[new], av[new]])
    d = np.concatenate([av[new], au[new]])
    order = np.lexsort((d, s))
    edits = kern.Edits(kern.cut_positions(csr, cu, cv), s[order], d[order])
    new_ptr, longest, _ = kern.plan_edits(csr.indptr, edits)
    size = int(max(new_ptr[-1], csr.indptr[-1]))
    results = []
    for version in (kern._apply_blocks.serial, kern._apply_blocks.parallel, None):
        indptr = csr.indptr.copy()
        buf = np.zeros(size, dtype=np.int32)
        buf[: csr.indices.size] = csr.indices
        if version is None:  # the ring buffer, one block
            kern.apply_edits(indptr, new_ptr, buf, edits, longest, backward, blocks=1)
        else:
            version(indptr, new_ptr, buf, edits, longest, backward, 8)
        results.append((indptr, buf[: new_ptr[-1]]))
    _same(results[0], results[1])
    _same(results[0], results[2])
    values = rng.random(n).astype(np.float32)
    alive = rng.random(n) < 0.9
    marked = rng.random(n) < 0.2
    _same(
        scoresim.society.gather._sum.serial(csr, values),
        scoresim.society.gather._sum.parallel(csr, values),
    )
    _same(
        scoresim.society.gather._degree_sums.serial(csr.indptr, alive, marked),
        scoresim.society.gather._degree_sums.parallel(csr.indptr, alive, marked),
    )


def test_a_run_is_the_same_with_every_twin_serial_or_parallel(forced: list[Twin[Any, Any]]) -> None:
    """The whole model, every kernel forced one way then the other (float sums excepted)."""
    outcomes = []
    for below in (1 << 62, 0):
        for t in forced:
            t.serial_below = below
        sim = Simulation(
            load_scenario("social-credit", {"society.agents": 1500, "steps": 13, "seed": 3})
        )
        result = sim.run()
        outcomes.append((result.measures, {k: sim.people[k].copy() for k in sim.people}))
    for name, values in outcomes[0][0].items():
        np.testing.assert_array_equal(values, outcomes[1][0][name], err_msg=name)
    for name, values in outcomes[0][1].items():
        np.testing.assert_array_equal(values, outcomes[1][1][name], err_msg=name)


_CACHED = """
import json
import numba
import numpy as np
from scoresim.core.kernels import twin


@twin
def kernel(out):
    for i in numba.prange(out.size):
        out[i] = numba.get_thread_id()


# Parallel first: it starts the threading layer, which get_thread_id needs in a serial
# kernel loaded from the cache (numba does not start it for those).
out = np.full(1 << 16, -1, dtype=np.int64)
kernel.parallel(out)
parallel = int(out.max())
kernel.serial(out)
serial = int(out.max())
print(json.dumps({
    "serial_max_thread": serial,
    "parallel_max_thread": parallel,
    "hits": [sum(d.stats.cache_hits.values()) for d in (kernel.serial, kernel.parallel)],
    "misses": [sum(d.stats.cache_misses.values()) for d in (kernel.serial, kernel.parallel)],
}))
"""


def test_each_twin_has_its_own_cache_entry(tmp_path: Path) -> None:
    """Loaded from numba's on-disk cache, the serial twin still runs serially."""
    (tmp_path / "cached_twin.py").write_text(textwrap.dedent(_CACHED))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    env.pop("NUMBA_CACHE_DIR", None)

    def run() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", "import cached_twin"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(json.loads(done.stdout))

    first = run()
    second = run()
    assert first["misses"] == [1, 1]
    assert second["hits"] == [1, 1] and second["misses"] == [0, 0]
    for r in (first, second):
        assert r["serial_max_thread"] == 0
        if numba.get_num_threads() > 1:
            assert r["parallel_max_thread"] > 0
    index = sorted(p.name.split("-")[0] for p in (tmp_path / "__pycache__").glob("*.nbi"))
    assert index == ["cached_twin.kernel", "cached_twin.kernel.serial"]
