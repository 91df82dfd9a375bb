"""The board's numbers, pushed to its open sockets once its changes settle.

Every open panel used to ask for ``/funnel/`` and ``/charts/`` after each burst
of moves. Instead, each process's ``BoardFeed`` (so only a board someone
watches) hears the board's stored events and, ``NUMBERS_PUSH_SETTLE`` seconds
after the last of a burst (but at most ``NUMBERS_PUSH_MAX_WAIT`` after the first
while changes keep coming), sends ``numbers.updated``: the default view (live,
no filter, period or channel) of both answers, read through
``funnel.numbers.shared``, so the push and any request for the same view share
one computation. Of the processes that hear the same event, one sends: the one
that claims ``numbers.updated:<board>:<seq>`` in the cache; its message reaches
every process's sockets through the board's group. A filtered or past view is
still asked for (and shared); a client that hears no push within a few seconds
of a change asks too (``static/board/net/figures.js`` ``awaitPush``).

Where a numbers worker runs (``funnel.realtime.numbers_worker``), the process
that claims the seq hands the computation to it instead (``funnel.numbers.handoff``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import QueryDict

from funnel.numbers.handoff import handed_to_worker, numbers_claimed
from funnel.numbers.shared import board_charts_shared, board_numbers_shared
from leads.events import encode
from leads.events.schema import NumbersUpdated
from leads.models import Board

logger = logging.getLogger(__name__)

CHARTS_MAX_BYTES = 200_000  # over this the charts stay out of the push (panels fetch them)


def numbers_message(board_id: int) -> str | None:
    """The ``numbers.updated`` text of the board now, or ``None`` when another
    process sends it for this seq (or the board is gone)."""
    board = numbers_claimed(board_id)
    return None if board is None else numbers_text(board)


def numbers_text(board: Board) -> str:
    """The ``numbers.updated`` text of the board's default view now."""
    params, query = QueryDict(), dict[str, Any]()
    funnel = board_numbers_shared(board, params, query, exact=True)
    charts: dict[str, Any] | None = board_charts_shared(board, params, query, exact=True)
    if len(encode(charts or {})) > CHARTS_MAX_BYTES:
        charts = None
    message = NumbersUpdated.model_construct(
        type="numbers.updated", seq=funnel["seq"], funnel=funnel, charts=charts
    )
    return encode(message.model_dump(mode="json"))


class NumbersPush:
    """One board feed's schedule: ``changed()`` on each stored event; ``send`` the
    text to the board's group once things settle. One computation at a time."""

    def __init__(self, board_id: int, send: Callable[[str], Awaitable[None]]):
        self.board_id = board_id
        self.send = send
        self.first: float | None = None  # when the first change not pushed yet came
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None
        self.again = False

    def changed(self) -> None:
        if not settings.NUMBERS_PUSH:
            return
        now = time.monotonic()
        if self.first is None:
            self.first = now
        if self.timer is not None:
            self.timer.cancel()
        settle = float(settings.NUMBERS_PUSH_SETTLE)
        latest = self.first + float(settings.NUMBERS_PUSH_MAX_WAIT)
        self.timer = asyncio.get_running_loop().call_later(
            max(0.0, min(settle, latest - now)), self._due
        )

    def _due(self) -> None:
        self.timer = None
        if self.task is not None:  # computing: push again when done
            self.again = True
            return
        self.first = None
        self.task = asyncio.create_task(self._push())

    async def _push(self) -> None:
        try:
            if await database_sync_to_async(handed_to_worker)(self.board_id):
                return
            text = await database_sync_to_async(numbers_message)(self.board_id)
            if text is not None:
                await self.send(text)
        except Exception:  # the panels ask for themselves when no push comes
            logger.warning("pushing board %s's numbers failed", self.board_id, exc_info=True)
        finally:
            self.task = None
            if self.again:
                self.again = False
                self.first = None
                self._due()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
