"""Helpers for the live board socket: connect through the whole ASGI stack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from config.asgi import application
from funnel.models import ShareLink
from funnel.sharing import share_link_create

ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")  # a browser's page on the server it asks: same origin


@pytest.fixture(autouse=True)
async def _empty_redis_layer():
    """On Redis, start from an empty layer (REDIS_URL names a db of our own)."""
    if settings.REDIS_URL:
        await get_channel_layer().flush()
    yield


@database_sync_to_async
def token_key(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


@database_sync_to_async
def new_link(board, owner, **fields) -> tuple[ShareLink, str]:
    """A share link of ``board`` made by the service, and the token its guests hold
    (only the creation's answer knows it). ``fields`` (``expires_at``, ``revoked_at``)
    are then written as they are, past ones included."""
    link = share_link_create(board_id=board.pk, actor=owner)
    if fields:
        ShareLink.objects.filter(pk=link.pk).update(**fields)
    return link, link.token


@database_sync_to_async
def session_cookie(user) -> tuple[bytes, bytes]:
    """The ``Cookie`` header of a browser signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@database_sync_to_async
def ticket_answer(*, user=None, share: str | None = None) -> Any:
    """``POST /api/ws-ticket/`` as a member (by API token) or a share link's guest."""
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Token {Token.objects.get_or_create(user=user)[0].key}"
    if share is not None:
        headers["X-Share-Token"] = share
    return Client().post("/api/ws-ticket/", headers=headers)


async def ws_ticket(*, user=None, share: str | None = None) -> str:
    answer = await ticket_answer(user=user, share=share)
    assert answer.status_code == 201, answer.content
    return answer.json()["ticket"]


async def open_socket(
    board_id: int,
    *,
    user=None,
    token: str | None = None,
    ticket: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> WebsocketCommunicator:
    """A communicator, connected (accepted) but with nothing read yet. ``user`` or
    ``token``: authenticated as a script does, with an ``Authorization`` header;
    ``ticket``: as a browser does, with ``?ticket=``."""
    if user is not None:
        token = await token_key(user)
    headers = list(headers or [ORIGIN, HOST])
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    path = f"/ws/boards/{board_id}/" + (f"?ticket={ticket}" if ticket is not None else "")
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


def from_peer(address: str, app=application):
    """The application as reached from ``address`` (the socket's peer: a client, or
    a proxy)."""

    async def reached(scope, receive, send):
        return await app({**scope, "client": (address, 40000)}, receive, send)

    return reached


async def join(board_id: int, user) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """A connected socket and its hello."""
    socket = await open_socket(board_id, user=user)
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello", hello
    return socket, hello


async def close_code(socket: WebsocketCommunicator, within: float = 1) -> int:
    """Read up to the server's close frame and return its code (each output must
    come ``within`` seconds)."""
    while True:
        output = await socket.receive_output(within)
        if output["type"] == "websocket.close":
            return output.get("code", 1000)


async def receive_until_seq(socket: WebsocketCommunicator, seq: int) -> list[dict[str, Any]]:
    """Every message up to and including the stored event ``seq``."""
    messages = []
    while True:
        message = json.loads(await socket.receive_from(timeout=3))
        messages.append(message)
        if message.get("seq", 0) >= seq:
            return messages


async def settle() -> None:
    """Let the feed's reader and the sockets' senders run."""
    for _ in range(5):
        await asyncio.sleep(0.01)
