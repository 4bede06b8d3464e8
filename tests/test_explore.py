"""The explorer's API: answers, validation, and no 500 under fuzzing."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoresim.experiments import compare
from scoresim.explore import create_app, open_results


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("explore")
    # The mandate at month 12 (default 60) so that three years have a blacklist to show.
    overrides = {"society.agents": 1200, "steps": 36, "modules.enrolment.mandate_step": 12}
    compare(["social-credit", "no-score"], overrides, out=root)
    return root


@pytest.fixture(scope="module")
def client(results: Path) -> TestClient:
    return TestClient(create_app(open_results(results)))


def snapshot(results: Path, scenario: str, step: int) -> dict[str, np.ndarray]:
    run = next((results / "runs").glob(f"{scenario}-*"))
    t = pq.read_table(run / "snapshots" / f"step-{step:06d}.parquet")
    return {c: t.column(c).to_numpy() for c in t.column_names}


def test_overview(client: TestClient) -> None:
    o = client.get("/api/overview").json()
    assert o["scenarios"] == ["social-credit", "no-score"]
    assert o["snapshot_steps"] == [11, 23, 35] and o["steps"] == 36
    assert "expression_rate" in o["headline"]


def test_citizen_lookup_matches_the_snapshot(client: TestClient, results: Path) -> None:
    snap = snapshot(results, "social-credit", 35)
    cid = int(np.argmax(snap["score_spillover"]))  # someone whose friends drag them down
    c = client.get(f"/api/citizen/{cid}?scenario=social-credit").json()
    assert c["attributes"]["score"] == pytest.approx(float(snap["score"][cid]))
    assert c["band"] in ("poor", "medium", "good", "very good", "excellent")
    rebuilt = 350 + sum(c["components"].values()) + sum(c["penalties"].values())
    assert max(350, min(950, rebuilt)) == pytest.approx(c["attributes"]["score"], abs=0.01)
    drags = [f["drag"] for f in c["friends"]]
    assert drags == sorted(drags, reverse=True) and drags[0] > 0  # who drags the score down
    assert c["friends_total"] == len(c["friends"])
    assert [h["step"] for h in c["history"]] == [11, 23, 35]
    assert cid in c["ego"]["nodes"] and all(len(t) == 2 for t in c["ego"]["ties"])
    held = [p["held"] for p in c["perks"]]
    assert held == [bool(int(snap["perks"][cid]) >> k & 1) for k in range(4)]


def test_blacklist_pages_and_sorts(client: TestClient, results: Path) -> None:
    snap = snapshot(results, "social-credit", 35)
    listed = np.flatnonzero(snap["blacklisted"] == 1)
    page = client.get("/api/blacklist?scenario=social-credit&size=10&sort=score&order=desc").json()
    assert page["total"] == listed.size > 0
    scores = [r["score"] for r in page["rows"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float(snap["score"][listed].max()))
    second = client.get(
        "/api/blacklist?scenario=social-credit&size=10&page=2&sort=score&order=desc"
    )
    assert {r["id"] for r in page["rows"]}.isdisjoint({r["id"] for r in second.json()["rows"]})
    none = client.get("/api/blacklist?scenario=no-score").json()
    assert none["total"] == 0 and "no blacklist" in none["note"]


def test_series_and_compare(client: TestClient) -> None:
    s = client.get("/api/series?measure=expression_rate&measure=blacklist_size").json()
    assert len(s["expression_rate"]["social-credit"]["mean"]) == 36
    cmp = client.get("/api/compare?step=35").json()
    assert (
        cmp["values"]["social-credit"]["expression_rate"]
        < cmp["values"]["no-score"]["expression_rate"]
    )


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/api/citizen/999999?scenario=social-credit", 404, "no citizen 999999"),
        ("/api/citizen/1?scenario=utopia", 404, "no scenario 'utopia'"),
        ("/api/citizen/1?scenario=social-credit&replicate=3", 404, "has replicates 0, not 3"),
        ("/api/citizen/1?scenario=social-credit&step=12", 404, "snapshots at steps 11, 23, 35"),
        ("/api/citizen/-1?scenario=social-credit", 422, "greater than or equal to 0"),
        ("/api/citizen/abc?scenario=social-credit", 422, "valid integer"),
        ("/api/blacklist?scenario=social-credit&sort=drop%20table", 422, "sort must be one of"),
        ("/api/blacklist?scenario=social-credit&page=0", 422, "page"),
        ("/api/blacklist?scenario=social-credit&size=5000", 422, "size"),
        ("/api/blacklist?scenario=social-credit&order=sideways", 422, "order"),
        ("/api/series?measure=nonsense", 404, "no measure 'nonsense'"),
        ("/api/compare?step=999", 404, "outside 0 to 35"),
        ("/static/..%2F..%2Fscenario.py", 404, ""),
        ("/static/passwd", 404, "no static file"),
    ],
)
def test_errors_are_404_or_422_with_a_message(
    client: TestClient, url: str, status: int, text: str
) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert text in r.text


def test_the_page_and_charts_library_are_served_locally(client: TestClient) -> None:
    page = client.get("/").text
    assert "/static/plotly.min.js" in page and "https://" not in page
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


text = st.text(max_size=30)
number = st.one_of(st.integers(-(2**40), 2**40), text)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            "/api/citizen/{}",
            "/api/blacklist",
            "/api/series",
            "/api/compare",
            "/static/{}",
            "/api/overview",
        ]
    ),
    cid=number,
    params=st.dictionaries(
        st.sampled_from(
            ["scenario", "replicate", "step", "page", "size", "sort", "order", "measure"]
        ),
        st.one_of(number, st.sampled_from(["social-credit", "no-score", "score", "desc"])),
        max_size=6,
    ),
)
def test_fuzzed_requests_never_get_a_500(
    client: TestClient, path: str, cid: object, params: dict[str, object]
) -> None:
    url = path.format(quote(str(cid), safe="")) if "{}" in path else path
    r = client.get(url, params={k: str(v) for k, v in params.items()})
    assert r.status_code in (200, 404, 422), (url, params, r.status_code, r.text[:200])


def test_explore_command_serves_on_localhost(results: Path) -> None:
    import json
    import subprocess
    import sys
    import time
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "scoresim", "explore", str(results), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("scoresim explorer at http://127.0.0.1:"), line
        url = line.split()[3]
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "api/overview", timeout=2) as r:
                    assert json.load(r)["scenarios"] == ["social-credit", "no-score"]
                break
            except OSError:
                assert time.monotonic() < deadline, "explorer did not answer"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_explore_command_rejects_a_missing_directory(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scoresim.cli import app

    res = CliRunner().invoke(app, ["explore", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such results directory" in res.stderr


@pytest.mark.parametrize("sort", ["age", "violations"])
def test_blacklist_sorted_by_a_column_the_snapshot_lacks_is_a_422(
    tmp_path: Path, sort: str
) -> None:
    from fastapi.testclient import TestClient

    from scoresim.explore import create_app, open_results

    (tmp_path / "s.toml").write_text(
        'extends = "social-credit"\nname = "lean"\n'
        '[record]\nsnapshot_states = ["blacklisted", "score"]\n'
    )
    compare(
        [str(tmp_path / "s.toml"), "no-score"],
        {"society.agents": 400, "steps": 12},
        out=tmp_path / "out",
    )
    client = TestClient(create_app(open_results(tmp_path / "out")))
    r = client.get(f"/api/blacklist?scenario=lean&sort={sort}")
    assert r.status_code == 422 and "sortable here" in r.text
