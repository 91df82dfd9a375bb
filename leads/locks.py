"""Exclusive holds that live exactly as long as their holder, for work that must not
run twice at once and must not sit inside a transaction (a webhook's POST).

On PostgreSQL a hold is a session-level advisory lock (``pg_try_advisory_lock``):
taken and let go on the holder's connection, outside any transaction, and dropped
by the server when that connection ends. On SQLite (one machine by nature) it is
an ``flock`` on a small file beside the database, dropped by the kernel when the
process ends; each hold opens the file anew, so two threads of one process
exclude each other as two processes do.

Neither kind has a time limit, which is the point: a holder that stalls keeps its
hold (it has not finished, so nobody else may start), and one that dies loses it
at once (nobody waits for a lease to run out). Taking never waits: a taken hold is
an answer (``None``), not a queue.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

logger = logging.getLogger(__name__)

# Each kind of thing held has its own range of advisory lock keys.
NAMESPACES = {"webhook": 1}
KEY_BITS = 48


@dataclass
class Hold:
    """A hold taken by ``hold_take``; ``release`` lets go (once)."""

    key: int
    fd: int | None = None  # SQLite: the locked file

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)  # closing the file drops its flock
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        except Exception:
            # The connection is broken: the server has dropped the lock with it, or will
            # when it closes. Make sure nothing hands the connection on still holding it.
            logger.exception("advisory lock %s: unlock failed, closing the connection", self.key)
            raw = connection.connection
            if raw is not None:
                raw.close()
            connection.close()


def advisory_key(namespace: str, key: int) -> int:
    if not 0 <= key < 1 << KEY_BITS:
        raise ValueError(f"{namespace} key {key} is out of range")
    return (NAMESPACES[namespace] << KEY_BITS) | key


@functools.cache
def private_lock_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="funnelboard-locks-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def lock_dir() -> Path:
    """Beside the SQLite file (``<name>.locks``); an in-memory database (tests) is this
    process's alone, and so are its locks."""
    if connection.is_in_memory_db():  # type: ignore[attr-defined]
        return private_lock_dir()
    path = Path(f"{connection.settings_dict['NAME']}.locks")
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def hold_take(namespace: str, key: int) -> Hold | None:
    """Hold ``key`` of ``namespace`` for this connection (PostgreSQL) or this call
    (SQLite), or ``None`` at once if somebody holds it. Outside a transaction on
    PostgreSQL, so that no transaction needs to stay open for as long as it is held."""
    number = advisory_key(namespace, key)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [number])
            taken = cursor.fetchone()[0]
        return Hold(number) if taken else None
    if connection.vendor == "sqlite":
        fd = os.open(lock_dir() / f"{namespace}-{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return Hold(number, fd)
    raise ImproperlyConfigured(f"No exclusive holds on {connection.vendor} (leads.locks).")
