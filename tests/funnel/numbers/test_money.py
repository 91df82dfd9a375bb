"""Money in the board's currency wherever the server writes it: the charts' hover
text, the snapshot's column headers, the meeting recap (its stored board carries
the currency), from one rule (``leads.currencies.money_text``)."""

from __future__ import annotations

import pytest

from funnel.numbers import charts
from funnel.numbers.recap import recap_markdown
from leads.currencies import currencies, currency_choices, currency_problem, money_text
from leads.services import board_update, lead_create
from tests.funnel.numbers.test_charts import STAGE_LIST, numbers

NBSP = "\u00a0"


def test_money_reads_as_the_browser_writes_it():
    assert money_text(1234.5) == "$1,234"  # whole units, as the board's headers
    assert money_text(1234.5, "EUR", cents=True) == "€1,234.50"
    assert money_text(1234, "JPY", cents=True) == "¥1,234"  # a yen has no cents
    assert money_text(950, "CHF") == f"CHF{NBSP}950"  # letters stand apart from digits
    assert money_text(-1200, "GBP") == "-£1,200"
    assert money_text(None, "EUR") == "n/a"


def test_the_currencies_are_the_ones_in_use():
    codes = currencies()
    assert {"USD", "EUR", "GBP", "JPY", "CHF", "SEK", "INR", "BRL"} <= codes
    assert not {"DEM", "FRF", "XAU"} & codes  # gone, or no money a team sells for
    assert all(len(code) == 3 and code.isupper() for code in codes)
    assert currency_problem("EUR") is None and currency_problem("eur") is None
    assert "not a currency code in use" in (currency_problem("EURO") or "")
    assert ("EUR", "EUR · Euro") in currency_choices()


def test_the_campaigns_chart_writes_cost_in_the_boards_currency():
    hover = charts.board_charts(numbers(), STAGE_LIST, "EUR")["campaigns"]["data"][0]["hovertext"]
    assert all(text.startswith("cost per Won: ") for text in hover)
    assert any("€" in text for text in hover)
    assert "$" not in "".join(hover)
    default = charts.board_charts(numbers(), STAGE_LIST)["campaigns"]["data"][0]["hovertext"]
    assert any("$" in text for text in default)


def test_the_recap_writes_values_in_the_boards_currency():
    stage = {"before": {"count": 1, "value": 1500.0, "conversion_to_next": None}}
    stage["after"] = {"count": 0, "value": 0.0, "conversion_to_next": None}
    recap = {
        "board": {"name": "Q4", "currency": "EUR"},
        "started_at": "2026-11-22T10:00:00Z",
        "ended_at": "2026-11-22T10:30:00Z",
        "minutes": 30.0,
        "moves_total": 0,
        "moves": [],
        "moves_truncated": False,
        "people": [],
        "stages": [{"name": "New", **stage}],
        "overall_conversion": {"before": None, "after": None},
    }
    assert "| New | 1 | 0 | -1 | €1,500 | €0 |" in recap_markdown(recap)
    del recap["board"]["currency"]  # a recap kept before boards had a currency
    assert "| New | 1 | 0 | -1 | $1,500 | $0 |" in recap_markdown(recap)


@pytest.mark.django_db
def test_a_meeting_keeps_the_boards_currency_in_its_recap(board, owner, editor, stages, api):
    board_update(board_id=board.pk, actor=owner, currency="GBP")
    started = api.post(f"/api/boards/{board.pk}/meetings/")
    assert started.status_code == 201, started.content
    lead_create(board_id=board.pk, actor=owner, name="Ada", value=2500)
    ended = api.post(f"/api/boards/{board.pk}/meetings/{started.json()['id']}/end/")
    assert ended.status_code == 200, ended.content
    assert ended.json()["recap"]["board"]["currency"] == "GBP"
    markdown = api.get(f"/api/boards/{board.pk}/meetings/{started.json()['id']}/recap.md")
    assert "£" in markdown.content.decode()
