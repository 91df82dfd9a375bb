"""Campaigns run from the board in real Chromium: from a campaign chip's menu,
marketing creates a campaign, enters the cost it lacks and archives it; sales'
browser follows each change live (the filter's choices, the chip and its "cost
missing" flag), the archived campaign's leads stay, and the settings page
restores it."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.server import Server

CHIPS = (
    "([c, s]) => window.funnelboard.campaignChips().filter(x => x.campaign === c && x.stage === s)"
)


def stage_ids(server: Server, board_id: int) -> dict[str, int]:
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token())
    assert status == 200
    return {stage["name"]: stage["id"] for stage in body["stages"]}


def center(rect: dict) -> tuple[float, float]:
    return rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2


def chip_menu(page: Page, campaign: int, stage: int):
    """Click the campaign's chip in ``stage``: its menu opens."""
    page.wait_for_function(
        "([c, s]) => window.funnelboard.chipRect(c, s)", arg=[campaign, stage], timeout=5000
    )
    rect = page.evaluate("([c, s]) => window.funnelboard.chipRect(c, s)", [campaign, stage])
    page.mouse.click(*center(rect))
    menu = page.locator(f".campaign-menu[data-campaign='{campaign}']")
    expect(menu).to_be_visible()
    return menu


def chip_shown(page: Page, campaign: int, stage: int, cost_missing: bool | None = None) -> None:
    flag = "" if cost_missing is None else f" && x.costMissing === {str(cost_missing).lower()}"
    page.wait_for_function(
        f"a => {CHIPS}(a).some(x => true{flag})", arg=[campaign, stage], timeout=5000
    )


def test_a_campaign_created_costed_and_archived_from_the_chip_menu(
    server: Server, board_id: int, people: dict[str, Page]
):
    marketing, sales = people["marketing"], people["sales"]
    stages = stage_ids(server, board_id)
    token = server.token()
    _, state = server.api("GET", f"/api/boards/{board_id}/state/?per_stage=1", token=token)
    live = [c for c in state["campaigns"] if not c["archived"]]

    # 1. From any chip's menu: New campaign, without a cost.
    host = max(live, key=lambda c: c["stages"].get(str(stages["New"]), {}).get("count", 0))
    chip_menu(marketing, host["id"], stages["New"]).locator("[data-action=create]").click()
    dialog = marketing.locator("#campaign-dialog")
    expect(dialog).to_be_visible()
    name = f"Spring Expo {uuid.uuid4().hex[:6]}"
    dialog.locator("#campaign-name").fill(name)
    dialog.locator("#campaign-channel").fill("trade show")
    screenshot(marketing, "campaign-create-dialog")
    dialog.locator("[data-submit]").click()
    expect(dialog).to_be_hidden()
    expect(marketing.locator(".toast", has_text=f"Created campaign {name}")).to_be_visible()

    # Sales' browser has it at once: its campaign filter offers it.
    sales.wait_for_function(
        "name => window.funnelboard.campaignPicker().includes(name)", arg=name, timeout=5000
    )
    expect(sales.locator("#f-campaign option", has_text=name)).to_have_count(1)
    _, campaigns = server.api("GET", f"/api/campaigns/?board={board_id}", token=token)
    (created,) = [c for c in campaigns if c["name"] == name]
    assert created["cost"] is None and created["archived"] is False  # cost missing

    # 2. Leads come in for it (as an integration sends them), so it has a chip,
    # drawn first in its column (the most leads), flagged "cost missing" on both boards.
    target = min(
        (stages[n] for n in ("New", "MQL", "SQL", "Opportunity")),
        key=lambda s: max(c["stages"].get(str(s), {}).get("count", 0) for c in live),
    )
    most = max(c["stages"].get(str(target), {}).get("count", 0) for c in live)
    lead_ids = []
    for n in range(most + 1):
        body = {"board": board_id, "name": f"Expo visitor {n}", "stage": target}
        status, lead = server.api(
            "POST", "/api/leads/", {**body, "campaign": created["id"]}, token=token
        )
        assert status == 201, lead
        lead_ids.append(lead["id"])
    for page in (marketing, sales):
        chip_shown(page, created["id"], target, cost_missing=True)
    screenshot(sales, "campaign-cost-missing-other-browser")

    # 3. A wrong cost is refused beside its field, nothing saved; then the real one.
    menu = chip_menu(marketing, created["id"], target)
    expect(menu.locator("[data-cost-missing]")).to_have_text("Cost missing")
    screenshot(marketing, "campaign-chip-menu")
    menu.locator("[data-action=edit]").click()
    expect(dialog.locator("[data-submit]")).to_be_enabled()
    cost = dialog.locator("#campaign-cost")
    expect(cost).to_be_focused()  # the cost is what this campaign lacks
    cost.fill("12.345")
    dialog.locator("[data-submit]").click()
    expect(cost).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#campaign-cost-error")).to_contain_text("2 decimal places")
    expect(dialog.locator("[data-error]")).to_be_visible()
    screenshot(marketing, "campaign-cost-refused")
    _, unchanged = server.api("GET", f"/api/campaigns/{created['id']}/", token=token)
    assert unchanged["cost"] is None
    cost.fill("1250.50")
    dialog.locator("[data-submit]").click()
    expect(dialog).to_be_hidden()
    for page in (marketing, sales):
        chip_shown(page, created["id"], target, cost_missing=False)
    _, costed = server.api("GET", f"/api/campaigns/{created['id']}/", token=token)
    assert costed["cost"] == 1250.5
    screenshot(sales, "campaign-costed-other-browser")

    # 4. Archive it from its chip: it leaves both boards, its leads stay.
    counts_before = sales.evaluate("window.funnelboard.counts()")
    chip_menu(marketing, created["id"], target).locator("[data-action=archive]").click()
    confirm = marketing.locator("dialog#confirm")
    expect(confirm).to_contain_text(f"Archive campaign {name}?")
    confirm.locator("[data-confirm]").click()
    for page in (marketing, sales):
        page.wait_for_function(f"a => {CHIPS}(a).length === 0", arg=[created["id"], target])
        page.wait_for_function(
            "name => !window.funnelboard.campaignPicker().includes(name)", arg=name
        )
        assert (
            page.evaluate("([c, s]) => window.funnelboard.chipRect(c, s)", [created["id"], target])
            is None
        )
    expect(sales.locator("#f-campaign option", has_text=name)).to_have_count(0)
    assert sales.evaluate("window.funnelboard.counts()") == counts_before  # the leads stay
    assert set(lead_ids) <= set(sales.evaluate("id => window.funnelboard.cardsIn(id)", target))
    for lead_id in lead_ids[:3]:
        _, lead = server.api("GET", f"/api/leads/{lead_id}/", token=token)
        assert lead["campaign"] == created["id"]
    screenshot(sales, "campaign-archived-other-browser")

    # 5. The settings page lists it under Archived; Restore brings its chip back live.
    settings = marketing.context.new_page()
    settings.goto(f"{server.url}/boards/{board_id}/settings/#campaigns")
    row = settings.locator(f".campaign-archived [data-campaign='{created['id']}']")
    expect(row).to_contain_text(name)
    row.scroll_into_view_if_needed()
    screenshot(settings, "campaign-settings-archived")
    row.locator("button", has_text="Restore").click()
    expect(settings.locator(".settings-messages")).to_contain_text(f"Campaign {name} restored")
    chip_shown(sales, created["id"], target, cost_missing=False)
    settings.close()
