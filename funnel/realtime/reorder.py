"""A board's stored events, released in seq order.

Seqs are gapless and commit in order (``leads.events.next_seq``), but each writer
publishes after its own commit, from its own thread or process: two concurrent
writers' events can reach the channel layer as 1079, 1081, 1080. A client would
then see a gap, fetch the log, and drop the late 1080: correct, but a REST call
per client per race. So a board feed (``funnel.realtime.feed.BoardFeed``) passes its
stored events through a ``SeqOrder``: the one due next is released at once, an
early one waits for those before it.

Waiting is bounded: ``WS_REORDER_WAIT`` seconds after the first early event (a
publication can be lost: a layer error, a writer killed after its commit) or
``WS_REORDER_MAX_HELD`` held events, whichever comes first, everything held is
released in seq order and the missing seqs are skipped; clients heal that gap
from ``/events/?after=``, and a skipped event that turns up late is dropped (the
log, which every client heals from, has it). An event older than the one due is
dropped too: every socket's hello already covers it.

The baseline comes from the board's ``last_seq``, read once the feed listens
(``start``); until then events are held. Every socket reads its own hello seq
after that, so nothing the feed drops is news to any of them. Without a baseline
(the board is gone, the read failed) events pass through as they come.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from django.conf import settings

DEFAULT_WAIT = 0.25  # seconds an early event waits for the ones before it
DEFAULT_MAX_HELD = 256


def reorder_wait() -> float:
    return float(getattr(settings, "WS_REORDER_WAIT", DEFAULT_WAIT))


def reorder_max_held() -> int:
    return int(getattr(settings, "WS_REORDER_MAX_HELD", DEFAULT_MAX_HELD))


class SeqOrder:
    """Releases items (anything with an int ``seq``) to ``release`` in seq order.
    Runs on the event loop; never awaits."""

    def __init__(self, release: Callable[[Any], None]) -> None:
        self.release = release
        self.next_seq: int | None = None  # the seq due next; None: no baseline yet
        self.started = False
        self.held: dict[int, Any] = {}
        self.timer: asyncio.TimerHandle | None = None

    def start(self, last_seq: int | None) -> None:
        """The board's seq when the feed began to listen (``None``: unknown)."""
        self.started = True
        if last_seq is not None:
            self.next_seq = max(self.next_seq or 0, last_seq + 1)
        held, self.held = self.held, {}
        self._stop_timer()
        for seq in sorted(held):
            self.offer(held[seq])

    def offer(self, item: Any) -> None:
        seq = item.seq
        if self.next_seq is None:
            if self.started:
                self.release(item)
            else:
                self._hold(item)
        elif seq == self.next_seq:
            self.release(item)
            self.next_seq += 1
            self._release_ready()
        elif seq > self.next_seq:
            self._hold(item)
        # else: older than the one due; see the module's docstring

    def skip(self) -> None:
        """Stop waiting: release what is held, in order, past the missing seqs."""
        self._stop_timer()
        held, self.held = self.held, {}
        if not held:
            return
        for seq in sorted(held):
            self.release(held[seq])
        self.next_seq = max(held) + 1

    def close(self) -> None:
        self._stop_timer()
        self.held.clear()

    def _hold(self, item: Any) -> None:
        self.held[item.seq] = item  # a repeated seq is the same event
        if len(self.held) > reorder_max_held():
            self.skip()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(reorder_wait(), self.skip)

    def _release_ready(self) -> None:
        assert self.next_seq is not None
        while self.next_seq in self.held:
            self.release(self.held.pop(self.next_seq))
            self.next_seq += 1
        if not self.held:
            self._stop_timer()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
