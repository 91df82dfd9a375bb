"""``lost_reasons`` in /funnel/: each lost lead once, with the reason of its latest
kept entry into Lost, per campaign, channel, stage left and owner. The pure
analytics is the spec; the API answers what it computes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from funnel.numbers import analytics
from leads.services import lead_create, lead_move, transition_undo

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def frames():
    stages = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "name": ["New", "Opportunity", "Won", "Lost"],
            "position": [0, 1, 2, 3],
            "kind": ["open", "open", "won", "lost"],
        }
    )
    leads = pd.DataFrame(
        {
            "id": [10, 11, 12, 13],
            "stage_id": [4, 4, 2, 4],
            "campaign_id": [100.0, 100.0, 101.0, float("nan")],
            "created_at": [pd.Timestamp(T0)] * 4,
            "value": [0.0] * 4,
            "owner_id": [7.0, 8.0, 7.0, float("nan")],
        }
    )
    rows = [
        # id, lead, from, to, minutes, undone, reason
        (1, 10, 1, 4, 1, False, "No budget"),
        (2, 10, 4, 2, 2, False, ""),
        (3, 10, 2, 4, 3, False, "Bad timing"),  # latest entry: counts, once
        (4, 11, 1, 2, 1, False, ""),
        (5, 11, 2, 4, 2, False, "Bad timing"),
        (6, 12, 1, 4, 1, True, "Not a fit"),  # undone: not counted
        (7, 12, 4, 1, 2, True, ""),
        (8, 13, 1, 4, 1, False, "Imported"),
    ]
    transitions = pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "lead_id": [r[1] for r in rows],
            "from_stage_id": [float(r[2]) for r in rows],
            "to_stage_id": [r[3] for r in rows],
            "at": [pd.Timestamp(T0 + timedelta(minutes=r[4])) for r in rows],
            "undone": [r[5] for r in rows],
            "reason": [r[6] for r in rows],
        }
    )
    campaigns = pd.DataFrame(
        {
            "id": [100, 101],
            "name": ["Webinar", "Ads"],
            "channel": ["webinar", "paid"],
            "cost": [1.0, 2.0],
        }
    )
    return stages, leads, transitions, campaigns


def test_pure_lost_reasons():
    stages, leads, transitions, campaigns = frames()
    moves = analytics.effective(transitions, leads["id"])
    got = analytics.lost_reasons_of(stages, leads, moves, campaigns)
    assert got["leads"] == 3
    assert got["reasons"] == [
        {"reason": "Bad timing", "leads": 2},
        {"reason": "Imported", "leads": 1},
    ]
    by_campaign = {row["name"]: row for row in got["by"]["campaign"]}
    assert by_campaign["Webinar"]["leads"] == 2
    assert by_campaign[None]["reasons"] == [{"reason": "Imported", "leads": 1}]
    assert {row["key"]: row["leads"] for row in got["by"]["channel"]} == {"webinar": 2, None: 1}
    assert {row["name"]: row["leads"] for row in got["by"]["stage"]} == {
        "Opportunity": 2,
        "New": 1,
    }
    assert {row["key"]: row["leads"] for row in got["by"]["owner"]} == {7: 1, 8: 1, None: 1}


def test_without_optional_columns():
    stages, leads, transitions, campaigns = frames()
    moves = analytics.effective(transitions.drop(columns="reason"), leads["id"])
    got = analytics.lost_reasons_of(stages, leads.drop(columns="owner_id"), moves, campaigns)
    assert got["reasons"] == [{"reason": "No reason", "leads": 3}]
    assert got["by"]["owner"] == [
        {"key": None, "name": None, "leads": 3, "reasons": [{"reason": "No reason", "leads": 3}]}
    ]


def test_funnel_api_lost_reasons(board, stages, owner, campaign, api):
    a = lead_create(board_id=board.pk, actor=owner, name="A", campaign_id=campaign.pk, owner=owner)
    b = lead_create(board_id=board.pk, actor=owner, name="B")
    lead_move(lead_id=a.pk, to_stage_id=stages.Opportunity.pk, actor=owner)
    lead_move(lead_id=a.pk, to_stage_id=stages.Lost.pk, actor=owner, reason="Chose a competitor")
    undone = lead_move(lead_id=b.pk, to_stage_id=stages.Lost.pk, actor=owner, reason="No budget")
    transition_undo(board_id=board.pk, actor=owner, transition_id=undone.transition.pk)
    body = api.get(f"/api/boards/{board.pk}/funnel/").json()
    lost = body["lost_reasons"]
    assert lost["reasons"] == [{"reason": "Chose a competitor", "leads": 1}]
    assert lost["by"]["stage"][0]["name"] == "Opportunity"
    assert lost["by"]["campaign"][0]["name"] == "Webinar"
    assert lost["by"]["owner"][0] == {
        "key": owner.pk,
        "name": "Olivia Owner",
        "leads": 1,
        "reasons": [{"reason": "Chose a competitor", "leads": 1}],
    }
