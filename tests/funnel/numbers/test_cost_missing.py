"""A campaign whose cost is missing (``None``: not entered yet, as after an import):
its cost per SQL and per Won are unknown (``None``, "—"), never 0, in the
analytics, the funnel API and the campaigns chart; an archived campaign keeps
its numbers."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from funnel.numbers import charts
from funnel.numbers.analytics import campaign_figures
from leads import selectors
from leads.services import campaign_create, campaign_update, lead_create, lead_move

from .test_analytics import PATHS, SQL, STAGES, WON, frames


def test_cost_missing_gives_none_not_0():
    # Ads: leads 1, 2 (both reach SQL, 1 Won), cost missing (NaN, as campaigns_frame
    # reads None). Free: leads 3, 4, 5 at cost 0 (a real cost). Webinar: none yet.
    leads, transitions = frames(PATHS, campaign_of={1: 10, 2: 10, 3: 20, 4: 20, 5: 20})
    campaigns = pd.DataFrame(
        {
            "id": [10, 20, 30],
            "name": ["Ads", "Free", "Webinar"],
            "channel": ["paid", "referral", "webinar"],
            "cost": [np.nan, 0.0, None],
        }
    )
    ads, free, webinar = campaign_figures(
        stages=STAGES, leads=leads, transitions=transitions, campaigns=campaigns
    )
    assert (ads["reached"][str(SQL)], ads["reached"][str(WON)]) == (2, 1)
    assert ads["cost"] is None and ads["cost_missing"] is True
    assert ads["cost_per_sql"] is None and ads["cost_per_won"] is None
    assert free["cost"] == 0.0 and free["cost_missing"] is False
    assert free["cost_per_sql"] == 0.0  # a known cost of 0 is 0 per SQL
    assert webinar["cost_missing"] is True and webinar["cost_per_sql"] is None


def test_the_campaigns_chart_says_dash_and_cost_missing():
    numbers = {
        "stages": [{"id": WON, "kind": "won"}],
        "campaigns": [
            {
                "name": "Ads",
                "reached": {str(WON): 1},
                "leads": 2,
                "cost_per_won": None,
                "cost_per_sql": None,
                "mql_to_sql": 0.5,
                "cost_missing": True,
                "archived": True,
            },
            {
                "name": "Webinar",
                "reached": {},
                "leads": 1,
                "cost_per_won": 300.0,
                "cost_per_sql": 150.0,
                "mql_to_sql": None,
                "cost_missing": False,
            },
        ],
    }
    figure = charts.figure_json(charts.campaigns_chart(numbers, []))
    bars = figure["data"][0]
    assert bars["x"] == ["Ads (archived)", "Webinar"]
    assert "cost per Won: —" in bars["hovertext"][0] and "cost missing" in bars["hovertext"][0]
    assert "cost per Won: $300.00" in bars["hovertext"][1]  # in the board's currency
    assert "cost missing" not in bars["hovertext"][1]
    assert "0.00" not in bars["hovertext"][0]


def test_the_funnel_api_answers_null_until_the_cost_is_entered(board, stages, owner, api):
    expo = campaign_create(board_id=board.pk, actor=owner, name="Expo")
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=expo.pk)
    lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    lead_move(lead_id=lead.pk, to_stage_id=stages.Won.pk, actor=owner)
    frame = selectors.campaigns_frame(board.pk)
    assert frame["cost"].isna().all() and not frame["archived"].any()

    (figures,) = api.get(f"/api/boards/{board.pk}/funnel/").json()["campaigns"]
    assert figures["cost"] is None and figures["cost_missing"] is True
    assert (figures["cost_per_sql"], figures["cost_per_won"]) == (None, None)

    campaign_update(campaign_id=expo.pk, actor=owner, cost=Decimal("800"))
    (figures,) = api.get(f"/api/boards/{board.pk}/funnel/").json()["campaigns"]
    assert (figures["cost"], figures["cost_missing"]) == (800.0, False)
    assert (figures["cost_per_sql"], figures["cost_per_won"]) == (800.0, 800.0)

    # Archived: off the chips, but its numbers stay.
    campaign_update(campaign_id=expo.pk, actor=owner, archived=True)
    (figures,) = api.get(f"/api/boards/{board.pk}/funnel/").json()["campaigns"]
    assert (figures["archived"], figures["leads"], figures["cost_per_won"]) == (True, 1, 800.0)
    charts_body = api.get(f"/api/boards/{board.pk}/charts/").json()
    assert charts_body["campaigns"]["data"][0]["x"] == ["Expo (archived)"]
