"""A board's webhooks and their delivery log, for its owner and editors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from leads.errors import NotFound, PermissionDenied
from leads.models import (
    Board,
    Webhook,
    WebhookDelivery,
)
from leads.rules import may_edit
from leads.selectors.boards import board_get

DELIVERIES_LIMIT = 100


def board_for_editor(*, board_id: int, user: Any) -> Board:
    """The board, for its owner and editors (webhooks carry secrets and URLs)."""
    board = board_get(board_id=board_id, user=user)
    if not may_edit(getattr(board, "my_role", None)):
        raise PermissionDenied("Only the board's owner and editors can see its webhooks.")
    return board


def webhooks_list(*, board_id: int, user: Any) -> QuerySet[Webhook]:
    board = board_for_editor(board_id=board_id, user=user)
    return Webhook.objects.filter(board_id=board.pk).order_by("id")


def webhook_deliveries_list(
    *, board_id: int, user: Any, webhook_id: int, limit: int = DELIVERIES_LIMIT
) -> dict[str, Any]:
    """The webhook's cursor and its latest deliveries, newest first."""
    webhook = webhooks_list(board_id=board_id, user=user).filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound("Webhook not found.")
    deliveries = WebhookDelivery.objects.filter(webhook=webhook).order_by("-seq")[:limit]
    return {
        "webhook": webhook.pk,
        "delivered_seq": webhook.delivered_seq,
        "deliveries": list(
            deliveries.values(
                "id",
                "seq",
                "event_type",
                "status",
                "attempts",
                "response_code",
                "error",
                "next_attempt_at",
                "created_at",
                "delivered_at",
            )
        ),
    }
