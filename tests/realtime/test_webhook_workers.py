"""Two webhook worker processes (``manage.py deliver_webhooks``) over one database,
as production runs them, and three real receivers on loopback: one slow (4.5 s per
answer), one failing then recovering, one fast. The fast one gets every event
within 2 s of its move, and each receiver gets each event exactly once, in seq order."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.server import Server
from tests.webhook_rig import Receiver, WorkerProcess, delays, demo_board, median_ms, move, moves_on

MOVES = 4
SLOW_ANSWER = 4.5


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    made = {"slow": Receiver(delay=SLOW_ANSWER), "flaky": Receiver(), "fast": Receiver()}
    made["flaky"].answers = [500, 503]  # then it recovers: retried after 5 s, then 10 s
    yield made
    for receiver in made.values():
        receiver.close()


def test_two_workers_slow_flaky_and_fast_receivers(cluster: Server, receivers):
    cluster.env.update(
        WEBHOOK_ALLOW_PRIVATE="1",  # the receivers are on loopback
        WEBHOOK_CLAIM_BUDGET="5",  # the slow webhook's claim changes hands mid-backlog
    )
    cluster.start()
    token = cluster.token("manager")  # the demo board's owner
    board = demo_board(cluster, token)
    moves = moves_on(cluster, token, board)
    for receiver in receivers.values():
        status, _ = cluster.api(
            "POST", f"/api/boards/{board}/webhooks/", {"url": receiver.url}, token=token
        )
        assert status == 201
    workers = [WorkerProcess(cluster.env), WorkerProcess(cluster.env)]
    try:
        for worker in workers:
            worker.wait_ready()
        made: dict[int, float] = {}
        for lead, stage in moves[:MOVES]:
            made[move(cluster, token, lead, stage)] = time.monotonic()
            time.sleep(0.8)  # moves keep coming while the slow receiver is busy
        deadline = time.monotonic() + 40
        while any(len(r.seqs()) < MOVES for r in receivers.values()):
            assert time.monotonic() < deadline, {k: r.seqs() for k, r in receivers.items()}
            time.sleep(0.1)
        time.sleep(1.5)  # more than a worker's interval: a duplicate would have come by now
    finally:
        codes = [worker.stop() for worker in workers]
    outputs = [worker.output for worker in workers]
    assert codes == [0, 0], outputs  # SIGTERM: a clean stop

    seqs = sorted(made)
    for name, receiver in receivers.items():
        assert receiver.seqs() == seqs, (name, outputs)  # each once, in seq order
    assert receivers["flaky"].attempts == MOVES + 2
    fast, slow = delays(receivers["fast"], made), delays(receivers["slow"], made)
    assert max(fast) < 2.0, fast
    print(
        f"\nwebhook delay (move to arrival), median: fast {median_ms(fast)} ms, "
        f"slow {median_ms(slow)} ms; fast max {round(max(fast) * 1000)} ms"
    )
