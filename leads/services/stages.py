"""A board's stages: the rules of a funnel's shape, written once, and the owner's
changes to them (add, change, reorder, remove; the undo of a removal is in
``leads.services.undo``).

The rules (``board_create`` and the import apply them too):

- a name has a visible character, at most ``NAME_MAX`` characters, and no other
  live stage of the board has it (case-insensitive);
- kinds: at least one open stage and the won stage (a board made before the won
  stage was required keeps working without one: a change may not take away what
  it has), at most one won and one lost stage;
- order: open stages come before won and lost (the funnel is the open stages by
  position, Won ends it, Lost is the drop-off), so a new open stage goes right
  before the first won or lost stage unless it is placed elsewhere, and a stage
  whose kind changes moves to where its kind belongs when it is out of place;
- SLA days and WIP limit: none, or a whole number of at least 1; colour ``#rrggbb``;
- at most ``STAGES_MAX`` live stages.

Positions are 0..n-1, the index in the funnel order, after every change (events
carry the order, the browser takes positions from it).

Removal is soft (``Stage.removed_at``): the transitions of the past keep naming
the stage, the live board and its numbers leave it out. Its leads move to
``move_to`` on top, in their order, as one batch (one transition each, one
``stage.deleted`` event, always with a batch so that Undo restores even an empty
stage).

Locks, in the order of ``leads.access``: every live stage of the board first (id
order, ``FOR NO KEY UPDATE``), which makes the board-wide checks race-free and
lets no move in or out meanwhile; a removal also takes the removed stage
``FOR UPDATE``, which waits for an import that reads the board's stages
(``stages_lock(share=True)``: ``FOR KEY SHARE``); then the leads (id order); then
the board row for the event, last.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, PositiveSmallIntegerField, Value, When
from django.utils import timezone

from leads.access import leads_locked, membership_for_owner

from ..board_templates import StageSpec
from ..errors import Conflict, InvalidInput, NotFound
from ..events import event_append, move_entry
from ..events.schema import (
    StageCreatedPayload,
    StageDeletedPayload,
    StagesReorderedPayload,
    StageSummary,
    StageUpdatedPayload,
)
from ..models import Board, Lead, Stage, StageKind, StageTeam, StageTransition, TransitionSource
from ..rules import handoff_stage
from ..validation import visible
from .ordering import ranks_on_top
from .reasons import lost_reason_for
from .tallies import tallies_around
from .tx import write_transaction

NAME_MAX = 100
STAGES_MAX = 50
SLA_MAX = 32767  # Stage.sla_days is a PositiveSmallIntegerField
WIP_MAX = 2**31 - 1
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
CLOSED = (StageKind.WON, StageKind.LOST)

# A stage's colour unless one is given: by its kind (won, lost), else its team.
STAGE_COLORS: dict[str, str] = {
    StageKind.WON: "#16a34a",
    StageKind.LOST: "#94a3b8",
    StageTeam.MARKETING: "#7c3aed",
    StageTeam.SALES: "#0284c7",
}

# Fields of a stage the owner changes (``stage_update``).
STAGE_UPDATABLE = ("name", "kind", "team", "sla_days", "wip_limit", "color")


# --- The rules ---


def stage_name_check(name: Any, *, taken: Iterable[str] = (), field: str = "name") -> str:
    """The name as it is kept (trimmed); ``taken``: the other live stages' names."""
    text = name.strip() if isinstance(name, str) else ""
    if not visible(text):
        raise InvalidInput("A stage needs a name with a visible character.", field=field)
    if len(text) > NAME_MAX:
        raise InvalidInput(f"A stage name has at most {NAME_MAX} characters.", field=field)
    if text.lower() in {other.lower() for other in taken}:
        raise InvalidInput(f"This board already has a stage named {text!r}.", field=field)
    return text


def stage_kind_check(kind: Any, *, field: str = "kind") -> str:
    if kind not in StageKind.values:
        raise InvalidInput(f"Kind must be one of {', '.join(StageKind.values)}.", field=field)
    return str(kind)


def stage_team_check(team: Any, *, field: str = "team") -> str:
    if team not in StageTeam.values:
        raise InvalidInput(f"Team must be one of {', '.join(StageTeam.values)}.", field=field)
    return str(team)


def stage_limit_check(value: Any, *, field: str) -> int | None:
    """An SLA in days or a WIP limit: none, or a whole number from 1."""
    if value is None:
        return None
    what = "An SLA" if field == "sla_days" else "A WIP limit"
    unit = " days" if field == "sla_days" else " leads"
    top = SLA_MAX if field == "sla_days" else WIP_MAX
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} is a whole number of{unit}, or none.", field=field)
    if value < 1:
        raise InvalidInput(
            f"{what} is at least 1{unit.rstrip('s')}; leave it empty for none.", field=field
        )
    if value > top:
        raise InvalidInput(f"{what} is at most {top}{unit}.", field=field)
    return value


def stage_color_check(value: Any, *, field: str = "color") -> str:
    if not isinstance(value, str) or not COLOR.fullmatch(value):
        raise InvalidInput("A colour is written #rrggbb, e.g. #7c3aed.", field=field)
    return value.lower()


def stage_kinds_check(
    kinds: Sequence[str], *, field: str, before: Sequence[str] | None = None
) -> None:
    """What a funnel's kinds must be (``before``: the board's kinds before a change;
    None for a new board, which must have its won stage)."""
    if StageKind.OPEN not in kinds:
        raise InvalidInput("A funnel needs at least one open stage.", field=field)
    if StageKind.WON not in kinds and (before is None or StageKind.WON in before):
        raise InvalidInput("A funnel needs its won stage (where a deal ends).", field=field)
    if kinds.count(StageKind.WON) > 1 or kinds.count(StageKind.LOST) > 1:
        raise InvalidInput("A board has at most one won and one lost stage.", field=field)


def stage_order_check(kinds: Sequence[str], *, field: str) -> None:
    """``kinds`` in funnel order: every open stage before every won or lost one."""
    closed = [i for i, kind in enumerate(kinds) if kind in CLOSED]
    opens = [i for i, kind in enumerate(kinds) if kind == StageKind.OPEN]
    if closed and opens and min(closed) < max(opens):
        raise InvalidInput("Open stages come before Won and Lost.", field=field)


def stage_count_check(count: int, *, field: str) -> None:
    if count > STAGES_MAX:
        raise InvalidInput(f"A board has at most {STAGES_MAX} stages.", field=field)


def stage_default_color(kind: str, team: str) -> str:
    return STAGE_COLORS.get(kind) or STAGE_COLORS[team]


def check_stages(stages: list[StageSpec]) -> None:
    """A new board's stages, in funnel order (``board_create``): every rule above."""
    field = "stages"
    if not stages:
        raise InvalidInput("A board needs at least one stage.", field=field)
    stage_count_check(len(stages), field=field)
    names: list[str] = []
    for spec in stages:
        names.append(stage_name_check(spec.get("name", ""), taken=names, field=field))
        stage_team_check(spec.get("team", StageTeam.MARKETING), field=field)
        stage_limit_check(spec.get("sla_days"), field="sla_days")
        stage_limit_check(spec.get("wip_limit"), field="wip_limit")
        if spec.get("color"):
            stage_color_check(spec.get("color"), field=field)
    kinds = [stage_kind_check(spec.get("kind", StageKind.OPEN), field=field) for spec in stages]
    stage_kinds_check(kinds, field=field)
    stage_order_check(kinds, field=field)


# --- Locks and places ---


def stages_lock(board_id: int, *, share: bool = False) -> list[Stage]:
    """The board's live stages in funnel order, locked for the rest of the
    transaction in id order: ``FOR NO KEY UPDATE`` (a change to the board's shape),
    or with ``share`` ``FOR KEY SHARE`` (an import that writes into them: moves and
    changes go on, only a removal waits). SQLite has one writer at a time anyway."""
    live = Stage.objects.filter(board_id=board_id)
    if share:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {Stage._meta.db_table} WHERE board_id = %s"
                    " AND removed_at IS NULL ORDER BY id FOR KEY SHARE",
                    [board_id],
                )
        return list(live.order_by("position", "id"))
    locking = live.select_for_update(no_key=True).order_by("id")
    list(locking.values_list("id"))
    # Once more: a statement that waited for a lock does not see the rows others
    # committed meanwhile (a stage added or restored: they held these locks, so
    # none is under way now). This one sees and locks them too.
    locked = list(locking)
    return sorted(locked, key=lambda stage: (stage.position, stage.pk))


def funnel_order(order: Sequence[Stage]) -> list[Stage]:
    """``order`` with its open stages first, as the numbers already read it (open
    stages by position, then Won and Lost): a board whose stages were stored out of
    that order (an import used to add stages after Won and Lost) comes right with
    its next stage change."""
    return [s for s in order if s.kind == StageKind.OPEN] + [s for s in order if s.kind in CLOSED]


def stages_place(order: Sequence[int]) -> None:
    """Give the live stages ``order`` the positions 0..n-1. Two UPDATEs: the unique
    index on (board, position) is checked row by row, so they first move clear of
    every position in use."""
    current = dict(Stage.all_objects.filter(pk__in=order).values_list("id", "position"))
    if all(current.get(pk) == index for index, pk in enumerate(order)):
        return
    clear = max(current.values(), default=0) + 1
    for offset in (clear, 0):
        Stage.all_objects.filter(pk__in=order).update(
            position=Case(
                *(When(pk=pk, then=Value(offset + i)) for i, pk in enumerate(order)),
                output_field=PositiveSmallIntegerField(),
            )
        )


def kind_place(order: list[Stage], stage: Stage) -> list[Stage]:
    """``order`` with ``stage`` moved where its kind belongs when it is out of place:
    an open stage right before the first won or lost one, Won right after the
    last open stage, Lost at the end."""
    kinds = [s.kind for s in order]
    try:
        stage_order_check(kinds, field="kind")
        return order
    except InvalidInput:
        pass
    rest = [s for s in order if s.pk != stage.pk]
    if stage.kind == StageKind.OPEN:
        at = next((i for i, s in enumerate(rest) if s.kind in CLOSED), len(rest))
    elif stage.kind == StageKind.WON:
        at = max((i + 1 for i, s in enumerate(rest) if s.kind == StageKind.OPEN), default=0)
    else:
        at = len(rest)
    return [*rest[:at], stage, *rest[at:]]


def summary(stage: Stage) -> StageSummary:
    return StageSummary(
        id=stage.pk,
        name=stage.name,
        position=stage.position,
        kind=StageKind(stage.kind),
        team=StageTeam(stage.team),
        sla_days=stage.sla_days,
        wip_limit=stage.wip_limit,
        color=stage.color,
    )


def ids_of(order: Sequence[Stage]) -> list[int]:
    return [s.pk for s in order]


def last_seq(board_id: int) -> int:
    return Board.objects.values_list("last_seq", flat=True).get(pk=board_id)


def handoff_of(order: Sequence[Stage]) -> int | None:
    """The handoff stage's id in ``order`` (``leads.rules.handoff_stage``), for the
    events: the browser is told the rule's answer."""
    stage = handoff_stage(order)
    return None if stage is None else stage.pk


def stage_for_write(stage_id: Any) -> Stage:
    """A live stage by id (no lock: ``stages_lock`` locks it with the others)."""
    try:
        return Stage.objects.get(pk=int(stage_id))
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise NotFound("Stage not found.") from None


def placed(order: list[Stage], stage: Stage, *, before: Any, after: Any) -> list[Stage]:
    """``order`` with the new ``stage`` in: before or after a stage of ``order``, or by
    default where its kind goes (open stages before the first won or lost one)."""
    field, anchor = ("before", before) if before is not None else ("after", after)
    if anchor is None:
        return kind_place([*order, stage], stage)
    ids = [s.pk for s in order]
    try:
        at = ids.index(int(anchor))
    except (TypeError, ValueError):
        raise InvalidInput(f"Stage {anchor} is not a stage of this board.", field=field) from None
    at += 0 if field == "before" else 1
    return [*order[:at], stage, *order[at:]]


# --- Results ---


@dataclass(frozen=True)
class StageWrite:
    stage: Stage | None  # the stage written (None: a reorder)
    seq: int
    event: dict[str, Any] | None  # the stored event (None: nothing changed, nothing stored)
    order: list[int]
    batch: uuid.UUID | None = None  # a removal's batch (its Undo takes it back)
    moved: int = 0  # leads a removal moved


# --- The writes ---


@write_transaction
def stage_create(
    *,
    board_id: int,
    actor: Any,
    name: str,
    kind: str = StageKind.OPEN,
    team: str = StageTeam.MARKETING,
    sla_days: int | None = None,
    wip_limit: int | None = None,
    color: str = "",
    before: int | None = None,
    after: int | None = None,
) -> StageWrite:
    """Add a stage, ``before`` or ``after`` another (one of them), or where its kind
    goes: an open stage right before the first won or lost one."""
    membership = membership_for_owner(board_id, actor)
    if before is not None and after is not None:
        raise InvalidInput("Give before or after, not both.", field="before")
    order = funnel_order(stages_lock(board_id))
    stage_count_check(len(order) + 1, field="name")
    stage = Stage(
        board_id=board_id,
        name=stage_name_check(name, taken=[s.name for s in order]),
        kind=stage_kind_check(kind),
        team=stage_team_check(team),
        sla_days=stage_limit_check(sla_days, field="sla_days"),
        wip_limit=stage_limit_check(wip_limit, field="wip_limit"),
        color=stage_color_check(color) if color else stage_default_color(kind, team),
        position=max((s.position for s in order), default=0) + len(order) + 1,
    )
    was = [s.kind for s in order]
    new_order = placed(order, stage, before=before, after=after)
    kinds = [s.kind for s in new_order]
    stage_kinds_check(kinds, field="kind", before=was)
    stage_order_check(kinds, field="before" if before is not None else "after")
    stage.save()
    ids = [s.pk for s in new_order]
    stages_place(ids)
    stage.position = ids.index(stage.pk)
    event = event_append(
        board_id=board_id,
        payload=StageCreatedPayload(stage=summary(stage), order=ids, handoff=handoff_of(new_order)),
        actor=actor,
        membership=membership,
    )
    return StageWrite(stage=stage, seq=event.seq, event=event.message, order=ids)


@write_transaction
def stage_update(*, stage_id: int, actor: Any, **fields: Any) -> StageWrite:
    """Change a stage's name, kind, team, SLA days, WIP limit or colour (those given).
    Renaming keeps the stage (its history stays its own); a kind change moves the
    stage where its kind belongs when it is out of place."""
    unknown = sorted(set(fields) - set(STAGE_UPDATABLE))
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(unknown)} here.", field=unknown[0])
    board_id = stage_for_write(stage_id).board_id
    membership = membership_for_owner(board_id, actor)
    order = funnel_order(stages_lock(board_id))
    stage = next((s for s in order if s.pk == int(stage_id)), None)
    if stage is None:  # removed while we waited
        raise NotFound("Stage not found.")
    checked: dict[str, Any] = {}
    if "name" in fields:
        others = [s.name for s in order if s.pk != stage.pk]
        checked["name"] = stage_name_check(fields["name"], taken=others)
    if "kind" in fields:
        checked["kind"] = stage_kind_check(fields["kind"])
    if "team" in fields:
        checked["team"] = stage_team_check(fields["team"])
    for limit in ("sla_days", "wip_limit"):
        if limit in fields:
            checked[limit] = stage_limit_check(fields[limit], field=limit)
    if "color" in fields:
        checked["color"] = stage_color_check(fields["color"])
    changed = sorted(name for name, value in checked.items() if getattr(stage, name) != value)
    if not changed:
        return StageWrite(stage=stage, seq=last_seq(board_id), event=None, order=ids_of(order))
    was = [s.kind for s in order]
    for name in changed:
        setattr(stage, name, checked[name])
    new_order = kind_place(order, stage) if "kind" in changed else order
    stage_kinds_check([s.kind for s in new_order], field="kind", before=was)
    stage.save(update_fields=changed)
    ids = [s.pk for s in new_order]
    stages_place(ids)
    stage.position = ids.index(stage.pk)
    event = event_append(
        board_id=board_id,
        payload=StageUpdatedPayload(
            stage=summary(stage), fields=changed, order=ids, handoff=handoff_of(new_order)
        ),
        actor=actor,
        membership=membership,
    )
    return StageWrite(stage=stage, seq=event.seq, event=event.message, order=ids)


def order_of(value: Any, live: Sequence[Stage], *, field: str = "stages") -> list[Stage]:
    """The stages of an order as sent: every live stage exactly once."""
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput("Give every stage's id, in the new order.", field=field)
    by_id = {s.pk: s for s in live}
    seen: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item not in by_id:
            raise InvalidInput(f"Stage {item} is not a stage of this board.", field=field)
        if item in seen:
            raise InvalidInput(f"Stage {item} is listed twice.", field=field)
        seen.append(item)
    missing = [s.name for s in live if s.pk not in seen]
    if missing:
        raise InvalidInput(
            f"The order must list every stage; missing: {', '.join(missing)}.", field=field
        )
    return [by_id[pk] for pk in seen]


@write_transaction
def stages_reorder(*, board_id: int, actor: Any, stages: list[int]) -> StageWrite:
    """Put the board's stages in a new funnel order (every live stage once); the
    numbers follow the new order at once. The same order again stores nothing."""
    membership = membership_for_owner(board_id, actor)
    order = stages_lock(board_id)
    new_order = order_of(stages, order)
    stage_order_check([s.kind for s in new_order], field="stages")
    ids = ids_of(new_order)
    if ids == ids_of(order):
        return StageWrite(stage=None, seq=last_seq(board_id), event=None, order=ids)
    stages_place(ids)
    event = event_append(
        board_id=board_id,
        payload=StagesReorderedPayload(stages=ids, handoff=handoff_of(new_order)),
        actor=actor,
        membership=membership,
    )
    return StageWrite(stage=None, seq=event.seq, event=event.message, order=ids)


@write_transaction
def stage_delete(*, stage_id: int, actor: Any, move_to: int | None = None) -> StageWrite:
    """Remove a stage. Its leads, if it holds any, go to ``move_to`` (another live
    stage of the board; 400 naming ``move_to`` when missing) on top, in their order,
    as one batch; the board's Undo of that batch restores the stage and moves them
    back. Its transitions stay: the past still adds up."""
    board_id = stage_for_write(stage_id).board_id
    membership = membership_for_owner(board_id, actor)
    order = funnel_order(stages_lock(board_id))
    stage = next((s for s in order if s.pk == int(stage_id)), None)
    if stage is None:
        raise NotFound("Stage not found.")
    rest = [s for s in order if s.pk != stage.pk]
    stage_kinds_check([s.kind for s in rest], field="stage", before=[s.kind for s in order])
    # FOR UPDATE: an import writing into this stage holds it FOR KEY SHARE; wait for it.
    list(Stage.objects.select_for_update().filter(pk=stage.pk).values_list("id"))
    target = None
    if move_to is not None:
        target = next((s for s in rest if s.pk == move_to), None)
        if target is None:
            raise InvalidInput(
                f"Stage {move_to} is not another stage of this board.", field="move_to"
            )
    in_stage = Lead.objects.filter(board_id=board_id, stage=stage)
    locked = sorted(in_stage.values_list("id", flat=True))
    if locked and target is None:
        count = len(locked)
        raise InvalidInput(
            f"{stage.name} holds {count} {'lead' if count == 1 else 'leads'}:"
            " say which stage they move to (move_to).",
            field="move_to",
        )
    leads_locked(locked)
    now = timezone.now()
    batch = uuid.uuid4()
    moves = []
    if target is not None and locked:
        moves = leads_move_out(stage, target, locked, batch=batch, actor=actor, now=now)
    stage.removed_at = now
    stage.save(update_fields=["removed_at"])
    ids = [s.pk for s in rest]
    stages_place(ids)
    event = event_append(
        board_id=board_id,
        payload=StageDeletedPayload(
            stage=stage.pk,
            move_to=target.pk if moves and target is not None else None,
            batch=batch,
            moves=moves,
            order=ids,
            handoff=handoff_of(rest),
        ),
        actor=actor,
        membership=membership,
        at=now,
    )
    return StageWrite(
        stage=stage, seq=event.seq, event=event.message, order=ids, batch=batch, moved=len(moves)
    )


def leads_move_out(
    stage: Stage, target: Stage, lead_ids: list[int], *, batch: uuid.UUID, actor: Any, now: Any
) -> list[Any]:
    """Move the (locked) leads of a stage being removed on top of ``target``, in their
    order: one transition each in ``batch``. Returns the event's moves."""
    leads = list(
        Lead.objects.filter(pk__in=lead_ids, stage=stage)
        .order_by("position", "id")
        .only("id", "position", "version")
    )
    ids = [lead.pk for lead in leads]
    left = {lead.pk: lead.position for lead in leads}
    ranks = ranks_on_top(target, len(leads), exclude=ids)
    for lead, rank in zip(leads, ranks, strict=True):
        lead.stage, lead.position, lead.version = target, rank, lead.version + 1
        lead.stage_entered_at = lead.updated_at = now
    with tallies_around(stage.board_id, ids):
        Lead.objects.bulk_update(
            leads,
            ["stage", "position", "version", "stage_entered_at", "updated_at"],
            batch_size=1000,
        )
    StageTransition.objects.bulk_create(
        (
            StageTransition(
                board_id=stage.board_id,
                lead_id=pk,
                from_stage=stage,
                to_stage=target,
                actor=actor,
                at=now,
                # No source of its own (a new one would need a migration): a change made
                # through the API by the board's owner; the note says which.
                source=TransitionSource.API,
                batch=batch,
                from_position=left[pk],
                note=f"Stage {stage.name} removed"[:500],
                # Nobody was asked why: the system reason (leads.services.reasons).
                reason=lost_reason_for(
                    board_id=stage.board_id, stage=target, reason="", system=True
                ),
            )
            for pk in ids
        ),
        batch_size=1000,
    )
    moved = (
        Lead.objects.filter(pk__in=ids)
        .order_by("position", "id")
        .only("id", "stage_id", "position", "version", "stage_entered_at")
    )
    return [move_entry(lead, stage.pk) for lead in moved]


def stage_restore(board_id: int, stage: Stage) -> list[Stage]:
    """Bring a removed stage back to where it stood (its position then, within where
    its kind goes), for the undo of its removal. Locks the board's stages (the
    removed one with them), checks the rules (a name taken meanwhile, a second lost
    stage: ``Conflict``) and answers the new order. No event: the caller appends
    ``stage.created`` after its other writes (the board row comes last)."""
    order = funnel_order(stages_lock(board_id))
    list(Stage.all_objects.select_for_update(no_key=True).filter(pk=stage.pk).values_list("id"))
    stage.refresh_from_db()
    if stage.removed_at is None:
        raise Conflict("This was already undone.")
    try:
        stage_count_check(len(order) + 1, field="stage")
        stage_name_check(stage.name, taken=[s.name for s in order], field="stage")
        stage_kinds_check([*(s.kind for s in order), stage.kind], field="stage", before=())
    except InvalidInput as exc:
        raise Conflict(f"{stage.name} cannot come back: {exc.detail}") from None
    at = min(stage.position, len(order))
    new_order = kind_place([*order[:at], stage, *order[at:]], stage)
    top = max((s.position for s in order), default=0) + len(order) + 2
    Stage.all_objects.filter(pk=stage.pk).update(removed_at=None, position=top)
    ids = [s.pk for s in new_order]
    stages_place(ids)
    stage.removed_at = None
    stage.position = ids.index(stage.pk)
    return new_order


def stage_restored_payload(stage: Stage, order: Sequence[Stage]) -> StageCreatedPayload:
    return StageCreatedPayload(
        stage=summary(stage), order=[s.pk for s in order], handoff=handoff_of(order)
    )


def stages_insert(board_id: int, names: list[str], *, after: int | None) -> dict[str, int]:
    """An import's new open stages (``names``, in file order), right after stage
    ``after`` or before the first won or lost stage. The caller holds
    ``stages_lock(board_id)`` and has checked the names. Returns the board's live
    stage ids by lower-case name. No event: the import's ``leads.imported`` says
    which stages it created, and browsers refetch."""
    order = funnel_order(stages_lock(board_id))
    top = max((s.position for s in order), default=0) + len(order) + 1
    new = [
        Stage(
            board_id=board_id,
            name=name,
            kind=StageKind.OPEN,
            team=StageTeam.MARKETING,
            color=stage_default_color(StageKind.OPEN, StageTeam.MARKETING),
            position=top + i,
        )
        for i, name in enumerate(names)
    ]
    Stage.objects.bulk_create(new)
    created = Stage.objects.filter(board_id=board_id, position__gte=top).order_by("position")
    ids = [s.pk for s in order]
    at = ids.index(after) + 1 if after in ids else first_closed(order)
    ids[at:at] = [s.pk for s in created]
    stages_place(ids)
    return {
        name.lower(): pk
        for pk, name in Stage.objects.filter(board_id=board_id).values_list("id", "name")
    }


def first_closed(order: Sequence[Stage]) -> int:
    """Where a new open stage goes by default: before the first won or lost stage."""
    return next((i for i, s in enumerate(order) if s.kind in CLOSED), len(order))


def import_place_check(board_id: int, after: Any) -> int | None:
    """Where an import's new stages go (``new_stages_after``): an open stage of the
    board, or None (before the first won or lost stage)."""
    if after is None:
        return None
    stage = Stage.objects.filter(board_id=board_id, pk=after).first()
    if stage is None:
        raise InvalidInput(f"Stage {after} is not a stage of this board.", field="new_stages_after")
    if stage.kind != StageKind.OPEN:
        raise InvalidInput(
            f"New stages are open stages: they go before {stage.name}, not after it.",
            field="new_stages_after",
        )
    return stage.pk
