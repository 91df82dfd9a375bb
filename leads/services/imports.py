"""CSV import: a file's rows checked, planned and written as leads.

The import writes in bulk (one transaction, ``bulk_create``/``bulk_update`` in
chunks) instead of one ``lead_create`` per row: 100,000 rows must fit in
seconds. It locks the board's stages ``FOR KEY SHARE`` (moves and stage changes
go on; only a stage's removal waits, so no lead lands in a removed stage), the
leads it changes (in id order) and, last, the board row for its summary event
(the lock order of ``leads.access``). It does not hold the stages against moves:
a move locks its target stage, and an import holding every stage for its whole
run (seconds) made every move of the board wait behind it, each waiting request
holding a pooled connection, until other boards' reads found no connection
either. Only an import that adds stages holds them (it renumbers the stages to
put the new ones before Won and Lost, ``leads.services.stages.stages_insert``).
New leads go after the last card of their stage (the next ranks after its last
one); a move landing there at the same moment may take the same rank, and the
(position, id) order settles the tie.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from leads.access import membership_for_write
from leads.integrations import csv_import as importers

from ..errors import InvalidInput
from ..events import encode, event_append, publish
from ..events.schema import ImportPhase, ImportProgress, LeadsImportedPayload
from ..models import (
    Campaign,
    Lead,
    Stage,
    StageKind,
    StageTransition,
    TransitionSource,
)
from ..ranks import rank_between
from ..validation import attributes_problem
from .reasons import lost_reason_for
from .stages import NAME_MAX, STAGES_MAX, import_place_check, stages_insert, stages_lock
from .tx import write_transaction

Progress = Callable[[ImportPhase, int, int], None]

# Lead fields an import or an upsert compares and writes (stage and campaign apart).
PLAIN_FIELDS = ("name", "email", "company", "title", "source", "value", "score", "crm_id")
CHUNK = 1000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    batch: uuid.UUID | None = None
    seq: int | None = None
    event: dict[str, Any] | None = None  # the stored event (None: nothing was written)
    preset: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    stages_created: list[str] = field(default_factory=list)
    campaigns_created: list[str] = field(default_factory=list)

    def as_dict(self, *, preview: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "dry_run": self.dry_run,
            "batch": self.batch,
            "seq": self.seq,
            "event": self.event,
            "preset": self.preset,
            "columns": self.columns,
            "stages_created": self.stages_created,
            "campaigns_created": self.campaigns_created,
        }
        if preview:
            body["preview"] = self.preview
        return body


@dataclass
class Planned:
    """One row's fate: ``create`` a lead, ``update`` lead ``lead_id``, or ``unchanged``."""

    row: int
    source: dict[str, Any]  # the row's checked fields
    attributes: dict[str, str]
    lead_id: int | None
    stage: int | str | None  # stage id, a name to create, or None (no change / first stage)
    campaign: int | str | None  # campaign id, a name to create, or None (no change)
    action: str = "create"
    reason: str = ""  # the lost reason stored when the row's lead enters a lost stage
    changes: dict[str, Any] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)


def progress_to_board(
    board_id: int, every: float = 0.25, *, progress_id: str | None = None
) -> Progress:
    """Ephemeral ``import.progress`` messages to the board's sockets (not stored
    events: no seq), at most one per ``every`` seconds and phase end; with
    ``progress_id`` (the client's name for its import) as ``import``."""
    last = [0.0]

    def send(phase: ImportPhase, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < every:
            return
        last[0] = now
        message = ImportProgress.model_validate(
            {"phase": phase, "done": done, "total": total, "import": progress_id or None}
        )
        publish(board_id, encode(message))

    return send


def leads_import(
    *,
    board_id: int,
    actor: Any,
    data: bytes,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    create_missing: bool = False,
    new_stages_after: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a CSV export. All or nothing: any problem and nothing is written.
    A dry run reads only and returns what a real run would do, row by row.

    With ``create_missing``, stages the board does not have are created as open
    stages, in the file's order, right after stage ``new_stages_after`` (an open
    stage) or, by default, before the first won or lost stage; from then on they
    are stages like any other."""
    membership_for_write(board_id, actor)
    new_stages_after = import_place_check(board_id, new_stages_after)
    parse_progress = (lambda done, total: progress("check", done, total)) if progress else None
    parsed = importers.parse(data, mapping, progress=parse_progress)
    result = ImportResult(dry_run=dry_run, preset=parsed.preset, columns=parsed.columns)
    if parsed.problems:
        result.errors = [problem.as_dict() for problem in parsed.problems]
        return result
    if dry_run:
        import_plan(board_id, parsed.rows, create_missing=create_missing, result=result)
        return result
    return import_write(
        board_id=board_id,
        actor=actor,
        rows=parsed.rows,
        create_missing=create_missing,
        new_stages_after=new_stages_after,
        result=result,
        progress=progress,
    )


@write_transaction
def import_write(
    *,
    board_id: int,
    actor: Any,
    rows: list[importers.ImportRow],
    create_missing: bool,
    new_stages_after: int | None,
    result: ImportResult,
    progress: Progress | None,
) -> ImportResult:
    # The stages first (the lock order): shared, so that moves go on and only a
    # stage's removal waits; held whole when the import adds stages (it renumbers).
    adds_stages = create_missing and stages_missing(board_id, rows)
    stages_lock(board_id, share=not adds_stages)
    plan = import_plan(board_id, rows, create_missing=create_missing, result=result, lock=True)
    if result.errors:
        return result  # only locks were taken: nothing to roll back
    membership = membership_for_write(board_id, actor)
    result.batch = uuid.uuid4()
    now = timezone.now()
    stage_ids = (
        stages_insert(board_id, result.stages_created, after=new_stages_after)
        if result.stages_created
        else stage_ids_by_name(board_id)
    )
    channels = {
        str(item.campaign).lower(): item.source.get("channel", "")
        for item in plan
        if isinstance(item.campaign, str)
    }
    campaign_ids = campaigns_create(board_id, result.campaigns_created, channels)
    first = (
        Stage.objects.filter(board_id=board_id).order_by("position").values_list("id", flat=True)
    )
    first_stage = first[0]
    ranks: dict[int, str | None] = {
        row["stage_id"]: row["last"]
        for row in Lead.objects.filter(board_id=board_id)
        .values("stage_id")
        .annotate(last=Max("position"))
        .order_by()
    }

    def stage_of(ref: int | str | None) -> int | None:
        return stage_ids[ref.lower()] if isinstance(ref, str) else ref

    def campaign_of(ref: int | str | None) -> int | None:
        return campaign_ids[ref.lower()] if isinstance(ref, str) else ref

    def next_rank(stage_id: int) -> str:
        rank = ranks[stage_id] = rank_between(ranks.get(stage_id), None)
        return rank

    total = len(plan)
    done = 0
    moves: list[tuple[int, int, int, str, str]] = []  # lead, from, to, rank left, lost reason
    new_leads: list[Lead] = []
    new_reasons: list[str] = []  # parallel to new_leads
    for item in plan:
        if item.action == "create":
            new_reasons.append(item.reason)
            stage_id = stage_of(item.stage) or first_stage
            fields = {f: item.source[f] for f in (*PLAIN_FIELDS, "external_id") if f in item.source}
            created_at = item.source.get("created_at") or now
            new_leads.append(
                Lead(
                    board_id=board_id,
                    stage_id=stage_id,
                    campaign_id=campaign_of(item.campaign),
                    position=next_rank(stage_id),
                    stage_entered_at=created_at,
                    created_at=created_at,
                    attributes=item.attributes,
                    **fields,
                )
            )
    for start in range(0, len(new_leads), CHUNK):
        chunk = Lead.objects.bulk_create(new_leads[start : start + CHUNK])
        reasons = new_reasons[start : start + CHUNK]
        StageTransition.objects.bulk_create(
            StageTransition(
                board_id=board_id,
                lead_id=lead.pk,
                from_stage=None,
                to_stage_id=lead.stage_id,
                actor=actor,
                at=lead.created_at,
                source=TransitionSource.IMPORT,
                batch=result.batch,
                reason=reason,
            )
            for lead, reason in zip(chunk, reasons, strict=True)
        )
        done += len(chunk)
        if progress:
            progress("write", done, total)

    updates: dict[tuple[str, ...], list[Lead]] = {}
    for item in plan:
        if item.action != "update" or item.lead_id is None:
            continue
        current = item.current
        changes = dict(item.changes)
        if item.campaign is not None:
            changes["campaign_id"] = campaign_of(item.campaign)
        to_stage = stage_of(item.stage)
        if to_stage is not None:
            moves.append(
                (item.lead_id, current["stage_id"], to_stage, current["position"], item.reason)
            )
            changes |= {
                "stage_id": to_stage,
                "stage_entered_at": now,
                "position": next_rank(to_stage),
            }
        changes |= {"version": current["version"] + 1, "updated_at": now}
        updates.setdefault(tuple(sorted(changes)), []).append(Lead(pk=item.lead_id, **changes))
    for names, leads in updates.items():
        Lead.objects.bulk_update(leads, list(names), batch_size=CHUNK)
        done += len(leads)
        if progress:
            progress("write", done, total)
    StageTransition.objects.bulk_create(
        (
            StageTransition(
                board_id=board_id,
                lead_id=lead_id,
                from_stage_id=from_stage,
                to_stage_id=to_stage,
                actor=actor,
                at=now,
                source=TransitionSource.IMPORT,
                batch=result.batch,
                from_position=left,
                reason=reason,
            )
            for lead_id, from_stage, to_stage, left, reason in moves
        ),
        batch_size=CHUNK,
    )
    if result.created or result.updated or result.stages_created or result.campaigns_created:
        event = event_append(
            board_id=board_id,
            payload=LeadsImportedPayload(
                batch=result.batch,
                created=result.created,
                updated=result.updated,
                moved=len(moves),
                stages_created=result.stages_created,
                campaigns_created=result.campaigns_created,
            ),
            actor=actor,
            membership=membership,
            at=now,
        )
        result.seq, result.event = event.seq, event.message
    else:
        result.batch = None  # nothing changed: a re-import leaves no trace
    return result


def stage_ids_by_name(board_id: int) -> dict[str, int]:
    """The board's live stage ids by lower-case name."""
    return {
        name.lower(): pk
        for pk, name in Stage.objects.filter(board_id=board_id).values_list("id", "name")
    }


def stage_known(stage_by_name: dict[str, int], name: str) -> int | None:
    """The stage a file's stage name means: the board's own name, else a system's
    name for a default stage (``STAGE_SYNONYMS``)."""
    key = name.lower()
    if key in stage_by_name:
        return stage_by_name[key]
    synonym = importers.STAGE_SYNONYMS.get(key)
    return stage_by_name.get(synonym) if synonym else None


def stages_missing(board_id: int, rows: list[importers.ImportRow]) -> bool:
    """Does any row name a stage the board does not have?"""
    known = stage_ids_by_name(board_id)
    return any(
        stage_known(known, row.fields["stage"]) is None for row in rows if row.fields.get("stage")
    )


def campaigns_create(board_id: int, names: list[str], channels: dict[str, str]) -> dict[str, int]:
    """The board's campaign ids by lower-case name, after creating ``names``."""
    for name in names:
        Campaign.objects.create(
            board_id=board_id, name=name, channel=channels.get(name.lower(), "")[:60]
        )
    return {
        name.lower(): pk
        for pk, name in Campaign.objects.filter(board_id=board_id).values_list("id", "name")
    }


def import_plan(
    board_id: int,
    rows: list[importers.ImportRow],
    *,
    create_missing: bool,
    result: ImportResult,
    lock: bool = False,
) -> list[Planned]:
    """Match rows to leads, stages and campaigns; fill ``result`` (counts, preview,
    errors). ``lock``: lock the matched leads (a real run)."""
    stage_by_name = stage_ids_by_name(board_id)
    campaign_by_name = {
        name.lower(): pk
        for pk, name in Campaign.objects.filter(board_id=board_id).values_list("id", "name")
    }
    by_external: dict[str, int] = {}
    by_email: dict[str, int] = {}
    for pk, external_id, email in (
        Lead.objects.filter(board_id=board_id)
        .order_by("id")
        .values_list("id", "external_id", "email")
        .iterator(chunk_size=20000)
    ):
        if external_id:
            by_external.setdefault(external_id, pk)
        if email:
            by_email.setdefault(email.lower(), pk)

    stages_new: dict[str, str] = {}
    campaigns_new: dict[str, str] = {}

    def resolve(kind: str, name: str | None, row: int) -> int | str | None:
        if not name:
            return None
        key = name.lower()
        known, new = (
            (stage_by_name, stages_new) if kind == "stage" else (campaign_by_name, campaigns_new)
        )
        found = stage_known(known, name) if kind == "stage" else known.get(key)
        if found is not None:
            return found
        if create_missing:
            if kind == "stage" and key not in new and len(name.strip()) > NAME_MAX:
                result.errors.append(
                    {
                        "row": row,
                        "field": kind,
                        "message": f"A stage name has at most {NAME_MAX} characters.",
                    }
                )
                return None
            new.setdefault(key, name)
            return new[key]
        result.errors.append(
            {
                "row": row,
                "field": kind,
                "message": f"No {kind} named {name!r} on this board "
                "(import with create_missing to create it).",
            }
        )
        return None

    matched: dict[int, int] = {}  # lead id -> row
    plan: list[Planned] = []
    for row in rows:
        fields = row.fields
        stage = resolve("stage", fields.get("stage"), row.row)
        campaign = resolve("campaign", fields.get("campaign"), row.row)
        lead_id = by_external.get(fields.get("external_id") or "")
        if lead_id is None and fields.get("email"):
            lead_id = by_email.get(fields["email"].lower())
        if lead_id is not None:
            other = matched.setdefault(lead_id, row.row)
            if other != row.row:
                result.errors.append(
                    {
                        "row": row.row,
                        "field": None,
                        "message": f"Rows {other} and {row.row} both match lead {lead_id}.",
                    }
                )
                continue
        plan.append(Planned(row.row, fields, row.attributes, lead_id, stage, campaign))
    result.stages_created = list(stages_new.values())
    result.campaigns_created = list(campaigns_new.values())
    if len(stage_by_name) + len(stages_new) > STAGES_MAX:
        result.errors.append(
            {
                "row": None,
                "field": "stage",
                "message": f"The import would give the board {len(stage_by_name) + len(stages_new)}"
                f" stages; a board has at most {STAGES_MAX}.",
            }
        )
    if result.errors:
        return plan

    currents = leads_current(sorted(matched), lock=lock)
    lost_stages = {
        pk: stage
        for pk, stage in Stage.objects.in_bulk(list(stage_by_name.values())).items()
        if stage.kind == StageKind.LOST
    }
    for item in plan:
        problem = row_reason(board_id, item, lost_stages, currents)
        if problem:
            result.errors.append({"row": item.row, "field": "reason", "message": problem})
    if result.errors:
        return plan
    for item in plan:
        if item.lead_id is None:
            result.created += 1
            result.preview.append(
                {"row": item.row, "action": "create", "lead": None, "name": item.source["name"]}
            )
            continue
        item.current = current = currents[item.lead_id]
        item.changes = {
            f: item.source[f]
            for f in (*PLAIN_FIELDS, "external_id")
            if f in item.source and differs(f, current[f], item.source[f])
        }
        merged = {**current["attributes"], **item.attributes}
        if merged != current["attributes"]:
            problem = attributes_problem(merged)
            if problem:
                result.errors.append({"row": item.row, "field": None, "message": problem})
                continue
            item.changes["attributes"] = merged
        if item.stage == current["stage_id"]:
            item.stage = None
        if item.campaign == current["campaign_id"]:
            item.campaign = None
        changed = sorted(item.changes)
        changed += ["stage"] if item.stage is not None else []
        changed += ["campaign"] if item.campaign is not None else []
        if not changed:
            item.action = "unchanged"
            result.unchanged += 1
            continue
        item.action = "update"
        result.updated += 1
        result.preview.append(
            {
                "row": item.row,
                "action": "update",
                "lead": item.lead_id,
                "name": current["name"],
                "changes": changed,
            }
        )
    return plan


def row_reason(
    board_id: int,
    item: Planned,
    lost_stages: dict[int, Stage],
    currents: dict[int, dict[str, Any]],
) -> str | None:
    """Set the lost reason a row stores when its lead enters a lost stage: the
    row's ``reason`` column (one of the board's lost reasons), else "Imported"
    (a file names no person to ask: ``lost_reason_for`` with ``system``). The
    problem of a reason the board does not list, for the row's error."""
    stage_id = item.stage if isinstance(item.stage, int) else None
    if item.lead_id is None and stage_id is None:
        return None  # the first stage: never a lost one
    if stage_id is None or stage_id not in lost_stages:
        return None
    if item.lead_id is not None and currents[item.lead_id]["stage_id"] == stage_id:
        return None  # already there: no entry, nothing stored
    given = str(item.source.get("reason") or "")
    try:
        item.reason = lost_reason_for(
            board_id=board_id, stage=lost_stages[stage_id], reason=given, system=not given
        )
    except InvalidInput as problem:
        return problem.detail
    return None


def differs(name: str, old: Any, new: Any) -> bool:
    if name == "email":
        return str(old).lower() != str(new).lower()
    if name == "value":
        return Decimal(str(old)) != Decimal(str(new))
    return old != new


def leads_current(lead_ids: list[int], *, lock: bool) -> dict[int, dict[str, Any]]:
    """The matched leads as they are now; ``lock``: locked in id order."""
    currents: dict[int, dict[str, Any]] = {}
    for start in range(0, len(lead_ids), CHUNK):
        leads = Lead.objects.filter(pk__in=lead_ids[start : start + CHUNK]).order_by("id")
        if lock:
            leads = leads.select_for_update(no_key=True)
        for row in leads.values(
            "id",
            *PLAIN_FIELDS,
            "external_id",
            "stage_id",
            "campaign_id",
            "attributes",
            "position",
            "version",
        ):
            currents[row["id"]] = row
    return currents
