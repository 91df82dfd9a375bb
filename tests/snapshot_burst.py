"""A burst of concurrent server snapshots against a real server, with a /state/ reader
of the same process timed before (idle) and during the burst.

Used by tests/realtime/test_snapshot_burst.py (the limits hold) and
tests/benchmarks/bench_snapshots.py (the figures, on a 10,000-lead board).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    seconds: float
    retry_after: str | None = None
    body: Any = None


@dataclass
class Burst:
    snapshots: list[Answer]
    idle_state: list[float]  # seconds per /state/ read, before the burst
    busy_state: list[float] = field(default_factory=list)  # during it
    seconds: float = 0.0  # the whole burst, first request to last answer

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for answer in self.snapshots:
            counts[answer.status] = counts.get(answer.status, 0) + 1
        return dict(sorted(counts.items()))

    def refused(self) -> list[Answer]:
        return [a for a in self.snapshots if a.status in (429, 503)]

    def figures(self) -> dict[str, Any]:
        ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
        refused = self.refused()
        return {
            "statuses": self.statuses(),
            "burst_s": round(self.seconds, 2),
            "refused_max_ms": ms(max((a.seconds for a in refused), default=0)),
            "rendered_max_ms": ms(
                max((a.seconds for a in self.snapshots if a.status == 200), default=0)
            ),
            "state_idle_median_ms": ms(statistics.median(self.idle_state)),
            "state_burst_median_ms": ms(statistics.median(self.busy_state)),
            "state_burst_max_ms": ms(max(self.busy_state)),
            "state_reads_in_burst": len(self.busy_state),
        }


def call(url: str, token: str, timeout: float = 120) -> Answer:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return Answer(response.status, time.perf_counter() - started)
    except urllib.error.HTTPError as error:
        raw = error.read()
        body = json.loads(raw) if error.headers.get_content_type() == "application/json" else raw
        return Answer(
            error.code, time.perf_counter() - started, error.headers.get("Retry-After"), body
        )


def at_once(
    url: str, token: str, count: int, while_running: Callable[[], None] | None = None
) -> tuple[list[Answer], float]:
    """``count`` GETs of ``url`` released together; ``while_running`` is called again
    and again until the last one is answered. The answers, and the seconds it took."""
    answers: list[Answer | None] = [None] * count
    gate = threading.Barrier(count + 1)

    def get(index: int) -> None:
        gate.wait()
        answers[index] = call(url, token)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    while any(thread.is_alive() for thread in threads):
        if while_running is None:
            time.sleep(0.01)
        else:
            while_running()
    for thread in threads:
        thread.join()
    return [answer for answer in answers if answer is not None], time.perf_counter() - started


def snapshot_burst(
    base: str,
    board: int,
    *,
    snapshot_token: str,
    state_token: str,
    count: int = 30,
    size: tuple[int, int] = (3840, 2160),
    idle_reads: int = 15,
) -> Burst:
    """``count`` snapshots at once (``size``, the board view) with ``snapshot_token``;
    /state/ reads with ``state_token`` one after another, idle and during the burst."""
    state_url = f"{base}/api/boards/{board}/state/?per_stage=50"
    snapshot_url = (
        f"{base}/api/boards/{board}/snapshot.png?view=board&width={size[0]}&height={size[1]}"
    )
    idle = [call(state_url, state_token).seconds for _ in range(idle_reads)]
    busy: list[float] = []
    answers, seconds = at_once(
        snapshot_url,
        snapshot_token,
        count,
        while_running=lambda: busy.append(call(state_url, state_token).seconds),
    )
    return Burst(answers, idle, busy, seconds)
