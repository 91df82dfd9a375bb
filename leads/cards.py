"""The card: the compact form of a lead that the board draws and events carry."""

from __future__ import annotations

from typing import Any

from .models import Lead

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


def card_from_row(row: dict[str, Any]) -> dict[str, Any]:
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
    }


def card(lead: Lead) -> dict[str, Any]:
    return card_from_row({field: getattr(lead, field) for field in CARD_FIELDS})
