"""The main journeys in a real browser: Playwright driving Debian's Chromium against a live dashboard.

Skipped when Playwright or /usr/bin/chromium is missing (``apt-get install chromium``;
Playwright's own browser downloads are never used). The screenshots in docs/screenshots
come from the demo workspace instead: see tests/ui/screenshots.py.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LOOPLINE_CHROMIUM", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
                       reason=f"no Chromium at {CHROMIUM}: install Debian's package with 'apt-get install chromium'"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_url(secured_app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(secured_app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                              else shutil.which("chromium"), args=["--no-sandbox"])
        yield launched
        launched.close()


def _logged_in(browser: Any, live_url: str, token: str) -> Any:
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_url}/runs")
    assert "/login" in page.url
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/runs$"))
    return page


def test_open_a_run_and_its_lineage(browser, live_url, demo_workspace):
    page = _logged_in(browser, live_url, demo_workspace.tokens["ada"])
    page.click(f"a[href='/runs/{demo_workspace.first_run}']")
    page.wait_for_selector("#steps")
    assert page.locator("#steps tbody tr").count() >= 9
    page.click("#run-lineage")
    page.wait_for_selector("#lineage-graph svg")
    node = page.locator("#lineage-graph svg a[href^='/lineage/artifact/']").first
    target = node.get_attribute("href")
    node.click()
    page.wait_for_url(f"{live_url}{target}")
    assert page.locator("#lineage-graph svg").count() == 1
    page.goto(f"{live_url}/pipelines/training")
    assert "cached (reused)" in page.inner_text("#pipeline-graph")


def test_open_a_drift_report(browser, live_url, demo_workspace):
    page = _logged_in(browser, live_url, demo_workspace.tokens["vic"])
    page.goto(f"{live_url}/data")
    page.click(f"a[href='/data/drift/{demo_workspace.drift_artifact}']")
    page.wait_for_selector("#drift-columns")
    assert "dataset drift" in page.inner_text("h1")
    assert page.locator(".chart svg").count() >= 1


def test_a_viewer_sees_the_refusal(browser, live_url, demo_workspace, ui_workspace):
    page = _logged_in(browser, live_url, demo_workspace.tokens["vic"])
    page.goto(f"{live_url}/models/bikes/versions/{demo_workspace.v2}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.select_option("#promote-form select[name=alias]", "production")
    page.click("#promote-form button[type=submit]")
    alert = page.locator(".notice.bad")
    alert.wait_for()
    assert "may not promote to 'production'" in alert.inner_text()
    assert ui_workspace.registry.get_model("bikes").aliases["production"] == demo_workspace.v1


def test_an_approver_approves_and_promotes(browser, live_url, demo_workspace, ui_workspace):
    page = _logged_in(browser, live_url, demo_workspace.tokens["ann"])
    page.goto(f"{live_url}/models/bikes/versions/{demo_workspace.v2}")
    page.fill("#approve-form input[name=comment]", "checked the slices")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector(".notice.ok")
    assert "approved" in page.inner_text(".notice.ok")
    assert "checked the slices" in page.inner_text("#approvals")
    page.on("dialog", lambda dialog: dialog.accept())
    page.select_option("#promote-form select[name=alias]", "challenger")
    page.fill("#promote-form input[name=comment]", "better on recent weeks")
    page.click("#promote-form button[type=submit]")
    page.wait_for_selector(".notice.ok")
    assert "promoted" in page.inner_text(".notice.ok")
    assert ui_workspace.registry.get_model("bikes").aliases["challenger"] == demo_workspace.v2
