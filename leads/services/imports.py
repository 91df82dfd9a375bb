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
Leads the import puts into a stage (new ones, and matched ones it moves there)
go on top of it, in the file's order: a block of ranks above the stage's top card
(``ordering.ranks_on_top``); a move landing there at the same moment may take the
same rank, and the (position, id) order settles the tie.

One pass finds every problem: the cells (``csv_import.parse``) and what the rows
name on the board (stages, campaigns, owners, matched leads, lost reasons). Two
modes: ``all`` (the default) writes nothing when anything is wrong; ``good_rows``
writes the rows without a problem and reports the others (a problem of the whole
file still stops everything). A dry run is the same code without the writes:
the dialog's preview is what the import will do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from leads.access import membership_for_write
from leads.integrations import csv_import as importers

from ..errors import InvalidInput
from ..events import encode, event_append, publish
from ..events.schema import ImportPhase, ImportProgress, LeadsImportedPayload
from ..models import (
    BoardMembership,
    Campaign,
    Lead,
    Stage,
    StageKind,
    StageTransition,
    TransitionSource,
)
from ..rules import display_name_of
from ..validation import attributes_problem
from .ordering import ranks_on_top
from .reasons import lost_reason_for
from .stages import NAME_MAX, STAGES_MAX, import_place_check, stages_insert, stages_lock
from .tallies import tallies_around, tallies_shift, tally_of
from .tx import write_transaction

Progress = Callable[[ImportPhase, int, int], None]

# Lead fields an import or an upsert compares and writes (stage and campaign apart).
PLAIN_FIELDS = ("name", "email", "company", "title", "source", "value", "score", "crm_id")
CHUNK = 1000
MODES = ("all", "good_rows")


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
    mode: str = "all"
    rejected: int = 0  # rows with a problem (left out in good_rows mode)
    rejected_csv: str | None = None  # those rows and their problems, as a file

    @property
    def refused(self) -> bool:
        """Nothing went in (or would) because of the problems: all or nothing with
        any, or a problem of the whole file, or no row without one."""
        if not self.errors:
            return False
        fatal = self.rejected == 0 or any(e["row"] is None for e in self.errors)
        return self.mode == "all" or fatal or not (self.created + self.updated + self.unchanged)

    def as_dict(self, *, preview: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "mode": self.mode,
            "refused": self.refused,
            "rejected": self.rejected,
            "rejected_csv": self.rejected_csv,
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
    owner: int | None = None  # the owner's user id (None: none given)
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
    mode: str = "all",
    progress: Progress | None = None,
) -> ImportResult:
    """Import a CSV export. ``mode`` "all": any problem and nothing is written;
    "good_rows": the rows without a problem are written, the others reported
    (``rejected_csv`` gives them back with their problems). Either way every
    problem is found in one pass. A dry run reads only and returns what a real run
    would do, row by row.

    With ``create_missing``, stages the board does not have are created as open
    stages, in the file's order, right after stage ``new_stages_after`` (an open
    stage) or, by default, before the first won or lost stage; from then on they
    are stages like any other."""
    if mode not in MODES:
        raise InvalidInput(f"mode is one of {', '.join(MODES)} (got {mode!r}).", field="mode")
    membership_for_write(board_id, actor)
    new_stages_after = import_place_check(board_id, new_stages_after)
    parse_progress = (lambda done, total: progress("check", done, total)) if progress else None
    parsed = importers.parse(data, mapping, progress=parse_progress)
    result = ImportResult(dry_run=dry_run, preset=parsed.preset, columns=parsed.columns, mode=mode)
    problems = [problem.as_dict() for problem in parsed.problems]
    if parsed.fatal:
        return result_finished(result, problems, data)
    bad = {problem.row for problem in parsed.problems}
    rows = [row for row in parsed.rows if row.row not in bad]
    if dry_run or (mode == "all" and problems):
        # Nothing will be written: the rows are checked without a lock.
        import_plan(board_id, rows, create_missing=create_missing, result=result)
        return result_finished(result, problems, data)
    return import_write(
        board_id=board_id,
        actor=actor,
        rows=rows,
        problems=problems,
        data=data,
        create_missing=create_missing,
        new_stages_after=new_stages_after,
        result=result,
        progress=progress,
    )


def result_finished(
    result: ImportResult, problems: list[dict[str, Any]], data: bytes
) -> ImportResult:
    """Every problem, the cells' and the plan's, in row order; the rejected rows'
    count and file; nothing counted as going in when the import is refused."""
    errors = [*problems, *result.errors]
    errors.sort(key=lambda e: (e["row"] is not None, e["row"] or 0))
    result.errors = errors
    result.rejected = len({e["row"] for e in errors if e["row"] not in (None, 1)})
    result.rejected_csv = importers.rejected_csv(data, errors) if errors else None
    if result.refused:
        result.created = result.updated = result.unchanged = 0
        result.preview = []
        result.stages_created, result.campaigns_created = [], []
    return result


@write_transaction
def import_write(
    *,
    board_id: int,
    actor: Any,
    rows: list[importers.ImportRow],
    problems: list[dict[str, Any]],
    data: bytes,
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
    result_finished(result, problems, data)
    if result.refused:
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

    def stage_of(ref: int | str | None) -> int | None:
        return stage_ids[ref.lower()] if isinstance(ref, str) else ref

    def campaign_of(ref: int | str | None) -> int | None:
        return campaign_ids[ref.lower()] if isinstance(ref, str) else ref

    # Every lead the import puts into a stage goes on top of it, in file order.
    landing: dict[int, list[Planned]] = {}
    for item in plan:
        if item.action == "create" or (item.action == "update" and item.stage is not None):
            landing.setdefault(stage_of(item.stage) or first_stage, []).append(item)
    rank_of: dict[int, str] = {}  # row -> rank
    for stage_id, items in landing.items():
        stage = Stage(pk=stage_id, board_id=board_id)
        for item, rank in zip(items, ranks_on_top(stage, len(items), exclude=[]), strict=True):
            rank_of[item.row] = rank

    total = len(plan)
    done = 0
    # lead, from, to, rank left, lost reason, when it entered
    moves: list[tuple[int, int, int, str, str, Any]] = []
    new_leads: list[Lead] = []
    new_reasons: list[str] = []  # parallel to new_leads
    for item in plan:
        if item.action == "create":
            new_reasons.append(item.reason)
            stage_id = stage_of(item.stage) or first_stage
            fields = {f: item.source[f] for f in (*PLAIN_FIELDS, "external_id") if f in item.source}
            # Time in stage starts when the file says the lead entered it, else now
            # (never at the CRM's create date: a lead imported a minute ago is new
            # in its stage); a lead is not created after it entered its stage.
            entered = item.source.get("stage_entered_at") or now
            created_at = min(item.source.get("created_at") or entered, entered)
            new_leads.append(
                Lead(
                    board_id=board_id,
                    stage_id=stage_id,
                    campaign_id=campaign_of(item.campaign),
                    owner_id=item.owner,
                    position=rank_of[item.row],
                    stage_entered_at=entered,
                    created_at=created_at,
                    attributes=item.attributes,
                    **fields,
                )
            )
    for start in range(0, len(new_leads), CHUNK):
        chunk = Lead.objects.bulk_create(new_leads[start : start + CHUNK])
        tallies_shift(
            board_id, [(*tally_of(lead), 1, lead.value, lead.stage_entered_at) for lead in chunk]
        )
        reasons = new_reasons[start : start + CHUNK]
        StageTransition.objects.bulk_create(
            StageTransition(
                board_id=board_id,
                lead_id=lead.pk,
                from_stage=None,
                to_stage_id=lead.stage_id,
                actor=actor,
                at=lead.stage_entered_at,
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
            entered = item.source.get("stage_entered_at") or now
            moves.append(
                (
                    item.lead_id,
                    current["stage_id"],
                    to_stage,
                    current["position"],
                    item.reason,
                    entered,
                )
            )
            changes |= {
                "stage_id": to_stage,
                "stage_entered_at": entered,
                "position": rank_of[item.row],
            }
        changes |= {"version": current["version"] + 1, "updated_at": now}
        updates.setdefault(tuple(sorted(changes)), []).append(Lead(pk=item.lead_id, **changes))
    with tallies_around(board_id, [lead.pk for group in updates.values() for lead in group]):
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
                at=entered,
                source=TransitionSource.IMPORT,
                batch=result.batch,
                from_position=left,
                reason=reason,
            )
            for lead_id, from_stage, to_stage, left, reason, entered in moves
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


def members_by_handle(board_id: int) -> tuple[dict[str, int], dict[str, set[int]]]:
    """The board's members as an import names an owner: user ids by lower-case
    email and username, and by full name (a name two members share names neither)."""
    by_handle: dict[str, int] = {}
    by_name: dict[str, set[int]] = {}
    for user_id, username, email, first, last in BoardMembership.objects.filter(
        board_id=board_id
    ).values_list(
        "user_id", "user__username", "user__email", "user__first_name", "user__last_name"
    ):
        if email:
            by_handle.setdefault(email.lower(), user_id)
        by_handle[username.lower()] = user_id
        by_name.setdefault(display_name_of(first, last, username).lower(), set()).add(user_id)
    return by_handle, by_name


def import_plan(
    board_id: int,
    rows: list[importers.ImportRow],
    *,
    create_missing: bool,
    result: ImportResult,
    lock: bool = False,
) -> list[Planned]:
    """Match rows to leads, stages, campaigns and owners; fill ``result`` (counts,
    preview, errors). Every row is checked whatever the others' problems (one pass
    reports all of them); the plan holds the rows without a problem. ``lock``: lock
    the matched leads (a real run)."""
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
    owners, owner_names = (
        members_by_handle(board_id) if any("owner" in r.fields for r in rows) else ({}, {})
    )
    bad: set[int] = set()

    def fail(row: int, field_name: str | None, message: str) -> None:
        bad.add(row)
        result.errors.append({"row": row, "field": field_name, "message": message})

    def resolve(kind: str, name: str | None, row: int) -> int | str | None:
        if not name:
            return None
        known = stage_by_name if kind == "stage" else campaign_by_name
        found = stage_known(known, name) if kind == "stage" else known.get(name.lower())
        if found is not None:
            return found
        if create_missing:
            if kind == "stage" and len(name.strip()) > NAME_MAX:
                fail(row, kind, f"A stage name has at most {NAME_MAX} characters.")
                return None
            return name
        fail(
            row,
            kind,
            f"No {kind} named {name!r} on this board (import with create_missing to create it).",
        )
        return None

    def owner_of(text: str | None, row: int) -> int | None:
        if not text:
            return None
        key = text.strip().lower()
        found = owners.get(key)
        if found is None and len(owner_names.get(key, ())) == 1:
            found = next(iter(owner_names[key]))
        if found is None:
            twice = len(owner_names.get(key, ())) > 1
            fail(
                row,
                "owner",
                f"Two members of this board are named {text!r}: give the owner's email."
                if twice
                else f"No member of this board is {text!r} (an owner is a member's email,"
                " username or name).",
            )
        return found

    matched: dict[int, int] = {}  # lead id -> row
    plan: list[Planned] = []
    for row in rows:
        fields = row.fields
        stage = resolve("stage", fields.get("stage"), row.row)
        campaign = resolve("campaign", fields.get("campaign"), row.row)
        owner = owner_of(fields.get("owner"), row.row)
        lead_id = by_external.get(fields.get("external_id") or "")
        if lead_id is None and fields.get("email"):
            lead_id = by_email.get(fields["email"].lower())
        if lead_id is not None:
            other = matched.setdefault(lead_id, row.row)
            if other != row.row:
                fail(row.row, None, f"Rows {other} and {row.row} both match lead {lead_id}.")
                continue
        item = Planned(row.row, fields, row.attributes, lead_id, stage, campaign)
        item.owner = owner
        plan.append(item)

    currents = leads_current(sorted(matched), lock=lock)
    lost_stages = {
        pk: stage
        for pk, stage in Stage.objects.in_bulk(list(stage_by_name.values())).items()
        if stage.kind == StageKind.LOST
    }
    for item in plan:
        if item.row in bad:
            continue
        problem = row_reason(board_id, item, lost_stages, currents)
        if problem:
            fail(item.row, "reason", problem)
        if item.lead_id is None:
            continue
        item.current = current = currents[item.lead_id]
        item.changes = {
            f: item.source[f]
            for f in (*PLAIN_FIELDS, "external_id")
            if f in item.source and differs(f, current[f], item.source[f])
        }
        if item.owner is not None and item.owner != current["owner_id"]:
            item.changes["owner_id"] = item.owner
        merged = {**current["attributes"], **item.attributes}
        if merged != current["attributes"]:
            problem = attributes_problem(merged)
            if problem:
                fail(item.row, None, problem)
                continue
            item.changes["attributes"] = merged
        if item.stage == current["stage_id"]:
            item.stage = None
        if item.campaign == current["campaign_id"]:
            item.campaign = None
        entered = item.source.get("stage_entered_at")
        if item.stage is not None and entered and entered < current["stage_entered_at"]:
            fail(
                item.row,
                "stage_entered_at",
                f"The stage entered date ({entered.date().isoformat()}) is before the lead"
                f" entered its current stage ({current['stage_entered_at'].date().isoformat()}).",
            )
    plan = [item for item in plan if item.row not in bad]

    # What the good rows create, in the file's order.
    stages_new: dict[str, str] = {}
    campaigns_new: dict[str, str] = {}
    for item in plan:
        if isinstance(item.stage, str):
            stages_new.setdefault(item.stage.lower(), item.stage)
        if isinstance(item.campaign, str):
            campaigns_new.setdefault(item.campaign.lower(), item.campaign)
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
    for item in plan:
        if item.lead_id is None:
            result.created += 1
            result.preview.append(
                {"row": item.row, "action": "create", "lead": None, "name": item.source["name"]}
            )
            continue
        current = item.current
        changed = sorted("owner" if name == "owner_id" else name for name in item.changes)
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
            "owner_id",
            "stage_entered_at",
            "position",
            "version",
        ):
            currents[row["id"]] = row
    return currents
