"""Campaigns, and moving a campaign's leads as one batch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from leads.access import board_lock, leads_locked, membership_for_write, stage_of_board

from ..errors import InvalidInput, NotFound
from ..events import event_append, move_entry
from ..events.payloads import campaign_summary
from ..events.schema import CampaignCreatedPayload, CampaignMovedPayload
from ..models import Board, Campaign, Lead, StageTransition, TransitionSource
from ..validation import visible
from .ordering import ranks_on_top
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


@write_transaction
def campaign_create(
    *,
    board_id: int,
    actor: Any,
    name: str,
    channel: str = "",
    cost: Decimal | int | float = 0,
    starts_on: date | None = None,
    ends_on: date | None = None,
    color: str = "",
    external_id: str = "",
) -> Campaign:
    # The board lock makes the unique-name check and the colour count race-free.
    board = board_lock(board_id)
    membership = membership_for_write(board.pk, actor)
    name = name.strip()
    if not visible(name):
        raise InvalidInput("A campaign needs a name with a visible character.", field="name")
    if Campaign.objects.filter(board=board, name__iexact=name).exists():
        raise InvalidInput(f"This board already has a campaign named {name!r}.", field="name")
    if Decimal(str(cost)) < 0:
        raise InvalidInput("Cost cannot be negative.", field="cost")
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidInput("A campaign cannot end before it starts.", field="ends_on")
    count = Campaign.objects.filter(board=board).count()
    campaign = Campaign.objects.create(
        board=board,
        name=name,
        channel=channel,
        cost=Decimal(str(cost)),
        starts_on=starts_on,
        ends_on=ends_on,
        color=color or CAMPAIGN_COLORS[count % len(CAMPAIGN_COLORS)],
        external_id=external_id,
    )
    event_append(
        board_id=board.pk,
        payload=CampaignCreatedPayload(campaign=campaign_summary(campaign)),
        actor=actor,
        membership=membership,
    )
    return campaign


@write_transaction
def campaign_move(
    *, campaign_id: int, from_stage_id: int, to_stage_id: int, actor: Any
) -> CampaignMoveResult:
    """Move all of a campaign's leads in one stage to another: one batch, one event.

    The moved cards keep their order and land on top of the target stage.
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

    in_stage = Lead.objects.filter(board_id=board_id, campaign=campaign, stage=from_stage)
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
    Lead.objects.bulk_update(
        leads, ["stage", "position", "version", "stage_entered_at", "updated_at"], batch_size=1000
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
        ),
        actor=actor,
        membership=membership,
        at=now,
    )
    return CampaignMoveResult(moved=len(ids), batch=batch, seq=event.seq, event=event.message)
