"""The data bridge in real Chromium: sales works the handoff lane while marketing
watches the lead quality panel, and a marketing user imports an export from
their automation system through the board's Import dialog.

The session's server and demo board are shared with the other browser tests:
figures are compared before and after, never to fixed numbers.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import card_rect, center, mouse_drag, open_import
from tests.e2e.test_board import stage_ids
from tests.server import Server

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hubspot_board_export.csv"


def lane(page: Page) -> list[int]:
    return page.evaluate("window.funnelboard.handoffLane()")


def quality(server: Server, board_id: int) -> dict:
    status, body = server.api("GET", f"/api/boards/{board_id}/lead-quality/", token=server.token())
    assert status == 200
    return body


def waiting_card_to_hand_over(server: Server, board_id: int, page: Page, mql: int) -> int:
    """A lead in MQL that sales has never judged and that the page draws."""
    _, state = server.api(
        "GET", f"/api/boards/{board_id}/state/?per_stage=50", token=server.token()
    )
    stage = next(s for s in state["stages"] if s["id"] == mql)
    for card in stage["leads"]:
        if card["verdict"] is None and page.evaluate(
            "id => window.funnelboard.cardRect(id)", card["id"]
        ):
            return card["id"]
    raise AssertionError("no unjudged lead drawn in MQL to hand over")


def lane_button(page: Page, lead_id: int, verdict: str, column: dict) -> dict:
    """Where the lane card's button is, scrolling the column with the wheel until
    the card shows whole (the lane lists the longest waiting first)."""
    page.mouse.move(*center(column))
    for _ in range(60):
        point = page.evaluate(
            "([id, verdict]) => window.funnelboard.handoffButton(id, verdict)", [lead_id, verdict]
        )
        if point:
            return point
        page.mouse.wheel(0, 120)
        page.wait_for_timeout(30)
    raise AssertionError(f"the lane card of lead {lead_id} never showed whole")


def test_sales_rejects_in_the_lane_and_marketing_sees_it_live(
    server: Server, board_id: int, people: dict[str, Page]
):
    stages = stage_ids(server, board_id)
    marketing, sales = people["marketing"], people["sales"]
    panel = marketing.locator("#panel-quality")
    expect(panel.locator(".quality-total")).to_be_visible(timeout=10000)
    before = quality(server, board_id)
    shown_before = int(panel.locator(".quality-total").get_attribute("data-rejected") or 0)
    assert shown_before == before["total"]["rejected"]
    _, log = server.api(
        "GET", f"/api/boards/{board_id}/events/?after=0&limit=1", token=server.token()
    )
    seq_before = log["seq"]

    # Marketing hands a lead over: a real drag from MQL into SQL, the first sales stage.
    lead = waiting_card_to_hand_over(server, board_id, marketing, stages["MQL"])
    sql_column = marketing.evaluate("id => window.funnelboard.columnRect(id)", stages["SQL"])
    mouse_drag(marketing, center(card_rect(marketing, lead)), center(sql_column))
    for page in (marketing, sales):
        page.wait_for_function(
            "id => window.funnelboard.handoffLane().includes(id)", arg=lead, timeout=8000
        )
    status, lead_body = server.api("GET", f"/api/leads/{lead}/", token=server.token())
    assert status == 200 and lead_body["stage"] == stages["SQL"]

    # Sales rejects it from the lane: the canvas button, then the form.
    column = sales.evaluate("id => window.funnelboard.columnRect(id)", stages["SQL"])
    point = lane_button(sales, lead, "rejected", column)
    screenshot(sales, "handoff-lane")
    sales.mouse.click(point["x"], point["y"])
    dialog = sales.locator("dialog#handoff-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[name=verdict][value=rejected]")).to_be_checked()
    expect(dialog.locator("[data-fields-table]")).to_be_visible()
    # Sending without a reason is refused in words, nothing is sent.
    dialog.locator("[data-submit]").click()
    expect(dialog.locator("[data-error]")).to_have_text("Pick the reason for rejecting this lead.")
    dialog.locator("#handoff-reason").select_option("Wrong persona")
    dialog.get_by_label("Name: valuable").check()
    dialog.get_by_label("Score: useless").check()
    screenshot(sales, "handoff-reject-form")
    dialog.locator("[data-submit]").click()
    expect(dialog).to_be_hidden()

    # The lead leaves the lane in both browsers, without a reload.
    for page in (sales, marketing):
        page.wait_for_function(
            "id => !window.funnelboard.handoffLane().includes(id)", arg=lead, timeout=8000
        )
    # Marketing's panel: the verdict just now, then the figures with the reason.
    recent = panel.locator(".quality-recent-item", has_text=lead_body["name"])
    expect(recent).to_contain_text("Wrong persona", timeout=8000)
    expect(recent).to_contain_text("Sam Ortega rejected")
    expect(panel.locator(".quality-total")).to_have_attribute(
        "data-rejected", str(before["total"]["rejected"] + 1), timeout=8000
    )
    campaign_key = f"campaign:{lead_body['campaign'] or 'none'}"
    group = panel.locator(f".quality-group[data-key='{campaign_key}']")
    expect(
        group.locator(".quality-reasons .quality-chip", has_text="Wrong persona")
    ).to_be_visible()
    panel.scroll_into_view_if_needed()
    screenshot(marketing, "lead-quality-live")

    # The server has the verdict: in the log and in the figures.
    _, events = server.api(
        "GET", f"/api/boards/{board_id}/events/?after={seq_before}", token=server.token()
    )
    [verdict] = [e for e in events["events"] if e["type"] == "lead.feedback" and e["lead"] == lead]
    assert verdict["verdict"] == "rejected"
    assert verdict["reason"] == "Wrong persona"
    assert verdict["valuable_fields"] == ["name"]
    assert verdict["useless_fields"] == ["score"]
    assert verdict["actor"]["username"] == "sales"
    after = quality(server, board_id)
    assert after["total"]["rejected"] == before["total"]["rejected"] + 1
    reasons = {r["reason"]: r["leads"] for r in after["total"]["top_reasons"]}
    old = {r["reason"]: r["leads"] for r in before["total"]["top_reasons"]}
    assert reasons.get("Wrong persona", 0) == old.get("Wrong persona", 0) + 1


def test_import_a_hubspot_export_through_the_dialog(
    server: Server, board_id: int, people: dict[str, Page]
):
    marketing, sales = people["marketing"], people["sales"]
    stages = stage_ids(server, board_id)
    counts_before = marketing.evaluate("window.funnelboard.counts()")

    # The dry run: the columns as read, the report, nothing written yet.
    dialog, report = open_import(marketing, FIXTURE, "ready")
    expect(report).to_contain_text("The import will do: 3 new leads, 0 updated.")
    expect(dialog.locator("[data-preset]")).to_contain_text("HubSpot export")
    expect(dialog.get_by_label("Record ID")).to_have_value("external_id")
    expect(dialog.get_by_label("Lifecycle Stage")).to_have_value("stage")
    expect(dialog.get_by_label("Phone Number")).to_have_value("attributes")
    status, found = server.api(
        "GET", f"/api/leads/?board={board_id}&q=orbit-e2e.example", token=server.token()
    )
    assert status == 200 and found["count"] == 0

    # Change how a column reads: the check goes stale until it is done again.
    dialog.get_by_label("Phone Number").select_option("ignore")
    expect(dialog.locator("[data-import]")).to_be_disabled()
    expect(report.locator(".report-stale")).to_be_visible()
    dialog.locator("[data-check]").click()
    expect(report).to_have_attribute("data-state", "ready", timeout=10000)
    screenshot(marketing, "import-dry-run")

    importing = dialog.locator("[data-import]")
    expect(importing).to_have_text("Import 3 new")
    importing.click()
    expect(report).to_have_attribute("data-state", "imported", timeout=15000)
    expect(report).to_contain_text("Imported: 3 new leads")
    expect(dialog.locator("[data-bar]")).to_have_attribute("data-value", "100")
    assert marketing.evaluate("window.funnelboard.importProgressSeen()") > 0
    screenshot(marketing, "import-done")
    dialog.locator("[data-close]").click()
    expect(dialog).to_be_hidden()

    # Written: with the mapping (no phone kept), stages and campaigns by name.
    status, found = server.api(
        "GET", f"/api/leads/?board={board_id}&q=orbit-e2e.example", token=server.token()
    )
    leads = {lead["email"]: lead for lead in found["results"]}
    katherine = leads["katherine@orbit-e2e.example"]
    assert katherine["stage"] == stages["SQL"]
    assert katherine["external_id"] == "e2e-9001"
    assert katherine["value"] in ("12500.00", 12500.0, "12500")
    assert "Phone Number" not in katherine["attributes"]
    assert leads["dorothy@orbit-e2e.example"]["stage"] == stages["MQL"]
    assert leads["mary@orbit-e2e.example"]["stage"] == stages["New"]

    # Both boards follow live: the headers count them, and Katherine (an SQL
    # lead that sales has not judged) waits in the handoff lane.
    for page in (marketing, sales):
        page.wait_for_function(
            "id => window.funnelboard.handoffLane().includes(id)", arg=katherine["id"], timeout=8000
        )
    # The lane comes from its own fetch; the columns from the refetch the import's
    # event starts. Walk the column only once she is in it.
    sales.wait_for_function(
        "([id, sql]) => window.funnelboard.cardsIn(sql).includes(id)",
        arg=[katherine["id"], stages["SQL"]],
        timeout=8000,
    )
    counts_after = marketing.evaluate("window.funnelboard.counts()")
    for stage in ("New", "MQL", "SQL"):
        assert counts_after[str(stages[stage])] >= counts_before[str(stages[stage])] + 1
    # Sales accepts her from the keyboard: arrows to the lane, Enter opens the form.
    sales.locator("#board").focus()
    sales.keyboard.press("ArrowDown")
    sales.keyboard.press("ArrowRight")
    sales.keyboard.press("ArrowRight")
    status_line = sales.locator("#selection-status")
    # Wherever the column's order puts her: walk all of it.
    column = sales.evaluate("sql => window.funnelboard.cardsIn(sql)", stages["SQL"])
    for _ in range(len(column)):
        if "Katherine Johnson" in (status_line.text_content() or ""):
            break
        sales.keyboard.press("ArrowDown")
    expect(status_line).to_contain_text("Katherine Johnson")
    sales.keyboard.press("Enter")
    form = sales.locator("dialog#handoff-dialog")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Handoff: Katherine Johnson")
    form.get_by_label("Accept: sales takes it on").check()
    expect(form.locator("#handoff-reason")).to_be_hidden()
    form.get_by_label("Job title: valuable").check()
    form.locator("[data-submit]").click()
    expect(form).to_be_hidden()
    for page in (sales, marketing):
        page.wait_for_function(
            "id => !window.funnelboard.handoffLane().includes(id)",
            arg=katherine["id"],
            timeout=8000,
        )

    # And a search finds the new card on the canvas.
    marketing.fill("#f-q", "orbit-e2e")
    marketing.wait_for_function(
        "id => window.funnelboard.cardRect(id) !== null", arg=katherine["id"], timeout=8000
    )
    screenshot(marketing, "import-on-the-board")
