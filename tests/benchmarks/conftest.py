"""Benchmarks: a real ASGI server in its own process, on a database seeded for the run.

Run by `make bench` (SQLite + in-memory layer, then PostgreSQL + Redis when they are up).
Each benchmark prints its figures; none of them is part of `make test`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server import Server, drop_database, on_postgres, server_env


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


def bench_leads() -> int:
    """BENCH_LEADS (default 100,000); BENCH_HUGE=1: the 1M-lead board."""
    if os.environ.get("BENCH_HUGE") == "1":
        return 1_000_000
    return int(os.environ.get("BENCH_LEADS", "100000"))


BIG_BOARD_TRANSITIONS_PER_LEAD = 10


def seeded_leads(server: Server) -> int | None:
    """The demo board's lead count in the server's database, None without one."""
    script = (
        "from leads.models import Lead;"
        "print(Lead.objects.filter(board__name='Q4 Pipeline').count())"
    )
    try:
        return int(server.manage("shell", "-c", script).strip().splitlines()[-1])
    except Exception:
        return None


@pytest.fixture(scope="session")
def big_board_server() -> Iterator[Server]:
    """The demo board at ``bench_leads()`` leads and ~10 transitions each, PostgreSQL only,
    in a database named after its size that outlives the run: a later run reuses it when
    the board is there (migrations are applied either way). Not started: each bench starts
    the processes it needs and stops them."""
    if not on_postgres():
        pytest.skip("the big board needs PostgreSQL (DATABASE_URL)")
    leads = bench_leads()
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    database = f"funnelboard_bench_board_{leads}"
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(Path(tmp), "board")
        drop_database(env)  # server_env made a fresh one per run: not this fixture's
        env["DATABASE_URL"] = f"{base}/{database}"
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {database}"],
            capture_output=True,  # fails when it exists: reused
        )
        server = Server(env=env)
        try:
            server.manage("migrate", "--noinput", "-v", "0")
            if seeded_leads(server) != leads:
                subprocess.run(
                    ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE {database} WITH (FORCE)"],
                    check=True, capture_output=True,
                )  # fmt: skip
                subprocess.run(
                    ["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {database}"],
                    check=True, capture_output=True,
                )  # fmt: skip
                server.manage("migrate", "--noinput", "-v", "0")
                started = time.perf_counter()
                server.manage(
                    "seed_demo", "--leads", str(leads), "--transitions-per-lead",
                    str(BIG_BOARD_TRANSITIONS_PER_LEAD), "--quiet",
                )  # fmt: skip
                report(f"seed {leads} leads", seconds=round(time.perf_counter() - started, 1))
            analyze = (
                "from django.db import connection; connection.cursor().execute('VACUUM (ANALYZE)')"
            )
            server.manage("shell", "-c", analyze)
            yield server
        finally:
            for index, process in enumerate(server.processes):
                if process.poll() is None:
                    server.stop(index)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # itself or a child
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting on I/O),
    summed over its cores, from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
