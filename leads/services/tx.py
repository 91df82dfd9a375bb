"""The transaction every service runs in, and how many run at once.

SQLite has one writer at a time. Writers of this process queue on a lock (first
come, first served) instead of on SQLite's busy handler, which sleeps up to
100 ms between tries and made a busy board's p99 seconds long. Other processes
(manage.py commands) still wait on the busy timeout.

PostgreSQL: at most ``DB_WRITERS`` write transactions run at once in a process
(default: half the connection pool). A writer that finds them all taken gives
its pooled connection back while it waits, so however many writes pile up on
one busy board, reads (of that board and every other) still find a
connection. One that waits longer than ``DB_WRITER_WAIT`` seconds is refused
(``WritersBusy``: a 503 with Retry-After, see ``config.busy``). Writes of one
board serialize on its row anyway (the seq), so more would not go faster.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction

from config.rates import turn_without_connection

_sqlite_writers = threading.RLock()
_gate_lock = threading.Lock()
_gate: tuple[int, threading.BoundedSemaphore] | None = None


class WritersBusy(OperationalError):
    """Every write slot of this process stayed taken for ``DB_WRITER_WAIT`` seconds."""


def writers_gate() -> threading.BoundedSemaphore:
    global _gate
    size = max(1, int(settings.DB_WRITERS))
    with _gate_lock:
        if _gate is None or _gate[0] != size:
            _gate = (size, threading.BoundedSemaphore(size))
        return _gate[1]


@contextmanager
def writer_slot() -> Iterator[None]:
    gate = writers_gate()
    if not turn_without_connection(gate, float(settings.DB_WRITER_WAIT)):
        raise WritersBusy("too many changes are being written at once")
    try:
        yield
    finally:
        gate.release()


def write_transaction[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic``, with writers queued in-process (see above). A nested
    call runs in its caller's transaction and slot."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.vendor == "sqlite":
            with _sqlite_writers, transaction.atomic():
                return func(*args, **kwargs)
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        with writer_slot(), transaction.atomic():
            return func(*args, **kwargs)

    return wrapper
