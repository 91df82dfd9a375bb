"""The transaction every service runs in."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextlib import nullcontext

from django.db import connection, transaction

# SQLite has one writer at a time. Writers of this process queue on this lock
# (first come, first served) instead of on SQLite's busy handler, which sleeps
# up to 100 ms between tries and made a busy board's p99 seconds long. Other
# processes (manage.py commands) still wait on the busy timeout.
_sqlite_writers = threading.RLock()


def write_transaction[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic``, with writers queued in-process on SQLite."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        queue = _sqlite_writers if connection.vendor == "sqlite" else nullcontext()
        with queue, transaction.atomic():
            return func(*args, **kwargs)

    return wrapper
