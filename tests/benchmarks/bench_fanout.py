"""Issue 6 figures: one board, up to 1,000 sockets, one or two server processes.

Latency = from the event's ``at`` (stamped in the move's transaction, just before
its commit; same machine clock) until the last socket has it. Sockets live in
client processes of their own (websockets, compression off); their CPU is
reported so a saturated client shows. The baseline is a plain
``websockets.broadcast`` server sending a text of the same size.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.benchmarks.clients import percentile
from tests.benchmarks.conftest import layer_kind, report
from tests.server import ROOT, Server, free_port, server_env

CLIENTS = str(Path(__file__).with_name("fanout_clients.py"))
MOVES = 30
results: dict[str, float] = {}


@pytest.fixture(scope="module")
def fanout_server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(env=server_env(Path(tmp), "fanout"))
        # One user from one address opens every socket: no caps.
        server.env.update(
            WS_MAX_CONNECTIONS_PER_USER="0",
            WS_MAX_CONNECTIONS_PER_ADDRESS="0",
            WS_MAX_CONNECTIONS_PER_BOARD="0",
        )
        try:
            server.manage("migrate", "--noinput", "-v", "0")
            server.manage("seed_demo", "--leads", "300", "--quiet")
            server.start()
            yield server
        finally:
            server.close()


def demo(server: Server, token: str) -> tuple[int, list[int], list[int]]:
    from tests.realtime.test_processes import demo_board

    return demo_board(server, token)


def spawn(*args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, CLIENTS, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "READY", line
    return process


def measure(
    targets: list[str], board: int, token: str, total: int, trigger: Callable[[int], None], *,
    stall: bool = False,
) -> dict:  # fmt: skip
    """``total`` sockets spread over client processes (one per 500) and ``targets``."""
    processes = max(1, total // 500)
    clients = [
        spawn(
            "listen",
            "--url",
            targets[n % len(targets)],
            "--token",
            token,
            "--board",
            str(board),
            "--clients",
            str(total // processes),
            "--moves",
            str(MOVES),
            *(["--stall"] if stall and n == 0 else []),
        )
        for n in range(processes)
    ]
    time.sleep(0.5)
    for n in range(MOVES):
        trigger(n)
        time.sleep(0.15)
    outputs = [json.loads(c.communicate(timeout=120)[0].strip().splitlines()[-1]) for c in clients]
    merged: dict[str, list[float]] = {}
    for output in outputs:
        for seq, (count, last, at) in output["arrivals"].items():
            got = merged.setdefault(seq, [0, 0.0, at])
            got[0] += count
            got[1] = max(got[1], last)
    latencies = [(last - at) * 1000 for count, last, at in merged.values() if count == total]
    return {
        "sockets": total,
        "events": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2),
        "client_processes": processes,
        "client_cpu_s_per_event": [round(o["cpu_s"] / MOVES, 4) for o in outputs],
    }


def mover(server: Server, token: str, url: str) -> Callable[[int], None]:
    _, stages, leads = demo(server, token)

    def move(n: int) -> None:
        lead = leads[n % len(leads)]
        for step in range(len(stages)):  # 400 when the lead is in that stage already
            stage = stages[(n + step) % len(stages)]
            status, _ = server.api(
                "POST", f"/api/leads/{lead}/move/", {"to_stage": stage}, token=token, url=url
            )
            if status == 200:
                return
        raise AssertionError(f"lead {lead} could not move")

    return move


@pytest.mark.parametrize("sockets", [200, 1000])
def test_fanout_one_process(fanout_server: Server, sockets: int):
    token = fanout_server.token()
    board, _, _ = demo(fanout_server, token)
    url = fanout_server.url
    result = measure([url], board, token, sockets, mover(fanout_server, token, url))
    results[f"one_{sockets}"] = result["p50_ms"]
    report(f"fan-out {sockets} sockets, one process", **result)
    assert result["events"] >= MOVES - 2


def test_fanout_raw_websockets_baseline(fanout_server: Server):
    token = fanout_server.token()
    board, _, _ = demo(fanout_server, token)
    _, body = fanout_server.api("GET", f"/api/boards/{board}/events/?after=0", token=token)
    sample = next(e for e in reversed(body["events"]) if e["type"] == "lead.moved")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, CLIENTS, "raw-server", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "READY"
        with connect(f"ws://127.0.0.1:{port}/", compression=None) as control:

            def trigger(n: int) -> None:
                control.send(json.dumps({**sample, "seq": n + 1, "at": 0.0}))

            result = measure([f"http://127.0.0.1:{port}"], 0, "", 1000, trigger)
    finally:
        server.terminate()
        server.wait()
    ratio = round(results["one_1000"] / result["p50_ms"], 2) if "one_1000" in results else None
    report("fan-out 1000 sockets, raw websockets.broadcast", **result, funnelboard_ratio=ratio)


def test_fanout_one_stalled_client_among_1000(fanout_server: Server):
    token = fanout_server.token()
    board, _, _ = demo(fanout_server, token)
    url = fanout_server.url
    result = measure([url], board, token, 1000, mover(fanout_server, token, url), stall=True)
    base = results.get("one_1000")
    change = round(result["p50_ms"] / base - 1, 3) if base else None
    report("fan-out 1000 sockets + 1 stalled, one process", **result, p50_change=change)


@pytest.mark.skipif(layer_kind() != "redis", reason="two processes need REDIS_URL")
def test_fanout_two_processes(fanout_server: Server):
    token = fanout_server.token()
    board, _, _ = demo(fanout_server, token)
    second = fanout_server.start()
    try:
        urls = [fanout_server.url, second]
        result = measure(urls, board, token, 1000, mover(fanout_server, token, urls[0]))
    finally:
        fanout_server.stop(len(fanout_server.processes) - 1)
    report("fan-out 1000 sockets over two processes", **result)
    assert result["events"] >= MOVES - 2
