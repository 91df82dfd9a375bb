"""A member's socket follows the member events about them: a removed member's
sockets get ``member.removed`` and close with 4403 (the others stay), a new one
of theirs is refused (4404), and a viewer made editor has an editor's socket at
once. Opening a socket notes when the member was last seen."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from funnel.realtime.consumer import Close
from leads.models import BoardMembership
from leads.services.people import member_remove, member_update
from tests.funnel.conftest import close_code, join, open_socket, settle

pytestmark = pytest.mark.django_db(transaction=True)

remove = database_sync_to_async(member_remove)
update = database_sync_to_async(member_update)


async def next_of(socket, kind: str) -> dict:
    """The next message of type ``kind`` (presence changes on the way are skipped)."""
    while True:
        message = await socket.receive_json_from(timeout=3)
        if message["type"] == kind:
            return message
        assert message["type"].startswith("presence."), message


@database_sync_to_async
def last_seen(board, user):
    return BoardMembership.objects.get(board=board, user=user).last_seen_at


async def test_a_removed_members_sockets_close_with_4403_and_the_others_stay(
    board, owner, editor, viewer
):
    first, _ = await join(board.pk, editor)
    second, _ = await join(board.pk, editor)
    others, _ = await join(board.pk, viewer)
    await settle()

    await remove(board_id=board.pk, actor=owner, user_id=editor.pk)

    for socket in (first, second):
        told = await next_of(socket, "member.removed")
        assert told["user"] == editor.pk and told["actor"]["id"] == owner.pk
        assert await close_code(socket) == Close.REMOVED == 4403
    assert (await next_of(others, "member.removed"))["user"] == editor.pk
    await others.send_json_to({"type": "ping"})
    assert await next_of(others, "pong") == {"type": "pong"}
    # Their next socket finds no board.
    again = await open_socket(board.pk, user=editor)
    assert await close_code(again) == Close.NOT_FOUND
    await others.disconnect()


async def test_leaving_closes_ones_own_sockets(board, owner, viewer):
    socket, _ = await join(board.pk, viewer)
    await settle()
    await remove(board_id=board.pk, actor=viewer, user_id=viewer.pk)
    assert (await next_of(socket, "member.removed"))["user"] == viewer.pk
    assert await close_code(socket) == Close.REMOVED


async def test_a_viewer_made_editor_has_an_editors_socket_at_once(board, owner, viewer):
    socket, hello = await join(board.pk, viewer)
    watcher, _ = await join(board.pk, owner)
    assert hello["you"]["role"] == "viewer"
    await socket.send_json_to({"type": "meeting.follow", "view": {"zoom": 2}})
    assert (await next_of(socket, "error"))["detail"] == "Only editors and owners lead a meeting."

    await update(board_id=board.pk, actor=owner, user_id=viewer.pk, role="editor")
    changed = await next_of(socket, "member.updated")
    assert changed["member"]["may_edit"] is True and changed["fields"] == ["role"]
    assert (await next_of(watcher, "member.updated"))["member"]["id"] == viewer.pk

    await socket.send_json_to({"type": "meeting.follow", "view": {"zoom": 3}})
    followed = await next_of(watcher, "meeting.follow")
    assert followed["view"] == {"zoom": 3} and followed["actor"]["id"] == viewer.pk
    await socket.disconnect()
    await watcher.disconnect()


async def test_a_socket_notes_when_the_member_was_last_seen(board, owner, editor):
    assert await last_seen(board, editor) is None
    socket, _ = await join(board.pk, editor)
    assert await last_seen(board, editor) is not None
    await socket.disconnect()
