"""Notes in the lead drawer, in real Chromium with the real keyboard and mouse:
a note added with Ctrl+Enter shows in the other browser's open drawer at once,
its @mention marked and the mentioned person's bell rung; its author edits it
("edited" shows everywhere) and deletes it, the other member has no Edit; an
@mention of a non-member is refused inline, naming the name. Written as text,
never as HTML."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.server import Server


def test_notes_live_in_two_drawers(browser: Browser, server: Server):
    token = server.token("marketing")
    _, board = server.api("POST", "/api/boards/", {"name": f"Notes {uuid.uuid4().hex[:8]}"}, token=token)
    server.api(
        "POST",
        f"/api/boards/{board['id']}/members/",
        {"username": "sales", "role": "editor", "team": "sales"},
        token=token,
    )
    _, lead = server.api("POST", "/api/leads/", {"board": board["id"], "name": "Ada Notes"}, token=token)
    contexts = [browser.new_context(viewport={"width": 1600, "height": 900}) for _ in range(2)]
    try:
        mine, theirs = (
            open_board(log_in(ctx, server.url, name), server.url, board["id"])
            for ctx, name in zip(contexts, ("marketing", "sales"), strict=True)
        )
        for page in (mine, theirs):
            page.goto(f"{server.url}/boards/{board['id']}/?lead={lead['id']}")
            page.wait_for_selector("body[data-board-ready='1']")
            expect(page.locator("#drawer .notes")).to_be_visible(timeout=15_000)
        box = mine.locator("#drawer .notes-form textarea")
        box.click()
        mine.keyboard.type("Call back <b>Monday</b> @sales")
        mine.keyboard.press("Control+Enter")
        for page in (mine, theirs):
            note = page.locator("#drawer .note").first
            expect(note.locator(".note-body")).to_have_text("Call back <b>Monday</b> @sales", timeout=10_000)
            expect(note.locator(".note-mention")).to_have_text("@sales")
            expect(note.locator("b")).to_have_count(0)  # text, never HTML
        expect(box).to_have_value("")
        expect(theirs.locator("#bell")).not_to_have_attribute("data-unread", "0", timeout=10_000)
        expect(theirs.locator("#drawer .note-edit-open")).to_have_count(0)

        mine.locator("#drawer .note-edit-open").first.click()
        edit = mine.locator("#drawer textarea.note-edit")
        edit.fill("Call back Tuesday")
        mine.locator("#drawer .note .button.primary", has_text="Save").click()
        expect(theirs.locator("#drawer .note-body").first).to_have_text("Call back Tuesday", timeout=10_000)
        expect(theirs.locator("#drawer .note-edited").first).to_be_visible()

        box.fill("Ask @zed about it")
        mine.locator("#drawer .notes-form button[type=submit]").click()
        expect(mine.locator("#drawer .notes-form .notes-error")).to_have_text(
            "@zed is not a member of this board."
        )
        screenshot(mine, "notes-drawer")

        mine.locator("#drawer .note-delete").first.click()
        mine.locator("#confirm [data-confirm]").click()
        for page in (mine, theirs):
            expect(page.locator("#drawer .note")).to_have_count(0, timeout=10_000)
    finally:
        for context in contexts:
            context.close()
