"""Connection caps, the flood limit, bad frames and meeting.follow: a misbehaving
socket is closed with a clear code, and nobody else notices."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from funnel.realtime.consumer import Close
from funnel.realtime.feed import Hub, hub
from leads.events import encode
from leads.services import lead_create, lead_move
from tests.funnel.conftest import (
    HOST,
    ORIGIN,
    close_code,
    from_peer,
    join,
    new_link,
    open_socket,
    settle,
    token_key,
    ws_ticket,
)

from .test_fanout import Inbox, person

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(lead_create)
move = database_sync_to_async(lead_move)


async def still_served(socket, board, stages, owner) -> None:
    """The socket gets a pong and the next move."""
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    lead = await create(board_id=board.pk, actor=owner, name="Probe")
    created = await socket.receive_json_from()
    assert created["type"] == "lead.created"
    result = await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    assert (await socket.receive_json_from())["seq"] == result.seq


async def drain_presence(socket) -> None:
    while not await socket.receive_nothing(timeout=0.05):
        assert (await socket.receive_json_from())["type"].startswith("presence.")


async def test_per_user_cap_refuses_with_4429(board, stages, owner, settings):
    settings.WS_MAX_CONNECTIONS_PER_USER = 2
    first, _ = await join(board.pk, owner)
    second, _ = await join(board.pk, owner)

    third = await open_socket(board.pk, user=owner)
    assert await close_code(third) == Close.TOO_MANY
    await still_served(first, board, stages, owner)
    await second.disconnect()
    again, _ = await join(board.pk, owner)  # a slot is free again
    await first.disconnect()
    await again.disconnect()
    assert hub().counts == {}


async def guest_socket(board_id: int, token: str):
    return await open_socket(board_id, ticket=await ws_ticket(share=token))


async def test_guests_of_a_link_share_their_own_higher_cap(board, stages, owner, settings):
    """Every guest of a link used to count as one user: the 257th locked all out."""
    settings.WS_MAX_CONNECTIONS_PER_USER = 2
    settings.WS_MAX_CONNECTIONS_PER_SHARE_LINK = 4
    (_, link), (_, other_link) = await new_link(board, owner), await new_link(board, owner)
    guests = [await guest_socket(board.pk, link) for _ in range(4)]  # past the per-user cap
    for socket in guests:
        assert (await socket.receive_json_from())["type"] == "hello"

    refused = await guest_socket(board.pk, link)
    assert await close_code(refused) == Close.TOO_MANY
    # Another link's guests and the members count apart.
    other = await guest_socket(board.pk, other_link)
    assert (await other.receive_json_from())["type"] == "hello"
    member, _ = await join(board.pk, owner)
    await still_served(member, board, stages, owner)
    await guests[0].disconnect()
    await settle()
    again = await guest_socket(board.pk, link)  # a slot is free again
    assert (await again.receive_json_from())["type"] == "hello"
    for socket in [*guests[1:], other, member, again]:
        await socket.disconnect()
    assert hub().counts == {}


async def socket_from(board_id: int, user, peer: str, forwarded_for: str | None = None):
    headers = [ORIGIN, HOST, (b"authorization", f"Token {await token_key(user)}".encode())]
    if forwarded_for is not None:
        headers.append((b"x-forwarded-for", forwarded_for.encode()))
    socket = WebsocketCommunicator(from_peer(peer), f"/ws/boards/{board_id}/", headers)
    assert (await socket.connect())[0]
    return socket


async def first_or_close(socket) -> str | int:
    output = await socket.receive_output(1)
    if output["type"] == "websocket.close":
        return output["code"]
    return json.loads(output["text"])["type"]


async def test_per_address_cap_refuses_with_4429(board, owner, editor, viewer, settings):
    settings.WS_MAX_CONNECTIONS_PER_ADDRESS = 2
    here = [await socket_from(board.pk, user, "203.0.113.5") for user in (owner, editor)]
    assert [await first_or_close(socket) for socket in here] == ["hello", "hello"]
    # Another person from the same address is refused; from another address, let in.
    assert await first_or_close(await socket_from(board.pk, viewer, "203.0.113.5")) == 4429
    elsewhere = await socket_from(board.pk, viewer, "203.0.113.6")
    assert await first_or_close(elsewhere) == "hello"
    # A made-up X-Forwarded-For from an untrusted peer is no new address.
    forged = await socket_from(board.pk, viewer, "203.0.113.5", forwarded_for="198.51.100.1")
    assert await first_or_close(forged) == 4429
    for socket in [*here, elsewhere]:
        await socket.disconnect()


async def test_behind_a_trusted_proxy_each_client_has_its_own_cap(board, owner, editor, settings):
    settings.WS_MAX_CONNECTIONS_PER_ADDRESS = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    first = await socket_from(board.pk, owner, "10.0.0.2", forwarded_for="198.51.100.1")
    second = await socket_from(board.pk, editor, "10.0.0.2", forwarded_for="198.51.100.2")
    again = await socket_from(board.pk, editor, "10.0.0.3", forwarded_for="198.51.100.2")
    assert [await first_or_close(s) for s in (first, second, again)] == ["hello", "hello", 4429]
    await first.disconnect()
    await second.disconnect()


async def test_per_board_cap_counts_other_processes(board, stages, owner, editor, settings):
    settings.WS_MAX_CONNECTIONS_PER_BOARD = 2
    here, _ = await join(board.pk, owner)
    other, inbox = Hub(), Inbox()  # another process with one socket of the board
    subscription = await other.join(board.pk, person(9001, "ines"), **inbox.hooks())
    subscription.start(encode({"type": "hello"}), after_seq=0)
    await settle()

    refused = await open_socket(board.pk, user=editor)
    assert await close_code(refused) == Close.TOO_MANY
    await drain_presence(here)
    await still_served(here, board, stages, owner)
    await subscription.leave()
    await settle()
    now_in, _ = await join(board.pk, editor)
    await here.disconnect()
    await now_in.disconnect()


async def test_a_flood_is_closed_with_4429_and_others_carry_on(
    board, stages, owner, editor, settings
):
    settings.WS_MESSAGE_RATE = 1
    settings.WS_MESSAGE_BURST = 5
    calm, _ = await join(board.pk, owner)
    flood, _ = await join(board.pk, editor)
    await drain_presence(calm)

    for _ in range(20):
        await flood.send_json_to({"type": "ping"})
    assert await close_code(flood) == Close.TOO_MANY
    assert (await calm.receive_json_from())["type"] == "presence.left"
    await still_served(calm, board, stages, owner)
    await calm.disconnect()


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"text_data": "x" * 5000}, Close.TOO_BIG),
        ({"text_data": "\x00\xff garbage"}, Close.BAD_MESSAGE),
        ({"bytes_data": b"\x89\x00\x01"}, Close.BAD_MESSAGE),
    ],
)
async def test_bad_frames_close_only_their_socket(board, stages, owner, editor, frame, code):
    calm, _ = await join(board.pk, owner)
    bad, _ = await join(board.pk, editor)
    await drain_presence(calm)

    await bad.send_to(**frame)
    assert await close_code(bad) == code
    await drain_presence(calm)
    await still_served(calm, board, stages, owner)
    await calm.disconnect()


async def test_unknown_type_gets_an_error_and_the_socket_stays(board, stages, owner):
    socket, _ = await join(board.pk, owner)
    await socket.send_json_to({"type": "lead.move", "lead": 1})
    assert (await socket.receive_json_from())["type"] == "error"
    await still_served(socket, board, stages, owner)
    await socket.disconnect()


async def test_meeting_follow_reaches_the_others_once_without_seq(board, owner, editor, viewer):
    leader, _ = await join(board.pk, editor)
    watcher, _ = await join(board.pk, viewer)
    other, inbox = Hub(), Inbox()  # a socket in another process
    remote = await other.join(board.pk, person(9001, "ines"), **inbox.hooks())
    remote.start(encode({"type": "hello"}), after_seq=0)
    await settle()
    await drain_presence(leader)
    await drain_presence(watcher)
    inbox.texts.clear()

    view = {"stage": 3, "zoom": 1.5, "filters": {"campaign": [7]}}
    await leader.send_json_to({"type": "meeting.follow", "view": view})

    message = await watcher.receive_json_from()
    assert message["type"] == "meeting.follow" and "seq" not in message
    assert message["view"] == view and message["actor"]["id"] == editor.pk
    await settle()
    assert [json.loads(text) for text in inbox.texts] == [message]  # the same text
    assert await leader.receive_nothing(timeout=0.1)  # not echoed to the sender
    assert await watcher.receive_nothing(timeout=0.05)  # exactly once
    await remote.leave()
    await leader.disconnect()
    await watcher.disconnect()


@pytest.mark.parametrize(
    "who, message",
    [
        ("viewer", {"type": "meeting.follow", "view": {"stage": 1}}),
        ("editor", {"type": "meeting.follow", "view": "stage 1"}),
        ("editor", {"type": "meeting.follow", "view": {"note": "x" * 3000}}),
    ],
)
async def test_meeting_follow_refused_with_an_error_reply(
    board, owner, editor, viewer, who, message, settings
):
    settings.WS_MAX_MESSAGE_BYTES = 8192  # past the message cap, the view cap applies
    sender, _ = await join(board.pk, {"viewer": viewer, "editor": editor}[who])
    watcher, _ = await join(board.pk, owner)
    await drain_presence(sender)

    await sender.send_json_to(message)
    assert (await sender.receive_json_from())["type"] == "error"
    await drain_presence(watcher)
    assert await watcher.receive_nothing(timeout=0.1)
    await sender.send_json_to({"type": "ping"})  # still open
    assert await sender.receive_json_from() == {"type": "pong"}
    await sender.disconnect()
    await watcher.disconnect()
