"""Real uvicorn processes over one database and one Redis: what production runs.

Each test gets its own database (fresh, seeded with the demo board) and its own
channel-layer prefix, so Redis is shared safely with other runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import Server, on_postgres, server_env

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="several processes need REDIS_URL"
)
needs_postgres_and_redis = pytest.mark.skipif(
    not (on_postgres() and os.environ.get("REDIS_URL")),
    reason="the production set-up: DATABASE_URL=postgres://... and REDIS_URL",
)

# Short leases and pings so faults show within a test's patience.
FAST = {
    "WS_PRESENCE_INTERVAL": "0.3",
    "WS_PRESENCE_TTL": "1.2",
    "UVICORN_WS_PING_INTERVAL": "0.5",
    "UVICORN_WS_PING_TIMEOUT": "0.5",
}


@pytest.fixture
def cluster(request) -> Iterator[Server]:
    """A seeded database; the test starts the processes it needs (``start()``)."""
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(env=server_env(Path(tmp), f"rt{abs(hash(request.node.name)) % 10**6}"))
        server.env.update(FAST)
        server.env["NUMBERS_PUSH"] = "false"  # these count stored events (the push has a seq)
        try:
            server.manage("migrate", "--noinput", "-v", "0")
            server.manage("seed_demo", "--leads", "60", "--quiet")
            yield server
        finally:
            for process in server.processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            server.close()


@pytest.fixture
def db_watcher(cluster: Server):
    """An outside connection to the cluster's PostgreSQL database (to watch it, or
    to hold a lock), closed whatever the test's outcome."""
    import psycopg

    with psycopg.connect(cluster.env["DATABASE_URL"], autocommit=True) as connection:
        yield connection
