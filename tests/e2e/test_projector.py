"""The board on a projector, in real Chromium (issue 14, item 4 and the recap's part of
item 8): "+N" opens a column's every campaign with its count and cost per SQL, a chip's
tooltip has the campaign's full name, cost per SQL and per Won show with the board's
currency in the side panel and in meeting mode, the meeting's type is >= 16 px at
1920x1080 (DOM and canvas), Won and Lost totals read across, a follower at 1366x768
sees every column (New included), and the meeting's bar is one compact row."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, open_board, screenshot
from tests.e2e.helpers import add_member, new_board
from tests.server import Server

OWNER = "marketing"
FOLLOWER = "sales"
CAMPAIGNS = 8
LONG = "Northern Europe Q4 Webinar Series for Operations Leaders"

# The "+N" chip of a column, its page rect (Konva draws it: no DOM).
MORE_RECT = """s => {
  const stage = window.Konva.stages[0];
  const node = stage.find('.chip-more').find(n => n.getAttr('stageId') === s);
  if (!node) return null;
  const r = node.getClientRect(); const c = stage.container().getBoundingClientRect();
  return {x: c.left + r.x, y: c.top + r.y, width: r.width, height: r.height};
}"""
# The smallest type the canvas draws on screen (font size times zoom), CSS pixels.
CANVAS_MIN_PX = """() => {
  const stage = window.Konva.stages[0];
  const sizes = stage.find('Text').filter(t => t.isVisible() && t.text()).map(t => t.fontSize());
  return Math.min(...sizes) * window.funnelboard.zoom();
}"""
BAR_HEIGHT = "() => document.querySelector('header.bar').getBoundingClientRect().height"
# The smallest computed font size of the figures of the meeting page (bar, panel, charts).
DOM_MIN_PX = """() => {
  const sel = ['#meeting-bar .button', '#meeting-state', '#filters select', '#panel-costs th',
    '#panel-costs td', '.np-title', '.np-plot text'];
  const sizes = [];
  for (const el of document.querySelectorAll(sel.join(','))) {
    if (!el.getClientRects().length || !el.textContent.trim()) continue;
    sizes.push(parseFloat(getComputedStyle(el).fontSize));
  }
  return {min: Math.min(...sizes), count: sizes.length};
}"""


@pytest.fixture(scope="module")
def projector_board(server: Server) -> dict:
    """A board of its own (EUR), sales an editor: eight campaigns with leads in New
    (8, 7, ... 1), each with a cost but the last; two leads of every other campaign
    in SQL, so their cost per SQL is known."""
    token = server.token(OWNER)
    name = f"Projector {uuid.uuid4().hex[:6]}"
    board = new_board(server, token, name, currency="EUR")
    add_member(server, token, board["id"], FOLLOWER, "sales")
    stages = {s["name"]: s["id"] for s in board["stages"]}
    campaigns = []
    for i in range(CAMPAIGNS):
        body = {
            "board": board["id"],
            "name": LONG if i == 0 else f"Campaign {i}",
            "cost": None if i == CAMPAIGNS - 1 else str(1000 * (i + 1)),
        }
        status, campaign = server.api("POST", "/api/campaigns/", body, token=token)
        assert status == 201, campaign
        campaigns.append(campaign)
        placed = [("New", CAMPAIGNS - i)] + ([("SQL", 2)] if i % 2 == 0 else [])
        for stage, n in placed:
            for k in range(n):
                lead = {
                    "board": board["id"],
                    "name": f"{stage} lead {i}.{k}",
                    "stage": stages[stage],
                    "campaign": campaign["id"],
                    "value": 1000,
                }
                status, made = server.api("POST", "/api/leads/", lead, token=token)
                assert status == 201, made
    return {"id": board["id"], "stages": stages, "campaigns": campaigns, "token": token}


def funnel_campaigns(server: Server, board: dict) -> dict[int, dict]:
    status, numbers = server.api("GET", f"/api/boards/{board['id']}/funnel/", token=board["token"])
    assert status == 200
    return {c["id"]: c for c in numbers["campaigns"]}


def euros(value: float | None) -> str:
    if value is None:
        return "—"
    return f"€{value:,.2f}".replace(".00", "")


def test_plus_n_lists_every_campaign_of_the_column_and_chips_tell_their_full_name(
    browser: Browser, server: Server, projector_board: dict
):
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = open_board(log_in(context, server.url, OWNER), server.url, projector_board["id"])
    new = projector_board["stages"]["New"]
    figures = funnel_campaigns(server, projector_board)
    page.wait_for_function(f"s => ({MORE_RECT})(s)", arg=new, timeout=10000)
    drawn = page.evaluate(
        "s => window.Konva.stages[0].find('.chip').filter(n => n.getAttr('stageId') === s).length",
        new,
    )
    more_label = page.evaluate(
        "s => window.Konva.stages[0].find('.chip-more').find(n => n.getAttr('stageId') === s)"
        ".findOne('Text').text()",
        new,
    )
    assert drawn < CAMPAIGNS and more_label == f"+{CAMPAIGNS - drawn}", (drawn, more_label)

    # A chip's tooltip: the full name (cut on the chip), its leads, cost per SQL in EUR.
    first = projector_board["campaigns"][0]
    rect = page.evaluate("([c, s]) => window.funnelboard.chipRect(c, s)", [first["id"], new])
    page.mouse.move(rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2)
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(LONG)
    expect(tooltip).to_contain_text(f"{CAMPAIGNS} leads in New")
    expect(tooltip).to_contain_text(f"Cost per SQL {euros(figures[first['id']]['cost_per_sql'])}")

    # "+N" opens the list: every campaign of the column, most leads first, with its
    # count and cost per SQL and per Won in the board's currency ("—" while unknown).
    more = page.evaluate(f"s => ({MORE_RECT})(s)", new)
    page.mouse.click(more["x"] + more["width"] / 2, more["y"] + more["height"] / 2)
    listed = page.locator("#campaign-list")
    expect(listed).to_be_visible()
    rows = page.evaluate("window.funnelboard.campaignList()")["rows"]
    expected = projector_board["campaigns"]
    assert [r["campaign"] for r in rows] == [c["id"] for c in expected]
    assert [r["name"] for r in rows] == [c["name"] for c in expected]
    assert [r["count"] for r in rows] == [str(CAMPAIGNS - i) for i in range(CAMPAIGNS)]
    for row in rows:
        mine = figures[row["campaign"]]
        assert row["costs"] == [euros(mine["cost_per_sql"]), euros(mine["cost_per_won"])]
    assert rows[0]["costs"][0] == "€500"  # 1,000 over the 2 leads that reached SQL
    assert rows[-1]["costs"] == ["—", "—"]  # cost missing: never 0
    screenshot(page, "projector-campaign-list")

    # A click on one filters the board to it, like the top bar's campaign filter.
    third = expected[2]
    listed.locator(f".campaign-list-item[data-campaign='{third['id']}']").click()
    expect(listed).to_have_count(0)
    page.wait_for_url(re.compile(rf"campaign={third['id']}"))
    expect(page.locator("#f-campaign")).to_have_value(str(third["id"]))
    page.wait_for_function(
        "([s, c]) => { const chips = window.funnelboard.campaignChips().filter(x => x.stage === s);"
        " return chips.length === 1 && chips[0].campaign === c; }",
        arg=[new, third["id"]],
        timeout=10000,
    )

    # The keyboard reaches the same list: a button per column (after the board).
    page.select_option("#f-campaign", "")
    button = page.locator(f".campaign-lists-open[data-stage='{new}']")
    expect(button).to_have_text(f"Campaigns in New: {CAMPAIGNS}")
    button.focus()
    page.keyboard.press("Enter")
    expect(listed).to_be_visible()
    focused = listed.locator(f".campaign-list-item[data-campaign='{expected[0]['id']}']")
    expect(focused).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(
        listed.locator(f".campaign-list-item[data-campaign='{expected[1]['id']}']")
    ).to_be_focused()
    page.keyboard.press("Escape")
    expect(listed).to_have_count(0)
    expect(button).to_be_focused()

    # The side panel shows the costs themselves, in EUR, no hover needed.
    costs = page.locator("#panel-costs")
    expect(costs).to_be_visible()
    row = costs.locator(f"tr[data-campaign='{first['id']}']")
    expect(row).to_contain_text(LONG)
    expect(row).to_contain_text("€500")
    context.close()


@pytest.fixture
def meeting_room(browser: Browser, server: Server, projector_board: dict) -> Iterator[dict]:
    """The presenter at 1920x1080, a follower at 1366x768, both in meeting mode."""
    url = f"{server.url}/boards/{projector_board['id']}/meeting/"
    sizes = {OWNER: (1920, 1080), FOLLOWER: (1366, 768)}
    contexts = {
        name: browser.new_context(viewport={"width": w, "height": h})
        for name, (w, h) in sizes.items()
    }
    pages = {}
    for name, context in contexts.items():
        page = log_in(context, server.url, name)
        page.goto(url)
        page.wait_for_selector("body[data-board-ready='1']", timeout=15000)
        page.wait_for_function(
            "() => window.funnelboard.status() === 'live'"
            " && window.funnelboard.meeting().typeFloor > 0",
            timeout=15000,
        )
        pages[name] = page
    yield pages
    for context in contexts.values():
        context.close()
    token = projector_board["token"]
    _, meetings = server.api("GET", f"/api/boards/{projector_board['id']}/meetings/", token=token)
    for item in meetings:
        if item["running"]:
            server.api(
                "POST",
                f"/api/boards/{projector_board['id']}/meetings/{item['id']}/end/",
                token=token,
            )


def test_meeting_type_reads_from_the_back_and_a_small_follower_sees_every_column(
    server: Server, projector_board: dict, meeting_room: dict
):
    presenter, follower = meeting_room[OWNER], meeting_room[FOLLOWER]
    stages = projector_board["stages"]

    # 1920x1080: the canvas draws no type under 16 px on screen, nor the page's figures.
    assert presenter.evaluate(CANVAS_MIN_PX) >= 16
    presenter.wait_for_function(
        "() => window.funnelboard.panelCharts().drawn.length >= 3", timeout=20000
    )
    dom = presenter.evaluate(DOM_MIN_PX)
    assert dom["count"] > 20 and dom["min"] >= 16, dom

    # Cost per SQL with its currency in the meeting's panel.
    first = projector_board["campaigns"][0]
    row = presenter.locator(f"#panel-costs tr[data-campaign='{first['id']}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("€500")
    box = row.bounding_box()
    assert box and box["y"] + box["height"] <= 1080, box  # on screen, no scrolling
    assert float(row.evaluate("el => getComputedStyle(el.cells[2]).fontSize").rstrip("px")) >= 16

    # Won and Lost fold, their totals read across (not rotated).
    for name in ("Won", "Lost"):
        totals = presenter.evaluate(
            """s => window.Konva.stages[0].find('.folded-count, .folded-value')
                .filter(n => n.getParent().getParent().getAttr('stageId') === s)
                .map(n => ({text: n.text(), rotation: n.getAbsoluteRotation()}))""",
            stages[name],
        )
        assert [t["rotation"] for t in totals] == [0, 0], totals
        assert totals[0]["text"] == "0" and totals[1]["text"] == "€0"

    # The meeting's controls: one compact row, far under 230 px.
    for page in (presenter, follower):
        bar = page.evaluate(BAR_HEIGHT)
        assert bar <= 80, bar
    screenshot(presenter, "projector-meeting-1920")

    # The presenter presents; the follower at 1366x768 fits the board to its own
    # width: every column shows, New's header whole in the view.
    presenter.click("#meeting-start")
    presenter.wait_for_function("() => window.funnelboard.meeting().presenting")
    expect(follower.locator("#meeting-follow-name")).to_contain_text("Following", timeout=15000)
    follower.wait_for_timeout(600)  # a heartbeat of the presenter's view
    canvas = follower.evaluate(
        "() => document.getElementById('board-canvas').getBoundingClientRect().toJSON()"
    )
    for name, stage in stages.items():
        rect = follower.evaluate("s => window.funnelboard.headerRect(s)", stage)
        assert rect["x"] >= canvas["x"] - 1, (name, rect, canvas)
        assert rect["x"] + rect["width"] <= canvas["x"] + canvas["width"] + 1, (name, rect, canvas)
    bar = follower.evaluate(BAR_HEIGHT)
    assert bar <= 80, bar
    overflow = follower.evaluate(
        "() => { const b = document.querySelector('header.bar');"
        " return b.scrollWidth - b.clientWidth; }"
    )
    assert overflow <= 1, overflow
    screenshot(follower, "projector-follower-1366")

    # Narrow, the filters wait behind "More filters"; open, they drop under the bar.
    follower.click("#meeting-more-filters")
    expect(follower.locator("#f-campaign")).to_be_visible()
    expect(follower.locator("#f-campaign")).to_be_disabled()  # the presenter's filters rule


# The smallest computed font size of the time bar's own text and of the panel's lead
# quality and lost reasons sections, with what holds it (every text node's element).
SECTIONS_MIN_PX = """() => {
  const HIDDEN = '[hidden], .visually-hidden';
  const out = {};
  for (const sel of ['#timebar', '#panel-quality', '#panel-lost']) {
    const sizes = [];
    const walk = document.createTreeWalker(document.querySelector(sel), NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const el = node.parentElement;
      const text = node.textContent.trim();
      if (!text || !el.getClientRects().length || el.closest(HIDDEN)) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      sizes.push([size, `${el.tagName}.${el.className} ${text.slice(0, 30)}`]);
    }
    sizes.sort((a, b) => a[0] - b[0]);
    out[sel] = {min: sizes.length ? sizes[0][0] : null, smallest: sizes[0], count: sizes.length};
  }
  return out;
}"""
# Anything of the time bar cut off or out of the window, and the page's sideways scroll.
TIMEBAR_FITS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('#timebar, #timebar *')) {
    const r = el.getBoundingClientRect();
    if (!r.width || el.closest('[hidden], .visually-hidden')) continue;
    if (el.matches('input, select, option')) continue;
    const style = getComputedStyle(el);
    const ellipsis = style.textOverflow === 'ellipsis' && el.title === el.textContent;
    const name = el.className;
    if (el.scrollWidth > el.clientWidth + 1 && !ellipsis) {
      out.push(`${name} ${el.scrollWidth}>${el.clientWidth}`);
    }
    const outside = r.right > window.innerWidth + 1 || r.left < -1;
    if (outside) out.push(`${name} at ${r.left}..${r.right}`);
  }
  const doc = document.documentElement;
  return {cut: out, pageScroll: doc.scrollWidth - doc.clientWidth};
}"""


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"])
def test_meeting_time_bar_lead_quality_and_lost_reasons_read_at_16_px(
    browser: Browser, server: Server, size: tuple[int, int]
):
    """A board of its own with a verdict and a lost deal, so both sections have
    their figures: in meeting mode every text of the time bar, the lead quality and
    the lost reasons is >= 16 px; at 1366x768 the time bar still fits."""
    token = server.token(OWNER)
    status, board = server.api(
        "POST", "/api/boards/", {"name": f"Sections {uuid.uuid4().hex[:6]}"}, token=token
    )
    assert status == 201, board
    stages = {s["name"]: s["id"] for s in board["stages"]}
    status, campaign = server.api(
        "POST",
        "/api/campaigns/",
        {"board": board["id"], "name": "Webinar", "cost": "900"},
        token=token,
    )
    assert status == 201, campaign
    made = {}
    for name, stage in (("Judged", "SQL"), ("Gone", "Lost")):
        body = {
            "board": board["id"],
            "name": name,
            "stage": stages[stage],
            "campaign": campaign["id"],
        }
        status, made[name] = server.api("POST", "/api/leads/", body, token=token)
        assert status == 201, made[name]
    status, verdict = server.api(
        "POST",
        f"/api/leads/{made['Judged']['id']}/feedback/",
        {"verdict": "rejected", "reason": "No budget", "useless_fields": []},
        token=token,
    )
    assert status in (200, 201), verdict

    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = log_in(context, server.url, OWNER)
    page.goto(f"{server.url}/boards/{board['id']}/meeting/")
    page.wait_for_selector("body[data-board-ready='1']", timeout=15000)
    page.wait_for_function("() => window.funnelboard.meeting().typeFloor > 0", timeout=15000)
    expect(page.locator("#panel-quality .quality-rate")).to_have_text("0% accepted", timeout=15000)
    expect(page.locator("#panel-lost .lost-row")).to_have_count(1, timeout=15000)
    expect(page.locator("#timebar [data-replay]")).to_be_visible()

    sections = page.evaluate(SECTIONS_MIN_PX)
    for sel, found in sections.items():
        assert found["count"] >= 3, (sel, found)
        assert found["min"] >= 16, (sel, found)
    fits = page.evaluate(TIMEBAR_FITS)
    assert fits["cut"] == [] and fits["pageScroll"] <= 0, fits
    timebar = page.evaluate("() => document.getElementById('timebar').offsetHeight")
    assert timebar <= (110 if size[0] < 1500 else 60), timebar  # 1920: one row; 1366: two at most
    screenshot(page, f"projector-sections-{size[0]}")
    context.close()
    server.api("DELETE", f"/api/boards/{board['id']}/", token=token)
