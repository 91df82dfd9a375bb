"""Issue 15 figures: one person moving a card every 0.5 s while N people have the side
panel open, on the big demo board (BENCH_LEADS, default 100,000 leads, ~10 transitions
each; BENCH_HUGE=1: 1,000,000), PostgreSQL + Redis, one server process and two workers.

Viewers (BENCH_VIEWERS, default "10,50"; 0, the baseline, is always run first) are processes
of their own (viewer_clients.py), each fetching ``/charts/`` every 3 s as the panel does and
counting ``numbers.updated`` pushes on its socket. Each scenario runs BENCH_VIEWER_SECONDS
(default 30). Also: ``/funnel/`` warm, first ever and first after a restart,
``/state/?per_stage=50``, and the web processes' peak RSS (sampled from /proc) during each scenario,
and where the machine's cores went (the web processes, the viewers, everything busy).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.clients import Api, percentile
from tests.benchmarks.conftest import (
    bench_leads,
    cpu_seconds,
    layer_kind,
    machine_busy_seconds,
    report,
)
from tests.server import ROOT, Server, terminated

MOVE_EVERY = 0.5
SECONDS = float(os.environ.get("BENCH_VIEWER_SECONDS", "30"))
VIEWERS = [int(n) for n in os.environ.get("BENCH_VIEWERS", "10,50").split(",") if n.strip()]
RUNS = 10

pytestmark = pytest.mark.skipif(
    layer_kind() != "redis", reason="the viewers scenario runs on PostgreSQL + Redis"
)


def retrying(call, *, attempts: int = 20):
    """Setup calls: a 503 (or a refused connection while a server starts) is retried after
    its Retry-After."""
    for attempt in range(attempts):
        try:
            return call()
        except urllib.error.HTTPError as error:
            if error.code != 503 or attempt == attempts - 1:
                raise
            time.sleep(float(error.headers.get("Retry-After") or 1))
        except urllib.error.URLError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def get(url: str, token: str, path: str, timeout: float = 120) -> tuple[float, Any]:
    """(wall ms, body); raises HTTPError on a status >= 400."""
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read() or b"null")
    return (time.perf_counter() - started) * 1000, body


def token_of(server: Server) -> str:
    return retrying(server.token)


def board_of(server: Server, token: str) -> int:
    _, boards = retrying(lambda: get(server.url, token, "/api/boards/"))
    boards = boards["results"] if isinstance(boards, dict) else boards
    return next(b["id"] for b in boards if b["name"] == "Q4 Pipeline")


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's workers are children of its supervisor)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def rss_sampler(server: Server) -> Iterator[dict[str, float]]:
    """The peak, every 0.25 s, of the largest web process's RSS, of all of them, and of
    the task worker's."""
    peak = {"max_process_mb": 0.0, "all_processes_mb": 0.0, "worker_mb": 0.0}
    worker = getattr(server, "task_worker", None)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            sizes = [rss_mb(pid) for p in server.processes for pid in process_tree(p.pid)]
            if sizes:
                peak["max_process_mb"] = max(peak["max_process_mb"], max(sizes))
                peak["all_processes_mb"] = max(peak["all_processes_mb"], sum(sizes))
            if worker is not None:
                peak["worker_mb"] = max(peak["worker_mb"], rss_mb(worker.pid))
            stop.wait(0.25)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()
        for key in peak:
            peak[key] = round(peak[key], 1)


def spawn_viewer(url: str, token: str, board: int, offset: float) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "tests.benchmarks.viewer_clients", "--url", url, "--token", token,
        "--board", str(board), "--seconds", str(SECONDS), "--offset", f"{offset:.2f}",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def move_loop(url: str, token: str, board: int, seconds: float) -> dict[str, Any]:
    """One card moved every 0.5 s (to the next open stage) for ``seconds``; the latencies
    of the moves made (a 503 or a timeout is an error, not a latency)."""
    api = Api(url, token)
    status, state = api.call("GET", f"/api/boards/{board}/state/?per_stage=50")
    assert status == 200, state
    stages = [s["id"] for s in state["stages"] if s["kind"] == "open"]
    at = {c["id"]: stages.index(s["id"]) for s in state["stages"] if s["id"] in stages
          for c in s["leads"]}  # fmt: skip
    leads = list(at)
    api = Api(url, token)
    api.connection.timeout = 60
    latencies: list[float] = []
    errors = 0
    start = time.monotonic()
    for n in range(int(seconds / MOVE_EVERY)):
        due = start + n * MOVE_EVERY
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        lead = leads[n % len(leads)]
        at[lead] = (at[lead] + 1) % len(stages)
        stage = stages[at[lead]]
        started = time.perf_counter()
        try:
            status, _ = api.call("POST", f"/api/leads/{lead}/move/", {"to_stage": stage})
        except Exception:
            errors += 1
            api = Api(url, token)
            continue
        ms = (time.perf_counter() - started) * 1000
        if status == 200:
            latencies.append(ms)
        elif status != 400:  # 400: the card is in that stage already; not a move
            errors += 1
    return {"latencies": latencies, "errors": errors}


def scenario(server: Server, token: str, board: int, viewers: int) -> dict[str, Any]:
    urls = server.urls
    clients = [
        spawn_viewer(urls[i % len(urls)], token, board, offset=3.0 * i / max(1, viewers))
        for i in range(viewers)
    ]
    try:
        for client in clients:
            assert client.stdout is not None
            line = client.stdout.readline()
            assert line.strip() == "READY", line

        # Where the machine's cores went during the moves: the web processes, the
        # viewers and everything busy (PostgreSQL, Redis, this loop too).
        worker = server.task_worker.pid  # type: ignore[attr-defined]

        def cpu() -> tuple[float, float, float, float]:
            return (
                sum(cpu_seconds(p.pid) for p in server.processes),
                sum(cpu_seconds(c.pid) for c in clients),
                machine_busy_seconds(),
                cpu_seconds(worker),
            )

        before, started = cpu(), time.monotonic()
        with rss_sampler(server) as rss:
            for client in clients:
                assert client.stdin is not None
                client.stdin.write("go\n")
                client.stdin.flush()
            moves = move_loop(server.url, token, board, SECONDS)
            wall = time.monotonic() - started
            used = [after - was for after, was in zip(cpu(), before, strict=True)]
            outputs = [
                json.loads(c.communicate(timeout=SECONDS + 120)[0].strip().splitlines()[-1])
                for c in clients
            ]
        cores = {
            "server_cores": round(used[0] / wall, 2),
            "viewers_cores": round(used[1] / wall, 2),
            "machine_busy_cores": round(used[2] / wall, 2),
            "worker_cores": round(used[3] / wall, 2),
            "machine_cores": os.cpu_count(),
        }
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
                client.wait()
    charts = [ms for output in outputs for ms in output["charts_ms"]]
    latencies = moves["latencies"]
    return {
        "viewers": viewers,
        "moves": len(latencies),
        "move_errors": moves["errors"],
        "move_p50_ms": round(percentile(latencies, 50), 1),
        "move_p99_ms": round(percentile(latencies, 99), 1),
        "charts": len(charts),
        "charts_median_ms": round(statistics.median(charts), 1) if charts else None,
        "charts_p99_ms": round(percentile(charts, 99), 1) if charts else None,
        "chart_misses": sum(o["misses"] for o in outputs),
        "numbers_updated": sum(o["numbers_updated"] for o in outputs),
        "rss_peak_mb": rss["max_process_mb"],
        "rss_peak_all_mb": rss["all_processes_mb"],
        "worker_rss_peak_mb": rss["worker_mb"],
        **cores,
    }


def quiet(pid: int, *, cores: float = 0.05, longest: float = 180.0) -> None:
    """Wait until process ``pid`` uses under ``cores`` over a second (at most ``longest`` s)."""
    deadline = time.monotonic() + longest
    was = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        if now - was < cores:
            return
        was = now


def median_get(url: str, token: str, path: str, runs: int = RUNS) -> float:
    get(url, token, path)  # warm
    return round(statistics.median(get(url, token, path)[0] for _ in range(runs)), 1)


def print_table(title: str, rows: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    base = next((r["move_p99_ms"] for r in rows if r["viewers"] == 0), None)
    columns = (
        "viewers", "moves (errors)", "move p50", "move p99", "p99/p99(0)", "/charts/ median",
        "misses", "pushes", "RSS peak MB (largest / all)",
    )  # fmt: skip
    lines = [f"\n{title}", " | ".join(columns)]
    for r in rows:
        ratio = round(r["move_p99_ms"] / base, 2) if base else None
        cells = (
            r["viewers"], f"{r['moves']} ({r['move_errors']})", r["move_p50_ms"],
            r["move_p99_ms"], ratio,
            r["charts_median_ms"] if r["charts"] else "-", r["chart_misses"],
            r["numbers_updated"], f"{r['rss_peak_mb']} / {r['rss_peak_all_mb']}",
        )  # fmt: skip
        lines.append(" | ".join(str(c) for c in cells))
    lines.extend(f"{key}: {value}" for key, value in extra.items())
    print("\n".join(lines), flush=True)


@contextmanager
def started(server: Server, workers: int) -> Iterator[Server]:
    # One user opens every viewer's socket from one address: no caps.
    server.env.update(
        WS_MAX_CONNECTIONS_PER_USER="0",
        WS_MAX_CONNECTIONS_PER_ADDRESS="0",
        WS_MAX_CONNECTIONS_PER_BOARD="0",
    )
    server.start(workers=workers)
    # The task worker, as make serve runs one beside the web processes: the numbers
    # worker in it computes the pushed numbers (funnel.realtime.numbers_worker).
    worker = subprocess.Popen([sys.executable, "manage.py", "worker"], cwd=ROOT, env=server.env)
    server.task_worker = worker  # type: ignore[attr-defined]
    quiet(worker.pid)  # its sweeps at start (leads past their SLA) are not the scenario's
    try:
        yield server
    finally:
        terminated(worker, timeout=15)
        while server.processes:
            server.stop(len(server.processes) - 1)
            server.processes.pop()
            server.urls.pop()


@pytest.mark.parametrize("workers", [1, 2])
def test_viewers(big_board_server: Server, workers: int):
    leads = bench_leads()
    server = big_board_server
    with started(server, workers):
        token = token_of(server)
        board = board_of(server, token)
        extra: dict[str, Any] = {}
        if workers == 1:
            funnel = f"/api/boards/{board}/funnel/"
            # The first /funnel/ ever: no process has the board's ledger (it reads the
            # whole board, and saves the ledger).
            extra["funnel_first_ever_ms"] = round(
                retrying(lambda: get(server.url, token, funnel))[0], 1
            )
            # The process restarted, and a card moved meanwhile (the shared answer is of
            # an older seq): its first /funnel/ loads the saved ledger and the log after it.
            server.restart(0)
            move_loop(server.url, token, board, MOVE_EVERY)
            extra["funnel_first_after_restart_ms"] = round(get(server.url, token, funnel)[0], 1)
        rows = [scenario(server, token, board, n) for n in [0, *(v for v in VIEWERS if v)]]
        extra["funnel_warm_median_ms"] = median_get(
            server.url, token, f"/api/boards/{board}/funnel/"
        )
        extra["state_per_stage_50_median_ms"] = median_get(
            server.url, token, f"/api/boards/{board}/state/?per_stage=50"
        )
    title = f"viewers, {leads:,} leads, {workers} server process{'es' if workers > 1 else ''}"
    base = rows[0]["move_p99_ms"]
    for row in rows:
        ratio = round(row["move_p99_ms"] / base, 2) if base else None
        report(f"{title}, {row['viewers']} viewers", **row, p99_ratio=ratio)
    report(title, **extra)
    print_table(title, rows, extra)
    assert rows[0]["moves"] > 0
