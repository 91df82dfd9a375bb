"""The owner's stage changes reach every socket on the board at once, as the stored
events (the text the log holds), in seq order: a rename in one browser is a rename
in the other."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from leads.events import encode, event_message
from leads.models import BoardEvent
from leads.services import lead_create
from leads.services.stages import stage_create, stage_delete, stage_update, stages_reorder
from tests.funnel.conftest import join

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def stored(board_id: int, seq: int) -> dict:
    return json.loads(encode(event_message(BoardEvent.objects.get(board_id=board_id, seq=seq))))


async def test_stage_events_reach_another_socket(board, stages, owner, editor):
    socket, hello = await join(board.pk, editor)  # someone else's browser
    seq = hello["seq"]

    created = await database_sync_to_async(stage_create)(
        board_id=board.pk, actor=owner, name="Demo", wip_limit=3
    )
    renamed = await database_sync_to_async(stage_update)(
        stage_id=stages.MQL.pk, actor=owner, name="Marketing qualified"
    )
    order = [stages.MQL.pk, stages.New.pk, stages.SQL.pk, stages.Opportunity.pk]
    order += [created.stage.pk, stages.Won.pk, stages.Lost.pk]
    reordered = await database_sync_to_async(stages_reorder)(
        board_id=board.pk, actor=owner, stages=order
    )
    await database_sync_to_async(lead_create)(
        board_id=board.pk, actor=owner, name="Ada", stage_id=created.stage.pk
    )
    removed = await database_sync_to_async(stage_delete)(
        stage_id=created.stage.pk, actor=owner, move_to=stages.SQL.pk
    )

    received = [json.loads(await socket.receive_from()) for _ in range(5)]
    assert [m["seq"] for m in received] == list(range(seq + 1, seq + 6))
    assert [m["type"] for m in received] == [
        "stage.created",
        "stage.updated",
        "stages.reordered",
        "lead.created",
        "stage.deleted",
    ]
    for message in received:
        assert message == await stored(board.pk, message["seq"])
    assert received[0] == created.event and received[0]["stage"]["wip_limit"] == 3
    assert received[1] == renamed.event
    assert received[1]["stage"]["name"] == "Marketing qualified"
    assert received[2]["stages"] == order == reordered.event["stages"]
    assert received[4]["move_to"] == stages.SQL.pk and len(received[4]["moves"]) == 1
    assert received[4] == removed.event
    assert await socket.receive_nothing()
    await socket.disconnect()
