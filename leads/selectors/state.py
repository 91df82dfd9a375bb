"""The board as it is now (``/state/``): paged columns, campaigns, people and the handoff lane.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from leads import rules
from leads.models import RejectionReason
from leads.selectors.boards import board_get
from leads.selectors.cards import CARD_FIELDS, awaiting_verdict, card_from_row, latest_verdict

from ..errors import InvalidInput
from ..events.payloads import CAMPAIGN_FIELDS, campaign_summary
from ..models import (
    BoardMembership,
    Campaign,
    Lead,
    Stage,
)
from ..ranks import rank_valid
from ..rules import display_name
from ..validation import MAX_ID
from .boards import STAGE_FIELDS
from .leads import board_leads_filtered

STATE_PER_STAGE = 50


STATE_PER_STAGE_MAX = 500


HANDOFF_LANE_MAX = 100  # waiting leads the state carries for the handoff lane


def cursor_encode(position: str, lead_id: int) -> str:
    text = f"{position}:{lead_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[str, int]:
    """``(position, id)`` of the last card already shown."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        position, id_text = text.split(":")
        lead_id = int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("Invalid cursor.", field="cursor") from None
    if not rank_valid(position) or not 0 < lead_id <= MAX_ID:
        raise InvalidInput("Invalid cursor.", field="cursor")
    return position, lead_id


def stage_cards(
    leads: QuerySet[Lead], stage_id: int, *, per_stage: int, after: tuple[str, int] | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a stage's cards, by ``(position, id)``: one LIMITed query on
    the ``lead_stage_order`` index."""
    page = leads.filter(stage_id=stage_id)
    if after is not None:
        position, lead_id = after
        page = page.filter(Q(position__gt=position) | Q(position=position, id__gt=lead_id))
    rows = list(
        page.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by("position", "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at")[: per_stage + 1]
    )
    more = len(rows) > per_stage
    rows = rows[:per_stage]
    cursor = cursor_encode(rows[-1]["position"], rows[-1]["id"]) if more else None
    return [card_from_row(row) for row in rows], cursor


def campaign_figures(board_id: int, leads: QuerySet[Lead], stage_ids: list[int]) -> list[dict]:
    """Every campaign of the board with its (filtered) count and value, in total
    and per stage: one GROUP BY (campaign, stage)."""
    # By name, code point by code point, then id, whatever the database's collation:
    # the order the board's reducer keeps (reducer.js compareCampaigns).
    campaigns = sorted(
        Campaign.objects.filter(board_id=board_id).values(*CAMPAIGN_FIELDS),
        key=lambda c: (c["name"], c["id"]),
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
                **campaign_summary(campaign).wire(),
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
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": display_name(user),
        "team": team,
    }


def handoff_lane(
    leads: QuerySet[Lead], stage: dict[str, Any] | None, *, limit: int = HANDOFF_LANE_MAX
) -> dict[str, Any] | None:
    """The handoff lane of the (filtered) ``leads``: those in the handoff stage that
    sales has not judged since they entered it, longest waiting first. Two queries."""
    if stage is None:
        return None
    waiting = leads.filter(stage_id=stage["id"]).filter(awaiting_verdict())
    rows = list(
        waiting.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by("stage_entered_at", "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at")[:limit]
    )
    count = len(rows) if len(rows) < limit else waiting.count()
    return {"stage": stage["id"], "count": count, "leads": [card_from_row(row) for row in rows]}


def overdue_count(stages: list[dict[str, Any]], now: datetime | None = None) -> dict[str, Count]:
    """``overdue`` per stage (for a GROUP BY stage): the leads past the stage's SLA
    (``rules.past_sla_since``), counted in the same query as the counts. Nothing
    when no stage has an SLA (every stage's ``overdue`` is 0 then)."""
    now = now or timezone.now()
    past = Q()
    for stage in stages:
        if stage["sla_days"] is not None:
            since = rules.past_sla_since(stage["sla_days"], now)
            past |= Q(stage_id=stage["id"], stage_entered_at__lte=since)
    return {"overdue": Count("id", filter=past)} if past else {}


def board_state_get(
    *,
    board_id: int,
    user: Any,
    filters: Mapping[str, Any] | None = None,
    per_stage: int = STATE_PER_STAGE,
    stage_id: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """What the board draws: stages with counts, values, ``overdue`` (leads past
    the stage's SLA, now) and the first cards, campaign figures and the people on
    the cards.

    ``seq`` is read before the data, so a client that applies the events after
    ``seq`` misses none (an event may already be in the data; applying it again
    is harmless since cards carry their version). With ``stage`` (and
    ``cursor``) only that stage's next page is answered; without, ``handoff``
    holds the handoff lane (``handoff_lane``; ``None`` on a board without a
    sales stage). Cards carry sales' latest ``verdict``.

    The number of queries depends on the number of stages, never on the number
    of leads.
    """
    board = board_get(board_id=board_id, user=user)
    if not 1 <= per_stage <= STATE_PER_STAGE_MAX:
        raise InvalidInput(f"per_stage must be 1 to {STATE_PER_STAGE_MAX}.", field="per_stage")
    after = cursor_decode(cursor) if cursor else None
    if after is not None and stage_id is None:
        raise InvalidInput("A cursor pages one stage: give its stage too.", field="stage")
    leads = board_leads_filtered(board_id=board.pk, filters=filters).filter(
        archived_at__isnull=True  # archived leads are off the board
    )

    stages = list(
        Stage.objects.filter(board_id=board.pk).order_by("position").values(*STAGE_FIELDS)
    )
    stage_ids = [stage["id"] for stage in stages]
    lane = handoff_lane(leads, rules.handoff_stage(stages)) if stage_id is None else None
    if stage_id is not None:
        stages = [stage for stage in stages if stage["id"] == stage_id]
        if not stages:
            raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field="stage")

    totals: dict[int, dict[str, Any]] = {
        row["stage_id"]: dict(row)
        for row in leads.values("stage_id").annotate(
            count=Count("id"), value=Sum("value"), **overdue_count(stages)
        )
    }
    owner_ids: set[int] = (
        {c["owner"] for c in lane["leads"] if c["owner"] is not None} if lane else set()
    )
    for stage in stages:
        total = totals.get(stage["id"], {})
        cards, next_cursor = stage_cards(leads, stage["id"], per_stage=per_stage, after=after)
        owner_ids.update(c["owner"] for c in cards if c["owner"] is not None)
        stage.update(
            count=total.get("count", 0),
            value=float(total.get("value") or 0),
            overdue=total.get("overdue", 0),
            leads=cards,
            next=next_cursor,
        )
    state = {
        "board": board,
        "seq": board.last_seq,
        "stages": stages,
        "campaigns": campaign_figures(board.pk, leads, stage_ids),
        "people": board_people(board.pk, owner_ids),
    }
    if stage_id is None:
        state["handoff"] = lane
    return state


HANDOFF_PAGE = 50
HANDOFF_PAGE_MAX = 200


def board_handoff_stage(board_id: int) -> Stage | None:
    """The board's handoff stage (``rules.handoff_stage``)."""
    return rules.handoff_stage(Stage.objects.filter(board_id=board_id).order_by("position"))


def handoff_list(
    *, board_id: int, user: Any, limit: int = HANDOFF_PAGE, offset: int = 0
) -> dict[str, Any]:
    """Leads waiting in the handoff stage for sales' verdict, longest waiting first."""
    board = board_get(board_id=board_id, user=user)
    stage = board_handoff_stage(board.pk)
    if stage is None:
        return {"stage": None, "count": 0, "leads": [], "next": None, "reasons": []}
    waiting: QuerySet[Lead] = Lead.objects.filter(
        board_id=board.pk, stage=stage, archived_at__isnull=True
    ).filter(awaiting_verdict())
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
