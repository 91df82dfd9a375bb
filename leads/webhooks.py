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

Where a webhook may point (SSRF guard): http(s) only, no credentials in the URL,
and, unless ``settings.WEBHOOK_ALLOW_PRIVATE``, no host that resolves to a
loopback, private, link-local, multicast, reserved or otherwise non-public
address. Checked when the webhook is made, and again at every delivery: the host
is resolved, every address checked, and the request sent to the checked address
(Host header and TLS name unchanged), so a DNS answer that changes later cannot
point a delivery inside. A refused delivery is a failed attempt with its reason
in the log, retried with backoff like any other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings
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


class TargetRefused(Exception):
    """The webhook's URL may not be delivered to (the message says why)."""


class TargetUnresolved(TargetRefused):
    """The host does not resolve (now, from here)."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def target_check(url: str) -> httpx.URL:
    """The parsed URL, or ``TargetRefused``: http(s) with a host, no credentials.
    Parsed as the delivering client parses it, so both read the same host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise TargetRefused("The URL is not a valid URL.") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise TargetRefused("The URL must be http:// or https://.")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise TargetRefused("The URL's port must be 1 to 65535.")
    if parsed.userinfo:
        raise TargetRefused(
            "The URL must not carry credentials (user:password@); "
            "the receiver checks the signature made with the webhook's secret."
        )
    return parsed


def target_refusal(url: str) -> str | None:
    """Why a webhook may not be made for ``url``, or ``None``. A host that does not
    resolve from here now is let through: every delivery checks it again."""
    try:
        parsed = target_check(url)
        if not settings.WEBHOOK_ALLOW_PRIVATE:
            public_addresses(parsed)
    except TargetUnresolved:
        return None
    except TargetRefused as refused:
        return str(refused)
    return None


def public_addresses(parsed: httpx.URL) -> list[IPAddress]:
    """The host's addresses (resolved now); ``TargetRefused`` when it does not
    resolve or when any of them is not public."""
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, OverflowError) as error:
        raise TargetUnresolved(f"{host} does not resolve: {error}") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        kind = internal_kind(address)
        if kind is not None:
            raise TargetRefused(
                f"{host} resolves to {address}, a {kind} address: webhooks may not target "
                "internal addresses (set WEBHOOK_ALLOW_PRIVATE to allow them)."
            )
    if not addresses:
        raise TargetUnresolved(f"{host} does not resolve.")
    return addresses


def internal_kind(address: IPAddress) -> str | None:
    """What makes the address internal (``None``: public)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return internal_kind(embedded)
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


@dataclass
class Target:
    """Where one delivery goes: the URL to POST to, and what keeps the host's name."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def delivery_target(url: str) -> Target:
    """The checked target of one delivery (``TargetRefused`` otherwise). With private
    targets refused, the request goes to the address just checked: the Host header
    and the TLS server name (SNI, certificate check) keep the URL's host, and the
    connection is not kept for another host that shares the address."""
    parsed = target_check(url)
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return Target(url=url)
    address = public_addresses(parsed)[0]
    host = parsed.raw_host.decode("ascii")
    target = Target(
        url=str(parsed.copy_with(host=str(address))),
        headers={"Host": parsed.netloc.decode("ascii"), "Connection": "close"},
    )
    if parsed.scheme == "https":
        target.extensions["sni_hostname"] = host
    return target


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
        target = delivery_target(webhook.url)
        response = client.post(
            target.url,
            content=body,
            headers={**headers, **target.headers},
            extensions=target.extensions,
        )
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except TargetRefused as exc:
        error = f"Refused: {exc}"[:500]
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
