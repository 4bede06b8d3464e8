"""Fuzzing the inputs a user hands scoresim: scenario files and checkpoints.

Whatever the input, the outcome is a valid result or an InputError (one line per problem),
never another exception, a hang or a crash:

- random TOML documents built from the real schema's keys (and a few others), with random
  values: whole numbers of any size, floats with nan and inf, text, lists, tables, flags;
- random bytes as a scenario file;
- a real checkpoint with one array or metadata field damaged at random: it is refused, or
  it loads and runs a few more months. Loading runs in a worker process, so a crash in a
  kernel fails the test instead of killing pytest.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import numpy as np
import pytest
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from scoresim import Scenario, Simulation, load_scenario, parse_scenario
from scoresim.core import registry
from scoresim.core.errors import InputError
from scoresim.core.specs import LifeTableSpec, PeopleSpec, SyntheticNetwork
from scoresim.scenario import RecordSpec

#: Examples per fuzz test: a few seconds' worth; SCORESIM_FUZZ_SCALE=100 fuzzes for longer.
SCALE = float(os.environ.get("SCORESIM_FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=int(300 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

# -- random values and schema-shaped documents ------------------------------------------------

LEAVES = st.one_of(
    st.integers(-5, 200),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
)
VALUES = st.recursive(
    LEAVES,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=6,
)


def _bounds(field: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in field.metadata:
        if isinstance(m, Ge | Gt):
            lo = float(m.ge if isinstance(m, Ge) else m.gt)
        elif isinstance(m, Le | Lt):
            hi = float(m.le if isinstance(m, Le) else m.lt)
    return lo, hi


def _plausible(field: Any) -> st.SearchStrategy[Any]:
    """Values a field may well accept (within its bounds), so that some documents are valid."""
    ann = field.annotation
    lo, hi = _bounds(field)
    if ann is bool:
        return st.booleans()
    if ann is int:
        return st.integers(int(lo) if lo is not None else -10, int(hi) if hi is not None else 10**6)
    if ann is float:
        return st.floats(lo if lo is not None else -1e6, hi if hi is not None else 1e6)
    if get_origin(ann) is Literal:
        return st.sampled_from(get_args(ann))
    return VALUES


def table(model: type[BaseModel], junk: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """A table of some of ``model``'s keys (and, rarely, unknown ones) with random values."""
    fields = model.model_fields
    key = st.sampled_from(sorted(fields))
    if junk:
        key = st.one_of(*(key,) * 9, st.text(max_size=8))
    return st.dictionaries(
        key,
        st.just(None).flatmap(lambda _: VALUES),  # replaced per key below
        max_size=min(len(fields), 6),
    ).flatmap(
        lambda d: st.fixed_dictionaries(
            {
                k: st.one_of(_plausible(fields[k]), _plausible(fields[k]), VALUES)
                if k in fields
                else VALUES
                for k in d
            }
        )
    )


MODULE_NAMES = sorted(registry.known())
MODULES = st.dictionaries(
    st.one_of(*(st.sampled_from(MODULE_NAMES),) * 4, st.text(max_size=8)),
    st.one_of(
        *(st.sampled_from(MODULE_NAMES).flatmap(lambda n: table(registry.get(n).Params)),) * 3,
        st.just({}),
        VALUES,
    ),
    max_size=4,
)
NETWORK = table(SyntheticNetwork) | st.fixed_dictionaries(
    {"kind": st.sampled_from(["edgelist", "grid", ""]), "path": st.text(max_size=10)}
)


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four, any value otherwise."""
    return st.one_of(good, good, good, VALUES)


SOCIETY = st.fixed_dictionaries(
    {},
    optional={
        "agents": mostly(st.integers(10, 500)),
        "people": mostly(table(PeopleSpec)),
        "life_table": mostly(table(LifeTableSpec)),
        "network": mostly(NETWORK),
    },
)
SCENARIO = st.tuples(
    st.fixed_dictionaries(
        {},
        optional={
            "name": mostly(st.text(min_size=1, max_size=30)),
            "description": mostly(st.text(max_size=50)),
            "seed": mostly(st.integers(0, 2**64)),
            "steps": mostly(st.integers(1, 50)),
            "burn_in": mostly(st.sampled_from([0, 12, 24])),
            "society": mostly(SOCIETY),
            "modules": mostly(MODULES),
            "record": mostly(table(RecordSpec)),
        },
    ),
    # Now and then a base to extend, or a key the schema does not have.
    st.one_of(
        *(st.just({}),) * 8,
        st.fixed_dictionaries({"extends": st.sampled_from(["no-score", "missing", "."])}),
        st.dictionaries(st.text(max_size=6), VALUES, min_size=1, max_size=2),
    ),
).map(lambda parts: {**parts[0], **parts[1]})


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (control characters escaped, the rest as is)."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """``value`` as a TOML value (tables inline, so a whole document is key = value lines)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(type(value))


def outcome(load: Any) -> Scenario | None:
    """What a load gives: a Scenario, or None for an InputError. Anything else propagates."""
    try:
        scenario = load()
    except InputError as exc:
        for line in str(exc).split("\n"):
            assert line and line == " ".join(line.splitlines()) and len(line) <= 2000
        return None
    assert isinstance(scenario, Scenario)
    return scenario


@FUZZ
@given(doc=SCENARIO)
def test_random_schema_shaped_scenarios(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.toml"
        text = "\n".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in doc.items())
        path.write_text(text + "\n", encoding="utf-8")
        from_file = outcome(lambda: load_scenario(path))
    if "extends" not in doc:
        from_dict = outcome(lambda: parse_scenario(dict(doc)))
        # The same document, read from TOML or given as data, has the same fate (floats
        # may differ in their last digit through repr, which no bound here sits on).
        assert (from_file is None) == (from_dict is None)


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.tuples(
            st.sampled_from([b"[modules.", b"steps = ", b'name = "', b"[society]\n"]),
            st.binary(max_size=100),
        ).map(b"".join),
    )
)
def test_random_bytes_as_a_scenario_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.toml"
        path.write_bytes(data)
        outcome(lambda: load_scenario(path))


@settings(max_examples=int(20 * SCALE), deadline=None, database=None)
@given(doc=SCENARIO)
def test_valid_random_scenarios_build(doc: dict[str, Any]) -> None:
    """A scenario that validates builds its simulation, or refuses with one line."""
    doc = {k: v for k, v in doc.items() if k != "extends"}
    scenario = outcome(lambda: parse_scenario(doc))
    if scenario is None:
        return
    data = scenario.model_dump(mode="json")
    if data["society"]["network"]["kind"] != "communities":
        return  # an imported network's file is another test's business (test_edgelist)
    data["society"]["agents"] = 100
    # Agents cut to 100 may no longer fit the network's mean degree: that is refused.
    with contextlib.suppress(InputError):
        Simulation(parse_scenario(data))


# -- checkpoints --------------------------------------------------------------------------------

WORKER = """
import sys
from scoresim.core.errors import InputError
from scoresim.engine.checkpoint import load_checkpoint
for line in sys.stdin:
    try:
        sim = load_checkpoint(line.strip())
        sim.run(until=min(sim.t + 3, sim.scenario.steps))
        print("OK", flush=True)
    except InputError as exc:
        print("INPUT", " ".join(str(exc).splitlines()), flush=True)
    except Exception as exc:
        print("BUG", repr(exc)[:500], flush=True)
"""


class Worker:
    """A process that loads checkpoints, one path a line, and answers one line each."""

    def __init__(self) -> None:
        self.proc = self._start()

    @staticmethod
    def _start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def load(self, path: Path) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:  # it died: a crash, not an error
            code = self.proc.wait()
            self.proc = self._start()
            return f"CRASH exit code {code}"
        return answer.strip()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    from scoresim.engine.checkpoint import save_checkpoint

    sim = Simulation(
        load_scenario("social-credit", {"society.agents": 300, "steps": 24, "burn_in": 12})
    )
    sim.run(until=13)  # past a yearly snapshot, and its ties
    path = save_checkpoint(sim, tmp_path_factory.mktemp("ck") / "good.npz")
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


DTYPES = [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64, np.float32, np.float64]
MUTATIONS = ["values", "one value", "dtype", "length", "2d", "empty", "scalar", "drop", "meta"]


def _random_like(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        return rng.integers(info.min, info.max, size=a.shape, dtype=a.dtype, endpoint=True)
    if a.dtype.kind == "f":
        out = rng.normal(size=a.shape) * 10.0 ** rng.integers(0, 12, size=a.shape)
        special = rng.random(a.shape) < 0.1
        out[special] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -1.0], size=int(special.sum()))
        return out.astype(a.dtype)
    return a


def mutate(arrays: dict[str, np.ndarray], key: str, how: str, seed: int) -> None:
    """Damage ``arrays[key]`` (or the metadata) in the way ``how``, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    a = arrays[key]
    if how == "values":
        arrays[key] = _random_like(a, rng)
    elif how == "one value" and a.size:
        a = a.copy()
        flat = a.reshape(-1)
        extremes = [-1, 10**6, a.size, a.size - 1, 255]
        if a.dtype.kind == "f":
            extremes += [np.nan, np.inf]
        value = extremes[int(rng.integers(len(extremes)))]
        with np.errstate(all="ignore"):
            flat[int(rng.integers(flat.size))] = np.array(value).astype(a.dtype)
        arrays[key] = a
    elif how == "dtype":
        with np.errstate(all="ignore"):
            arrays[key] = a.astype(DTYPES[int(rng.integers(len(DTYPES)))])
    elif how == "length":
        size = int(rng.integers(0, 2 * a.shape[0] + 2)) if a.ndim else 0
        arrays[key] = np.resize(a, (size, *a.shape[1:])) if a.ndim else a
    elif how == "2d":
        arrays[key] = a.reshape(1, *a.shape) if rng.random() < 0.5 else np.stack([a, a])
    elif how == "empty":
        arrays[key] = a[:0] if a.ndim else a.reshape(1)[:0]
    elif how == "scalar":
        arrays[key] = a.reshape(-1)[:1].reshape(()) if a.size else np.array(0, dtype=a.dtype)
    elif how == "drop":
        del arrays[key]
    elif how == "meta":
        meta = json.loads(arrays["meta"].tobytes())
        field = ["t", "fills", "modules", "started", "stopped_early", "scenario"][
            int(rng.integers(6))
        ]
        wild: list[Any] = [-1, 0, 7, 8, 24, 25, 10**9, 2.5, None, "x", [], {}, True, 1e308]
        if field == "fills":
            name = sorted(meta["fills"])[int(rng.integers(len(meta["fills"])))]
            meta["fills"][name] = wild[int(rng.integers(len(wild)))]
        elif field == "modules":
            mods = list(meta["modules"])
            choice = int(rng.integers(3))
            meta["modules"] = mods[1:] if choice == 0 else mods[::-1] if choice == 1 else mods * 2
        elif field == "scenario":
            meta["scenario"]["steps"] = wild[int(rng.integers(len(wild)))]
        else:
            meta[field] = wild[int(rng.integers(len(wild)))]
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


@settings(max_examples=int(100 * SCALE), deadline=None, database=None)
@given(
    pick=st.integers(0, 10**6),
    how=st.sampled_from(MUTATIONS),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_damaged_checkpoint_is_refused_or_runs(
    checkpoint: dict[str, np.ndarray], worker: Worker, pick: int, how: str, seed: int
) -> None:
    arrays = dict(checkpoint)
    keys = sorted(k for k in arrays if k != "meta")
    key = "meta" if how == "meta" else keys[pick % len(keys)]
    mutate(arrays, key, how, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "damaged.npz"
        np.savez(path, **arrays)
        answer = worker.load(path)
    assert answer == "OK" or answer.startswith("INPUT "), (key, how, seed, answer)
