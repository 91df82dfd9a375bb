"""The meeting view's socket opened with a share link: read-only, one board, people
by display name only, and closed (4410) the moment the link is revoked or expires.

A guest's browser opens it with a ticket (``POST /api/ws-ticket/`` with
``X-Share-Token``); a script may send ``X-Share-Token`` on the handshake."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from funnel.meetings import meeting_end, meeting_start
from funnel.models import ShareLink
from funnel.realtime import feed as fanout
from funnel.realtime.consumer import Close
from funnel.sharing import share_link_revoke
from leads.services import lead_create, lead_move
from tests.factories import BoardFactory
from tests.funnel.conftest import (
    HOST,
    ORIGIN,
    close_code,
    join,
    new_link,
    open_socket,
    settle,
    ticket_answer,
    ws_ticket,
)

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(lead_create)
move = database_sync_to_async(lead_move)
revoke = database_sync_to_async(share_link_revoke)


async def open_share(board_id: int, token: str) -> WebsocketCommunicator:
    """A guest's socket as a browser opens it: with a fresh ticket of the link."""
    return await open_socket(board_id, ticket=await ws_ticket(share=token))


async def open_share_script(board_id: int, token: str) -> WebsocketCommunicator:
    """A guest's socket as a script opens it: the link's token in a header."""
    headers = [ORIGIN, HOST, (b"x-share-token", token.encode())]
    socket = WebsocketCommunicator(application, f"/ws/boards/{board_id}/", headers)
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
    link, token = await new_link(board, owner)
    member, _ = await join(board.pk, owner)
    socket, hello = await guest(board.pk, token)
    assert hello["you"] == {
        "id": f"share-{link.pk}",
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


@pytest.mark.parametrize("opener", [open_share, open_share_script])
async def test_a_link_opens_no_other_board(board, owner, opener):
    _, token = await new_link(board, owner)
    other = await database_sync_to_async(BoardFactory)(name="Other", created_by=owner)
    socket = await opener(other.pk, token)
    assert await close_code(socket) == Close.NOT_FOUND


@pytest.mark.parametrize("token", ["nope", "", "x" * 500])
async def test_a_link_that_does_not_work_gets_no_ticket_and_its_socket_closes_4410(
    board, owner, token
):
    answer = await ticket_answer(share=token)
    assert answer.status_code in (401, 403) and answer.json()["detail"]
    socket = await open_share_script(board.pk, token)
    assert await close_code(socket) == Close.SHARE_ENDED


@pytest.mark.parametrize("by", ["id", "token"])
async def test_revoking_closes_the_links_sockets_at_once_and_only_those(by, board, owner, editor):
    link, token = await new_link(board, owner)
    _, kept_token = await new_link(board, owner)
    first, _ = await guest(board.pk, token)
    second, _ = await guest(board.pk, token)
    other, _ = await guest(board.pk, kept_token)
    member, _ = await join(board.pk, editor)
    await settle()

    named = {"link_id": link.pk} if by == "id" else {"token": token}
    await revoke(board_id=board.pk, actor=owner, **named)

    assert await close_code(first) == Close.SHARE_ENDED
    assert await close_code(second) == Close.SHARE_ENDED
    # The others hear which link ended (by id: the token is never sent) and stay.
    notice = await next_of(member, "share.revoked")
    assert notice == {"type": "share.revoked", "link": link.pk}
    assert token not in json.dumps(await next_of(other, "share.revoked"))
    await other.send_json_to({"type": "ping"})
    assert await next_of(other, "pong") == {"type": "pong"}
    # ... and the revoked link opens nothing any more.
    assert (await ticket_answer(share=token)).status_code in (401, 403)
    again = await open_share_script(board.pk, token)
    assert await close_code(again) == Close.SHARE_ENDED
    await other.disconnect()
    await member.disconnect()


async def test_a_link_closes_when_it_expires(board, owner):
    _, token = await new_link(board, owner, expires_at=timezone.now() + timedelta(seconds=0.6))
    socket, _ = await guest(board.pk, token)
    assert await asyncio.wait_for(close_code(socket), timeout=5) == Close.SHARE_ENDED


async def test_a_lost_announcement_is_caught_by_the_next_check(board, owner, settings):
    settings.WS_SHARE_RECHECK = 0.2
    link, token = await new_link(board, owner)
    socket, _ = await guest(board.pk, token)
    # Revoked behind the service's back: no announcement at all.
    await database_sync_to_async(ShareLink.objects.filter(pk=link.pk).update)(
        revoked_at=timezone.now()
    )
    assert await asyncio.wait_for(close_code(socket), timeout=5) == Close.SHARE_ENDED


async def test_meeting_start_and_end_reach_every_meeting_view(board, stages, owner, editor):
    _, token = await new_link(board, owner)
    socket, _ = await guest(board.pk, token)
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


async def raw_until(socket, kind: str) -> str:
    """The raw text of the next message of type ``kind``."""
    while True:
        text = await socket.receive_from(timeout=3)
        if json.loads(text)["type"] == kind:
            return text


async def test_a_guest_sees_display_names_never_usernames(board, stages, owner, editor):
    _, token = await new_link(board, owner)
    member, _ = await join(board.pk, owner)
    socket, hello = await guest(board.pk, token)
    # Hello: who is there, by name.
    olivia = {"id": owner.pk, "name": owner.get_full_name(), "team": "management"}
    assert olivia in hello["presence"]
    assert all("username" not in person for person in hello["presence"])

    leader, _ = await join(board.pk, editor)
    dana = {"id": editor.pk, "name": editor.get_full_name(), "team": "sales"}
    joined = await raw_until(socket, "presence.joined")
    assert json.loads(joined)["user"] == dana and '"username"' not in joined

    await create(board_id=board.pk, actor=owner, name="Ada")
    created = await raw_until(socket, "lead.created")
    assert json.loads(created)["actor"] == olivia and '"username"' not in created

    await leader.send_json_to({"type": "meeting.follow", "view": {"zoom": 2}})
    follow = await raw_until(socket, "meeting.follow")
    assert json.loads(follow)["actor"] == dana and '"username"' not in follow

    await leader.disconnect()
    left = await raw_until(socket, "presence.left")
    assert json.loads(left)["user"] == dana and '"username"' not in left

    # Members still see usernames.
    event = json.loads(await raw_until(member, "lead.created"))
    assert event["actor"]["username"] == owner.username
    await socket.disconnect()
    await member.disconnect()


async def test_the_guest_text_is_made_once_per_message_not_per_socket(board, owner, monkeypatch):
    made: list[str] = []
    real = fanout.guest_text
    monkeypatch.setattr(fanout, "guest_text", lambda text: made.append(text) or real(text))
    _, token = await new_link(board, owner)
    guests = [(await guest(board.pk, token))[0] for _ in range(3)]
    await settle()
    made.clear()

    await create(board_id=board.pk, actor=owner, name="Ada")
    for socket in guests:
        assert '"username"' not in await raw_until(socket, "lead.created")
    assert len([text for text in made if '"lead.created"' in text]) == 1
    for socket in guests:
        await socket.disconnect()
