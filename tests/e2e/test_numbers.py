"""The board's numbers in real Chromium: the side panel's charts follow a real drag,
the date slider shows the past read-only and comes back to live, Replay plays a
period's moves with a moving date, and Export saves PNGs of the requested size that
show the stage headers' team colours.

The session's server and demo board are shared with the other browser tests: the
figures are compared with the API's at the same moment, never with fixed counts.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import card_rect, center, mouse_drag
from tests.e2e.test_board import cards_in, drop_point, stage_ids
from tests.server import ROOT, Server

THEME = (ROOT / "static" / "board" / "canvas" / "theme.js").read_text()


def team_colours() -> dict[str, tuple[int, int, int]]:
    """The stage headers' team colours, read from the board's theme."""
    block = re.search(r"TEAM_COLORS = \{(.*?)\}", THEME, re.S)
    assert block, "TEAM_COLORS not found in theme.js"
    found = dict(re.findall(r"(\w+): '#([0-9a-f]{6})'", block.group(1)))
    return {team: rgb(hex_) for team, hex_ in found.items()}


def rgb(hex_: str) -> tuple[int, int, int]:
    return int(hex_[0:2], 16), int(hex_[2:4], 16), int(hex_[4:6], 16)


@pytest.fixture
def page(browser: Browser, server: Server, board_id: int) -> Iterator[Page]:
    """marketing (an editor) on the demo board, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1600, "height": 900}, accept_downloads=True)
    page = open_board(log_in(context, server.url, "marketing"), server.url, board_id)
    yield page
    context.close()


def panel(page: Page) -> dict:
    return page.evaluate("window.funnelboard.panelCharts()")


def wait_charts(page: Page, timeout: float = 20000) -> dict:
    page.wait_for_function(
        "() => window.funnelboard.panelCharts?.().drawn.length === 4",
        timeout=timeout,
    )
    return panel(page)


def api_counts(server: Server, board_id: int, as_of: str | None = None) -> dict[str, int]:
    query = f"?per_stage=1&as_of={quote(as_of)}" if as_of else "?per_stage=1"
    status, body = server.api("GET", f"/api/boards/{board_id}/state/{query}", token=server.token())
    assert status == 200, body
    return {str(stage["id"]): stage["count"] for stage in body["stages"]}


def counts(page: Page) -> dict[str, int]:
    return page.evaluate("window.funnelboard.counts()")


def saved_seq(server: Server, board_id: int, lead: int, stage: int) -> int:
    """The board's seq once the lead is saved in ``stage``."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, body = server.api("GET", f"/api/leads/{lead}/", token=server.token())
        if body["stage"] == stage:
            _, board = server.api("GET", f"/api/boards/{board_id}/", token=server.token())
            return board["last_seq"]
        time.sleep(0.1)
    raise AssertionError(f"lead {lead} never reached stage {stage}")


def test_panel_shows_four_charts_and_follows_a_drag(server: Server, board_id: int, page: Page):
    stages = stage_ids(server, board_id)
    before = wait_charts(page)
    assert before["drawn"] == ["funnel", "time_in_stage", "campaigns", "cohorts"]
    assert before["note"] == ""
    assert page.locator("#panel-charts .np-plot .main-svg").count() >= 4
    expect(page.locator("#panel-toggle")).to_be_visible()

    moving = cards_in(page, stages["New"])[0]
    mouse_drag(page, center(card_rect(page, moving)), drop_point(page, stages["MQL"]))
    page.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
        arg=[moving, stages["MQL"]],
    )
    seq = saved_seq(server, board_id, moving, stages["MQL"])
    # The panel catches up with the move (a little behind, by design).
    page.wait_for_function(
        "([seq, draws]) => { const p = window.funnelboard.panelCharts();"
        " return p.seq >= seq && p.draws > draws; }",
        arg=[seq, before["draws"]],
        timeout=15000,
    )
    after = panel(page)
    status, charts = server.api("GET", f"/api/boards/{board_id}/charts/", token=server.token())
    assert status == 200
    if charts["seq"] == after["seq"]:  # nobody else moved a card since
        assert after["funnel"]["reached"] == charts["funnel"]["data"][0]["x"]
    screenshot(page, "numbers-panel-after-drag")


def test_two_browsers_follow_a_drag_from_the_push_without_asking(
    server: Server, board_id: int, browser: Browser, page: Page
):
    """numbers.updated: after a real drag in one browser, both browsers' headers,
    charts and lost reasons show the new numbers, pushed by the server; neither asks
    for /funnel/ or /charts/."""
    stages = stage_ids(server, board_id)
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    other = open_board(log_in(context, server.url, "sales"), server.url, board_id)
    try:
        asked: dict[str, list[str]] = {"marketing": [], "sales": []}
        for name, each in (("marketing", page), ("sales", other)):
            wait_charts(each)
            # The headers' first answer is in too (it can come after the charts).
            each.wait_for_function("() => window.funnelboard.headerFigures().shown")
            each.on(
                "request",
                lambda request, name=name: (
                    asked[name].append(request.url)
                    if re.search(r"/(funnel|charts)/", request.url)
                    else None
                ),
            )
        before = {name: each.evaluate("window.funnelboard.headerFigures().pushes")
                  for name, each in (("marketing", page), ("sales", other))}  # fmt: skip

        moving = cards_in(page, stages["New"])[0]
        mouse_drag(page, center(card_rect(page, moving)), drop_point(page, stages["MQL"]))
        seq = saved_seq(server, board_id, moving, stages["MQL"])
        for name, each in (("marketing", page), ("sales", other)):
            each.wait_for_function(
                "([seq, pushes]) => { const h = window.funnelboard.headerFigures();"
                " const p = window.funnelboard.panelCharts();"
                " return h.pushes > pushes && h.seq >= seq && p.seq >= seq; }",
                arg=[seq, before[name]],
                timeout=10000,
            )
        status, funnel = server.api("GET", f"/api/boards/{board_id}/funnel/", token=server.token())
        assert status == 200
        shown = other.evaluate("window.funnelboard.headerFigures()")
        if funnel["seq"] == shown["seq"]:  # nobody else moved a card since
            expected = [
                {"id": s["id"], "conversion": s["conversion_to_next"]} for s in funnel["stages"]
            ]
            assert shown["stages"] == expected
            lost = other.evaluate("window.funnelboard.lostReasons()")
            assert lost == funnel["lost_reasons"]
        assert asked == {"marketing": [], "sales": []}
    finally:
        context.close()


def test_panel_folds_away_and_stays_folded(server: Server, board_id: int, page: Page):
    wait_charts(page)
    toggle = page.locator("#panel-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.locator("#panel")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    open_board(page, server.url, board_id)
    expect(page.locator("#panel")).to_be_hidden()  # remembered in this browser
    page.locator("#panel-toggle").click()
    expect(page.locator("#panel")).to_be_visible()
    wait_charts(page)


def test_date_slider_shows_the_past_read_only_then_back_to_live(
    server: Server, board_id: int, page: Page
):
    stages = stage_ids(server, board_id)
    wait_charts(page)
    live_total = sum(counts(page).values())
    slider = page.locator("#tb-slider")
    page.wait_for_function("() => window.funnelboard.replayStatus().began != null")
    expect(slider).to_be_enabled()
    expect(page.locator("[data-readout]")).to_have_text("as of: now")

    # Ten days into the board's history, by keyboard.
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.funnelboard.asOf() != null")
    page.wait_for_timeout(400)  # the slider settles on its last key
    as_of = page.evaluate("window.funnelboard.asOf()")
    page.wait_for_function(
        "expected => JSON.stringify(window.funnelboard.counts()) === JSON.stringify(expected)",
        arg=api_counts(server, board_id, as_of),
    )
    assert sum(counts(page).values()) < live_total  # the board was smaller then
    expect(page.locator("[data-readout]")).not_to_have_text("as of: now")
    expect(page.locator("body")).to_have_attribute("data-as-of", as_of)
    expect(page.locator("[data-live]")).to_be_visible()
    # The charts follow the board into the past.
    page.wait_for_function(
        "asOf => window.funnelboard.panelCharts().asOf === asOf", arg=as_of, timeout=15000
    )
    screenshot(page, "numbers-board-in-the-past")

    # No drags in the past: the card stays, the lead is not touched.
    in_new = cards_in(page, stages["New"])
    assert in_new, "the board had leads in New then"
    lead = in_new[0]
    _, before = server.api("GET", f"/api/leads/{lead}/", token=server.token())
    mouse_drag(page, center(card_rect(page, lead)), drop_point(page, stages["SQL"]))
    page.wait_for_timeout(800)
    assert lead in cards_in(page, stages["New"])
    _, after = server.api("GET", f"/api/leads/{lead}/", token=server.token())
    assert after["version"] == before["version"]
    assert after["stage"] == before["stage"]

    page.locator("[data-live]").click()
    page.wait_for_function("() => window.funnelboard.asOf() === null")
    expect(page.locator("[data-readout]")).to_have_text("as of: now")
    page.wait_for_function(
        "expected => JSON.stringify(window.funnelboard.counts()) === JSON.stringify(expected)",
        arg=api_counts(server, board_id),
    )
    expect(page.locator("body")).not_to_have_attribute("data-as-of", re.compile(".*"))


def replay_status(page: Page) -> dict:
    return page.evaluate("window.funnelboard.replayStatus()")


def test_replay_plays_the_moves_with_a_moving_date(server: Server, board_id: int, page: Page):
    wait_charts(page)
    page.wait_for_function("() => window.funnelboard.replayStatus().began != null")
    page.select_option("#tb-period", "last-quarter")
    page.locator("[data-speed='16']").click()
    page.locator("[data-replay]").click()
    page.wait_for_function(
        "() => window.funnelboard.replayStatus().phase === 'playing'", timeout=20000
    )
    assert replay_status(page)["total"] > 20

    # The date readout moves on as the moves play.
    seen = [replay_status(page)["readout"]]
    for _ in range(2):
        page.wait_for_function(
            "last => window.funnelboard.replayStatus().readout !== last", arg=seen[-1]
        )
        seen.append(replay_status(page)["readout"])
    assert len(set(seen)) == 3
    screenshot(page, "numbers-replay")

    # Pause holds the board; the speed changes while paused; Resume goes on.
    page.locator("[data-pause]").click()
    page.wait_for_function("() => window.funnelboard.replayStatus().phase === 'paused'")
    held = replay_status(page)
    page.wait_for_timeout(600)
    assert replay_status(page)["played"] == held["played"]
    page.locator("[data-speed='4']").click()
    expect(page.locator("[data-speed='4']")).to_have_attribute("aria-pressed", "true")
    page.locator("[data-pause]").click()
    page.wait_for_function(
        "played => window.funnelboard.replayStatus().played > played", arg=held["played"]
    )

    # Stop: the board stays at the moment reached, read-only, until Back to live.
    page.locator("[data-stop]").click()
    page.wait_for_function("() => window.funnelboard.replayStatus().phase === 'idle'")
    stopped_at = page.evaluate("window.funnelboard.asOf()")
    assert stopped_at is not None
    page.locator("[data-live]").click()
    page.wait_for_function("() => window.funnelboard.asOf() === null")


def test_replay_to_the_end_stays_at_the_end(server: Server, board_id: int, page: Page):
    # A short period with moves in it: five days, two months ago. (Not counted from
    # the board's first move: an imported lead may carry a creation date long before
    # the demo's six months of history.)
    start = (datetime.now(UTC) - timedelta(days=60)).date()
    end = start + timedelta(days=4)
    period_end = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    wait_charts(page)
    page.wait_for_function("() => window.funnelboard.replayStatus().began != null")
    page.select_option("#tb-period", "custom")
    page.fill("#tb-from", start.isoformat())
    page.fill("#tb-to", end.isoformat())
    page.locator("[data-speed='16']").click()
    page.locator("[data-replay]").click()
    expect(page.locator(".tb-status")).to_contain_text("Replayed", timeout=30000)
    assert replay_status(page)["phase"] == "idle"
    as_of = page.evaluate("window.funnelboard.asOf()")
    assert as_of == period_end.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    page.wait_for_function(
        "expected => JSON.stringify(window.funnelboard.counts()) === JSON.stringify(expected)",
        arg=api_counts(server, board_id, as_of),
    )
    page.locator("[data-live]").click()
    page.wait_for_function("() => window.funnelboard.asOf() === null")


def colour_pixels(image: Image.Image, colour: tuple[int, int, int]) -> int:
    rgb = image.convert("RGB")
    return sum(n for n, c in rgb.getcolors(maxcolors=1 << 24) if c == colour)


def export_png(page: Page, size: str, charts: bool) -> tuple[str, Image.Image]:
    page.locator("#export-open").click()
    dialog = page.locator("dialog.export-dialog")
    expect(dialog).to_be_visible()
    dialog.locator(f"input[name=size][value='{size}']").check()
    dialog.locator("input[name=charts]").set_checked(charts)
    with page.expect_download() as info:
        dialog.locator("[data-go]").click()
    download = info.value
    path = download.path()
    assert path is not None
    image = Image.open(io.BytesIO(path.read_bytes()))
    image.load()
    expect(dialog).to_be_hidden()
    return download.suggested_filename, image


def assert_board_drawn(image: Image.Image) -> None:
    assert image.format == "PNG"
    colours = team_colours()
    for team in ("marketing", "sales"):
        # The team strip on top of each stage header, drawn in the team's colour.
        assert colour_pixels(image, colours[team]) >= 200, f"no {team} header colour in the PNG"
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 24)) > 100  # not blank


def test_export_png_at_1x_and_4k(server: Server, board_id: int, page: Page):
    wait_charts(page)
    screen = page.evaluate(
        "(() => { const c = document.getElementById('board-canvas');"
        " return [c.clientWidth, c.clientHeight]; })()"
    )
    name, image = export_png(page, "1x", charts=False)
    assert re.fullmatch(r"q4-pipeline-\d{4}-\d{2}-\d{2}\.png", name)
    assert image.size == tuple(screen)
    assert_board_drawn(image)
    expect(page.locator(".toast")).to_contain_text(name)

    name, image = export_png(page, "4k", charts=True)
    assert image.size == (3840, 2160)
    assert_board_drawn(image)
    ARTIFACTS = ROOT / "artifacts" / "e2e"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "numbers-export-4k.png")


def test_export_dialog_downloads_the_filtered_leads_as_csv(
    server: Server, board_id: int, page: Page
):
    _, campaigns = server.api("GET", f"/api/campaigns/?board={board_id}", token=server.token())
    campaign = (campaigns["results"] if isinstance(campaigns, dict) else campaigns)[0]
    page.select_option("#f-campaign", str(campaign["id"]))
    page.wait_for_function(f"() => location.search.includes('campaign={campaign['id']}')")
    page.click("#export-open")
    with page.expect_download() as download:
        page.click("[data-csv-leads]")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, "the campaign has leads on the demo board"
    assert {row["campaign"] for row in rows} == {campaign["name"]}
    page.keyboard.press("Escape")


def test_an_empty_board_says_so(server: Server, browser: Browser):
    token = server.token("manager")
    status, board = server.api("POST", "/api/boards/", {"name": "Empty numbers"}, token=token)
    assert status == 201, board
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = open_board(log_in(context, server.url, "manager"), server.url, board["id"])
    page.wait_for_function(
        "() => window.funnelboard.panelCharts && window.funnelboard.panelCharts().draws > 0"
        " || (window.funnelboard.panelCharts && window.funnelboard.panelCharts().note)",
        timeout=20000,
    )
    expect(page.locator("#panel-charts .np-note")).to_contain_text("No leads on this board yet")
    expect(page.locator("#panel-charts [data-charts]")).to_be_hidden()
    context.close()
