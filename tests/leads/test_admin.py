"""The admin shows every record but changes none that an event is about: a lead,
stage, campaign or reason changed there would reach no browser and no webhook,
and the logs are append-only."""

from __future__ import annotations

import pytest
from django.test import Client

from leads.models import BoardEvent, Lead, Stage, StageTransition
from leads.services import lead_create, lead_move

READ_ONLY = [
    "lead",
    "stage",
    "campaign",
    "stagetransition",
    "boardevent",
    "leadfeedback",
    "rejectionreason",
    "webhookdelivery",
]


@pytest.fixture
def staff(owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def moved(board, stages, owner, campaign):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
    lead_move(lead_id=lead.pk, actor=owner, to_stage_id=stages.MQL.pk)
    return Lead.objects.get(pk=lead.pk)


@pytest.mark.parametrize("model", READ_ONLY)
def test_the_list_shows_and_nothing_can_be_added(staff, moved, model):
    assert staff.get(f"/admin/leads/{model}/").status_code == 200
    assert staff.get(f"/admin/leads/{model}/add/").status_code == 403


def test_a_lead_is_shown_but_not_changed_or_deleted(staff, moved, stages):
    url = f"/admin/leads/lead/{moved.pk}/change/"
    page = staff.get(url)
    assert page.status_code == 200
    assert b'name="name"' not in page.content  # no form fields, only values
    staff.post(url, {"name": "Changed", "stage": stages.Won.pk})
    assert staff.post(f"/admin/leads/lead/{moved.pk}/delete/", {"post": "yes"}).status_code == 403
    lead = Lead.objects.get(pk=moved.pk)
    assert (lead.name, lead.stage_id) == ("Ada", stages.MQL.pk)


def test_the_logs_cannot_be_rewritten(staff, moved):
    transition = StageTransition.objects.filter(lead=moved).last()
    event = BoardEvent.objects.filter(board_id=moved.board_id).last()
    for url in (
        f"/admin/leads/stagetransition/{transition.pk}/delete/",
        f"/admin/leads/boardevent/{event.pk}/delete/",
    ):
        assert staff.post(url, {"post": "yes"}).status_code == 403
    assert StageTransition.objects.filter(pk=transition.pk).exists()
    assert BoardEvent.objects.filter(pk=event.pk).exists()


def test_a_board_stays_editable_but_its_stages_do_not(staff, board, stages):
    page = staff.get(f"/admin/leads/board/{board.pk}/change/")
    assert page.status_code == 200
    assert b'name="name"' in page.content  # the board's own name
    assert b'name="stages-0-name"' not in page.content  # the stage inline is read-only
    before = list(Stage.objects.filter(board=board).values_list("name", flat=True))
    assert before == ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"]
