"""What if, live: knobs within their ranges, jobs in workers, stored answers, the page."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from scoresim.experiments import compare
from scoresim.experiments.space import plausible_range
from scoresim.explore import create_app, open_results
from scoresim.explore.whatif import Jobs
from scoresim.explore.whatif_api import add_whatif
from scoresim.explore.whatif_request import AS_IS, KNOBS, SUMMARY_FILE, WHAT_IF
from scoresim.store import load_results
from tests.servers import serve

SMALL = {"preset": "social-credit", "agents": 1000, "years": 2}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whatif")
    compare(["social-credit", "no-score"], {"society.agents": 500, "steps": 12}, out=out)
    return out


@pytest.fixture
def client(root: Path) -> Iterator[tuple[TestClient, Jobs]]:
    app = create_app(open_results(root), whatif=False)
    jobs = add_whatif(app, root, workers=1, queue=1)
    with TestClient(app) as c:
        yield c, jobs


def _wait(c: TestClient, job_id: str, limit: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = c.get(f"/api/whatif/{job_id}").json()
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"what-if {job_id} did not finish")


def test_knobs_are_bounded_by_their_documented_ranges(client: tuple[TestClient, Jobs]) -> None:
    c, _ = client
    data = c.get("/api/whatif/knobs", params={"preset": "social-credit-private"}).json()
    by_name = {k["name"]: k for k in data["knobs"]}
    assert set(by_name) == {k.name for k in KNOBS}
    for k in KNOBS:
        if not k.switch:
            rng = plausible_range(k.key)
            assert (by_name[k.name]["low"], by_name[k.name]["high"]) == (rng.low, rng.high)
    assert by_name["private"]["value"] is True  # the private preset's own setting
    assert by_name["expungement"]["value"] is False
    assert by_name["mandate_step"]["value"] == 60 and by_name["mandate_step"]["integer"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"knobs": {"spillover": 500}}, "knobs.spillover = 500: must be within its plausible"),
        ({"knobs": {"nope": 1}}, "no such knob"),
        ({"knobs": {"private": "yes"}}, "knobs.private = 'yes': must be true or false"),
        ({"agents": 10**7}, "agents = 10000000: a whole number from 1,000 to 20,000"),
        ({"years": 0}, "years = 0"),
        ({"preset": "../../etc"}, "preset = '../../etc': allowed:"),
        ({"extra": 1}, "unknown fields ['extra']"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_requests_are_one_clear_422(
    client: tuple[TestClient, Jobs], body: Any, message: str
) -> None:
    c, _ = client
    res = c.post("/api/whatif", content=json.dumps(body))
    assert res.status_code == 422 and message in res.json()["detail"], res.json()


def test_malformed_or_huge_bodies_are_refused(client: tuple[TestClient, Jobs]) -> None:
    c, _ = client
    assert c.post("/api/whatif", content=b"{not json").status_code == 422
    assert c.post("/api/whatif", content=b"x" * 10_000).status_code == 413
    assert c.get("/api/whatif/../../etc").status_code == 404
    assert c.get("/api/whatif/0123456789abcdef").status_code == 404


@pytest.mark.slow
def test_a_whatif_runs_both_worlds_and_is_stored_for_its_url(
    client: tuple[TestClient, Jobs], root: Path
) -> None:
    c, jobs = client
    body = {**SMALL, "knobs": {"spillover": 160.0}}
    first = c.post("/api/whatif", json=body).json()
    state = _wait(c, first["id"])
    assert state["status"] == "done", state
    result = state["result"]
    assert result["control"] == AS_IS and result["request"]["knobs"] == {"spillover": 160.0}
    # Each effect is what-if minus as-is, paired by seed, from the stored runs.
    runs = load_results(jobs.directory(first["id"]))
    assert runs.baseline == AS_IS
    for row in result["effects"]:
        diffs = np.array(runs.finals(WHAT_IF, row["measure"])) - np.array(
            runs.finals(AS_IS, row["measure"])
        )
        assert math.isclose(row["effect"]["mean"], float(np.nanmean(diffs)), abs_tol=1e-9)
    spill = next(r for r in result["effects"] if r["measure"] == "spillover_loss")
    assert spill["effect"]["mean"] > 0  # a heavier spillover costs never-violators more
    # Both worlds hold the same citizens on the same draws: the first year's ages agree.
    cid = result["examples"][0]["id"]
    both = c.get(f"/api/whatif/{first['id']}/citizen/{cid}").json()["worlds"]
    assert len(both[AS_IS]) == len(both[WHAT_IF]) == 2
    # Asked again (or after a restart), the stored answer comes back at once.
    assert c.post("/api/whatif", json=body).json() == {"id": first["id"], "status": "done"}
    assert (jobs.directory(first["id"]) / SUMMARY_FILE).is_file()
    again = Jobs(root)
    try:
        assert again.state(first["id"])["status"] == "done"
    finally:
        again.close()


@pytest.mark.slow
def test_the_queue_is_bounded_cancellable_and_never_blocks_lookups(
    client: tuple[TestClient, Jobs],
) -> None:
    c, jobs = client
    bodies = [
        {**SMALL, "agents": 20_000, "years": 10, "knobs": {"violation_penalty": v}}
        for v in (6.0, 7.0, 8.0)
    ]
    ids = []
    codes = []
    for b in bodies:
        res = c.post("/api/whatif", json=b)
        codes.append(res.status_code)
        if res.status_code == 200:
            ids.append(res.json()["id"])
    # One running, one waiting, the third refused with a clear message.
    assert codes == [200, 200, 429]
    # Look-ups answer while the job runs: 40 concurrent requests, all 200.
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: c.get("/api/overview").status_code, range(40)))
    assert statuses == [200] * 40
    deadline = time.monotonic() + 30  # the scheduler starts the first within moments
    while c.get(f"/api/whatif/{ids[0]}").json()["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert c.get(f"/api/whatif/{ids[0]}").json()["status"] == "running"
    # Cancelled, the waiting job never runs and the running one stops and leaves nothing.
    assert c.delete(f"/api/whatif/{ids[1]}").json()["status"] == "cancelled"
    assert c.delete(f"/api/whatif/{ids[0]}").json()["status"] == "cancelled"
    assert not jobs.directory(ids[0]).exists() and not jobs.directory(ids[1]).exists()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(root: Path) -> Iterator[str]:
    # The explorer with its what-if page, as `scoresim explore` serves it.
    yield from serve(root)


@pytest.mark.slow
def test_from_sliders_to_result_in_chromium(server: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip("chromium not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto(f"{server}/")
        page.click("#tab-whatif")  # the explorer's own tab leads here
        page.wait_for_selector("#knob-private")
        assert page.url.endswith("/whatif")
        page.select_option("#agents", "5000")
        page.fill("#years", "3")
        page.dispatch_event("#years", "input")
        page.check("#knob-private")
        page.click("#run")
        page.wait_for_selector("#effects tbody tr", timeout=180_000)
        assert "/whatif?id=" in page.url  # pushed: the address reproduces the answer
        rows = page.locator("#effects tbody tr")
        assert rows.count() >= 5
        text = page.inner_text("#effects")
        assert "%" in text and "pp" in text  # shares as percentages, effects in points
        page.wait_for_selector("#story tbody tr")
        assert page.locator("#story tbody tr").count() == 3  # three yearly snapshots
        page.screenshot(path=str(tmp_path / "whatif.png"), full_page=True)
        # The shared address shows the stored answer in a fresh page.
        other = browser.new_page()
        other.goto(page.url)
        other.wait_for_selector("#effects tbody tr", timeout=30_000)
        assert other.inner_text("#effects") == text
        browser.close()


def test_a_preset_that_fixes_a_knob_outside_its_range_holds_it(
    client: tuple[TestClient, Jobs],
) -> None:
    c, _ = client
    knobs = c.get("/api/whatif/knobs", params={"preset": "social-credit-no-network"}).json()
    spill = next(k for k in knobs["knobs"] if k["name"] == "spillover")
    assert spill["value"] == 0 and spill["held"] is True  # no-network: none, not a slider
    plain = c.get("/api/whatif/knobs").json()["knobs"]
    assert not any(k.get("held") for k in plain)


def test_deeply_nested_and_damaged_answers_are_clear(
    client: tuple[TestClient, Jobs], root: Path
) -> None:
    c, jobs = client
    res = c.post("/api/whatif", content=b"[" * 2000 + b"]" * 2000)
    assert res.status_code == 422 and "nested" in res.json()["detail"]
    job = jobs.directory("00000000000000aa")
    job.mkdir(parents=True)
    (job / SUMMARY_FILE).write_text("{not json", encoding="utf-8")
    res = c.get("/api/whatif/00000000000000aa")
    assert res.status_code == 422 and "damaged" in res.json()["detail"]
    assert str(root) not in res.text


@pytest.mark.slow
def test_a_whatif_left_half_done_by_a_killed_worker_runs_again(
    client: tuple[TestClient, Jobs],
) -> None:
    from scoresim.explore.whatif_request import JobRequest

    c, jobs = client
    body = {**SMALL, "knobs": {"violation_penalty": 5.0}}
    stale = jobs.directory(JobRequest.parse(body).job_id())
    stale.mkdir(parents=True)  # as a worker killed mid-run leaves it
    (stale / "experiment.json").write_text('{"kind": "compare", "name": "old"}', "utf-8")
    (stale / "error.txt").write_text("Killed", encoding="utf-8")
    state = _wait(c, c.post("/api/whatif", json=body).json()["id"])
    assert state["status"] == "done", state
    assert not (stale / "error.txt").exists()
