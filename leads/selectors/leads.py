"""Leads and campaigns, scoped to the user's boards, and a lead's history.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import (
    Count,
    QuerySet,
)

from ..errors import InvalidInput, NotFound
from ..filters import LeadStateFilter
from ..models import (
    BoardMembership,
    Campaign,
    Lead,
    StageTransition,
)


def leads_for_user(user: Any) -> QuerySet[Lead]:
    mine = BoardMembership.objects.filter(user=user).values("board_id")
    return Lead.objects.filter(board_id__in=mine).order_by(
        "board_id", "stage__position", "position", "id"
    )


def lead_get(*, lead_id: int, user: Any) -> Lead:
    lead = leads_for_user(user).filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("Lead not found.")
    return lead


def campaigns_for_user(user: Any) -> QuerySet[Campaign]:
    mine = BoardMembership.objects.filter(user=user).values("board_id")
    return Campaign.objects.filter(board_id__in=mine).order_by("board_id", "name", "id")


def campaign_get(*, campaign_id: int, user: Any) -> Campaign:
    campaign = campaigns_for_user(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def board_campaigns_list(*, board_id: int, user: Any) -> QuerySet[Campaign]:
    """The board's campaigns, archived ones too, by name, each with its ``lead_count``."""
    return (
        campaigns_for_user(user)
        .filter(board_id=board_id)
        .annotate(lead_count=Count("leads"))
        .order_by("name", "id")
    )


def lead_transitions_list(*, lead_id: int, user: Any) -> QuerySet[StageTransition]:
    lead = lead_get(lead_id=lead_id, user=user)
    return (
        StageTransition.objects.filter(lead_id=lead.pk).select_related("actor").order_by("at", "id")
    )


def filters_named(filters: Mapping[str, Any] | None) -> bool:
    """Whether ``filters`` name any of the board's filters (``LeadStateFilter``):
    without one there is nothing to validate or narrow (the other query
    parameters of ``/state/``, ``per_stage`` and the like, are not filters)."""
    return filters is not None and any(name in filters for name in LeadStateFilter.base_filters)


def board_leads_filtered(*, board_id: int, filters: Mapping[str, Any] | None) -> QuerySet[Lead]:
    leads = Lead.objects.filter(board_id=board_id)
    if not filters_named(filters):
        return leads.order_by()
    filterset = LeadStateFilter(filters or {}, queryset=leads)
    if not filterset.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in filterset.errors.items()}
        field, messages = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {messages[0]}", extra=errors)
    return filterset.qs.order_by()


def filters_active(filters: Mapping[str, Any] | None) -> bool:
    """Whether ``filters`` narrow the board's leads (any filter given a value)."""
    if not filters_named(filters):
        return False
    filterset = LeadStateFilter(filters or {}, queryset=Lead.objects.none())
    if not filterset.is_valid():
        return True  # board_leads_filtered answers the error
    return any(value not in (None, "", [], ()) for value in filterset.form.cleaned_data.values())
