"""The live handoff lane: what /state/ and the events tell a board about the leads
waiting in the first sales stage for sales' verdict, and switching webhooks off
and on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from leads import selectors
from leads.errors import NotFound, PermissionDenied
from leads.models import (
    BoardEvent,
    Lead,
    LeadFeedback,
    Role,
    Stage,
    StageTeam,
    Team,
    Webhook,
    WebhookDelivery,
)
from leads.services import board_member_add, lead_create, lead_feedback_record, lead_move
from leads.services.webhooks import webhook_create, webhook_set_active
from tests.conftest import client_for
from tests.factories import UserFactory


def state(api, board, query: str = "") -> dict:
    response = api.get(f"/api/boards/{board.pk}/state/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def waiting(body: dict) -> list[str]:
    return [card["name"] for card in body["handoff"]["leads"]]


@pytest.fixture
def handed(board, owner, stages):
    """New [x]  SQL [a b c], entered in that order (a waits longest)."""
    leads = {name: lead_create(board_id=board.pk, actor=owner, name=name) for name in "abcx"}
    for name in "abc":
        lead_move(lead_id=leads[name].pk, to_stage_id=stages.SQL.pk, actor=owner)
    start = timezone.now() - dt.timedelta(days=3)
    for offset, name in enumerate("abc"):
        Lead.objects.filter(pk=leads[name].pk).update(
            stage_entered_at=start + dt.timedelta(hours=offset)
        )
    return leads


class TestStateLane:
    def test_state_lists_the_waiting_leads_longest_first(self, board, api, stages, handed):
        body = state(api, board)
        assert body["handoff"]["stage"] == stages.SQL.pk
        assert body["handoff"]["count"] == 3
        assert waiting(body) == ["a", "b", "c"]
        assert all(card["verdict"] is None for card in body["handoff"]["leads"])
        assert all(card["stage"] == stages.SQL.pk for card in body["handoff"]["leads"])

    def test_a_verdict_takes_the_lead_out_and_shows_on_its_card(
        self, board, api, editor, stages, handed
    ):
        lead_feedback_record(
            lead_id=handed["b"].pk, actor=editor, verdict="rejected", reason="Duplicate"
        )
        body = state(api, board)
        assert waiting(body) == ["a", "c"]
        assert body["handoff"]["count"] == 2
        sql = next(s for s in body["stages"] if s["id"] == stages.SQL.pk)
        verdicts = {card["name"]: card["verdict"] for card in sql["leads"]}
        assert verdicts == {"a": None, "b": "rejected", "c": None}
        # The latest verdict counts: sales changed its mind.
        lead_feedback_record(lead_id=handed["b"].pk, actor=editor, verdict="accepted")
        sql = next(s for s in state(api, board)["stages"] if s["id"] == stages.SQL.pk)
        assert {c["name"]: c["verdict"] for c in sql["leads"]}["b"] == "accepted"

    def test_the_lane_follows_the_filters(self, board, api, stages, handed):
        body = state(api, board, "q=c")
        assert waiting(body) == ["c"]
        assert body["handoff"]["count"] == 1

    def test_count_beyond_the_lane_page(self, board, stages, handed):
        lane = selectors.handoff_lane(
            Lead.objects.filter(board=board), {"id": stages.SQL.pk}, limit=2
        )
        assert lane is not None
        assert [card["name"] for card in lane["leads"]] == ["a", "b"]
        assert lane["count"] == 3

    def test_no_lane_on_a_page_of_one_stage_or_without_a_sales_stage(
        self, board, api, stages, handed
    ):
        page = state(api, board, f"stage={stages.SQL.pk}")
        assert "handoff" not in page
        Stage.objects.filter(board=board).update(team=StageTeam.MARKETING)
        assert state(api, board)["handoff"] is None

    def test_viewer_sees_the_lane(self, board, viewer, handed):
        assert waiting(state(client_for(viewer), board)) == ["a", "b", "c"]


class TestEventCards:
    def test_move_event_carries_the_verdict(self, board, owner, editor, stages, handed):
        lead = handed["a"]
        lead_feedback_record(lead_id=lead.pk, actor=editor, verdict="accepted")
        feedback_event = BoardEvent.objects.filter(board=board).latest("seq")
        assert feedback_event.type == "lead.feedback"
        assert (feedback_event.payload["lead"], feedback_event.payload["verdict"]) == (
            lead.pk,
            "accepted",
        )
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        moved = BoardEvent.objects.filter(board=board).latest("seq")
        assert moved.type == "lead.moved"
        # Judged before: it comes back to SQL without waiting in the lane again.
        assert moved.payload["lead"]["verdict"] == "accepted"
        fresh = lead_create(board_id=board.pk, actor=owner, name="y", stage_id=stages.SQL.pk)
        created = BoardEvent.objects.filter(board=board).latest("seq")
        assert created.payload["lead"]["id"] == fresh.pk
        assert created.payload["lead"]["verdict"] is None

    def test_move_answer_carries_the_verdict(self, board, api, stages, handed):
        response = api.post(
            f"/api/leads/{handed['x'].pk}/move/", {"to_stage": stages.SQL.pk}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["lead"]["verdict"] is None


class TestWebhookSetActive:
    def test_pause_and_resume_keep_the_cursor(self, board, owner, editor):
        webhook = webhook_create(board_id=board.pk, actor=owner, url="https://example.com/hook")
        failing = WebhookDelivery.objects.create(
            webhook=webhook,
            seq=1,
            event_type="lead.created",
            status="failing",
            attempts=3,
            next_attempt_at=timezone.now() + dt.timedelta(hours=1),
        )
        paused = webhook_set_active(
            board_id=board.pk, actor=editor, webhook_id=webhook.pk, active=False
        )
        assert paused.active is False
        assert Webhook.objects.get(pk=webhook.pk).active is False
        webhook_set_active(board_id=board.pk, actor=editor, webhook_id=webhook.pk, active=True)
        webhook.refresh_from_db()
        assert webhook.active is True
        assert webhook.delivered_seq == paused.delivered_seq
        failing.refresh_from_db()
        assert failing.next_attempt_at is None  # retried at once

    def test_refused_to_viewers_outsiders_and_other_boards(self, board, owner, viewer, outsider):
        webhook = webhook_create(board_id=board.pk, actor=owner, url="https://example.com/hook")
        with pytest.raises(PermissionDenied):
            webhook_set_active(board_id=board.pk, actor=viewer, webhook_id=webhook.pk, active=False)
        with pytest.raises(NotFound):
            webhook_set_active(
                board_id=board.pk, actor=outsider, webhook_id=webhook.pk, active=False
            )
        with pytest.raises(NotFound):
            webhook_set_active(board_id=board.pk, actor=owner, webhook_id=10**9, active=False)
        assert Webhook.objects.get(pk=webhook.pk).active is True


def test_only_sales_or_the_owner_give_the_verdict(board, owner, editor, stages):
    marketer = UserFactory(username="mo")
    board_member_add(
        board_id=board.pk, actor=owner, username="mo", role=Role.EDITOR, team=Team.MARKETING
    )
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", stage_id=stages.SQL.pk)

    with pytest.raises(PermissionDenied, match="Only sales"):
        lead_feedback_record(lead_id=lead.pk, actor=marketer, verdict="accepted")
    assert not LeadFeedback.objects.filter(lead=lead).exists()

    lead_feedback_record(lead_id=lead.pk, actor=editor, verdict="accepted")  # sales
    lead_feedback_record(lead_id=lead.pk, actor=owner, verdict="rejected", reason="Duplicate")
    assert LeadFeedback.objects.filter(lead=lead).count() == 2


def test_a_lead_sent_back_and_handed_over_again_waits_again(board, api, owner, stages, handed):
    a = handed["a"]
    lead_feedback_record(lead_id=a.pk, actor=owner, verdict="rejected", reason="No budget")
    assert "a" not in waiting(state(api, board))
    lead_move(lead_id=a.pk, to_stage_id=stages.MQL.pk, actor=owner)  # recycled
    lead_move(lead_id=a.pk, to_stage_id=stages.SQL.pk, actor=owner)  # handed over again

    body = state(api, board)
    assert "a" in waiting(body)
    card = next(c for c in body["handoff"]["leads"] if c["name"] == "a")
    assert card["verdict"] == "rejected" and card["verdict_at"] < card["stage_entered_at"]
    lane = api.get(f"/api/boards/{board.pk}/handoff/").json()
    assert "a" in [c["name"] for c in lane["leads"]]

    lead_feedback_record(lead_id=a.pk, actor=owner, verdict="accepted")
    assert "a" not in waiting(state(api, board))
