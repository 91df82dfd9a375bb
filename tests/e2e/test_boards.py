"""The first minutes of a team in real Chromium: a user with no board sees the
first-board screen, creates a board from the Salesforce template with the mouse
and the keyboard, lands on it and sees its seven stages; renames it in settings
while a second browser on the board sees the new name live; an unknown board is
the app's own page, not Django's "Not Found"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.server import DEMO_PASSWORD, Server

SALESFORCE = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Qualified",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
]
NEWCOMER = "newcomer"


@pytest.fixture(scope="module")
def newcomer(server: Server) -> str:
    """A user on no board yet (the demo board exists: seed_demo made it)."""
    server.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({NEWCOMER!r}, password={DEMO_PASSWORD!r}, "
        "first_name='Nora', last_name='Newcomer')",
    )
    return NEWCOMER


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made = [browser.new_context(viewport={"width": 1600, "height": 900}) for _ in range(2)]
    yield made
    for context in made:
        context.close()


def test_a_new_user_sets_up_a_board_and_renames_it_live(
    server: Server, newcomer: str, contexts: list[BrowserContext]
):
    page = log_in(contexts[0], server.url, newcomer)
    expect(page.get_by_role("heading", name="Create your first board")).to_be_visible()
    expect(page.get_by_role("button", name="Open the demo board")).to_be_visible()
    screenshot(page, "first-board")

    # The name with the keyboard, the template and the button with the mouse.
    page.get_by_label("Board name").click()
    page.keyboard.type("EMEA pipeline")
    page.get_by_text("Salesforce lead and opportunity stages").click()
    expect(page.locator("#template-salesforce")).to_be_checked()
    page.get_by_role("button", name="Create board").click()

    page.wait_for_url(f"{server.url}/boards/*/")
    board_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    open_board(page, server.url, board_id)
    expect(page.locator("#board-name")).to_have_text("EMEA pipeline")
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token(newcomer))
    assert status == 200 and [s["name"] for s in body["stages"]] == SALESFORCE
    # Seven columns drawn, left to right, in the funnel's order.
    stage_ids = [s["id"] for s in body["stages"]]
    assert [int(k) for k in page.evaluate("() => Object.keys(window.funnelboard.counts())")] == (
        stage_ids
    )
    rects = [page.evaluate("id => window.funnelboard.columnRect(id)", i) for i in stage_ids]
    assert all(r and r["width"] > 0 for r in rects)
    assert [r["x"] for r in rects] == sorted(r["x"] for r in rects)
    # No lead yet: the board says how leads come in.
    expect(page.get_by_role("heading", name="No leads on this board yet")).to_be_visible()
    expect(page.get_by_role("button", name="Import a CSV")).to_be_visible()
    expect(page.get_by_role("link", name="Connect the API")).to_have_attribute("href", "/api/docs/")
    screenshot(page, "new-board-empty")

    # A second browser of the team on the board; the owner renames it in settings.
    watcher = open_board(log_in(contexts[1], server.url, newcomer), server.url, board_id)
    page.goto(f"{server.url}/boards/{board_id}/settings/#board")
    name = page.locator("#board-rename-name")
    name.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Nordics pipeline")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_text("The board is now called Nordics pipeline.")).to_be_visible()
    screenshot(page, "settings-board")

    expect(watcher.locator("#board-name")).to_have_text("Nordics pipeline", timeout=5000)
    expect(watcher).to_have_title("Nordics pipeline · Funnelboard")
    assert watcher.evaluate("() => window.funnelboard.status()") == "live"
    screenshot(watcher, "board-renamed-live")


def test_an_unknown_board_is_a_styled_page(server: Server, newcomer: str, browser: Browser):
    context = browser.new_context()
    try:
        page: Page = log_in(context, server.url, newcomer)
        answer = page.goto(f"{server.url}/boards/999999/")
        assert answer is not None and answer.status == 404
        expect(page.get_by_role("heading", name="This board is not here")).to_be_visible()
        expect(page.get_by_role("link", name="Your boards")).to_have_attribute("href", "/")
        assert "Not Found" not in page.content()
        # The stylesheet applies: the card is the app's, not a bare page.
        radius = page.locator(".error-card").evaluate("el => getComputedStyle(el).borderRadius")
        assert radius == "14px"
        screenshot(page, "board-not-found")
    finally:
        context.close()
