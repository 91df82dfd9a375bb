"""Several server processes, as production runs them: events reach every client
exactly once and in seq order, a killed process costs nobody an event, its users
leave presence within the lease, and dead sockets are noticed by pings."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from tests.server import Server

from .client import BoardClient
from .conftest import FAST, needs_postgres_and_redis, needs_redis

LEASE = float(FAST["WS_PRESENCE_TTL"]) + float(FAST["WS_PRESENCE_INTERVAL"])


def demo_board(server: Server, token: str) -> tuple[int, list[int], list[int]]:
    """The demo board, its open stages and some of its leads."""
    status, body = server.api("GET", "/api/boards/", token=token)
    assert status == 200
    boards = body["results"] if isinstance(body, dict) and "results" in body else body
    board = next(b["id"] for b in boards if b["name"] == "Q4 Pipeline")
    status, state = server.api("GET", f"/api/boards/{board}/state/?per_stage=50", token=token)
    assert status == 200
    stages = [s["id"] for s in state["stages"] if s["kind"] == "open"]
    leads = [card["id"] for s in state["stages"] if s["kind"] == "open" for card in s["leads"]]
    return board, stages, leads


async def make_moves(
    server: Server, token: str, stages: list[int], leads: list[int], count: int, urls: list[str]
) -> int:
    """``count`` moves, round robin over ``urls``; the last seq."""
    seq = 0
    for n in range(count):
        lead, stage = leads[n % len(leads)], stages[(n // len(leads) + 1 + n) % len(stages)]
        status, body = await asyncio.to_thread(
            server.api, "POST", f"/api/leads/{lead}/move/", {"to_stage": stage},
            token=token, url=urls[n % len(urls)],
        )  # fmt: skip
        if status == 200:
            seq = max(seq, body["seq"])
        await asyncio.sleep(0.01)
    return seq


async def until(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def connected(clients: list[BoardClient]) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(client.run()) for client in clients]
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 15)
    return tasks


def assert_every_event_once_in_order(clients: list[BoardClient], final: int) -> None:
    for client in clients:
        assert client.start is not None
        assert client.shown == list(range(client.start + 1, final + 1))


@needs_postgres_and_redis
async def test_two_processes_every_event_reaches_every_client_once_in_order(cluster: Server):
    urls = [cluster.start(), cluster.start()]
    tokens = [cluster.token(name) for name in ("marketing", "sales", "manager")]
    board, stages, leads = demo_board(cluster, tokens[0])
    clients = [BoardClient([urls[n % 2]], board, tokens[n % 3]) for n in range(12)]
    tasks = await connected(clients)

    final = await make_moves(cluster, tokens[0], stages, leads, 60, urls)

    await until(lambda: all(c.last >= final for c in clients), 15, "every event everywhere")
    assert_every_event_once_in_order(clients, final)
    assert all(c.received_twice == 0 and c.reconnects == 0 for c in clients)
    for task in tasks:
        task.cancel()


@needs_redis
async def test_killing_a_worker_costs_no_event(cluster: Server):
    urls = [cluster.start(), cluster.start()]
    token = cluster.token("marketing")
    board, stages, leads = demo_board(cluster, token)
    # Clients of the second process fail over to the first.
    clients = [BoardClient([urls[n % 2], urls[0]], board, token) for n in range(10)]
    tasks = await connected(clients)

    moves = asyncio.create_task(make_moves(cluster, token, stages, leads, 80, [urls[0]]))
    await until(lambda: clients[0].last >= clients[0].start + 20, 15, "the stream to start")
    cluster.processes[1].kill()  # SIGKILL mid-stream
    final = await moves

    await until(lambda: all(c.last >= final for c in clients), 20, "every client to heal")
    assert_every_event_once_in_order(clients, final)
    assert all(c.reconnects >= 1 for c in clients[1::2])
    assert all(c.reconnects == 0 for c in clients[0::2])
    for task in tasks:
        task.cancel()


@needs_redis
async def test_a_killed_process_users_leave_presence_within_the_lease(cluster: Server):
    urls = [cluster.start(), cluster.start()]
    board, _, _ = demo_board(cluster, cluster.token("marketing"))
    watcher = BoardClient([urls[0]], board, cluster.token("marketing"))
    gone = BoardClient([urls[1]], board, cluster.token("sales"))  # never reconnects elsewhere
    tasks = await connected([watcher])
    tasks += await connected([gone])
    await until(
        lambda: any(p["type"] == "presence.joined" for p in watcher.presence), 5, "sales joined"
    )
    sales = next(p["user"] for p in watcher.presence if p["type"] == "presence.joined")

    cluster.processes[1].kill()
    killed = time.monotonic()
    await until(
        lambda: {"type": "presence.left", "user": sales} in watcher.presence, LEASE + 2, "left"
    )
    assert time.monotonic() - killed <= LEASE + 0.5
    for task in tasks:
        task.cancel()


def raw_websocket(url: str, path: str, token: str) -> socket.socket:
    """A socket that completes the handshake and then neither reads nor answers pings,
    like a laptop whose lid was closed."""
    host, port = url.removeprefix("http://").split(":")
    raw = socket.create_connection((host, int(port)))
    raw.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Authorization: Token {token}\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert b"101" in raw.recv(4096).split(b"\r\n", 1)[0]
    return raw


async def test_a_dead_connection_is_dropped_by_pings(cluster: Server):
    # A pong may take a loaded machine a while: 2 s of grace keeps the live
    # watcher connected in a full run, and the dead one still goes within 2.5 s.
    cluster.env["UVICORN_WS_PING_TIMEOUT"] = "2"
    url = cluster.start()
    # Tokens first: a blocking login while the watcher runs would keep it from
    # answering the server's pings (0.5 s) and get it dropped instead.
    token, sales = cluster.token("marketing"), cluster.token("sales")
    board, stages, leads = demo_board(cluster, token)
    watcher = BoardClient([url], board, token)
    tasks = await connected([watcher])
    dead = await asyncio.to_thread(raw_websocket, url, f"/ws/boards/{board}/", sales)
    # ">=": on a slow machine both may have arrived by the time this looks.
    await until(lambda: len(watcher.presence) >= 1, 10, "the dead one to join")

    # No pong within --ws-ping-interval + --ws-ping-timeout: the server drops it.
    await until(lambda: len(watcher.presence) >= 2, 10, "the dead one to be dropped")
    assert [p["type"] for p in watcher.presence] == ["presence.joined", "presence.left"]
    assert watcher.reconnects == 0
    final = await make_moves(cluster, token, stages, leads, 5, [url])
    await until(lambda: watcher.last >= final, 5, "the board to carry on")
    assert_every_event_once_in_order([watcher], final)
    dead.close()
    for task in tasks:
        task.cancel()


async def test_a_client_that_stops_reading_slows_nobody(cluster: Server):
    cluster.env["WS_SEND_QUEUE_SIZE"] = "50"
    cluster.env["UVICORN_WS_PING_INTERVAL"] = "30"  # it must fall behind, not time out
    url = cluster.start()
    token, sales = cluster.token("marketing"), cluster.token("sales")
    board, stages, leads = demo_board(cluster, token)
    readers = [BoardClient([url], board, token) for _ in range(20)]
    tasks = await connected(readers)
    stalled = await asyncio.to_thread(raw_websocket, url, f"/ws/boards/{board}/", sales)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    started = time.monotonic()
    final = await make_moves(cluster, token, stages, leads, 150, [url])
    await until(lambda: all(r.last >= final for r in readers), 10, "the readers")
    lag = time.monotonic() - started
    assert_every_event_once_in_order(readers, final)
    assert all(r.reconnects == 0 for r in readers)
    assert lag < 60
    stalled.close()
    for task in tasks:
        task.cancel()
