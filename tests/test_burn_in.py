"""The burn-in: the society settles without the policy, then every scenario starts from it."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from scoresim import Simulation, load_scenario
from scoresim.cli import app
from scoresim.core.errors import InputError
from scoresim.engine.checkpoint import load_checkpoint, save_checkpoint
from scoresim.engine.simulation import SOCIETY_STATES
from scoresim.results import BURN_IN_FILE, MANIFEST_FILE, fingerprint, load_run

SMALL = {"society.agents": 2000, "steps": 6, "burn_in": 12, "record.ego_networks": 0}


def test_the_policy_starts_after_the_burn_in_from_the_same_society() -> None:
    started = {}
    for preset in ("no-score", "social-credit"):
        sim = Simulation(load_scenario(preset, SMALL))
        sim.start()
        assert sim.t == 0 and sim.policy_started
        started[preset] = sim
    control, scored = started["no-score"], started["social-credit"]
    for state in (*SOCIETY_STATES, "sociability"):
        np.testing.assert_array_equal(control.people[state], scored.people[state], state)
    np.testing.assert_array_equal(control.network.indices, scored.network.indices)
    # The burn-in's months are the same in both: the policy's states read as absent.
    a, b = control.burn_in_measures.columns(), scored.burn_in_measures.columns()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], name)


def test_policy_modules_are_dormant_in_the_burn_in(tmp_path) -> None:
    sim = Simulation(load_scenario("social-credit", SMALL))
    months: list[tuple[int, int]] = []
    result = sim.run(progress=lambda done, total: months.append((done, total)))
    assert months[0] == (1, 18) and months[-1] == (18, 18)  # the burn-in counts as work
    assert len(result.measures["population"]) == 6
    burn = result.burn_in
    assert len(burn["population"]) == 12 and result.burn_in_steps.tolist() == list(range(-12, 0))
    policy_measures = {
        name for m in sim.modules if m.policy for name in (x.name for x in m.measures)
    }
    assert policy_measures  # scoring, perks, blacklist, ...
    for name in policy_measures:
        assert np.all(np.isnan(burn[name])), name  # never reported before the policy
        assert not np.all(np.isnan(result.measures[name])), name
    assert np.all(burn["population"] > 0) and not np.all(np.isnan(burn["expression_rate"]))
    result.write(tmp_path)
    back = load_run(tmp_path)
    for name, col in burn.items():
        np.testing.assert_array_equal(back.burn_in[name], col, name)


def test_no_burn_in_starts_the_policy_at_once() -> None:
    sim = Simulation(load_scenario("social-credit", {**SMALL, "burn_in": 0}))
    assert sim.policy_started
    assert sim.run().burn_in == {}


@pytest.mark.parametrize(
    "content",
    [b"", b"PAR1 truncated", "half", "strings"],
    ids=["empty", "truncated", "cut-half-way", "crafted-strings"],
)
def test_a_damaged_burn_in_file_is_one_line_and_exit_2(tmp_path, content) -> None:
    out = tmp_path / "res"
    made = CliRunner().invoke(
        app, ["run", "no-score", "--agents", "1000", "--steps", "6", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    (path,) = out.glob(f"runs/*/{BURN_IN_FILE}")
    good = path.read_bytes()
    if content == "half":
        path.write_bytes(good[: len(good) // 2])
    elif content == "strings":  # a real Parquet file whose measure is text
        pq.write_table(pa.table({"step": [-1], "population": ["many"]}), path)
    else:
        path.write_bytes(content)
    # Caught by its size against run.json's record; and where the record is made to match,
    # by the reader.
    with pytest.raises(InputError, match=r"damaged run \(burn_in\.parquet: [\d,]+ bytes where"):
        load_run(path.parent)
    info = json.loads((path.parent / MANIFEST_FILE).read_text())
    info["files"][BURN_IN_FILE] = fingerprint(path)
    (path.parent / MANIFEST_FILE).write_text(json.dumps(info))
    with pytest.raises(InputError, match=r"burn_in\.parquet: not a readable table"):
        load_run(path.parent)
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 2, res.output
    assert "burn_in.parquet: not a readable table" in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1


def test_a_checkpoint_with_burn_in_measures_of_the_wrong_shape_is_refused(tmp_path) -> None:
    sim = Simulation(load_scenario("no-score", SMALL))
    sim.run(until=2)
    path = save_checkpoint(sim, tmp_path / "c.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["burn_in_measures"] = np.zeros((3, 2))
    np.savez(path, **arrays)
    with pytest.raises(InputError, match="burn-in measures"):
        load_checkpoint(path)
