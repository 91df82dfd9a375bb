"""Random write histories through the services, for property tests (hypothesis): a
history is a list of (write, n) steps; ``n`` picks the lead, stage and values."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck
from hypothesis import strategies as st

from leads.errors import Conflict, InvalidInput, NotFound
from leads.models import DEFAULT_LOST_REASONS, Lead, Stage
from leads.services import (
    campaign_move,
    lead_create,
    lead_feedback_record,
    lead_move,
    lead_update,
    transition_undo,
)
from leads.services.archive import lead_archive, lead_erase, lead_restore
from leads.services.bulk import leads_bulk_move
from leads.services.imports import leads_import
from leads.services.stages import stage_delete, stages_reorder

LOST = DEFAULT_LOST_REASONS[0]
# What every write path does to the leads: creates, moves (one, many, a campaign's),
# undo, archive and restore, value edits, imports and a stage's removal.
LEAD_WRITES = [
    "create",
    "move",
    "bulk_move",
    "campaign_move",
    "undo",
    "archive",
    "restore",
    "value",
    "import",
    "stage_delete",
]
# A history's test runs on one board (function-scoped fixtures kept across examples).
ON_ONE_BOARD = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


def histories(writes: list[str], max_size: int = 12) -> st.SearchStrategy:
    return st.lists(
        st.tuples(st.sampled_from(writes), st.integers(0, 1000)), min_size=1, max_size=max_size
    )


def write(board: Any, owner: Any, campaign: Any, op: str, n: int) -> None:
    """One step of a history; a write the services refuse (400, 404, 409) writes nothing."""
    with contextlib.suppress(InvalidInput, Conflict, NotFound):
        write_or_refuse(board, owner, campaign, op, n)


def write_or_refuse(board: Any, owner: Any, campaign: Any, op: str, n: int) -> None:
    stages = list(Stage.objects.filter(board=board).order_by("position"))
    opens = [s for s in stages if s.kind != "lost"]
    leads = list(Lead.objects.filter(board=board, archived_at__isnull=True).order_by("id"))
    archived = list(Lead.objects.filter(board=board, archived_at__isnull=False))
    stage = stages[n % len(stages)]
    reason = LOST if stage.kind == "lost" else ""
    if op == "create" or (not leads and op in ("move", "bulk_move", "archive", "value")):
        lead_create(
            board_id=board.pk,
            actor=owner,
            name=f"L{n}",
            stage_id=opens[n % len(opens)].pk,
            value=Decimal(n) / 4,
            campaign_id=campaign.pk if n % 2 else None,
        )
    elif op == "move":
        lead = leads[n % len(leads)]
        if lead.stage_id != stage.pk:
            lead_move(lead_id=lead.pk, to_stage_id=stage.pk, actor=owner, reason=reason)
    elif op == "bulk_move":
        ids = [lead.pk for lead in leads[:: 1 + n % 3]]
        leads_bulk_move(
            board_id=board.pk, actor=owner, lead_ids=ids, to_stage_id=stage.pk, reason=reason
        )
    elif op == "campaign_move":
        campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages[(n + 1) % len(stages)].pk,
            to_stage_id=stage.pk,
            actor=owner,
            reason=reason,
        )
    elif op == "undo":
        transition_undo(board_id=board.pk, actor=owner)
    elif op == "archive":
        lead_archive(lead_id=leads[n % len(leads)].pk, actor=owner)
    elif op == "restore" and archived:
        lead_restore(lead_id=archived[n % len(archived)].pk, actor=owner)
    elif op == "erase" and leads:
        lead = leads[n % len(leads)]
        lead_erase(lead_id=lead.pk, actor=owner, confirm=lead.name)
    elif op == "value" and leads:
        lead_update(lead_id=leads[n % len(leads)].pk, actor=owner, value=Decimal(n) / 100)
    elif op == "campaign" and leads:
        lead_update(
            lead_id=leads[n % len(leads)].pk, actor=owner, campaign=campaign.pk if n % 3 else None
        )
    elif op == "verdict" and leads:
        accepted = bool(n % 2)
        lead_feedback_record(
            lead_id=leads[n % len(leads)].pk,
            actor=owner,
            verdict="accepted" if accepted else "rejected",
            reason="" if accepted else "Duplicate",
            then="stay" if accepted else ["stay", "recycle", "lost"][n % 3],
        )
    elif op == "import":
        data = f"Name,Email,Stage,Amount\nI{n},i{n % 5}@x.io,{stage.name},{n}\n".encode()
        leads_import(board_id=board.pk, actor=owner, data=data)
    elif op == "reorder" and len(opens) > 2:
        order = [s.pk for s in stages]
        i = n % (len(opens) - 1)
        order[i], order[i + 1] = order[i + 1], order[i]
        stages_reorder(board_id=board.pk, actor=owner, stages=order)
    elif op == "stage_delete" and len(opens) > 2:
        gone, target = opens[1 + n % (len(opens) - 1)], opens[0]
        stage_delete(stage_id=gone.pk, actor=owner, move_to=target.pk)
