"""Lost reasons on every path (issue 13, item 5): the board's list (API), and every
way into a lost stage storing one of them, or refusing with a 400 naming ``reason``."""

from __future__ import annotations

import pytest

from leads.errors import InvalidInput
from leads.models import BoardEvent, Lead, StageTransition
from leads.services import lead_create, lead_move, transition_undo
from leads.services.feedback import lead_feedback_record
from leads.services.imports import leads_import
from leads.services.stages import stage_create, stage_delete
from leads.services.upsert import lead_upsert
from tests.conftest import client_for


def url(board):
    return f"/api/boards/{board.pk}/lost-reasons/"


def last_entry(lead):
    return StageTransition.objects.filter(lead=lead).order_by("-id").first()


class TestList:
    def test_defaults_owner_puts_members_read(self, board, api, editor):
        assert api.get(url(board)).json()["reasons"] == [
            "No budget",
            "Chose a competitor",
            "No decision",
            "Bad timing",
            "Not a fit",
            "Unresponsive",
        ]
        response = api.put(url(board), {"reasons": ["Price", " Went  dark "]}, format="json")
        assert response.status_code == 200
        assert client_for(editor).get(url(board)).json()["reasons"] == ["Price", "Went dark"]

    def test_only_the_owner_puts(self, board, editor):
        response = client_for(editor).put(url(board), {"reasons": ["Price"]}, format="json")
        assert response.status_code == 403

    @pytest.mark.parametrize("reasons", [[], ["Price", "price"], [""], "Price"])
    def test_bad_lists(self, board, api, reasons):
        response = api.put(url(board), {"reasons": reasons}, format="json")
        assert response.status_code == 400
        assert "reasons" in response.json()

    def test_outsider_gets_404(self, board, outsider):
        assert client_for(outsider).get(url(board)).status_code == 404


class TestMove:
    def test_without_reason_400_naming_reason(self, board, stages, owner, api):
        lead = lead_create(board_id=board.pk, actor=owner, name="A")
        response = api.post(
            f"/api/leads/{lead.pk}/move/", {"to_stage": stages.Lost.pk}, format="json"
        )
        assert response.status_code == 400
        assert "reason" in response.json()
        lead.refresh_from_db()
        assert lead.stage_id == stages.New.pk

    def test_reason_not_listed_400(self, board, stages, owner, api):
        lead = lead_create(board_id=board.pk, actor=owner, name="A")
        response = api.post(
            f"/api/leads/{lead.pk}/move/",
            {"to_stage": stages.Lost.pk, "reason": "Aliens"},
            format="json",
        )
        assert response.status_code == 400
        assert "No budget" in response.json()["reason"][0]

    def test_reason_and_note_stored_on_transition_and_event(self, board, stages, owner, api):
        lead = lead_create(board_id=board.pk, actor=owner, name="A")
        response = api.post(
            f"/api/leads/{lead.pk}/move/",
            {"to_stage": stages.Lost.pk, "reason": "no BUDGET", "note": "Q1 maybe"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        entry = last_entry(lead)
        assert (entry.reason, entry.note) == ("No budget", "Q1 maybe")
        assert response.json()["transition"]["reason"] == "No budget"
        assert response.json()["event"]["reason"] == "No budget"
        event = BoardEvent.objects.filter(board=board).order_by("-seq").first()
        assert event.payload["reason"] == "No budget"

    def test_other_stages_store_no_reason(self, board, stages, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="A")
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner, reason="No budget")
        assert last_entry(lead).reason == ""


class TestCampaignMove:
    def test_one_reason_for_the_batch(self, board, stages, owner, campaign, api):
        leads = [
            lead_create(board_id=board.pk, actor=owner, name=f"L{n}", campaign_id=campaign.pk)
            for n in range(3)
        ]
        path = f"/api/campaigns/{campaign.pk}/move/"
        body = {"from_stage": stages.New.pk, "to_stage": stages.Lost.pk}
        refused = api.post(path, body, format="json")
        assert refused.status_code == 400 and "reason" in refused.json()
        assert Lead.objects.filter(stage=stages.Lost).count() == 0
        done = api.post(path, {**body, "reason": "Bad timing"}, format="json")
        assert done.status_code == 200, done.json()
        assert done.json()["event"]["reason"] == "Bad timing"
        assert {last_entry(lead).reason for lead in leads} == {"Bad timing"}


CSV_HEAD = "Name,Email,Stage"


class TestImport:
    def test_default_imported_and_reason_column(self, board, stages, owner):
        data = (
            b"Name,Email,Stage,Lost reason\n"
            b"A,a@x.io,Lost,Chose a competitor\n"
            b"B,b@x.io,Lost,\n"
            b"C,c@x.io,MQL,\n"
        )
        result = leads_import(board_id=board.pk, actor=owner, data=data)
        assert result.errors == []
        reasons = {t.lead.name: t.reason for t in StageTransition.objects.filter(board=board)}
        assert reasons == {"A": "Chose a competitor", "B": "Imported", "C": ""}

    def test_unknown_reason_is_a_row_error(self, board, stages, owner):
        data = b"Name,Email,Stage,Reason\nA,a@x.io,Lost,Aliens\nB,b@x.io,Lost,\n"
        result = leads_import(board_id=board.pk, actor=owner, data=data)
        assert [(e["row"], e["field"]) for e in result.errors] == [(2, "reason")]
        assert Lead.objects.filter(board=board).count() == 0

    def test_update_into_lost(self, board, stages, owner):
        lead_create(board_id=board.pk, actor=owner, name="A", email="a@x.io")
        data = b"Name,Email,Stage,Reason\nA,a@x.io,Lost,Not a fit\n"
        result = leads_import(board_id=board.pk, actor=owner, data=data)
        assert result.errors == []
        lead = Lead.objects.get(board=board, email="a@x.io")
        assert (lead.stage_id, last_entry(lead).reason) == (stages.Lost.pk, "Not a fit")


class TestUpsertAndStageRemoval:
    def test_upsert_into_lost(self, board, stages, owner):
        lead_upsert(board_id=board.pk, actor=owner, external_id="x1", fields={"name": "A"})
        lead_upsert(board_id=board.pk, actor=owner, external_id="x1", fields={"stage": "Lost"})
        lead = Lead.objects.get(board=board, external_id="x1")
        assert last_entry(lead).reason == "Imported"
        lead_upsert(board_id=board.pk, actor=owner, external_id="x2", fields={"name": "B"})
        with pytest.raises(InvalidInput) as refused:
            lead_upsert(
                board_id=board.pk,
                actor=owner,
                external_id="x2",
                fields={"stage": "Lost", "reason": "Aliens"},
            )
        assert refused.value.field == "reason"

    def test_stage_removal_into_lost_stores_the_system_reason(self, board, stages, owner):
        made = stage_create(board_id=board.pk, actor=owner, name="Parked")
        lead = lead_create(board_id=board.pk, actor=owner, name="P", stage_id=made.stage.pk)
        stage_delete(stage_id=made.stage.pk, actor=owner, move_to=stages.Lost.pk)
        lead.refresh_from_db()
        assert (lead.stage_id, last_entry(lead).reason) == (stages.Lost.pk, "Imported")


class TestUndo:
    def test_undo_back_into_lost_keeps_the_reason(self, board, stages, owner):
        lead = lead_create(board_id=board.pk, actor=owner, name="A")
        lead_move(lead_id=lead.pk, to_stage_id=stages.Lost.pk, actor=owner, reason="Unresponsive")
        reopened = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        result = transition_undo(
            board_id=board.pk, actor=owner, transition_id=reopened.transition.pk
        )
        lead.refresh_from_db()
        assert lead.stage_id == stages.Lost.pk
        assert last_entry(lead).reason == "Unresponsive"
        assert result.event["reason"] == "Unresponsive"


@pytest.fixture
def handed(board, stages, owner, editor):
    lead = lead_create(board_id=board.pk, actor=owner, name="H")
    lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    return lead


class TestRejectedGoesSomewhere:
    def test_recycle_to_mql(self, board, stages, editor, handed):
        result = lead_feedback_record(
            lead_id=handed.pk,
            actor=editor,
            verdict="rejected",
            reason="Wrong persona",
            then="recycle",
        )
        handed.refresh_from_db()
        assert handed.stage_id == stages.MQL.pk
        entry = last_entry(handed)
        assert (entry.source, entry.note) == ("api", "Rejected: Wrong persona")
        kinds = list(
            BoardEvent.objects.filter(board=board)
            .order_by("-seq")
            .values_list("type", flat=True)[:2]
        )
        assert kinds == ["lead.moved", "lead.feedback"]
        assert result.moved["type"] == "lead.moved"

    def test_lost_with_the_rejection_reason(self, board, stages, editor, handed):
        client = client_for(editor)
        response = client.post(
            f"/api/leads/{handed.pk}/feedback/",
            {"verdict": "rejected", "reason": "Duplicate", "then": "lost"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        handed.refresh_from_db()
        assert handed.stage_id == stages.Lost.pk
        assert last_entry(handed).reason == "Duplicate"  # a rejection reason, kept

    def test_stay_is_the_default_and_accept_cannot_move(self, board, stages, editor, handed):
        client = client_for(editor)
        response = client.post(
            f"/api/leads/{handed.pk}/feedback/", {"verdict": "rejected", "reason": "Duplicate"}
        )
        assert response.status_code == 201
        handed.refresh_from_db()
        assert handed.stage_id == stages.SQL.pk
        refused = client.post(
            f"/api/leads/{handed.pk}/feedback/",
            {"verdict": "accepted", "then": "recycle"},
            format="json",
        )
        assert refused.status_code == 400 and "then" in refused.json()
