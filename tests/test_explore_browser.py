"""End to end: the explorer in a real headless Chromium driven by Playwright.

Needs Debian's /usr/bin/chromium (``make test`` installs it when missing). Screenshots go to
the test session's temporary directory (printed by ``test_screenshots_were_saved``) for a
person to look at.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scoresim.experiments import compare
from scoresim.experiments.executors import InProcessExecutor
from scoresim.experiments.sweep import sweep
from tests.servers import serve

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (make test installs it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
Page = Any  # playwright's Page, untyped here
DESIGN = """
name = "fear-sweep"
scenario = "social-credit"
method = "factorial"
seed = 3
outputs = ["expression_rate"]
[overrides]
"society.agents" = 300
steps = 12
[parameters]
"modules.expression.fear" = { values = [0.5, 1.5, 3.0] }
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    # The mandate at month 12 (default 60), so that three years have a blacklist to show.
    overrides = {"society.agents": 1500, "steps": 36, "modules.enrolment.mandate_step": 12}
    compare(["social-credit", "no-score"], overrides, out=root)
    yield from serve(root)


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sweep of three design points, the last without a complete run."""
    root = tmp_path_factory.mktemp("sweep")
    (root / "d.toml").write_text(DESIGN)
    sweep(root / "d.toml", root / "out", InProcessExecutor())
    exp = json.loads((root / "out" / "experiment.json").read_text())
    with duckdb.connect(str(root / "out" / "scoresim.duckdb")) as con:
        con.execute("UPDATE runs SET status = 'failed' WHERE run_id = ?", [exp["runs"][2][0]])
    yield from serve(root / "out")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1300, "height": 1000},
            accept_downloads=True,
            # wait_for_function evaluates strings in the page, which the explorer's policy
            # forbids; tests/test_explore_hostile.py drives the pages under the policy.
            bypass_csp=True,
        )
        yield context
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    """A fresh tab for each test: its own history, so Back is the test's own."""
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    pg.close()
    assert not errors, errors


def shot(pg: Page, shots: Path, name: str) -> None:
    pg.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def api(server: str, path: str) -> Any:
    with urllib.request.urlopen(server + path, timeout=10) as r:
        return json.load(r)


def listed_dissenter(server: str) -> int:
    return int(api(server, "/api/example?scenario=social-credit&kind=listed-dissenter")["id"])


def story(pg: Page, server: str, query: str) -> None:
    pg.goto(server + "/?view=citizen&" + query)
    pg.wait_for_selector("#citizen-result:not([hidden])", timeout=20_000)


# -- dashboard ------------------------------------------------------------------------------


def test_dashboard_loads_with_charts(page: Page, server: str, shots: Path) -> None:
    pg = page
    pg.goto(server + "/")
    pg.wait_for_selector("#chart-expression .main-svg", timeout=20_000)
    assert pg.locator("#compare-table tbody tr").count() >= 5
    # The first address is complete: no step=null, the last month.
    assert "null" not in pg.url and "view=dashboard" in pg.url and "step=35" in pg.url
    pg.wait_for_selector("#chart-any .main-svg")
    assert pg.locator("#measure-select option").count() > 40
    pg.select_option("#measure-select", "mean_income")
    pg.wait_for_function(
        "document.querySelector('#chart-any .gtitle')?.textContent.includes('mean yearly income')"
    )
    assert "measure=mean_income" in pg.url
    shot(pg, shots, "dashboard")


def test_shares_are_percentages_and_effects_percentage_points(page: Page, server: str) -> None:
    pg = page
    pg.goto(server + "/?view=dashboard&step=35")
    pg.wait_for_selector("#compare-table tbody tr", timeout=20_000)
    heads = pg.locator("#compare-table thead th").all_inner_texts()
    assert heads == [
        "measure",
        "social-credit",
        "no-score (control)",
        "effect: social-credit \u2212 no-score",  # a minus sign
    ]
    cells = pg.locator("#compare-table tr[data-measure='expression_rate'] td").all_inner_texts()
    assert re.fullmatch(r"\d+\.\d%", cells[1]) and re.fullmatch(r"\d+\.\d%", cells[2]), cells
    assert re.fullmatch("[+\u2212]" + r"\d+\.\d pp", cells[3]), cells
    cmp = api(server, "/api/compare?step=35")
    want = cmp["effects"]["social-credit"]["expression_rate"]["mean"] * 100
    assert float(cells[3][1:-3]) == pytest.approx(abs(want), abs=0.05)
    count = pg.locator("#compare-table tr[data-measure='blacklist_size'] td").all_inner_texts()
    assert "%" not in count[1] and "pp" not in count[3]
    assert "minus the control, no-score" in pg.inner_text("#control-note")


def test_shared_link_restores_the_view(page: Page, server: str) -> None:
    pg = page
    pg.goto(server + "/?view=dashboard&step=5")
    pg.wait_for_selector("#compare-table tbody tr", timeout=20_000)
    assert pg.input_value("#step") == "5"
    assert "year 1, month 6" in pg.inner_text("#step-label")


# -- the address: pushed, and one scenario per tab ------------------------------------------


def test_back_and_forward_move_between_views(page: Page, server: str) -> None:
    pg = page
    pg.goto(server + "/")
    pg.wait_for_selector("#compare-table tbody tr", timeout=20_000)
    pg.click("#tab-citizen")
    pg.wait_for_function("location.search.includes('view=citizen')")
    pg.click("#example-go")
    pg.wait_for_selector("#citizen-result:not([hidden])", timeout=20_000)
    cid = pg.input_value("#citizen-id")
    pg.click("#tab-blacklist")
    pg.wait_for_selector("#blacklist-table tbody tr", timeout=20_000)
    assert pg.evaluate("history.length") >= 4  # pushed, not replaced
    pg.go_back()
    pg.wait_for_selector("#view-citizen:not([hidden]) #citizen-result:not([hidden])")
    assert f"id={cid}" in pg.url and pg.input_value("#citizen-id") == cid
    assert f"Citizen {cid} " in pg.inner_text("#c-title")
    pg.go_back()
    pg.wait_for_selector("#citizen-result[hidden]", state="attached")
    assert "view=citizen" in pg.url and "id=" not in pg.url
    pg.go_back()
    pg.wait_for_selector("#view-dashboard:not([hidden])")
    assert pg.url.startswith(server) and "view=dashboard" in pg.url
    pg.go_forward()
    pg.go_forward()
    pg.wait_for_selector("#citizen-result:not([hidden])")
    assert pg.input_value("#citizen-id") == cid


def test_each_tab_keeps_its_own_scenario(page: Page, server: str) -> None:
    pg = page
    story(pg, server, "scenario=no-score&id=7")
    assert pg.input_value("#citizen-scenario") == "no-score"
    pg.click("#tab-blacklist")
    pg.wait_for_selector("#blacklist-table tbody tr", timeout=20_000)
    assert pg.input_value("#blacklist-scenario") == "social-credit"
    assert "scenario=social-credit" in pg.url
    pg.select_option("#blacklist-scenario", "no-score")
    pg.wait_for_function("document.querySelector('#blacklist-total').textContent.includes('no')")
    pg.click("#tab-citizen")
    pg.wait_for_selector("#citizen-result:not([hidden])")
    assert pg.input_value("#citizen-scenario") == "no-score" and "id=7" in pg.url


# -- a person's story -------------------------------------------------------------------------


def test_no_text_from_a_previous_lookup_stays(page: Page, server: str) -> None:
    pg = page
    story(pg, server, "scenario=no-score&id=7")
    pg.wait_for_selector("#chart-components .chart-note")
    assert pg.inner_text("#chart-components") == "No score in this scenario."
    pg.select_option("#citizen-scenario", "social-credit")
    pg.wait_for_selector("#chart-components .main-svg", timeout=20_000)
    assert "No score" not in pg.inner_text("#chart-components")
    assert pg.locator("#chart-components .chart-note").count() == 0
    assert "no score" not in pg.inner_text("#c-band")
    pg.fill("#citizen-id", "99999999")
    pg.click("#citizen-form button")
    pg.wait_for_selector("#citizen-error:not([hidden])")
    assert "no citizen" in pg.inner_text("#citizen-error")
    assert pg.locator("#citizen-result").is_hidden()
    pg.fill("#citizen-id", "8")
    pg.click("#citizen-form button")
    pg.wait_for_selector("#citizen-result:not([hidden])")
    assert pg.locator("#citizen-error").is_hidden()
    assert "Citizen 8 " in pg.inner_text("#c-title")


def test_the_score_bars_start_at_the_base_and_add_up(page: Page, server: str) -> None:
    pg = page
    cid = listed_dissenter(server)
    story(pg, server, f"scenario=social-credit&id={cid}")
    pg.wait_for_selector("#chart-components .main-svg")
    bars = pg.evaluate(
        "(() => { const d = document.getElementById('chart-components').data[0];"
        " return {x: d.x, y: d.y, measure: d.measure}; })()"
    )
    parts = api(server, f"/api/citizen/{cid}?scenario=social-credit")["parts"]
    assert bars["y"][0] == "lowest score (350)" and bars["x"][0] == parts["base"] == 350
    assert bars["measure"][0] == "absolute" and bars["measure"][-1] == "total"
    assert sum(bars["x"][:-1]) == pytest.approx(parts["score"], abs=0.01)
    svg = pg.inner_text("#chart-components")
    assert "350.0" in svg and f"{parts['score']:.1f}" in svg
    assert "starts at 350, the lowest score" in pg.inner_text("#c-arithmetic")


def test_score_history_has_thresholds_and_the_listing(page: Page, server: str) -> None:
    pg = page
    cid = listed_dissenter(server)
    story(pg, server, f"scenario=social-credit&id={cid}")
    pg.wait_for_selector("#chart-history .main-svg")
    lines = pg.evaluate(
        "document.getElementById('chart-history').layout.shapes"
        ".filter(s => s.xref === 'paper').map(s => s.y0)"
    )
    marks = api(server, f"/api/citizen/{cid}?scenario=social-credit")["marks"]
    want = sorted(m["value"] for m in marks if m["kind"] in ("perk", "sanction"))
    assert sorted(lines) == want == [450, 600, 650, 700, 750]
    text = pg.inner_text("#chart-history")
    assert "listed here" in text and "450 blacklisted below" in text
    assert "600 instant loan" in text
    # Someone never listed has the thresholds and no marker.
    ex = api(server, "/api/example?scenario=social-credit&kind=conformer-perks")
    story(pg, server, f"scenario=social-credit&id={ex['id']}")
    pg.wait_for_function(f"document.getElementById('c-title').textContent.includes('{ex['id']} ')")
    pg.wait_for_selector("#chart-history .main-svg")
    assert "listed here" not in pg.inner_text("#chart-history")


def test_ties_lost_silence_and_income_are_shown(page: Page, server: str) -> None:
    pg = page
    cid = listed_dissenter(server)
    story(pg, server, f"scenario=social-credit&id={cid}")
    c = api(server, f"/api/citizen/{cid}?scenario=social-credit")
    heads = pg.locator("#history-table thead th").all_inner_texts()
    for h in ("months silent", "income", "ties others cut", "ties they cut", "months posted"):
        assert h in heads, heads
    last = dict(
        zip(
            heads,
            pg.locator("#history-table tbody tr").last.locator("td").all_inner_texts(),
            strict=True,
        )
    )
    h = c["history"][-1]
    assert last["months silent"] == str(h["self_censored"])
    assert last["ties others cut"] == str(h["ties_lost"])
    assert last["income"] == f"${round(h['income']):,}"
    friends = pg.inner_text("#c-friends")
    ch = c["changes"]
    assert f"lost {ch['lost']} of the {ch['first']} friends" in friends
    assert f"ties others cut with them for score reasons: {h['ties_lost']}" in friends
    assert f"kept silent out of fear in {h['self_censored']} months" in pg.inner_text("#c-views")
    assert pg.locator("#changes-table tbody tr").count() == ch["lost"] + ch["gained"]
    pg.wait_for_selector("#chart-voice .main-svg")
    pg.wait_for_selector("#chart-money .main-svg")


def test_a_teacher_picks_an_example_and_reads_the_story(
    page: Page, server: str, shots: Path
) -> None:
    pg = page
    pg.goto(server + "/?view=citizen")
    pg.wait_for_selector("#view-citizen:not([hidden])", timeout=20_000)
    assert pg.locator("#citizen-result").is_hidden()
    pg.select_option("#example-kind", "listed-dissenter")
    pg.click("#example-go")
    pg.wait_for_selector("#citizen-result:not([hidden])", timeout=20_000)
    first = pg.input_value("#citizen-id")
    told = pg.inner_text("#c-story")
    c = api(server, f"/api/citizen/{first}?scenario=social-credit")
    assert [line for line in told.splitlines() if line] == c["narrative"]
    assert "Listed in year" in told and "list has no exit" in told and "Lost " in told
    assert "holds dissenting views" in pg.inner_text("#c-views")
    assert "1 of" in pg.inner_text("#example-note")
    shot(pg, shots, "story")
    with pg.expect_download() as got:
        pg.click("#history-csv")
    rows = Path(got.value.path()).read_text().strip().splitlines()
    assert rows[0].startswith('"step","alive","score"') and len(rows) == 4
    pg.click("#example-next")
    pg.wait_for_function(f"document.getElementById('citizen-id').value !== '{first}'")
    assert "2 of" in pg.inner_text("#example-note")
    pg.click("#random-citizen")
    pg.wait_for_function("document.getElementById('example-note').textContent.includes('random')")
    pg.wait_for_selector("#citizen-result:not([hidden])")


# -- the blacklist ---------------------------------------------------------------------------


def test_blacklist_says_why_and_that_there_is_no_exit(page: Page, server: str, shots: Path) -> None:
    pg = page
    pg.goto(server + "/?view=blacklist&scenario=social-credit")
    pg.wait_for_selector("#blacklist-table tbody tr", timeout=20_000)
    heads = pg.locator("#blacklist-table thead th").all_inner_texts()
    for h in ("why listed", "dissenting views", "violations", "public stance"):
        assert any(x.startswith(h) for x in heads), heads
    assert pg.inner_text("#blacklist-exits").startswith("No exit")
    reasons = pg.locator("#blacklist-table td.reason").all_inner_texts()
    assert reasons and all(re.match(r"(score \d+ under 450|fell under 450)", r) for r in reasons)
    shot(pg, shots, "blacklist")
    pg.select_option("#f-dissenter", "yes")
    pg.wait_for_function("location.search.includes('dissenter=yes')")
    pg.wait_for_function("document.querySelector('#blacklist-total').textContent.includes('match')")
    col = heads.index("dissenting views")
    views = [
        r.locator("td").nth(col).inner_text() for r in pg.locator("#blacklist-table tbody tr").all()
    ]
    want = api(server, "/api/blacklist?scenario=social-credit&dissenter=yes")["total"]
    assert views == ["yes"] * want
    with pg.expect_download() as got:
        pg.click("#blacklist-csv")
    rows = Path(got.value.path()).read_text().strip().splitlines()
    assert rows[0].startswith('"id","score","reason","dissenter"') and len(rows) == 1 + want
    pg.go_back()
    pg.wait_for_function("!location.search.includes('dissenter')")
    pg.wait_for_function(
        "!document.querySelector('#blacklist-total').textContent.includes('match')"
    )
    assert pg.input_value("#f-dissenter") == ""


def test_blacklist_sorts_and_links_to_citizens(page: Page, server: str) -> None:
    pg = page
    pg.goto(server + "/?view=blacklist&scenario=social-credit")
    pg.wait_for_selector("#blacklist-table tbody tr", timeout=20_000)
    pg.click("#blacklist-table th[data-sort='listed_months']")
    pg.wait_for_function("location.search.includes('sort=listed_months')")
    first = pg.locator("#blacklist-table tbody tr").first
    cid = first.get_attribute("data-id")
    first.click()
    pg.wait_for_function(f"location.search.includes('id={cid}')")
    pg.wait_for_selector("#citizen-result:not([hidden])")
    assert "blacklist" in pg.inner_text("#c-sanctions")


def test_a_sweep_shows_every_design_point(page: Page, sweep_server: str, shots: Path) -> None:
    pg = page
    pg.goto(sweep_server + "/")
    pg.wait_for_selector("#compare-table tbody tr", timeout=20_000)
    assert "sweep (fear-sweep) of 3 design points" in pg.inner_text("#sweep-note")
    heads = pg.locator("#compare-table thead th").all_inner_texts()
    assert heads[1:3] == ["point 0: fear=0.5 (control)", "point 1: fear=1.5"]
    assert heads[3] == "effect: point 1: fear=1.5 \u2212 point 0: fear=0.5"
    rows = pg.locator("#points-table tbody tr").all_inner_texts()
    assert len(rows) == 3 and "nothing to show" in rows[2] and "0 of 1" in rows[2]
    shot(pg, shots, "sweep")
    pg.click("#tab-citizen")
    pg.select_option("#citizen-scenario", "point 1: fear=1.5")
    pg.click("#random-citizen")
    pg.wait_for_selector("#citizen-result:not([hidden])", timeout=20_000)
    assert "in point 1: fear=1.5," in pg.inner_text("#c-title")


def test_screenshots_were_saved(shots: Path) -> None:
    print(f"screenshots in {shots}")
    for name in ("dashboard", "story", "blacklist"):
        assert (shots / f"{name}.png").stat().st_size > 10_000
