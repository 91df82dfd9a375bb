"""The database itself refuses what the domain forbids, whatever writes to it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.models import BoardEvent, Lead
from leads.services import campaign_create
from tests.factories import BoardFactory, LeadFactory


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            LeadFactory(**fields)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize("score", [101, 500])
def test_score_is_0_to_100(board, score):
    assert refused(board=board, score=score)


def test_value_is_not_negative(board):
    assert refused(board=board, value=-1)


def test_stage_of_another_board(board, owner):
    other = BoardFactory(created_by=owner)
    assert refused(board=board, stage=other.stages.first())
    assert not Lead.objects.exists()


def test_campaign_of_another_board(board, owner):
    other = BoardFactory(created_by=owner)
    foreign = campaign_create(board_id=other.pk, actor=owner, name="Elsewhere")
    assert refused(board=board, campaign=foreign)


def test_moving_a_row_to_a_foreign_stage_is_refused(board, owner):
    lead = LeadFactory(board=board)
    other = BoardFactory(created_by=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(stage=other.stages.first())


def test_seq_is_unique_per_board(board, owner):
    now = timezone.now()
    BoardEvent.objects.create(board=board, seq=1, type="lead.created", at=now)
    other = BoardFactory(created_by=owner)
    BoardEvent.objects.create(board=other, seq=1, type="lead.created", at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardEvent.objects.create(board=board, seq=1, type="lead.moved", at=now)


def test_valid_lead_is_accepted(board):
    assert not refused(board=board, score=100, value=0)
