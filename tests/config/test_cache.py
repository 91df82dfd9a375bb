"""config.cache: one Redis connection pool per process, whatever the cache objects."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

from config.cache import SharedConnectionPool


def test_every_client_of_a_server_gets_the_one_pool():
    a = SharedConnectionPool.from_url("redis://127.0.0.1:6379/9", socket_timeout=5)
    b = SharedConnectionPool.from_url("redis://127.0.0.1:6379/9", socket_timeout=5)
    assert a is b
    assert SharedConnectionPool.from_url("redis://127.0.0.1:6379/8", socket_timeout=5) is not a
    assert SharedConnectionPool.from_url("redis://127.0.0.1:6379/9", socket_timeout=6) is not a


@pytest.mark.skipif(not settings.REDIS_URL, reason="the cache is Redis only with REDIS_URL")
def test_new_cache_objects_open_no_new_connections():
    """Under ASGI each request context gets cache objects of its own: they must not
    each open a connection to Redis."""
    server = redis.Redis.from_url(settings.REDIS_URL)
    caches.create_connection("default").get("warm")  # the pool's first connection

    def received() -> int:
        return int(server.info("stats")["total_connections_received"])

    before = received()
    for _ in range(20):
        caches.create_connection("default").get("any-key")
    assert received() - before <= 1  # the INFO call's own connection, at most
