"""Webhooks for real: receivers (HTTP servers on 127.0.0.1, in threads of the test
process) and task worker processes (``manage.py worker``).

The unit tests run the queued tasks in the test process (``run_tasks``, as a worker
runs them) against these receivers; the multi-process tests and the benchmark start
worker processes beside a server.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db.models import F
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from leads.integrations.webhook_delivery import webhooks_sweep
from leads.models import WebhookDelivery
from leads.worker import TaskWorker
from tests.server import PYTHON, ROOT, Server


@dataclass
class Ran:
    """What the tasks run by ``run_tasks`` did, added up."""

    tasks: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    endings: list[str] = field(default_factory=list)


def run_tasks(*, sweep: bool = True) -> Ran:
    """What a worker does, here on this thread: the sweep (as at its start), then every
    task ready now, one after another. A task that raised fails the test."""
    if sweep:
        webhooks_sweep()
    ran = Ran()
    for task in TaskWorker(threads=1, interval=0.1).run_ready():
        assert task.status == TaskResultStatus.SUCCESSFUL, task.traceback
        value = task.return_value
        ran.tasks += 1
        ran.delivered += value["delivered"]
        ran.failed += value["failed"]
        ran.skipped += value["skipped"]
        ran.endings.append(value["ending"])
    return ran


def ready_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.ready())


def time_passes(seconds: float) -> None:
    """As if ``seconds`` went by: retries and deferred tasks fall due that much sooner."""
    delta = dt.timedelta(seconds=seconds)
    WebhookDelivery.objects.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=F("next_attempt_at") - delta
    )
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).exclude(
        run_after=get_date_max()
    ).update(run_after=F("run_after") - delta)


class Receiver:
    """``answers`` is the status of each next request (then 200); ``delay`` seconds pass
    before each answer; ``drip`` seconds are spent sending the answer's headers, a line
    at a time (each read is quick, the whole is not). ``received`` holds the accepted
    deliveries (2xx), ``arrivals`` when each accepted one arrived (``time.monotonic``),
    ``attempts`` every POST, answered or not."""

    def __init__(self, port: int = 0, *, delay: float = 0.0, drip: float = 0.0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrivals: list[float] = []
        self.answers: list[int] = []
        self.attempts = 0
        self.delay = delay
        self.drip = drip
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                arrived = time.monotonic()
                with receiver.lock:
                    receiver.attempts += 1
                    code = receiver.answers.pop(0) if receiver.answers else 200
                time.sleep(receiver.delay)
                if code < 300:
                    with receiver.lock:
                        receiver.received.append((dict(self.headers), body))
                        receiver.arrivals.append(arrived)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                try:
                    for line in range(int(receiver.drip / 0.1)):
                        self.send_header("X-Drip", str(line))
                        self.flush_headers()
                        time.sleep(0.1)
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting: that is what a drip tests

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        # A short poll: closing it after a test takes 0.05 s, not 0.5 s.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def seqs(self) -> list[int]:
        with self.lock:
            return [json.loads(body)["seq"] for _, body in self.received]

    def arrived(self) -> dict[int, float]:
        """When each accepted seq arrived (the first time, if it came twice)."""
        with self.lock:
            bodies, arrivals = [body for _, body in self.received], list(self.arrivals)
        firsts: dict[int, float] = {}
        for body, at in zip(bodies, arrivals, strict=True):
            firsts.setdefault(json.loads(body)["seq"], at)
        return firsts

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_board(server: Server, token: str) -> int:
    status, boards = server.api("GET", "/api/boards/", token=token)
    assert status == 200
    boards = boards["results"] if isinstance(boards, dict) else boards
    return next(b["id"] for b in boards if b["name"] == "Q4 Pipeline")


def moves_on(server: Server, token: str, board: int) -> list[tuple[int, int]]:
    """Moves to make on the board: some of its leads, each with the next open stage."""
    status, state = server.api("GET", f"/api/boards/{board}/state/?per_stage=20", token=token)
    assert status == 200
    stages = [s for s in state["stages"] if s["kind"] == "open"]
    return [
        (card["id"], stages[(n + 1) % len(stages)]["id"])
        for n, stage in enumerate(stages)
        for card in stage["leads"]
    ]


def move(server: Server, token: str, lead: int, stage: int) -> int:
    """Move the lead; the event's seq."""
    status, body = server.api("POST", f"/api/leads/{lead}/move/", {"to_stage": stage}, token=token)
    assert status == 200, body
    return body["seq"]


def delays(receiver: Receiver, made: dict[int, float]) -> list[float]:
    """Seconds from each event's move (``made``: seq -> ``time.monotonic``) to its arrival."""
    arrived = receiver.arrived()
    return [arrived[seq] - at for seq, at in sorted(made.items()) if seq in arrived]


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


class WorkerProcess:
    """A task worker process on the database of ``env``; its output is collected."""

    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "worker", *extra],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_ready(self, within: float = 60) -> None:
        """Until it says it runs tasks (Django's start-up takes seconds on a busy box)."""
        deadline = time.monotonic() + within
        while not any(line.startswith("Running tasks") for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the webhook worker did not start: " + "".join(self.lines))
            time.sleep(0.05)

    def stop(self, within: float = 15) -> int:
        """SIGTERM (the tasks under way finish); its exit code (-9: killed)."""
        self.process.terminate()
        try:
            code = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = -9
        self.reader.join(timeout=5)
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)
