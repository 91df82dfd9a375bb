"""The meeting view's socket opened with a share link: read-only, one board, and
closed (4410) the moment the link is revoked or expires."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from funnel.consumers import Close
from funnel.models import ShareLink
from funnel.services import meeting_end, meeting_start, share_link_create, share_link_revoke
from leads.services import lead_create, lead_move
from tests.factories import BoardFactory

from .conftest import ORIGIN, close_code, join, settle

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(lead_create)
move = database_sync_to_async(lead_move)
revoke = database_sync_to_async(share_link_revoke)


@database_sync_to_async
def new_link(board, owner, **fields) -> ShareLink:
    return share_link_create(board_id=board.pk, actor=owner, **fields)


async def open_share(board_id: int, token: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/boards/{board_id}/?share={token}", [ORIGIN])
    connected, _ = await socket.connect()
    assert connected
    return socket


async def guest(board_id: int, token: str) -> tuple[WebsocketCommunicator, dict]:
    socket = await open_share(board_id, token)
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello", hello
    return socket, hello


async def next_of(socket, kind: str) -> dict:
    """The next message of type ``kind`` (presence changes on the way are skipped)."""
    while True:
        message = await socket.receive_json_from(timeout=3)
        if message["type"] == kind:
            return message
        assert message["type"].startswith("presence."), message


async def test_a_link_watches_the_board_as_a_guest(board, stages, owner):
    link = await new_link(board, owner)
    member, _ = await join(board.pk, owner)
    socket, hello = await guest(board.pk, link.token)
    assert hello["you"] == {
        "id": f"share-{link.pk}",
        "username": "",
        "name": "Guest",
        "team": None,
        "role": "viewer",
    }
    joined = await next_of(member, "presence.joined")
    assert joined["user"]["name"] == "Guest"

    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    assert (await next_of(socket, "lead.created"))["lead"]["id"] == lead.pk

    # A guest leads no meeting.
    await socket.send_json_to({"type": "meeting.follow", "view": {"zoom": 2}})
    assert (await next_of(socket, "error"))["detail"] == "Only editors and owners lead a meeting."
    await settle()
    while not await member.receive_nothing(timeout=0.05):
        assert (await member.receive_json_from())["type"] != "meeting.follow"
    await socket.disconnect()
    await member.disconnect()


async def test_a_link_opens_no_other_board(board, owner):
    link = await new_link(board, owner)
    other = await database_sync_to_async(BoardFactory)(name="Other", created_by=owner)
    socket = await open_share(other.pk, link.token)
    assert await close_code(socket) == Close.NOT_FOUND


@pytest.mark.parametrize("token", ["nope", "", "x" * 500])
async def test_a_link_that_does_not_work_is_closed_with_4410(board, owner, token):
    socket = await open_share(board.pk, token)
    assert await close_code(socket) == Close.SHARE_ENDED


@pytest.mark.parametrize("by", ["id", "token"])
async def test_revoking_closes_the_links_sockets_at_once_and_only_those(by, board, owner, editor):
    link = await new_link(board, owner)
    kept = await new_link(board, owner)
    first, _ = await guest(board.pk, link.token)
    second, _ = await guest(board.pk, link.token)
    other, _ = await guest(board.pk, kept.token)
    member, _ = await join(board.pk, editor)
    await settle()

    named = {"link_id": link.pk} if by == "id" else {"token": link.token}
    await revoke(board_id=board.pk, actor=owner, **named)

    assert await close_code(first) == Close.SHARE_ENDED
    assert await close_code(second) == Close.SHARE_ENDED
    # The others hear which link ended (by id: the token is never sent) and stay.
    notice = await next_of(member, "share.revoked")
    assert notice == {"type": "share.revoked", "link": link.pk}
    assert link.token not in json.dumps(await next_of(other, "share.revoked"))
    await other.send_json_to({"type": "ping"})
    assert await next_of(other, "pong") == {"type": "pong"}
    # ... and the revoked link opens nothing any more.
    again = await open_share(board.pk, link.token)
    assert await close_code(again) == Close.SHARE_ENDED
    await other.disconnect()
    await member.disconnect()


async def test_a_link_closes_when_it_expires(board, owner):
    link = await new_link(board, owner, expires_at=timezone.now() + timedelta(seconds=0.6))
    socket, _ = await guest(board.pk, link.token)
    assert await asyncio.wait_for(close_code(socket), timeout=5) == Close.SHARE_ENDED


async def test_a_lost_announcement_is_caught_by_the_next_check(board, owner, settings):
    settings.WS_SHARE_RECHECK = 0.2
    link = await new_link(board, owner)
    socket, _ = await guest(board.pk, link.token)
    # Revoked behind the service's back: no announcement at all.
    await database_sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(
        revoked_at=timezone.now()
    )
    assert await asyncio.wait_for(close_code(socket), timeout=5) == Close.SHARE_ENDED


async def test_meeting_start_and_end_reach_every_meeting_view(board, stages, owner, editor):
    link = await new_link(board, owner)
    socket, _ = await guest(board.pk, link.token)
    member, _ = await join(board.pk, owner)

    meeting = await database_sync_to_async(meeting_start)(board_id=board.pk, actor=editor)
    started = await next_of(socket, "meeting.started")
    assert started["meeting"]["id"] == meeting.pk
    assert started["meeting"]["started_by"] == "Dana Sales"
    assert (await next_of(member, "meeting.started"))["meeting"]["id"] == meeting.pk

    await database_sync_to_async(meeting_end)(board_id=board.pk, meeting_id=meeting.pk, actor=owner)
    assert await next_of(socket, "meeting.ended") == {
        "type": "meeting.ended",
        "meeting": meeting.pk,
    }
    assert (await next_of(member, "meeting.ended"))["meeting"] == meeting.pk
    await socket.disconnect()
    await member.disconnect()
