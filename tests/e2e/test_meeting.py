"""Meeting mode in real Chromium: the presenter drives, a follower follows; a share
link opens the meeting without an account and stops at once when revoked; End
meeting shows the recap, downloadable as Markdown and PNG."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, log_in, screenshot
from tests.server import Server

PRESENTER = "manager"  # Morgan Lee, the demo board's owner
FOLLOWER = "sales"


def open_meeting(page: Page, url: str) -> Page:
    page.goto(url)
    page.wait_for_selector("body[data-board-ready='1']", timeout=15000)
    page.wait_for_function(
        "() => window.funnelboard && window.funnelboard.status() === 'live'", timeout=15000
    )
    return page


def meeting(page: Page) -> dict:
    return page.evaluate("window.funnelboard.meeting()")


def stage_ids(server: Server, board_id: int) -> dict[str, int]:
    status, body = server.api("GET", f"/api/boards/{board_id}/", token=server.token())
    assert status == 200
    return {stage["name"]: stage["id"] for stage in body["stages"]}


def end_running_meeting(server: Server, board_id: int) -> None:
    """Leave the shared demo board as other tests expect it: no meeting running."""
    token = server.token(PRESENTER)
    _, meetings = server.api("GET", f"/api/boards/{board_id}/meetings/", token=token)
    for item in meetings:
        if item["running"]:
            server.api("POST", f"/api/boards/{board_id}/meetings/{item['id']}/end/", token=token)


@pytest.fixture
def room(browser: Browser, server: Server, board_id: int) -> Iterator[dict[str, Page]]:
    """The presenter and a follower, each signed in, both in meeting mode."""
    end_running_meeting(server, board_id)
    contexts = {
        name: browser.new_context(viewport={"width": 1600, "height": 900})
        for name in (PRESENTER, FOLLOWER)
    }
    meeting_url = f"{server.url}/boards/{board_id}/meeting/"
    pages = {
        name: open_meeting(log_in(context, server.url, name), meeting_url)
        for name, context in contexts.items()
    }
    yield pages
    for context in contexts.values():
        context.close()
    end_running_meeting(server, board_id)


def test_follower_follows_the_presenter_and_everyone_gets_the_recap(
    server: Server, board_id: int, room: dict[str, Page]
):
    presenter, follower = room[PRESENTER], room[FOLLOWER]
    stages = stage_ids(server, board_id)
    token = server.token(PRESENTER)
    assert meeting(presenter)["base"] >= 1

    presenter.click("#meeting-start")
    presenter.wait_for_function("() => window.funnelboard.meeting().presenting")
    expect(follower.locator("#meeting-follow-name")).to_have_text("Following Morgan Lee")
    expect(follower.locator("#meeting-state")).to_contain_text("Meeting since")

    # The campaign with the most leads in New: the presenter filters on it.
    _, state = server.api("GET", f"/api/boards/{board_id}/state/?per_stage=1", token=token)
    campaign = max(
        state["campaigns"], key=lambda c: c["stages"].get(str(stages["New"]), {}).get("count", 0)
    )
    presenter.select_option("#f-campaign", str(campaign["id"]))

    expect(follower.locator("#f-campaign")).to_have_value(str(campaign["id"]))
    expect(follower.locator("#f-campaign")).to_be_disabled()  # the presenter's filters rule
    _, filtered = server.api(
        "GET", f"/api/boards/{board_id}/state/?per_stage=50&campaign={campaign['id']}", token=token
    )
    expected = {
        stage["id"]: [card["id"] for card in stage["leads"]] for stage in filtered["stages"]
    }
    shows_expected = """expected => Object.entries(expected).every(([stage, ids]) =>
        JSON.stringify(window.funnelboard.cardsIn(Number(stage))) === JSON.stringify(ids))"""
    for page in (presenter, follower):
        page.wait_for_function(shows_expected, arg=expected, timeout=10000)
    assert expected[stages["New"]], "the campaign has leads in New"

    # Zoom follows too, relative to each window's meeting scale.
    presenter.click("#zoom-in")
    relative = "window.funnelboard.zoom() / window.funnelboard.meeting().base"
    wanted = presenter.evaluate(relative)
    follower.wait_for_function(f"() => Math.abs({relative} - {wanted}) < 0.01", timeout=10000)
    screenshot(follower, "meeting-follower")

    # A move made during the meeting.
    moving = expected[stages["New"]][0]
    status, moved = server.api(
        "POST", f"/api/leads/{moving}/move/", {"to_stage": stages["MQL"]}, token=token
    )
    assert status == 200
    follower.wait_for_function(
        "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)",
        arg=[moving, stages["MQL"]],
        timeout=10000,
    )

    presenter.click("#meeting-end")
    presenter.locator("dialog#confirm [data-confirm]").click()
    for page in (presenter, follower):
        recap = page.locator("dialog#meeting-recap")
        expect(recap).to_be_visible(timeout=10000)
        expect(recap).to_contain_text(moved["lead"]["name"])
        expect(recap).to_contain_text("Morgan Lee")
    expect(presenter.locator("#meeting-state")).to_have_text("No meeting running")
    screenshot(presenter, "meeting-recap")

    with presenter.expect_download() as download:
        presenter.click("dialog#meeting-recap [data-markdown]")
    markdown = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.startswith("meeting-recap-")
    assert markdown.startswith("# Meeting recap: Q4 Pipeline")
    assert f"| {moved['lead']['name']} | New | MQL | Morgan Lee |" in markdown
    with presenter.expect_download() as picture:
        presenter.click("dialog#meeting-recap [data-png]")
    assert picture.value.suggested_filename.endswith(".png")
    assert Path(picture.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    picture.value.save_as(ARTIFACTS / "meeting-recap-download.png")
    download.value.save_as(ARTIFACTS / "meeting-recap-download.md")


def test_share_link_opens_the_meeting_and_revoking_closes_it(
    browser: Browser, server: Server, board_id: int, room: dict[str, Page]
):
    presenter = room[PRESENTER]
    presenter.click("#meeting-share")
    links = presenter.locator("dialog#meeting-links")
    expect(links).to_be_visible()
    links.locator("[data-create]").click()
    link_url = links.locator("#meeting-link-url")
    prefix = f"{server.url}/boards/{board_id}/meeting/?share="
    expect(link_url).to_have_value(re.compile(rf"^{re.escape(prefix)}[\w-]{{32,}}$"))
    expect(links.locator("[data-copy]")).to_be_visible()  # the URL is shown once, to copy
    url = link_url.input_value()
    token = url.removeprefix(prefix)
    # The list names the new link (who, when, state) but never its token.
    fresh = links.locator(".meeting-link[data-fresh]")
    expect(fresh).to_contain_text("Made")
    expect(fresh).to_contain_text("Morgan Lee")
    expect(fresh).to_contain_text("active")
    expect(links.locator("#meeting-link-list")).not_to_contain_text(token)
    _, listed = server.api(
        "GET", f"/api/boards/{board_id}/share-links/", token=server.token(PRESENTER)
    )
    assert listed[0]["id"] == int(fresh.get_attribute("data-link"))
    assert all("token" not in link and "url" not in link for link in listed)

    outsider = browser.new_context(viewport={"width": 1600, "height": 900})
    try:
        guest = open_meeting(outsider.new_page(), url)
        assert "page-guest" in guest.evaluate("document.body.className")
        assert guest.evaluate("Object.values(window.funnelboard.counts()).some((n) => n > 0)")
        expect(guest.locator("#meeting-start")).to_be_hidden()
        expect(guest.locator("#meeting-share")).to_be_hidden()
        screenshot(guest, "meeting-guest")

        fresh.locator("[data-revoke]").click()

        ended = guest.locator("#meeting-ended")
        expect(ended).to_be_visible(timeout=5000)
        expect(ended).to_contain_text("This share link was revoked")
        status = guest.evaluate(
            """([board, token]) => fetch(`/api/boards/${board}/state/`,
                 {headers: {'X-Share-Token': token}}).then((r) => r.status)""",
            [board_id, token],
        )
        assert status == 403
        guest.reload()
        expect(guest.locator("h1")).to_have_text("This share link was revoked")
    finally:
        outsider.close()
    expect(links.locator(f".meeting-link[data-link='{listed[0]['id']}']")).to_contain_text(
        "revoked"
    )
    # Closed and opened again, the dialog no longer shows the link's URL.
    links.locator("[data-close]").click()
    presenter.click("#meeting-share")
    expect(links).to_be_visible()
    expect(link_url).to_be_hidden()
    assert link_url.input_value() == ""


def test_a_guest_view_stays_live_through_single_use_tickets(
    browser: Browser, server: Server, board_id: int
):
    """The guest's socket never carries the link's token: before each (re)connect the
    page trades it (a header) for a single-use ticket and opens ?ticket=."""
    token = server.token(PRESENTER)
    status, link = server.api("POST", f"/api/boards/{board_id}/share-links/", {}, token=token)
    assert status == 201
    share = link["token"]
    outsider = browser.new_context(viewport={"width": 1600, "height": 900})
    opened: list[str] = []
    routes: list = []

    def relay(ws) -> None:  # the page's socket, passed through to the server
        opened.append(ws.url)
        routes.append((ws, ws.connect_to_server()))

    try:
        page = outsider.new_page()
        page.route_web_socket(re.compile(r"/ws/boards/"), relay)
        guest = open_meeting(page, f"{server.url}/boards/{board_id}/meeting/?share={share}")
        assert len(opened) == 1
        assert "?ticket=" in opened[0] and share not in opened[0]

        stages = stage_ids(server, board_id)
        _, state = server.api("GET", f"/api/boards/{board_id}/state/?per_stage=5", token=token)
        new = next(s for s in state["stages"] if s["id"] == stages["New"])
        first, second = new["leads"][0]["id"], new["leads"][1]["id"]
        shows = "([lead, stage]) => window.funnelboard.cardsIn(stage).includes(lead)"
        assert server.api("POST", f"/api/leads/{first}/move/", {"to_stage": stages["MQL"]},
                          token=token)[0] == 200  # fmt: skip
        guest.wait_for_function(shows, arg=[first, stages["MQL"]], timeout=10000)

        # The link drops (a proxy restart, a flaky network): the page comes back
        # with a fresh ticket, and is live again.
        page_side, server_side = routes[-1]
        page_side.close(code=4000, reason="dropped")
        server_side.close()
        guest.wait_for_function("() => window.funnelboard.status() !== 'live'", timeout=5000)
        guest.wait_for_function("() => window.funnelboard.status() === 'live'", timeout=15000)
        assert len(opened) == 2 and opened[1] != opened[0]
        assert all("?ticket=" in url and share not in url for url in opened)
        assert server.api("POST", f"/api/leads/{second}/move/", {"to_stage": stages["MQL"]},
                          token=token)[0] == 200  # fmt: skip
        guest.wait_for_function(shows, arg=[second, stages["MQL"]], timeout=10000)
    finally:
        outsider.close()
        server.api("DELETE", f"/api/boards/{board_id}/share-links/{share}/", token=token)
