"""The card: the compact form of a lead that the board draws and events carry."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, Subquery
from pydantic import TypeAdapter

from leads.events.schema import Card
from leads.models import Lead, LeadFeedback
from leads.models.lead import AWAITING_VERDICT

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


def latest_verdict(field: str = "verdict") -> Subquery:
    """For ``.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))``
    on leads: sales' latest verdict on the lead (``accepted`` / ``rejected``) and
    when it was given, ``None`` while it has none."""
    return Subquery(
        LeadFeedback.objects.filter(lead_id=OuterRef("pk")).order_by("-at", "-id").values(field)[:1]
    )


def awaiting_verdict() -> Q:
    """For ``.filter(...)`` on the leads of the handoff stage: those sales has not
    judged since they (last) entered it (``Lead.last_verdict_at``, kept by
    ``lead_feedback_record``; the partial index ``lead_awaiting_verdict``). A lead
    rejected, sent back and handed over again waits again."""
    return AWAITING_VERDICT


def card_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The ``Card`` fields of ``row``: ``CARD_FIELDS`` and, where read, ``verdict``
    and ``verdict_at`` (the handoff lane draws the leads in the first sales stage
    that sales has not judged since they entered it)."""
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
        "verdict_at": row.get("verdict_at"),
    }


def card_of_row(row: dict[str, Any]) -> Card:
    """The ``Card`` of a row (``card_fields``)."""
    return Card(**card_fields(row))


CARDS = TypeAdapter(list[Card])


def cards_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The wire form of many ``card_of_row`` at once, what ``/state/`` answers:
    validated and dumped by pydantic in one call each, not card by card."""
    return CARDS.dump_python(CARDS.validate_python([card_fields(row) for row in rows]), mode="json")


def card_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """The wire form of ``card_of_row``."""
    return card_of_row(row).wire()


def card_model(lead: Lead) -> Card:
    """The card of one lead, with its verdict (one indexed query): events carry it,
    so a board knows whether a lead moving into the handoff stage waits there."""
    verdict, verdict_at = (
        LeadFeedback.objects.filter(lead_id=lead.pk)
        .order_by("-at", "-id")
        .values_list("verdict", "at")
        .first()
    ) or (None, None)
    return card_of_row(
        {
            **{field: getattr(lead, field) for field in CARD_FIELDS},
            "verdict": verdict,
            "verdict_at": verdict_at,
        }
    )


def card(lead: Lead) -> dict[str, Any]:
    """``card_model`` in its wire form (REST answers)."""
    return card_model(lead).wire()
