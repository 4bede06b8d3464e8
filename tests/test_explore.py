"""The explorer's API: answers, validation, and no 500 under fuzzing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoresim.experiments import compare
from scoresim.explore import create_app, open_results
from scoresim.modules.scoring import COMPONENTS


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


def friends_of(results: Path, scenario: str, step: int, cid: int) -> set[int]:
    """Citizen ``cid``'s friends in the ties snapshot at ``step``, read straight from Parquet."""
    run = next((results / "runs").glob(f"{scenario}-*"))
    t = pq.read_table(run / "snapshots" / f"ties-{step:06d}.parquet")
    u, v = t.column("u").to_numpy(), t.column("v").to_numpy()
    return set(v[u == cid].tolist())


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
            "/api/citizen/{}/history.csv",
            "/api/citizen/{}/changes.csv",
            "/api/citizen/{}/{}.csv",
            "/api/blacklist",
            "/api/blacklist.csv",
            "/api/example",
            "/api/series",
            "/api/compare",
            "/static/{}",
            "/api/overview",
        ]
    ),
    cid=number,
    params=st.dictionaries(
        st.sampled_from(
            [
                *("scenario", "replicate", "step", "page", "size", "sort", "order", "measure"),
                *("kind", "n", "dissenter", "occupation", "income", "band"),
            ]
        ),
        st.one_of(
            number,
            st.sampled_from(
                ["social-credit", "no-score", "score", "desc", "yes", "poor", "random", "35"]
            ),
        ),
        max_size=8,
    ),
)
def test_fuzzed_requests_never_get_a_500(
    client: TestClient, path: str, cid: object, params: dict[str, object]
) -> None:
    url = path.replace("{}", quote(str(cid), safe=""))
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


# -- a person's story -----------------------------------------------------------------------


def test_score_parts_add_up_to_the_score(client: TestClient, results: Path) -> None:
    snap = snapshot(results, "social-credit", 35)
    parts = [f"score_{k}" for k in COMPONENTS]
    # The arithmetic the page explains holds for every scored citizen of the snapshot...
    scored = snap["score"] >= 350
    raw = 350 + sum(snap[k] for k in parts) - snap["score_penalty"] - snap["score_spillover"]
    np.testing.assert_allclose(np.clip(raw, 350, 950)[scored], snap["score"][scored], atol=0.01)
    # ...and the parts of everyone looked up add up to their score, the 350 base included.
    listed = np.flatnonzero(snap["blacklisted"] == 1)
    ids = [*listed.tolist(), *range(0, scored.size, 97), int(np.argmax(snap["score"]))]
    for cid in ids:
        c = client.get(f"/api/citizen/{cid}?scenario=social-credit").json()
        if not c["scored"]:
            assert snap["score"][cid] == 0 and "not scored yet" in c["unscored"]
            continue
        p = c["parts"]
        assert p["base"] == 350 and p["max"] == 950
        total = p["base"] + sum(x["points"] for x in p["components"] + p["penalties"]) + p["clamp"]
        assert total == pytest.approx(p["score"], abs=0.01), cid
        assert p["score"] == pytest.approx(float(snap["score"][cid]))
        assert {x["state"]: x["points"] for x in p["components"]} == pytest.approx(
            {k: float(snap[k][cid]) for k in parts}
        )
        assert p["arithmetic"][0].startswith("Every score starts at 350, the lowest score")
        assert p["arithmetic"][-1].endswith(f"= {float(snap['score'][cid]):.1f}.")


def test_history_has_the_thresholds_and_the_listing(client: TestClient, results: Path) -> None:
    snaps = {s: snapshot(results, "social-credit", s) for s in (11, 23, 35)}
    cid = int(np.flatnonzero(snaps[35]["blacklisted"] == 1)[0])
    c = client.get(f"/api/citizen/{cid}?scenario=social-credit").json()
    assert [h["step"] for h in c["history"]] == [11, 23, 35]
    for h in c["history"]:
        for k in ("score", "self_censored", "income", "ties_lost", "ties_cut_by", "expressions"):
            assert h[k] == pytest.approx(snaps[h["step"]][k][cid].item()), k
    # Thresholds from the runs' marks: the perks' and the blacklist's.
    run = next((results / "runs").glob("social-credit-*"))
    marks = json.loads((run / "run.json").read_text())["metadata"]["marks"]
    perks = sorted(m["value"] for m in marks if m["kind"] == "perk")
    assert sorted(m["value"] for m in c["marks"] if m["kind"] == "perk") == perks
    assert [m["value"] for m in c["marks"] if m["kind"] == "sanction"] == [450]
    first = min(s for s in (11, 23, 35) if snaps[s]["blacklisted"][cid] == 1)
    assert c["listed"]["step"] == first
    assert c["listed"]["month"] == first - int(snaps[first]["listed_months"][cid]) + 1
    assert c["listed"]["expressions"] == int(snaps[first]["expressions"][cid])


def test_narrative_counts_are_the_datas(client: TestClient, results: Path) -> None:
    ex = client.get("/api/example?scenario=social-credit&kind=listed-dissenter").json()
    cid = ex["id"]
    first, last = snapshot(results, "social-credit", 11), snapshot(results, "social-credit", 35)
    assert last["blacklisted"][cid] == 1 and last["dissenter"][cid] == 1
    c = client.get(f"/api/citizen/{cid}?scenario=social-credit").json()
    f0, f1 = (
        friends_of(results, "social-credit", 11, cid),
        friends_of(results, "social-credit", 35, cid),
    )
    facts, story = c["facts"], " ".join(c["narrative"])
    assert facts["friends_first"] == len(f0) and facts["friends_lost"] == len(f0 - f1)
    assert facts["friends_gained"] == len(f1 - f0)
    assert facts["cut_by_others"] == int(last["ties_lost"][cid]) - int(first["ties_lost"][cid])
    assert facts["cut_by_them"] == int(last["ties_cut_by"][cid]) - int(first["ties_cut_by"][cid])
    assert f"Lost {len(f0 - f1)} of {len(f0)} friends between year 1 and year 3" in story
    assert f"others cut {facts['cut_by_others']} ties with them" in story
    listed = c["listed"]
    assert facts["listed_year"] == listed["month"] // 12 + 1
    assert (
        f"Listed in year {facts['listed_year']} after posting dissent or news in "
        f"{facts['expressions_when_listed']} months" in story
    )
    assert "this scenario's list has no exit" in story
    if last["self_censored"][cid]:
        assert f"Kept silent out of fear in {last['self_censored'][cid]} months" in story
    assert f"Income went from ${first['income'][cid]:,.0f} to ${last['income'][cid]:,.0f}" in story
    # Friends lost and gained, each once, and how each tie may have ended.
    rows = {r["id"]: r for r in c["changes"]["rows"]}
    assert {i for i, r in rows.items() if r["change"] == "lost"} == f0 - f1
    assert {i for i, r in rows.items() if r["change"] == "gained"} == f1 - f0
    for i, r in rows.items():
        if r["change"] == "lost" and not last["alive"][i]:
            assert r["how"] == "friend died"
        elif r["how"].startswith("cut by the friend"):
            assert int(last["ties_cut_by"][i]) > int(first["ties_cut_by"][i])


def test_examples_are_what_they_say(client: TestClient, results: Path) -> None:
    last = snapshot(results, "social-credit", 35)
    seen = set()
    for n in range(3):
        ex = client.get(f"/api/example?scenario=social-credit&kind=listed-dissenter&n={n}").json()
        assert last["blacklisted"][ex["id"]] == 1 and last["dissenter"][ex["id"]] == 1
        seen.add(ex["id"])
    assert len(seen) == min(3, ex["candidates"])
    ex = client.get("/api/example?scenario=social-credit&kind=conformer-perks").json()
    assert last["perks"][ex["id"]] > 0 and last["dissenter"][ex["id"]] == 0
    ex = client.get("/api/example?scenario=social-credit&kind=dissenter-friend").json()
    friends = friends_of(results, "social-credit", 35, ex["id"])
    assert last["dissenter"][ex["id"]] == 0 and any(last["dissenter"][f] for f in friends)
    ex = client.get("/api/example?scenario=no-score&kind=random&n=123456789").json()
    assert 0 <= ex["id"] < last["id"].size
    none = client.get("/api/example?scenario=no-score&kind=listed-dissenter")
    assert none.status_code == 404
    assert "nobody in no-score is a dissenter on the blacklist" in none.text
    assert client.get("/api/example?scenario=social-credit&kind=famous").status_code == 422


# -- the blacklist -------------------------------------------------------------------------


def test_blacklist_says_why_and_that_there_is_no_exit(client: TestClient, results: Path) -> None:
    snap = snapshot(results, "social-credit", 35)
    page = client.get("/api/blacklist?scenario=social-credit&size=100").json()
    assert page["exits"]["has_exit"] is False and page["exits"]["text"].startswith("No exit")
    for r in page["rows"]:
        cid = r["id"]
        assert (
            r["dissenter"] == snap["dissenter"][cid] and r["violations"] == snap["violations"][cid]
        )
        assert r["stance"] == pytest.approx(float(snap["stance"][cid]))
        s = float(snap["score"][cid])
        start = (
            f"score {s:.0f} under 450"
            if s < 450
            else f"fell under 450 {snap['listed_months'][cid]} months ago; now {s:.0f}, no exit"
        )
        assert r["reason"].startswith(start), r["reason"]
        own, friends = float(snap["score_penalty"][cid]), float(snap["score_spillover"][cid])
        assert ("own posts" in r["reason"]) == (own >= friends and max(own, friends) >= 0.5)


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("dissenter=yes", lambda s, e: s["dissenter"] == 1),
        ("dissenter=no", lambda s, e: s["dissenter"] == 0),
        ("occupation=1", lambda s, e: s["occupation"] == 1),
        ("income=1", lambda s, e: s["income"] < e[0]),
        ("income=3", lambda s, e: (s["income"] >= e[1]) & (s["income"] < e[2])),
        ("band=poor", lambda s, e: s["score"] < 550),
        ("band=medium", lambda s, e: (s["score"] >= 550) & (s["score"] < 600)),
        ("dissenter=yes&band=poor", lambda s, e: (s["dissenter"] == 1) & (s["score"] < 550)),
    ],
)
def test_blacklist_filters_and_csv(
    client: TestClient, results: Path, query: str, keep: Any
) -> None:
    snap = snapshot(results, "social-credit", 35)
    edges = np.quantile(snap["income"][snap["alive"] == 1], [0.2, 0.4, 0.6, 0.8])
    want = np.flatnonzero((snap["blacklisted"] == 1) & keep(snap, edges))
    page = client.get(f"/api/blacklist?scenario=social-credit&size=100&{query}").json()
    assert page["total"] == want.size and page["listed"] == int(snap["blacklisted"].sum())
    assert sorted(r["id"] for r in page["rows"]) == want.tolist()
    csv = client.get(f"/api/blacklist.csv?scenario=social-credit&sort=id&{query}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith('"id","score","reason","dissenter"')
    assert [int(x.split(",")[0]) for x in lines[1:]] == want.tolist()


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("band=awful", "band = 'awful': allowed: poor, medium, good, very good, excellent"),
        ("occupation=99", "occupation must be a code from 0 to 12"),
        ("income=9", "income"),
        ("dissenter=maybe", "dissenter"),
    ],
)
def test_blacklist_bad_filters_are_422(client: TestClient, query: str, text: str) -> None:
    r = client.get(f"/api/blacklist?scenario=social-credit&{query}")
    assert r.status_code == 422 and text in r.text


def test_citizen_tables_download_as_csv(client: TestClient, results: Path) -> None:
    ex = client.get("/api/example?scenario=social-credit&kind=listed-dissenter").json()
    c = client.get(f"/api/citizen/{ex['id']}?scenario=social-credit").json()
    base = f"/api/citizen/{ex['id']}"
    history = client.get(f"{base}/history.csv?scenario=social-credit").text.strip().splitlines()
    assert history[0].startswith('"step","alive","score"') and len(history) == 1 + 3
    assert [int(x.split(",")[0]) for x in history[1:]] == [11, 23, 35]
    friends = client.get(f"{base}/friends.csv?scenario=social-credit").text.strip().splitlines()
    assert len(friends) == 1 + c["friends_total"]
    assert {int(x.split(",")[0]) for x in friends[1:]} == friends_of(
        results, "social-credit", 35, ex["id"]
    )
    changes = client.get(f"{base}/changes.csv?scenario=social-credit").text.strip().splitlines()
    assert len(changes) == 1 + c["changes"]["lost"] + c["changes"]["gained"]
    assert client.get(f"{base}/secrets.csv?scenario=social-credit").status_code in (404, 422)


# -- one control, one sign -------------------------------------------------------------------


def test_effects_are_scenario_minus_the_control(results: Path) -> None:
    data = open_results(results)
    cmp = data.compare(35, ["expression_rate", "blacklist_size"])
    assert cmp["control"] == "no-score" and set(cmp["effects"]) == {"social-credit"}
    e = cmp["effects"]["social-credit"]["expression_rate"]["mean"]
    assert e == pytest.approx(
        cmp["values"]["social-credit"]["expression_rate"]
        - cmp["values"]["no-score"]["expression_rate"]
    )
    flipped = open_results(results, control="social-credit").compare(35, ["expression_rate"])
    assert flipped["control"] == "social-credit" and set(flipped["effects"]) == {"no-score"}
    assert flipped["effects"]["no-score"]["expression_rate"]["mean"] == pytest.approx(-e)


def test_a_control_that_is_no_scenario_is_an_input_error(results: Path) -> None:
    from typer.testing import CliRunner

    from scoresim.cli import app
    from scoresim.core.errors import InputError

    with pytest.raises(InputError) as err:
        open_results(results, control="x")
    assert str(err.value) == "--control = 'x': not among the scenarios (social-credit, no-score)"
    res = CliRunner().invoke(app, ["explore", str(results), "--control", "x"])
    assert res.exit_code == 2 and "not among the scenarios" in res.stderr
