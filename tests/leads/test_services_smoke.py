import pytest

from leads.models import BoardEvent, Lead, StageTransition
from leads.services import campaign_move, lead_create, lead_move, transition_undo


def test_create_move_undo_roundtrip(board, stages, owner, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
    assert len(callbacks) == 1
    assert lead.stage == stages.New
    result = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner, version=1)
    assert result.lead.stage_id == stages.MQL.pk and result.lead.version == 2
    moved = campaign_move(campaign_id=campaign.pk, from_stage_id=stages.MQL.pk, to_stage_id=stages.SQL.pk, actor=owner)
    assert moved.moved == 1
    undo = transition_undo(board_id=board.pk, actor=owner, batch=moved.batch)
    assert undo.undone == 1
    assert Lead.objects.get(pk=lead.pk).stage_id == stages.MQL.pk
    assert StageTransition.objects.filter(lead=lead).count() == 4
    assert list(BoardEvent.objects.filter(board=board).values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
