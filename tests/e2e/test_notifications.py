"""The bell in real Chromium: a member mentioned in a note (written through the
API by another member) sees the bell's count go up live, without a reload, and
the item leads to the lead; "Mark all read" clears the count. On a board of its
own, so the shared demo board is left alone."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import add_member, new_board
from tests.server import Server


def own_board(server: Server) -> tuple[int, int, str]:
    """A board of marketing's with sales as an editor, and one lead on it."""
    token = server.token("marketing")
    board = new_board(server, token, f"Bell {uuid.uuid4().hex[:8]}")
    add_member(server, token, board["id"], "sales", "sales")
    status, lead = server.api(
        "POST", "/api/leads/", {"board": board["id"], "name": "Grace Hopper"}, token=token
    )
    assert status == 201, lead
    return board["id"], lead["id"], token


def test_a_mention_rings_the_bell_live_and_leads_to_the_lead(browser: Browser, server: Server):
    board_id, lead_id, token = own_board(server)
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    try:
        page = open_board(log_in(context, server.url, "sales"), server.url, board_id)
        bell = page.locator("#bell")
        count = page.locator("#bell-count")
        expect(bell).to_be_visible()
        before = int(bell.get_attribute("data-unread") or "0")

        status, note = server.api(
            "POST", f"/api/leads/{lead_id}/notes/", {"body": "@sales can you call?"}, token=token
        )
        assert status == 201, note
        # Live: the socket's notification message, no reload.
        expect(bell).to_have_attribute("data-unread", str(before + 1), timeout=10_000)
        expect(count).to_have_text(str(before + 1))
        expect(count).to_be_visible()

        bell.click()  # the real mouse
        menu = page.locator("#bell-menu")
        expect(menu).to_be_visible()
        item = menu.locator(".bell-item.unread").first
        expect(item).to_contain_text("mentioned you on Grace Hopper")
        link = item.locator("a")
        expect(link).to_have_attribute("href", f"/boards/{board_id}/?lead={lead_id}")
        screenshot(page, "bell-open")

        link.click()
        page.wait_for_url(f"**/boards/{board_id}/?lead={lead_id}")
        expect(menu).to_be_hidden()
        expect(bell).to_have_attribute("data-unread", str(before), timeout=5_000)

        # Another one, then "Mark all read" clears the badge (and the server agrees).
        server.api("POST", f"/api/leads/{lead_id}/notes/", {"body": "@sales again"}, token=token)
        expect(bell).to_have_attribute("data-unread", str(before + 1), timeout=10_000)
        bell.click()
        menu.locator("[data-read-all]").click()
        expect(bell).to_have_attribute("data-unread", "0")
        expect(count).to_be_hidden()
        _, listed = server.api("GET", "/api/notifications/", token=server.token("sales"))
        assert listed["unread"] == 0

        # The daily digest, off by default, turned on and off from the menu.
        digest = menu.locator("[data-digest]")
        expect(digest).not_to_be_checked()
        digest.click()
        expect(digest).to_be_checked()
        page.wait_for_function(
            "() => fetch('/api/notifications/digest/').then(r => r.json()).then(b => b.enabled)"
        )
        digest.click()
        expect(digest).not_to_be_checked()
        page.wait_for_function(
            "() => fetch('/api/notifications/digest/').then(r => r.json()).then(b => !b.enabled)"
        )
    finally:
        context.close()
