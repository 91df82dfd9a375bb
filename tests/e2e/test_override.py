"""No silent override, in two real browsers with real mice: marketing holds a card
(mouse down, moved, not released) while sales drags the same card to SQL. The held
card says "Sam Ortega moved this to SQL" at once; marketing's drop elsewhere asks
first. "Leave it in SQL" writes nothing (sales' SQL stays, in the database and in
the log); "Move anyway" writes marketing's move, one lead.moved by marketing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_board, screenshot
from tests.e2e.helpers import card_rect, center, column_point, mouse_drag, stage_of, team_board
from tests.server import Server


def own_board(server: Server) -> tuple[int, dict[str, int], list[int]]:
    """Marketing's board with sales as an editor: two leads in New, one in SQL."""
    leads = [("Held one", "New"), ("Held two", "New"), ("Already SQL", "SQL")]
    return team_board(server, "Override", leads)


def moves_after(server: Server, board: int, seq: int, lead: int) -> list[dict]:
    status, body = server.api(
        "GET", f"/api/boards/{board}/events/?after={seq}", token=server.token()
    )
    assert status == 200, body
    events = body["events"] if isinstance(body, dict) else body
    return [e for e in events if e["type"] == "lead.moved" and e["lead"]["id"] == lead]


def hold_while_sales_moves(
    marketing: Page, sales: Page, lead: int, stages: dict[str, int]
) -> tuple[float, float]:
    """Marketing picks the card up and holds it over Opportunity; sales drags it to
    SQL meanwhile. Returns where marketing's mouse is."""
    start = center(card_rect(marketing, lead))
    marketing.mouse.move(*start)
    marketing.mouse.down()
    marketing.mouse.move(start[0] + 10, start[1] + 10, steps=4)
    marketing.wait_for_function("() => window.funnelboard.heldNote() === null")
    over = column_point(marketing, stages["Opportunity"])
    marketing.mouse.move(*over, steps=12)

    mouse_drag(sales, center(card_rect(sales, lead)), column_point(sales, stages["SQL"]))
    sales.wait_for_function(
        "([l, s]) => window.funnelboard.cardsIn(s).includes(l)", arg=[lead, stages["SQL"]]
    )
    return over


def test_a_held_card_moved_by_someone_else_says_so_and_asks(
    people: dict[str, Page], server: Server
) -> None:
    board, stages, (first, second, _) = own_board(server)
    marketing = open_board(people["marketing"], server.url, board)
    sales = open_board(people["sales"], server.url, board)
    dialog = marketing.locator("dialog#confirm")

    # 1. Leave it: nothing written, sales' SQL stays.
    seq = marketing.evaluate("() => window.funnelboard.seq()")
    over = hold_while_sales_moves(marketing, sales, first, stages)
    marketing.wait_for_function(
        "() => window.funnelboard.heldNote() === 'Sam Ortega moved this to SQL'", timeout=5000
    )
    expect(dialog).to_be_hidden()  # still in the hand: nothing asked, nothing written yet
    screenshot(marketing, "override-held-note")
    marketing.mouse.move(over[0] + 4, over[1] + 20, steps=3)
    marketing.mouse.up()
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-message]")).to_have_text(
        "Sam Ortega moved this to SQL while you held it. Move it to Opportunity anyway?"
    )
    expect(dialog.locator("[data-confirm]")).to_have_text("Move anyway")
    expect(dialog.locator("[data-cancel]")).to_have_text("Leave it in SQL")
    # Nothing is written while it asks.
    assert stage_of(server, first) == stages["SQL"]
    screenshot(marketing, "override-confirm")
    dialog.locator("[data-cancel]").click()
    expect(dialog).to_be_hidden()
    marketing.wait_for_function(
        "([l, s]) => window.funnelboard.cardsIn(s).includes(l)", arg=[first, stages["SQL"]]
    )
    marketing.wait_for_timeout(500)
    assert stage_of(server, first) == stages["SQL"]
    moves = moves_after(server, board, seq, first)
    assert [(m["actor"]["username"], m["to_stage"]) for m in moves] == [("sales", stages["SQL"])]
    assert first not in marketing.evaluate(
        "(s) => window.funnelboard.cardsIn(s)", stages["Opportunity"]
    )

    # 2. Move anyway: marketing's move is written on top of sales'.
    seq = marketing.evaluate("() => window.funnelboard.seq()")
    over = hold_while_sales_moves(marketing, sales, second, stages)
    marketing.wait_for_function(
        "() => window.funnelboard.heldNote() === 'Sam Ortega moved this to SQL'", timeout=5000
    )
    marketing.mouse.move(over[0] + 4, over[1] + 20, steps=3)
    marketing.mouse.up()
    expect(dialog).to_be_visible()
    dialog.locator("[data-confirm]").click()
    marketing.wait_for_function(
        "([l, s]) => window.funnelboard.cardsIn(s).includes(l)",
        arg=[second, stages["Opportunity"]],
    )
    sales.wait_for_function(
        "([l, s]) => window.funnelboard.cardsIn(s).includes(l)",
        arg=[second, stages["Opportunity"]],
    )
    assert stage_of(server, second) == stages["Opportunity"]
    moves = moves_after(server, board, seq, second)
    assert [(m["actor"]["username"], m["from_stage"], m["to_stage"]) for m in moves] == [
        ("sales", stages["New"], stages["SQL"]),
        ("marketing", stages["SQL"], stages["Opportunity"]),
    ]


def test_a_drop_with_no_one_else_moving_asks_nothing(
    people: dict[str, Page], server: Server
) -> None:
    board, stages, (first, _, _) = own_board(server)
    marketing = open_board(people["marketing"], server.url, board)
    start = center(card_rect(marketing, first))
    mouse_drag(marketing, start, column_point(marketing, stages["MQL"]))
    marketing.wait_for_function(
        "([l, s]) => window.funnelboard.cardsIn(s).includes(l)", arg=[first, stages["MQL"]]
    )
    expect(marketing.locator("dialog#confirm")).to_be_hidden()
    assert stage_of(server, first) == stages["MQL"]
