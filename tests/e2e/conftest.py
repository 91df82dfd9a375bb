"""Browser tests: real Chromium (Playwright) against a real uvicorn with websockets.

They run in their own pytest process (`make test` does that): Playwright's sync
API and pytest-asyncio do not share a process well. Chromium comes from the
system (`/usr/bin/chromium`, Debian's package); Playwright never downloads one.
Screenshots land in artifacts/e2e/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.server import DEMO_PASSWORD, ROOT, Server, server_env

ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1600, "height": 900}}


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The demo board (small), served by one process."""
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(env=server_env(Path(tmp), "e2e"))
        try:
            server.manage("migrate", "--noinput", "-v", "0")
            server.manage("seed_demo", "--leads", "240", "--quiet")
            server.start()
            bundle = f"{server.url}/static/dist/board.js"
            try:
                urllib.request.urlopen(bundle).close()
            except OSError as error:
                raise RuntimeError(f"{bundle}: {error}; run `make static`") from error
            yield server
        finally:
            server.close()


@pytest.fixture(scope="session")
def board_id(server: Server) -> int:
    status, body = server.api("GET", "/api/boards/", token=server.token())
    assert status == 200
    boards = body["results"] if isinstance(body, dict) and "results" in body else body
    return next(b["id"] for b in boards if b["name"] == "Q4 Pipeline")


def log_in(context: BrowserContext, url: str, username: str) -> Page:
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def open_board(page: Page, url: str, board_id: int) -> Page:
    page.goto(f"{url}/boards/{board_id}/")
    page.wait_for_selector("body[data-board-ready='1']", timeout=15000)
    page.wait_for_function(
        "() => window.funnelboard && window.funnelboard.status() === 'live'", timeout=15000
    )
    return page


@pytest.fixture
def people(browser: Browser, server: Server, board_id: int) -> Iterator[dict[str, Page]]:
    """marketing and sales, each logged in in their own browser context, on the board."""
    contexts = {
        name: browser.new_context(viewport={"width": 1600, "height": 900})
        for name in ("marketing", "sales")
    }
    pages = {
        name: open_board(log_in(ctx, server.url, name), server.url, board_id)
        for name, ctx in contexts.items()
    }
    yield pages
    for context in contexts.values():
        context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
