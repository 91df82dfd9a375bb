"""The lead drawer in real Chromium with the real mouse: a click on a card opens
it (and ``?lead=`` in the address), owner and value edit in place and reach the
other browser's open drawer, a conflicting edit shows both values and lets one
keep mine or take theirs, a "+" in a column header adds a lead that the other
browser sees, and a ``?lead=`` link opens the drawer on load."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import (
    add_member,
    card_rect,
    center,
    mouse_drag,
    new_board,
    steady_card_rect,
)
from tests.e2e.test_board import drop_point
from tests.server import Server


@pytest.fixture(scope="module")
def drawer_board(server: Server) -> dict:
    """A board of its own, owned by marketing, with sales as an editor, and leads in New."""
    token = server.token("marketing")
    board = new_board(server, token, "Drawer board", currency="EUR")
    add_member(server, token, board["id"], "sales", "sales")
    stages = {s["name"]: s["id"] for s in board["stages"]}
    leads = []
    for n in range(4):
        body = {
            "board": board["id"],
            "name": f"Drawer lead {n}",
            "stage": stages["New"],
            "value": 1000 + n,
            "attributes": {"utm_source": "google", "job_level": "VP"},
        }
        status, made = server.api("POST", "/api/leads/", body, token=token)
        assert status == 201, made
        leads.append(made["id"])
    return {"id": board["id"], "stages": stages, "leads": leads}


@pytest.fixture
def pages(browser: Browser, server: Server, drawer_board: dict) -> Iterator[dict[str, Page]]:
    contexts = {
        name: browser.new_context(viewport={"width": 1600, "height": 900})
        for name in ("marketing", "sales")
    }
    yield {
        name: open_board(log_in(ctx, server.url, name), server.url, drawer_board["id"])
        for name, ctx in contexts.items()
    }
    for context in contexts.values():
        context.close()


def click_card(page: Page, lead_id: int) -> None:
    page.mouse.click(*center(card_rect(page, lead_id)))


def drawer_open_on(page: Page, lead_id: int) -> None:
    page.wait_for_function("id => window.funnelboard.drawerLead() === id", arg=lead_id)
    expect(page.locator("#drawer .drawer-timeline")).to_be_visible()


def field(page: Page, name: str):
    return page.locator(f'#drawer .drawer-field[data-field="{name}"]')


def lead_of(server: Server, lead_id: int) -> dict:
    status, body = server.api("GET", f"/api/leads/{lead_id}/", token=server.token("marketing"))
    assert status == 200
    return body


def test_click_opens_and_edits_reach_the_other_drawer(
    server: Server, drawer_board: dict, pages: dict[str, Page]
):
    marketing, sales = pages["marketing"], pages["sales"]
    lead_id = drawer_board["leads"][0]
    click_card(marketing, lead_id)
    drawer_open_on(marketing, lead_id)
    assert re.search(rf"[?&]lead={lead_id}\b", marketing.url)
    expect(marketing.locator("#drawer h2")).to_have_text("Drawer lead 0")
    expect(field(marketing, "attributes.utm_source").locator("dt")).to_have_text("UTM source")
    expect(field(marketing, "attributes.job_level").locator("dt")).to_have_text("Job level")
    expect(field(marketing, "value")).to_contain_text("€1,000")
    expect(marketing.locator("#drawer .drawer-timeline li").first).to_contain_text("Added in New")
    click_card(sales, lead_id)
    drawer_open_on(sales, lead_id)

    # Owner: the select, then "Assign to me".
    field(marketing, "owner").locator("select").select_option(label="Sam Ortega")
    expect(field(sales, "owner").locator("select option:checked")).to_have_text("Sam Ortega")
    field(marketing, "owner").get_by_role("button", name="Assign to me").click()
    expect(field(sales, "owner").locator("select option:checked")).not_to_have_text("Sam Ortega")

    # Value: click it, type, Enter.
    field(marketing, "value").locator("button.drawer-value").click()
    value_input = field(marketing, "value").locator("input")
    value_input.fill("2500")
    value_input.press("Enter")
    expect(field(sales, "value")).to_contain_text("€2,500")
    assert float(lead_of(server, lead_id)["value"]) == 2500
    expect(sales.locator("#drawer .drawer-edit").first).to_contain_text("Value")
    screenshot(sales, "drawer-live-edit")

    # A new attribute, labelled by the server's rule in both drawers.
    marketing.get_by_role("button", name="+ Attribute").click()
    marketing.locator("#drawer [name=attribute-key]").fill("utm_medium")
    marketing.locator("#drawer [name=attribute-value]").fill("cpc")
    marketing.locator("#drawer [name=attribute-value]").press("Enter")
    expect(field(sales, "attributes.utm_medium").locator("dt")).to_have_text("UTM medium")
    expect(field(sales, "attributes.utm_medium")).to_contain_text("cpc")
    assert lead_of(server, lead_id)["attributes"]["utm_medium"] == "cpc"

    # The stage, from the drawer: the card moves on both boards.
    mql = drawer_board["stages"]["MQL"]
    marketing.locator("#drawer .drawer-stage-select").select_option(value=str(mql))
    sales.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)", arg=[lead_id, mql]
    )
    expect(sales.locator("#drawer .drawer-stage-text")).to_contain_text("MQL")
    expect(sales.locator("#drawer .drawer-transition").first).to_contain_text("New → MQL")

    # Escape closes; the address loses ?lead=.
    marketing.locator("#drawer .drawer-close").focus()
    marketing.keyboard.press("Escape")
    expect(marketing.locator("#drawer")).to_be_hidden()
    assert "lead=" not in marketing.url


def test_a_conflicting_edit_shows_both_values(
    server: Server, drawer_board: dict, pages: dict[str, Page]
):
    marketing, sales = pages["marketing"], pages["sales"]
    lead_id = drawer_board["leads"][1]
    for page in (marketing, sales):
        click_card(page, lead_id)
        drawer_open_on(page, lead_id)
    # Marketing starts typing; sales saves another value meanwhile.
    field(marketing, "value").locator("button.drawer-value").click()
    field(marketing, "value").locator("input").fill("1111")
    field(sales, "value").locator("button.drawer-value").click()
    field(sales, "value").locator("input").fill("2222")
    field(sales, "value").locator("input").press("Enter")
    expect(field(sales, "value")).to_contain_text("€2,222")
    conflict = field(marketing, "value").locator(".drawer-conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".drawer-theirs")).to_contain_text("€2,222")
    expect(conflict.locator(".drawer-mine")).to_contain_text("€1,111")
    assert float(lead_of(server, lead_id)["value"]) == 2222  # nothing overwritten
    screenshot(marketing, "drawer-conflict")
    conflict.get_by_role("button", name="Keep mine").click()
    expect(field(sales, "value")).to_contain_text("€1,111")
    assert float(lead_of(server, lead_id)["value"]) == 1111

    # A save with a stale version (sales changed it with the drawer closed): both shown.
    sales.locator("#drawer .drawer-close").click()
    field(marketing, "value").locator("button.drawer-value").click()
    field(marketing, "value").locator("input").fill("3333")
    token = server.token("sales")
    version = lead_of(server, lead_id)["version"]
    # Sales' change reaches marketing's open field live, or with the 409 of the save: both show it.
    status, _ = server.api(
        "PATCH", f"/api/leads/{lead_id}/", {"value": 4444, "version": version}, token=token
    )
    assert status == 200
    field(marketing, "value").locator("input").press("Enter")
    conflict = field(marketing, "value").locator(".drawer-conflict")
    expect(conflict.locator(".drawer-theirs")).to_contain_text("€4,444")
    expect(conflict.locator(".drawer-mine")).to_contain_text("€3,333")
    conflict.get_by_role("button", name="Take theirs").click()
    expect(conflict).to_have_count(0)
    expect(field(marketing, "value")).to_contain_text("€4,444")
    assert float(lead_of(server, lead_id)["value"]) == 4444


def test_quick_add_reaches_the_other_browser_and_opens_the_drawer(
    server: Server, drawer_board: dict, pages: dict[str, Page]
):
    marketing, sales = pages["marketing"], pages["sales"]
    sql = drawer_board["stages"]["SQL"]
    plus = marketing.evaluate("id => window.funnelboard.quickAddRect(id)", sql)
    assert plus, "the SQL header has a +"
    marketing.mouse.click(*center(plus))
    form = marketing.locator("form.quick-add")
    expect(form).to_be_visible()
    # Bad input is named in the form.
    form.locator("[name=name]").press("Enter")
    expect(form).to_contain_text("Give the lead a name.")
    form.locator("[name=name]").fill("Quick Ada")
    form.locator("[name=email]").fill("not an email")
    form.locator("[name=value]").fill("-5")
    form.locator("[name=name]").press("Enter")
    expect(form.locator(".quick-error").filter(has_text=re.compile("email|Email"))).to_be_visible()
    form.locator("[name=email]").fill("ada@example.com")
    form.locator("[name=email]").press("Enter")
    expect(
        form.locator(".quick-error").filter(has_text=re.compile("negative|value"))
    ).to_be_visible()
    form.locator("[name=value]").fill("750")
    form.locator("[name=company]").fill("Analytical Engines")
    form.locator("[name=value]").press("Enter")
    expect(form).to_have_count(0)
    expect(marketing.locator("#drawer h2")).to_have_text("Quick Ada")
    new_id = marketing.evaluate("window.funnelboard.drawerLead()")
    assert lead_of(server, new_id)["stage"] == sql
    sales.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
        arg=[new_id, sql],
        timeout=5000,
    )
    screenshot(marketing, "drawer-quick-add")


def test_a_lead_link_opens_the_drawer_and_a_drag_does_not(
    server: Server, drawer_board: dict, pages: dict[str, Page]
):
    marketing = pages["marketing"]
    lead_id = drawer_board["leads"][2]
    marketing.goto(f"{server.url}/boards/{drawer_board['id']}/?lead={lead_id}&q=Drawer")
    marketing.wait_for_selector("body[data-board-ready='1']", timeout=15000)
    drawer_open_on(marketing, lead_id)
    expect(marketing.locator("#drawer h2")).to_have_text("Drawer lead 2")
    expect(marketing.locator("#f-q")).to_have_value("Drawer")  # the filters stay
    marketing.locator("#drawer .drawer-close").click()
    assert "lead=" not in marketing.url and "q=Drawer" in marketing.url

    # The end of a drag opens nothing.
    other = drawer_board["leads"][3]
    start = center(card_rect(marketing, other))
    seq = marketing.evaluate("window.funnelboard.seq()")
    mouse_drag(marketing, start, drop_point(marketing, drawer_board["stages"]["MQL"]))
    marketing.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
        arg=[other, drawer_board["stages"]["MQL"]],
    )
    assert marketing.evaluate("window.funnelboard.drawerLead()") is None
    # A click once the server's answer is in and the card has come to rest opens it
    # (a click while the card is redrawn under the pointer is no click).
    marketing.wait_for_function("seq => window.funnelboard.seq() > seq", arg=seq)
    marketing.mouse.click(*center(steady_card_rect(marketing, other)))
    drawer_open_on(marketing, other)
    marketing.locator("#drawer .drawer-close").click()
    marketing.locator("#board").focus()
    marketing.keyboard.press("Enter")
    drawer_open_on(marketing, other)


def test_archive_from_the_drawer_takes_the_card_off_every_board_and_restore_brings_it_back(
    server: Server, drawer_board: dict, pages: dict[str, Page]
):
    marketing, sales = pages["marketing"], pages["sales"]
    lead_id = drawer_board["leads"][1]
    new = drawer_board["stages"]["New"]
    in_new = "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)"
    gone = "([lead, stage]) => !window.funnelboard.cardsIn(stage).includes(lead)"
    sales.wait_for_function(in_new, arg=[lead_id, new])
    click_card(marketing, lead_id)
    drawer_open_on(marketing, lead_id)
    marketing.locator('#drawer [data-life-action="archive"]').click()
    expect(marketing.locator("#drawer .drawer-archived")).to_be_visible()
    sales.wait_for_function(gone, arg=[lead_id, new])
    marketing.wait_for_function(gone, arg=[lead_id, new])
    assert lead_of(server, lead_id)["archived"] is True
    # Still open in the drawer: put it back where it stood.
    marketing.locator('#drawer [data-life-action="restore"]').click()
    sales.wait_for_function(in_new, arg=[lead_id, new])
    expect(marketing.locator("#drawer .drawer-archived")).to_be_hidden()
    assert lead_of(server, lead_id)["archived"] is False
