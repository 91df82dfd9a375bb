"""Closing deals in real Chromium (issue 13, items 5 and 6): a drag into Lost asks
why and the reason reaches the lost-reason panel; Escape puts the card back with
nothing written; the keyboard goes from Opportunity straight to Lost without a win;
a rejected handoff lead recycles to MQL with "Returned by sales" in marketing's
browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, open_board
from tests.e2e.helpers import card_rect, center, mouse_drag
from tests.e2e.test_board import wait_card_in
from tests.server import Server


@pytest.fixture(scope="module")
def lost_board(server: Server) -> dict:
    """A board of its own, owned by the manager; marketing and sales are editors."""
    token = server.token("manager")
    status, board = server.api("POST", "/api/boards/", {"name": "Closing deals"}, token=token)
    assert status == 201, board
    for username, team in (("sales", "sales"), ("marketing", "marketing")):
        status, _ = server.api(
            "POST",
            f"/api/boards/{board['id']}/members/",
            {"username": username, "role": "editor", "team": team},
            token=token,
        )
        assert status == 201
    stages = {s["name"]: s["id"] for s in board["stages"]}
    leads = {}
    for name, stage in (("Drag me", "Opportunity"), ("Keep me", "Opportunity"),
                        ("Key me", "Opportunity"), ("Hand me", "SQL"),
                        ("Win me", "Opportunity")):  # fmt: skip
        body = {"board": board["id"], "name": name, "stage": stages[stage], "value": 500}
        status, lead = server.api("POST", "/api/leads/", body, token=token)
        assert status == 201, lead
        leads[name] = lead["id"]
    return {"id": board["id"], "stages": stages, "leads": leads}


@pytest.fixture
def pages(browser: Browser, server: Server, lost_board: dict) -> Iterator[dict[str, Page]]:
    contexts = {
        name: browser.new_context(viewport={"width": 1600, "height": 900})
        for name in ("manager", "sales", "marketing")
    }
    yield {
        name: open_board(log_in(ctx, server.url, name), server.url, lost_board["id"])
        for name, ctx in contexts.items()
    }
    for context in contexts.values():
        context.close()


def lost_point(page: Page, stage_id: int) -> tuple[float, float]:
    """Lost starts folded: anywhere over the folded column drops on top."""
    return center(page.evaluate("id => window.funnelboard.columnRect(id)", stage_id))


def stage_of(server: Server, lead_id: int) -> int:
    status, body = server.api("GET", f"/api/leads/{lead_id}/", token=server.token("manager"))
    assert status == 200
    return body["stage"]


def transitions(server: Server, lead_id: int) -> list[dict]:
    status, body = server.api(
        "GET", f"/api/leads/{lead_id}/transitions/", token=server.token("manager")
    )
    assert status == 200
    return body


def reached_won(server: Server, board_id: int) -> int:
    status, body = server.api(
        "GET", f"/api/boards/{board_id}/funnel/", token=server.token("manager")
    )
    assert status == 200
    return next(s["reached"] for s in body["stages"] if s["kind"] == "won")


def test_drag_to_lost_asks_why_and_the_panel_counts_it(server, lost_board, pages):
    page = pages["manager"]
    lead, lost = lost_board["leads"]["Drag me"], lost_board["stages"]["Lost"]
    mouse_drag(page, center(card_rect(page, lead)), lost_point(page, lost))
    dialog = page.locator("#close-deal")
    expect(dialog).to_be_visible()
    dialog.locator("[data-reason]").select_option("Chose a competitor")
    dialog.locator("[data-note]").fill("Went with the cheaper one")
    dialog.locator("[data-confirm]").click()
    wait_card_in(page, lead, lost)
    last = transitions(server, lead)[-1]
    assert (last["to_stage"], last["note"]) == (lost, "Went with the cheaper one")
    row = page.locator("#panel-lost tr[data-reason='Chose a competitor']")
    expect(row).to_have_attribute("data-leads", "1", timeout=10000)


def test_escape_puts_the_card_back_and_writes_nothing(server, lost_board, pages):
    page = pages["manager"]
    lead, lost = lost_board["leads"]["Keep me"], lost_board["stages"]["Lost"]
    before = len(transitions(server, lead))
    mouse_drag(page, center(card_rect(page, lead)), lost_point(page, lost))
    expect(page.locator("#close-deal")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#close-deal")).to_be_hidden()
    wait_card_in(page, lead, lost_board["stages"]["Opportunity"])
    assert stage_of(server, lead) == lost_board["stages"]["Opportunity"]
    assert len(transitions(server, lead)) == before


def test_drag_to_won_confirms_the_value(server, lost_board, pages):
    page = pages["manager"]
    lead, won = lost_board["leads"]["Win me"], lost_board["stages"]["Won"]
    mouse_drag(page, center(card_rect(page, lead)), lost_point(page, won))
    dialog = page.locator("#close-deal")
    expect(dialog).to_be_visible()
    value = dialog.locator("[data-value]")
    expect(value).to_have_value("500")
    value.fill("750")
    dialog.locator("[data-confirm]").click()
    wait_card_in(page, lead, won)
    body: dict = {}
    for _ in range(20):
        _, body = server.api("GET", f"/api/leads/{lead}/", token=server.token("manager"))
        if float(body["value"]) == 750:
            break
        page.wait_for_timeout(200)
    assert (body["stage"], float(body["value"])) == (won, 750)


def test_keyboard_from_opportunity_to_lost_is_no_win(server, lost_board, pages):
    page = pages["manager"]
    lead, lost = lost_board["leads"]["Key me"], lost_board["stages"]["Lost"]
    won_before = reached_won(server, lost_board["id"])
    page.mouse.click(*center(card_rect(page, lead)))  # a click selects the card
    # ... and opens its drawer, which takes the focus once the lead is loaded:
    # wait for that, then give the keys to the board.
    page.wait_for_function("id => window.funnelboard.drawerLead() === id", arg=lead)
    expect(page.locator("#drawer .drawer-timeline")).to_be_visible()
    page.locator("#board").focus()
    page.keyboard.press("]")  # the last open stage: ] goes nowhere, never into Won
    page.keyboard.press("l")
    dialog = page.locator("#close-deal")
    expect(dialog).to_be_visible()
    dialog.locator("[data-reason]").select_option("No decision")
    dialog.locator("[data-confirm]").focus()
    page.keyboard.press("Enter")
    wait_card_in(page, lead, lost)
    assert stage_of(server, lead) == lost
    assert reached_won(server, lost_board["id"]) == won_before
    assert [t["to_stage"] for t in transitions(server, lead)][-1] == lost
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts")).to_contain_text("Move the card straight to Lost")


def test_rejected_lead_recycles_with_the_badge(server, lost_board, pages):
    lead = lost_board["leads"]["Hand me"]
    sales = pages["sales"]
    unread = int(pages["marketing"].locator("#bell").get_attribute("data-unread") or "0")
    sales.wait_for_function("id => window.funnelboard.handoffLane().includes(id)", arg=lead)
    button = sales.evaluate(
        "([id, verdict]) => window.funnelboard.handoffButton(id, verdict)", [lead, "rejected"]
    )
    assert button, "the lane's Reject button is not in view"
    sales.mouse.click(button["x"], button["y"])
    form = sales.locator("dialog[open] form.bridge-form")
    expect(form).to_be_visible()
    form.locator("[data-reason]").select_option(index=1)
    expect(form.locator("input[name=then][value=recycle]")).to_be_checked()
    form.locator("[data-submit]").click()
    mql = lost_board["stages"]["MQL"]
    wait_card_in(pages["marketing"], lead, mql)
    assert stage_of(server, lead) == mql
    pages["marketing"].wait_for_function(
        "id => (window.funnelboard.cardBadges(id) || []).includes('returned-badge')",
        arg=lead,
        timeout=5000,
    )
    # Marketing is told: the bell rings live and its item links to the lead.
    marketing = pages["marketing"]
    expect(marketing.locator("#bell")).to_have_attribute(
        "data-unread", str(unread + 1), timeout=10_000
    )
    marketing.locator("#bell").click()
    item = marketing.locator("#bell-menu .bell-item.unread").first
    expect(item).to_contain_text("rejected")
    expect(item.locator("a")).to_have_attribute("href", f"/boards/{lost_board['id']}/?lead={lead}")
