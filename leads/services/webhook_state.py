"""Switching a webhook off and on (the board's settings page).

Kept apart from ``leads.services.bridge`` (create, delete, URL checks): this
write touches only the ``active`` flag.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from leads.access import membership_for_write

from ..errors import NotFound
from ..models import Webhook
from ..webhooks import webhook_deliver
from .tx import write_transaction


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
