"""Undo: take back a transition or a whole batch by writing reverse transitions.

Nothing is deleted: each reverse transition points at the one it takes back
(``reverts``), so the log stays complete and analytics can leave both out.
A lead that has moved on since is skipped (its later move wins); when every
lead has moved on, the undo is refused with 409. A lead goes back to the rank it
had in the stage it left (``StageTransition.from_position``), so its card is
where it was; only its own row changes.

The batch of a stage's removal is undone as a whole (``stage_removal_undo``): the
stage comes back first, then its leads that have not moved on since.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.access import leads_locked, membership_for_owner, membership_for_write, stage_of_board
from leads.selectors.cards import card_model

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..events import event_append, move_entry
from ..events.schema import (
    LeadMovedPayload,
    LeadsMovedPayload,
    Move,
    UndoneBatch,
    UndoneTransition,
)
from ..models import (
    IMPORTED_LOST_REASON,
    BoardEvent,
    Lead,
    Role,
    Stage,
    StageKind,
    StageTransition,
    TransitionSource,
)
from ..ranks import rank_valid
from .ordering import ranks_on_top
from .stages import stage_restore, stage_restored_payload
from .tallies import tallies_around
from .tx import write_transaction


@dataclass(frozen=True)
class UndoResult:
    undone: int
    transitions: list[int]
    batch: uuid.UUID | None
    seq: int
    event: dict[str, Any]  # the stored event, as every client receives it
    skipped: list[int] = field(default_factory=list)


def transitions_to_undo(board_id: int, batch: Any, transition_id: Any) -> list[StageTransition]:
    if (batch is None) == (transition_id is None):
        raise InvalidInput("Give either a batch or a transition to undo.")
    found = StageTransition.objects.filter(board_id=board_id).order_by("id")
    found = found.filter(batch=batch) if batch is not None else found.filter(pk=transition_id)
    transitions = list(found)
    if not transitions:
        raise NotFound("Nothing to undo: no such transition or batch on this board.")
    if any(t.source == TransitionSource.UNDO for t in transitions):
        raise InvalidInput("An undo cannot be undone; move the lead back instead.")
    if any(t.from_stage_id is None for t in transitions):
        raise InvalidInput("Creating a lead cannot be undone.")
    return transitions


def moved_on_since(transitions: list[StageTransition]) -> set[int]:
    """Leads with a transition later than the one to undo."""
    first = transitions[0].pk
    latest: dict[int, int] = {}
    for lead_id, pk in StageTransition.objects.filter(
        lead_id__in=[t.lead_id for t in transitions], pk__gte=first
    ).values_list("lead_id", "pk"):
        latest[lead_id] = max(pk, latest.get(lead_id, 0))
    return {t.lead_id for t in transitions if latest.get(t.lead_id, 0) > t.pk}


def put_back(stage: Stage, group: list[StageTransition], now: Any) -> dict[int, str]:
    """Move the leads of ``group`` (locked) back into ``stage``, each at the rank it
    left (its card lands between the neighbours it had, if they are still there).
    Moves stored without that rank put their leads on top, in their current order.
    Returns each lead's rank before."""
    ids = [t.lead_id for t in group]
    leads = list(
        Lead.objects.filter(pk__in=ids)
        .order_by("position", "id")
        .only("id", "stage_id", "position", "version")
    )
    before = {lead.pk: lead.position for lead in leads}
    ranks = {t.lead_id: t.from_position for t in group if rank_valid(t.from_position)}
    unknown = [lead for lead in leads if lead.pk not in ranks]
    if unknown:
        tops = ranks_on_top(stage, len(unknown), exclude=ids)
        ranks |= {lead.pk: rank for lead, rank in zip(unknown, tops, strict=True)}
    for lead in leads:
        lead.stage, lead.position, lead.version = stage, ranks[lead.pk], lead.version + 1
        lead.updated_at = now
    Lead.objects.bulk_update(leads, ["stage", "position", "version", "updated_at"], batch_size=1000)
    return before


def stage_removal_of(board_id: int, batch: Any) -> int | None:
    """The stage whose removal moved ``batch`` (its ``stage.deleted`` event), or None."""
    event = (
        BoardEvent.objects.filter(
            board_id=board_id, type="stage.deleted", payload__batch=str(batch)
        )
        .values_list("payload", flat=True)
        .first()
    )
    return None if event is None else int(event["stage"])


def removed_since(transitions: list[StageTransition]) -> None:
    """A move out of a stage removed since cannot be taken back on its own (the
    undo of the removal brings the stage back): 409."""
    gone = (
        Stage.all_objects.filter(
            pk__in={t.from_stage_id for t in transitions}, removed_at__isnull=False
        )
        .values_list("name", flat=True)
        .first()
    )
    if gone is not None:
        raise Conflict(f"{gone} was removed from the board since; this can no longer be undone.")


def reasons_back(todo: list[StageTransition], targets: dict[int, Stage]) -> dict[int, str]:
    """The lost reason each undo stores when it puts a lead back into a lost stage:
    the reason of the entry into that stage that the undone move left (the lead
    was lost for that reason and is again; nobody is asked twice). "Imported" when
    no entry names one (a lead created there)."""
    back: dict[int, str] = {}
    for t in todo:
        stage = targets[cast(int, t.from_stage_id)]
        if stage.kind != StageKind.LOST:
            continue
        entry = (
            StageTransition.objects.filter(
                lead_id=t.lead_id, to_stage_id=stage.pk, id__lt=t.pk, reverted_by__isnull=True
            )
            .exclude(reason="")
            .order_by("-id")
            .values_list("reason", flat=True)
            .first()
        )
        back[t.pk] = entry or IMPORTED_LOST_REASON
    return back


def take_back(
    *,
    board_id: int,
    actor: Any,
    todo: list[StageTransition],
    targets: dict[int, Stage],
    now: Any,
    batch: uuid.UUID | None,
) -> tuple[list[StageTransition], dict[int, Lead], list[Move]]:
    """Write the reverse of each of ``todo`` (their leads locked, ``targets`` the
    locked stages they go back to): the leads back at the ranks they left, the
    reverse transitions, the days in stage continued. Answers the reverses, the
    leads as they are now and the event's moves."""
    by_target: dict[int, list[StageTransition]] = defaultdict(list)
    for t in todo:
        assert t.from_stage_id is not None
        by_target[t.from_stage_id].append(t)
    left: dict[int, str] = {}  # lead -> the rank it leaves (in the stage it is taken from)
    # The days in stage are set last: the day tallies count the leads as they end up.
    with tallies_around(board_id, [t.lead_id for t in todo]):
        for stage_id, group in by_target.items():
            left |= put_back(targets[stage_id], group, now)
        reasons = reasons_back(todo, targets)
        reverses = StageTransition.objects.bulk_create(
            StageTransition(
                board_id=board_id,
                lead_id=t.lead_id,
                from_stage_id=t.to_stage_id,
                to_stage_id=cast(int, t.from_stage_id),
                actor=actor,
                at=now,
                source=TransitionSource.UNDO,
                batch=batch,
                reverts=t,
                from_position=left[t.lead_id],
                reason=reasons.get(t.pk, ""),
            )
            for t in todo
        )
        # Days in stage continue from when the lead really entered the stage it is back in:
        # the undone move never happened.
        ids = [t.lead_id for t in todo]
        entered = (
            StageTransition.objects.filter(
                lead=OuterRef("pk"),
                to_stage=OuterRef("stage"),
                reverts__isnull=True,
                reverted_by__isnull=True,
            )
            .order_by("-at", "-id")
            .values("at")[:1]
        )
        Lead.objects.filter(pk__in=ids).update(stage_entered_at=Coalesce(Subquery(entered), now))
    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=ids)}
    moves = [move_entry(leads[t.lead_id], t.to_stage_id) for t in todo]
    return reverses, leads, moves


@write_transaction
def transition_undo(
    *, board_id: int, actor: Any, batch: uuid.UUID | None = None, transition_id: int | None = None
) -> UndoResult:
    removal = stage_removal_of(board_id, batch) if batch is not None else None
    if removal is not None:
        assert batch is not None
        return stage_removal_undo(board_id=board_id, actor=actor, batch=batch, stage_id=removal)
    membership = membership_for_write(board_id, actor)
    transitions = transitions_to_undo(board_id, batch, transition_id)
    others = any(t.actor_id != getattr(actor, "pk", None) for t in transitions)
    if membership is not None and membership.role != Role.OWNER and others:
        raise PermissionDenied(
            "Editors undo their own moves; only the board's owner undoes someone else's."
        )
    removed_since(transitions)
    # Lock the leads first (lock order), then decide: a racing undo or move of the
    # same leads has committed by the time these checks read.
    targets = {
        stage_id: stage_of_board(board_id, stage_id, lock=True)
        for stage_id in sorted({cast(int, t.from_stage_id) for t in transitions})
    }
    leads_locked(sorted({t.lead_id for t in transitions}))
    if StageTransition.objects.filter(reverts__in=transitions).exists():
        raise Conflict("This was already undone.")
    moved_on = moved_on_since(transitions)
    todo = [t for t in transitions if t.lead_id not in moved_on]
    if not todo:
        raise Conflict(
            "The leads have moved on since; there is nothing left to undo.",
            extra={"skipped": sorted(moved_on)},
        )

    now = timezone.now()
    new_batch = uuid.uuid4() if batch is not None else None
    reverses, leads, moves = take_back(
        board_id=board_id, actor=actor, todo=todo, targets=targets, now=now, batch=new_batch
    )
    payload: LeadMovedPayload | LeadsMovedPayload
    if batch is None:
        lead = leads[todo[0].lead_id]
        payload = LeadMovedPayload(
            lead=card_model(lead),
            from_stage=todo[0].to_stage_id,
            to_stage=lead.stage_id,
            transition=reverses[0].pk,
            source=TransitionSource.UNDO,
            moves=moves,
            undoes=UndoneTransition(transition=todo[0].pk),
            reason=reverses[0].reason,
        )
    else:
        assert new_batch is not None
        payload = LeadsMovedPayload(batch=new_batch, moves=moves, undoes=UndoneBatch(batch=batch))
    event = event_append(
        board_id=board_id, payload=payload, actor=actor, membership=membership, at=now
    )
    return UndoResult(
        undone=len(todo),
        transitions=[r.pk for r in reverses],
        batch=new_batch,
        seq=event.seq,
        event=event.message,
        skipped=sorted(moved_on),
    )


def stage_removal_undo(*, board_id: int, actor: Any, batch: uuid.UUID, stage_id: int) -> UndoResult:
    """Undo a stage's removal (the owner's): the stage comes back where it stood,
    empty (``stage.created``), then its leads that have not moved on since go back
    into it, each at the rank it left (``leads.moved``, in a batch of its own).
    The answer carries the last event; the socket brings both."""
    membership = membership_for_owner(board_id, actor)
    stage = Stage.all_objects.get(pk=stage_id)
    order = stage_restore(board_id, stage)  # locks the stages first (lock order)
    transitions = list(
        StageTransition.objects.filter(board_id=board_id, batch=batch).order_by("id")
    )
    leads_locked(sorted({t.lead_id for t in transitions}))
    if StageTransition.objects.filter(reverts__in=transitions).exists():
        raise Conflict("This was already undone.")
    moved_on = moved_on_since(transitions) if transitions else set()
    todo = [t for t in transitions if t.lead_id not in moved_on]
    now = timezone.now()
    new_batch = uuid.uuid4() if todo else None
    reverses: list[StageTransition] = []
    moves: list[Move] = []
    if todo:
        reverses, _, moves = take_back(
            board_id=board_id,
            actor=actor,
            todo=todo,
            targets={stage.pk: stage},
            now=now,
            batch=new_batch,
        )
    event = event_append(
        board_id=board_id,
        payload=stage_restored_payload(stage, order),
        actor=actor,
        membership=membership,
        at=now,
    )
    if todo:
        assert new_batch is not None
        event = event_append(
            board_id=board_id,
            payload=LeadsMovedPayload(
                batch=new_batch, moves=moves, undoes=UndoneBatch(batch=batch)
            ),
            actor=actor,
            membership=membership,
            at=now,
        )
    return UndoResult(
        undone=len(todo),
        transitions=[r.pk for r in reverses],
        batch=new_batch,
        seq=event.seq,
        event=event.message,
        skipped=sorted(moved_on),
    )
