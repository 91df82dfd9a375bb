"""What the browser tests share: boards of their own made through the API, the canvas'
cards and columns on screen, a real mouse drag, and the import dialog's dry run."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.server import Server


def new_board(
    server: Server, token: str, name: str, *, template: str | None = None, currency: str = ""
) -> dict:
    """A board of the token's user (from ``template`` if given, in ``currency`` if given)."""
    body = {"name": name} if template is None else {"name": name, "template": template}
    status, board = server.api("POST", "/api/boards/", body, token=token)
    assert status == 201, board
    if currency:
        path = f"/api/boards/{board['id']}/"
        status, _ = server.api("PATCH", path, {"currency": currency}, token=token)
        assert status == 200
    return board


def add_member(
    server: Server, token: str, board_id: int, username: str, team: str, role: str = "editor"
) -> dict:
    """Adds ``username`` to the board (the token's user owns it); the new membership."""
    status, member = server.api(
        "POST",
        f"/api/boards/{board_id}/members/",
        {"username": username, "role": role, "team": team},
        token=token,
    )
    assert status == 201, member
    return member


def team_board(
    server: Server, prefix: str, leads: list[tuple[str, str]], *, editor: str | None = "sales"
) -> tuple[int, dict[str, int], list[int]]:
    """A b2b board of marketing's named "<prefix> <6 hex>", ``editor`` (of the sales team)
    an editor unless None, and ``leads`` as (name, stage name), made in that order.
    Returns the board's id, its stages' ids by name (from /state/) and the leads' ids."""
    token = server.token()
    board = new_board(server, token, f"{prefix} {uuid.uuid4().hex[:6]}", template="b2b")
    if editor is not None:
        add_member(server, token, board["id"], editor, "sales")
    _, state = server.api("GET", f"/api/boards/{board['id']}/state/", token=token)
    stages = {s["name"]: s["id"] for s in state["stages"]}
    made = []
    for name, stage in leads:
        status, lead = server.api(
            "POST",
            "/api/leads/",
            {"board": board["id"], "name": name, "stage": stages[stage]},
            token=token,
        )
        assert status == 201, lead
        made.append(lead["id"])
    return board["id"], stages, made


def stage_of(server: Server, lead_id: int) -> int:
    """The lead's stage as the server has it (asked as marketing)."""
    status, body = server.api("GET", f"/api/leads/{lead_id}/", token=server.token())
    assert status == 200
    return body["stage"]


def card_rect(page: Page, lead_id: int) -> dict:
    """The card's rect on the page; fails when the card is not drawn."""
    rect = page.evaluate("id => window.funnelboard.cardRect(id)", lead_id)
    assert rect, f"card {lead_id} is not drawn"
    return rect


def steady_card_rect(page: Page, lead_id: int) -> dict:
    """The card's rect once it stops moving (a drop's slide and the server's answer
    redraw it): the same over two frames in a row."""
    rect = page.evaluate(
        """async (id) => {
          const read = () => JSON.stringify(window.funnelboard.cardRect(id));
          const frame = () => new Promise((f) => requestAnimationFrame(f));
          const frames = () => frame().then(frame);
          for (let i = 0; i < 120; i++) {
            const before = read();
            await frames();
            if (before === read() && before !== 'null') return JSON.parse(before);
          }
          return null;
        }""",
        lead_id,
    )
    assert rect, f"card {lead_id} did not come to rest"
    return rect


def center(rect: dict) -> tuple[float, float]:
    return rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2


def column_point(page: Page, stage_id: int) -> tuple[float, float]:
    """A point on the column: across its middle, 60% of the way down."""
    rect = page.evaluate("id => window.funnelboard.columnRect(id)", stage_id)
    return rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] * 0.6


def mouse_drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A real mouse drag: press, move in small steps, release."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 8, start[1] + 8, steps=3)
    page.mouse.move(*end, steps=15)
    page.mouse.up()


def open_import(page: Page, file: Path, state: str) -> tuple[Locator, Locator]:
    """Opens the import dialog, picks ``file`` and waits for the dry run's report to reach
    ``state``; the dialog and the report."""
    page.locator("#import-open").click()
    dialog = page.locator("dialog#import-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#import-file").set_input_files(str(file))
    report = dialog.locator("[data-report]")
    expect(report).to_have_attribute("data-state", state, timeout=10000)
    return dialog, report
