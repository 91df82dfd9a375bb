"""An Idempotency-Key never jams (issue 10, item 5): a worker killed in the middle of
a request leaves no reservation behind, so the client's retry runs as the first
request would have. Real uvicorn processes on PostgreSQL, a real kill -9."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import psycopg
import pytest

from tests.server import Server, on_postgres

from .test_processes import demo_board

needs_postgres = pytest.mark.skipif(not on_postgres(), reason="a row lock held from outside")


def post(url: str, path: str, body: Any, token: str, key: str, timeout: float = 30) -> tuple:
    request = urllib.request.Request(
        f"{url}{path}",
        method="POST",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Token {token}",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), lower(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), lower(error.headers)
    except OSError as error:  # the worker died under it
        return None, {"error": str(error)}, {}


def lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def waiting_on_a_lock(connection: psycopg.Connection) -> bool:
    row = connection.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


@needs_postgres
def test_a_retry_after_the_worker_died_mid_request_runs_instead_of_jamming(
    cluster: Server, db_watcher
):
    url = cluster.start()
    token = cluster.token("marketing")
    _, stages, leads = demo_board(cluster, token)
    lead = leads[0]
    before = cluster.api("GET", f"/api/leads/{lead}/transitions/", token=token)[1]
    stage_now = cluster.api("GET", f"/api/leads/{lead}/", token=token)[1]["stage"]
    target = next(stage for stage in stages if stage != stage_now)
    move = f"/api/leads/{lead}/move/"

    # Another connection holds the lead's row: the move waits inside its request.
    blocker = psycopg.connect(cluster.env["DATABASE_URL"], autocommit=False)
    watcher = db_watcher
    try:
        blocker.execute("SELECT id FROM leads_lead WHERE id = %s FOR UPDATE", [lead])
        first: list[tuple] = []
        thread = threading.Thread(
            target=lambda: first.append(post(url, move, {"to_stage": target}, token, "retry-1"))
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(watcher):
            assert time.monotonic() < deadline, "the move never reached the lead's row"
            time.sleep(0.05)
        cluster.processes[0].kill()  # kill -9: no finally, no rollback of its own
        cluster.processes[0].wait()
        thread.join(10)
    finally:
        blocker.rollback()
        blocker.close()
    assert first and first[0][0] is None  # the client saw its request die

    cluster.processes.pop(0)
    cluster.urls.pop(0)
    url = cluster.start()
    status, body, headers = post(url, move, {"to_stage": target}, token, "retry-1")
    assert status == 200, body
    assert body["lead"]["stage"] == target
    assert "idempotent-replayed" not in headers
    # The same key again: the answer is replayed, nothing moves twice.
    status, again, headers = post(url, move, {"to_stage": target}, token, "retry-1")
    assert (status, again["seq"], headers.get("idempotent-replayed")) == (200, body["seq"], "true")
    transitions = cluster.api("GET", f"/api/leads/{lead}/transitions/", token=token)[1]
    assert len(transitions) == len(before) + 1


@needs_postgres
def test_two_requests_racing_with_one_key_make_one_lead(cluster: Server):
    url = cluster.start()
    token = cluster.token("marketing")
    board, _, _ = demo_board(cluster, token)
    answers: list[tuple] = []
    body = {"board": board, "name": "Racing Ada"}
    threads = [
        threading.Thread(target=lambda: answers.append(post(url, "/api/leads/", body, token, "r")))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _, _ in answers] == [201] * 6
    assert len({answer["id"] for _, answer, _ in answers}) == 1
    replayed = [headers.get("idempotent-replayed") for _, _, headers in answers]
    assert replayed.count("true") == 5
    status, found = cluster.api("GET", f"/api/leads/?board={board}&q=Racing", token=token)
    assert status == 200 and found["count"] == 1
