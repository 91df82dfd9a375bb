"""``numbers.updated``: the board's numbers pushed to its sockets once its changes settle
(funnel.realtime.numbers_push), through the whole ASGI stack."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from funnel.realtime import numbers_push
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
        f"{numbers_push.CLAIM_PREFIX}:{board.pk}:{seq}", "other", 60
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
