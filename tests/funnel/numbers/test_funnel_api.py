"""GET /api/boards/<id>/funnel/: the API answers what the analytics compute."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.utils import timezone

from funnel.numbers import analytics
from funnel.numbers.figures import board_numbers_for, stage_conversions_for
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
    lead_move(lead_id=leads[1].pk, to_stage_id=stages.Lost.pk, actor=owner, reason="No budget")
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


def test_funnel_answer_equals_the_analytics_answer(moved_board, stages, owner, editor, api):
    from leads.services import lead_feedback_record

    lead = selectors.leads_frame(moved_board.pk)["id"].iloc[0]
    lead_feedback_record(lead_id=int(lead), actor=editor, verdict="rejected", reason="No budget")
    body = api.get(f"/api/boards/{moved_board.pk}/funnel/").json()
    expected = analytics.board_numbers(
        stages=selectors.stages_frame(moved_board.pk),
        leads=selectors.leads_frame(moved_board.pk),
        transitions=selectors.transitions_frame(moved_board.pk),
        campaigns=selectors.campaigns_frame(moved_board.pk),
        feedback=selectors.feedback_frame(moved_board.pk),
        now=timezone.now(),
    )
    # Time in stage of leads still there grows with the clock; everything else is equal.
    for figures in (body, expected):
        for stage in figures["stages"]:
            stage.pop("current_median_age_days")
    body.pop("seq")
    assert body == expected
    assert body["handoff"]["rejected"] == 1
    assert body["handoff"]["top_reasons"] == [{"reason": "No budget", "leads": 1}]
    assert body["velocity"]["won_leads"] == 1
    (week,) = body["cohorts"]
    assert week["leads"] == 4 and week["reached"][str(stages.Won.pk)] == 1
    (webinar,) = body["campaigns"]
    # MQL reached by L0 (skipped), L2 and L3 (campaign move); SQL by L0 only.
    assert webinar["mql_to_sql"] == pytest.approx(1 / 3)


def test_funnel_filters_by_channel_and_team(moved_board, owner, api):
    empty = api.get(f"/api/boards/{moved_board.pk}/funnel/?channel=podcast").json()
    assert empty["leads"] == 0 and empty["campaigns"] == []
    webinar = api.get(f"/api/boards/{moved_board.pk}/funnel/?channel=webinar").json()
    assert webinar["leads"] == 4
    assert api.get(f"/api/boards/{moved_board.pk}/funnel/?team=sales").json()["leads"] == 0
    assert api.get(f"/api/boards/{moved_board.pk}/funnel/?team=pirates").status_code == 400
    assert api.get(f"/api/boards/{moved_board.pk}/funnel/?campaign=abc").status_code == 400


def test_funnel_as_of_and_bad_as_of(moved_board, api):
    now = api.get(f"/api/boards/{moved_board.pk}/funnel/").json()
    then = api.get(
        f"/api/boards/{moved_board.pk}/funnel/", {"as_of": timezone.now().isoformat()}
    ).json()
    assert [s["reached"] for s in then["stages"]] == [s["reached"] for s in now["stages"]]
    assert [s["current"] for s in then["stages"]] == [s["current"] for s in now["stages"]]
    for value in ("2999-01-01T00:00Z", "1999-01-01T00:00Z", "nope"):
        bad = api.get(f"/api/boards/{moved_board.pk}/funnel/", {"as_of": value})
        assert bad.status_code == 400 and "as_of" in bad.json()


def test_snapshot_conversions_are_the_funnel_conversions(moved_board, owner, campaign):
    """The board snapshot computes only the stage figures; they are the funnel's."""
    board = selectors.board_get(board_id=moved_board.pk, user=owner)
    for params in (QueryDict(), QueryDict(f"campaign={campaign.pk}")):
        for as_of in (None, timezone.now().isoformat()):
            full = board_numbers_for(board, params, {"as_of": as_of})
            expected = {s["id"]: s["conversion_to_next"] for s in full["stages"]}
            assert stage_conversions_for(board, params, as_of) == expected
            assert any(v is not None for v in expected.values())
