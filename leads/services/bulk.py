"""Many leads at once: the cards a person selected on the board, moved, assigned,
given a campaign or marked lost in one write.

All or nothing: every lead is checked (this board's, not archived, at the version
the browser saw when it gives one) before anything is written, so a bad id, a
stale card or a missing lost reason writes nothing. A move is one batch: one
transition per lead (source ``bulk``), one ``leads.moved`` event, and the board's
undo of the batch takes every lead back where it stood. The writes are a few
statements whatever the count (one UPDATE per thousand leads with a CASE for the
ranks, one bulk INSERT of transitions), never a query per lead: 1,000 leads move
in well under a second.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from leads.access import campaign_of_board, membership_for_write, stage_of_board
from leads.selectors.boards import board_member_user_get
from leads.selectors.cards import CARD_FIELDS, card_of_row, latest_verdict

from ..errors import Conflict, InvalidInput
from ..events import event_append
from ..events.schema import LeadsMovedPayload, LeadsUpdatedPayload, Move
from ..models import Lead, LeadChange, Stage, StageKind, StageTransition, TransitionSource
from .leads import field_attr, json_safe
from .notifications import notify_assigned_many
from .ordering import ranks_at
from .reasons import lost_reason_for
from .tallies import tallies_around
from .tx import write_transaction

BULK_MAX = 10_000  # leads in one bulk request
CHUNK = 1000  # leads per UPDATE statement (SQLite's limit on parameters)
BULK_FIELDS = ("owner", "campaign")


@dataclass(frozen=True)
class BulkResult:
    batch: uuid.UUID
    seq: int
    count: int
    event: dict[str, Any]  # the stored event, as every client receives it


def lead_ids_checked(lead_ids: Any) -> list[int]:
    """The ids, in the order given, each once (a repeated id is folded)."""
    if not isinstance(lead_ids, list | tuple) or not lead_ids:
        raise InvalidInput("Give the leads as a list of ids.", field="leads")
    if len(lead_ids) > BULK_MAX:
        raise InvalidInput(
            f"At most {BULK_MAX:,} leads at once ({len(lead_ids):,} given).", field="leads"
        )
    ids: dict[int, None] = {}
    for value in lead_ids:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise InvalidInput(f"{value!r} is not a lead id.", field="leads")
        ids[value] = None
    return list(ids)


def versions_checked(versions: Any, ids: list[int]) -> dict[int, int]:
    if versions is None:
        return {}
    if not isinstance(versions, dict):
        raise InvalidInput("Give versions as {lead id: version}.", field="versions")
    checked: dict[int, int] = {}
    for key, value in versions.items():
        try:
            lead_id = int(key)
        except (TypeError, ValueError):
            raise InvalidInput(f"{key!r} is not a lead id.", field="versions") from None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(f"The version of lead {lead_id} must be a number.", field="versions")
        checked[lead_id] = value
    strays = sorted(set(checked) - set(ids))
    if strays:
        raise InvalidInput(
            f"Versions are given for leads not in the request: {strays[:20]}.", field="versions"
        )
    return checked


def leads_checked(board_id: int, ids: list[int], versions: dict[int, int]) -> dict[int, Lead]:
    """Lock the leads in id order (the lock order) and check every one: of this
    board (400 naming ``leads`` and the ids), not archived (400), at the version
    given (409 naming the stale ones). Answers them by id."""
    rows = (
        Lead.objects.select_for_update(no_key=True)
        .filter(pk__in=ids, board_id=board_id)
        .order_by("id")
        .only("id", "stage_id", "position", "version", "archived_at", "erased_at")
    )
    found = {lead.pk: lead for lead in rows}
    strangers = [lead_id for lead_id in ids if lead_id not in found]
    if strangers:
        raise InvalidInput(
            f"Not leads of this board: {', '.join(map(str, strangers[:20]))}"
            + (f" and {len(strangers) - 20} more." if len(strangers) > 20 else "."),
            field="leads",
            extra={"leads": strangers},
        )
    archived = [lead_id for lead_id in ids if found[lead_id].archived_at is not None]
    if archived:
        raise InvalidInput(
            f"Archived leads cannot be changed: {', '.join(map(str, archived[:20]))}.",
            field="leads",
            extra={"leads": archived},
        )
    stale = sorted(i for i, v in versions.items() if found[i].version != v)
    if stale:
        raise Conflict(
            "Some of these leads were changed by someone else; reload and try again.",
            extra={"leads": stale},
        )
    return found


def lost_stage_of(board_id: int) -> int:
    stage_id = (
        Stage.objects.filter(board_id=board_id, kind=StageKind.LOST)
        .values_list("id", flat=True)
        .first()
    )
    if stage_id is None:
        raise InvalidInput("This board has no lost stage.", field="action")
    return stage_id


def ranks_write(ids: list[int], ranks: list[str], *, stage_id: int, now: Any) -> None:
    """One UPDATE joined to a VALUES list of (id, rank): the leads' stage, rank,
    version and entry date, on PostgreSQL and SQLite (3.33+) alike. The ORM's
    ``Case(When(...))`` for a thousand ranks costs more to build than to run."""
    table = connection.ops.quote_name(Lead._meta.db_table)
    rows = ", ".join(["(%s, %s)"] * len(ids))
    params: list[Any] = [value for pair in zip(ids, ranks, strict=True) for value in pair]
    sql = (
        f"WITH moved (lead_id, rank) AS (VALUES {rows}) "
        f"UPDATE {table} SET stage_id = %s, position = moved.rank, version = version + 1, "
        f"stage_entered_at = %s, updated_at = %s "
        f"FROM moved WHERE {table}.id = moved.lead_id"
    )
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, stage_id, moment, moment])


@write_transaction
def leads_bulk_move(
    *,
    board_id: int,
    actor: Any,
    lead_ids: Any,
    to_stage_id: Any,
    position: int | None = None,
    versions: Any = None,
    reason: str | None = None,
    note: str = "",
) -> BulkResult:
    """Move the leads to ``to_stage`` as one batch, at ``position`` (index in the
    stage, default the top), in the order given. Leads already there stay where
    they are (a bulk move never reorders them; the undo then is exact); when all
    are there, 400. A lost stage needs a reason (``lost_reason_for``), stored on
    each transition and on the event."""
    membership = membership_for_write(board_id, actor)
    ids = lead_ids_checked(lead_ids)
    given = versions_checked(versions, ids)
    to_stage = stage_of_board(board_id, to_stage_id, field="to_stage", lock=True)
    reason = lost_reason_for(board_id=board_id, stage=to_stage, reason=reason)
    if len(note or "") > 500:
        raise InvalidInput("A note is at most 500 characters.", field="note")
    found = leads_checked(board_id, ids, given)
    moving = [found[i] for i in ids if found[i].stage_id != to_stage.pk]
    if not moving:
        raise InvalidInput(f"The leads are already in {to_stage.name}.", field="to_stage")
    now = timezone.now()
    ranks = ranks_at(to_stage, position, len(moving), exclude=[lead.pk for lead in moving])
    with tallies_around(board_id, [lead.pk for lead in moving]):
        for start in range(0, len(moving), CHUNK):
            ranks_write(
                [lead.pk for lead in moving[start : start + CHUNK]],
                ranks[start : start + CHUNK],
                stage_id=to_stage.pk,
                now=now,
            )
    batch = uuid.uuid4()
    StageTransition.objects.bulk_create(
        (
            StageTransition(
                board_id=board_id,
                lead_id=lead.pk,
                from_stage_id=lead.stage_id,
                to_stage=to_stage,
                actor=actor,
                at=now,
                source=TransitionSource.BULK,
                batch=batch,
                note=note or "",
                reason=reason,
                from_position=lead.position,
            )
            for lead in moving
        ),
        batch_size=CHUNK,
    )
    moves = [
        Move(
            lead=lead.pk,
            from_stage=lead.stage_id,
            to_stage=to_stage.pk,
            position=rank,
            version=lead.version + 1,
            stage_entered_at=now,
        )
        for lead, rank in zip(moving, ranks, strict=True)
    ]
    event = event_append(
        board_id=board_id,
        payload=LeadsMovedPayload(
            batch=batch, source=TransitionSource.BULK, moves=moves, reason=reason
        ),
        actor=actor,
        membership=membership,
        at=now,
    )
    return BulkResult(batch=batch, seq=event.seq, count=len(moving), event=event.message)


@write_transaction
def leads_bulk_update(
    *, board_id: int, actor: Any, lead_ids: Any, versions: Any = None, **fields: Any
) -> BulkResult:
    """Give the leads one ``owner`` (a member's user id, or None) or one
    ``campaign`` (one of this board's, or None): one UPDATE, one ``leads.updated``
    event carrying each card as it is now."""
    unknown = set(fields) - set(BULK_FIELDS)
    if unknown or not fields:
        name = sorted(unknown)[0] if unknown else "action"
        raise InvalidInput("A bulk update sets the owner or the campaign.", field=name)
    membership = membership_for_write(board_id, actor)
    ids = lead_ids_checked(lead_ids)
    given = versions_checked(versions, ids)
    values: dict[str, Any] = {}
    if "owner" in fields:
        owner = fields["owner"]
        if owner is not None and (isinstance(owner, bool) or not isinstance(owner, int)):
            raise InvalidInput("The owner is a user id or null.", field="owner")
        values["owner"] = (
            None if owner is None else board_member_user_get(board_id=board_id, user_id=owner)
        )
    if "campaign" in fields:
        campaign = fields["campaign"]
        values["campaign"] = None if campaign is None else campaign_of_board(board_id, campaign)
    leads_checked(board_id, ids, given)
    now = timezone.now()
    attrs = {field: field_attr(field) for field in values}
    before = {
        row["id"]: row
        for start in range(0, len(ids), CHUNK)
        for row in Lead.objects.filter(pk__in=ids[start : start + CHUNK]).values(
            "id", *attrs.values()
        )
    }
    with tallies_around(board_id, ids if {"value", "campaign"} & set(values) else []):
        for start in range(0, len(ids), CHUNK):
            Lead.objects.filter(pk__in=ids[start : start + CHUNK]).update(
                **values, version=F("version") + 1, updated_at=now
            )
    after = {field: json_safe(getattr(value, "pk", value)) for field, value in values.items()}
    # Each lead's timeline shows the edit, with the value before it (as lead_update does).
    LeadChange.objects.bulk_create(
        LeadChange(lead_id=lead_id, actor=actor, at=now, changes=changed)
        for lead_id in ids
        if (
            changed := {
                field: [json_safe(before[lead_id][attr]), after[field]]
                for field, attr in attrs.items()
                if json_safe(before[lead_id][attr]) != after[field]
            }
        )
    )
    order = {lead_id: index for index, lead_id in enumerate(ids)}
    rows = sorted(
        Lead.objects.filter(pk__in=ids)
        .annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .values(*CARD_FIELDS, "verdict", "verdict_at"),
        key=lambda row: order[row["id"]],
    )
    batch = uuid.uuid4()
    event = event_append(
        board_id=board_id,
        payload=LeadsUpdatedPayload(
            batch=batch, leads=[card_of_row(row) for row in rows], fields=sorted(values)
        ),
        actor=actor,
        membership=membership,
        at=now,
    )
    if "owner" in values and values["owner"] is not None:
        newly = [lead_id for lead_id in ids if before[lead_id]["owner_id"] != after["owner"]]
        notify_assigned_many(board_id=board_id, lead_ids=newly, actor=actor)
    return BulkResult(batch=batch, seq=event.seq, count=len(ids), event=event.message)
