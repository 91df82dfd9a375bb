"""A board's outgoing webhooks: created (their target checked), paused and
resumed, deleted. Delivery is ``leads.integrations.webhook_delivery``' task."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists

from leads.access import membership_for_write
from leads.integrations.webhook_delivery import (
    secret_new,
    secret_problem,
    target_refusal,
    webhook_deliver,
)

from ..errors import InvalidInput, NotFound
from ..events import STORED_TYPES
from ..models import Board, Webhook
from .tx import write_transaction


def webhook_create(
    *, board_id: int, actor: Any, url: str, secret: str = "", events: list[str] | None = None
) -> Webhook:
    """A webhook delivers the events stored from now on (its cursor starts at the
    board's last seq). No secret given: one is made in the ``whsec_`` form of
    Standard Webhooks (returned once, on creation); a given one is a ``whsec_`` secret
    or any other string, whose UTF-8 bytes are then the key (``integrations.webhook_delivery``).

    The URL must be http(s), without credentials, and (unless
    ``WEBHOOK_ALLOW_PRIVATE``) not resolve to an internal address: checked before
    the transaction, since resolving the host may take a while."""
    membership_for_write(board_id, actor)
    refusal = target_refusal(url)
    if refusal is not None:
        raise InvalidInput(refusal, field="url")
    problem = secret_problem(secret)
    if problem is not None:
        raise InvalidInput(problem, field="secret")
    return webhook_insert(board_id=board_id, actor=actor, url=url, secret=secret, events=events)


@write_transaction
def webhook_insert(
    *, board_id: int, actor: Any, url: str, secret: str, events: list[str] | None
) -> Webhook:
    """Precondition: ``url`` passed ``target_refusal`` (``webhook_create`` checks it)."""
    membership_for_write(board_id, actor)
    unknown = sorted(set(events or []) - set(STORED_TYPES))
    if unknown:
        raise InvalidInput(
            f"Unknown event types {', '.join(unknown)}; known: {', '.join(STORED_TYPES)}.",
            field="events",
        )
    last_seq = Board.objects.filter(pk=board_id).values_list("last_seq", flat=True)[0]
    Board.objects.filter(pk=board_id, has_webhooks=False).update(has_webhooks=True)
    return Webhook.objects.create(
        board_id=board_id,
        url=url,
        secret=secret or secret_new(),
        events=sorted(set(events or [])),
        created_by=actor,
        delivered_seq=last_seq,
    )


@write_transaction
def webhook_delete(*, board_id: int, actor: Any, webhook_id: int) -> None:
    membership_for_write(board_id, actor)
    deleted, _ = Webhook.objects.filter(pk=webhook_id, board_id=board_id).delete()
    if not deleted:
        raise NotFound("Webhook not found.")
    Board.objects.filter(pk=board_id).update(
        has_webhooks=Exists(Webhook.objects.filter(board_id=board_id))
    )


@write_transaction
def webhook_set_active(*, board_id: int, actor: Any, webhook_id: int, active: bool) -> Webhook:
    """Pause (``active=False``) or resume a webhook of the board (owner and editors).

    A paused webhook keeps its cursor (``delivered_seq``): resumed, it delivers
    the events stored meanwhile, in seq order, so the receiver misses none. A
    delivery that was failing is retried at once on resume.
    """
    membership_for_write(board_id, actor)
    webhook = (
        Webhook.objects.select_for_update(no_key=True)
        .filter(pk=webhook_id, board_id=board_id)
        .first()
    )
    if webhook is None:
        raise NotFound("Webhook not found.")
    if webhook.active != active:
        webhook.active = active
        webhook.save(update_fields=["active"])
        if active:
            webhook.deliveries.filter(delivered_at__isnull=True).update(next_attempt_at=None)
            transaction.on_commit(partial(webhook_deliver.enqueue, webhook.pk), robust=True)
    return webhook
