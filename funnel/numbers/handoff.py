"""The numbers worker's queue: web processes hand it the boards to compute.

A computation of a board's numbers holds a web process's GIL for about a third of a
second on a 100,000-lead board, and every request of that process waits behind it
(fifty open panels on a board with steady moves: a push every 1.5 s). Where a
numbers worker runs (``funnel.realtime.numbers_worker``, in ``manage.py worker``,
on a shared channel layer and cache: Redis), the web processes queue the board on
``QUEUE`` instead of computing its default view (the one pushed and every open
panel's): for the push (``funnel.realtime.numbers_push``) and for a request that
finds no answer of that view at its seq (``funnel.numbers.shared``), which then
waits for the worker's. With no worker alive (its heartbeat, ``WORKER_ALIVE_KEY``,
lapsed) or on the embedded default (the in-memory layer, this process's cache)
the web process computes, as before.

Of the processes that hear the same event, one pushes: the one that claims
``numbers.updated:<board>:<seq>`` in the cache (``numbers_claimed``). A request
queues the board without a push (the settle window decides when to push) and once
per seq, whoever asks (``numbers.compute:<board>:<seq>``).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.core.cache import cache

from leads.models import Board

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 30
CLAIM_PREFIX = "numbers.updated"
COMPUTE_PREFIX = "numbers.compute"
QUEUE = "numbers.compute"  # the numbers workers' channel: each message reaches one
QUEUE_MESSAGE_TYPE = "numbers.compute"
WORKER_ALIVE_KEY = "numbers.worker"


def numbers_claimed(board_id: int, prefix: str = CLAIM_PREFIX) -> Board | None:
    """The board, when this process is the one to push its seq now (``None`` when
    another one claimed it, or the board is gone); ``prefix``: the claim's kind."""
    board = Board.objects.filter(pk=board_id).first()
    if board is None or not claim(f"{prefix}:{board_id}:{board.last_seq}"):
        return None
    return board


def claim(key: str) -> bool:
    """``key`` taken in the cache for ``CLAIM_SECONDS``; a cache that fails: taken
    (pushing twice beats not pushing)."""
    try:
        return bool(cache.add(key, "1", CLAIM_SECONDS))
    except Exception:
        logger.warning("numbers cache unavailable (claim)", exc_info=True)
        return True


def shared_layer() -> BaseChannelLayer | None:
    """The channel layer when other processes share it (not the in-memory one)."""
    layer = get_channel_layer()
    return None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer


def worker_alive() -> bool:
    """Whether a numbers worker renewed its heartbeat lately (a cache that fails: no)."""
    try:
        return bool(cache.get(WORKER_ALIVE_KEY))
    except Exception:
        return False


def handed_to_worker(board_id: int, *, push: bool = True) -> bool:
    """With a numbers worker alive: the board's seq claimed (by this process or
    another) and, when by this one, its computation queued for the worker (and its
    push: ``push``). False: this process is to compute."""
    layer = shared_layer()
    if layer is None or not worker_alive():
        return False
    board = numbers_claimed(board_id, CLAIM_PREFIX if push else COMPUTE_PREFIX)
    if board is not None:
        async_to_sync(layer.send)(QUEUE, queued(board.pk, push=push))
    return True


def queued(board_id: int, *, push: bool = True) -> dict[str, Any]:
    """The message on ``QUEUE`` that asks a numbers worker for the board's numbers
    (and to push them: ``push``)."""
    return {"type": QUEUE_MESSAGE_TYPE, "board": board_id, "push": push}
