"""One Redis connection pool per process for Django's cache.

Django makes a cache object per request context under ASGI (``caches`` is
context-local), and each of its Redis clients made a connection pool of its own:
every request that touched the cache (a throttle count, a socket ticket, shared
numbers) opened a new Redis connection and did the handshake, ~20 % of a web
process's CPU with 50 panels open (py-spy, bench_viewers). ``SharedConnectionPool``
hands every client of the same server and options the process's one pool
(redis-py's pools are thread-safe and start afresh in a forked child).
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import redis


class SharedConnectionPool(redis.ConnectionPool):
    _shared: ClassVar[dict[tuple[str, str], SharedConnectionPool]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SharedConnectionPool:
        key = (url, repr(sorted(options.items(), key=lambda item: item[0])))
        with cls._guard:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = super().from_url(url, **options)
            return pool
