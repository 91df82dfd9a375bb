"""The mode is always in view, in real Chromium: the top bar's pill reads "Live" only
on the live board; a past date reads "As of 3 Nov 2026"; a replay reads "Replaying
3 Nov", moving with it, and the side panel's numbers are asked for (and drawn at)
the replay's moments. At 1366x768 and 1920x1080 nothing in the top bar or the time
bar wraps or is cut off, and the page never scrolls sideways.

Time travel only reads: the shared demo board is left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.server import Server

VIEWPORTS = [(1366, 768), (1920, 1080)]

# Every visible element of the top bar and the time bar that cuts its content
# off, and every button taller than one line. Empty lists: it fits.
LAYOUT = """() => {
  const out = { overflow: [], wrapped: [], pageScroll: null };
  // Lines of text: the distinct line boxes of its text nodes (centred icons do not count).
  const lines = (el) => {
    const tops = new Set();
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.bottom));
    }
    return tops.size;
  };
  const boxes = [...document.querySelectorAll('.bar, .bar *, #timebar, #timebar *, .np-moment')];
  for (const el of boxes) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('[hidden], .visually-hidden')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    if (el.matches('input, select, option')) continue;
    const text = el.textContent.trim();
    const name = `${el.tagName}#${el.id}.${el.className} "${text.slice(0, 40)}"`;
    // Cut off: content wider than the box. A deliberate ellipsis carries its whole
    // text in its title.
    const ellipsis = style.textOverflow === 'ellipsis' && el.title === el.textContent;
    if (el.scrollWidth > el.clientWidth + 1 && !ellipsis) {
      out.overflow.push(`${name} ${el.scrollWidth}>${el.clientWidth}`);
    }
    if (r.right > window.innerWidth + 1 || r.left < -1) {
      out.overflow.push(`${name} at ${r.left}..${r.right}`);
    }
    const oneLine = 'button, .ws-status, output, label, .tb-edge, .np-moment';
    if (el.matches(oneLine) && text && lines(el) > 1) out.wrapped.push(`${name} ${lines(el)}`);
  }
  const doc = document.documentElement;
  out.pageScroll = doc.scrollWidth - doc.clientWidth;
  return out;
}"""


def pill(page: Page) -> dict:
    return page.evaluate("() => window.funnelboard.modePill()")


@pytest.fixture
def board_page(browser: Browser, server: Server, board_id: int, request) -> Iterator[Page]:
    width, height = getattr(request, "param", (1600, 900))
    context = browser.new_context(viewport={"width": width, "height": height})
    page = open_board(log_in(context, server.url, "marketing"), server.url, board_id)
    page.wait_for_function("() => window.funnelboard.replayStatus().began != null")
    yield page
    context.close()


def go_back_days(page: Page, days: int) -> str:
    """The slider moved ``days`` days back from live, by keyboard; the moment shown."""
    slider = page.locator("#tb-slider")
    slider.focus()
    page.keyboard.press("End")
    for _ in range(days):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => window.funnelboard.asOf() != null")
    page.wait_for_timeout(500)  # the slider settles on its last key
    return page.evaluate("() => window.funnelboard.asOf()")


def day(moment: str, year: bool = True) -> str:
    """The board's date words for a moment: "3 Nov 2026" (UTC)."""
    at = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)
    text = f"{at.day} {at.strftime('%b')}"
    return f"{text} {at.year}" if year else text


def start_replay(page: Page) -> str:
    """Replay the last quarter at 1x; the moment it starts from."""
    page.select_option("#tb-period", "last-quarter")
    page.locator("[data-speed='1']").click()
    page.locator("[data-replay]").click()
    page.wait_for_function(
        "() => window.funnelboard.replayStatus().phase === 'playing'", timeout=20000
    )
    return page.evaluate("() => window.funnelboard.asOf()")


def assert_fits(page: Page, name: str) -> None:
    layout = page.evaluate(LAYOUT)
    screenshot(page, name)
    assert layout["overflow"] == [], layout
    assert layout["wrapped"] == [], layout
    assert layout["pageScroll"] <= 0, layout
    live = page.locator("[data-live]")
    if live.is_visible():
        box = live.bounding_box()
        assert box and box["height"] <= 34, box  # "Back to live" on one line
        assert page.evaluate(
            "() => { const b = document.querySelector('[data-live]'); "
            "return b.scrollWidth <= b.clientWidth && b.getClientRects().length === 1; }"
        )
    readout = page.locator("[data-readout]")
    assert page.evaluate(
        "() => { const o = document.querySelector('[data-readout]'); "
        "return o.scrollWidth <= o.clientWidth; }"
    ), readout.text_content()


def test_the_pill_reads_live_then_the_past_then_live(board_page: Page) -> None:
    page = board_page
    assert pill(page) == {"mode": "live", "text": "Live"}
    as_of = go_back_days(page, 5)
    expect(page.locator("#ws-status")).to_have_text(f"As of {day(as_of)}")
    assert pill(page)["mode"] == "past"
    expect(page.locator("#ws-status")).not_to_have_text("Live")
    assert "Live" not in page.locator("#ws-status").text_content()
    # The panel says the same moment.
    page.wait_for_function(
        "asOf => window.funnelboard.panelCharts().asOf === asOf", arg=as_of, timeout=15000
    )
    expect(page.locator("[data-moment]")).to_have_text(f"as of {day(as_of)}")
    page.locator("[data-live]").click()
    page.wait_for_function("() => window.funnelboard.asOf() === null")
    expect(page.locator("#ws-status")).to_have_text("Live")
    assert pill(page) == {"mode": "live", "text": "Live"}


def test_replay_reads_replaying_the_day_and_the_panel_follows(board_page: Page) -> None:
    page = board_page
    asked: list[str] = []

    def charts_request(request) -> None:
        if "/charts/" in request.url:
            asked.append(parse_qs(urlparse(request.url).query).get("as_of", [""])[0])

    page.on("request", charts_request)
    start = start_replay(page)

    # The pill names the replay's day and moves with it.
    seen = []
    for _ in range(2):
        page.wait_for_function(
            "last => window.funnelboard.modePill().text !== last",
            arg=seen[-1] if seen else "",
            timeout=30000,
        )
        now = page.evaluate("() => [window.funnelboard.modePill(), window.funnelboard.asOf()]")
        shown, as_of = now
        assert shown == {"mode": "replay", "text": f"Replaying {day(as_of, year=False)}"}
        seen.append(shown["text"])
    assert len(set(seen)) == 2
    assert page.locator("#ws-status").text_content().strip().startswith("Replaying ")

    # The panel's numbers are asked for and drawn at the replay's moments, not its start.
    page.wait_for_function(
        "start => { const p = window.funnelboard.panelCharts(); return p.asOf && p.asOf > start; }",
        arg=start,
        timeout=20000,
    )
    drawn = page.evaluate("() => window.funnelboard.panelCharts().asOf")
    assert drawn in asked
    assert any(a and a > start for a in asked)
    assert page.locator("[data-moment]").text_content().startswith("as of ")
    screenshot(page, "mode-replaying")

    page.locator("[data-pause]").click()
    page.wait_for_function("() => window.funnelboard.modePill().text.startsWith('Replay paused')")
    page.locator("[data-stop]").click()
    page.wait_for_function("() => window.funnelboard.replayStatus().phase === 'idle'")
    stopped = page.evaluate("() => window.funnelboard.asOf()")
    assert pill(page) == {
        "mode": "past",
        "text": f"As of {page.locator('[data-readout] strong').text_content()}",
    }
    assert stopped
    page.locator("[data-live]").click()
    page.wait_for_function("() => window.funnelboard.modePill().text === 'Live'")


@pytest.mark.parametrize("board_page", VIEWPORTS, indirect=True, ids=["1366x768", "1920x1080"])
def test_the_bars_fit_live_in_the_past_and_in_a_replay(board_page: Page) -> None:
    page = board_page
    size = page.viewport_size
    label = f"{size['width']}x{size['height']}"
    assert_fits(page, f"mode-live-{label}")
    go_back_days(page, 3)
    expect(page.locator("[data-live]")).to_be_visible()
    assert_fits(page, f"mode-past-{label}")
    page.select_option("#tb-period", "custom")
    expect(page.locator("#tb-from")).to_be_visible()
    assert_fits(page, f"mode-custom-{label}")
    page.select_option("#tb-period", "last-quarter")
    page.locator("[data-speed='1']").click()
    page.locator("[data-replay]").click()
    page.wait_for_function(
        "() => window.funnelboard.replayStatus().phase === 'playing'", timeout=20000
    )
    page.wait_for_timeout(800)
    assert_fits(page, f"mode-replay-{label}")
    page.locator("[data-stop]").click()


def test_the_headers_and_the_panel_sections_follow_the_past_and_a_replay(board_page: Page) -> None:
    """The column headers' funnel figures, the lead quality and the lost reasons are
    asked for at the moment shown (``as_of``) and drawn for it: a past date, then a
    replay's moments, not its start; back to live, live again."""
    page = board_page
    asked: dict[str, list[str]] = {"funnel": [], "quality": []}

    def on_request(request) -> None:
        query = parse_qs(urlparse(request.url).query)
        if "/funnel/" in request.url:
            asked["funnel"].append(query.get("as_of", [""])[0])
        elif "/lead-quality/" in request.url:
            asked["quality"].append(query.get("as_of", [""])[0])

    page.on("request", on_request)
    page.wait_for_function("() => window.funnelboard.headerFigures().shown", timeout=15000)
    assert page.evaluate("() => window.funnelboard.headerFigures().asOf") is None
    live = page.evaluate("() => window.funnelboard.headerFigures().stages")

    as_of = go_back_days(page, 20)
    page.wait_for_function(
        "asOf => window.funnelboard.headerFigures().asOf === asOf", arg=as_of, timeout=15000
    )
    assert as_of in asked["funnel"]
    then = page.evaluate("() => window.funnelboard.headerFigures().stages")
    assert [s["id"] for s in then] == [s["id"] for s in live]
    # The sections say the moment they count to, and asked for it.
    for section in ("#panel-quality", "#panel-lost"):
        expect(page.locator(f"{section} [data-section-moment]")).to_have_text(
            f"as of {day(as_of)}", timeout=15000
        )
    assert as_of in asked["quality"]
    assert sum(1 for a in asked["funnel"] if a == as_of) >= 2  # the headers' and the lost reasons'

    start = start_replay(page)
    # While it plays, the headers' figures move on with it.
    page.wait_for_function(
        "start => { const f = window.funnelboard.headerFigures();"
        " return f.asOf && f.asOf > start; }",
        arg=start,
        timeout=20000,
    )
    assert page.evaluate("() => window.funnelboard.replayStatus().phase") == "playing"
    drawn = page.evaluate("() => window.funnelboard.headerFigures().asOf")
    assert drawn in asked["funnel"]
    page.wait_for_function(
        "start => { const m = document.querySelector('#panel-lost [data-section-moment]');"
        " return !m.hidden && m.textContent !== 'as of ' + start; }",
        arg=day(start),
        timeout=20000,
    )
    assert any(a and a > start for a in asked["quality"])
    screenshot(page, "mode-replay-headers")
    page.locator("[data-stop]").click()
    page.wait_for_function("() => window.funnelboard.replayStatus().phase === 'idle'")

    page.locator("[data-live]").click()
    page.wait_for_function("() => window.funnelboard.asOf() === null")
    page.wait_for_function(
        "() => { const f = window.funnelboard.headerFigures();"
        " return f.shown && f.asOf === null; }",
        timeout=15000,
    )
    for section in ("#panel-quality", "#panel-lost"):
        expect(page.locator(f"{section} [data-section-moment]")).to_be_hidden(timeout=15000)
