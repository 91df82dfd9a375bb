"""The owner sets the funnel up on the live board in real Chromium, with the real
mouse: adds a stage from a column's menu, drags it into place by its header, sets
its SLA and WIP limit (the column then shows "count / limit", amber at the limit,
red past it); a stage renamed in one browser is renamed in the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import add_member, center, mouse_drag, new_board
from tests.server import Server

AMBER = "#fef3c7"  # canvas/theme.js COLORS.wipAtSoft
RED = "#fee2e2"  # COLORS.wipOverSoft


@pytest.fixture(scope="module")
def setup_board(server: Server) -> int:
    """A board of its own (the demo board stays as the other tests expect it), owned
    by the manager, with sales as an editor."""
    token = server.token("manager")
    board = new_board(server, token, "Stage setup")
    add_member(server, token, board["id"], "sales", "sales")
    new = next(s["id"] for s in board["stages"] if s["name"] == "New")
    for n in range(3):
        body = {"board": board["id"], "name": f"Lead {n}", "stage": new}
        assert server.api("POST", "/api/leads/", body, token=token)[0] == 201
    return board["id"]


@pytest.fixture
def pages(browser: Browser, server: Server, setup_board: int) -> Iterator[dict[str, Page]]:
    contexts = {
        name: browser.new_context(viewport={"width": 1600, "height": 900})
        for name in ("manager", "sales")
    }
    yield {
        name: open_board(log_in(ctx, server.url, name), server.url, setup_board)
        for name, ctx in contexts.items()
    }
    for context in contexts.values():
        context.close()


def stage_ids(server: Server, board_id: int) -> dict[str, int]:
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token("manager"))
    assert status == 200
    return {stage["name"]: stage["id"] for stage in body["stages"]}


def order_names(server: Server, board_id: int) -> list[str]:
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token("manager"))
    assert status == 200
    return [s["name"] for s in sorted(body["stages"], key=lambda s: s["position"])]


def stage_fields(server: Server, board_id: int, stage_id: int) -> dict:
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token("manager"))
    assert status == 200
    return next(s for s in body["stages"] if s["id"] == stage_id)


NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def open_menu(page: Page, stage_id: int) -> None:
    """Click the header's ⋯. The canvas hit-tests what it drew last: a header redrawn
    by an event that just came in answers clicks from the next frame on, so the rect
    is read after a frame, and a click that met the frame before is tried again."""
    menu = page.locator("#stage-menu")
    for _ in range(3):
        page.evaluate(NEXT_FRAME)
        rect = page.evaluate("id => window.funnelboard.stageMenuRect(id)", stage_id)
        assert rect, "the owner's column header has a menu"
        page.mouse.click(*center(rect))
        try:
            menu.wait_for(state="visible", timeout=1500)
            return
        except PlaywrightTimeoutError:
            continue
    expect(menu).to_be_visible()


def header(page: Page, stage_id: int) -> dict:
    return page.evaluate("id => window.funnelboard.headerText(id)", stage_id)


def test_owner_adds_places_and_limits_a_stage(server: Server, setup_board: int, pages):
    owner, sales = pages["manager"], pages["sales"]
    stages = stage_ids(server, setup_board)
    # Others see no menu on the headers.
    assert sales.evaluate("id => window.funnelboard.stageMenuRect(id)", stages["SQL"]) is None

    # Add a stage after SQL from SQL's menu.
    open_menu(owner, stages["SQL"])
    owner.locator("#stage-menu [data-action=add-after]").click()
    dialog = owner.locator("#stage-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#stage-name").fill("Demo")
    screenshot(owner, "stage-add-dialog")
    dialog.locator("[data-save]").click()
    expect(dialog).to_be_hidden()
    owner.wait_for_function(
        "() => Object.values(window.funnelboard.stageOrder()).length === 7", timeout=5000
    )
    demo = stage_ids(server, setup_board)["Demo"]
    assert order_names(server, setup_board) == [
        "New", "MQL", "SQL", "Demo", "Opportunity", "Won", "Lost",
    ]  # fmt: skip
    sales.wait_for_function("id => window.funnelboard.stageOrder().includes(id)", arg=demo)

    # Drag it by its header to before MQL.
    mql = owner.evaluate("id => window.funnelboard.headerRect(id)", stages["MQL"])
    start = center(owner.evaluate("id => window.funnelboard.headerRect(id)", demo))
    mouse_drag(owner, start, (mql["x"] + 12, mql["y"] + mql["height"] / 2))
    expected = [stages["New"], demo, stages["MQL"], stages["SQL"], stages["Opportunity"]]
    expected += [stages["Won"], stages["Lost"]]
    owner.wait_for_function(
        "order => JSON.stringify(window.funnelboard.stageOrder()) === JSON.stringify(order)",
        arg=expected,
        timeout=5000,
    )
    sales.wait_for_function(
        "order => JSON.stringify(window.funnelboard.stageOrder()) === JSON.stringify(order)",
        arg=expected,
        timeout=5000,
    )
    assert order_names(server, setup_board)[:3] == ["New", "Demo", "MQL"]
    screenshot(owner, "stage-dragged-into-place")

    # Two leads into it, then an SLA and a WIP limit of 2: "2 / 2", amber.
    token = server.token("manager")
    for n in range(2):
        body = {"board": setup_board, "name": f"Demo lead {n}", "stage": demo}
        assert server.api("POST", "/api/leads/", body, token=token)[0] == 201
    open_menu(owner, demo)
    owner.locator("#stage-menu [data-action=edit]").click()
    expect(dialog).to_be_visible()
    dialog.locator("#stage-sla").fill("3")
    dialog.locator("#stage-wip").fill("2")
    dialog.locator("[data-save]").click()
    expect(dialog).to_be_hidden()
    for page in (owner, sales):
        page.wait_for_function(
            "id => (window.funnelboard.headerText(id) || {}).count === '2 / 2'",
            arg=demo,
            timeout=5000,
        )
        assert header(page, demo)["wipFill"] == AMBER
    assert stage_fields(server, setup_board, demo)["sla_days"] == 3
    # One more: past the limit, red.
    body = {"board": setup_board, "name": "One too many", "stage": demo}
    assert server.api("POST", "/api/leads/", body, token=token)[0] == 201
    owner.wait_for_function(
        "id => (window.funnelboard.headerText(id) || {}).count === '3 / 2'", arg=demo, timeout=5000
    )
    assert header(owner, demo)["wipFill"] == RED
    screenshot(owner, "stage-wip-over")

    # A bad limit is refused beside its field, nothing changes.
    open_menu(owner, demo)
    owner.locator("#stage-menu [data-action=edit]").click()
    dialog.locator("#stage-wip").fill("0")
    dialog.locator("[data-save]").click()
    expect(dialog.locator("[data-error-for=wip_limit]")).to_contain_text("at least 1")
    dialog.locator("[data-cancel]").click()
    assert header(owner, demo)["count"] == "3 / 2"


def test_a_rename_in_one_browser_shows_in_the_other(server: Server, setup_board: int, pages):
    owner, sales = pages["manager"], pages["sales"]
    stages = stage_ids(server, setup_board)
    open_menu(owner, stages["MQL"])
    owner.locator("#stage-menu [data-action=edit]").click()
    dialog = owner.locator("#stage-dialog")
    dialog.locator("#stage-name").fill("Marketing qualified")
    dialog.locator("[data-save]").click()
    expect(dialog).to_be_hidden()
    sales.wait_for_function(
        "id => window.funnelboard.columnName(id) === 'Marketing qualified'",
        arg=stages["MQL"],
        timeout=5000,
    )
    assert owner.evaluate("id => window.funnelboard.columnName(id)", stages["MQL"]) == (
        "Marketing qualified"
    )
    screenshot(sales, "stage-renamed-other-browser")


def test_delete_asks_where_the_leads_go_and_undo_brings_it_back(
    server: Server, setup_board: int, pages
):
    owner, sales = pages["manager"], pages["sales"]
    stages = stage_ids(server, setup_board)
    new = stages["New"]
    leads = owner.evaluate("id => window.funnelboard.cardsIn(id)", new)
    assert leads
    open_menu(owner, new)
    owner.locator("#stage-menu [data-action=delete]").click()
    dialog = owner.locator("#stage-delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"It holds {len(leads)} leads")
    dialog.locator("#stage-move-to").select_option(str(stages["Opportunity"]))
    screenshot(owner, "stage-delete-dialog")
    dialog.locator("[data-save]").click()
    expect(dialog).to_be_hidden()
    for page in (owner, sales):
        page.wait_for_function(
            "id => !window.funnelboard.stageOrder().includes(id)", arg=new, timeout=5000
        )
        page.wait_for_function(
            "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
            arg=[leads[0], stages["Opportunity"]],
            timeout=5000,
        )
    owner.locator("#board").focus()
    owner.keyboard.press("Control+z")
    for page in (owner, sales):
        page.wait_for_function(
            "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
            arg=[leads[0], new],
            timeout=8000,
        )
    assert order_names(server, setup_board)[0] == "New"


def test_settings_reorder_by_dragging_a_row_or_with_the_keyboard(
    server: Server, setup_board: int, browser: Browser
):
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = log_in(context, server.url, "manager")
    page.goto(f"{server.url}/boards/{setup_board}/settings/#stages")
    stages = stage_ids(server, setup_board)
    before = order_names(server, setup_board)
    row = lambda name: page.locator(f"tr[data-stage-id='{stages[name]}']")  # noqa: E731
    handle = row("Opportunity").locator(".drag-handle").bounding_box()
    target = row("SQL").bounding_box()
    assert handle and target
    mouse_drag(page, center(handle), (target["x"] + 40, target["y"] + 4))
    page.wait_for_url("**/settings/#stages")
    expect(page.locator(".settings-messages")).to_contain_text("Stages reordered.")
    after = order_names(server, setup_board)
    assert after.index("Opportunity") == after.index("SQL") - 1, (before, after)
    screenshot(page, "settings-stages")

    # Keyboard: the row's up button.
    page.locator(f"button[aria-label='Move {after[1]} up']").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".settings-messages")).to_contain_text("Stages reordered.")
    assert order_names(server, setup_board)[:2] == [after[1], after[0]]
    context.close()
