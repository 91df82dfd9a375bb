"""A lead's end of life: archived (off the board, history kept), restored (back
where it stood), erased (GDPR: its personal data gone for good).

An archived lead keeps its stage and rank, so a restore puts its card exactly
where it was; it leaves ``/state/``, the handoff lane, search and the export of
current leads, but its transitions stay, so the numbers of the past do not
change. Erasure is the owner's, confirmed with the lead's name: the personal
fields are blanked, its notes, edits and notifications deleted, and the copies
of its card in the board's event log anonymised; its transitions and sales'
verdicts (verdict, reason, which fields were useful: no personal data) stay, so
the funnel of the past still adds up. An erased lead is not found for any write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from leads.access import lead_for_write, lead_locked, membership_for_owner, membership_for_write
from leads.selectors.cards import card_model

from ..errors import Conflict, InvalidInput
from ..events import event_append
from ..events.schema import LeadArchivedPayload, LeadErasedPayload, LeadRestoredPayload
from ..models import BoardEvent, Lead, LeadChange, LeadNote, Notification, Stage
from .tallies import tallies_shift, tally_of
from .tx import write_transaction

ERASED_NAME = "Erased lead"
# What erasure blanks: every field that may say who the lead is.
PERSONAL_BLANKS: dict[str, Any] = {
    "name": ERASED_NAME,
    "email": "",
    "company": "",
    "title": "",
    "attributes": {},
    "external_id": "",
    "crm_id": "",
}
# Events whose payload carries the lead's card (``lead``) or cards (``leads``).
CARD_EVENTS = ("lead.created", "lead.updated", "lead.moved", "lead.restored")


@dataclass(frozen=True)
class LifeResult:
    lead: Lead
    seq: int
    event: dict[str, Any]


@write_transaction
def lead_archive(*, lead_id: Any, actor: Any) -> LifeResult:
    lead = lead_for_write(lead_id)
    membership = membership_for_write(lead.board_id, actor)
    lead = lead_locked(lead.pk)
    if lead.archived_at is not None:
        raise Conflict("This lead is archived already.")
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        archived_at=now, version=F("version") + 1, updated_at=now
    )
    tallies_shift(lead.board_id, [(*tally_of(lead), -1, -lead.value, lead.stage_entered_at)])
    event = event_append(
        board_id=lead.board_id,
        payload=LeadArchivedPayload(lead=lead.pk, stage=lead.stage_id),
        actor=actor,
        membership=membership,
        at=now,
    )
    lead.refresh_from_db()
    return LifeResult(lead=lead, seq=event.seq, event=event.message)


@write_transaction
def lead_restore(*, lead_id: Any, actor: Any) -> LifeResult:
    """Back on the board in its stage, at its rank (both kept while archived)."""
    lead = lead_for_write(lead_id, archived_ok=True)
    membership = membership_for_write(lead.board_id, actor)
    # Lock order: the stage it goes back into, then the lead.
    stage = Stage.objects.select_for_update(no_key=True).filter(pk=lead.stage_id).first()
    if stage is None:
        raise Conflict("Its stage was removed from the board; it cannot go back there.")
    lead = lead_locked(lead.pk)
    if lead.archived_at is None:
        raise Conflict("This lead is on the board; there is nothing to restore.")
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        archived_at=None, version=F("version") + 1, updated_at=now
    )
    tallies_shift(lead.board_id, [(*tally_of(lead), 1, lead.value, lead.stage_entered_at)])
    lead.refresh_from_db()
    event = event_append(
        board_id=lead.board_id,
        payload=LeadRestoredPayload(lead=card_model(lead)),
        actor=actor,
        membership=membership,
        at=now,
    )
    return LifeResult(lead=lead, seq=event.seq, event=event.message)


def card_anonymised(card: dict[str, Any]) -> dict[str, Any]:
    return {**card, "name": ERASED_NAME, "email": "", "company": "", "title": ""}


def events_anonymised(board_id: int, lead_id: int) -> None:
    """The copies of the lead's card in the board's event log lose its personal
    fields too (replays and time travel then show "Erased lead")."""
    single = BoardEvent.objects.filter(
        board_id=board_id, type__in=CARD_EVENTS, payload__lead__id=lead_id
    )
    for row in single.only("id", "payload"):
        row.payload = {**row.payload, "lead": card_anonymised(row.payload["lead"])}
        row.save(update_fields=["payload"])
    for row in BoardEvent.objects.filter(board_id=board_id, type="leads.updated").only(
        "id", "payload"
    ):
        cards = row.payload.get("leads", [])
        if any(card.get("id") == lead_id for card in cards):
            row.payload = {
                **row.payload,
                "leads": [
                    card_anonymised(card) if card.get("id") == lead_id else card for card in cards
                ],
            }
            row.save(update_fields=["payload"])


@write_transaction
def lead_erase(*, lead_id: Any, actor: Any, confirm: Any) -> LifeResult:
    """Erase for good (the owner's): ``confirm`` must be the lead's name."""
    lead = lead_for_write(lead_id, archived_ok=True)
    membership = membership_for_owner(lead.board_id, actor)
    lead = lead_locked(lead.pk)
    if not isinstance(confirm, str) or confirm.strip() != lead.name.strip():
        raise InvalidInput("Type the lead's name to erase it for good.", field="confirm")
    was_archived = lead.archived_at is not None
    now = timezone.now()
    LeadNote.objects.filter(lead_id=lead.pk).delete()
    LeadChange.objects.filter(lead_id=lead.pk).delete()
    Notification.objects.filter(lead_id=lead.pk).delete()
    Lead.objects.filter(pk=lead.pk).update(
        **PERSONAL_BLANKS,
        archived_at=lead.archived_at or now,
        erased_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    if not was_archived:
        tallies_shift(lead.board_id, [(*tally_of(lead), -1, -lead.value, lead.stage_entered_at)])
    events_anonymised(lead.board_id, lead.pk)
    event = event_append(
        board_id=lead.board_id,
        payload=LeadErasedPayload(lead=lead.pk, stage=lead.stage_id, archived=was_archived),
        actor=actor,
        membership=membership,
        at=now,
    )
    lead.refresh_from_db()
    return LifeResult(lead=lead, seq=event.seq, event=event.message)
