"""A real ASGI server (uvicorn) in its own process, on a database made for the run.

Used by the browser tests (tests/e2e) and the benchmarks: both need websockets,
which Django's live_server does not serve. The database follows the environment:
PostgreSQL when DATABASE_URL points at one (a fresh database per run), else a
SQLite file in a temporary folder.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEMO_PASSWORD = "test-pass-123"


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(tmp: Path, name: str) -> dict[str, str]:
    """Environment for a server on its own database (created empty)."""
    env = dict(os.environ)
    env.update(
        DEMO_PASSWORD=DEMO_PASSWORD,
        # DEBUG stays off, as in production: the server needs a real key (config/safety.py).
        SECRET_KEY=secrets.token_urlsafe(50),
        SERVER_TIMING="1",  # the benchmarks read it
        THROTTLE_LOGIN="100000/min",
        DEMO_BOARD="q4-pipeline",  # the board seed_demo makes, for new users to join
        # The benchmarks time renders in a row; tests that need the limits set them.
        SNAPSHOT_RATE_USER="100000/min",
        SNAPSHOT_RATE_BOARD="100000/min",
        DJANGO_SETTINGS_MODULE="config.settings",
        CHANNELS_PREFIX=f"fb{name}{os.getpid()}",
        CACHE_PREFIX=f"fbc{name}{os.getpid()}",
        PYTHONUNBUFFERED="1",
    )
    if on_postgres():
        base = env["DATABASE_URL"].rsplit("/", 1)[0]
        database = f"funnelboard_{name}_{os.getpid()}"
        for sql in (
            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
            f"CREATE DATABASE {database}",
        ):
            subprocess.run(
                ["psql", f"{base}/postgres", "-qc", sql], check=True, capture_output=True
            )
        env["DATABASE_URL"] = f"{base}/{database}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / f'{name}.sqlite3'}"
    return env


def drop_database(env: dict[str, str]) -> None:
    if env["DATABASE_URL"].startswith("postgres"):
        base, database = env["DATABASE_URL"].rsplit("/", 1)
        sql = f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        subprocess.run(["psql", f"{base}/postgres", "-qc", sql], capture_output=True)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited while starting")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not become healthy")


def terminated(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop ``process`` (SIGTERM, then SIGKILL after ``timeout`` s) and reap it."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Server:
    """One database, served by one or more uvicorn processes (``start`` adds one)."""

    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.urls[0]

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

    def start(self, port: int | None = None, workers: int = 1) -> str:
        port = port or free_port()
        command = [
            PYTHON, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio",
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
            "--no-proxy-headers", "--ws-max-size", self.env.get("WS_MAX_MESSAGE_BYTES", "4096"),
            "--workers", str(workers),
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        self.processes.append(process)
        self.urls.append(url)
        return url

    def stop(self, index: int = 0) -> None:
        terminated(self.processes[index])

    def restart(self, index: int = 0) -> None:
        """Stop process ``index`` and start it again on the same port."""
        self.stop(index)
        port = int(self.urls[index].rsplit(":", 1)[1])
        self.processes.pop(index)
        self.urls.pop(index)
        self.start(port)
        # keep the restarted one at its index
        self.processes.insert(index, self.processes.pop())
        self.urls.insert(index, self.urls.pop())

    def close(self) -> None:
        for index, process in enumerate(self.processes):
            if process.poll() is None:
                self.stop(index)
        drop_database(self.env)

    def token(self, username: str = "marketing") -> str:
        request = urllib.request.Request(
            f"{self.url}/api/auth/token/",
            data=json.dumps({"username": username, "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())["token"]

    def api(
        self, method: str, path: str, body: object = None, *, token: str, url: str | None = None
    ) -> tuple[int, Any]:
        """Call the API of process ``url`` (default: the first) with a token."""
        request = urllib.request.Request(
            f"{url or self.url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")
