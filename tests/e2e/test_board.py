"""Two people on one board in real Chromium: real mouse drags on the canvas, the
database and the other browser agree after every move."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import card_rect, center, mouse_drag
from tests.server import Server, on_postgres


def stage_ids(server: Server, board_id: int) -> dict[str, int]:
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token())
    assert status == 200
    return {stage["name"]: stage["id"] for stage in body["stages"]}


def lead(server: Server, lead_id: int) -> dict:
    status, body = server.api("GET", f"/api/leads/{lead_id}/", token=server.token())
    assert status == 200
    return body


def cards_in(page: Page, stage_id: int) -> list[int]:
    return page.evaluate("id => window.funnelboard.cardsIn(id)", stage_id)


def wait_card_in(page: Page, lead_id: int, stage_id: int, timeout: float = 5000) -> None:
    page.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
        arg=[lead_id, stage_id],
        timeout=timeout,
    )


def drop_point(page: Page, stage_id: int) -> tuple[float, float]:
    """Over the first card of a column (drop at index 0), or its middle when empty."""
    cards = cards_in(page, stage_id)
    if cards:
        rect = card_rect(page, cards[0])
        return rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 3
    return center(page.evaluate("id => window.funnelboard.columnRect(id)", stage_id))


def test_drag_moves_the_card_for_everyone(server: Server, board_id: int, people: dict[str, Page]):
    stages = stage_ids(server, board_id)
    marketing, sales = people["marketing"], people["sales"]
    moving = cards_in(marketing, stages["New"])[0]
    before = lead(server, moving)
    screenshot(marketing, "board-before-drag")

    start = center(card_rect(marketing, moving))
    mouse_drag(marketing, start, drop_point(marketing, stages["MQL"]))

    wait_card_in(marketing, moving, stages["MQL"])
    wait_card_in(sales, moving, stages["MQL"])
    after = lead(server, moving)
    assert after["stage"] == stages["MQL"]
    assert after["version"] == before["version"] + 1
    assert moving not in cards_in(sales, stages["New"])
    assert cards_in(sales, stages["MQL"])[0] == moving  # dropped on top, seen on top
    sales.wait_for_function(
        "seq => window.funnelboard.seq() >= seq", arg=marketing.evaluate("window.funnelboard.seq()")
    )
    screenshot(sales, "board-after-drag-other-browser")


def test_campaign_chip_moves_all_its_leads(server: Server, board_id: int, people: dict[str, Page]):
    stages = stage_ids(server, board_id)
    marketing, sales = people["marketing"], people["sales"]
    token = server.token()
    _, state = server.api("GET", f"/api/boards/{board_id}/state/?per_stage=500", token=token)
    campaign = max(
        state["campaigns"], key=lambda c: c["stages"].get(str(stages["New"]), {}).get("count", 0)
    )
    count = campaign["stages"][str(stages["New"])]["count"]
    assert count > 1
    chip = marketing.evaluate(
        "([c, s]) => window.funnelboard.chipRect(c, s)", [campaign["id"], stages["New"]]
    )
    assert chip, "the campaign's chip is drawn in New"
    target = marketing.evaluate("id => window.funnelboard.columnRect(id)", stages["SQL"])

    mouse_drag(marketing, center(chip), (target["x"] + target["width"] / 2, target["y"] + 200))
    dialog = marketing.locator("dialog#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Move {count}")
    screenshot(marketing, "campaign-chip-confirm")
    dialog.locator("[data-confirm]").click()

    def in_new() -> int:
        query = f"board={board_id}&campaign={campaign['id']}&stage={stages['New']}"
        _, body = server.api("GET", f"/api/leads/?{query}", token=token)
        return body["count"]

    marketing.wait_for_function(
        "([c, s]) => !window.funnelboard.chipRect(c, s)",
        arg=[campaign["id"], stages["New"]],
        timeout=5000,
    )
    assert in_new() == 0
    sales.wait_for_function(
        "([c, from, to]) => !funnelboard.chipRect(c, from) && funnelboard.chipRect(c, to)",
        arg=[campaign["id"], stages["New"], stages["SQL"]],
        timeout=5000,
    )
    screenshot(sales, "campaign-moved-other-browser")


def test_stale_drag_is_refused_and_snaps_back(server: Server, board_id: int, browser, people):
    """Sales' page stops hearing about moves; marketing moves a card through the API;
    sales then drags the stale card: 409, the card goes where it really is, with why."""
    stages = stage_ids(server, board_id)
    sales = people["sales"]
    blocked = {"on": True}

    # Cut this page's live feed: a fresh socket whose server messages are dropped.
    def relay(ws):
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if blocked["on"] else ws.send(message))

    sales.route_web_socket(re.compile(r".*/ws/boards/.*"), relay)
    sales.reload()
    sales.wait_for_selector("body[data-board-ready='1']")

    victim = cards_in(sales, stages["New"])[0]
    token = server.token("marketing")
    status, _ = server.api(
        "POST", f"/api/leads/{victim}/move/", {"to_stage": stages["SQL"]}, token=token
    )
    assert status == 200

    mouse_drag(sales, center(card_rect(sales, victim)), drop_point(sales, stages["MQL"]))

    toast = sales.locator("#toasts")
    expect(toast).to_contain_text("moved this to SQL", timeout=5000)
    wait_card_in(sales, victim, stages["SQL"])
    assert victim not in cards_in(sales, stages["MQL"])
    assert lead(server, victim)["stage"] == stages["SQL"]
    screenshot(sales, "stale-drag-refused")


def test_undo_restores_for_everyone(server: Server, board_id: int, people: dict[str, Page]):
    stages = stage_ids(server, board_id)
    marketing, sales = people["marketing"], people["sales"]
    moving = cards_in(marketing, stages["MQL"])[0]
    start = center(card_rect(marketing, moving))
    mouse_drag(marketing, start, drop_point(marketing, stages["SQL"]))
    wait_card_in(sales, moving, stages["SQL"])
    assert lead(server, moving)["stage"] == stages["SQL"]

    marketing.locator("#board").focus()
    marketing.keyboard.press("Control+z")

    wait_card_in(marketing, moving, stages["MQL"])
    wait_card_in(sales, moving, stages["MQL"])
    assert lead(server, moving)["stage"] == stages["MQL"]
    _, transitions = server.api("GET", f"/api/leads/{moving}/transitions/", token=server.token())
    assert transitions[-1]["source"] == "undo"


def test_viewer_sees_but_cannot_move(server: Server, board_id: int, browser):
    stages = stage_ids(server, board_id)
    status, _ = server.api(
        "POST", f"/api/boards/{board_id}/members/",
        {"username": "noah.weber", "role": "viewer", "team": "sales"},
        token=server.token("manager"),
    )  # fmt: skip
    assert status in (200, 201), status
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = open_board(log_in(context, server.url, "noah.weber"), server.url, board_id)
    expect(page.locator("#board-view-only")).to_be_visible()
    victim = cards_in(page, stages["New"])[0]
    before = lead(server, victim)

    mouse_drag(page, center(card_rect(page, victim)), drop_point(page, stages["MQL"]))
    page.wait_for_timeout(500)

    assert lead(server, victim)["version"] == before["version"]
    assert victim in cards_in(page, stages["New"])
    screenshot(page, "viewer")
    context.close()


def test_socket_restart_heals_from_the_event_log(server: Server, board_id: int, people):
    """The board's server process dies; moves happen meanwhile (through a second
    process on the same database); when it is back, the page replays what it missed."""
    stages = stage_ids(server, board_id)
    sales = people["sales"]
    token = server.token("marketing")
    other = server.start()
    try:
        server.stop(0)
        sales.wait_for_function("() => window.funnelboard.status() !== 'live'", timeout=10000)
        screenshot(sales, "socket-lost")
        missed = cards_in(sales, stages["New"])[:3]
        for lead_id in missed:
            status, _ = server.api(
                "POST",
                f"/api/leads/{lead_id}/move/",
                {"to_stage": stages["MQL"]},
                token=token,
                url=other,
            )
            assert status == 200
        server.restart(0)
        sales.wait_for_function("() => window.funnelboard.status() === 'live'", timeout=15000)
        for lead_id in missed:
            wait_card_in(sales, lead_id, stages["MQL"], timeout=10000)
        _, board = server.api("GET", f"/api/boards/{board_id}/", token=token)
        sales.wait_for_function("seq => window.funnelboard.seq() === seq", arg=board["last_seq"])
        mql = cards_in(sales, stages["MQL"])
        assert len(mql) == len(set(mql)), "no card is shown twice"
        screenshot(sales, "socket-healed")
    finally:
        server.stop(len(server.processes) - 1)


@pytest.mark.skipif(
    not (on_postgres() and os.environ.get("REDIS_URL")),
    reason="two processes share PostgreSQL + Redis (the suite's PostgreSQL run)",
)
def test_move_through_one_process_reaches_a_browser_on_another(
    server: Server, board_id: int, browser
):
    """Two server processes share PostgreSQL and Redis: a move made through process
    B reaches a browser connected to process A."""
    stages = stage_ids(server, board_id)
    other = server.start()
    try:
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        page = open_board(log_in(context, server.url, "sales"), server.url, board_id)
        moving = cards_in(page, stages["New"])[0]
        status, _ = server.api(
            "POST", f"/api/leads/{moving}/move/", {"to_stage": stages["SQL"]},
            token=server.token(), url=other,
        )  # fmt: skip
        assert status == 200
        wait_card_in(page, moving, stages["SQL"], timeout=5000)
        context.close()
    finally:
        server.stop(len(server.processes) - 1)
