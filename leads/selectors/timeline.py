"""A lead's timeline: its stage transitions, sales' verdicts, notes and edits,
newest first, in pages.

Four kinds from four tables, merged by ``(at, kind, id)``. A page reads at most
``limit + 1`` rows of each table past the cursor (one query each, by the
``(lead, at)`` indexes), plus the names its edits mention: a handful of queries
for a lead of any length. The cursor is the last item's key, so a page never
repeats or skips an item when new ones arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from ..errors import InvalidInput
from ..models import Campaign, LeadChange, LeadFeedback, LeadNote, StageTransition, TransitionSource
from ..rules import display_name, display_name_of, field_label
from .leads import lead_get

TIMELINE_LIMIT = 50
TIMELINE_LIMIT_MAX = 200

# Ties at one moment: a creation's transition before its edit, a verdict after the move.
KIND_RANK = {"transition": 0, "verdict": 1, "note": 2, "edit": 3}
# Edits whose values are ids: the timeline names what they point at.
NAMED_FIELDS = ("owner", "campaign")


@dataclass(frozen=True)
class Cursor:
    at: datetime
    rank: int
    id: int

    def encode(self) -> str:
        text = f"{self.at.isoformat()}|{self.rank}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, rank, pk = text.split("|")
            cursor = cls(at=datetime.fromisoformat(at), rank=int(rank), id=int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidInput("Not a cursor of this timeline.", field="before") from None
        if cursor.at.tzinfo is None or cursor.rank not in KIND_RANK.values():
            raise InvalidInput("Not a cursor of this timeline.", field="before")
        return cursor


def older_than(cursor: Cursor | None, rank: int) -> Q:
    """Rows of the kind of ``rank`` that sort after ``cursor`` (newest first)."""
    if cursor is None:
        return Q()
    if rank < cursor.rank:
        return Q(at__lte=cursor.at)
    if rank == cursor.rank:
        return Q(at__lt=cursor.at) | Q(at=cursor.at, pk__lt=cursor.id)
    return Q(at__lt=cursor.at)


def newest(rows: QuerySet[Any], cursor: Cursor | None, kind: str, limit: int) -> list[Any]:
    return list(rows.filter(older_than(cursor, KIND_RANK[kind])).order_by("-at", "-id")[:limit])


# A page is mostly transitions: read as rows, not models (a third of the time).
TRANSITION_VALUES = (
    "id",
    "at",
    "source",
    "note",
    "reason",
    "reverts_id",
    "undone",
    "from_stage_id",
    "from_stage__name",
    "to_stage_id",
    "to_stage__name",
    "actor_id",
    "actor__first_name",
    "actor__last_name",
    "actor__username",
)


def actor_of(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": display_name(user)}


def lead_timeline(
    *, lead_id: int, user: Any, before: str | None = None, limit: int = TIMELINE_LIMIT
) -> dict[str, Any]:
    """``{"items": [...], "next": cursor | None}``: up to ``limit`` items older than
    the cursor ``before`` (none: the newest)."""
    if not 1 <= limit <= TIMELINE_LIMIT_MAX:
        raise InvalidInput(f"limit must be between 1 and {TIMELINE_LIMIT_MAX}.", field="limit")
    lead = lead_get(lead_id=lead_id, user=user)
    cursor = Cursor.decode(before) if before else None

    # One more transition than a page can show: the one before the oldest shown
    # tells how long the lead stayed where that one took it.
    transitions = newest(
        StageTransition.objects.filter(lead_id=lead.pk)
        .annotate(undone=Exists(StageTransition.objects.filter(reverts_id=OuterRef("pk"))))
        .values(*TRANSITION_VALUES),
        cursor,
        "transition",
        limit + 1,
    )
    verdicts = newest(
        LeadFeedback.objects.filter(lead_id=lead.pk).select_related("actor"),
        cursor,
        "verdict",
        limit + 1,
    )
    notes = newest(
        LeadNote.objects.filter(lead_id=lead.pk)
        .select_related("author")
        .annotate(at=F("created_at")),
        cursor,
        "note",
        limit + 1,
    )
    edits = newest(
        LeadChange.objects.filter(lead_id=lead.pk).select_related("actor"),
        cursor,
        "edit",
        limit + 1,
    )

    keyed: list[tuple[tuple[datetime, int, int], str, Any]] = [
        ((row["at"], KIND_RANK["transition"], row["id"]), "transition", row) for row in transitions
    ] + [
        ((row.at, KIND_RANK[kind], row.pk), kind, row)
        for kind, rows in (("verdict", verdicts), ("note", notes), ("edit", edits))
        for row in rows
    ]
    keyed.sort(key=lambda entry: entry[0], reverse=True)
    page, more = keyed[:limit], len(keyed) > limit
    names = edit_names([row for _, kind, row in page if kind == "edit"])
    # transitions are newest first: each one's predecessor is the next in the list.
    after = {
        t["id"]: transitions[i + 1] if i + 1 < len(transitions) else None
        for i, t in enumerate(transitions)
    }
    items = []
    for _key, kind, row in page:
        if kind == "transition":
            items.append(transition_item(row, after[row["id"]]))
        elif kind == "verdict":
            items.append(verdict_item(row))
        elif kind == "note":
            items.append(note_item(row))
        else:
            items.append(edit_item(row, names))
    last = page[-1][0] if page else None
    next_cursor = Cursor(at=last[0], rank=last[1], id=last[2]).encode() if more and last else None
    return {"items": items, "next": next_cursor}


def transition_item(row: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """``stayed``: seconds the lead spent in ``from_stage`` (since the transition
    before this one); None for a creation."""
    stayed = None
    if previous is not None and row["from_stage_id"] is not None:
        stayed = max(0, round((row["at"] - previous["at"]).total_seconds()))
    actor = None
    if row["actor_id"] is not None:
        name = display_name_of(
            row["actor__first_name"], row["actor__last_name"], row["actor__username"]
        )
        actor = {"id": row["actor_id"], "name": name}
    return {
        "kind": "transition",
        "id": row["id"],
        "at": row["at"],
        "actor": actor,
        "from_stage": stage_ref(row["from_stage_id"], row["from_stage__name"]),
        "to_stage": stage_ref(row["to_stage_id"], row["to_stage__name"]),
        "stayed": stayed,
        "source": row["source"],
        "source_label": TransitionSource(row["source"]).label,
        "note": row["note"],
        "reason": row["reason"],
        "undone": bool(row["undone"]),
        "reverts": row["reverts_id"],
    }


def stage_ref(stage_id: int | None, name: str | None) -> dict[str, Any] | None:
    return None if stage_id is None else {"id": stage_id, "name": name}


def verdict_item(row: LeadFeedback) -> dict[str, Any]:
    return {
        "kind": "verdict",
        "id": row.pk,
        "at": row.at,
        "actor": actor_of(row.actor),
        "verdict": row.verdict,
        "reason": row.reason,
        "valuable_fields": [{"field": f, "label": field_label(f)} for f in row.valuable_fields],
        "useless_fields": [{"field": f, "label": field_label(f)} for f in row.useless_fields],
    }


def note_item(row: LeadNote) -> dict[str, Any]:
    return {
        "kind": "note",
        "id": row.pk,
        "at": row.created_at,
        "author": actor_of(row.author),
        "body": row.body,
        "created_at": row.created_at,
        "edited_at": row.edited_at,
    }


def edit_names(edits: list[LeadChange]) -> dict[str, dict[int, str]]:
    """The people and campaigns the page's edits name, in one query each."""
    ids: dict[str, set[int]] = {field: set() for field in NAMED_FIELDS}
    for edit in edits:
        for field in NAMED_FIELDS:
            for value in edit.changes.get(field, ()):
                if isinstance(value, int):
                    ids[field].add(value)
    names: dict[str, dict[int, str]] = {"owner": {}, "campaign": {}}
    if ids["owner"]:
        rows = get_user_model().objects.filter(pk__in=ids["owner"])
        names["owner"] = {
            row["id"]: display_name_of(row["first_name"], row["last_name"], row["username"])
            for row in rows.values("id", "first_name", "last_name", "username")
        }
    if ids["campaign"]:
        names["campaign"] = dict(
            Campaign.objects.filter(pk__in=ids["campaign"]).values_list("id", "name")
        )
    return names


def edit_item(row: LeadChange, names: dict[str, dict[int, str]]) -> dict[str, Any]:
    """``changes``: one entry per field, ``attributes`` one per key that changed;
    ``before_text`` / ``after_text`` read as the drawer shows them."""
    changes = []
    for field, pair in sorted(row.changes.items()):
        before, after = [*pair, None, None][:2]
        if field == "attributes" and isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    changes.append(
                        change_entry(
                            f"attributes.{key}", field_label(key), before.get(key), after.get(key)
                        )
                    )
            continue
        entry = change_entry(field, field_label(field), before, after)
        if field in NAMED_FIELDS:
            known = names.get(field, {})
            entry["before_text"] = known.get(before, f"#{before}") if before is not None else ""
            entry["after_text"] = known.get(after, f"#{after}") if after is not None else ""
        changes.append(entry)
    return {
        "kind": "edit",
        "id": row.pk,
        "at": row.at,
        "actor": actor_of(row.actor),
        "changes": changes,
    }


def change_entry(field: str, label: str, before: Any, after: Any) -> dict[str, Any]:
    return {
        "field": field,
        "label": label,
        "before": before,
        "after": after,
        "before_text": text_of(before),
        "after_text": text_of(after),
    }


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
