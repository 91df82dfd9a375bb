"""A rate reads by the board's one rule everywhere the server writes it (issue 14,
item 8: the recap wrote 5.5% as 6%). The cases are the browser's too
(static/board/tests/format.test.js reads the same file)."""

from __future__ import annotations

import json

import pytest

from funnel.numbers.charts import campaigns_chart, fmt_rate, funnel_chart
from funnel.numbers.formats import percent_text
from funnel.numbers.recap import recap_markdown
from tests.server import ROOT

CASES = json.loads((ROOT / "static/board/tests/fixtures/percent.json").read_text())["cases"]


@pytest.mark.parametrize(("rate", "text"), CASES)
def test_percent_text_follows_the_board_rule(rate, text):
    assert percent_text(rate) == text


def recap(before: float | None, after: float | None) -> dict:
    def figures(rate):
        return {"count": 3, "value": 100.0, "conversion_to_next": rate}

    return {
        "board": {"name": "Q4", "currency": "EUR"},
        "started_at": "2026-11-22T10:00:00Z",
        "ended_at": "2026-11-22T10:30:00Z",
        "minutes": 30.0,
        "moves_total": 0,
        "stages": [{"name": "New", "before": figures(before), "after": figures(after)}],
        "overall_conversion": {"before": before, "after": after},
        "people": [],
        "moves": [],
        "moves_truncated": False,
    }


def test_the_recap_rounds_percentages_like_the_board():
    text = recap_markdown(recap(0.055, 0.4123))
    assert "| 5.5% | 41.2% | +35.7 pts |" in text
    assert "Overall conversion: 5.5% before, 41.2% after (+35.7 pts)." in text
    assert "6%" not in text


def test_the_recap_says_na_for_a_missing_rate_and_drops_a_trailing_zero():
    text = recap_markdown(recap(None, 0.5))
    assert "Overall conversion: n/a before, 50% after." in text


def test_the_charts_write_rates_by_the_same_rule():
    assert fmt_rate(0.055) == "5.5%"
    assert fmt_rate(None) == "n/a"
    numbers = {
        "leads": 200,
        "overall_conversion": 0.055,
        "stages": [{"id": 1, "name": "New", "kind": "open", "reached": 200}],
        "campaigns": [
            {
                "name": "Ads",
                "leads": 10,
                "reached": {},
                "cost_per_won": None,
                "cost_per_sql": 12.5,
                "mql_to_sql": 0.125,
                "cost_missing": False,
            }
        ],
    }
    assert funnel_chart(numbers, []).layout.title.text == "Funnel: 200 leads · overall 5.5%"
    hover = campaigns_chart(numbers, [], "EUR").data[0].hovertext[0]
    assert "MQL→SQL: 12.5%" in hover and "cost per SQL: €12.50" in hover
