"""The delivery task and the worker that runs it: one deliverer per webhook (whoever
holds the webhook, ``leads.locks``), the cursor moved only from where its holder read
it, a task's work bounded (one POST as a whole, one task's budget, a stopping worker),
and the worker running several webhooks at once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads import locks
from leads import worker as worker_module
from leads.integrations.webhook_delivery import (
    CursorMoved,
    Ending,
    Tally,
    deliver,
    webhooks_due,
    webhooks_sweep,
)
from leads.models import DeliveryStatus, Webhook, WebhookDelivery
from leads.services import lead_create
from leads.services.webhooks import webhook_create, webhook_set_active
from leads.worker import TaskWorker, request_stop, results_prune
from tests.webhook_rig import Receiver, ready_tasks, run_tasks, time_passes

NOWHERE = "http://127.0.0.1:9/hook"  # for tests that answer through a MockTransport


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """``receivers(delay=...)`` starts one; all are closed after the test."""
    made: list[Receiver] = []

    def make(**options: float) -> Receiver:
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def hook(board, owner, url: str = NOWHERE) -> Webhook:
    return webhook_create(board_id=board.pk, actor=owner, url=url, secret="s")


def events(board, owner, count: int) -> list[int]:
    """``count`` new events on the board; their seqs."""
    for n in range(count):
        lead_create(board_id=board.pk, actor=owner, name=f"Lead {n}")
    board.refresh_from_db()
    return list(range(board.last_seq - count + 1, board.last_seq + 1))


def meanwhile(sent: list[int], action: Callable[[], object] = lambda: None) -> httpx.MockTransport:
    """A receiver that notes each seq in ``sent`` and, while the POST is under way, runs
    ``action`` (on the database thread: as another process's write would land)."""

    async def receive(request: httpx.Request) -> httpx.Response:
        sent.append(int(request.headers["X-Funnelboard-Seq"]))
        await sync_to_async(action)()
        return httpx.Response(200)

    return httpx.MockTransport(receive)


def deliver_now(webhook: Webhook, transport: httpx.AsyncBaseTransport | None = None) -> Tally:
    """One task's work for the webhook, on this thread (as a worker thread runs it)."""
    return async_to_sync(deliver)(webhook.pk, transport=transport)


class HeldElsewhere:
    """The webhook held by another deliverer: a thread of its own, with its own
    database connection (as another worker's task would hold it)."""

    def __init__(self, webhook: Webhook) -> None:
        self.taken = threading.Event()
        self.letting_go = threading.Event()
        self.thread = threading.Thread(target=self.hold, args=(webhook.pk,))
        self.thread.start()
        assert self.taken.wait(10)

    def hold(self, webhook_id: int) -> None:
        try:
            held = locks.hold_take("webhook", webhook_id)
            assert held is not None
            self.taken.set()
            self.letting_go.wait(10)
            held.release()
        finally:
            connection.close()

    def release(self) -> None:
        self.letting_go.set()
        self.thread.join(10)


# --- One deliverer per webhook ---


def test_a_task_finding_its_webhook_held_ends_at_once_and_sends_nothing(board, owner):
    webhook = hook(board, owner)
    seqs = events(board, owner, 2)
    sent: list[int] = []
    other = HeldElsewhere(webhook)
    try:
        tally = deliver_now(webhook, meanwhile(sent))
    finally:
        other.release()
    assert (tally.ending, sent) == (Ending.BUSY, [])
    assert not WebhookDelivery.objects.exists()

    tally = deliver_now(webhook, meanwhile(sent))  # let go: the next task delivers
    assert (tally.ending, tally.delivered, sent) == (Ending.CAUGHT_UP, 2, seqs)


def test_the_holder_takes_the_webhook_again_for_an_event_stored_as_it_let_go(
    board, owner, monkeypatch
):
    """That event's own task was turned away (the webhook was held): the holder looks
    once more after letting go, and delivers it."""
    webhook = hook(board, owner)
    first = events(board, owner, 1)
    sent: list[int] = []
    release = locks.Hold.release
    late: list[int] = []

    def release_after_an_event(held: locks.Hold) -> None:
        if not late:
            late.extend(events(board, owner, 1))
        release(held)

    monkeypatch.setattr(locks.Hold, "release", release_after_an_event)
    tally = deliver_now(webhook, meanwhile(sent))

    assert sent == first + late
    assert (tally.ending, tally.delivered) == (Ending.CAUGHT_UP, 2)


def test_the_cursor_moves_only_from_where_its_holder_read_it(board, owner):
    """Were two deliverers ever at one webhook, the one whose cursor is stale writes
    nothing: the cursor is never set back, no event is marked delivered twice."""
    webhook = hook(board, owner)
    seqs = events(board, owner, 3)

    def moved_elsewhere() -> None:
        Webhook.objects.filter(pk=webhook.pk).update(delivered_seq=seqs[1])

    with pytest.raises(CursorMoved):
        deliver_now(webhook, meanwhile([], moved_elsewhere))

    webhook.refresh_from_db()
    assert webhook.delivered_seq == seqs[1]  # not set back to seqs[0]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    held = locks.hold_take("webhook", webhook.pk)  # let go although the task raised
    assert held is not None
    held.release()


def test_a_hold_is_one_holders_at_a_time(board, owner):
    webhook = hook(board, owner)
    other = HeldElsewhere(webhook)
    try:
        assert locks.hold_take("webhook", webhook.pk) is None
    finally:
        other.release()
    held = locks.hold_take("webhook", webhook.pk)
    assert held is not None
    held.release()


# --- Pausing, bounds ---


def test_pausing_a_webhook_stops_its_task_after_the_delivery_under_way(board, owner):
    webhook = hook(board, owner)
    seqs = events(board, owner, 3)
    sent: list[int] = []

    def pause() -> None:
        webhook_set_active(board_id=board.pk, actor=owner, webhook_id=webhook.pk, active=False)

    tally = deliver_now(webhook, meanwhile(sent, pause))

    assert sent == seqs[:1] and (tally.ending, tally.delivered) == (Ending.PAUSED, 1)
    webhook.refresh_from_db()
    assert webhook.delivered_seq == seqs[0]  # the one under way counts: not sent again


def test_each_delivery_is_bounded_as_a_whole(board, owner, receivers, settings):
    """A receiver sending its answer a header line every 0.1 s never trips a per-read
    timeout; the delivery's own bound stops it."""
    settings.WEBHOOK_DELIVERY_TIMEOUT = 0.5
    receiver = receivers(drip=3.0)
    webhook = hook(board, owner, receiver.url)
    events(board, owner, 1)

    started = time.monotonic()
    result = run_tasks()

    assert time.monotonic() - started < 1.5
    assert result.failed == 1
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.FAILING
    assert delivery.error == "Timeout: no answer within 0.5 s"


def test_a_task_hands_the_rest_on_when_its_budget_is_spent(board, owner, receivers, settings):
    settings.WEBHOOK_TASK_BUDGET = 0.5
    receiver = receivers(delay=0.3)
    webhook = hook(board, owner, receiver.url)
    seqs = events(board, owner, 4)

    first = deliver_now(webhook)

    # Deliveries start while budget is left (the last one under way finishes): 1 or 2.
    assert first.ending == Ending.HANDED_ON and 1 <= first.delivered <= 2
    webhook.refresh_from_db()
    assert webhook.delivered_seq == seqs[first.delivered - 1]
    assert [task.args_kwargs["args"] for task in ready_tasks()] == [[webhook.pk]]
    rest = run_tasks(sweep=False)  # the task handed on, and those it hands on
    assert rest.endings[-1] == Ending.CAUGHT_UP
    assert receiver.seqs() == seqs


@pytest.fixture
def stop_request() -> Iterator[Callable[[], None]]:
    """``request_stop``, taken back after the test (``serve`` takes it back on return)."""
    yield request_stop
    worker_module._stopping.clear()


def test_a_stopping_worker_hands_the_rest_on_after_the_delivery_under_way(
    board, owner, stop_request
):
    webhook = hook(board, owner)
    seqs = events(board, owner, 3)
    sent: list[int] = []
    tally = deliver_now(webhook, meanwhile(sent, stop_request))
    assert (tally.ending, sent) == (Ending.HANDED_ON, seqs[:1])
    assert [task.args_kwargs["args"] for task in ready_tasks()] == [[webhook.pk]]


def test_a_webhook_backing_off_is_not_swept_until_it_is_due(board, owner, receivers):
    receiver = receivers()
    webhook = hook(board, owner, receiver.url)
    events(board, owner, 1)
    receiver.answers = [500]
    assert run_tasks().failed == 1

    due_at = WebhookDelivery.objects.get().next_attempt_at
    assert not webhooks_due(timezone.now()).filter(pk=webhook.pk).exists()
    assert webhooks_due(due_at + dt.timedelta(seconds=1)).filter(pk=webhook.pk).exists()
    DBTaskResult.objects.all().delete()  # the retry's task lost, say
    assert webhooks_sweep() == 0
    time_passes(6)
    assert webhooks_sweep() == 1
    assert run_tasks(sweep=False).delivered == 1 and receiver.attempts == 2


def test_bad_bounds_are_refused(settings):
    settings.WEBHOOK_DELIVERY_TIMEOUT = 0
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_DELIVERY_TIMEOUT"):
        call_command("worker", "--batch")


# --- The worker ---


def test_finished_task_rows_are_pruned_but_failed_ones_kept(board, owner):
    webhook = hook(board, owner)
    events(board, owner, 1)
    webhooks_sweep()
    (old,) = DBTaskResult.objects.all()
    DBTaskResult.objects.filter(pk=old.pk).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - dt.timedelta(days=2)
    )
    webhooks_sweep()
    recent = DBTaskResult.objects.exclude(pk=old.pk).get()
    DBTaskResult.objects.filter(pk=recent.pk).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now()
    )
    webhook_failed = DBTaskResult.objects.create(
        args_kwargs={"args": [webhook.pk], "kwargs": {}},
        task_path=old.task_path,
        backend_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now() - dt.timedelta(days=2),
    )
    assert results_prune(kept=24 * 3600) == 1
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, webhook_failed.pk}


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_slow_and_fast_webhooks_at_once(board, owner, receivers):
    """Threads of one worker: the fast receiver has its events while the slow one is
    still answering the first. (On SQLite the test database is in memory, shared
    between threads with table locks that fail instead of waiting: there the same
    runs in real worker processes, tests/realtime/test_webhook_workers.py.)"""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads on the in-memory test database fail on its table locks")
    slow, fast = receivers(delay=1.0), receivers()
    hook(board, owner, slow.url)
    hook(board, owner, fast.url)
    # Committed: the first event enqueued a task per webhook; the second found them
    # waiting to start (they read the outbox when they do) and added none.
    seqs = events(board, owner, 2)
    assert len(ready_tasks()) == 2
    worker = TaskWorker(threads=4, interval=0.05, sweeps=[])
    serving = threading.Thread(target=worker.serve)
    started = time.monotonic()
    serving.start()
    try:
        deadline = time.monotonic() + 15
        while len(slow.seqs()) < 2 or len(fast.seqs()) < 2:
            assert time.monotonic() < deadline, (slow.seqs(), fast.seqs())
            time.sleep(0.02)
    finally:
        request_stop()
        serving.join(15)
    assert not serving.is_alive()
    assert slow.seqs() == fast.seqs() == seqs
    assert max(fast.arrivals) - started < 0.9  # before the slow one's first answer
    assert slow.arrivals[1] - started >= 1.0
    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    assert sorted(task.return_value["delivered"] for task in done) == [2, 2]


def test_a_worker_with_more_threads_than_pooled_connections_is_refused(db, settings):
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if pool is None:
        pytest.skip("PostgreSQL's connection pool (SQLite opens a connection per thread)")
    # The loop that claims tasks needs one more, and the numbers worker another.
    threads = str(pool["max_size"] - 1)
    with pytest.raises(ImproperlyConfigured, match=rf"DB_POOL_MAX \({pool['max_size']}\)"):
        call_command("worker", "--batch", "--threads", threads)
    call_command("worker", "--batch", "--threads", str(pool["max_size"] - 2))
