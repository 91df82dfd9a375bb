"""Outgoing webhooks: every stored event of a board, POSTed as JSON, signed, in seq order.

Delivery is out of band: a worker (``manage.py deliver_webhooks``) calls
``webhooks_deliver_due`` in a loop; a move only stores its event, as before.
Each webhook has a cursor (``delivered_seq``): the worker sends the next event
after it and moves it on only on a 2xx, so a receiver that is down, slow or
answers 500 gets the same event again later (exponential backoff, capped) and
never one out of order. Nothing is given up: a failing delivery keeps
retrying at the cap until it succeeds or the webhook is deleted or deactivated.

The body is the event exactly as the board's sockets get it
(``leads.events.event_message``); ``X-Funnelboard-Signature: sha256=<hex>`` is
the HMAC-SHA256 of those bytes with the webhook's secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

import httpx
from django.db.models import F, Q
from django.utils import timezone

from .events import encode, event_message
from .models import BoardEvent, DeliveryStatus, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Funnelboard-Signature"
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
BACKOFF_BASE = dt.timedelta(seconds=5)
BACKOFF_CAP = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=2)
# Events one webhook gets per pass: one slow receiver cannot starve the others.
PER_PASS = 100


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header)


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s, ... up to an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass
class PassResult:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0  # events of types the webhook does not want


def webhooks_deliver_due(
    now: dt.datetime | None = None, *, client: httpx.Client | None = None
) -> PassResult:
    """One pass over the active webhooks: send what is due, in seq order. Safe to
    run in several workers (a webhook is leased to one at a time)."""
    now = now or timezone.now()
    result = PassResult()
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        behind = Webhook.objects.filter(active=True, delivered_seq__lt=F("board__last_seq"))
        for webhook_id in behind.order_by("id").values_list("id", flat=True):
            if not lease(webhook_id):
                continue
            try:
                webhook = Webhook.objects.get(pk=webhook_id)
                deliver_webhook(webhook, now, client, result)
            finally:
                Webhook.objects.filter(pk=webhook_id).update(lease_until=None)
    finally:
        if own_client:
            client.close()
    return result


def lease(webhook_id: int) -> bool:
    """Claim the webhook for this worker (a crashed worker's lease runs out)."""
    clock = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=clock)
    return bool(Webhook.objects.filter(free, pk=webhook_id).update(lease_until=clock + LEASE))


def deliver_webhook(
    webhook: Webhook, now: dt.datetime, client: httpx.Client, result: PassResult
) -> None:
    events = BoardEvent.objects.filter(board_id=webhook.board_id, seq__gt=webhook.delivered_seq)
    for event in events.order_by("seq")[:PER_PASS]:
        if webhook.events and event.type not in webhook.events:
            advance(webhook, event.seq)
            result.skipped += 1
            continue
        delivery, _ = WebhookDelivery.objects.get_or_create(
            webhook=webhook,
            seq=event.seq,
            defaults={"event_type": event.type, "next_attempt_at": now},
        )
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return  # backing off: later events wait behind this one
        if not attempt(webhook, event, delivery, client, now):
            result.failed += 1
            return
        advance(webhook, event.seq)
        result.delivered += 1


def advance(webhook: Webhook, seq: int) -> None:
    Webhook.objects.filter(pk=webhook.pk, delivered_seq__lt=seq).update(delivered_seq=seq)
    webhook.delivered_seq = seq


def attempt(
    webhook: Webhook,
    event: BoardEvent,
    delivery: WebhookDelivery,
    client: httpx.Client,
    now: dt.datetime,
) -> bool:
    body = encode(event_message(event)).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Funnelboard-Webhooks/1",
        SIGNATURE_HEADER: sign(webhook.secret, body),
        "X-Funnelboard-Event": event.type,
        "X-Funnelboard-Board": str(webhook.board_id),
        "X-Funnelboard-Seq": str(event.seq),
        "X-Funnelboard-Delivery": str(delivery.pk),
    }
    code: int | None = None
    error = ""
    try:
        response = client.post(webhook.url, content=body, headers=headers)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    attempts = delivery.attempts + 1
    done = timezone.now()
    if not error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            response_code=code,
            error="",
            next_attempt_at=None,
            delivered_at=done,
        )
        return True
    logger.info("webhook %s seq %s failed: %s", webhook.pk, event.seq, error)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILING,
        attempts=attempts,
        response_code=code,
        error=error,
        next_attempt_at=now + backoff(attempts),
    )
    return False
