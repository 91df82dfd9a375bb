"""Load clients for the benchmarks, run in their own process (not the server's).

    python tests/benchmarks/clients.py moves  --url U --token T --board B --clients 8 --seconds 10
    python tests/benchmarks/clients.py fanout --url U --token T --board B --clients 200 --moves 30

Each prints one JSON object with its measurements on the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import statistics
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

import websockets


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Api:
    """A keep-alive HTTP connection with the token (one per thread)."""

    def __init__(self, url: str, token: str):
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=data, headers=self.headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)


def board_setup(url: str, token: str, board: int) -> tuple[list[int], list[int]]:
    api = Api(url, token)
    status, state = api.call("GET", f"/api/boards/{board}/state/?per_stage=200")
    assert status == 200, state
    open_stages = [s["id"] for s in state["stages"] if s["kind"] == "open"]
    leads = [card["id"] for s in state["stages"] if s["kind"] == "open" for card in s["leads"]]
    return open_stages, leads


def run_moves(args: argparse.Namespace) -> dict[str, Any]:
    """Each client moves its own leads (no conflicts between clients) for a fixed time."""
    stages, leads = board_setup(args.url, args.token, args.board)
    shares = [leads[i :: args.clients] for i in range(args.clients)]
    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    errors = [0] * args.clients
    start_at = time.monotonic() + 0.5
    stop_at = start_at + args.seconds

    def client(index: int) -> None:
        api = Api(args.url, args.token)
        rng = random.Random(index)
        mine = shares[index]
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while time.monotonic() < stop_at:
            lead = rng.choice(mine)
            started = time.perf_counter()
            status, body = api.call(
                "POST", f"/api/leads/{lead}/move/", {"to_stage": rng.choice(stages), "position": 0}
            )
            elapsed = (time.perf_counter() - started) * 1000
            if status == 200:
                latencies[index].append(elapsed)
            elif status == 400 and "already" in json.dumps(body):
                continue  # drew its own stage; not a move
            else:
                errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    all_ms = [ms for per_client in latencies for ms in per_client]
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "moves": len(all_ms),
        "moves_per_s": round(len(all_ms) / args.seconds, 1),
        "p50_ms": round(percentile(all_ms, 50), 2),
        "p99_ms": round(percentile(all_ms, 99), 2),
        "errors": sum(errors),
    }


async def run_fanout(args: argparse.Namespace) -> dict[str, Any]:
    """N sockets on one board; for each move, the time from the event's creation in the
    server (``at``, stamped just before commit, same machine clock) until every socket
    has it, and from the POST until every socket has it."""
    stages, leads = board_setup(args.url, args.token, args.board)
    ws_url = args.url.replace("http", "ws", 1) + f"/ws/boards/{args.board}/"
    auth = {"Authorization": f"Token {args.token}"}
    arrivals: dict[int, list[float]] = {}
    stamped: dict[int, float] = {}
    done = asyncio.Event()

    async def listen(socket) -> None:
        async for text in socket:
            now = time.time()
            message = json.loads(text)
            seq = message.get("seq")
            if message.get("type") == "hello" or seq is None:
                continue
            stamped.setdefault(seq, datetime.fromisoformat(message["at"]).timestamp())
            got = arrivals.setdefault(seq, [])
            got.append(now)
            if len(got) == args.clients:
                done.set()

    sockets = []
    for start in range(0, args.clients, 50):
        batch = await asyncio.gather(
            *(
                websockets.connect(
                    ws_url,
                    origin=args.url,
                    additional_headers=auth,
                    compression=None,
                    max_queue=None,
                )
                for _ in range(start, min(args.clients, start + 50))
            )
        )
        for socket in batch:
            first = json.loads(await socket.recv())
            assert first["type"] == "hello", first
        sockets.extend(batch)
    listeners = [asyncio.create_task(listen(s)) for s in sockets]

    api = Api(args.url, args.token)
    rng = random.Random(7)
    from_commit: list[float] = []
    from_post: list[float] = []
    for _ in range(args.moves):
        done.clear()
        posted = time.time()
        status, body = await asyncio.to_thread(
            api.call,
            "POST",
            f"/api/leads/{rng.choice(leads)}/move/",
            {"to_stage": rng.choice(stages), "position": 0},
        )
        if status != 200:
            continue
        try:
            await asyncio.wait_for(done.wait(), timeout=10)
        except TimeoutError:
            continue
        last = max(arrivals[body["seq"]])
        from_commit.append((last - stamped[body["seq"]]) * 1000)
        from_post.append((last - posted) * 1000)
        await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return {
        "clients": args.clients,
        "moves": len(from_commit),
        "commit_to_all_p50_ms": round(statistics.median(from_commit), 2) if from_commit else None,
        "commit_to_all_p99_ms": round(percentile(from_commit, 99), 2),
        "post_to_all_p50_ms": round(statistics.median(from_post), 2) if from_post else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["moves", "fanout"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--board", type=int, required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--moves", type=int, default=30)
    args = parser.parse_args()
    result = run_moves(args) if args.mode == "moves" else asyncio.run(run_fanout(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
