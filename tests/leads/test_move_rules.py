"""Moves that name a neighbour, and moves and edits without a version (issue 10,
item 12): a neighbour of another board or stage is a 400; a change without a
version applies to the lead as it is, never a 409 for someone else's write."""

from __future__ import annotations

from django.db.models import F

from leads.models import Lead, StageTransition
from leads.services import lead_create
from leads.services import leads as lead_services
from tests.conftest import client_for
from tests.factories import BoardFactory


def move(api, lead, **body):
    return api.post(f"/api/leads/{lead.pk}/move/", body, format="json")


def test_a_neighbour_on_another_board_or_nowhere_is_a_400(api, board, stages, owner):
    # New [ada]   other board: New [eve]
    ada = lead_create(board_id=board.pk, actor=owner, name="Ada")
    other = BoardFactory(created_by=owner)
    eve = lead_create(board_id=other.pk, actor=owner, name="Eve")
    for body in (
        {"to_stage": stages.MQL.pk, "after": eve.pk},
        {"to_stage": stages.MQL.pk, "before": eve.pk, "position": 0},
        {"to_stage": stages.MQL.pk, "after": 10**9},
        {"to_stage": stages.MQL.pk, "after": ada.pk},
    ):
        response = move(api, ada, **body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["detail"]
    ada.refresh_from_db()
    assert (ada.stage_id, ada.version) == (stages.New.pk, 1)


def test_a_neighbour_of_another_stage_is_a_400_unless_a_position_says_where(
    api, board, stages, owner
):
    # New [ada bob]  MQL [cat]   move ada to MQL after bob (still in New)
    ada = lead_create(board_id=board.pk, actor=owner, name="Ada")
    bob = lead_create(board_id=board.pk, actor=owner, name="Bob")
    cat = lead_create(board_id=board.pk, actor=owner, name="Cat", stage_id=stages.MQL.pk)
    refused = move(api, ada, to_stage=stages.MQL.pk, after=bob.pk)
    assert refused.status_code == 400
    assert "not in MQL" in refused.json()["detail"]
    # With a position (the browser always sends one) the move lands there.
    placed = move(api, ada, to_stage=stages.MQL.pk, after=bob.pk, position=1)
    assert placed.status_code == 200
    ordered = Lead.objects.filter(stage=stages.MQL).order_by("position", "id")
    assert [lead.pk for lead in ordered] == [cat.pk, ada.pk]
    beside = move(api, bob, to_stage=stages.MQL.pk, after=cat.pk)
    assert beside.status_code == 200  # a neighbour in the target stage: as before


def test_a_move_without_a_version_is_no_conflict_with_a_write_meanwhile(
    api, board, stages, owner, monkeypatch
):
    ada = lead_create(board_id=board.pk, actor=owner, name="Ada")
    real = lead_services.stage_of_board

    def someone_edits_meanwhile(*args, **kwargs):
        # Another request renames the lead between this move's read and its write.
        Lead.objects.filter(pk=ada.pk).update(version=F("version") + 1, name="Ada L.")
        return real(*args, **kwargs)

    monkeypatch.setattr(lead_services, "stage_of_board", someone_edits_meanwhile)
    response = move(api, ada, to_stage=stages.MQL.pk)
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert (ada.stage_id, ada.version, ada.name) == (stages.MQL.pk, 3, "Ada L.")
    assert StageTransition.objects.filter(lead=ada).count() == 2
    # With the version the client saw, the same race is a real conflict: 409.
    stale = move(api, ada, to_stage=stages.SQL.pk, version=3)
    assert stale.status_code == 409


def test_an_edit_without_a_version_is_no_conflict_with_a_write_meanwhile(
    board, stages, owner, monkeypatch
):
    ada = lead_create(board_id=board.pk, actor=owner, name="Ada")
    real = lead_services.membership_for_write

    def someone_moves_meanwhile(*args, **kwargs):
        Lead.objects.filter(pk=ada.pk).update(version=F("version") + 1)
        return real(*args, **kwargs)

    monkeypatch.setattr(lead_services, "membership_for_write", someone_moves_meanwhile)
    response = client_for(owner).patch(f"/api/leads/{ada.pk}/", {"score": 80}, format="json")
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert (ada.score, ada.version) == (80, 3)
