"""The board's numbers are computed once per seq and view, and shared: one flight
for many concurrent requests, the cached answer until the next change."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.http import QueryDict

from funnel.numbers import shared
from leads.models import Board
from leads.services import lead_create, lead_move


@pytest.fixture
def computations(monkeypatch):
    """Count the real computations of the funnel numbers."""
    calls: list[int] = []
    real = shared.board_numbers_for

    def counted(board, params, query):
        calls.append(board.pk)
        return real(board, params, query)

    monkeypatch.setattr(shared, "board_numbers_for", counted)
    return calls


@pytest.fixture
def lead(board, stages, owner):
    return lead_create(board_id=board.pk, actor=owner, name="Ada", value=100)


def test_many_viewers_cost_one_computation_until_the_next_move(
    board, stages, owner, lead, api, computations
):
    for _ in range(5):
        response = api.get(f"/api/boards/{board.pk}/funnel/")
        assert response.status_code == 200
    assert len(computations) == 1
    first = response.json()
    assert {s["name"]: s["current"] for s in first["stages"]}["New"] == 1

    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    after = api.get(f"/api/boards/{board.pk}/funnel/").json()
    assert len(computations) == 2
    assert after["seq"] > first["seq"]
    assert {s["name"]: s["current"] for s in after["stages"]}["MQL"] == 1
    assert {s["name"]: s["reached"] for s in after["stages"]}["MQL"] == 1


def test_charts_are_drawn_from_the_shared_numbers(board, stages, lead, api, computations):
    assert api.get(f"/api/boards/{board.pk}/funnel/").status_code == 200
    charts = api.get(f"/api/boards/{board.pk}/charts/")
    again = api.get(f"/api/boards/{board.pk}/charts/")
    assert charts.status_code == again.status_code == 200
    assert charts.json() == again.json()
    assert {"funnel", "time_in_stage", "seq"} <= set(charts.json())
    assert len(computations) == 1


def test_each_view_is_its_own_answer(board, stages, campaign, owner, api, computations):
    lead_create(board_id=board.pk, actor=owner, name="In", campaign_id=campaign.pk)
    lead_create(board_id=board.pk, actor=owner, name="Out")
    whole = api.get(f"/api/boards/{board.pk}/funnel/").json()
    mine = api.get(f"/api/boards/{board.pk}/funnel/?campaign={campaign.pk}").json()
    assert (whole["leads"], mine["leads"]) == (2, 1)
    assert len(computations) == 2


def test_the_same_filters_in_another_order_share_one_key(board):
    board = Board.objects.get(pk=board.pk)
    one = shared.view_key("funnel", board, QueryDict("campaign=1&campaign=2&owner=3"), {})
    two = shared.view_key("funnel", board, QueryDict("owner=3&campaign=2&campaign=1"), {})
    other = shared.view_key("funnel", board, QueryDict("campaign=1"), {})
    charts = shared.view_key("charts", board, QueryDict("campaign=1&campaign=2&owner=3"), {})
    assert one == two
    assert len({one, other, charts}) == 3


def test_concurrent_requests_wait_for_one_computation():
    started = threading.Event()
    release = threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return {"answer": 42}

    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(shared.shared("k1", slow, live=True)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    assert started.wait(5)
    time.sleep(0.05)  # the others are waiting now, not computing
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == [1]
    assert answers == [{"answer": 42}] * 8


def test_a_request_waits_for_another_process_that_holds_the_claim():
    cache.add("k2:claim", "another process", 30)

    def answer_later():
        time.sleep(0.2)
        cache.set("k2", {"answer": "theirs"}, 30)

    threading.Thread(target=answer_later).start()
    assert shared.shared("k2", lambda: {"answer": "mine"}, live=True) == {"answer": "theirs"}


def test_a_lapsed_claim_does_not_keep_anyone_waiting(monkeypatch):
    monkeypatch.setattr(shared, "CLAIM_SECONDS", 0.3)
    cache.add("k3:claim", "a process that died", 60)
    began = time.monotonic()
    assert shared.shared("k3", lambda: {"answer": "mine"}, live=True) == {"answer": "mine"}
    assert time.monotonic() - began < 5


def test_a_failing_computation_leaves_no_claim_behind():
    def broken():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        shared.shared("k4", broken, live=True)
    assert cache.get("k4:claim") is None
    assert shared.shared("k4", lambda: {"answer": 1}, live=True) == {"answer": 1}


def test_a_cache_that_is_down_costs_sharing_not_answers(monkeypatch, board, lead, api):
    class Down:
        def __getattr__(self, name):
            def down(*args, **kwargs):
                raise ConnectionError("redis is down")

            return down

    monkeypatch.setattr(shared, "cache", Down())
    response = api.get(f"/api/boards/{board.pk}/funnel/")
    assert response.status_code == 200
    assert response.json()["leads"] == 1


def test_while_one_computes_a_newer_seq_gets_the_latest_answer_if_recent(settings):
    """One computation of a live view at a time: a request for a newer seq is
    answered with the view's latest answer while it was begun within
    NUMBERS_STALE_SECONDS; an older one makes it wait for the computation."""
    settings.NUMBERS_STALE_SECONDS = 2.0
    first = shared.View("numbers:test:1:v", 5)
    assert shared.shared(first.key, lambda: {"seq": 5}, live=True, view=first) == {"seq": 5}

    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(5)
        return {"seq": 6}

    newer = shared.View("numbers:test:1:v", 6)
    computing = threading.Thread(
        target=lambda: shared.shared(newer.key, slow, live=True, view=newer)
    )
    computing.start()
    assert started.wait(5)
    calls = []
    later = shared.View("numbers:test:1:v", 7)
    stand_in = shared.shared(
        later.key, lambda: calls.append(1) or {"seq": 7}, live=True, view=later
    )
    assert stand_in == {"seq": 5}  # the latest, begun a moment ago; nothing computed beside it
    assert calls == []

    settings.NUMBERS_STALE_SECONDS = 0.0  # the latest is too old now: wait, then compute seq 7
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            shared.shared(later.key, lambda: calls.append(1) or {"seq": 7}, live=True, view=later)
        )
    )
    waiting.start()
    time.sleep(0.1)
    assert answers == []
    release.set()
    computing.join(5)
    waiting.join(5)
    assert answers == [{"seq": 7}] and calls == [1]
    # Seq 6's answer stands for an ask of seq 6 or older at once.
    assert shared.recent(shared.View("numbers:test:1:v", 6)) is not None


def test_exact_asks_never_take_an_older_answer(settings, board, stages, owner, lead):
    """The push (``exact``) waits for the view's computation and then computes its
    own seq, where a panel gets the latest at once."""
    settings.NUMBERS_STALE_SECONDS = 60.0
    board = Board.objects.get(pk=board.pk)
    before = shared.board_numbers_shared(board, QueryDict(), {})
    lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    board = Board.objects.get(pk=board.pk)
    view = shared.View.of("funnel", board, QueryDict(), {})
    cache.add(f"{view.name}:claim", "another process computing", 30)
    assert shared.board_numbers_shared(board, QueryDict(), {})["seq"] == before["seq"]

    threading.Timer(0.3, lambda: cache.delete(f"{view.name}:claim")).start()
    began = time.monotonic()
    after = shared.board_numbers_shared(board, QueryDict(), {}, exact=True)
    assert after["seq"] > before["seq"]
    assert {s["name"]: s["current"] for s in after["stages"]}["MQL"] == 1
    assert time.monotonic() - began >= 0.25  # it waited for the other computation


@pytest.mark.django_db(transaction=True)
def test_a_waiter_gives_its_database_connection_back_while_it_waits():
    """Fifty panels waiting for one computation hold no connection the moves need."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database")
    cache.add("k5:claim", "another process computing", 30)
    threading.Timer(0.2, lambda: cache.set("k5", {"answer": "theirs"}, 30)).start()
    Board.objects.exists()  # this request has a connection
    assert connection.connection is not None
    assert shared.shared("k5", lambda: {"answer": "mine"}, live=True) == {"answer": "theirs"}
    assert connection.connection is None  # given back, and not needed again


def test_a_request_handed_to_a_worker_that_dies_computes_itself(
    board, stages, lead, api, computations, monkeypatch
):
    """The board was queued for a numbers worker whose heartbeat then lapsed: the
    request stops waiting at the next check and computes (nothing is left hanging)."""
    queued: list[int] = []
    monkeypatch.setattr(shared, "handed_to_worker", lambda pk, push: queued.append(pk) or True)
    monkeypatch.setattr(shared, "worker_alive", lambda: False)
    monkeypatch.setattr(shared, "HANDOFF_CHECK_SECONDS", 0.05)
    started = time.monotonic()
    response = api.get(f"/api/boards/{board.pk}/funnel/")
    assert response.status_code == 200
    assert queued == [board.pk] and computations == [board.pk]
    assert time.monotonic() - started < 3  # not the 30 s of a claim


def test_a_request_handed_to_a_live_worker_keeps_waiting_for_its_answer(
    board, stages, lead, api, computations, monkeypatch
):
    """A worker that is alive but slow (a big board): the request waits past the
    heartbeat checks for its answer and computes nothing itself."""
    view = shared.View.of("funnel", Board.objects.get(pk=board.pk), QueryDict(), {})
    answer = {"seq": view.seq, "stages": []}

    def worker_answers_later(pk, push):
        def later():
            time.sleep(0.3)  # past a few checks
            cache.set(view.key, answer, 30)

        threading.Thread(target=later).start()
        return True

    monkeypatch.setattr(shared, "handed_to_worker", worker_answers_later)
    monkeypatch.setattr(shared, "worker_alive", lambda: True)
    monkeypatch.setattr(shared, "HANDOFF_CHECK_SECONDS", 0.05)
    response = api.get(f"/api/boards/{board.pk}/funnel/")
    assert response.status_code == 200
    assert response.json() == answer and computations == []
