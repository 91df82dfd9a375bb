"""Campaigns: created, edited, archived and restored, and a campaign's leads moved
as one batch.

A campaign's cost may be missing (``None``): not entered yet, as for the
campaigns an import creates. The numbers then leave its cost per SQL and per Won
unknown rather than zero. An archived campaign leaves the board's chips and
pickers; its leads and its numbers stay.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from leads.access import board_lock, leads_locked, membership_for_write, stage_of_board

from ..errors import InvalidInput, NotFound
from ..events import event_append, move_entry
from ..events.payloads import campaign_detail, campaign_summary
from ..events.schema import CampaignCreatedPayload, CampaignMovedPayload, CampaignUpdatedPayload
from ..models import Board, Campaign, Lead, StageTransition, TransitionSource
from ..validation import day_problem, text_problem, visible
from .ordering import ranks_on_top
from .reasons import lost_reason_for
from .tallies import tallies_around
from .tx import write_transaction

# One colour per campaign, stable: the n-th campaign of a board gets the n-th colour.
CAMPAIGN_COLORS = (
    "#6366f1",
    "#f59e0b",
    "#10b981",
    "#ef4444",
    "#06b6d4",
    "#8b5cf6",
    "#ec4899",
    "#84cc16",
    "#f97316",
    "#14b8a6",
    "#a855f7",
    "#eab308",
)


@dataclass(frozen=True)
class CampaignMoveResult:
    moved: int
    batch: uuid.UUID | None
    seq: int
    event: dict[str, Any] | None  # the stored event (None: nothing moved, nothing stored)


# What an editor may change (``campaign_update``); ``archived`` sets or clears ``archived_at``.
EDITABLE_FIELDS = ("name", "channel", "cost", "starts_on", "ends_on", "color", "external_id")
UPDATABLE_FIELDS = (*EDITABLE_FIELDS, "archived")
# The model's limits: cost is a DecimalField(max_digits=14, decimal_places=2).
NAME_MAX, CHANNEL_MAX, EXTERNAL_ID_MAX = 200, 60, 200
COST_LIMIT = Decimal(10) ** 12  # exclusive: at most 999,999,999,999.99
CENT = Decimal("0.01")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class CampaignUpdateResult:
    campaign: Campaign
    fields: list[str]  # what changed, as the event names them (empty: nothing did)
    event: dict[str, Any] | None  # the stored ``campaign.updated`` (None: nothing changed)


def cost_checked(value: Any) -> Decimal | None:
    """A cost as it is stored: ``None`` (missing) or a non-negative amount in cents."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput("Cost must be a number, or empty while it is not known.", field="cost")
    try:
        cost = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(
            "Cost must be a number, or empty while it is not known.", field="cost"
        ) from None
    if not cost.is_finite():
        raise InvalidInput("Cost must be a number, or empty while it is not known.", field="cost")
    if cost < 0:
        raise InvalidInput("Cost cannot be negative.", field="cost")
    if cost != cost.quantize(CENT):
        raise InvalidInput("Cost has at most 2 decimals (cents).", field="cost")
    if cost >= COST_LIMIT:
        raise InvalidInput("Cost is too large: at most 999,999,999,999.99.", field="cost")
    return cost.quantize(CENT)


def text_checked(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} must be text.", field=field)
    text = value.strip()
    problem = text_problem(text)
    if problem:
        raise InvalidInput(problem, field=field)
    if len(text) > limit:
        raise InvalidInput(f"At most {limit} characters.", field=field)
    return text


def day_checked(value: Any, field: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise InvalidInput("A day, as YYYY-MM-DD.", field=field)
    problem = day_problem(value)
    if problem:
        raise InvalidInput(problem, field=field)
    return value


def campaign_values_checked(
    board_id: int, values: Mapping[str, Any], *, campaign: Campaign | None = None
) -> dict[str, Any]:
    """``values`` (any of ``EDITABLE_FIELDS``) as they are stored, or the refusal
    that names the first field that is wrong. ``campaign``: the one being edited
    (its own name is no duplicate; its stored dates bound the new ones). Holds
    the board row lock (the unique name)."""
    checked: dict[str, Any] = {}
    if "name" in values:
        name = text_checked(values["name"], "name", NAME_MAX)
        if not visible(name):
            raise InvalidInput("A campaign needs a name with a visible character.", field="name")
        others = Campaign.objects.filter(board_id=board_id, name__iexact=name)
        if campaign is not None:
            others = others.exclude(pk=campaign.pk)
        if others.exists():
            raise InvalidInput(f"This board already has a campaign named {name!r}.", field="name")
        checked["name"] = name
    if "channel" in values:
        checked["channel"] = text_checked(values["channel"], "channel", CHANNEL_MAX)
    if "external_id" in values:
        checked["external_id"] = text_checked(values["external_id"], "external_id", EXTERNAL_ID_MAX)
    if "cost" in values:
        checked["cost"] = cost_checked(values["cost"])
    if "color" in values:
        color = values["color"]
        if not isinstance(color, str) or not COLOR.fullmatch(color):
            raise InvalidInput("A colour is written #rrggbb (such as #6366f1).", field="color")
        checked["color"] = color.lower()
    for field in ("starts_on", "ends_on"):
        if field in values:
            checked[field] = day_checked(values[field], field)
    starts_on = checked.get("starts_on", campaign.starts_on if campaign else None)
    ends_on = checked.get("ends_on", campaign.ends_on if campaign else None)
    if starts_on and ends_on and ends_on < starts_on:
        field = "ends_on" if "ends_on" in checked else "starts_on"
        raise InvalidInput("A campaign cannot end before it starts.", field=field)
    return checked


@write_transaction
def campaign_create(
    *,
    board_id: int,
    actor: Any,
    name: str,
    channel: str = "",
    cost: Decimal | int | float | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    color: str = "",
    external_id: str = "",
) -> Campaign:
    """A new campaign of the board. Without a cost it is "cost missing" until one is
    entered (``campaign_update``)."""
    # The board lock makes the unique-name check and the colour count race-free.
    board = board_lock(board_id)
    membership = membership_for_write(board.pk, actor)
    values = {
        "name": name,
        "channel": channel,
        "cost": cost,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "external_id": external_id,
    }
    if color:
        values["color"] = color
    checked = campaign_values_checked(board.pk, values)
    count = Campaign.objects.filter(board=board).count()
    checked.setdefault("color", CAMPAIGN_COLORS[count % len(CAMPAIGN_COLORS)])
    campaign = Campaign.objects.create(board=board, **checked)
    event_append(
        board_id=board.pk,
        payload=CampaignCreatedPayload(campaign=campaign_summary(campaign)),
        actor=actor,
        membership=membership,
    )
    return campaign


@write_transaction
def campaign_update(*, campaign_id: int, actor: Any, **fields: Any) -> CampaignUpdateResult:
    """Change any of ``UPDATABLE_FIELDS``; ``archived`` True archives the campaign
    (off the chips and pickers, its leads and numbers stay), False restores it.
    All or nothing: the first wrong field refuses the whole change. One
    ``campaign.updated`` event names the fields that changed; none when nothing did."""
    unknown = sorted(set(fields) - set(UPDATABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: unknown field; it cannot be changed here.", field=unknown[0]
        )
    try:
        board_id = Campaign.objects.values_list("board_id", flat=True).get(pk=int(campaign_id))
    except (Campaign.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Campaign not found.") from None
    # The board lock first, as campaign_create takes it: the unique name is race-free.
    board_lock(board_id)
    membership = membership_for_write(board_id, actor)
    campaign = Campaign.objects.get(pk=int(campaign_id))  # as it is under the lock
    archived = fields.pop("archived", None)
    if archived is not None and not isinstance(archived, bool):
        raise InvalidInput("archived is true or false.", field="archived")
    checked = campaign_values_checked(board_id, fields, campaign=campaign)
    changes = {name: value for name, value in checked.items() if getattr(campaign, name) != value}
    now = timezone.now()
    if archived is not None and archived != (campaign.archived_at is not None):
        changes["archived_at"] = now if archived else None
    if not changes:
        return CampaignUpdateResult(campaign=campaign, fields=[], event=None)
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=list(changes))
    names = sorted("archived" if name == "archived_at" else name for name in changes)
    event = event_append(
        board_id=board_id,
        payload=CampaignUpdatedPayload(campaign=campaign_detail(campaign), fields=names),
        actor=actor,
        membership=membership,
        at=now,
    )
    return CampaignUpdateResult(campaign=campaign, fields=names, event=event.message)


@write_transaction
def campaign_move(
    *, campaign_id: int, from_stage_id: int, to_stage_id: int, actor: Any, reason: str = ""
) -> CampaignMoveResult:
    """Move all of a campaign's leads in one stage to another: one batch, one event.

    The moved cards keep their order and land on top of the target stage. Into a
    lost stage, one lost ``reason`` for the whole batch (400 naming it otherwise).
    """
    try:
        campaign = Campaign.objects.get(pk=int(campaign_id))
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFound("Campaign not found.") from None
    board_id = campaign.board_id
    membership = membership_for_write(board_id, actor)
    from_stage = stage_of_board(board_id, from_stage_id, field="from_stage")
    to_stage = stage_of_board(board_id, to_stage_id, field="to_stage", lock=True)
    if from_stage.pk == to_stage.pk:
        raise InvalidInput("From and to are the same stage.", field="to_stage")
    lost_reason = lost_reason_for(board_id=board_id, stage=to_stage, reason=reason)

    in_stage = Lead.objects.filter(
        board_id=board_id, campaign=campaign, stage=from_stage, archived_at__isnull=True
    )
    locked = list(in_stage.values_list("id", flat=True))
    leads_locked(locked)
    # Re-read under the locks: only the leads still in the stage move, and their
    # versions stay what is read here.
    leads = list(
        in_stage.filter(pk__in=locked).order_by("position", "id").only("id", "position", "version")
    )
    if not leads:
        seq = Board.objects.values_list("last_seq", flat=True).get(pk=board_id)
        return CampaignMoveResult(moved=0, batch=None, seq=seq, event=None)
    ids = [lead.pk for lead in leads]
    left = {lead.pk: lead.position for lead in leads}
    now = timezone.now()
    ranks = ranks_on_top(to_stage, len(leads), exclude=ids)
    for lead, rank in zip(leads, ranks, strict=True):
        lead.stage, lead.position, lead.version = to_stage, rank, lead.version + 1
        lead.stage_entered_at = lead.updated_at = now
    with tallies_around(board_id, ids):
        Lead.objects.bulk_update(
            leads,
            ["stage", "position", "version", "stage_entered_at", "updated_at"],
            batch_size=1000,
        )
    batch = uuid.uuid4()
    StageTransition.objects.bulk_create(
        StageTransition(
            board_id=board_id,
            lead_id=lead_id,
            from_stage=from_stage,
            to_stage=to_stage,
            actor=actor,
            at=now,
            source=TransitionSource.CAMPAIGN,
            batch=batch,
            from_position=left[lead_id],
            reason=lost_reason,
        )
        for lead_id in ids
    )
    moved = (
        Lead.objects.filter(pk__in=ids)
        .order_by("position", "id")
        .only("id", "stage_id", "position", "version", "stage_entered_at")
    )
    event = event_append(
        board_id=board_id,
        payload=CampaignMovedPayload(
            campaign=campaign.pk,
            from_stage=from_stage.pk,
            to_stage=to_stage.pk,
            batch=batch,
            moves=[move_entry(lead, from_stage.pk) for lead in moved],
            reason=lost_reason,
        ),
        actor=actor,
        membership=membership,
        at=now,
    )
    return CampaignMoveResult(moved=len(ids), batch=batch, seq=event.seq, event=event.message)
