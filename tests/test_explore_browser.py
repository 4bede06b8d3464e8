"""End to end: the explorer in a real headless Chromium driven by Playwright.

Needs Debian's /usr/bin/chromium (``make test`` installs it when missing). Screenshots go to
``results/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from scoresim.experiments import compare
from scoresim.explore import create_app, open_results

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "results" / "screenshots"
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    # The mandate at month 12 (default 60), so that three years have a blacklist to show.
    overrides = {"society.agents": 1500, "steps": 36, "modules.enrolment.mandate_step": 12}
    compare(["social-credit", "no-score"], overrides, out=root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(open_results(root)), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "explorer did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1300, "height": 1000},
        )
        pg = browser.new_page()
        yield pg
        browser.close()


def shot(pg: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_dashboard_loads_with_charts(page: object, server: str) -> None:
    pg = page
    pg.goto(server + "/")  # type: ignore[attr-defined]
    pg.wait_for_selector("#chart-expression .main-svg", timeout=20_000)  # type: ignore[attr-defined]
    rows = pg.locator("#compare-table tbody tr")  # type: ignore[attr-defined]
    assert rows.count() >= 5
    assert "view=dashboard" in pg.url  # type: ignore[attr-defined]
    # Any declared measure can be charted, labelled from its declaration.
    pg.wait_for_selector("#chart-any .main-svg")  # type: ignore[attr-defined]
    options = pg.locator("#measure-select option")  # type: ignore[attr-defined]
    assert options.count() > 40
    pg.select_option("#measure-select", "mean_income")  # type: ignore[attr-defined]
    pg.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelector('#chart-any .gtitle')?.textContent.includes('mean yearly income')"
    )
    assert "measure=mean_income" in pg.url  # type: ignore[attr-defined]
    shot(pg, "dashboard")


def test_citizen_lookup(page: object, server: str) -> None:
    pg = page
    pg.goto(server + "/?view=citizen&scenario=social-credit&id=7")  # type: ignore[attr-defined]
    pg.wait_for_selector("#citizen-result:not([hidden])", timeout=20_000)  # type: ignore[attr-defined]
    score = pg.inner_text("#c-score")  # type: ignore[attr-defined]
    assert 350 <= float(score.replace(",", "")) <= 950
    assert pg.locator("#friends-table tbody tr").count() > 0  # type: ignore[attr-defined]
    pg.wait_for_selector("#chart-components .main-svg")  # type: ignore[attr-defined]
    shot(pg, "citizen")
    pg.fill("#citizen-id", "99999999")  # type: ignore[attr-defined]
    pg.click("#citizen-form button")  # type: ignore[attr-defined]
    pg.wait_for_selector("#citizen-error:not([hidden])")  # type: ignore[attr-defined]
    assert "no citizen" in pg.inner_text("#citizen-error")  # type: ignore[attr-defined]


def test_blacklist_sorts_and_links_to_citizens(page: object, server: str) -> None:
    pg = page
    pg.goto(server + "/?view=blacklist&scenario=social-credit")  # type: ignore[attr-defined]
    pg.wait_for_selector("#blacklist-table tbody tr", timeout=20_000)  # type: ignore[attr-defined]
    pg.click("#blacklist-table th[data-sort='listed_months']")  # type: ignore[attr-defined]
    pg.wait_for_function("location.search.includes('sort=listed_months')")  # type: ignore[attr-defined]
    shot(pg, "blacklist")
    first = pg.locator("#blacklist-table tbody tr").first  # type: ignore[attr-defined]
    cid = first.get_attribute("data-id")
    first.click()
    pg.wait_for_function(f"location.search.includes('id={cid}')")  # type: ignore[attr-defined]
    pg.wait_for_selector("#citizen-result:not([hidden])")  # type: ignore[attr-defined]
    assert "blacklist" in pg.inner_text("#c-sanctions")  # type: ignore[attr-defined]


def test_shared_link_restores_the_view(page: object, server: str) -> None:
    pg = page
    pg.goto(server + "/?view=dashboard&step=5")  # type: ignore[attr-defined]
    pg.wait_for_selector("#compare-table tbody tr", timeout=20_000)  # type: ignore[attr-defined]
    assert pg.input_value("#step") == "5"  # type: ignore[attr-defined]
    assert "year 0, month 6" in pg.inner_text("#step-label")  # type: ignore[attr-defined]


def test_screenshots_were_saved() -> None:
    for name in ("dashboard", "citizen", "blacklist"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
    _ = shutil  # keep the import for manual cleanup in a debugger
