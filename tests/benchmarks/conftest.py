"""Benchmarks: a real ASGI server in its own process, on a database seeded for the run.

Run by `make bench` (SQLite + in-memory layer, then PostgreSQL + Redis when they are up).
Each benchmark prints its figures; none of them is part of `make test`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)


def database_kind() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def layer_kind() -> str:
    return "redis" if os.environ.get("REDIS_URL") else "in-memory"


def report(title: str, **figures) -> None:
    """One line per figure set, easy to grep out of `make bench`."""
    print(
        f"\nBENCH {title} [{database_kind()} + {layer_kind()}] " + json.dumps(figures), flush=True
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    processes: list[subprocess.Popen]

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def token(self, username: str = "marketing") -> str:
        password = self.env["DEMO_PASSWORD"]
        request = urllib.request.Request(
            f"{self.url}/api/auth/token/",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())["token"]


def bench_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEMO_PASSWORD="bench-pass-123",
        THROTTLE_LOGIN="10000/min",
        DJANGO_SETTINGS_MODULE="config.settings",
        CHANNELS_PREFIX=f"fbbench{os.getpid()}",
    )
    if database_kind() == "postgresql":
        base = env["DATABASE_URL"].rsplit("/", 1)[0]
        name = f"funnelboard_bench_{os.getpid()}"
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True
        )
        subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        env["DATABASE_URL"] = f"{base}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    return env


def drop_database(env: dict[str, str]) -> None:
    if database_kind() == "postgresql":
        base, name = env["DATABASE_URL"].rsplit("/", 1)
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"]
        )


def wait_healthy(url: str, processes: list[subprocess.Popen], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("the server exited while starting")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not become healthy")


def start_server(env: dict[str, str], workers: int = 1) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws",
        "websockets",
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, [process])
    return url, [process]


@pytest.fixture(scope="session")
def seeded_server() -> Iterator[Server]:
    """One server over a database with the demo board at 10,000 leads."""
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(Path(tmp))
        server = Server(url="", env=env, processes=[])
        server.manage("migrate", "--noinput", "-v", "0")
        server.manage("seed_demo", "--leads", "10000", "--quiet")
        server.url, server.processes = start_server(env)
        try:
            yield server
        finally:
            for process in server.processes:
                process.terminate()
                process.wait(timeout=10)
            drop_database(env)
