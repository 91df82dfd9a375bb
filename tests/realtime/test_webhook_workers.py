"""Two task worker processes (``manage.py worker``) over one database, as production
runs them, and real receivers on loopback: one slow (4.5 s per answer), one failing
then recovering, one fast. The fast one gets every event within 2 s of its move, and
each receiver gets each event exactly once, in seq order. A worker killed in the
middle of a delivery lets go of its webhook at once: another delivers the rest."""

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
        WEBHOOK_TASK_BUDGET="5",  # the slow webhook's backlog is handed on mid-way
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


def test_a_worker_killed_mid_delivery_lets_go_of_its_webhook(cluster: Server):
    """SIGKILL while its task is in a POST: no lease to run out, the hold went with the
    process. The second worker's sweep finds the webhook behind and delivers from the
    event whose answer never reached the database: that one comes twice, with the
    same ``webhook-id`` (the receiver's cue to drop it), then the rest once each."""
    cluster.env.update(WEBHOOK_ALLOW_PRIVATE="1", WORKER_SWEEP_INTERVAL="1")
    cluster.start()
    token = cluster.token("manager")
    board = demo_board(cluster, token)
    slow = Receiver(delay=2.0)
    try:
        status, _ = cluster.api(
            "POST", f"/api/boards/{board}/webhooks/", {"url": slow.url}, token=token
        )
        assert status == 201
        doomed = WorkerProcess(cluster.env)
        doomed.wait_ready()
        seqs = [
            move(cluster, token, lead, stage) for lead, stage in moves_on(cluster, token, board)[:3]
        ]
        deadline = time.monotonic() + 20
        while slow.attempts < 1:  # the doomed worker is in its first POST
            assert time.monotonic() < deadline
            time.sleep(0.05)
        doomed.process.kill()
        assert doomed.stop() == -9
        survivor = WorkerProcess(cluster.env)
        try:
            survivor.wait_ready()
            deadline = time.monotonic() + 40
            while len(set(slow.seqs())) < len(seqs):
                assert time.monotonic() < deadline, (slow.seqs(), survivor.output)
                time.sleep(0.1)
            time.sleep(1.5)
        finally:
            assert survivor.stop() == 0, survivor.output
    finally:
        slow.close()
    received = slow.seqs()
    # The receiver took the first event from the killed worker (it answered after the
    # kill), and again from the survivor; then each of the others once, in order.
    assert received == [seqs[0], *seqs], received
    ids = [headers["webhook-id"] for headers, _ in slow.received]
    assert ids == [f"msg_{board}_{seq}" for seq in received]
