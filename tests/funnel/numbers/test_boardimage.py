"""The whole-board image: one set of rules (funnel.numbers.boardimage) that the
browser's 4K export (static/board/canvas/exportlayout.js, panels/export.js) and the
server's snapshot both follow. The browser's modules run here on the same boards:
the same columns, cards per column, "+N more", header figures and stamp."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from funnel.management.commands.event_contract import contract_module
from funnel.numbers import boardimage
from tests.node import run_node

BROWSER = Path(__file__).with_name("boardimage_js.mjs")

DEMO = [{"count": 415}, {"count": 40}, {"count": 12}, {"count": 3}, {"count": 0}, {"count": 57}]
LAYOUTS = [
    {"width": 3840, "height": 2160, "columns": DEMO},
    {"width": 3840, "height": 2160, "columns": DEMO, "boardWidth": 2720},
    {"width": 1600, "height": 900, "columns": DEMO},
    {"width": 1200, "height": 700, "columns": [{"count": 30, "available": 4}, {"count": 2}]},
    {"width": 200, "height": 200, "columns": [{"count": 5}]},
    {"width": 3840, "height": 2160, "columns": [{"count": n} for n in range(12)]},
    {"width": 1920, "height": 1080, "columns": []},
]
FIGURES = [
    {"name": "New", "kind": "open", "count": 415, "value": 1234567, "currency": "EUR",
     "overdue": 398, "conversion": 0.4123, "nextName": "MQL", "wip_limit": None},
    {"name": "SQL", "kind": "open", "count": 7, "value": 950, "currency": "CHF", "overdue": 0,
     "conversion": 0.004, "nextName": "Won", "wip_limit": 3},
    {"name": "Won", "kind": "won", "count": 1, "value": 99960, "currency": "USD", "overdue": 2,
     "conversion": 0.5, "nextName": "Lost", "wip_limit": None},
    {"name": "Lost", "kind": "lost", "count": 1234, "value": -1500, "currency": "GBP",
     "overdue": 0, "conversion": None, "nextName": None, "wip_limit": None},
    {"name": "Demo", "kind": "open", "count": 0, "value": 0, "currency": "JPY", "overdue": 0,
     "conversion": 0.055, "nextName": "Next", "wip_limit": None},
]  # fmt: skip
MONEY = [
    [value, currency]
    for currency in ("USD", "EUR", "CHF", "JPY", "GBP", "SEK")
    for value in (0, 5, 950, 999.6, 1000, 1049, 1050, 1234, 12345, 99960, 123456, 999999,
                  1234567, -1500, 1e9, 1e12, 2.5e15)
]  # fmt: skip
PERCENTS = [0, 0.004, 0.0055, 0.05, 0.055, 0.125, 0.4123, 0.995, 1]
FILTERS = [
    {"campaign": [], "owner": None, "team": "", "score_min": None, "score_max": None, "q": ""},
    {"campaign": [3, 4], "owner": 7, "team": "sales", "score_min": 40, "score_max": None,
     "q": "acme"},
    {"campaign": [3], "owner": None, "team": "", "score_min": None, "score_max": 50, "q": ""},
    {"campaign": [], "owner": None, "team": "management", "score_min": None, "score_max": None,
     "q": ""},
]  # fmt: skip
STAMPS = [
    {"boardName": "Q4 Pipeline", "filtersText": "All leads", "asOf": None,
     "exportedAt": "2026-11-22T17:40:12Z"},
    {"boardName": "Q4", "filtersText": "Team: Sales", "asOf": "2026-07-05T23:59:59.999Z",
     "exportedAt": "2026-09-03T08:05:00Z"},
    {"boardName": "", "filtersText": "Score 0\u201350", "asOf": "2026-09-03T14:05:00Z",
     "exportedAt": "2026-01-01T00:00:00Z"},
]  # fmt: skip


def moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def browser():
    return run_node(
        BROWSER,
        {
            "layouts": LAYOUTS,
            "figures": FIGURES,
            "more": [1, 12, 1234],
            "money": MONEY,
            "percents": PERCENTS,
            "filters": FILTERS,
            "stamps": STAMPS,
        },
    )


def test_the_browser_reads_the_servers_rules(browser):
    assert browser["rules"] == boardimage.RULES
    assert "export const EXPORT_RULES = " in contract_module()


def test_the_same_layout_columns_cards_and_more(browser):
    for case, theirs in zip(LAYOUTS, browser["layouts"], strict=True):
        ours = boardimage.whole_board_layout(
            case["width"], case["height"], case["columns"], board_width=case.get("boardWidth")
        )
        assert ours["columns"] == theirs["columns"], case
        for key in ("band", "top", "headerH", "listTop", "bottom", "cardH", "cardGap", "moreH",
                    "fit", "fitWithMore", "nameFont", "detailFont"):  # fmt: skip
            assert ours[key] == theirs[key], (key, case)
        assert ours["scale"] == pytest.approx(theirs["scale"])


def test_the_same_header_figures(browser):
    for col, theirs in zip(FIGURES, browser["figures"], strict=True):
        ours = boardimage.column_figures(
            col, conversion=col["conversion"], next_name=col["nextName"], currency=col["currency"]
        )
        assert ours == theirs
    assert [boardimage.more_text(n) for n in (1, 12, 1234)] == browser["more"]


def test_money_and_percentages_read_alike(browser):
    ours = [boardimage.money_compact(value, currency) for value, currency in MONEY]
    assert ours == browser["money"]
    assert [boardimage.percent_text(rate) for rate in PERCENTS] == browser["percents"]


def test_the_same_stamp(browser):
    names = {"campaign_name": lambda pk: f"campaign {pk}", "person_name": lambda pk: f"user {pk}"}
    assert [boardimage.describe_filters(f, **names) for f in FILTERS] == browser["filters"]
    for stamp, theirs in zip(STAMPS, browser["stamps"], strict=True):
        ours = boardimage.stamp_text(
            board_name=stamp["boardName"],
            filters_text=stamp["filtersText"],
            as_of=moment(stamp["asOf"]),
            exported_at=moment(stamp["exportedAt"]) or datetime.now(UTC),
        )
        assert ours == theirs


def test_every_column_and_the_cards_that_fit_legibly():
    layout = boardimage.whole_board_layout(3840, 2160, DEMO)
    assert len(layout["columns"]) == len(DEMO)
    assert layout["cardH"] >= boardimage.RULES["minCardPx"]
    fit, with_more = layout["fit"], layout["fitWithMore"]
    assert fit >= 20
    shown = [(c["shown"], c["more"]) for c in layout["columns"]]
    assert shown == [(with_more, 415 - with_more), (with_more, 40 - with_more), (12, 0), (3, 0),
                     (0, 0), (with_more, 57 - with_more)]  # fmt: skip
    # A tiny image: fewer cards, none smaller than legible.
    small = boardimage.whole_board_layout(400, 300, DEMO)
    assert small["cardH"] == boardimage.RULES["minCardPx"] and small["fit"] < fit


def test_filters_from_a_query():
    from django.http import QueryDict

    params = QueryDict("campaign=3,4&campaign=4&owner=7&team=sales&score_min=40&q=%20acme%20")
    assert boardimage.filters_from_params(params) == {
        "campaign": [3, 4], "owner": 7, "team": "sales", "score_min": 40, "score_max": None,
        "q": "acme",
    }  # fmt: skip
    assert boardimage.filters_from_params(QueryDict("team=pirates&owner=x"))["team"] == ""
