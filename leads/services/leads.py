"""Writes to one lead: create, update, move, feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import F
from django.utils import timezone

from leads.access import (
    campaign_of_board,
    lead_for_write,
    lead_locked,
    lead_writable,
    membership_for_write,
    stage_of_board,
)
from leads.selectors.cards import card, card_model

from ..errors import Conflict, InvalidInput
from ..events import event_append, move_entry
from ..events.schema import (
    LeadCreatedPayload,
    LeadMovedPayload,
    LeadUpdatedPayload,
)
from ..models import (
    Lead,
    LeadChange,
    Stage,
    StageKind,
    StageTransition,
    TransitionSource,
)
from ..validation import attributes_problem, name_problem
from .notifications import notify_assigned
from .ordering import rank_at, rank_next_to
from .reasons import lost_reason_for
from .tallies import tallies_shift, tally_of
from .tx import write_transaction

# Fields a lead_update may change; the stage changes only through a move.
UPDATABLE_FIELDS = (
    "name",
    "email",
    "company",
    "title",
    "source",
    "owner",
    "score",
    "value",
    "attributes",
    "campaign",
    "external_id",
    "crm_id",
)


@dataclass(frozen=True)
class MoveResult:
    lead: Lead
    transition: StageTransition | None
    seq: int
    event: dict[str, Any]  # the stored event, as every client receives it

    @property
    def card(self) -> dict[str, Any]:
        """The lead's card as the event carries it (read once, in the move)."""
        card: dict[str, Any] = self.event["lead"]
        return card


def neighbour_check(
    lead: Lead, stage: Stage, *, after: int | None, before: int | None, position: int | None
) -> None:
    """``after``/``before`` names a lead of this board: 400 otherwise. One of another
    stage is a 400 too, unless ``position`` says where else to go (the neighbour may
    just have been moved away by someone else)."""
    field, neighbour = ("after", after) if after is not None else ("before", before)
    if neighbour is None:
        return
    if neighbour == lead.pk:
        raise InvalidInput("A card cannot be placed next to itself.", field=field)
    where = (
        Lead.objects.filter(pk=neighbour, board_id=lead.board_id)
        .values_list("stage_id", flat=True)
        .first()
    )
    if where is None:
        raise InvalidInput(f"Lead {neighbour} is not a lead of this board.", field=field)
    if where != stage.pk and position is None:
        raise InvalidInput(
            f"Lead {neighbour} is not in {stage.name}; give a position to place the card "
            "when its neighbour has moved away.",
            field=field,
        )


def stale(lead: Lead) -> Conflict:
    """409 with the lead as it is now (re-read: a racing writer may just have committed)."""
    lead = Lead.objects.filter(pk=lead.pk).first() or lead
    return Conflict(
        "This lead was changed by someone else; reload it and try again.",
        extra={"lead": card(lead)},
    )


def first_stage(board_id: int) -> Stage:
    stage = Stage.objects.filter(board_id=board_id).order_by("position").first()
    if stage is None:
        raise InvalidInput("The board has no stages.", field="stage")
    return stage


def check_fields(fields: dict[str, Any]) -> None:
    """What the API's serializers check too, held here for every other caller
    (import, upsert, commands): a visible name, attributes within the limits."""
    if "name" in fields:
        problem = name_problem(str(fields["name"]))
        if problem:
            raise InvalidInput(problem, field="name")
    if "attributes" in fields:
        problem = attributes_problem(fields["attributes"] or {})
        if problem:
            raise InvalidInput(problem, field="attributes")
    check_numbers(fields)


def check_numbers(fields: dict[str, Any]) -> None:
    try:
        score = fields.get("score")
        if score is not None and not 0 <= int(score) <= 100:
            raise InvalidInput("Score must be between 0 and 100.", field="score")
        value = fields.get("value")
        if value is not None and Decimal(str(value)) < 0:
            raise InvalidInput("Value cannot be negative.", field="value")
    except (TypeError, ValueError, ArithmeticError):
        raise InvalidInput("Score and value must be numbers.") from None


@write_transaction
def lead_create(
    *,
    board_id: int,
    actor: Any,
    name: str,
    stage_id: int | None = None,
    campaign_id: int | None = None,
    email: str = "",
    company: str = "",
    title: str = "",
    source: str = "",
    owner: Any = None,
    score: int = 0,
    value: Decimal | int | float = 0,
    attributes: dict[str, Any] | None = None,
    external_id: str = "",
    crm_id: str = "",
    transition_source: str = TransitionSource.CREATE,
    reason: str = "",
) -> Lead:
    """A new lead on top of ``stage_id`` (default the first stage). Created in a
    lost stage, it stores ``reason`` (one of the board's lost reasons) or, given
    none, the system's "Imported"."""
    membership = membership_for_write(board_id, actor)
    stage = stage_of_board(
        board_id, stage_id if stage_id is not None else first_stage(board_id).pk, lock=True
    )
    campaign = campaign_of_board(board_id, campaign_id) if campaign_id is not None else None
    check_fields({"name": name, "attributes": attributes, "score": score, "value": value})
    lost_reason = lost_reason_for(board_id=board_id, stage=stage, reason=reason, system=not reason)
    now = timezone.now()
    lead = Lead.objects.create(
        board_id=board_id,
        stage=stage,
        campaign=campaign,
        name=name,
        email=email,
        company=company,
        title=title,
        source=source,
        owner=owner,
        score=score,
        value=Decimal(str(value)),
        attributes=attributes or {},
        external_id=external_id,
        crm_id=crm_id,
        position=rank_at(stage, 0, exclude=[]),
        stage_entered_at=now,
        created_at=now,
    )
    tallies_shift(board_id, [(stage.pk, lead.campaign_id, 1, lead.value, now)])
    transition = StageTransition.objects.create(
        board_id=board_id,
        lead=lead,
        from_stage=None,
        to_stage=stage,
        actor=actor,
        at=now,
        source=transition_source,
        reason=lost_reason,
    )
    event_append(
        board_id=board_id,
        payload=LeadCreatedPayload(lead=card_model(lead), transition=transition.pk),
        actor=actor,
        membership=membership,
        at=now,
    )
    notify_assigned(lead=lead, actor=actor)
    return lead


def field_attr(field: str) -> str:
    """The model attribute holding a field's stored value (ids for the relations)."""
    return f"{field}_id" if field in ("owner", "campaign") else field


def json_safe(value: Any) -> Any:
    """A field's value as a ``LeadChange`` keeps it: decimals as strings
    (``"250.00"``), owner and campaign as ids, the rest as they are."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


@write_transaction
def lead_update(*, lead_id: int, actor: Any, version: int | None = None, **fields: Any) -> Lead:
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"Cannot update {', '.join(sorted(unknown))} here.", field=sorted(unknown)[0]
        )
    lead = lead_for_write(lead_id)
    membership = membership_for_write(lead.board_id, actor)
    if version is None:  # no version: whatever changed meanwhile is no conflict
        lead = lead_locked(lead.pk)
    expected = lead.version if version is None else version
    if lead.version != expected:
        raise stale(lead)
    if "campaign" in fields and fields["campaign"] is not None:
        campaign = fields["campaign"]
        fields["campaign"] = campaign_of_board(lead.board_id, getattr(campaign, "pk", campaign))
    check_fields(fields)
    owner_before = lead.owner_id  # a new owner is told (leads.services.notifications)
    if not fields:
        return lead
    # The conditional update locks the row; a writer that got there first makes it match nothing.
    updated = Lead.objects.filter(pk=lead.pk, version=expected).update(
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        raise stale(lead)
    before = {field: json_safe(getattr(lead, field_attr(field))) for field in fields}
    tallied = (*tally_of(lead), -1, -lead.value, lead.stage_entered_at)
    lead.refresh_from_db()
    tallies_shift(lead.board_id, [tallied, (*tally_of(lead), 1, lead.value, lead.stage_entered_at)])
    changed = {
        field: [before[field], after]
        for field in sorted(fields)
        if (after := json_safe(getattr(lead, field_attr(field)))) != before[field]
    }
    if changed:
        LeadChange.objects.create(lead=lead, actor=actor, at=lead.updated_at, changes=changed)
    event_append(
        board_id=lead.board_id,
        payload=LeadUpdatedPayload(lead=card_model(lead), fields=sorted(fields)),
        actor=actor,
        membership=membership,
        at=lead.updated_at,
    )
    if lead.owner_id != owner_before:
        notify_assigned(lead=lead, actor=actor)
    return lead


@write_transaction
def lead_move(
    *,
    lead_id: int,
    to_stage_id: int,
    actor: Any,
    position: int | None = None,
    version: int | None = None,
    source: str = TransitionSource.DRAG,
    note: str = "",
    after: int | None = None,
    before: int | None = None,
    reason: str = "",
    system: bool = False,
) -> MoveResult:
    r"""Move a lead to a stage, at ``position`` (index in the stage, 0 = top; default top),
    or right ``after`` / ``before`` another lead of that stage (what a filtered board
    sees: its indexes skip hidden cards); if that lead has left the stage meanwhile,
    ``position`` decides.

    A move inside the same stage reorders the card and writes no transition.
    Two moves of one lead with one ``version``: the first to update wins, the other
    gets 409 (the conditional update matches no row once the version moved on).

    Entering a lost stage needs one of the board's lost ``reason``\s (400 naming
    ``reason`` otherwise; ``leads.services.reasons.lost_reason_for``); ``system``
    paths with no person to ask store "Imported" when given none, and keep a
    reason given as it is (a rejection's reason, an undone transition's).
    """
    lead = lead_for_write(lead_id)
    membership = membership_for_write(lead.board_id, actor)
    to_stage = stage_of_board(lead.board_id, to_stage_id, field="to_stage", lock=True)
    if version is not None and lead.version != version:
        raise stale(lead)
    move = partial(
        lead_move_once,
        to_stage=to_stage,
        position=position,
        after=after,
        before=before,
        reason=reason,
        system=system,
    )
    # The conditional update on the version read locks the lead. Without a ``version``
    # a write to the lead meanwhile is no conflict: lock it, read it again and place
    # it as it is then (the stage stays locked, so its order has not changed).
    entered = lead.stage_entered_at  # the move sets it on ``lead``
    placed = move(lead, expected=lead.version)
    if placed is None and version is None:
        lead = lead_writable(lead_locked(lead.pk))
        entered = lead.stage_entered_at
        placed = move(lead, expected=lead.version)
    if placed is None:
        raise stale(lead)
    from_stage_id, from_position, lost_reason, now = placed

    changes_stage = to_stage.pk != from_stage_id
    if changes_stage:
        out = (from_stage_id, lead.campaign_id, -1, -lead.value, entered)
        into = (to_stage.pk, lead.campaign_id, 1, lead.value, now)
        tallies_shift(lead.board_id, [out, into])

    transition = None
    if changes_stage:
        transition = StageTransition.objects.create(
            board_id=lead.board_id,
            lead=lead,
            from_stage_id=from_stage_id,
            to_stage=to_stage,
            actor=actor,
            at=now,
            source=source,
            note=note,
            from_position=from_position,
            reason=lost_reason,
        )
    event = event_append(
        board_id=lead.board_id,
        payload=LeadMovedPayload(
            lead=card_model(lead),
            from_stage=from_stage_id,
            to_stage=to_stage.pk,
            transition=transition.pk if transition else None,
            source=TransitionSource(source),
            moves=[move_entry(lead, from_stage_id)],
            reason=lost_reason,
        ),
        actor=actor,
        membership=membership,
        at=now,
    )
    return MoveResult(lead=lead, transition=transition, seq=event.seq, event=event.message)


def lead_move_once(
    lead: Lead,
    *,
    expected: int,
    to_stage: Stage,
    position: int | None,
    after: int | None,
    before: int | None,
    reason: str,
    system: bool,
) -> tuple[int, str, str, datetime] | None:
    """``lead_move``'s checks, the rank and the conditional update of the lead as read
    (``expected``: its version then). ``None`` when the update matched no row (written
    meanwhile); else ``(from stage, from position, lost reason, now)``, and ``lead``
    is as it is after the move. Precondition: holds the lock of ``to_stage``."""
    from_stage_id, from_position = lead.stage_id, lead.position
    changes_stage = to_stage.pk != from_stage_id
    placed = after is not None or before is not None
    if not changes_stage and position is None and not placed:
        raise InvalidInput(f"The lead is already in {to_stage.name}.", field="to_stage")
    if placed:
        neighbour_check(lead, to_stage, after=after, before=before, position=position)
    lost_reason = ""
    if changes_stage and system and reason.strip() and to_stage.kind == StageKind.LOST:
        lost_reason = " ".join(reason.split())[:200]  # a system's reason, kept as given
    elif changes_stage:
        lost_reason = lost_reason_for(
            board_id=lead.board_id, stage=to_stage, reason=reason, system=system
        )

    now = timezone.now()
    rank = None
    if after is not None:
        rank = rank_next_to(to_stage, after, after=True, exclude=[lead.pk])
    elif before is not None:
        rank = rank_next_to(to_stage, before, after=False, exclude=[lead.pk])
    if rank is None:
        rank = rank_at(to_stage, position, exclude=[lead.pk])
    update: dict[str, Any] = {"position": rank, "version": F("version") + 1, "updated_at": now}
    if changes_stage:
        update |= {"stage": to_stage, "stage_entered_at": now}
    if Lead.objects.filter(pk=lead.pk, version=expected).update(**update) == 0:
        return None
    lead.position, lead.version, lead.updated_at = rank, expected + 1, now
    if changes_stage:
        lead.stage, lead.stage_entered_at = to_stage, now
    return from_stage_id, from_position, lost_reason, now
