"""The webhook worker: webhooks delivered at once and independently (a slow receiver
holds up nobody else), each by one claim at a time whose lease names its owner, is
renewed as deliveries go, and is released only by that owner; every POST and every
claim bounded in time."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from leads.models import DeliveryStatus, Webhook, WebhookDelivery
from leads.services import lead_create
from leads.services.bridge import webhook_create
from leads.services.webhook_state import webhook_set_active
from leads.webhooks import (
    Claim,
    LeaseLost,
    PassResult,
    lease_claim,
    lease_hold,
    lease_release,
    webhooks_deliver_due,
    webhooks_due,
    worker_loop,
)
from tests.webhook_rig import Receiver

LEASE = dt.timedelta(seconds=60)
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


def meanwhile(sent: list[int], action: Callable[[], object]) -> httpx.MockTransport:
    """A receiver that notes each seq in ``sent`` and, while the POST is under way, runs
    ``action`` (on the database thread: as another process's write would land)."""

    async def receive(request: httpx.Request) -> httpx.Response:
        sent.append(int(request.headers["X-Funnelboard-Seq"]))
        await sync_to_async(action)()
        return httpx.Response(200)

    return httpx.MockTransport(receive)


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


# --- Independent webhooks ---


def test_a_slow_receiver_does_not_hold_up_another_webhook(board, owner, receivers):
    slow, fast = receivers(delay=1.0), receivers()
    hook(board, owner, slow.url)  # first: a worker going one webhook after another starts here
    hook(board, owner, fast.url)
    seqs = events(board, owner, 2)

    started = time.monotonic()
    result = webhooks_deliver_due()

    assert result.delivered == 4
    assert slow.seqs() == fast.seqs() == seqs
    # Both of the fast receiver's events came while the slow one was still on its first.
    assert max(fast.arrivals) - started < 0.8
    assert slow.arrivals[1] - started >= 1.0


@pytest.mark.django_db(transaction=True)
def test_new_events_are_claimed_while_a_slow_delivery_is_in_flight(board, owner, receivers):
    """The running worker (not one pass): the fast webhook's second event is picked up
    and delivered while the slow receiver is still answering the first."""
    slow, fast = receivers(delay=1.5), receivers()
    hook(board, owner, slow.url)
    hook(board, owner, fast.url)
    stopping = threading.Event()
    made: dict[int, float] = {}

    async def moves() -> None:
        for n in range(2):
            await sync_to_async(lead_create)(board_id=board.pk, actor=owner, name=f"L{n}")
            made[board.last_seq + n + 1] = time.monotonic()
            await asyncio.sleep(0.4)
        await until(lambda: len(slow.seqs()) == 2, 8, "the slow receiver's two events")
        stopping.set()

    async def scenario() -> None:
        await asyncio.gather(worker_loop(0.05, stopping, lambda result: None, None), moves())

    async_to_sync(scenario)()

    arrived = fast.arrived()
    assert fast.seqs() == slow.seqs() == sorted(made)
    assert all(arrived[seq] - made[seq] < 0.6 for seq in made), (arrived, made)
    first, second = sorted(made)
    assert arrived[second] < slow.arrived()[first] + slow.delay  # before the slow one answered


# --- One deliverer per webhook: the lease ---


def test_only_the_owner_renews_or_releases_a_lease(board, owner):
    webhook = hook(board, owner)
    first = lease_claim(webhook.pk, LEASE)
    assert first is not None
    assert lease_claim(webhook.pk, LEASE) is None  # held: nobody else gets it
    lease_release(Claim(webhook.pk, "another-worker"))
    webhook.refresh_from_db()
    assert webhook.lease_owner == first.owner  # a release by anyone else changes nothing

    # The first worker stalls past its lease; a second one takes the webhook over.
    Webhook.objects.filter(pk=webhook.pk).update(lease_until=timezone.now() - dt.timedelta(1))
    second = lease_claim(webhook.pk, LEASE)
    assert second is not None and second.owner != first.owner
    with pytest.raises(LeaseLost):
        lease_hold(first, LEASE, delivered_seq=webhook.delivered_seq + 1)
    lease_release(first)  # the stalled worker ends its claim
    webhook.refresh_from_db()
    assert webhook.lease_owner == second.owner  # still the second one's
    assert webhook.delivered_seq == board.last_seq  # the stalled one moved nothing

    lease_release(second)
    webhook.refresh_from_db()
    assert (webhook.lease_owner, webhook.lease_until) == ("", None)


def test_a_claim_whose_lease_was_taken_over_stops_without_moving_the_cursor(board, owner):
    webhook = hook(board, owner)
    seqs = events(board, owner, 3)
    sent: list[int] = []

    def take_over() -> None:  # the lease ran out and another worker claimed the webhook
        Webhook.objects.filter(pk=webhook.pk).update(
            lease_owner="another-worker", lease_until=timezone.now() + LEASE
        )

    result = webhooks_deliver_due(transport=meanwhile(sent, take_over))

    assert sent == seqs[:1]  # nothing after the takeover
    assert (result.delivered, result.lost) == (0, 1)
    webhook.refresh_from_db()
    assert webhook.delivered_seq == seqs[0] - 1  # the new owner sends it again
    assert webhook.lease_owner == "another-worker"  # not released by the old claim
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_the_lease_is_renewed_at_every_delivery(board, owner, settings):
    settings.WEBHOOK_DELIVERY_TIMEOUT = 1
    settings.WEBHOOK_LEASE = 6
    webhook = hook(board, owner)
    events(board, owner, 3)
    seen: list[tuple[dt.datetime, dt.datetime]] = []

    def lease_now() -> None:
        seen.append((timezone.now(), Webhook.objects.get(pk=webhook.pk).lease_until))

    assert webhooks_deliver_due(transport=meanwhile([], lease_now)).delivered == 3

    # At every POST the lease had (nearly) all of its 6 s ahead of it, renewed each time.
    assert all(until - at > dt.timedelta(seconds=5.5) for at, until in seen)
    ends = [until for _, until in seen]
    assert ends == sorted(ends) and len(set(ends)) == 3
    webhook.refresh_from_db()
    assert (webhook.lease_owner, webhook.lease_until) == ("", None)  # released at the end


@pytest.mark.django_db(transaction=True)
def test_two_workers_hand_webhooks_over_and_send_each_event_once_in_order(
    board, owner, receivers, settings
):
    """Claims short enough to change hands mid-backlog, between two running workers."""
    settings.WEBHOOK_CLAIM_BUDGET = 0.15
    targets = [receivers(delay=0.05) for _ in range(3)]
    for receiver in targets:
        hook(board, owner, receiver.url)
    seqs = events(board, owner, 8)
    stopping = threading.Event()
    tallies = [PassResult(), PassResult()]

    def tally(index: int) -> Callable[[PassResult], None]:
        def add(result: PassResult) -> None:
            tallies[index].delivered += result.delivered
            tallies[index].lost += result.lost

        return add

    async def scenario() -> None:
        workers = [worker_loop(0.02, stopping, tally(n), None) for n in range(2)]

        async def stop_when_done() -> None:
            await until(lambda: all(len(r.seqs()) >= len(seqs) for r in targets), 15, "all")
            await asyncio.sleep(0.3)  # time for a duplicate to show up, if any were sent
            stopping.set()

        await asyncio.gather(*workers, stop_when_done())

    async_to_sync(scenario)()

    for receiver in targets:
        assert receiver.seqs() == seqs  # each event once, in seq order
    assert sum(t.delivered for t in tallies) == 3 * len(seqs)
    assert all(t.delivered for t in tallies)  # both workers took part
    assert not Webhook.objects.exclude(lease_owner="").exists()


def test_a_webhook_backing_off_is_not_claimed_until_it_is_due(board, owner, receivers):
    receiver = receivers()
    webhook = hook(board, owner, receiver.url)
    events(board, owner, 1)
    receiver.answers = [500]
    assert webhooks_deliver_due().failed == 1
    webhook.refresh_from_db()
    assert (webhook.lease_owner, webhook.lease_until) == ("", None)  # let go at once

    due_at = WebhookDelivery.objects.get().next_attempt_at
    assert not webhooks_due(timezone.now()).filter(pk=webhook.pk).exists()
    assert webhooks_due(due_at + dt.timedelta(seconds=1)).filter(pk=webhook.pk).exists()
    assert webhooks_deliver_due().failed == 0 and receiver.attempts == 1


def test_pausing_a_webhook_stops_its_claim_after_the_delivery_under_way(board, owner):
    webhook = hook(board, owner)
    seqs = events(board, owner, 3)
    sent: list[int] = []

    def pause() -> None:
        webhook_set_active(board_id=board.pk, actor=owner, webhook_id=webhook.pk, active=False)

    result = webhooks_deliver_due(transport=meanwhile(sent, pause))

    assert sent == seqs[:1] and result.delivered == 1
    webhook.refresh_from_db()
    assert webhook.delivered_seq == seqs[0]  # the one under way counts: not sent again
    assert webhook.lease_owner == ""


# --- Bounds ---


def test_each_delivery_is_bounded_as_a_whole(board, owner, receivers, settings):
    """A receiver sending its answer a header line every 0.1 s never trips a per-read
    timeout; the delivery's own bound stops it."""
    settings.WEBHOOK_DELIVERY_TIMEOUT = 0.5
    settings.WEBHOOK_LEASE = 6
    receiver = receivers(drip=3.0)
    webhook = hook(board, owner, receiver.url)
    events(board, owner, 1)

    started = time.monotonic()
    result = webhooks_deliver_due()

    assert time.monotonic() - started < 1.5
    assert result.failed == 1
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.FAILING
    assert delivery.error == "Timeout: no answer within 0.5 s"


def test_a_claim_lets_go_when_its_budget_is_spent(board, owner, receivers, settings):
    settings.WEBHOOK_CLAIM_BUDGET = 0.5
    receiver = receivers(delay=0.3)
    webhook = hook(board, owner, receiver.url)
    seqs = events(board, owner, 4)

    first = webhooks_deliver_due()

    # Deliveries start while budget is left (the last one under way finishes): 1 or 2.
    assert 1 <= first.delivered <= 2
    webhook.refresh_from_db()
    assert webhook.delivered_seq == seqs[first.delivered - 1]
    assert webhook.lease_owner == ""  # free for any worker
    while webhook.delivered_seq < seqs[-1]:
        assert webhooks_deliver_due().delivered >= 1
        webhook.refresh_from_db()
    assert receiver.seqs() == seqs


def test_a_lease_shorter_than_a_delivery_is_refused(settings):
    settings.WEBHOOK_DELIVERY_TIMEOUT = 30
    settings.WEBHOOK_LEASE = 20
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_LEASE"):
        call_command("deliver_webhooks", "--once")
