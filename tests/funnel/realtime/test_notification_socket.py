"""A notification reaches its person's sockets only, on whatever board page they
have open (their group ``user_<id>``), after the write commits, with their
unread count; everyone else's sockets, on the same board too, hear nothing of it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from leads.events.schema import message_adapter
from leads.models import Role, Team
from leads.services import board_create, board_member_add, lead_create
from leads.services.notes import note_create
from tests.funnel.conftest import join, settle

pytestmark = pytest.mark.django_db(transaction=True)


async def next_not_presence(socket) -> dict:
    while True:
        message = await socket.receive_json_from(timeout=3)
        if not message["type"].startswith("presence."):
            return message


async def nothing_but_events(socket, within: float = 0.3) -> list[dict]:
    """What the socket gets within ``within`` s, presence left out."""
    got = []
    while not await socket.receive_nothing(timeout=within):
        message = await socket.receive_json_from()
        if not message["type"].startswith("presence."):
            got.append(message)
    return got


@database_sync_to_async
def other_board(owner, editor):
    board = board_create(name="Other", created_by=owner)
    board_member_add(
        board_id=board.pk, actor=owner, username=editor.username, role=Role.EDITOR, team=Team.SALES
    )
    return board


async def test_a_mention_reaches_only_that_persons_sockets_on_any_board(
    board, owner, editor, viewer, stages
):
    elsewhere = await other_board(owner, editor)
    lead = await database_sync_to_async(lead_create)(board_id=board.pk, actor=owner, name="Ada")
    mine_here, _ = await join(board.pk, editor)
    mine_there, _ = await join(elsewhere.pk, editor)
    theirs, _ = await join(board.pk, viewer)
    author, _ = await join(board.pk, owner)
    await settle()

    note = await database_sync_to_async(note_create)(
        lead_id=lead.pk, actor=owner, body="@dana please call"
    )

    for socket in (mine_here, mine_there):
        got = []
        while not any(m["type"] == "notification" for m in got):
            got.append(await next_not_presence(socket))
        message = next(m for m in got if m["type"] == "notification")
        message_adapter.validate_python(message)
        assert message["unread"] == 1
        item = message["notification"]
        assert item["kind"] == "mention" and item["lead"] == lead.pk and item["board"] == board.pk
        assert item["actor"]["id"] == owner.pk and item["read"] is False
    # The other board's socket gets no note event, only the notification.
    assert [m["type"] for m in got] == ["notification"]
    assert await nothing_but_events(mine_there) == []
    # Others on the same board: the note event, never the notification.
    for socket in (theirs, author):
        seen = await nothing_but_events(socket)
        assert [m["type"] for m in seen] == ["note.created"]
        assert seen[0]["note"]["id"] == note.note.pk
    for socket in (mine_here, mine_there, theirs, author):
        await socket.disconnect()


async def test_a_closed_socket_leaves_the_persons_group(board, owner, editor, stages):
    from funnel.realtime.feed import hub

    socket, _ = await join(board.pk, editor)
    assert editor.pk in hub().users
    await socket.disconnect()
    await settle()
    assert editor.pk not in hub().users
