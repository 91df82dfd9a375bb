"""GET /api/boards/<id>/funnel/: the API answers what the analytics compute."""

from __future__ import annotations

import pytest
from django.utils import timezone

from funnel import analytics
from leads import selectors
from leads.services import campaign_move, lead_create, lead_move, transition_undo
from tests.conftest import client_for


@pytest.fixture
def moved_board(board, stages, owner, campaign):
    leads = [
        lead_create(
            board_id=board.pk, actor=owner, name=f"L{n}", campaign_id=campaign.pk, value=100
        )
        for n in range(4)
    ]
    lead_move(lead_id=leads[0].pk, to_stage_id=stages.SQL.pk, actor=owner)  # skips MQL
    lead_move(lead_id=leads[0].pk, to_stage_id=stages.Won.pk, actor=owner)
    lead_move(lead_id=leads[1].pk, to_stage_id=stages.Lost.pk, actor=owner)
    undone = lead_move(lead_id=leads[2].pk, to_stage_id=stages.MQL.pk, actor=owner)
    transition_undo(board_id=board.pk, actor=owner, transition_id=undone.transition.pk)
    campaign_move(
        campaign_id=campaign.pk, from_stage_id=stages.New.pk, to_stage_id=stages.MQL.pk, actor=owner
    )
    return board


def test_funnel_matches_analytics(moved_board, stages, owner, api):
    response = api.get(f"/api/boards/{moved_board.pk}/funnel/")
    assert response.status_code == 200
    body = response.json()
    by = {s["name"]: s for s in body["stages"]}
    # New 4; MQL: L0 (skipped), L2, L3 (campaign move) = 3; SQL: L0; Won: L0
    assert [by[n]["reached"] for n in ("New", "MQL", "SQL", "Opportunity", "Won")] == [
        4,
        3,
        1,
        1,
        1,
    ]
    assert by["New"]["dropped"] == 1
    assert body["overall_conversion"] == pytest.approx(0.25)
    expected = analytics.stage_figures(
        stages=selectors.stages_frame(moved_board.pk),
        leads=selectors.leads_frame(moved_board.pk),
        transitions=selectors.transitions_frame(moved_board.pk),
        now=timezone.now(),
    )
    assert [
        (s["reached"], s["conversion_to_next"], s["dropped"], s["current"]) for s in body["stages"]
    ] == [
        (s["reached"], s["conversion_to_next"], s["dropped"], s["current"])
        for s in expected["stages"]
    ]
    (webinar,) = body["campaigns"]
    assert webinar["leads"] == 4 and webinar["won_value"] == 100.0
    assert webinar["cost_per_won"] == 5000.0


def test_funnel_permissions_and_bad_input(moved_board, outsider, viewer):
    assert client_for(None).get(f"/api/boards/{moved_board.pk}/funnel/").status_code in (401, 403)
    assert client_for(outsider).get(f"/api/boards/{moved_board.pk}/funnel/").status_code == 404
    assert client_for(viewer).get(f"/api/boards/{moved_board.pk}/funnel/").status_code == 200
    bad = client_for(viewer).get(
        f"/api/boards/{moved_board.pk}/funnel/?start=2026-05-01T00:00Z&end=2026-01-01T00:00Z"
    )
    assert bad.status_code == 400 and "end" in bad.json()
    bad = client_for(viewer).get(f"/api/boards/{moved_board.pk}/funnel/?start=yesterday")
    assert bad.status_code == 400 and "start" in bad.json()


def test_empty_period_is_an_honest_empty_answer(moved_board, api):
    body = api.get(
        f"/api/boards/{moved_board.pk}/funnel/?start=2001-01-01T00:00Z&end=2001-02-01T00:00Z"
    ).json()
    assert body["leads"] == 0 and body["overall_conversion"] is None
    assert all(s["reached"] == 0 for s in body["stages"])
