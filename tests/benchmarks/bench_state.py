"""Issue 15 figures: ``/state/?per_stage=50`` of the big demo board (BENCH_LEADS, default
100,000 leads, ~10 transitions each; BENCH_HUGE=1: 1,000,000), PostgreSQL only.

Warm medians over BENCH_STATE_RUNS (default 30) calls: over HTTP (one server process), and
in a process of its own through the view (``BoardStateApi``, rendered to JSON bytes) and
through the selector alone (``board_state_get``), with the view's number of queries.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request

from tests.benchmarks.conftest import bench_leads, report
from tests.server import Server

RUNS = int(os.environ.get("BENCH_STATE_RUNS", "30"))
PATH = "/api/boards/{board}/state/?per_stage=50"

# Run by ``manage.py shell -c`` in the server's environment: prints one JSON line.
IN_PROCESS = """
import json, statistics, time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory, force_authenticate
from leads.api.views import BoardStateApi
from leads.models import Board
from leads.selectors import board_state_get
from leads.selectors.reading import one_snapshot
from django.contrib.auth import get_user_model

runs = {runs}
user = get_user_model().objects.get(username="marketing")
board = Board.objects.get(name="Q4 Pipeline")
view = BoardStateApi.as_view()
factory = APIRequestFactory()

def call():
    request = factory.get(f"/api/boards/{{board.pk}}/state/", {{"per_stage": "50"}})
    force_authenticate(request, user=user)
    response = view(request, board_id=board.pk)
    response.render()
    assert response.status_code == 200, response.content[:300]
    return response.content

def selector():
    with one_snapshot():  # as the view reads it
        return board_state_get(board_id=board.pk, user=user, per_stage=50)

def timed(function):
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)

with CaptureQueriesContext(connection) as queries:
    body = call()
print(json.dumps({{
    "view_median_ms": timed(call),
    "selector_median_ms": timed(selector),
    "queries": len(queries.captured_queries),
    "bytes": len(body),
}}))
"""


def get(url: str, token: str, path: str) -> tuple[float, float, bytes]:
    """(wall ms, the server's ms from Server-Timing's ``app``, body)."""
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        timing = response.headers.get("Server-Timing") or "app;dur=0"
    wall = (time.perf_counter() - started) * 1000
    app = timing.split(",")[0].split("dur=")[1]
    return wall, float(app), body


def test_state_per_stage_50(big_board_server: Server):
    server = big_board_server
    server.start()
    try:
        token = server.token()
        *_, boards = get(server.url, token, "/api/boards/")
        listed = json.loads(boards)
        listed = listed["results"] if isinstance(listed, dict) else listed
        board = next(b["id"] for b in listed if b["name"] == "Q4 Pipeline")
        path = PATH.format(board=board)
        get(server.url, token, path)  # warm
        http = [get(server.url, token, path)[:2] for _ in range(RUNS)]
    finally:
        server.stop(0)
        server.processes.pop()
        server.urls.pop()
    lines = server.manage("shell", "-c", IN_PROCESS.format(runs=RUNS)).strip().splitlines()
    in_process = json.loads(lines[-1])
    report(
        f"state per_stage=50, {bench_leads():,} leads",
        http_median_ms=round(statistics.median(wall for wall, _ in http), 1),
        http_min_ms=round(min(wall for wall, _ in http), 1),
        server_app_median_ms=round(statistics.median(app for _, app in http), 1),
        **in_process,
        runs=RUNS,
    )
