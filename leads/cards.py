"""The card: the compact form of a lead that the board draws and events carry."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery

from .models import Lead, LeadFeedback

# Columns read for a card; selectors use them with ``.values(*CARD_FIELDS)``.
CARD_FIELDS = (
    "id",
    "name",
    "company",
    "email",
    "title",
    "stage_id",
    "campaign_id",
    "owner_id",
    "score",
    "value",
    "position",
    "version",
    "stage_entered_at",
    "created_at",
)


def latest_verdict() -> Subquery:
    """For ``.annotate(verdict=...)`` on leads: sales' latest verdict on the lead
    (``accepted`` / ``rejected``), ``None`` while it has none."""
    return Subquery(
        LeadFeedback.objects.filter(lead_id=OuterRef("pk"))
        .order_by("-at", "-id")
        .values("verdict")[:1]
    )


def card_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row``: ``CARD_FIELDS`` and, where read, ``verdict`` (the handoff lane
    draws the leads in the first sales stage that have none)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "company": row["company"],
        "email": row["email"],
        "title": row["title"],
        "stage": row["stage_id"],
        "campaign": row["campaign_id"],
        "owner": row["owner_id"],
        "score": row["score"],
        "value": float(row["value"]),
        "position": row["position"],
        "version": row["version"],
        "stage_entered_at": row["stage_entered_at"],
        "created_at": row["created_at"],
        "verdict": row.get("verdict"),
    }


def card(lead: Lead) -> dict[str, Any]:
    """The card of one lead, with its verdict (one indexed query): events carry it,
    so a board knows whether a lead moving into the handoff stage waits there."""
    verdict = (
        LeadFeedback.objects.filter(lead_id=lead.pk)
        .order_by("-at", "-id")
        .values_list("verdict", flat=True)
        .first()
    )
    return card_from_row(
        {**{field: getattr(lead, field) for field in CARD_FIELDS}, "verdict": verdict}
    )
