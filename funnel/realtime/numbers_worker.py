"""The numbers worker: computes the boards' pushed numbers outside the web processes.

``manage.py worker`` runs ``serve`` in a thread of its own (``WORKER_SERVICES``)
where the channel layer is shared (Redis): it renews ``WORKER_ALIVE_KEY`` in the
cache every ``HEARTBEAT_SECONDS`` and takes the boards the web processes queue on
``QUEUE`` (``funnel.numbers.handoff``), one at a time: it
computes the default view through ``funnel.numbers.shared`` (so the answer is the
one every panel's request is then served) and, when the message asks for the push,
sends ``numbers.updated`` to the board's group, which every web process relays to
its sockets. On the embedded
default (in-memory layer, this process's cache) it does nothing: the web process
computes for itself, as it does whenever the heartbeat lapses (no worker, or one
that died). A board queued while a worker died is not pushed: its panels ask for
the numbers themselves after a few seconds (``awaitPush``).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer
from django.core.cache import cache

from funnel.numbers.handoff import QUEUE, QUEUE_MESSAGE_TYPE, WORKER_ALIVE_KEY, shared_layer
from funnel.realtime.feed import EPHEMERAL_MESSAGE_TYPE
from funnel.realtime.numbers_push import numbers_text
from leads.events import board_group
from leads.models import Board

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
ALIVE_SECONDS = 3 * HEARTBEAT_SECONDS  # a heartbeat lapses after missing two


def serve(stop: threading.Event) -> None:
    """Compute the queued boards' numbers until ``stop`` is set."""
    layer = shared_layer()
    if layer is None:
        logger.info("numbers worker: the channel layer is this process's own; not serving")
        return
    asyncio.run(served(layer, stop))


async def served(layer: BaseChannelLayer, stop: threading.Event) -> None:
    computing = asyncio.create_task(compute_queued(layer))
    try:
        while not stop.is_set():
            await database_sync_to_async(heartbeat)()
            await asyncio.sleep(HEARTBEAT_SECONDS)
    finally:
        computing.cancel()
        await database_sync_to_async(cache.delete)(WORKER_ALIVE_KEY)


def heartbeat() -> None:
    try:
        cache.set(WORKER_ALIVE_KEY, "1", ALIVE_SECONDS)
    except Exception:  # the web processes compute for themselves meanwhile
        logger.warning("numbers worker: no heartbeat", exc_info=True)


async def compute_queued(layer: BaseChannelLayer) -> None:
    while True:
        message = await layer.receive(QUEUE)
        if message.get("type") != QUEUE_MESSAGE_TYPE:
            logger.warning("numbers worker: ignoring a message of type %r", message.get("type"))
            continue
        board_id = int(message["board"])
        try:
            text = await database_sync_to_async(board_text)(board_id)
            if text is not None and message.get("push", True):
                await layer.group_send(
                    board_group(board_id),
                    {"type": EPHEMERAL_MESSAGE_TYPE, "text": text, "sender": ""},
                )
        except asyncio.CancelledError:
            raise
        except Exception:  # the panels ask for themselves when no push comes
            logger.warning("numbers worker: board %s failed", board_id, exc_info=True)


def board_text(board_id: int) -> str | None:
    board = Board.objects.filter(pk=board_id).first()
    return None if board is None else numbers_text(board)
