"""Outgoing webhooks: every stored event of a board, POSTed as JSON, signed, in seq order.

The outbox and the delivery log are rows; a task queue only runs them (Django's
``django.tasks`` on the database backend of django-tasks-db, run by ``manage.py
worker``). A webhook's outbox is its board's event log after its cursor
(``Webhook.delivered_seq``); every attempt is a ``WebhookDelivery`` row.

- Enqueued on commit: when a transaction that stored events commits, one task
  (``webhook_deliver``) is enqueued per active webhook of the board
  (``webhooks_enqueue``, called from ``leads.events``), unless that webhook has a task
  waiting to start, which will read these events too; a board without webhooks costs
  one indexed query.
- A task drains its webhook's outbox: it sends the next event after the cursor and
  moves the cursor on only on a 2xx, then the next, until it is caught up, an attempt
  fails, or its budget (``WEBHOOK_TASK_BUDGET``) is spent (then it enqueues a task for
  the rest and lets the worker's thread go to others).
- A failed attempt (no answer within ``WEBHOOK_DELIVERY_TIMEOUT``, a non-2xx, a
  refused target) is logged with its next attempt time (5 s, 10 s, 20 s, ... capped
  at an hour; nothing is given up) and, in the same transaction, a task is enqueued
  to run then (``run_after``). Later events wait behind it: never one out of order.
- The worker sweeps (``webhooks_sweep``): at start and every ``WORKER_SWEEP_INTERVAL``
  it enqueues a task for each webhook behind its board and due, so the outbox is
  drained even if the task that had it died with its worker.

One deliverer per webhook. Several tasks of one webhook may run at once (one was
enqueued per event; two workers run them). Only the task holding the webhook's hold
(``leads.locks``: a PostgreSQL advisory lock on its connection, an flock beside the
SQLite file) reads the outbox, POSTs and moves the cursor; a task that finds the hold
taken ends at once. The holder, after letting go, looks once more: an event committed
while it held may have had its task turned away, and then it takes the hold again. So
no event waits for another, and no two tasks POST the same event.

Why a hold and not a row lock or a lease: a row lock lasts a transaction, and no
transaction may stay open across a POST (it would hold a connection, and on SQLite
every writer, for as long as the receiver takes); taken only around the short database
steps it would let two tasks read the same cursor and both POST the same event. A
lease ends by the clock: a worker that stalled past it (after the receiver took the
event, before the cursor moved) let another send the event again. A hold ends with its
holder: a stalled one keeps it, a dead one (process gone, connection gone) loses it at
once. No transaction is open during a POST; the database work around one is a few
short statements. The cursor moves only from the value its holder read (``UPDATE ...
WHERE delivered_seq = old``), so even a broken hold could not reorder or skip events.

Exactly once, in order, per receiver; the one duplicate left is a POST the receiver
accepted whose answer never reached the database (the worker died between the two).
It is sent again with the same ``webhook-id``, which receivers use to drop replays.

Signed as Standard Webhooks sign (https://www.standardwebhooks.com): ``webhook-id``
(``msg_<board>_<seq>``: the event's, the same at every attempt), ``webhook-timestamp``
(unix seconds of the attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``, keyed with the webhook's secret in its ``whsec_`` form
(``secret_standard``), so receivers verify with the existing libraries. The body is
the event exactly as the board's sockets get it (``leads.events.event_message``). The
old ``X-Funnelboard-Signature: sha256=<hex HMAC of the body>`` is still sent, with the
same key, while receivers move over (``WEBHOOK_LEGACY_SIGNATURE``).

Where a webhook may point is checked by ``leads.integrations.ssrf`` (SSRF guard), at
creation and again at every delivery; a refused delivery is a failed attempt with its
reason in the log, retried with backoff like any other.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import enum
import functools
import hashlib
import hmac
import logging
import secrets
import ssl
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.tasks import task
from django.utils import timezone

from leads.events.broadcast import encode, event_message
from leads.integrations.ssrf import TargetRefused, delivery_target
from leads.integrations.ssrf import (
    target_refusal as target_refusal,  # leads.services.imports uses it
)
from leads.locks import hold_take
from leads.models import BoardEvent, DeliveryStatus, Webhook, WebhookDelivery
from leads.worker import stop_requested, tasks_waiting

logger = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
LEGACY_SIGNATURE_HEADER = "X-Funnelboard-Signature"  # deprecated
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # a new secret's key; one given in whsec_ form holds 24 to 64
BACKOFF_BASE = dt.timedelta(seconds=5)
BACKOFF_CAP = dt.timedelta(hours=1)
CONNECT_TIMEOUT = 2.0
# Events read from the log at a time.
BATCH = 100


# --- Signing (Standard Webhooks) ---


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot sign, or ``None``. A ``whsec_`` secret is base64 of 24 to 64
    bytes; any other string is a key as it is (its UTF-8 bytes), as before."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return "A secret starting with whsec_ must be base64 after the prefix."
    if not 24 <= len(key) <= 64:
        return f"A whsec_ secret holds 24 to 64 bytes (this one holds {len(key)})."
    return None


def signing_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    return secret.encode()


def secret_standard(secret: str) -> str:
    """The secret as Standard Webhooks libraries take it (``whsec_<base64 of the key>``):
    itself when made here, derived for a webhook made with a plain secret."""
    return SECRET_PREFIX + base64.b64encode(signing_key(secret)).decode()


def message_id(board_id: int, seq: int) -> str:
    """The event's ``webhook-id``: stable across attempts, so a replay can be told."""
    return f"msg_{board_id}_{seq}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def legacy_sign(secret: str, body: bytes) -> str:
    """The deprecated ``X-Funnelboard-Signature``: hex HMAC-SHA256 of the body alone."""
    return "sha256=" + hmac.new(signing_key(secret), body, hashlib.sha256).hexdigest()


def legacy_signature_valid(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(legacy_sign(secret, body), header)


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s, ... up to an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass(frozen=True)
class Limits:
    """A task's bounds, from the ``WEBHOOK_*`` settings (see config/settings.py)."""

    timeout: float  # one POST, all told
    budget: float  # one task's deliveries

    @classmethod
    def from_settings(cls) -> Limits:
        limits = cls(
            timeout=float(settings.WEBHOOK_DELIVERY_TIMEOUT),
            budget=float(settings.WEBHOOK_TASK_BUDGET),
        )
        if limits.timeout <= 0 or limits.budget <= 0:
            raise ImproperlyConfigured(
                "WEBHOOK_DELIVERY_TIMEOUT and WEBHOOK_TASK_BUDGET must be positive."
            )
        return limits


class Ending(enum.StrEnum):
    """How a task ended (its return value names it)."""

    CAUGHT_UP = "caught up"
    BUSY = "busy"  # another task holds the webhook: it delivers
    FAILED = "failed"  # an attempt failed: a task is enqueued for its retry
    BACKING_OFF = "backing off"  # the next event's retry is not due yet (its task is)
    HANDED_ON = "handed on"  # budget spent or worker stopping: a task has the rest
    PAUSED = "paused"
    GONE = "gone"  # the webhook was deleted


@dataclass
class Tally:
    ending: Ending = Ending.CAUGHT_UP
    delivered: int = 0
    failed: int = 0
    skipped: int = 0  # events of types the webhook does not want

    @property
    def steps(self) -> int:
        return self.delivered + self.failed + self.skipped


@dataclass(frozen=True)
class Pending:
    """An event the webhook has not had yet, encoded as it is sent."""

    seq: int
    type: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What one POST came to: ``error`` empty on a 2xx."""

    code: int | None = None
    error: str = ""


class CursorMoved(Exception):
    """The cursor is not where this deliverer read it: nothing written (see the module
    docstring: with the hold this cannot happen, and if it did nothing is reordered)."""


# --- Enqueueing ---


def webhooks_due(now: dt.datetime) -> QuerySet[Webhook]:
    """Active webhooks behind their board and not backing off at ``now`` (their next
    delivery, if it failed, is due again)."""
    backing_off = WebhookDelivery.objects.filter(
        webhook=OuterRef("pk"), delivered_at__isnull=True, next_attempt_at__gt=now
    )
    return Webhook.objects.filter(active=True, delivered_seq__lt=F("board__last_seq")).exclude(
        Exists(backing_off)
    )


def webhooks_enqueue(*, board_id: int) -> int:
    """A task for each active webhook of the board (its events were just committed)."""
    active = Webhook.objects.filter(board_id=board_id, active=True).order_by()
    ids = list(active.values_list("pk", flat=True))
    tasks_enqueue(ids)
    return len(ids)


def tasks_enqueue(webhook_ids: list[int]) -> None:
    """A task for each webhook that has none waiting to start: a waiting task reads the
    outbox after it starts, so after this commit, and delivers these events too (a
    busy board's moves add one read, not a task per move per webhook). All in one
    transaction: one commit, not one per webhook."""
    if not webhook_ids:
        return
    waiting = tasks_waiting(webhook_deliver, webhook_ids)
    wanted = [webhook_id for webhook_id in webhook_ids if webhook_id not in waiting]
    if not wanted:
        return
    with transaction.atomic():
        for webhook_id in wanted:
            webhook_deliver.enqueue(webhook_id)


def webhooks_sweep() -> int:
    """A task for each webhook with due events: a worker's start and every
    ``WORKER_SWEEP_INTERVAL``. A webhook whose deliverer is alive gets a task that ends
    at once (busy); one whose task died with its worker gets delivered again."""
    ids = list(webhooks_due(timezone.now()).order_by().values_list("pk", flat=True))
    tasks_enqueue(ids)
    return len(ids)


# --- Database steps: synchronous, short, each one call from the task's loop ---


def webhook_due(webhook_id: int) -> bool:
    return webhooks_due(timezone.now()).filter(pk=webhook_id).exists()


def outbox_read(webhook_id: int) -> tuple[Webhook | None, list[Pending]]:
    """The webhook and its next events after the cursor, encoded (none if paused)."""
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None or not webhook.active:
        return webhook, []
    events = BoardEvent.objects.filter(board_id=webhook.board_id, seq__gt=webhook.delivered_seq)
    return webhook, [
        Pending(event.seq, event.type, encode(event_message(event)).encode())
        for event in events.order_by("seq")[:BATCH]
    ]


def cursor_move(webhook: Webhook, seq: int) -> None:
    """Move the cursor from where this deliverer read it to ``seq``; ``CursorMoved`` if
    it is not there any more (nothing written). Precondition: holds the webhook."""
    moved = Webhook.objects.filter(pk=webhook.pk, delivered_seq=webhook.delivered_seq).update(
        delivered_seq=seq
    )
    if not moved:
        raise CursorMoved(webhook.pk)


def cursor_skip(webhook: Webhook, seq: int) -> None:
    cursor_move(webhook, seq)
    webhook.delivered_seq = seq


def delivery_open(webhook: Webhook, event: Pending, now: dt.datetime) -> WebhookDelivery | Ending:
    """The log row of this attempt (made at the first); an ``Ending`` instead when the
    webhook was paused or deleted meanwhile, or this event is backing off (later
    events wait behind it)."""
    state = Webhook.objects.filter(pk=webhook.pk).values_list("active", flat=True).first()
    if state is None:
        return Ending.GONE
    if not state:
        return Ending.PAUSED
    delivery, _ = WebhookDelivery.objects.get_or_create(
        webhook_id=webhook.pk,
        seq=event.seq,
        defaults={"event_type": event.type, "next_attempt_at": now},
    )
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return Ending.BACKING_OFF
    return delivery


def attempt_record(
    webhook: Webhook, delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime
) -> None:
    """Log the attempt and, on a 2xx, move the cursor past it; on a failure, enqueue the
    retry for when it is due. Each all or nothing. Precondition: holds the webhook."""
    attempts = delivery.attempts + 1  # the holder is the row's only writer
    with transaction.atomic():
        if outcome.error:
            retry_at = now + backoff(attempts)
            log: dict[str, Any] = {"status": DeliveryStatus.FAILING, "next_attempt_at": retry_at}
            # In this transaction: the database backend's task row commits with the log.
            webhook_deliver.using(run_after=retry_at).enqueue(webhook.pk)
        else:
            cursor_move(webhook, delivery.seq)
            log = {
                "status": DeliveryStatus.DELIVERED,
                "next_attempt_at": None,
                "delivered_at": timezone.now(),
            }
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, response_code=outcome.code, error=outcome.error, **log
        )
    if outcome.error:
        logger.info("webhook %s seq %s failed: %s", webhook.pk, delivery.seq, outcome.error)
    else:
        webhook.delivered_seq = delivery.seq


# --- One POST ---


def headers_for(webhook: Webhook, event: Pending, delivery_id: int) -> dict[str, str]:
    msg_id = message_id(webhook.board_id, event.seq)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Funnelboard-Webhooks/2",
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(webhook.secret, msg_id, timestamp, event.body),
        "X-Funnelboard-Event": event.type,
        "X-Funnelboard-Board": str(webhook.board_id),
        "X-Funnelboard-Seq": str(event.seq),
        "X-Funnelboard-Delivery": str(delivery_id),
    }
    if settings.WEBHOOK_LEGACY_SIGNATURE:
        headers[LEGACY_SIGNATURE_HEADER] = legacy_sign(webhook.secret, event.body)
    return headers


async def post(
    client: httpx.AsyncClient, webhook: Webhook, event: Pending, delivery_id: int, within: float
) -> Outcome:
    """One POST, bounded as a whole (httpx's timeouts bound each read, so a receiver
    trickling bytes could outlast them). The answer's body is never read."""
    try:
        async with asyncio.timeout(within):
            # Resolving may block: off the loop, so the bound holds.
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
    """Loading the CA bundle takes ~0.15 s: once per process, not once per task."""
    return httpx.create_ssl_context()


def client_for(limits: Limits, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """One client per task: a backlog to one receiver reuses its connection."""
    return httpx.AsyncClient(
        verify=tls_context(),
        timeout=httpx.Timeout(limits.timeout, connect=min(CONNECT_TIMEOUT, limits.timeout)),
        follow_redirects=False,
        transport=transport,
    )


# --- The task ---


async def drain(
    client: httpx.AsyncClient, limits: Limits, webhook_id: int, deadline: float, tally: Tally
) -> Ending:
    """Send the webhook's events in seq order until it is caught up, an attempt fails,
    or (after one step at least) the budget is spent or the worker stops; the POST
    under way always finishes. Precondition: holds the webhook."""
    while True:
        webhook, events = await sync_to_async(outbox_read)(webhook_id)
        if webhook is None:
            return Ending.GONE
        if not webhook.active:
            return Ending.PAUSED
        if not events:
            return Ending.CAUGHT_UP
        for event in events:
            if tally.steps and (stop_requested() or time.monotonic() >= deadline):
                return Ending.HANDED_ON
            if webhook.events and event.type not in webhook.events:
                await sync_to_async(cursor_skip)(webhook, event.seq)
                tally.skipped += 1
                continue
            opened = await sync_to_async(delivery_open)(webhook, event, timezone.now())
            if isinstance(opened, Ending):
                return opened
            outcome = await post(client, webhook, event, opened.pk, limits.timeout)
            await sync_to_async(attempt_record)(webhook, opened, outcome, timezone.now())
            if outcome.error:
                tally.failed += 1
                return Ending.FAILED
            tally.delivered += 1


async def deliver(webhook_id: int, *, transport: httpx.AsyncBaseTransport | None = None) -> Tally:
    """What ``webhook_deliver`` does (``transport``: tests answer in process). The hold
    is taken and let go on the calling thread (``sync_to_async`` runs database steps
    there), whose connection carries it on PostgreSQL."""
    limits = Limits.from_settings()
    deadline = time.monotonic() + limits.budget
    tally = Tally()
    async with client_for(limits, transport) as client:
        while True:
            hold = await sync_to_async(hold_take)("webhook", webhook_id)
            if hold is None:
                tally.ending = Ending.BUSY if not tally.steps else Ending.CAUGHT_UP
                return tally
            try:
                tally.ending = await drain(client, limits, webhook_id, deadline, tally)
            finally:
                await sync_to_async(hold.release)()
            if tally.ending is Ending.CAUGHT_UP and await sync_to_async(webhook_due)(webhook_id):
                # An event came while this task held the webhook; its task was turned away.
                if not (stop_requested() or time.monotonic() >= deadline):
                    continue
                tally.ending = Ending.HANDED_ON
            if tally.ending is Ending.HANDED_ON:
                await sync_to_async(webhook_deliver.enqueue)(webhook_id)
            return tally


@task
async def webhook_deliver(webhook_id: int) -> dict[str, Any]:
    """Drain the webhook's outbox (see the module docstring); how it went, for the
    task's row."""
    return asdict(await deliver(webhook_id))
