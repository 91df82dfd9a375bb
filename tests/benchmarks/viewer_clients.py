"""One viewer with the side panel open, in its own process (bench_viewers.py starts N):

    python tests/benchmarks/viewer_clients.py --url U --token T --board B --seconds 30

It fetches ``/charts/`` every ``--every`` seconds as the panel does (the next fetch is due
``--every`` after the previous one was sent; a slow answer delays it, as in the panel,
which waits for its answer), and listens on the board's socket counting ``numbers.updated``
pushes (none until the server sends them). A fetch that fails or takes over ``--timeout``
seconds is a miss. Prints READY once its socket is open, then waits for a line on stdin
(the start), and prints one JSON object on its last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from websockets.sync.client import connect

from tests.benchmarks.clients import Api


def listen(args: argparse.Namespace, stop: threading.Event, counts: dict[str, int]) -> None:
    url = args.url.replace("http", "ws", 1) + f"/ws/boards/{args.board}/"
    try:
        with connect(
            url,
            origin=args.url,
            additional_headers={"Authorization": f"Token {args.token}"},
            compression=None,
            open_timeout=30,
        ) as socket:
            counts["socket"] = 1
            while not stop.is_set():
                try:
                    message = json.loads(socket.recv(timeout=0.5))
                except TimeoutError:
                    continue
                kind = message.get("type", "")
                counts[kind] = counts.get(kind, 0) + 1
    except Exception:  # a socket refused or dropped: the viewer still polls
        counts["socket_errors"] = counts.get("socket_errors", 0) + 1


def fetch(args: argparse.Namespace, api: Api | None) -> tuple[Api | None, float | None]:
    """(the connection to reuse, ms) or ms None for a miss."""
    started = time.perf_counter()
    try:
        api = api or Api(args.url, args.token)
        api.connection.timeout = args.timeout
        status, _ = api.call("GET", f"/api/boards/{args.board}/charts/")
    except Exception:
        return None, None  # a timeout or a dropped connection: a new one next time
    ms = (time.perf_counter() - started) * 1000
    return api, (ms if status == 200 else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--board", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--every", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--offset", type=float, default=0.0, help="first fetch after this")
    args = parser.parse_args()

    stop = threading.Event()
    counts: dict[str, int] = {}
    listener = threading.Thread(target=listen, args=(args, stop, counts), daemon=True)
    listener.start()
    deadline = time.monotonic() + 30
    while "socket" not in counts and "socket_errors" not in counts:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    print("READY", flush=True)
    sys.stdin.readline()

    charts_ms: list[float] = []
    misses = 0
    api: Api | None = None
    start = time.monotonic()
    due = start + args.offset
    while True:
        now = time.monotonic()
        if due - start >= args.seconds:
            break
        if due > now:
            time.sleep(due - now)
        sent = time.monotonic()
        api, ms = fetch(args, api)
        if ms is None:
            misses += 1
        else:
            charts_ms.append(ms)
        due = max(sent + args.every, time.monotonic())
    stop.set()
    listener.join(timeout=2)
    result: dict[str, Any] = {
        "charts_ms": [round(ms, 1) for ms in charts_ms],
        "misses": misses,
        "numbers_updated": counts.get("numbers.updated", 0),
        "socket_errors": counts.get("socket_errors", 0),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
