"""A team sets itself up from the browser, in real Chromium against a real server
that mails through a real SMTP server on 127.0.0.1 (aiosmtpd): the owner invites
two people by email and one by a link, they make their accounts through their
links and land on the live board; a viewer made editor drags a card with the
real mouse at once, without a reload; a removed member's board closes with the
message."""

from __future__ import annotations

import re
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import card_rect, center, mouse_drag
from tests.e2e.test_board import cards_in, drop_point, wait_card_in
from tests.server import Server, server_env
from tests.smtp import Mailbox, smtp_server

OWNER = "manager"  # Morgan Lee, the demo board's owner
PASSWORD = "plum-orchard-4417"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/invite/[A-Za-z0-9_-]{43}/")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def site(mailbox: Mailbox) -> Iterator[Server]:
    """The demo board (small) on a server of its own, whose mail goes to ``mailbox``."""
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(Path(tmp), "people")
        env["EMAIL_URL"] = f"smtp://{mailbox.host}:{mailbox.port}"
        env["DEFAULT_FROM_EMAIL"] = "board@example.com"
        server = Server(env=env)
        try:
            server.manage("migrate", "--noinput", "-v", "0")
            server.manage("seed_demo", "--leads", "80", "--quiet")
            server.start()
            urllib.request.urlopen(f"{server.url}/static/dist/board.js").close()
            yield server
        finally:
            server.close()


def the_board(server: Server) -> int:
    _, boards = server.api("GET", "/api/boards/", token=server.token(OWNER))
    return next(b["id"] for b in boards if b["name"] == "Q4 Pipeline")


def stage_ids(server: Server, board_id: int) -> dict[str, int]:
    _, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token(OWNER))
    return {stage["name"]: stage["id"] for stage in body["stages"]}


def settings_page(page: Page, server: Server, board_id: int) -> Page:
    page.goto(f"{server.url}/boards/{board_id}/settings/#people")
    expect(page.locator("#people")).to_be_visible()
    return page


def invite(page: Page, *, email: str, role: str, team: str) -> None:
    form = page.locator("form.invite-form")
    form.locator("input[name=email]").fill(email)
    form.locator("select[name=role]").select_option(role)
    form.locator("select[name=team]").select_option(team)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/settings/#people$"))


def sign_up(context: BrowserContext, link: str, name: str, username: str, board_id: int) -> Page:
    page = context.new_page()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Join Q4 Pipeline")
    screenshot(page, f"people-invite-{username}")
    page.fill("#id_display_name", name)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#invite-accept")
    try:
        page.wait_for_url(re.compile(rf"/boards/{board_id}/$"), wait_until="commit")
    except Exception:
        screenshot(page, f"people-sign-up-{username}-failed")
        raise
    page.wait_for_selector("body[data-board-ready='1']", timeout=15000)
    page.wait_for_function(
        "() => window.funnelboard && window.funnelboard.status() === 'live'", timeout=15000
    )
    return page


def member_row(page: Page, name: str):
    return page.locator("#people tbody tr", has_text=name)


def test_a_team_sets_itself_up(browser: Browser, site: Server, mailbox: Mailbox):
    board_id = the_board(site)
    stages = stage_ids(site, board_id)
    contexts = [browser.new_context(viewport={"width": 1600, "height": 900}) for _ in range(4)]
    owner_context, ann_context, ben_context, cara_context = contexts
    try:
        owner = settings_page(log_in(owner_context, site.url, OWNER), site, board_id)

        # Two by email, one by a link to paste in chat.
        invite(owner, email="ann@example.com", role="viewer", team="marketing")
        expect(owner.locator(".settings-messages")).to_contain_text(
            "Invitation sent to ann@example.com"
        )
        invite(owner, email="ben@example.com", role="editor", team="sales")
        invite(owner, email="", role="viewer", team="sales")
        once = owner.locator("#invite-link-once")
        expect(once).to_contain_text("Copy the invitation link now")
        cara_link = owner.locator("#invite-link").input_value()
        assert LINK.fullmatch(cara_link), cara_link
        owner_context.grant_permissions(["clipboard-read", "clipboard-write"])
        once.locator("[data-copy]").click()
        expect(once.locator("[data-copied]")).to_be_visible()
        pending = owner.locator(".invitation-table tbody tr")
        expect(pending).to_have_count(3)
        expect(pending.first).to_contain_text("Morgan Lee")
        screenshot(owner, "people-settings-invited")

        links = {}
        for address in ("ann@example.com", "ben@example.com"):
            message = mailbox.to(address)
            assert "Q4 Pipeline" in message["Subject"]
            found = LINK.search(Mailbox.body(message))
            assert found, Mailbox.body(message)
            links[address] = found.group(0)

        ann = sign_up(ann_context, links["ann@example.com"], "Ann Archer", "ann", board_id)
        ben = sign_up(ben_context, links["ben@example.com"], "Ben Baker", "ben", board_id)
        cara = sign_up(cara_context, cara_link, "Cara Cruz", "cara", board_id)
        for page in (ann, ben, cara):
            assert cards_in(page, stages["New"]), "the board is drawn"
        expect(ann.locator("#board-view-only")).to_be_visible()
        screenshot(ann, "people-viewer-board")

        # A used link says so, on a page of the app's own.
        used = cara_context.new_page()
        answer = used.goto(links["ann@example.com"])
        assert answer is not None and answer.status == 410
        expect(used.locator("h1")).to_have_text("This invitation was already used")
        screenshot(used, "people-invite-used")
        used.close()

        owner.reload()
        for name in ("Ann Archer", "Ben Baker", "Cara Cruz"):
            expect(member_row(owner, name)).to_be_visible()
        expect(owner.locator(".invitation-table")).to_have_count(0)

        # The viewer cannot move a card...
        victim = cards_in(ann, stages["New"])[0]
        mouse_drag(ann, center(card_rect(ann, victim)), drop_point(ann, stages["MQL"]))
        ann.wait_for_timeout(400)
        assert victim in cards_in(ann, stages["New"])

        # ... until the owner makes her an editor: then at once, with no reload.
        row = member_row(owner, "Ann Archer")
        row.locator("select[name=role]").select_option("editor")
        row.get_by_role("button", name="Save").click()
        expect(owner.locator(".settings-messages")).to_contain_text("Ann Archer is now editor")
        ann.wait_for_function("() => window.funnelboard.me().may_edit === true", timeout=5000)
        expect(ann.locator("#board-view-only")).to_be_hidden()
        expect(ann.locator("#toasts")).to_contain_text("You can now edit this board.")
        victim = cards_in(ann, stages["New"])[0]
        mouse_drag(ann, center(card_rect(ann, victim)), drop_point(ann, stages["MQL"]))
        wait_card_in(ann, victim, stages["MQL"])
        wait_card_in(ben, victim, stages["MQL"])
        _, moved = site.api("GET", f"/api/leads/{victim}/", token=site.token(OWNER))
        assert moved["stage"] == stages["MQL"]

        # Removing a member closes their board with the message.
        row = member_row(owner, "Ben Baker")
        row.locator("summary", has_text="Remove").click()
        row.get_by_role("button", name="Remove Ben Baker").click()
        expect(owner.locator(".settings-messages")).to_contain_text("Ben Baker was removed")
        ben.wait_for_selector("body[data-removed='1']", timeout=5000)
        expect(ben.locator("#board-view-only")).to_contain_text("You were removed from this board")
        expect(ben.locator("#toasts")).to_contain_text("You were removed from this board")
        assert ben.evaluate("window.funnelboard.status()") != "live"
        screenshot(ben, "people-removed")
        answer = ben.reload()
        assert answer is not None and answer.status == 404
        # The others go on.
        assert ann.evaluate("window.funnelboard.status()") == "live"
        assert cara.evaluate("window.funnelboard.removed()") is False
    finally:
        for context in contexts:
            context.close()
