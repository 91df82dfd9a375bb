"""``numbers.updated``: the board's numbers pushed to its sockets once its changes settle
(funnel.realtime.numbers_push), through the whole ASGI stack."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.cache import cache
from django.db import connection

from funnel.numbers import handoff, shared
from funnel.realtime import numbers_push, numbers_worker
from leads.events.schema import message_adapter
from leads.models import Board
from leads.services import lead_create, lead_move
from tests.conftest import client_for
from tests.funnel.conftest import join

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(lead_create)
move = database_sync_to_async(lead_move)


@pytest.fixture
def pushing(settings):
    settings.NUMBERS_PUSH = True
    settings.NUMBERS_PUSH_SETTLE = 0.3
    settings.NUMBERS_PUSH_MAX_WAIT = 0.8
    return settings


async def pushes(socket, *, within: float) -> list[tuple[float, dict]]:
    """(when, message) of every numbers.updated that comes within ``within`` s."""
    found = []
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        # (A receive that times out would cancel the application: look first.)
        if await socket.receive_nothing(timeout=min(0.05, left), interval=0.01):
            continue
        message = json.loads(await socket.receive_from())
        if message["type"] == "numbers.updated":
            found.append((time.monotonic(), message))
    return found


@database_sync_to_async
def answers(board, user) -> tuple[dict, dict, int]:
    client = client_for(user)
    funnel = client.get(f"/api/boards/{board.pk}/funnel/").json()
    charts = client.get(f"/api/boards/{board.pk}/charts/").json()
    return funnel, charts, Board.objects.get(pk=board.pk).last_seq


async def test_a_burst_of_moves_is_pushed_once_with_what_the_api_answers(
    board, stages, owner, pushing
):
    leads = [await create(board_id=board.pk, actor=owner, name=f"L{n}") for n in range(3)]
    await answers(board, owner)  # pandas and plotly warm: this times the push, not imports
    socket, _ = await join(board.pk, owner)
    for lead in leads:
        await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    moved_at = time.monotonic()

    found = await pushes(socket, within=5.0)

    assert len(found) == 1
    at, message = found[0]
    # After the settle window; how soon on a quiet machine is make bench's figure.
    assert 0.25 < at - moved_at < 5.0
    message_adapter.validate_python(message)  # in the event schema
    funnel, charts, seq = await answers(board, owner)
    assert message["seq"] == seq == funnel["seq"]
    assert message["funnel"] == funnel
    assert message["charts"] == charts
    mql = next(s for s in message["funnel"]["stages"] if s["id"] == stages.MQL.pk)
    assert mql["current"] == 3
    await socket.disconnect()


async def test_changes_that_keep_coming_are_pushed_at_least_every_max_wait(settings, monkeypatch):
    """The schedule alone (no database): a change every 0.1 s for 1.5 s never leaves
    the settle window quiet, yet a push goes out every max wait."""
    settings.NUMBERS_PUSH = True
    settings.NUMBERS_PUSH_SETTLE = 0.4
    settings.NUMBERS_PUSH_MAX_WAIT = 0.6
    monkeypatch.setattr(numbers_push, "numbers_message", lambda board_id: f"board {board_id}")
    sent: list[float] = []

    async def send(text: str) -> None:
        assert text == "board 7"
        sent.append(time.monotonic())

    push = numbers_push.NumbersPush(7, send)
    started = time.monotonic()
    while time.monotonic() - started < 1.5:
        push.changed()
        await asyncio.sleep(0.1)
    burst = [at - started for at in sent]
    await asyncio.sleep(0.6)  # and once more after the last change settles
    push.close()
    assert len(burst) >= 2 and burst[0] < 1.0, burst
    assert len(sent) == len(burst) + 1


async def test_one_process_sends_each_seq(board, stages, owner, pushing):
    """Another process's feed claimed this seq first: this one sends nothing."""
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    socket, _ = await join(board.pk, owner)
    seq = (await answers(board, owner))[2] + 1
    claimed = await database_sync_to_async(cache.add)(
        f"{handoff.CLAIM_PREFIX}:{board.pk}:{seq}", "other", 60
    )
    assert claimed
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    assert await pushes(socket, within=1.2) == []
    # The next seq is nobody's yet: it is pushed.
    await move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    [(_, message)] = await pushes(socket, within=1.5)
    assert message["seq"] == seq + 1
    await socket.disconnect()


def test_the_claim_is_taken_once(board, stages, owner):
    lead_create(board_id=board.pk, actor=owner, name="Ada")
    first = numbers_push.numbers_message(board.pk)
    assert first is not None and json.loads(first)["seq"] == 1
    assert numbers_push.numbers_message(board.pk) is None


async def test_no_push_when_turned_off(board, stages, owner, settings):
    settings.NUMBERS_PUSH = False
    settings.NUMBERS_PUSH_SETTLE = 0.1
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    socket, _ = await join(board.pk, owner)
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    assert await pushes(socket, within=0.8) == []
    await socket.disconnect()


async def test_charts_too_big_to_push_are_left_to_a_request(
    board, stages, owner, pushing, monkeypatch
):
    monkeypatch.setattr(numbers_push, "CHARTS_MAX_BYTES", 100)
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    socket, _ = await join(board.pk, owner)
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    [(_, message)] = await pushes(socket, within=1.5)
    assert message["charts"] is None
    assert message["funnel"]["seq"] == message["seq"]
    await socket.disconnect()


# --- The numbers worker (funnel.realtime.numbers_worker) ---


@pytest.fixture
def worker_layer(monkeypatch):
    """The channel layer, taken as shared by every process (the in-memory one is, within
    this process: the test's worker and sockets are all here)."""
    layer = get_channel_layer()
    monkeypatch.setattr(handoff, "shared_layer", lambda: layer)
    monkeypatch.setattr(numbers_worker, "shared_layer", lambda: layer)
    return layer


async def test_with_a_worker_alive_the_web_process_queues_the_board_and_computes_nothing(
    board, stages, owner, pushing, worker_layer, monkeypatch
):
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    await database_sync_to_async(cache.set)(handoff.WORKER_ALIVE_KEY, "1", 30)
    monkeypatch.setattr(numbers_push, "numbers_text", lambda board: pytest.fail("computed"))
    socket, _ = await join(board.pk, owner)
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    queued = await asyncio.wait_for(worker_layer.receive(handoff.QUEUE), 3)
    assert queued == {"type": "numbers.compute", "board": board.pk, "push": True}
    assert await pushes(socket, within=0.8) == []  # the web process sent nothing itself
    await socket.disconnect()
    await database_sync_to_async(cache.delete)(handoff.WORKER_ALIVE_KEY)


async def test_the_worker_computes_a_queued_board_and_every_socket_gets_it(
    board, stages, owner, worker_layer
):
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    socket, _ = await join(board.pk, owner)
    stop = threading.Event()
    serving = asyncio.create_task(numbers_worker.served(worker_layer, stop))
    await asyncio.sleep(0.1)
    assert await database_sync_to_async(handoff.worker_alive)()
    await worker_layer.send(handoff.QUEUE, handoff.queued(board.pk))

    [(_, message)] = await pushes(socket, within=3.0)

    message_adapter.validate_python(message)
    funnel, charts, seq = await answers(board, owner)
    assert message["seq"] == seq and message["funnel"] == funnel and message["charts"] == charts
    stop.set()
    await asyncio.wait_for(serving, numbers_worker.HEARTBEAT_SECONDS + 2)
    assert not await database_sync_to_async(handoff.worker_alive)()  # gone: web computes
    await socket.disconnect()


async def test_without_a_heartbeat_the_web_process_computes(board, stages, owner, pushing):
    """No worker (none runs, or its heartbeat lapsed): the push is the web process's."""
    await database_sync_to_async(cache.delete)(handoff.WORKER_ALIVE_KEY)
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    socket, _ = await join(board.pk, owner)
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    [(_, message)] = await pushes(socket, within=1.5)
    assert message["seq"] == (await answers(board, owner))[2]
    await socket.disconnect()


def test_on_the_embedded_default_the_worker_does_not_serve(monkeypatch):
    monkeypatch.setattr(handoff, "get_channel_layer", InMemoryChannelLayer)
    assert handoff.shared_layer() is None
    stop = threading.Event()
    numbers_worker.serve(stop)  # returns at once: no process could hear its pushes
    assert not handoff.worker_alive()


@pytest.mark.skipif(
    handoff.shared_layer() is None, reason="a request's handoff crosses threads: a shared layer"
)
async def test_a_panel_request_is_answered_by_the_worker(board, stages, owner, worker_layer):
    """With a worker alive, a request for the default view that finds no answer at
    its seq queues the board and is answered with the worker's computation."""
    lead = await create(board_id=board.pk, actor=owner, name="Ada")
    await move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    stop = threading.Event()
    serving = asyncio.create_task(numbers_worker.served(worker_layer, stop))
    await asyncio.sleep(0.1)
    computed_in: list[str] = []
    real = shared.board_numbers_for

    def counted(*args, **kwargs):
        computed_in.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(shared, "board_numbers_for", counted)
    client = client_for(owner)

    def request():
        threading.current_thread().name = "request"
        try:
            return client.get(f"/api/boards/{board.pk}/charts/")
        finally:
            connection.close()  # this thread's own

    try:
        response = await asyncio.to_thread(request)
    finally:
        monkeypatch.undo()
        stop.set()
        await asyncio.wait_for(serving, numbers_worker.HEARTBEAT_SECONDS + 2)
    assert response.status_code == 200
    assert response.json()["seq"] == (await answers(board, owner))[2]
    assert computed_in and "request" not in computed_in  # the worker's thread computed
