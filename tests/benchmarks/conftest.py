"""Benchmarks: a real ASGI server in its own process, on a database seeded for the run.

Run by `make bench` (SQLite + in-memory layer, then PostgreSQL + Redis when they are up).
Each benchmark prints its figures; none of them is part of `make test`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server import Server, on_postgres, server_env


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)


def database_kind() -> str:
    return "postgresql" if on_postgres() else "sqlite"


def layer_kind() -> str:
    return "redis" if os.environ.get("REDIS_URL") else "in-memory"


def report(title: str, **figures) -> None:
    """One line per figure set, easy to grep out of `make bench`."""
    print(
        f"\nBENCH {title} [{database_kind()} + {layer_kind()}] " + json.dumps(figures), flush=True
    )


@contextmanager
def demo_server(name: str, *, unset: tuple[str, ...] = ()) -> Iterator[Server]:
    """A server over a database of its own with the demo board at 10,000 leads;
    ``unset``: variables of tests/server.py's environment to leave at their defaults."""
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(env=server_env(Path(tmp), name))
        for variable in unset:
            server.env.pop(variable)
        try:
            server.manage("migrate", "--noinput", "-v", "0")
            server.manage("seed_demo", "--leads", "10000", "--quiet")
            server.start()
            yield server
        finally:
            server.close()


@pytest.fixture(scope="session")
def seeded_server() -> Iterator[Server]:
    """One server over a database with the demo board at 10,000 leads."""
    with demo_server("bench") as server:
        yield server
