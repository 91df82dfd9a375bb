"""The data bridge's reads: lead quality per campaign and channel, the handoff lane,
webhooks and their delivery log. Scoped to the user's boards like ``selectors``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from . import rules
from .cards import CARD_FIELDS, awaiting_verdict, card_from_row, latest_verdict
from .errors import NotFound, PermissionDenied
from .models import (
    Board,
    Campaign,
    Lead,
    LeadFeedback,
    RejectionReason,
    Role,
    Stage,
    Webhook,
    WebhookDelivery,
)
from .selectors import board_get
from .verdicts import Tally

HANDOFF_PAGE = 50
HANDOFF_PAGE_MAX = 200
DELIVERIES_LIMIT = 100


def board_for_editor(*, board_id: int, user: Any) -> Board:
    """The board, for its owner and editors (webhooks carry secrets and URLs)."""
    board = board_get(board_id=board_id, user=user)
    if getattr(board, "my_role", None) not in (Role.OWNER, Role.EDITOR):
        raise PermissionDenied("Only the board's owner and editors can see its webhooks.")
    return board


def rejection_reasons_get(*, board_id: int, user: Any) -> list[str]:
    board = board_get(board_id=board_id, user=user)
    return RejectionReason.labels_of(board.pk)


def lead_quality_get(
    *, board_id: int, user: Any, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[str, Any]:
    """Per campaign and per channel: what sales said of the leads created in
    ``[start, end)``. Each lead counts once, with its latest feedback."""
    board = board_get(board_id=board_id, user=user)
    feedback = LeadFeedback.objects.filter(lead__board_id=board.pk)
    if start is not None:
        feedback = feedback.filter(lead__created_at__gte=start)
    if end is not None:
        feedback = feedback.filter(lead__created_at__lt=end)
    latest: dict[int, tuple[Any, ...]] = {}
    for row in (
        feedback.order_by("lead_id", "at", "id")
        .values_list(
            "lead_id", "verdict", "reason", "valuable_fields", "useless_fields", "lead__campaign_id"
        )
        .iterator(chunk_size=5000)
    ):
        latest[row[0]] = row
    campaigns = {
        pk: (name, channel)
        for pk, name, channel in Campaign.objects.filter(board_id=board.pk).values_list(
            "id", "name", "channel"
        )
    }
    by_campaign: dict[int | None, Tally] = {pk: Tally() for pk in campaigns}
    by_channel: dict[str, Tally] = {channel: Tally() for _, channel in campaigns.values()}
    total = Tally()
    for _, verdict, reason, valuable, useless, campaign_id in latest.values():
        channel = campaigns[campaign_id][1] if campaign_id in campaigns else ""
        for tally in (
            by_campaign.setdefault(campaign_id, Tally()),
            by_channel.setdefault(channel, Tally()),
            total,
        ):
            tally.add(verdict, reason, valuable, useless)
    return {
        "start": start,
        "end": end,
        "total": total.as_dict(),
        "campaigns": [
            {
                "id": pk,
                "name": campaigns[pk][0] if pk in campaigns else None,
                "channel": campaigns[pk][1] if pk in campaigns else "",
                **tally.as_dict(),
            }
            for pk, tally in sorted(
                by_campaign.items(), key=lambda item: (item[0] is None, item[0] or 0)
            )
        ],
        "channels": [
            {"channel": channel, **tally.as_dict()} for channel, tally in sorted(by_channel.items())
        ],
    }


def handoff_stage(board_id: int) -> Stage | None:
    """The board's handoff stage (``rules.handoff_stage``)."""
    return rules.handoff_stage(Stage.objects.filter(board_id=board_id).order_by("position"))


def handoff_list(
    *, board_id: int, user: Any, limit: int = HANDOFF_PAGE, offset: int = 0
) -> dict[str, Any]:
    """Leads waiting in the handoff stage for sales' verdict, longest waiting first."""
    board = board_get(board_id=board_id, user=user)
    stage = handoff_stage(board.pk)
    if stage is None:
        return {"stage": None, "count": 0, "leads": [], "next": None, "reasons": []}
    waiting: QuerySet[Lead] = Lead.objects.filter(board_id=board.pk, stage=stage).filter(
        awaiting_verdict()
    )
    count = waiting.count()
    rows = list(
        waiting.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by("stage_entered_at", "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at", "attributes")[offset : offset + limit]
    )
    leads = []
    for row in rows:
        attributes = row.pop("attributes") or {}
        leads.append(
            {
                **card_from_row(row),
                "attributes": attributes,
                "fields": [*rules.FEEDBACK_FIELDS, *attributes],
            }
        )
    return {
        "stage": {"id": stage.pk, "name": stage.name},
        "count": count,
        "leads": leads,
        "next": offset + limit if offset + limit < count else None,
        "reasons": RejectionReason.labels_of(board.pk),
    }


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
