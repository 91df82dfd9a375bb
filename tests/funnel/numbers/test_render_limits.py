"""Server snapshots are rationed (issue 10, item 11): per user and per board over a
window (429 + Retry-After, JSON), and per process a few renders at a time behind a
short queue (503 + Retry-After at once when it is full, never an unbounded wait).

The PNG itself is not the subject here: ``render_png`` is replaced by one that counts
its calls (tests/funnel/numbers/test_snapshot.py and tests/realtime/test_snapshot_burst.py
render real ones)."""

from __future__ import annotations

import threading
import time

import pytest

from funnel.numbers import render_limits, snapshot
from tests.conftest import client_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.fixture(autouse=True)
def _fresh_counts(monkeypatch):
    """Counts live a window long in the cache (Redis outlives a run) and ids repeat
    between tests and runs: each test counts under a namespace of its own."""
    monkeypatch.setattr(render_limits, "NAMESPACE", f"snapshot-rate-test-{time.time_ns()}")


@pytest.fixture
def renders(monkeypatch) -> list[tuple[int, int]]:
    made: list[tuple[int, int]] = []

    def render_png(fig, *, width, height):
        made.append((width, height))
        return PNG

    monkeypatch.setattr(snapshot, "render_png", render_png)
    return made


def snapshot_of(client, board, **query):
    return client.get(f"/api/boards/{board.pk}/snapshot.png", {"view": "funnel", **query})


def test_a_user_over_the_rate_gets_429_json_with_retry_after(
    board, owner, editor, settings, renders
):
    settings.SNAPSHOT_RATE_USER = "2/min"
    settings.SNAPSHOT_RATE_BOARD = "100/min"
    api = client_for(owner)
    assert [snapshot_of(api, board).status_code for _ in range(2)] == [200, 200]
    refused = snapshot_of(api, board)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/json")
    assert "Too many snapshots rendered for this user" in refused.json()["detail"]
    # Into the next minute, until enough of this one has slid out (config.rates).
    assert 1 <= int(refused["Retry-After"]) <= 90
    assert len(renders) == 2  # the refused one rendered nothing
    # Another member of the same board still has their own quota.
    assert snapshot_of(client_for(editor), board).status_code == 200


def test_a_board_over_its_rate_refuses_every_member(board, owner, editor, settings, renders):
    settings.SNAPSHOT_RATE_USER = "100/min"
    settings.SNAPSHOT_RATE_BOARD = "3/min"
    owners, editors = client_for(owner), client_for(editor)
    codes = [snapshot_of(c, board).status_code for c in (owners, editors, owners, editors)]
    assert codes == [200, 200, 200, 429]
    assert "for this board" in snapshot_of(owners, board).json()["detail"]


def test_outsiders_and_bad_requests_spend_no_render(board, outsider, settings, renders, api):
    settings.SNAPSHOT_RATE_BOARD = "1/min"
    assert snapshot_of(client_for(outsider), board).status_code == 404
    assert snapshot_of(api, board, width="huge").status_code == 400
    assert snapshot_of(api, board).status_code == 200  # the board's one render is left


def test_a_full_queue_answers_503_at_once_and_spends_no_quota(board, api, settings, renders):
    settings.SNAPSHOT_RENDERS, settings.SNAPSHOT_QUEUE, settings.SNAPSHOT_QUEUE_WAIT = 1, 0, 30
    settings.SNAPSHOT_RATE_USER = "1/min"
    with render_limits.render_gate().turn():  # a render in flight, nobody may wait
        started = time.monotonic()
        busy = [snapshot_of(api, board) for _ in range(3)]
        took = time.monotonic() - started
    assert [answer.status_code for answer in busy] == [503, 503, 503]
    assert "The render queue is full" in busy[0].json()["detail"]
    assert int(busy[0]["Retry-After"]) >= 1
    assert took < 1  # at once, not after the 30 s a waiting render may wait
    assert renders == []
    # The turn is free again, and the user's one render a minute is still there.
    assert snapshot_of(api, board).status_code == 200
    assert snapshot_of(api, board).status_code == 429


def test_a_render_that_waits_too_long_gives_up_with_503(board, api, settings, renders):
    settings.SNAPSHOT_RENDERS, settings.SNAPSHOT_QUEUE, settings.SNAPSHOT_QUEUE_WAIT = 1, 1, 0.2
    with render_limits.render_gate().turn():
        started = time.monotonic()
        busy = snapshot_of(api, board)
        took = time.monotonic() - started
    assert busy.status_code == 503 and 0.2 <= took < 2
    assert "No render turn came within 0.2 s" in busy.json()["detail"]


def test_the_gate_admits_slots_plus_queue_and_refuses_the_rest_at_once():
    gate = render_limits.RenderGate(slots=1, queue=1, wait=10)
    release, inside = threading.Event(), threading.Event()
    order: list[str] = []

    def render(name: str) -> None:
        with gate.turn():
            order.append(name)
            inside.set()
            release.wait(5)

    first = threading.Thread(target=render, args=("first",))
    first.start()
    inside.wait(5)
    second = threading.Thread(target=render, args=("second",))  # waits for its turn
    second.start()
    deadline = time.monotonic() + 5
    while gate.admitted < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(render_limits.RenderBusy) as refused, gate.turn():
        pass
    assert time.monotonic() - started < 0.05
    assert refused.value.status_code == 503 and refused.value.wait >= 1
    release.set()
    first.join(5)
    second.join(5)
    assert order == ["first", "second"]
    assert gate.admitted == 0
