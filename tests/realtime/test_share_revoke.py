"""A revoked share link closes its meeting views in every server process at once."""

from __future__ import annotations

import asyncio
import json

import websockets

from tests.server import Server

from .conftest import needs_redis
from .sockets import close_code, ticket, ws_url
from .test_processes import demo_board


async def hello_of(socket) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message["type"] == "hello":
            return message


@needs_redis
async def test_revoking_closes_the_links_views_in_every_process(cluster: Server):
    urls = [cluster.start(), cluster.start()]
    token = cluster.token("manager")
    board, _, _ = demo_board(cluster, token)
    status, link = await asyncio.to_thread(
        cluster.api, "POST", f"/api/boards/{board}/share-links/", {}, token=token
    )
    assert status == 201

    # Each guest as its browser does: a ticket of the link from the process it opens.
    guests = [
        await websockets.connect(ws_url(url, board, await ticket(url, share=link["token"])))
        for url in urls
    ]
    member = await websockets.connect(
        ws_url(urls[1], board), additional_headers={"Authorization": f"Token {token}"}
    )
    for socket in [*guests, member]:
        assert (await hello_of(socket))["type"] == "hello"

    # Revoked through the first process: the second hears it through Redis.
    status, _ = await asyncio.to_thread(
        cluster.api, "DELETE", f"/api/boards/{board}/share-links/{link['token']}/",
        token=token, url=urls[0],
    )  # fmt: skip
    assert status == 204
    codes = await asyncio.gather(*(close_code(socket) for socket in guests))
    assert codes == [4410, 4410]

    await member.send(json.dumps({"type": "ping"}))
    while (message := json.loads(await asyncio.wait_for(member.recv(), 5)))["type"] != "pong":
        assert message["type"] in ("share.revoked", "presence.joined", "presence.left"), message
    await member.close()
