"""Charts: plotly figure dicts built from the analytics answer."""

from __future__ import annotations

import json

import plotly.graph_objects as go

from funnel.numbers import charts
from funnel.numbers.analytics import board_numbers
from tests.funnel.numbers.test_analytics import MQL, NEW, NOW, PATHS, STAGES, WON, frames
from tests.funnel.numbers.test_analytics_more import CAMPAIGN_OF, CAMPAIGNS, feedback

STAGE_LIST = [
    {"id": int(row.id), "name": row.name, "kind": row.kind, "color": color}
    for row, color in zip(
        STAGES.itertuples(),
        ["#7c3aed", "#7c3aed", "#0ea5e9", "#0ea5e9", "#16a34a", "#94a3b8"],
        strict=True,
    )
]


def numbers():
    leads, transitions = frames(PATHS, campaign_of=CAMPAIGN_OF)
    return board_numbers(
        stages=STAGES,
        leads=leads,
        transitions=transitions,
        campaigns=CAMPAIGNS,
        feedback=feedback([]),
        now=NOW,
    )


def test_every_chart_is_a_json_plotly_figure():
    figures = charts.board_charts(numbers(), STAGE_LIST)
    assert set(figures) == {"funnel", "time_in_stage", "campaigns", "cohorts"}
    for figure in figures.values():
        json.dumps(figure)  # plain JSON
        go.Figure(figure)  # and a valid plotly figure


def test_funnel_chart_shows_reach_of_the_funnel_stages():
    (trace,) = charts.board_charts(numbers(), STAGE_LIST)["funnel"]["data"]
    assert trace["type"] == "funnel"
    assert trace["y"] == ["New", "MQL", "SQL", "Opportunity", "Won"]
    assert trace["x"] == [5, 3, 3, 1, 1]
    assert trace["marker"]["color"][-1] == "#16a34a"


def test_time_in_stage_has_both_times_labelled():
    """ "Left after" (finished visits) and "here now" (leads still in the stage), each
    named so a reader cannot take one for the other."""
    answer = numbers()
    median, p90, now = charts.board_charts(answer, STAGE_LIST)["time_in_stage"]["data"]
    assert [median["name"], p90["name"], now["name"]] == [
        "Left after (median)",
        "Left after (p90)",
        "Here now (median age)",
    ]
    assert median["x"] == now["x"] == ["New", "MQL", "SQL", "Opportunity"]
    assert median["y"][:3] == [2.0, 2.5, 4.0] and p90["y"][2] == 4.8
    open_stages = [s for s in answer["stages"] if s["kind"] == "open"]
    assert now["y"] == [s["current_median_age_days"] for s in open_stages]
    assert any(v is not None for v in now["y"])


def test_campaigns_and_cohort_heat_map():
    figures = charts.board_charts(numbers(), STAGE_LIST)
    leads, won = figures["campaigns"]["data"]
    assert leads["x"] == ["Ads", "Webinar"] and leads["y"] == [2, 3] and won["y"] == [1, 0]
    (heat,) = figures["cohorts"]["data"]
    assert heat["type"] == "heatmap"
    assert heat["x"][0] == "New" and heat["y"][0].startswith("2025-12-29")
    first_week = dict(zip(heat["x"], heat["z"][0], strict=True))
    assert first_week["New"] == 1.0 and first_week["MQL"] == 0.75 and first_week["Won"] == 0.25
    assert NEW and MQL and WON  # the stage ids the hand-computed board uses


def test_charts_api_uses_the_same_numbers(db, board, stages, owner, campaign, api):
    from leads.services import lead_create, lead_move

    lead = lead_create(board_id=board.pk, actor=owner, name="a", campaign_id=campaign.pk)
    lead_move(lead_id=lead.pk, to_stage_id=stages.Won.pk, actor=owner)
    body = api.get(f"/api/boards/{board.pk}/charts/?channel=webinar").json()
    assert set(body) >= {"funnel", "time_in_stage", "campaigns", "cohorts"}
    assert body["funnel"]["data"][0]["x"] == [1, 1, 1, 1, 1]
    assert api.get(f"/api/boards/{board.pk}/charts/?start=never").status_code == 400
