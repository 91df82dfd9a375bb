"""/state/ reads one moment of the board: a move committed while it reads is either
wholly in the answer (and at or below its seq) or wholly after it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from leads.models import Board, Lead
from leads.selectors.reading import one_snapshot
from leads.services import lead_create, lead_move


@pytest.mark.django_db(transaction=True)
def test_a_move_committed_mid_read_is_not_seen(board, stages, owner):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer; PostgreSQL needs the snapshot")
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")

    def move_elsewhere() -> None:
        try:
            lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        finally:
            connection.close()

    with one_snapshot():
        seq = Board.objects.values_list("last_seq", flat=True).get(pk=board.pk)
        mover = threading.Thread(target=move_elsewhere)
        mover.start()
        mover.join()
        stage = Lead.objects.values_list("stage_id", flat=True).get(pk=lead.pk)

    assert stage == stages.New.pk  # the move's seq is after `seq`: the client applies it once
    board.refresh_from_db()
    assert board.last_seq == seq + 1
    assert Lead.objects.get(pk=lead.pk).stage_id == stages.MQL.pk
