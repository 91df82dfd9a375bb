"""Upsert by external id, the integration API: the marketing system or the CRM
sends its record, the board creates or brings up to date the lead that carries
its id. The same call twice writes nothing the second time."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from django.db import connection

from leads.access import membership_for_write

from ..errors import InvalidInput
from ..models import Campaign, Lead, Stage, TransitionSource
from .imports import differs
from .leads import lead_create, lead_move, lead_update
from .tx import write_transaction


@dataclass(frozen=True)
class UpsertResult:
    lead: Lead
    created: bool
    changed: list[str]


def stage_by_ref(board_id: int, ref: Any) -> int:
    """A stage of the board by id or by name (case-insensitive)."""
    stages = Stage.objects.filter(board_id=board_id)
    found = (
        stages.filter(pk=ref) if isinstance(ref, int) else stages.filter(name__iexact=str(ref))
    ).values_list("id", flat=True)
    if not found:
        raise InvalidInput(f"No stage {ref!r} on this board.", field="stage")
    return found[0]


def campaign_by_ref(board_id: int, ref: Any) -> int:
    campaigns = Campaign.objects.filter(board_id=board_id)
    found = (
        campaigns.filter(pk=ref)
        if isinstance(ref, int)
        else campaigns.filter(name__iexact=str(ref))
    ).values_list("id", flat=True)
    if not found:
        raise InvalidInput(f"No campaign {ref!r} on this board.", field="campaign")
    return found[0]


def upsert_lock(board_id: int, external_id: str) -> None:
    """Two upserts of one new external id must not both create it. PostgreSQL: a
    transaction advisory lock taken before any row lock (so outside the row lock
    order). SQLite has one writer at a time already."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"{board_id}:{external_id}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [board_id, key - 2**31])


@write_transaction
def lead_upsert(
    *, board_id: int, actor: Any, external_id: str, fields: dict[str, Any]
) -> UpsertResult:
    """Create the lead with this external id, or bring it to ``fields``. The same
    call twice writes nothing the second time (no transition, no event, same version).
    ``attributes`` are merged into the lead's; ``stage``/``campaign`` by id or name."""
    membership_for_write(board_id, actor)
    external_id = external_id.strip()
    if not external_id:
        raise InvalidInput("external_id is required.", field="external_id")
    upsert_lock(board_id, external_id)
    fields = dict(fields)
    reason = str(fields.pop("reason", "") or "")
    stage_ref, campaign_ref = fields.pop("stage", None), fields.pop("campaign", None)
    stage_id = stage_by_ref(board_id, stage_ref) if stage_ref is not None else None
    campaign_id = campaign_by_ref(board_id, campaign_ref) if campaign_ref is not None else None
    lead = Lead.objects.filter(board_id=board_id, external_id=external_id).order_by("id").first()
    if lead is None:
        if not fields.get("name"):
            raise InvalidInput("name is required for a new lead.", field="name")
        lead = lead_create(
            board_id=board_id,
            actor=actor,
            external_id=external_id,
            stage_id=stage_id,
            campaign_id=campaign_id,
            transition_source=TransitionSource.API,
            reason=reason,
            **fields,
        )
        return UpsertResult(lead=lead, created=True, changed=[])
    changes = {
        name: value
        for name, value in fields.items()
        if name != "attributes" and differs(name, getattr(lead, name), value)
    }
    if "attributes" in fields:
        merged = {**lead.attributes, **fields["attributes"]}
        if merged != lead.attributes:
            changes["attributes"] = merged
    if campaign_id is not None and campaign_id != lead.campaign_id:
        changes["campaign"] = campaign_id
    changed = sorted(changes)
    # The move first: it locks the target stage before the lead (the lock order).
    if stage_id is not None and stage_id != lead.stage_id:
        # Into a lost stage: the reason given (one of the board's), else "Imported"
        # (a system upserts; nobody to ask).
        lead_move(
            lead_id=lead.pk,
            to_stage_id=stage_id,
            actor=actor,
            source=TransitionSource.API,
            reason=reason,
            system=not reason,
        )
        changed.append("stage")
    if changes:
        lead_update(lead_id=lead.pk, actor=actor, **changes)
    lead.refresh_from_db()
    return UpsertResult(lead=lead, created=False, changed=sorted(changed))
