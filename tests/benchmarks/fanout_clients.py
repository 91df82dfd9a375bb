"""Fan-out load clients, in processes of their own (never the server's).

    python fanout_clients.py listen --url U --token T --board B --clients 500 --moves 30 [--stall]
    python fanout_clients.py raw-server --port P

``listen`` opens the sockets (websockets, compression off), prints READY, then records
for each seq how many sockets got it and when the last did; ``--stall`` adds one socket
that never reads. It prints one JSON object (arrivals and its own CPU seconds) last.
``raw-server`` is the baseline: plain ``websockets.broadcast`` of each text it is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import sys
import time
from datetime import datetime

import websockets
from websockets.asyncio.server import broadcast, serve


async def listen(args: argparse.Namespace) -> None:
    base = args.url.replace("http", "ws", 1)
    path = f"/ws/boards/{args.board}/" if args.board else "/"
    auth = {"Authorization": f"Token {args.token}"} if args.token else {}
    arrivals: dict[int, list[float]] = {}  # seq -> [count, last arrival, at]
    done = asyncio.Event()

    async def read(ws) -> None:
        async for text in ws:
            now = time.time()
            message = json.loads(text)
            seq = message.get("seq")
            if seq is None:
                continue
            got = arrivals.get(seq)
            if got is None:
                at = message["at"]
                at = at if isinstance(at, float) else datetime.fromisoformat(at).timestamp()
                got = arrivals[seq] = [0, now, at]
            got[0] += 1
            got[1] = now
            complete = got[0] == args.clients and len(arrivals) >= args.moves
            if complete and all(a[0] == args.clients for a in arrivals.values()):
                done.set()

    sockets = []
    for start in range(0, args.clients, 50):
        batch = await asyncio.gather(
            *(
                websockets.connect(
                    base + path,
                    additional_headers=auth,
                    compression=None,
                    max_queue=None,
                    open_timeout=60,
                )
                for _ in range(start, min(args.clients, start + 50))
            )
        )
        if args.board:
            for ws in batch:
                assert json.loads(await ws.recv())["type"] == "hello"
        sockets.extend(batch)
    stalled = None
    if args.stall:  # handshake, then never read: the kernel buffers fill, the server's queue too
        host, port = args.url.removeprefix("http://").split(":")
        stalled = socket.create_connection((host, int(port)))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Authorization: Token {args.token}\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
    tasks = [asyncio.create_task(read(ws)) for ws in sockets]
    cpu_before = time.process_time()
    print("READY", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout=args.timeout)
    cpu = time.process_time() - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    print(json.dumps({"arrivals": arrivals, "cpu_s": round(cpu, 3)}), flush=True)


async def raw_server(args: argparse.Namespace) -> None:
    clients: set = set()

    async def handler(ws) -> None:
        clients.add(ws)
        try:
            async for text in ws:  # a trigger: stamp it and send it to everyone else
                message = json.loads(text)
                message["at"] = time.time()
                broadcast(clients - {ws}, json.dumps(message, separators=(",", ":")))
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", args.port, compression=None, max_queue=None):
        print("READY", flush=True)
        await asyncio.Future()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["listen", "raw-server"])
    parser.add_argument("--url", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--board", type=int, default=0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--stall", action="store_true")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    sys.setrecursionlimit(10000)
    asyncio.run(listen(args) if args.mode == "listen" else raw_server(args))


if __name__ == "__main__":
    main()
