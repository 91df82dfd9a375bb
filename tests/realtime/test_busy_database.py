"""A full connection pool degrades, it does not crash (issue 10, item 6): with every
pooled connection held by requests waiting on a lock that another connection
holds, the next request gets a 503 JSON with Retry-After at once (well under two
seconds), not an HTML 500 after ten; a row lock that is not granted in time is a
503 too, and nothing is written. A real uvicorn process on PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from tests.server import Server, on_postgres

from .test_processes import demo_board

needs_postgres = pytest.mark.skipif(not on_postgres(), reason="the pool is PostgreSQL's")


def call(url: str, path: str, token: str, body: object = None) -> tuple[int, dict, dict, float]:
    request = urllib.request.Request(
        f"{url}{path}",
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), error.headers
    took = time.monotonic() - started
    kind = headers.get("Content-Type", "")
    body_json = json.loads(raw) if kind.startswith("application/json") else {"html": raw.decode()}
    return status, body_json, {k.lower(): v for k, v in headers.items()}, took


def lock_waiters(watcher: psycopg.Connection) -> int:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return int(row[0]) if row else 0


@needs_postgres
def test_an_exhausted_pool_answers_503_json_at_once_and_recovers(cluster: Server, db_watcher):
    # Both connections may write (DB_WRITERS): the moves hold them, waiting on the lock.
    cluster.env.update(DB_POOL_MIN="1", DB_POOL_MAX="2", DB_WRITERS="2", DB_LOCK_TIMEOUT="30s")
    url = cluster.start()
    token = cluster.token("marketing")
    board, stages, leads = demo_board(cluster, token)
    lead = leads[0]
    current = cluster.api("GET", f"/api/leads/{lead}/", token=token)[1]["stage"]
    targets = [stage for stage in stages if stage != current][:2]
    blocker = psycopg.connect(cluster.env["DATABASE_URL"])
    watcher = db_watcher
    waiting: list[threading.Thread] = []
    try:
        blocker.execute("SELECT id FROM leads_lead WHERE id = %s FOR UPDATE", [lead])
        for stage in targets:  # two moves of the held lead take both connections
            thread = threading.Thread(
                target=call, args=(url, f"/api/leads/{lead}/move/", token, {"to_stage": stage})
            )
            thread.start()
            waiting.append(thread)
        deadline = time.monotonic() + 10
        while lock_waiters(watcher) < 2:
            assert time.monotonic() < deadline, "the moves never waited on the lead"
            time.sleep(0.05)

        status, body, headers, took = call(url, f"/api/boards/{board}/state/", token)
        assert status == 503, body
        assert took < 2.0, took
        assert "busy" in body["detail"] and headers["retry-after"].isdigit()
    finally:
        blocker.rollback()
        blocker.close()
        for thread in waiting:
            thread.join(30)
    status, body, _, _ = call(url, f"/api/boards/{board}/state/", token)
    assert status == 200


@needs_postgres
def test_a_lock_not_granted_in_time_is_a_503_and_nothing_is_written(cluster: Server):
    cluster.env.update(DB_LOCK_TIMEOUT="500ms")
    url = cluster.start()
    token = cluster.token("marketing")
    _, stages, leads = demo_board(cluster, token)
    lead = leads[0]
    before = cluster.api("GET", f"/api/leads/{lead}/", token=token)[1]
    target = next(stage for stage in stages if stage != before["stage"])
    blocker = psycopg.connect(cluster.env["DATABASE_URL"])
    try:
        blocker.execute("SELECT id FROM leads_lead WHERE id = %s FOR UPDATE", [lead])
        status, body, headers, took = call(
            url, f"/api/leads/{lead}/move/", token, {"to_stage": target}
        )
    finally:
        blocker.rollback()
        blocker.close()
    assert (status, headers["retry-after"]) == (503, "2"), body
    assert took < 2.0
    after = cluster.api("GET", f"/api/leads/{lead}/", token=token)[1]
    assert (after["stage"], after["version"]) == (before["stage"], before["version"])
