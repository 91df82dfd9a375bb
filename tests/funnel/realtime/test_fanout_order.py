"""Stored events reach every socket in seq order, even when concurrent writers
publish them out of order; waiting for a lost one is bounded in time and count."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from funnel.realtime.reorder import SeqOrder
from leads.events import LAYER_MESSAGE_TYPE, board_group, broadcast, encode
from leads.models import Board
from leads.services import lead_create, lead_move
from tests.funnel.conftest import join

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(lead_create)


class Seq:
    def __init__(self, seq: int) -> None:
        self.seq = seq


async def test_seq_order_releases_in_order_and_drops_the_old():
    released: list[int] = []
    order = SeqOrder(lambda item: released.append(item.seq))
    order.offer(Seq(1079))  # before the baseline: held
    order.start(1078)
    for seq in (1081, 1080, 1080, 1078, 1082):
        order.offer(Seq(seq))
    assert released == [1079, 1080, 1081, 1082]
    assert order.timer is None and not order.held


async def test_seq_order_without_a_baseline_passes_events_through():
    released: list[int] = []
    order = SeqOrder(lambda item: released.append(item.seq))
    order.start(None)
    for seq in (3, 1, 2):
        order.offer(Seq(seq))
    assert released == [3, 1, 2]


@database_sync_to_async
def board_at(board_id: int, seq: int) -> None:
    Board.objects.filter(pk=board_id).update(last_seq=seq)


async def publish(board_id: int, *seqs: int) -> None:
    layer = get_channel_layer()
    for seq in seqs:
        text = encode({"type": "lead.moved", "seq": seq, "lead": {"id": 1}})
        await layer.group_send(board_group(board_id), {"type": LAYER_MESSAGE_TYPE, "text": text})


async def seqs_of(socket, count: int, within: float = 2) -> list[int]:
    return [json.loads(await socket.receive_from(within))["seq"] for _ in range(count)]


async def test_early_events_wait_for_the_ones_before_them(board, owner, editor):
    await board_at(board.pk, 1078)
    first, hello = await join(board.pk, owner)
    second, _ = await join(board.pk, editor)
    assert (await first.receive_json_from())["type"] == "presence.joined"
    assert hello["seq"] == 1078

    started = time.monotonic()
    await publish(board.pk, 1079, 1081, 1080)
    assert await seqs_of(first, 3) == [1079, 1080, 1081]
    assert await seqs_of(second, 3) == [1079, 1080, 1081]
    assert time.monotonic() - started < 0.2  # no timeout was needed
    await first.disconnect()
    await second.disconnect()


async def test_a_lost_event_is_waited_for_briefly_then_skipped(board, owner, settings):
    settings.WS_REORDER_WAIT = 0.3
    await board_at(board.pk, 1078)
    socket, _ = await join(board.pk, owner)

    await publish(board.pk, 1079, 1081, 1082)  # 1080 is lost
    started = time.monotonic()
    assert await seqs_of(socket, 1) == [1079]
    assert await socket.receive_nothing(timeout=0.2)
    assert await seqs_of(socket, 2) == [1081, 1082]  # in order, after the wait
    assert 0.25 <= time.monotonic() - started < 1.5
    # The client healed 1080 from the log; a late copy is not sent out of order.
    await publish(board.pk, 1080, 1083)
    assert await seqs_of(socket, 1) == [1083]
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_waiting_is_bounded_in_count_too(board, owner, settings):
    settings.WS_REORDER_WAIT = 30
    settings.WS_REORDER_MAX_HELD = 3
    await board_at(board.pk, 1078)
    socket, _ = await join(board.pk, owner)

    await publish(board.pk, 1079, 1081, 1082, 1083)
    assert await seqs_of(socket, 1) == [1079]
    assert await socket.receive_nothing(timeout=0.2)  # three held: still waiting
    await publish(board.pk, 1084)
    assert await seqs_of(socket, 4, within=1) == [1081, 1082, 1083, 1084]
    await socket.disconnect()


async def test_concurrent_writers_publishing_out_of_order_reach_sockets_in_order(
    board, stages, owner, editor, monkeypatch
):
    """Two writers: the first commits seq N and is slow to publish it (its thread
    was descheduled, its layer call was slow); the second commits N+1 and
    publishes at once."""
    ada = await create(board_id=board.pk, actor=owner, name="Ada")
    bob = await create(board_id=board.pk, actor=owner, name="Bob")
    socket, hello = await join(board.pk, owner)
    slow_seq = hello["seq"] + 1
    committed = threading.Event()
    real_publish = broadcast.publish
    loop = asyncio.get_running_loop()
    late = []

    async def publish_later(board_id: int, text: str) -> None:
        await asyncio.sleep(0.1)
        message = {"type": LAYER_MESSAGE_TYPE, "text": text}
        await get_channel_layer().group_send(board_group(board_id), message)

    def publish_late(board_id: int, text: str) -> None:
        if json.loads(text)["seq"] == slow_seq:
            committed.set()
            late.append(asyncio.run_coroutine_threadsafe(publish_later(board_id, text), loop))
        else:
            real_publish(board_id, text)

    monkeypatch.setattr(broadcast, "publish", publish_late)

    def first_writer() -> None:
        lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner)

    def second_writer() -> None:
        committed.wait(5)
        lead_move(lead_id=bob.pk, to_stage_id=stages.MQL.pk, actor=editor)

    await asyncio.gather(
        database_sync_to_async(first_writer, thread_sensitive=False)(),
        database_sync_to_async(second_writer, thread_sensitive=False)(),
    )
    messages = [json.loads(await socket.receive_from(2)) for _ in range(2)]
    await asyncio.wrap_future(late[0])
    assert [(m["seq"], m["lead"]["name"]) for m in messages] == [
        (slow_seq, "Ada"),
        (slow_seq + 1, "Bob"),
    ]
    await socket.disconnect()
