"""Reads that must see one moment of the board."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run the block's queries on one snapshot of the database.

    ``/state/`` reads the board's seq and then its cards; under PostgreSQL's default
    READ COMMITTED each query sees what has committed by then, so a move committed
    in between would be both in the cards and after the seq, and a client would
    apply it twice. REPEATABLE READ (read only: it never waits and never fails for
    serialization) gives every query the same snapshot. SQLite has one writer and
    the service lock; its read runs as it is (an IMMEDIATE transaction would block
    the board's writers for the length of the read).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield
