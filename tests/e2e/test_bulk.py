"""Many cards at once in real Chromium with a real mouse: a Shift-drag lasso takes
20 cards, dragging one of them moves them all (one bulk batch), the other browser
sees them move, and one undo puts every card back where it stood."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import open_board
from tests.e2e.helpers import card_rect, team_board
from tests.server import Server


def own_board(server: Server) -> tuple[int, dict[str, int], list[int]]:
    """A board of marketing's with sales as an editor: 7 leads in New, 7 in MQL, 6 in Opportunity
    (all drawn on one screen)."""
    counts = (("New", 7), ("MQL", 7), ("Opportunity", 6))
    leads = [(f"{stage} lead {i}", stage) for stage, n in counts for i in range(n)]
    return team_board(server, "Bulk", leads)


def columns(page: Page) -> dict[int, list[int]]:
    drawn = page.evaluate(
        "() => Object.fromEntries(window.funnelboard.stageOrder()"
        ".map((id) => [id, window.funnelboard.cardsIn(id)]))"
    )
    return {int(stage): ids for stage, ids in drawn.items()}


def test_lasso_twenty_cards_move_them_undo_once(people: dict[str, Page], server: Server) -> None:
    board, stages, leads = own_board(server)
    marketing = open_board(people["marketing"], server.url, board)
    sales = open_board(people["sales"], server.url, board)
    before = columns(marketing)
    chosen = ("New", "MQL", "Opportunity")
    assert sorted(lead for name in chosen for lead in before[stages[name]]) == sorted(leads)

    # The lasso: Shift held, from above the first New card to below the last Opportunity card.
    first = card_rect(marketing, before[stages["New"]][0])
    bottoms = [card_rect(marketing, before[stages[name]][-1]) for name in chosen]
    last = card_rect(marketing, before[stages["Opportunity"]][-1])
    last = {**last, "y": max(r["y"] for r in bottoms), "height": 0}
    marketing.keyboard.down("Shift")
    marketing.mouse.move(first["x"] - 6, first["y"] - 6)
    marketing.mouse.down()
    marketing.mouse.move(last["x"] + last["width"] / 2, last["y"] + 20, steps=12)
    marketing.mouse.move(last["x"] + last["width"] + 4, last["y"] + last["height"] + 4, steps=6)
    marketing.mouse.up()
    marketing.keyboard.up("Shift")
    bar = marketing.locator("#bulk-bar")
    bar.wait_for(state="visible")
    assert bar.locator("[data-count]").inner_text() == "20 selected"

    # Drag one selected card to Won: the whole selection goes, in one batch.
    grab = card_rect(marketing, before[stages["New"]][3])
    target = marketing.evaluate("(id) => window.funnelboard.columnRect(id)", stages["Won"])
    marketing.mouse.move(grab["x"] + grab["width"] / 2, grab["y"] + grab["height"] / 2)
    marketing.mouse.down()
    marketing.mouse.move(target["x"] + target["width"] / 2, target["y"] + 160, steps=20)
    marketing.mouse.up()

    def all_moved(page: Page) -> bool:
        now = columns(page)
        return sorted(now[stages["Won"]]) == sorted(leads) and not now[stages["New"]]

    marketing.wait_for_function(
        "([sql, n]) => window.funnelboard.cardsIn(sql).length === n",
        arg=[stages["Won"], 20],
        timeout=10000,
    )
    sales.wait_for_function(
        "([sql, n]) => window.funnelboard.cardsIn(sql).length === n",
        arg=[stages["Won"], 20],
        timeout=10000,
    )
    assert all_moved(marketing) and all_moved(sales)
    _, events = server.api("GET", f"/api/boards/{board}/events/?after=0", token=server.token())
    events = (
        events.get("events", events.get("results", events)) if isinstance(events, dict) else events
    )
    bulk = [e for e in events if e["type"] == "leads.moved" and e["source"] == "bulk"]
    assert len(bulk) == 1 and len(bulk[0]["moves"]) == 20

    # One undo puts every card back where it stood, in both browsers.
    marketing.click("#undo")
    for page in (marketing, sales):
        page.wait_for_function(
            "([sql]) => window.funnelboard.cardsIn(sql).length === 0",
            arg=[stages["Won"]],
            timeout=10000,
        )
        now = columns(page)
        for name in chosen:
            assert now[stages[name]] == before[stages[name]]
