"""Bounds on server-side snapshot renders (``GET /api/boards/<id>/snapshot.png``).

A 4K render of a 10,000-lead board costs ~0.3 s of Python CPU holding the GIL (the
board's frames, the figure) and ~1 s of Chromium's; 30 at once stalled every other
request of the process for seconds. Two limits keep that from happening:

- **Rates** per user and per board (``SNAPSHOT_RATE_USER``, ``SNAPSHOT_RATE_BOARD``)
  over a sliding window, counted in the cache (Redis when ``REDIS_URL`` is set: one
  count for every process) by atomic increments, so a burst cannot slip through
  between a read and a write. Over a rate: 429 with ``Retry-After``.
- **A gate per process**: ``SNAPSHOT_RENDERS`` renders in flight (the whole of a
  render: reading the board, building the figure, kaleido), up to
  ``SNAPSHOT_QUEUE`` more waiting for a turn, at most ``SNAPSHOT_QUEUE_WAIT``
  seconds each. A full queue answers 503 with ``Retry-After`` at once; nothing
  queues without bound, and the other requests of the process share the GIL with
  ``SNAPSHOT_RENDERS`` renders at most.

A refused render spends none of the quotas.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from rest_framework import exceptions, status

from config import rates
from config.rates import turn_without_connection

NAMESPACE = "snapshot-rate"  # of the counts' cache keys


class RenderBusy(exceptions.APIException):
    """No render turn for this request: the queue is full (answered at once), or the
    wait for a turn ran out. 503; DRF sends ``wait`` as ``Retry-After``."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "render_busy"

    def __init__(self, wait: int, *, waited: float | None = None) -> None:
        self.wait = wait
        why = (
            "The render queue is full"
            if waited is None
            else f"No render turn came within {waited:g} s"
        )
        super().__init__(
            f"{why}: the server is busy rendering snapshots. Try again in {wait} s, "
            "or export the board from the browser."
        )


class RenderGate:
    """``slots`` renders at a time, ``queue`` more waiting; beyond that, refused at once."""

    def __init__(self, *, slots: int, queue: int, wait: float) -> None:
        self.slots = slots
        self.capacity = slots + queue
        self.wait = wait
        self.turns = threading.BoundedSemaphore(slots)
        self.lock = threading.Lock()
        self.admitted = 0  # in flight + waiting
        self.seconds_per_render = 0.5  # running average, for Retry-After

    def retry_after(self) -> int:
        """About how long until a new render would get a turn."""
        return max(1, math.ceil(self.seconds_per_render * self.capacity / self.slots))

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.lock:
            if self.admitted >= self.capacity:
                raise RenderBusy(self.retry_after())
            self.admitted += 1
        try:
            # Waiting in line holds no pooled database connection.
            if not turn_without_connection(self.turns, self.wait):
                raise RenderBusy(self.retry_after(), waited=self.wait)
            started = time.monotonic()
            try:
                yield
            finally:
                self.turns.release()
                spent = time.monotonic() - started
                with self.lock:
                    self.seconds_per_render = 0.8 * self.seconds_per_render + 0.2 * spent
        finally:
            with self.lock:
                self.admitted -= 1


_gate: RenderGate | None = None
_gate_lock = threading.Lock()


def render_gate() -> RenderGate:
    """This process's gate, built from the settings (again when they change: tests)."""
    global _gate
    shape = (settings.SNAPSHOT_RENDERS, settings.SNAPSHOT_QUEUE, settings.SNAPSHOT_QUEUE_WAIT)
    with _gate_lock:
        if _gate is None or (_gate.slots, _gate.capacity - _gate.slots, _gate.wait) != shape:
            _gate = RenderGate(slots=shape[0], queue=shape[1], wait=shape[2])
        return _gate


def count_render(*, user_id: int | None, board_id: int) -> list[str]:
    """Count a render against the user's and the board's rates; ``Throttled`` (429)
    over one, having given back what it counted. The counted hits' keys."""
    spent: list[str] = []
    for kind, key, rate in (
        ("user", user_id, settings.SNAPSHOT_RATE_USER),
        ("board", board_id, settings.SNAPSHOT_RATE_BOARD),
    ):
        hit = rates.hit(f"{NAMESPACE}:{kind}:{key}", rate, setting=f"SNAPSHOT_RATE_{kind.upper()}")
        if hit.wait is not None:
            rates.give_back(spent)
            # DRF adds "Expected available in N seconds." and the Retry-After header.
            raise exceptions.Throttled(
                wait=hit.wait, detail=f"Too many snapshots rendered for this {kind}."
            )
        spent.append(hit.name)
    return spent


@contextmanager
def render_allowance(*, user_id: int | None, board_id: int) -> Iterator[None]:
    """A render's allowance, held while the body renders: within the rates (else 429),
    then a turn at this process's gate (else 503, and the rates are given back). The
    caller has checked membership: outsiders never spend a board's renders."""
    spent = count_render(user_id=user_id, board_id=board_id)
    try:
        with render_gate().turn():
            yield
    except RenderBusy:
        rates.give_back(spent)
        raise
