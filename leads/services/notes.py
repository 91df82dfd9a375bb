"""Notes on a lead: plain text (never HTML, never markdown: the browser shows it
as text), written by the board's editors and owners, changed or deleted by their
author only while ``leads.rules.may_edit_note`` allows. ``@username`` names a
member of the board: each one named is stored in ``mentions`` and told
(``leads.services.notifications``); a name that is no member's is refused, so a
typo never silently tells nobody. Each write is one stored event (note.created,
note.updated, note.deleted), so every open drawer follows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.access import lead_for_write, membership_for_write

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..events import event_append
from ..events.payloads import note_wire
from ..events.schema import NoteCreatedPayload, NoteDeletedPayload, NoteUpdatedPayload
from ..models import NOTE_MAX_LENGTH, BoardMembership, LeadNote
from ..rules import MENTION_PATTERN, NOTE_EDIT_MINUTES, may_edit_note
from ..validation import MAX_ID, text_problem, visible
from .notifications import notify_mentioned
from .tx import write_transaction

MENTION = re.compile(MENTION_PATTERN)


@dataclass(frozen=True)
class NoteResult:
    note: LeadNote
    event: dict[str, Any]


def mentioned_names(body: str) -> list[str]:
    """The ``@username`` tokens of a note, in order, each once."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(body):
        seen.setdefault(match.group(1), None)
    return list(seen)


def mentions_resolve(board_id: int, body: str) -> list[int]:
    """The user ids the note's ``@username``s name (case-insensitive, members of the
    board only); an unknown one is a 400 naming ``body`` and the name."""
    names = mentioned_names(body)
    if not names:
        return []
    username = get_user_model().USERNAME_FIELD
    members = {
        str(name).casefold(): user_id
        for user_id, name in BoardMembership.objects.filter(board_id=board_id).values_list(
            "user_id", f"user__{username}"
        )
    }
    ids: list[int] = []
    for name in names:
        user_id = members.get(name.casefold())
        if user_id is None:
            raise InvalidInput(f"@{name} is not a member of this board.", field="body")
        if user_id not in ids:
            ids.append(user_id)
    return ids


def body_check(body: Any) -> str:
    if not isinstance(body, str):
        raise InvalidInput("A note is text.", field="body")
    if len(body) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            f"A note has at most {NOTE_MAX_LENGTH:,} characters (this one has {len(body):,}).",
            field="body",
        )
    problem = text_problem(body)
    if problem:
        raise InvalidInput(problem, field="body")
    if not visible(body):
        raise InvalidInput("A note needs some text.", field="body")
    return body.strip()


def note_locked(note_id: Any) -> LeadNote:
    if not isinstance(note_id, int) or not 0 < note_id <= MAX_ID:
        raise NotFound("Note not found.")
    note = (
        # Only the note's row (its author may be gone: an outer join locks nothing).
        LeadNote.objects.select_for_update(no_key=True, of=("self",))
        .select_related("lead", "author")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise NotFound("Note not found.")
    return note


def author_check(note: LeadNote, actor: Any) -> None:
    if note.author_id is None or note.author_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only a note's author can change or delete it.")
    if not may_edit_note(note, actor, timezone.now()):
        raise PermissionDenied(
            f"A note can be changed or deleted for {NOTE_EDIT_MINUTES} minutes after it was"
            " written; this one is older."
        )


@write_transaction
def note_create(*, lead_id: int, actor: Any, body: Any) -> NoteResult:
    lead = lead_for_write(lead_id)
    membership = membership_for_write(lead.board_id, actor)
    body = body_check(body)
    mentions = mentions_resolve(lead.board_id, body)
    now = timezone.now()
    note = LeadNote.objects.create(
        lead=lead, author=actor, body=body, mentions=mentions, created_at=now
    )
    note.lead = lead
    event = event_append(
        board_id=lead.board_id,
        payload=NoteCreatedPayload(note=note_wire(note)),
        actor=actor,
        membership=membership,
        at=now,
    )
    notify_mentioned(lead=lead, actor=actor, user_ids=mentions)
    return NoteResult(note=note, event=event.message)


@write_transaction
def note_update(*, note_id: int, actor: Any, body: Any) -> NoteResult:
    note = note_locked(note_id)
    membership = membership_for_write(note.lead.board_id, actor)
    author_check(note, actor)
    body = body_check(body)
    mentions = mentions_resolve(note.lead.board_id, body)
    before = set(note.mentions or [])
    now = timezone.now()
    note.body, note.mentions, note.edited_at = body, mentions, now
    note.save(update_fields=["body", "mentions", "edited_at"])
    event = event_append(
        board_id=note.lead.board_id,
        payload=NoteUpdatedPayload(note=note_wire(note)),
        actor=actor,
        membership=membership,
        at=now,
    )
    # Only the newly named hear of it: an edit does not tell the same person twice.
    notify_mentioned(
        lead=note.lead, actor=actor, user_ids=[uid for uid in mentions if uid not in before]
    )
    return NoteResult(note=note, event=event.message)


@write_transaction
def note_delete(*, note_id: int, actor: Any) -> dict[str, Any]:
    """The stored ``note.deleted`` event."""
    note = note_locked(note_id)
    membership = membership_for_write(note.lead.board_id, actor)
    author_check(note, actor)
    lead = note.lead
    note_pk = note.pk
    note.delete()
    event = event_append(
        board_id=lead.board_id,
        payload=NoteDeletedPayload(note=note_pk, lead=lead.pk),
        actor=actor,
        membership=membership,
    )
    return event.message
