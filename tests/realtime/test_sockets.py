"""The socket's limits and credentials in a real server (uvicorn), as deployed."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
import websockets

from tests.server import Server

from .conftest import needs_redis
from .sockets import close_code, ticket, ws_url
from .test_processes import demo_board


async def first_message(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), 10))


def share_link(cluster: Server, board: int, token: str) -> str:
    status, link = cluster.api("POST", f"/api/boards/{board}/share-links/", {}, token=token)
    assert status == 201
    return link["token"]


async def test_guests_of_one_link_open_more_sockets_than_the_per_user_cap(cluster: Server):
    cluster.env.update(WS_MAX_CONNECTIONS_PER_USER="3", WS_MAX_CONNECTIONS_PER_SHARE_LINK="8")
    url = cluster.start()
    token = cluster.token("manager")
    board, _, _ = demo_board(cluster, token)
    link = share_link(cluster, board, token)

    guests = [
        await websockets.connect(ws_url(url, board, await ticket(url, share=link)), origin=url)
        for _ in range(8)
    ]
    assert [(await first_message(g))["type"] for g in guests] == ["hello"] * 8
    # The link's own cap is the limit, not the per-user one.
    ninth = await websockets.connect(ws_url(url, board, await ticket(url, share=link)), origin=url)
    assert await close_code(ninth) == 4429
    # A member is not locked out by the audience.
    member = await websockets.connect(
        ws_url(url, board), additional_headers={"Authorization": f"Token {token}"}
    )
    assert (await first_message(member))["type"] == "hello"
    for socket in [*guests, member]:
        await socket.close()


@needs_redis
async def test_a_ticket_made_by_one_process_opens_a_socket_on_another(cluster: Server):
    urls = [cluster.start(), cluster.start()]
    token = cluster.token("manager")
    board, _, _ = demo_board(cluster, token)
    made = await ticket(urls[0], token=token)

    socket = await websockets.connect(ws_url(urls[1], board, made), origin=urls[1])
    hello = await first_message(socket)
    assert hello["type"] == "hello" and hello["you"]["username"] == "manager"
    # Used up everywhere: the first process refuses it too.
    again = await websockets.connect(ws_url(urls[0], board, made), origin=urls[0])
    assert await close_code(again) == 4401
    await socket.close()


@pytest.mark.parametrize("size", [5_000, 2_000_000])
async def test_a_frame_over_the_limit_is_refused_before_it_is_read(cluster: Server, size: int):
    """uvicorn's --ws-max-size (WS_MAX_MESSAGE_BYTES, make run and make serve) closes
    with 1009 when the frame's header announces the size; the app never sees it."""
    url = cluster.start()
    token = cluster.token("manager")
    board, _, _ = demo_board(cluster, token)
    socket = await websockets.connect(
        ws_url(url, board), additional_headers={"Authorization": f"Token {token}"}
    )
    assert (await first_message(socket))["type"] == "hello"
    # It may close while we are still sending: refused before it was read.
    with contextlib.suppress(websockets.ConnectionClosed):
        await socket.send("x" * size)
    assert await close_code(socket) == 1009
    assert "limit" in (socket.close_reason or "")  # the server's words, not the app's
