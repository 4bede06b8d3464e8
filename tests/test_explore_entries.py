"""The explorer over every kind of results directory: sweeps, studies, replicates, corrupt files."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scoresim.cli import app
from scoresim.core.errors import InputError
from scoresim.experiments import compare
from scoresim.experiments.executors import InProcessExecutor
from scoresim.experiments.sweep import sweep
from scoresim.explore import create_app, open_results

SMALL = {"society.agents": 300, "steps": 24, "modules.enrolment.mandate_step": 0}
DESIGN = """
name = "fear-sweep"
scenario = "social-credit"
method = "factorial"
replicates = 1
seed = 3
outputs = ["expression_rate", "blacklist_size"]
[overrides]
"society.agents" = 300
steps = 12
"modules.enrolment.mandate_step" = 0
[parameters]
"modules.expression.fear" = { values = [0.5, 1.5, 3.0] }
"""


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two replicates of a scenario whose list has exits, and of the unscored control."""
    root = tmp_path_factory.mktemp("replicated")
    (root / "expiring.toml").write_text(
        'extends = "social-credit"\nname = "expiring"\n'
        "[modules.blacklist]\nterm = 24\nallow_exit = true\n"
    )
    compare([str(root / "expiring.toml"), "no-score"], SMALL, replicates=2, out=root / "out")
    return root / "out"


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep of three points, the last of which failed."""
    root = tmp_path_factory.mktemp("swept")
    (root / "d.toml").write_text(DESIGN)
    sweep(root / "d.toml", root / "out", InProcessExecutor())
    exp = json.loads((root / "out" / "experiment.json").read_text())
    with duckdb.connect(str(root / "out" / "scoresim.duckdb")) as con:
        con.execute("UPDATE runs SET status = 'failed' WHERE run_id = ?", [exp["runs"][2][0]])
    return root / "out"


def test_intervals_are_the_runsets_within_each_range(replicated: Path) -> None:
    data = open_results(replicated)
    assert data.control == "no-score"
    last = data.steps - 1
    measures = data.results.headline()
    cmp = data.compare(last, measures)
    effects, summary = data.results.effects(measures), data.results.summary(measures)
    for m in measures:
        got = cmp["effects"]["expiring"][m]
        want = effects["expiring"][m].as_dict()
        assert got == pytest.approx(want, nan_ok=True), m
        assert cmp["levels"]["expiring"][m] == pytest.approx(
            summary["expiring"][m].as_dict(), nan_ok=True
        )
    for m in (m for m in data.measures if data.results.measure_info(m)["kind"] == "share"):
        for s in data.series(m).values():
            assert all(v is None or v >= 0 for v in s["ci_low"]), m
            assert all(v is None or v <= 1 for v in s["ci_high"]), m


def test_a_list_with_exits_says_how(replicated: Path) -> None:
    client = TestClient(create_app(open_results(replicated)))
    page = client.get("/api/blacklist?scenario=expiring&replicate=1").json()
    assert page["exits"]["has_exit"] is True
    assert page["exits"]["text"].startswith(
        "This list has exits: a listing expires after 24 months; credit repair: a score at or "
        "above 500 for 12 months running takes a citizen off."
    )
    assert all(", no exit" not in r["reason"] for r in page["rows"])
    assert client.get("/api/overview").json()["replicates"] == {
        "expiring": [0, 1],
        "no-score": [0, 1],
    }
    assert client.get("/api/blacklist?scenario=expiring&replicate=2").status_code == 404


def test_a_sweep_lists_every_point_by_its_values(swept: Path) -> None:
    client = TestClient(create_app(open_results(swept)))
    o = client.get("/api/overview").json()
    assert o["kind"] == "sweep" and o["name"] == "fear-sweep"
    assert o["scenarios"] == ["point 0: fear=0.5", "point 1: fear=1.5"]
    assert [(p["point"], p["entry"], p["complete"], p["runs"]) for p in o["points"]] == [
        (0, "point 0: fear=0.5", 1, 1),
        (1, "point 1: fear=1.5", 1, 1),
        (2, None, 0, 1),
    ]
    assert o["points"][2]["params"] == {"modules.expression.fear": 3.0}
    assert o["descriptions"]["point 1: fear=1.5"].startswith(
        "design point 1: modules.expression.fear = 1.5"
    )
    assert o["control"] == "point 0: fear=0.5"
    cmp = client.get("/api/compare?step=11").json()
    assert set(cmp["effects"]) == {"point 1: fear=1.5"}
    name = quote("point 1: fear=1.5")
    c = client.get(f"/api/citizen/3?scenario={name}")
    assert c.status_code == 200 and c.json()["scenario"] == "point 1: fear=1.5"
    assert client.get(f"/api/blacklist?scenario={name}").status_code == 200
    other = open_results(swept, control="point 1: fear=1.5").compare(11, ["expression_rate"])
    assert set(other["effects"]) == {"point 0: fear=0.5"}


@pytest.mark.parametrize(
    ("kind", "what"), [("calibrate", "calibration"), ("robustness", "robustness")]
)
def test_a_study_directory_points_to_its_report(
    replicated: Path, tmp_path: Path, kind: str, what: str
) -> None:
    root = tmp_path / "study"
    shutil.copytree(replicated, root)
    (root / "experiment.json").write_text(json.dumps({"kind": kind, "name": kind}))
    with pytest.raises(InputError) as err:
        open_results(root)
    assert f"holds a {what}" in str(err.value)
    assert f"scoresim report {root}" in str(err.value)
    res = CliRunner().invoke(app, ["explore", str(root)])
    assert res.exit_code == 2 and "scoresim report" in res.stderr


def test_corrupt_files_are_422_without_paths(replicated: Path, tmp_path: Path) -> None:
    root = tmp_path / "corrupt"
    shutil.copytree(replicated, root)
    client = TestClient(create_app(open_results(root)))
    run = next((root / "runs").glob("expiring-*-r0"))
    step = sorted((run / "snapshots").glob("step-*.parquet"))[-1]
    step.write_bytes(step.read_bytes()[:200])
    ties = sorted((run / "snapshots").glob("ties-*.parquet"))[0]
    ties.write_bytes(b"not parquet at all")
    for url in (
        "/api/citizen/1?scenario=expiring",
        "/api/citizen/1?scenario=expiring&step=11",
        "/api/blacklist?scenario=expiring",
        "/api/blacklist.csv?scenario=expiring",
        "/api/example?scenario=expiring&kind=random",
        "/api/citizen/1/history.csv?scenario=expiring",
    ):
        r = client.get(url)
        assert r.status_code in (404, 422), (url, r.text)
        assert str(tmp_path) not in r.text and "/runs/" not in r.text, r.text
        assert "unreadable" in r.json()["detail"], r.text
    (root / "experiment.json").write_text("{ not json")
    with pytest.raises(InputError, match="unreadable"):
        open_results(root)


def test_nan_free_json(replicated: Path) -> None:
    client = TestClient(create_app(open_results(replicated)))
    for url in ("/api/compare?step=0", "/api/series?measure=mean_score&measure=perk_gini"):
        body = client.get(url)
        assert body.status_code == 200
        assert "NaN" not in body.text and not any(
            isinstance(v, float) and math.isnan(v) for v in json.loads(body.text).values()
        )
