"""A rep on a phone: real Chromium with a 390x844 touch screen (mobile emulation),
touches sent through the DevTools protocol (Input.dispatchTouchEvent) with real
timing. A vertical swipe over a card scrolls its column and changes nothing on
the server; a long-press lifts the card and a drag to the next column moves it;
the page never scrolls sideways; the numbers panel and the time bar wait in the
"More" menu; the board opens at a zoom whose card type reads at 12 px or more."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import card_rect, center, team_board
from tests.server import Server

PHONE = {"width": 390, "height": 844}
PAD_X = 16  # canvas/layout.js M.padX: a snapped column's left edge on screen


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    yield log_in(context, server.url, "marketing")
    context.close()


def own_board(server: Server) -> tuple[int, dict[str, int], list[int]]:
    """A board of marketing's: 16 leads in New (more than a phone shows), 2 in MQL."""
    counts = (("New", 16), ("MQL", 2))
    leads = [(f"{stage} lead {i}", stage) for stage, n in counts for i in range(n)]
    return team_board(server, "Touch", leads, editor=None)


def lead(server: Server, lead_id: int) -> dict:
    status, body = server.api("GET", f"/api/leads/{lead_id}/", token=server.token())
    assert status == 200
    return body


def seq(server: Server, board: int) -> int:
    _, log = server.api("GET", f"/api/boards/{board}/events/?after=0&limit=1", token=server.token())
    return log["seq"]


def events_after(server: Server, board: int, after: int) -> list[dict]:
    _, log = server.api("GET", f"/api/boards/{board}/events/?after={after}", token=server.token())
    return log["events"]


class Finger:
    """Touches through CDP, as a phone's screen sends them."""

    def __init__(self, page: Page):
        self.cdp: CDPSession = page.context.new_cdp_session(page)

    def send(self, kind: str, *points: tuple[float, float]) -> None:
        touch_points = [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    def down(self, *points: tuple[float, float]) -> None:
        self.send("touchStart", *points)

    def move(self, *points: tuple[float, float]) -> None:
        self.send("touchMove", *points)

    def up(self) -> None:
        self.send("touchEnd")

    def slide(self, start: tuple[float, float], end: tuple[float, float], ms: float, steps=10):
        """From ``start`` to ``end`` in ``ms`` (the finger already down)."""
        for k in range(1, steps + 1):
            time.sleep(ms / 1000 / steps)
            self.move(
                (
                    start[0] + (end[0] - start[0]) * k / steps,
                    start[1] + (end[1] - start[1]) * k / steps,
                )
            )


def column_left(page: Page, stage: int) -> float:
    return page.evaluate("id => window.funnelboard.columnRect(id).x", stage)


def settle(page: Page) -> None:
    """Wait for an idle moment: touches handled late (the first charts drawing) would
    reach the page bunched, not with the timing they were sent with."""
    page.evaluate("() => new Promise((r) => requestIdleCallback(() => r(), { timeout: 3000 }))")


def gesture(page: Page) -> dict:
    return page.evaluate("() => window.funnelboard.touch()")


def test_phone_opens_readable_one_column_no_sideways_scroll_panel_in_the_menu(
    server: Server, phone: Page
):
    board, stages, _ = own_board(server)
    page = open_board(phone, server.url, board)
    # The page fits the phone: nothing scrolls sideways.
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1] == PHONE["width"], width
    # Readable: the board opens at zoom 1 (cards' smallest type, 12 px, at 12 px on screen).
    assert page.evaluate("() => window.funnelboard.zoom()") >= 1
    # One column fills the width: New whole at the left, MQL only peeking in.
    new = page.evaluate("id => window.funnelboard.columnRect(id)", stages["New"])
    assert new["x"] == PAD_X and new["x"] + new["width"] <= PHONE["width"]
    assert new["width"] >= 300
    assert column_left(page, stages["MQL"]) > PHONE["width"] - 40
    # The numbers panel and the time bar do not cover the board: they wait in the menu.
    menu = page.locator("#menu-toggle")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#panel")).to_be_hidden()
    expect(page.locator("#timebar")).to_be_hidden()
    expect(page.locator("#filters")).to_be_hidden()
    canvas = page.locator("#board-canvas").bounding_box()
    assert (
        canvas and canvas["width"] == PHONE["width"] and canvas["height"] > 0.85 * PHONE["height"]
    )
    screenshot(page, "touch-phone-board")

    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#timebar")).to_be_visible()
    expect(page.locator("#filters")).to_be_visible()
    panel = page.locator("#panel").bounding_box()
    assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the open menu scrolls sideways: {width}"
    screenshot(page, "touch-phone-menu")
    menu.tap()
    expect(page.locator("#panel")).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")


def test_vertical_swipe_over_a_card_scrolls_and_changes_nothing(server: Server, phone: Page):
    board, stages, _ = own_board(server)
    page = open_board(phone, server.url, board)
    cards = page.evaluate("id => window.funnelboard.cardsIn(id)", stages["New"])
    swiped = cards[2]
    before = lead(server, swiped)
    seq_before = seq(server, board)
    finger = Finger(page)
    settle(page)

    # Up, quickly: past the 8 px slop well before 250 ms.
    x, y = center(card_rect(page, swiped))
    finger.down((x, y))
    finger.slide((x, y), (x, y - 300), ms=180, steps=12)
    finger.up()
    page.wait_for_function("() => window.funnelboard.touch().last === 'swipe'")
    page.wait_for_function(
        "id => window.funnelboard.scrollOf(id) > 100", arg=stages["New"], timeout=3000
    )
    page.wait_for_timeout(600)  # anything the swipe might have sent has arrived

    after = lead(server, swiped)
    assert (after["stage"], after["position"], after["version"]) == (
        before["stage"],
        before["position"],
        before["version"],
    )
    assert [e["type"] for e in events_after(server, board, seq_before)] == []
    assert page.evaluate("id => window.funnelboard.cardsIn(id)", stages["New"]) == cards
    expect(page.locator("#drawer")).to_be_hidden()  # the swipe's end is not a tap

    # Sideways: the board moves one column on (snapping), still nothing moved.
    settle(page)
    finger.down((300, 500))
    finger.slide((300, 500), (170, 505), ms=120, steps=8)
    finger.up()
    page.wait_for_function(
        f"id => Math.abs(window.funnelboard.columnRect(id).x - {PAD_X}) < 1",
        arg=stages["MQL"],
        timeout=3000,
    )
    assert seq(server, board) == seq_before
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], width


def test_long_press_lifts_a_card_and_a_drag_moves_it_to_the_next_column(
    server: Server, phone: Page
):
    board, stages, _ = own_board(server)
    page = open_board(phone, server.url, board)
    moving = page.evaluate("id => window.funnelboard.cardsIn(id)", stages["New"])[0]
    seq_before = seq(server, board)
    finger = Finger(page)
    settle(page)

    x, y = center(card_rect(page, moving))
    finger.down((x, y))
    time.sleep(0.4)  # a long-press: still past 250 ms
    page.wait_for_function("() => window.funnelboard.touch().lifted")
    assert page.evaluate("() => window.funnelboard.touch().kind") == "hold"
    # To the right edge and hold there: the board brings MQL in under the card.
    finger.slide((x, y), (382, y), ms=200, steps=10)
    page.wait_for_function(
        f"id => Math.abs(window.funnelboard.columnRect(id).x - {PAD_X}) < 1",
        arg=stages["MQL"],
        timeout=3000,
    )
    # Off the edge at once (held there longer, the board would go on to SQL), then
    # over MQL's first card, and let go.
    finger.move((200, y))
    first = page.evaluate("id => window.funnelboard.cardsIn(id)", stages["MQL"])[0]
    target = center(card_rect(page, first))
    finger.slide((200, y), (target[0], target[1] - 20), ms=200, steps=10)
    assert abs(column_left(page, stages["MQL"]) - PAD_X) < 1
    screenshot(page, "touch-phone-lifted")
    finger.up()

    page.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
        arg=[moving, stages["MQL"]],
        timeout=5000,
    )
    assert lead(server, moving)["stage"] == stages["MQL"]
    moved = [e for e in events_after(server, board, seq_before) if e["type"] == "lead.moved"]
    assert len(moved) == 1 and moved[0]["lead"]["id"] == moving


def test_pinch_zooms_and_a_tap_still_opens_the_card(server: Server, phone: Page):
    board, stages, _ = own_board(server)
    page = open_board(phone, server.url, board)
    finger = Finger(page)
    zoom = page.evaluate("() => window.funnelboard.zoom()")
    settle(page)
    finger.down((150, 450), (250, 450))
    for k in range(1, 9):
        time.sleep(0.016)
        finger.move((150 - 6 * k, 450), (250 + 6 * k, 450))
    finger.up()
    page.wait_for_function("() => window.funnelboard.touch().last === 'pinch'")
    grown = page.evaluate("() => window.funnelboard.zoom()")
    assert grown == pytest.approx(zoom * 196 / 100, rel=0.05), gesture(page)
    # Back to the opening zoom: "Fit" (one column, type at its size).
    page.locator("#zoom-fit").tap()
    page.wait_for_function("() => window.funnelboard.zoom() === 1")

    # A short still touch on a card is a tap: it opens the lead, moves nothing.
    seq_before = seq(server, board)
    first = page.evaluate("id => window.funnelboard.cardsIn(id)", stages["New"])[0]
    settle(page)
    finger.down(center(card_rect(page, first)))
    finger.up()
    expect(page.locator("#drawer")).to_be_visible(timeout=5000)
    assert seq(server, board) == seq_before


def test_the_folded_panel_draws_no_chart_until_the_more_sheet_opens(server: Server, phone: Page):
    """On a phone the numbers panel waits in the closed "More" sheet: nothing asks for
    the charts, draws them nor loads plotly.js (4 MB parsed on the main thread) while
    it is folded; opening the sheet draws the latest, at the sheet's width."""
    board, stages, leads = own_board(server)
    charts: list[str] = []
    phone.on("request", lambda r: charts.append(r.url) if "/charts/" in r.url else None)
    page = open_board(phone, server.url, board)
    # Past the first draw's quiet moment, when the desk's panel draws its charts.
    page.wait_for_timeout(2500)
    settle(page)
    folded = page.evaluate("() => window.funnelboard.panelCharts()")
    assert folded["folded"] is True and folded["open"] is True, folded  # open, but in the sheet
    assert folded["draws"] == 0 and folded["drawn"] == [], folded
    assert folded["plotly"] is False, folded
    assert page.locator("script[src*='plotly']").count() == 0
    assert charts == []
    # A move reaches the board (the headers' figures follow): folded, still no chart.
    before = page.evaluate("() => window.funnelboard.seq()")
    status, _ = server.api(
        "POST", f"/api/leads/{leads[0]}/move/", {"to_stage": stages["MQL"]}, token=server.token()
    )
    assert status == 200
    page.wait_for_function("s => window.funnelboard.seq() > s", arg=before, timeout=10000)
    moved = page.evaluate("() => window.funnelboard.seq()")
    page.wait_for_timeout(2000)  # the figures' settling and the panel's
    assert page.evaluate("() => window.funnelboard.panelCharts().draws") == 0
    assert charts == []
    page.tap("#menu-toggle")
    expect(page.locator("#panel")).to_be_visible()
    page.wait_for_function(
        "() => window.funnelboard.panelCharts().drawn.length >= 2", timeout=20000
    )
    shown = page.evaluate("() => window.funnelboard.panelCharts()")
    assert shown["folded"] is False and shown["draws"] >= 1, shown
    # The charts of the move: the server's push kept while folded, or asked for now.
    assert shown["seq"] >= moved, shown
    plot = page.locator("[data-chart='funnel'] .main-svg").first.bounding_box()
    panel = page.locator("#panel").bounding_box()
    assert plot and panel and plot["x"] + plot["width"] <= panel["x"] + panel["width"] + 1
    screenshot(page, "touch-phone-charts-in-sheet")
