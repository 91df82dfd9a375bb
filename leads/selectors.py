"""Every read that is more than a ``.get()``.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum

from .cards import CARD_FIELDS, card_from_row
from .errors import InvalidInput, NotFound
from .events import event_message
from .filters import LeadStateFilter
from .models import Board, BoardEvent, BoardMembership, Campaign, Lead, Stage, StageTransition

STATE_PER_STAGE = 50
STATE_PER_STAGE_MAX = 500
EVENTS_LIMIT = 500
EVENTS_LIMIT_MAX = 1000

STAGE_FIELDS = ("id", "name", "position", "kind", "team", "sla_days", "wip_limit", "color")
CAMPAIGN_FIELDS = ("id", "name", "channel", "color", "cost")


def boards_for_user(user: Any) -> QuerySet[Board]:
    return Board.objects.filter(memberships__user=user).order_by("name", "id")


def boards_with_role(user: Any) -> QuerySet[Board]:
    """The user's boards, each with ``my_role`` and ``my_team`` (the annotation
    reuses the membership join of the filter: one row per board)."""
    return boards_for_user(user).annotate(
        my_role=F("memberships__role"), my_team=F("memberships__team")
    )


def board_get(*, board_id: int, user: Any) -> Board:
    """One query: the board (with ``last_seq``) and the user's role and team."""
    board = boards_with_role(user).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def board_detail_get(*, board_id: int, user: Any) -> Board:
    """The board with ``my_role``, ``my_team`` and ``stage_list`` (ordered)."""
    ordered = Prefetch("stages", queryset=Stage.objects.order_by("position"), to_attr="stage_list")
    board = boards_with_role(user).prefetch_related(ordered).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def board_memberships_list(*, board_id: int, user: Any) -> QuerySet[BoardMembership]:
    board = board_get(board_id=board_id, user=user)
    return (
        BoardMembership.objects.filter(board_id=board.pk)
        .select_related("user")
        .order_by("user__username", "id")
    )


def user_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def board_member_user_get(*, board_id: int, user_id: int, field: str = "owner") -> Any:
    """A member of the board as a lead owner; anyone else is invalid input (and
    whether such a user exists is not told)."""
    membership = (
        BoardMembership.objects.filter(board_id=board_id, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise InvalidInput(f"User {user_id} is not a member of this board.", field=field)
    return membership.user


# Leads and campaigns


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


def lead_transitions_list(*, lead_id: int, user: Any) -> QuerySet[StageTransition]:
    lead = lead_get(lead_id=lead_id, user=user)
    return (
        StageTransition.objects.filter(lead_id=lead.pk).select_related("actor").order_by("at", "id")
    )


# The board's state


def cursor_encode(position: float, lead_id: int) -> str:
    text = f"{position!r}:{lead_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[float, int]:
    """``(position, id)`` of the last card already shown."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        position_text, id_text = text.split(":")
        position, lead_id = float(position_text), int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("Invalid cursor.", field="cursor") from None
    if not math.isfinite(position) or not 0 < lead_id < 2**63:
        raise InvalidInput("Invalid cursor.", field="cursor")
    return position, lead_id


def board_leads_filtered(*, board_id: int, filters: Mapping[str, Any] | None) -> QuerySet[Lead]:
    leads = Lead.objects.filter(board_id=board_id)
    filterset = LeadStateFilter(filters or {}, queryset=leads)
    if not filterset.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in filterset.errors.items()}
        field, messages = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {messages[0]}", extra=errors)
    return filterset.qs.order_by()


def stage_cards(
    leads: QuerySet[Lead], stage_id: int, *, per_stage: int, after: tuple[float, int] | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a stage's cards, by ``(position, id)``: one LIMITed query on
    the ``lead_stage_order`` index."""
    page = leads.filter(stage_id=stage_id)
    if after is not None:
        position, lead_id = after
        page = page.filter(Q(position__gt=position) | Q(position=position, id__gt=lead_id))
    rows = list(page.order_by("position", "id").values(*CARD_FIELDS)[: per_stage + 1])
    more = len(rows) > per_stage
    rows = rows[:per_stage]
    cursor = cursor_encode(rows[-1]["position"], rows[-1]["id"]) if more else None
    return [card_from_row(row) for row in rows], cursor


def campaign_figures(board_id: int, leads: QuerySet[Lead], stage_ids: list[int]) -> list[dict]:
    """Every campaign of the board with its (filtered) count and value, in total
    and per stage: one GROUP BY (campaign, stage)."""
    campaigns = list(
        Campaign.objects.filter(board_id=board_id).order_by("name", "id").values(*CAMPAIGN_FIELDS)
    )
    totals = (
        leads.filter(campaign_id__isnull=False)
        .values("campaign_id", "stage_id")
        .annotate(count=Count("id"), value=Sum("value"))
    )
    by_campaign: dict[int, dict[str, dict[str, Any]]] = {}
    for row in totals:
        by_campaign.setdefault(row["campaign_id"], {})[str(row["stage_id"])] = {
            "count": row["count"],
            "value": float(row["value"] or 0),
        }
    figures = []
    for campaign in campaigns:
        per_stage = by_campaign.get(campaign["id"], {})
        stages = {
            str(sid): per_stage.get(str(sid), {"count": 0, "value": 0.0}) for sid in stage_ids
        }
        figures.append(
            {
                **campaign,
                "cost": float(campaign["cost"]),
                "count": sum(s["count"] for s in per_stage.values()),
                "value": sum(s["value"] for s in per_stage.values()),
                "stages": stages,
            }
        )
    return figures


def board_people(board_id: int, owner_ids: set[int]) -> dict[str, dict[str, Any]]:
    """The board's members, and any other owner of a card shown."""
    people: dict[str, dict[str, Any]] = {}
    for membership in BoardMembership.objects.filter(board_id=board_id).select_related("user"):
        people[str(membership.user_id)] = person(membership.user, membership.team)
    missing = {pk for pk in owner_ids if str(pk) not in people}
    if missing:
        for user in get_user_model().objects.filter(pk__in=missing):
            people[str(user.pk)] = person(user, None)
    return people


def person(user: Any, team: str | None) -> dict[str, Any]:
    return {"id": user.pk, "username": user.get_username(), "name": user_name(user), "team": team}


def board_state_get(
    *,
    board_id: int,
    user: Any,
    filters: Mapping[str, Any] | None = None,
    per_stage: int = STATE_PER_STAGE,
    stage_id: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """What the board draws: stages with counts, values and the first cards,
    campaign figures and the people on the cards.

    ``seq`` is read before the data, so a client that applies the events after
    ``seq`` misses none (an event may already be in the data; applying it again
    is harmless since cards carry their version). With ``stage`` (and
    ``cursor``) only that stage's next page is answered.

    The number of queries depends on the number of stages, never on the number
    of leads.
    """
    board = board_get(board_id=board_id, user=user)
    if not 1 <= per_stage <= STATE_PER_STAGE_MAX:
        raise InvalidInput(f"per_stage must be 1 to {STATE_PER_STAGE_MAX}.", field="per_stage")
    after = cursor_decode(cursor) if cursor else None
    if after is not None and stage_id is None:
        raise InvalidInput("A cursor pages one stage: give its stage too.", field="stage")
    leads = board_leads_filtered(board_id=board.pk, filters=filters)

    stages = list(
        Stage.objects.filter(board_id=board.pk).order_by("position").values(*STAGE_FIELDS)
    )
    stage_ids = [stage["id"] for stage in stages]
    if stage_id is not None:
        stages = [stage for stage in stages if stage["id"] == stage_id]
        if not stages:
            raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field="stage")

    totals: dict[int, dict[str, Any]] = {
        row["stage_id"]: {"count": row["count"], "value": row["value"]}
        for row in leads.values("stage_id").annotate(count=Count("id"), value=Sum("value"))
    }
    owner_ids: set[int] = set()
    for stage in stages:
        total = totals.get(stage["id"], {})
        cards, next_cursor = stage_cards(leads, stage["id"], per_stage=per_stage, after=after)
        owner_ids.update(c["owner"] for c in cards if c["owner"] is not None)
        stage.update(
            count=total.get("count", 0),
            value=float(total.get("value") or 0),
            leads=cards,
            next=next_cursor,
        )
    return {
        "board": board,
        "seq": board.last_seq,
        "stages": stages,
        "campaigns": campaign_figures(board.pk, leads, stage_ids),
        "people": board_people(board.pk, owner_ids),
    }


def board_events_after(
    *, board_id: int, user: Any, after: int = 0, limit: int = EVENTS_LIMIT
) -> dict[str, Any]:
    """The board's events after ``after`` up to the ``seq`` read first, oldest first."""
    board = board_get(board_id=board_id, user=user)
    seq = board.last_seq
    events = list(
        BoardEvent.objects.filter(board_id=board.pk, seq__gt=after, seq__lte=seq).order_by("seq")[
            : limit + 1
        ]
    )
    return {
        "events": [event_message(event) for event in events[:limit]],
        "seq": seq,
        "has_more": len(events) > limit,
    }


# --- Frames for the funnel numbers (funnel.analytics works on these, never on models) ---


def stages_frame(board_id: int) -> pd.DataFrame:
    rows = Stage.objects.filter(board_id=board_id).values("id", "name", "position", "kind", "team")
    return pd.DataFrame.from_records(list(rows), columns=["id", "name", "position", "kind", "team"])


def campaigns_frame(board_id: int) -> pd.DataFrame:
    rows = Campaign.objects.filter(board_id=board_id).values_list("id", "name", "channel", "cost")
    frame = pd.DataFrame.from_records(list(rows), columns=["id", "name", "channel", "cost"])
    frame["cost"] = frame["cost"].astype("float64")
    return frame


def leads_frame(board_id: int, filters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The board's leads (after the board's filters): id, stage, campaign, created, value."""
    leads = board_leads_filtered(board_id=board_id, filters=filters)
    rows = leads.values_list("id", "stage_id", "campaign_id", "created_at", "value").iterator(
        chunk_size=20000
    )
    frame = pd.DataFrame.from_records(
        rows, columns=["id", "stage_id", "campaign_id", "created_at", "value"]
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["value"] = frame["value"].astype("float64")
    return frame


def transitions_frame(board_id: int, *, until: Any = None) -> pd.DataFrame:
    """Every transition of the board in order; ``undone`` marks an undone transition
    and its reversal (both are left out of the numbers). ``until``: only those at or
    before that moment, so an undo made later does not rewrite what stood then."""
    transitions = StageTransition.objects.filter(board_id=board_id)
    if until is not None:
        transitions = transitions.filter(at__lte=until)
        reverted = StageTransition.objects.filter(reverts_id=OuterRef("pk"), at__lte=until)
    else:
        reverted = StageTransition.objects.filter(reverts_id=OuterRef("pk"))
    rows = (
        transitions.annotate(undone=Q(reverts__isnull=False) | Exists(reverted))
        .order_by("at", "id")
        .values_list("id", "lead_id", "from_stage_id", "to_stage_id", "at", "undone")
        .iterator(chunk_size=50000)
    )
    frame = pd.DataFrame.from_records(
        rows, columns=["id", "lead_id", "from_stage_id", "to_stage_id", "at", "undone"]
    )
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["undone"] = frame["undone"].astype(bool)
    return frame
