"""Outgoing webhooks: every stored event of a board, POSTed as JSON, signed, in seq order.

Delivery is out of band: a worker (``manage.py deliver_webhooks``) runs
``worker_run`` (or one ``webhooks_deliver_due`` pass); a move only stores its
event, as before. Each webhook has a cursor (``delivered_seq``): the worker sends
the next event after it and moves it on only on a 2xx, so a receiver that is
down, slow or answers 500 gets the same event again later (exponential backoff,
capped) and never one out of order. Nothing is given up: a failing delivery keeps
retrying at the cap until it succeeds or the webhook is deleted or deactivated.

The body is the event exactly as the board's sockets get it
(``leads.events.event_message``); ``X-Funnelboard-Signature: sha256=<hex>`` is
the HMAC-SHA256 of those bytes with the webhook's secret.

Webhooks are delivered independently of each other. A worker is one asyncio loop:
every webhook it has claimed is a task of its own, and a POST in flight costs a
socket, not a thread or a database connection, so a receiver that takes seconds
holds up nobody else; the scheduler claims newly due webhooks every ``interval``
without waiting for those in flight. The database work (a few short statements
per delivery) runs on the worker's one database thread through ``sync_to_async``,
each step in one call: no transaction spans a network wait.

One deliverer per webhook: a claim is a lease naming its owner (``lease_owner``, a
token unique to the claim) until ``lease_until``. Every write of a claim is
conditional on that owner: the lease is renewed before each POST and when the
cursor moves; a claim whose lease was taken over stops at once, without moving
the cursor or writing the log; only the owner releases it. The lease outlives the
per-delivery timeout (``WEBHOOK_DELIVERY_TIMEOUT``), so a live claim does not lose
it mid-POST. A claim delivers until its webhook is caught up, an attempt fails, or
its budget (``WEBHOOK_CLAIM_BUDGET``) is spent; a webhook whose next delivery is
backing off is not claimed until it is due.

Where a webhook may point is checked by ``leads.integrations.ssrf`` (SSRF guard), at
creation and again at every delivery; a refused delivery is a failed attempt with
its reason in the log, retried with backoff like any other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import logging
import os
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from leads.integrations.ssrf import TargetRefused, delivery_target
from leads.integrations.ssrf import (
    target_refusal as target_refusal,  # leads.services.bridge uses it
)

from .events import encode, event_message
from .models import BoardEvent, DeliveryStatus, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Funnelboard-Signature"
BACKOFF_BASE = dt.timedelta(seconds=5)
BACKOFF_CAP = dt.timedelta(hours=1)
CONNECT_TIMEOUT = 2.0
# What a lease must outlive beyond the POST itself: the database writes around it.
LEASE_MARGIN = 5.0
# Events read from the log at a time for one claim.
BATCH = 100


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header)


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s, ... up to an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass(frozen=True)
class Limits:
    """The worker's bounds, from the ``WEBHOOK_*`` settings (see config/settings.py)."""

    timeout: float  # one POST, all told
    budget: float  # one claim
    lease: dt.timedelta
    concurrency: int  # webhooks in flight in one worker

    @classmethod
    def from_settings(cls) -> Limits:
        timeout = float(settings.WEBHOOK_DELIVERY_TIMEOUT)
        lease = float(settings.WEBHOOK_LEASE)
        limits = cls(
            timeout=timeout,
            budget=float(settings.WEBHOOK_CLAIM_BUDGET),
            lease=dt.timedelta(seconds=lease),
            concurrency=int(settings.WEBHOOK_CONCURRENCY),
        )
        if timeout <= 0 or limits.budget <= 0 or limits.concurrency < 1:
            raise ImproperlyConfigured(
                "WEBHOOK_DELIVERY_TIMEOUT and WEBHOOK_CLAIM_BUDGET must be positive, "
                "WEBHOOK_CONCURRENCY at least 1."
            )
        if lease < timeout + LEASE_MARGIN:
            # A shorter lease could run out during a POST: another worker would send
            # the same event again, or the next one before the receiver has this one.
            raise ImproperlyConfigured(
                f"WEBHOOK_LEASE ({lease:g} s) must be at least WEBHOOK_DELIVERY_TIMEOUT "
                f"+ {LEASE_MARGIN:g} s ({timeout + LEASE_MARGIN:g} s)."
            )
        return limits


@dataclass
class PassResult:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0  # events of types the webhook does not want
    lost: int = 0  # claims that found their lease taken over, and stopped


@dataclass(frozen=True)
class Claim:
    """One worker's hold on one webhook: ``owner`` names it in ``Webhook.lease_owner``."""

    webhook_id: int
    owner: str


class LeaseLost(Exception):
    """The claim's lease is held by another claim now (or the webhook was deleted)."""


@dataclass(frozen=True)
class Pending:
    """An event the claimed webhook has not had yet, encoded as it is sent."""

    seq: int
    type: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What one POST came to: ``error`` empty on a 2xx."""

    code: int | None = None
    error: str = ""


# --- Database steps: synchronous, short, each one call from the worker's loop ---


def lease_free(clock: dt.datetime) -> Q:
    """Nobody holds the lease (a crashed worker's runs out)."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=clock)


def webhooks_due(now: dt.datetime) -> QuerySet[Webhook]:
    """Active webhooks behind their board, unclaimed, and not backing off at ``now``
    (their next delivery, if it failed, is due again)."""
    backing_off = WebhookDelivery.objects.filter(
        webhook=OuterRef("pk"), delivered_at__isnull=True, next_attempt_at__gt=now
    )
    return (
        Webhook.objects.filter(active=True, delivered_seq__lt=F("board__last_seq"))
        .filter(lease_free(timezone.now()))
        .exclude(Exists(backing_off))
    )


def lease_claim(webhook_id: int, lease: dt.timedelta) -> Claim | None:
    """Claim the webhook if nobody holds it: one conditional update, so of two workers
    trying at once exactly one gets it."""
    owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(8)}"
    clock = timezone.now()
    claimed = Webhook.objects.filter(lease_free(clock), pk=webhook_id, active=True).update(
        lease_owner=owner, lease_until=clock + lease
    )
    return Claim(webhook_id, owner) if claimed else None


def leases_claim(
    now: dt.datetime, lease: dt.timedelta, *, limit: int, exclude: Sequence[int] = ()
) -> list[Claim]:
    """Claim up to ``limit`` due webhooks (those in ``exclude`` are in flight here)."""
    due = webhooks_due(now).exclude(pk__in=list(exclude)).order_by("id")
    claims = (lease_claim(pk, lease) for pk in due.values_list("pk", flat=True)[:limit])
    return [claim for claim in claims if claim is not None]


def lease_hold(
    claim: Claim, lease: dt.timedelta, *, if_active: bool = False, **changes: Any
) -> bool:
    """Renew the claim's lease and make ``changes`` to its webhook if the claim still
    holds it; ``LeaseLost`` otherwise (nothing written). With ``if_active``, a paused
    webhook is left as it is and the answer is ``False``."""
    held = Webhook.objects.filter(pk=claim.webhook_id, lease_owner=claim.owner)
    renewed = (held.filter(active=True) if if_active else held).update(
        lease_until=timezone.now() + lease, **changes
    )
    if renewed:
        return True
    if if_active and held.exists():
        return False
    raise LeaseLost(claim.webhook_id)


def lease_release(claim: Claim) -> None:
    """Let go of the webhook: only its owner can (a lease taken over stays its new owner's)."""
    Webhook.objects.filter(pk=claim.webhook_id, lease_owner=claim.owner).update(
        lease_owner="", lease_until=None
    )


def events_pending(claim: Claim) -> tuple[Webhook, list[Pending]]:
    """The claimed webhook and its next events after the cursor, encoded."""
    webhook = Webhook.objects.filter(pk=claim.webhook_id, lease_owner=claim.owner).first()
    if webhook is None:
        raise LeaseLost(claim.webhook_id)
    if not webhook.active:
        return webhook, []  # paused since it was claimed
    events = BoardEvent.objects.filter(board_id=webhook.board_id, seq__gt=webhook.delivered_seq)
    return webhook, [
        Pending(event.seq, event.type, encode(event_message(event)).encode())
        for event in events.order_by("seq")[:BATCH]
    ]


def delivery_open(
    claim: Claim, event: Pending, now: dt.datetime, lease: dt.timedelta
) -> WebhookDelivery | None:
    """The log row of this attempt (made at the first), with the lease renewed for the
    POST; ``None`` while it is backing off (later events wait behind it) or paused."""
    with transaction.atomic():
        if not lease_hold(claim, lease, if_active=True):
            return None
        delivery, _ = WebhookDelivery.objects.get_or_create(
            webhook_id=claim.webhook_id,
            seq=event.seq,
            defaults={"event_type": event.type, "next_attempt_at": now},
        )
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return None
    return delivery


def attempt_record(
    claim: Claim,
    delivery: WebhookDelivery,
    outcome: Outcome,
    now: dt.datetime,
    lease: dt.timedelta,
) -> None:
    """Log the attempt and, on a 2xx, move the cursor past it: both or neither, and only
    while the claim holds the lease (``LeaseLost``: the new owner sends it again)."""
    attempts = delivery.attempts + 1  # the claim is the row's only writer
    with transaction.atomic():
        if outcome.error:
            lease_hold(claim, lease)
            log: dict[str, Any] = {
                "status": DeliveryStatus.FAILING,
                "next_attempt_at": now + backoff(attempts),
            }
        else:
            lease_hold(claim, lease, delivered_seq=delivery.seq)
            log = {
                "status": DeliveryStatus.DELIVERED,
                "next_attempt_at": None,
                "delivered_at": timezone.now(),
            }
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, response_code=outcome.code, error=outcome.error, **log
        )
    if outcome.error:
        logger.info("webhook %s seq %s failed: %s", claim.webhook_id, delivery.seq, outcome.error)


# --- The worker: one asyncio loop, each claimed webhook a task of its own ---


def headers_for(webhook: Webhook, event: Pending, delivery_id: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Funnelboard-Webhooks/1",
        SIGNATURE_HEADER: sign(webhook.secret, event.body),
        "X-Funnelboard-Event": event.type,
        "X-Funnelboard-Board": str(webhook.board_id),
        "X-Funnelboard-Seq": str(event.seq),
        "X-Funnelboard-Delivery": str(delivery_id),
    }


async def post(
    client: httpx.AsyncClient, webhook: Webhook, event: Pending, delivery_id: int, within: float
) -> Outcome:
    """One POST, bounded as a whole (httpx's timeouts bound each read, so a receiver
    trickling bytes could outlast them). The answer's body is never read."""
    try:
        async with asyncio.timeout(within):
            # Resolving may block: off the loop, so other deliveries go on meanwhile.
            target = await asyncio.to_thread(delivery_target, webhook.url)
            request = client.build_request(
                "POST",
                target.url,
                content=event.body,
                headers={**headers_for(webhook, event, delivery_id), **target.headers},
                extensions=target.extensions,
            )
            response = await client.send(request, stream=True)
            await response.aclose()
    except TimeoutError:
        return Outcome(error=f"Timeout: no answer within {within:g} s")
    except TargetRefused as exc:
        return Outcome(error=f"Refused: {exc}"[:500])
    except httpx.HTTPError as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
    code = response.status_code
    return Outcome(code=code, error="" if 200 <= code < 300 else f"HTTP {code}")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~0.15 s: once per process, not once per pass."""
    return httpx.create_ssl_context()


def client_for(limits: Limits, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        verify=tls_context(),
        timeout=httpx.Timeout(limits.timeout, connect=min(CONNECT_TIMEOUT, limits.timeout)),
        follow_redirects=False,
        # One request at a time per claim: the pool never makes a delivery wait.
        limits=httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=20),
        transport=transport,
    )


class Worker:
    """The deliveries of one worker process. ``now`` fixes the clock that backoff is
    judged by (tests); leases always use the real one."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        limits: Limits,
        *,
        now: dt.datetime | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.limits = limits
        self.now = now
        self.stopping = stopping or threading.Event()
        self.result = PassResult()
        self.in_flight: dict[int, asyncio.Task[None]] = {}

    def clock(self) -> dt.datetime:
        return self.now or timezone.now()

    async def claim_due(self) -> None:
        """Claim the due webhooks not in flight here, up to the free slots, and start
        delivering each; returns at once (never waits for a delivery)."""
        free = self.limits.concurrency - len(self.in_flight)
        if free <= 0 or self.stopping.is_set():
            return
        claims = await sync_to_async(leases_claim)(
            self.clock(), self.limits.lease, limit=free, exclude=list(self.in_flight)
        )
        for claim in claims:
            # The task runs from the next await on, so it is listed before it can end.
            self.in_flight[claim.webhook_id] = asyncio.create_task(self.deliver(claim))

    async def drain(self) -> None:
        """Wait for the claims in flight (each ends within its budget and one timeout)."""
        while self.in_flight:
            await asyncio.wait(list(self.in_flight.values()))

    async def deliver(self, claim: Claim) -> None:
        try:
            await self.deliver_claimed(claim, time.monotonic() + self.limits.budget)
        except LeaseLost:
            self.result.lost += 1
            logger.warning("webhook %s: lease lost (taken over, deleted)", claim.webhook_id)
        except Exception:
            # A database error or a bug: this claim ends, the worker and the others go on.
            logger.exception("webhook %s: delivery stopped", claim.webhook_id)
        try:
            await sync_to_async(lease_release)(claim)
        except Exception:
            logger.exception("webhook %s: not released (its lease runs out)", claim.webhook_id)
        finally:
            self.in_flight.pop(claim.webhook_id, None)

    async def deliver_claimed(self, claim: Claim, deadline: float) -> None:
        """Send the webhook's events in seq order until it is caught up, an attempt
        fails, the budget is spent or the worker stops (the POST under way finishes)."""
        lease = self.limits.lease
        while True:
            webhook, events = await sync_to_async(events_pending)(claim)
            if not events:
                return
            for event in events:
                if self.stopping.is_set() or time.monotonic() >= deadline:
                    return
                if webhook.events and event.type not in webhook.events:
                    await sync_to_async(lease_hold)(claim, lease, delivered_seq=event.seq)
                    self.result.skipped += 1
                    continue
                delivery = await sync_to_async(delivery_open)(claim, event, self.clock(), lease)
                if delivery is None:
                    return  # backing off (later events wait behind this one), or paused
                outcome = await post(self.client, webhook, event, delivery.pk, self.limits.timeout)
                await sync_to_async(attempt_record)(claim, delivery, outcome, self.clock(), lease)
                if outcome.error:
                    self.result.failed += 1
                    return
                self.result.delivered += 1


async def worker_pass(
    now: dt.datetime | None, transport: httpx.AsyncBaseTransport | None
) -> PassResult:
    limits = Limits.from_settings()
    async with client_for(limits, transport) as client:
        worker = Worker(client, limits, now=now)
        await worker.claim_due()
        await worker.drain()
        return worker.result


def webhooks_deliver_due(
    now: dt.datetime | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> PassResult:
    """One pass (``deliver_webhooks --once``, tests): claim the due webhooks (up to
    ``WEBHOOK_CONCURRENCY``), deliver them all at once, return when every claim ended.
    Safe beside other workers. Call it from synchronous code: the database steps run
    on the calling thread."""
    return async_to_sync(worker_pass)(now, transport)


async def worker_loop(
    interval: float,
    stopping: threading.Event,
    report: Callable[[PassResult], None],
    transport: httpx.AsyncBaseTransport | None,
) -> None:
    limits = Limits.from_settings()
    async with client_for(limits, transport) as client:
        worker = Worker(client, limits, stopping=stopping)
        while not stopping.is_set():
            try:
                # A broken or outlived connection (CONN_MAX_AGE) is dropped here, between
                # steps: each step is one call, so none is cut in half.
                await sync_to_async(close_old_connections)()
                await worker.claim_due()
            except Exception:
                # The database is away, say: the claims in flight go on, and so does this.
                logger.exception("webhook worker: looking for due webhooks failed")
            result, worker.result = worker.result, PassResult()
            report(result)
            await asyncio.sleep(interval)
        await worker.drain()
        report(worker.result)


def worker_run(
    *,
    interval: float,
    stopping: threading.Event,
    report: Callable[[PassResult], None] = lambda result: None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Deliver until ``stopping`` is set (from a signal handler, say): every ``interval``
    the webhooks that became due are claimed, whatever is still in flight. On stop no
    new delivery starts; those under way finish and their leases are released."""
    async_to_sync(worker_loop)(interval, stopping, report, transport)
