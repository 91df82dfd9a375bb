"""The live board socket through the whole ASGI stack (origin, auth, routing)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection, transaction

from config.asgi import application
from funnel.realtime import consumer as consumers
from funnel.realtime.consumer import CLOSE_CODES, Close
from funnel.realtime.feed import hub
from leads.errors import Conflict
from leads.events import LAYER_MESSAGE_TYPE, board_group, encode, event_message
from leads.events.broadcast import user_group
from leads.models import Board, BoardEvent
from leads.services import lead_create, lead_move
from tests.factories import UserFactory
from tests.funnel.conftest import (
    HOST,
    ORIGIN,
    close_code,
    from_peer,
    join,
    open_socket,
    receive_until_seq,
    session_cookie,
    settle,
    token_key,
)

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(lead_create)
move = database_sync_to_async(lead_move)


@database_sync_to_async
def stored_text(board_id: int, seq: int) -> str:
    return encode(event_message(BoardEvent.objects.get(board_id=board_id, seq=seq)))


def same_event(sent: str, stored: str) -> bool:
    """The text sent is the stored event as ``leads.events`` encodes it. PostgreSQL's
    jsonb reorders keys, so there only the content must match; elsewhere the text."""
    if connection.vendor == "postgresql":
        return json.loads(sent) == json.loads(stored)
    return sent == stored


@database_sync_to_async
def last_seq(board_id: int) -> int:
    return Board.objects.get(pk=board_id).last_seq


def summary(user, team):
    return {"id": user.pk, "username": user.username, "name": user.get_full_name(), "team": team}


async def test_hello_carries_seq_presence_and_you(board, stages, owner):
    await create(board_id=board.pk, actor=owner, name="Ada")
    socket, hello = await join(board.pk, owner)

    assert hello["seq"] == await last_seq(board.pk) == 1
    assert hello["presence"] == [summary(owner, "management")]
    assert hello["you"] == {**summary(owner, "management"), "role": "owner"}
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_move_after_connect_arrives_as_encoded_once_with_next_seq(board, stages, owner):
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    socket, hello = await join(board.pk, owner)

    # New [Ada]  move Ada to MQL -> MQL [Ada]
    result = await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)

    text = await socket.receive_from()
    assert result.seq == hello["seq"] + 1
    assert same_event(text, await stored_text(board.pk, result.seq))
    message = json.loads(text)
    assert message["type"] == "lead.moved" and message["seq"] == result.seq
    assert message["to_stage"] == stages.MQL.pk and message["actor"]["id"] == owner.pk
    await socket.disconnect()


async def test_events_around_hello_are_neither_lost_nor_duplicated(
    board, stages, owner, monkeypatch
):
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    read_seq = consumers.board_seq

    async def racing_board_seq(board_id):
        # Published after the socket joined, before its seq is read: in the hello.
        await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        seq = await read_seq(board_id)
        # Published after the read, before the hello is sent: must follow it.
        await move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        # A slow writer's late copy of an event the hello covers: dropped.
        await get_channel_layer().group_send(
            board_group(board_id),
            {"type": LAYER_MESSAGE_TYPE, "text": await stored_text(board_id, seq)},
        )
        await settle()
        return seq

    monkeypatch.setattr(consumers, "board_seq", racing_board_seq)
    socket, hello = await join(board.pk, owner)

    assert hello["seq"] == 2
    after = json.loads(await socket.receive_from())
    assert (after["type"], after["seq"], after["to_stage"]) == ("lead.moved", 3, stages.SQL.pk)
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_sockets_joining_during_a_stream_of_moves_see_every_later_event_once(
    board, stages, owner, editor
):
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    targets = [stages.MQL, stages.SQL] * 6

    async def mover():
        for stage in targets:
            await move(lead_id=lead.pk, to_stage_id=stage.pk, actor=editor)
            await asyncio.sleep(0)

    async def watcher(user):
        socket, hello = await join(board.pk, user)
        return socket, hello["seq"]

    moving = asyncio.create_task(mover())
    watchers = []
    for user in [owner, editor] * 3:
        watchers.append(await watcher(user))
        await asyncio.sleep(0.005)
    await moving
    final = await last_seq(board.pk)

    for socket, hello_seq in watchers:
        stored = []
        if hello_seq < final:
            stored = [m["seq"] for m in await receive_until_seq(socket, final) if "seq" in m]
        assert stored == list(range(hello_seq + 1, final + 1))
        # Nothing stored after; only presence may still be on its way.
        while not await socket.receive_nothing(timeout=0.05):
            assert "seq" not in await socket.receive_json_from()
    for socket, _ in watchers:
        await socket.disconnect()


async def test_session_cookie_authenticates(board, owner):
    socket = WebsocketCommunicator(
        application, f"/ws/boards/{board.pk}/", headers=[ORIGIN, HOST, await session_cookie(owner)]
    )
    assert (await socket.connect())[0]
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello" and hello["you"]["id"] == owner.pk
    await socket.disconnect()


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("anonymous", Close.UNAUTHENTICATED),
        ("bad token", Close.UNAUTHENTICATED),
        ("empty token", Close.UNAUTHENTICATED),
        ("inactive user", Close.UNAUTHENTICATED),
        ("outsider", Close.NOT_FOUND),
        ("no such board", Close.NOT_FOUND),
        ("bigint overflow", Close.NOT_FOUND),
    ],
)
async def test_refused_sockets_are_accepted_then_closed_with_a_code(board, outsider, who, code):
    board_id = board.pk
    token = None
    if who == "bad token":
        token = "0" * 40
    elif who == "empty token":
        token = ""
    elif who == "inactive user":
        user = await database_sync_to_async(UserFactory)(username="gone", is_active=False)
        token = await token_key(user)
    elif who == "outsider":
        token = await token_key(outsider)
    elif who == "no such board":
        token = await token_key(outsider)
        board_id = board.pk + 1000
    elif who == "bigint overflow":
        token = await token_key(outsider)
        board_id = 2**64

    socket = await open_socket(board_id, token=token)
    assert await close_code(socket) == code
    await socket.disconnect()
    assert not hub().feeds


async def test_a_bad_token_wins_over_a_good_session(board, owner):
    cookie = await session_cookie(owner)
    socket = await open_socket(board.pk, token="nope", headers=[ORIGIN, HOST, cookie])
    assert await close_code(socket) == Close.UNAUTHENTICATED
    await socket.disconnect()


@pytest.mark.parametrize("query", ["token", "share"])
async def test_secrets_in_the_url_are_refused_even_with_a_session(board, owner, query):
    """Long-lived secrets never ride in URLs (access logs): ``?token=`` and ``?share=``
    are refused, and a client still sending them finds out at once."""
    secret = await token_key(owner)
    socket = WebsocketCommunicator(
        application,
        f"/ws/boards/{board.pk}/?{query}={secret}",
        headers=[ORIGIN, HOST, await session_cookie(owner)],
    )
    assert (await socket.connect())[0]
    assert await close_code(socket) == Close.UNAUTHENTICATED
    await socket.disconnect()


# A server on http://127.0.0.1:8000 (and, behind a TLS proxy, https://board.example.com).
TRUSTED = ["https://board.example.com", "https://*.corp.example"]


@pytest.mark.parametrize(
    ("origin", "host", "extra", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", [], True),
        # Same host, another port or scheme: another origin (both passed before).
        ("http://127.0.0.1:4444", "127.0.0.1:8000", [], False),
        ("https://localhost", "127.0.0.1:8000", [], False),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", [], False),
        ("http://localhost:8000", "127.0.0.1:8000", [], False),
        ("http://evil.example", "127.0.0.1:8000", [], False),
        ("null", "127.0.0.1:8000", [], False),
        ("http://127.0.0.1:8000", None, [], False),  # no Host: nothing to compare with
        # A Host that is not ours (DNS rebinding) is no origin of ours, even if equal.
        ("http://evil.example", "evil.example", [], False),
        # Default ports are the same origin whether written or not.
        ("http://localhost", "localhost:80", [], True),
        # CSRF_TRUSTED_ORIGINS: exactly, or a subdomain of a *. entry, scheme and port too.
        ("https://board.example.com", "127.0.0.1:8000", [], True),
        ("https://team.corp.example", "127.0.0.1:8000", [], True),
        ("http://board.example.com", "127.0.0.1:8000", [], False),
        ("https://board.example.com:8443", "127.0.0.1:8000", [], False),
        ("https://corp.example.evil", "127.0.0.1:8000", [], False),
        # Two Origin headers: not a browser's; refused rather than guessed.
        ("http://127.0.0.1:8000", "127.0.0.1:8000", [(b"origin", b"http://evil.example")], False),
    ],
)
async def test_the_origin_must_be_ours_in_scheme_host_and_port(
    board, owner, settings, origin, host, extra, allowed
):
    settings.CSRF_TRUSTED_ORIGINS = TRUSTED
    headers = [(b"origin", origin.encode()), *extra]
    if host is not None:
        headers.append((b"host", host.encode()))
    headers.append((b"authorization", f"Token {await token_key(owner)}".encode()))
    socket = WebsocketCommunicator(application, f"/ws/boards/{board.pk}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected is allowed
    if allowed:
        assert (await socket.receive_json_from())["type"] == "hello"
    await socket.disconnect()


@pytest.mark.parametrize(("trusted", "allowed"), [(True, True), (False, False)])
async def test_https_behind_a_proxy_counts_only_from_a_trusted_proxy(
    board, owner, settings, trusted, allowed
):
    """The proxy ends TLS: the socket reaches us over http, and only a trusted proxy's
    X-Forwarded-Proto makes the request https (config.clients.scope_scheme)."""
    settings.ALLOWED_HOSTS = ["board.example.com"]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"] if trusted else []
    headers = [
        (b"origin", b"https://board.example.com"),
        (b"host", b"board.example.com"),
        (b"x-forwarded-proto", b"https"),
        (b"authorization", f"Token {await token_key(owner)}".encode()),
    ]
    socket = WebsocketCommunicator(
        from_peer("10.0.0.2"), f"/ws/boards/{board.pk}/", headers=headers
    )
    assert (await socket.connect())[0] is allowed
    await socket.disconnect()


async def test_script_without_origin_needs_its_token(board, owner):
    """No Origin means no browser (browsers always send one): a script with a token is let in,
    one without credentials is still refused."""
    authorization = (b"authorization", f"Token {await token_key(owner)}".encode())
    socket = WebsocketCommunicator(application, f"/ws/boards/{board.pk}/", headers=[authorization])
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"
    await socket.disconnect()

    anonymous = WebsocketCommunicator(application, f"/ws/boards/{board.pk}/")
    await anonymous.connect()
    assert await close_code(anonymous) == Close.UNAUTHENTICATED
    await anonymous.disconnect()


async def test_presence_joined_and_left_as_people_come_and_go(board, owner, editor):
    first, hello = await join(board.pk, owner)
    assert [p["id"] for p in hello["presence"]] == [owner.pk]

    second, hello = await join(board.pk, editor)
    assert [p["id"] for p in hello["presence"]] == [owner.pk, editor.pk]
    joined = await first.receive_json_from()
    assert joined == {"type": "presence.joined", "user": summary(editor, "sales")}

    # A second tab of the same person is no news; closing one of two neither.
    tab, _ = await join(board.pk, editor)
    await tab.disconnect()
    assert await first.receive_nothing()

    await second.disconnect()
    left = await first.receive_json_from()
    assert left == {"type": "presence.left", "user": summary(editor, "sales")}
    assert "seq" not in joined and "seq" not in left
    await first.disconnect()


async def test_rolled_back_or_refused_change_publishes_nothing(board, stages, owner, viewer):
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    socket, hello = await join(board.pk, viewer)

    @database_sync_to_async
    def move_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
            raise RuntimeError("rolled back")

    await move_then_roll_back()
    with pytest.raises(Conflict):
        await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner, version=99)

    assert await socket.receive_nothing(timeout=0.3)
    assert await last_seq(board.pk) == hello["seq"]
    await socket.disconnect()


async def test_ping_gets_pong_and_an_unknown_type_gets_an_error(board, owner):
    socket, _ = await join(board.pk, owner)

    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.send_json_to({"type": "lead.move", "lead": 1})
    error = await socket.receive_json_from()
    assert error["type"] == "error" and error["detail"]
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "x" * 5000}, Close.TOO_BIG),
        (
            {"text_data": json.dumps({"type": "ping", "pad": "é" * 2100}, ensure_ascii=False)},
            Close.TOO_BIG,
        ),
        ({"bytes_data": b"\0" * 5000}, Close.TOO_BIG),
        ({"text_data": "not json {"}, Close.BAD_MESSAGE),
        ({"text_data": "[1, 2]"}, Close.BAD_MESSAGE),
        ({"bytes_data": b'{"type": "ping"}'}, Close.BAD_MESSAGE),
    ],
)
async def test_oversized_or_garbage_frames_close_the_socket(board, owner, editor, frame, code):
    watcher, _ = await join(board.pk, editor)
    await watcher.receive_nothing(timeout=0.05)
    socket, _ = await join(board.pk, owner)
    await watcher.receive_json_from()  # presence.joined

    await socket.send_to(**frame)
    assert await close_code(socket) == code
    # It left the board at once: the others see it go.
    assert (await watcher.receive_json_from())["type"] == "presence.left"
    await socket.disconnect()
    await watcher.disconnect()


async def test_two_sockets_on_a_board_share_one_layer_channel(board, stages, owner, editor):
    layer = get_channel_layer()
    added, discarded = [], []
    group_add, group_discard = layer.group_add, layer.group_discard

    async def counting_add(group, channel):
        added.append((group, channel))
        await group_add(group, channel)

    async def counting_discard(group, channel):
        discarded.append((group, channel))
        await group_discard(group, channel)

    layer.group_add, layer.group_discard = counting_add, counting_discard
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    first, _ = await join(board.pk, owner)
    second, _ = await join(board.pk, editor)

    await first.receive_json_from()  # presence.joined (editor)
    feed = hub().feeds[board.pk]
    boards = [entry for entry in added if entry[0] == board_group(board.pk)]
    assert boards == [(board_group(board.pk), feed.channel)]
    # Besides, each person's own group (their notifications): one channel per person.
    people = sorted(group for group, _ in added if group != board_group(board.pk))
    assert people == sorted([user_group(owner.pk), user_group(editor.pk)])
    assert len(feed.subscriptions) == 2

    result = await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    text = await first.receive_from()
    assert await second.receive_from() == text  # one text for every socket
    assert same_event(text, await stored_text(board.pk, result.seq))

    await first.disconnect()
    await second.disconnect()
    assert sorted(discarded) == sorted(added)
    assert board.pk not in hub().feeds


async def test_a_socket_that_falls_behind_is_told_to_resync_and_others_carry_on(
    board, owner, editor, settings
):
    settings.WS_SEND_QUEUE_SIZE = 3
    slow, _ = await join(board.pk, owner)
    fast, _ = await join(board.pk, editor)
    await slow.receive_json_from()  # presence.joined (editor)
    stuck = asyncio.Event()
    subscription = next(s for s in hub().feeds[board.pk].subscriptions if s.user["id"] == owner.pk)

    async def never_done(text):
        await stuck.wait()

    subscription._send = never_done
    layer = get_channel_layer()
    texts = [encode({"type": "meeting.follow", "n": n}) for n in range(8)]
    for text in texts:
        await layer.group_send(board_group(board.pk), {"type": LAYER_MESSAGE_TYPE, "text": text})
        await asyncio.sleep(0)

    received = [await fast.receive_from() for _ in range(len(texts) + 1)]
    left = encode({"type": "presence.left", "user": subscription.user})
    assert [text for text in received if text != left] == texts
    assert left in received
    assert await close_code(slow) == Close.RESYNC
    await slow.disconnect()
    await fast.disconnect()


async def test_a_failed_layer_tells_every_socket_to_resync(board, owner, monkeypatch):
    layer = get_channel_layer()

    async def broken_receive(channel):
        raise ConnectionError("layer is down")

    monkeypatch.setattr(layer, "receive", broken_receive)
    socket = await open_socket(board.pk, user=owner)
    assert await close_code(socket) == Close.RESYNC
    await socket.disconnect()
    assert board.pk not in hub().feeds


def test_every_close_code_is_documented():
    assert set(CLOSE_CODES) == set(Close)
    assert all(4000 <= code < 5000 or code == 1009 for code in Close)


@pytest.mark.skipif(not settings.REDIS_URL, reason="a Redis layer's blocking receive")
async def test_an_idle_board_keeps_its_sockets_open(board, owner):
    # channels_redis blocks in BZPOPMIN for brpop_timeout (5 s); the Redis client
    # must not time out its read first, or every idle board resyncs every 5 s.
    socket, _ = await join(board.pk, owner)
    await asyncio.sleep(get_channel_layer().brpop_timeout + 1.5)
    assert await socket.receive_nothing()
    assert board.pk in hub().feeds and not hub().feeds[board.pk].failed
    await socket.disconnect()


@pytest.mark.parametrize("path", ["/ws/boards/\u0661/", "/ws/boards/abc/", "/ws/nowhere/"])
async def test_a_socket_path_that_names_no_board_closes_with_4404(path, board, owner):
    socket = WebsocketCommunicator(application, path, headers=[ORIGIN, HOST])
    connected, _ = await socket.connect()
    assert connected
    assert await close_code(socket) == Close.NOT_FOUND
