"""CSV exports, streamed: the board's leads (with the board's filters) and its
transitions for a period. Cells a spreadsheet would run as a formula are
neutralized (a leading ``'``), whatever the lead's data holds."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from leads.integrations.spreadsheet import neutralize
from leads.models import LeadFeedback, StageTransition
from leads.selectors import board_leads_filtered
from leads.validation import mend_text

LEAD_COLUMNS = (
    "id",
    "name",
    "email",
    "company",
    "title",
    "stage",
    "campaign",
    "channel",
    "owner",
    "score",
    "value",
    "days_in_stage",
    "created_at",
    "feedback_verdict",
    "feedback_reason",
    "external_id",
    "crm_id",
    "source",
)
TRANSITION_COLUMNS = (
    "id",
    "at",
    "lead_id",
    "lead",
    "from_stage",
    "to_stage",
    "actor",
    "source",
    "batch",
    "undo",
    "note",
)
CHUNK = 2000
SPOOL_MEMORY = 8 * 2**20  # bytes of an export kept in memory before it goes to disk


class _Echo:
    """A file whose ``write`` hands the line back: csv.writer without a buffer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([neutralize(cell) for cell in row])


def csv_file(rows: Iterable[Iterable[Any]]) -> IO[bytes]:
    """The CSV of ``rows``, UTF-8, complete, rewound. Text that is not valid
    Unicode (a row stored before ``leads.validation`` checked it) is written
    with U+FFFD in its place, so one bad cell cannot break the file."""
    # Handed open to the response, which closes it once sent.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115
    try:
        for line in csv_lines(rows):
            try:
                spool.write(line.encode("utf-8"))
            except UnicodeEncodeError:
                spool.write(mend_text(line).encode("utf-8"))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def lead_rows(board_id: int, filters: Mapping[str, Any] | None) -> Iterator[list[Any]]:
    """Header, then one row per lead; attribute keys become extra columns. Raises
    ``InvalidInput`` for bad filters before the first row (so before streaming)."""
    leads = board_leads_filtered(board_id=board_id, filters=filters).filter(
        archived_at__isnull=True  # the current leads; the transitions export keeps every one
    )
    keys: set[str] = set()
    for attributes in leads.values_list("attributes", flat=True).iterator(chunk_size=CHUNK):
        keys.update(attributes or {})
    extra = sorted(keys - set(LEAD_COLUMNS))
    return _lead_rows(leads, extra)


def _lead_rows(leads: Any, extra: list[str]) -> Iterator[list[Any]]:
    yield [*LEAD_COLUMNS, *extra]
    now = timezone.now()
    latest = LeadFeedback.objects.filter(lead_id=OuterRef("pk")).order_by("-at", "-id")
    rows = (
        leads.annotate(
            feedback_verdict=Subquery(latest.values("verdict")[:1]),
            feedback_reason=Subquery(latest.values("reason")[:1]),
        )
        .order_by("stage__position", "position", "id")
        .values(
            "id",
            "name",
            "email",
            "company",
            "title",
            "stage__name",
            "campaign__name",
            "campaign__channel",
            "owner__username",
            "score",
            "value",
            "stage_entered_at",
            "created_at",
            "feedback_verdict",
            "feedback_reason",
            "external_id",
            "crm_id",
            "source",
            "attributes",
        )
        .iterator(chunk_size=CHUNK)
    )
    for row in rows:
        attributes = row["attributes"] or {}
        yield [
            row["id"],
            row["name"],
            row["email"],
            row["company"],
            row["title"],
            row["stage__name"],
            row["campaign__name"] or "",
            row["campaign__channel"] or "",
            row["owner__username"] or "",
            row["score"],
            row["value"],
            (now - row["stage_entered_at"]).days,
            iso(row["created_at"]),
            row["feedback_verdict"] or "",
            row["feedback_reason"] or "",
            row["external_id"],
            row["crm_id"],
            row["source"],
            *(stringify(attributes.get(key, "")) for key in extra),
        ]


def stringify(value: Any) -> Any:
    return value if isinstance(value, str | int | float) else str(value)


def transition_rows(
    board_id: int, start: dt.datetime | None, end: dt.datetime | None
) -> Iterator[list[Any]]:
    """The board's transitions at ``[start, end)``, oldest first."""
    transitions = StageTransition.objects.filter(board_id=board_id)
    if start is not None:
        transitions = transitions.filter(at__gte=start)
    if end is not None:
        transitions = transitions.filter(at__lt=end)
    yield list(TRANSITION_COLUMNS)
    for row in (
        transitions.order_by("at", "id")
        .values_list(
            "id",
            "at",
            "lead_id",
            "lead__name",
            "from_stage__name",
            "to_stage__name",
            "actor__username",
            "source",
            "batch",
            "reverts_id",
            "note",
        )
        .iterator(chunk_size=CHUNK)
    ):
        (pk, at, lead_id, lead, from_stage, to_stage, actor, source, batch, reverts, note) = row
        undo = f"reverts {reverts}" if reverts else ""
        yield [
            pk,
            iso(at),
            lead_id,
            lead,
            from_stage or "",
            to_stage,
            actor or "",
            source,
            batch or "",
            undo,
            note,
        ]
