"""Frames for the funnel numbers: ``funnel.numbers.analytics`` works on these, never on models.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    Max,
    QuerySet,
)

from ..models import (
    Campaign,
    Lead,
    LeadFeedback,
    Stage,
    StageTransition,
)
from ..validation import DATE_MAX, DATE_MIN
from .leads import board_leads_filtered


def stages_frame(board_id: int) -> pd.DataFrame:
    rows = Stage.objects.filter(board_id=board_id).values("id", "name", "position", "kind", "team")
    return pd.DataFrame.from_records(list(rows), columns=["id", "name", "position", "kind", "team"])


def campaigns_frame(board_id: int) -> pd.DataFrame:
    """Every campaign of the board, archived ones too (their numbers stay): id, name,
    channel, cost (NaN: cost missing), archived."""
    rows = Campaign.objects.filter(board_id=board_id).values_list(
        "id", "name", "channel", "cost", "archived_at"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["id", "name", "channel", "cost", "archived_at"]
    )
    # A missing cost (None) becomes NaN here, never 0: the analytics read it as unknown.
    frame["cost"] = frame["cost"].astype("float64")
    frame["archived"] = frame.pop("archived_at").notna()
    return frame


def leads_frame(
    board_id: int, filters: Mapping[str, Any] | None = None, *, ids: Any = None
) -> pd.DataFrame:
    """The board's leads (after the board's filters; ``ids``: only these): id, stage,
    campaign, created, value, owner."""
    leads = board_leads_filtered(board_id=board_id, filters=filters)
    if ids is not None:
        leads = leads.filter(id__in=list(ids))
    frame = columns_frame(
        leads.order_by().values_list("id", "stage_id", "campaign_id", "value", "owner_id"),
        ["id", "stage_id", "campaign_id", "value", "owner_id"],
        times={"created_at": f'"{Lead._meta.db_table}"."created_at"'},
    )
    frame = frame.astype(
        {
            "id": "int64",
            "stage_id": "int64",
            "campaign_id": "float64",
            "value": "float64",
            "owner_id": "float64",
        }
    )
    return frame[["id", "stage_id", "campaign_id", "created_at", "value", "owner_id"]]


def transitions_frame(board_id: int, *, until: Any = None, kept: bool = True) -> pd.DataFrame:
    """Every transition of the board in order; ``undone`` marks an undone transition
    and its reversal (both are left out of the numbers). ``until``: only those at or
    before that moment, so an undo made later does not rewrite what stood then.
    ``kept``: through the kept frame of a big board (else read once, and not kept).

    ``undone`` is worked out in pandas from ``reverts_id`` (a reversal, or a
    transition that a reversal at or before ``until`` points at)."""
    if kept:
        raw = board_transitions_raw(board_id)
    else:
        raw = read_transitions(StageTransition.objects.filter(board_id=board_id))
    if until is not None:
        raw = raw[raw["at"] <= pd.Timestamp(until)]
    return transitions_of(raw)


def transitions_of(raw: pd.DataFrame) -> pd.DataFrame:
    """``transitions_frame`` of rows of ``board_transitions_raw`` (a lead's reversal
    points at a transition of the same lead: a lead's rows are enough for its own)."""
    reverts = raw["reverts_id"]
    undone = reverts.notna() | raw["id"].isin(reverts.dropna().astype("int64"))
    return pd.DataFrame(
        {
            "id": raw["id"],
            "lead_id": raw["lead_id"],
            "from_stage_id": raw["from_stage_id"],
            "to_stage_id": raw["to_stage_id"],
            "at": raw["at"],
            "undone": undone.astype(bool),
            "reason": raw["reason"],
        }
    )


TRANSITION_COLUMNS = ["id", "lead_id", "from_stage_id", "to_stage_id", "reverts_id", "reason"]


@dataclass
class KeptFrame:
    raw: pd.DataFrame
    count: int
    max_id: int
    size: int  # bytes


def frame_bytes(frame: pd.DataFrame) -> int:
    """What the frame holds in memory, its strings included."""
    return int(frame.memory_usage(index=True, deep=True).sum())


kept_frames: OrderedDict[tuple[str, int, str], KeptFrame] = OrderedDict()
kept_frames_lock = threading.Lock()


def board_transitions_raw(board_id: int) -> pd.DataFrame:
    """The board's transitions by (at, id): id, lead, from, to, reverts, at, reason
    (``kept_frame``)."""
    rows = StageTransition.objects.filter(board_id=board_id)
    return kept_frame("transitions", board_id, rows, read_transitions)


def kept_frame(
    kind: str,
    board_id: int,
    rows: QuerySet[Any],
    read: Callable[[QuerySet[Any]], pd.DataFrame],
) -> pd.DataFrame:
    """``read(rows)``: the frame of rows that are only ever added (or deleted with
    their lead), never updated, such as a board's transitions or verdicts.

    A big board's frame stays in this process's memory; one aggregate query checks it:
    rows with a higher id are read and appended; any other difference in count (a
    deleted lead, a late commit of a lower id) reads the board again. Kept from
    ``NUMBERS_FRAMES_MIN`` rows on, every board's frames together in at most
    ``NUMBERS_FRAMES_BYTES``: the least recently read go first, and a frame bigger
    than the budget is never kept. Callers never change the frame they get."""
    totals = rows.aggregate(count=Count("id"), max_id=Max("id"))
    count, max_id = totals["count"], totals["max_id"] or 0
    key = (str(connection.settings_dict["NAME"]), board_id, kind)
    if count < settings.NUMBERS_FRAMES_MIN:
        return read(rows)
    with kept_frames_lock:
        cached = kept_frames.get(key)
    raw, size = None, 0
    if cached is not None and cached.max_id <= max_id:
        if cached.count == count and cached.max_id == max_id:
            raw, size = cached.raw, cached.size
        else:
            added = read(rows.filter(id__gt=cached.max_id))
            if cached.count + len(added) == count:
                raw = sort_by_time(pd.concat([cached.raw, added], ignore_index=True))
                size = cached.size + frame_bytes(added)
    if raw is None:
        raw = read(rows)
        size = frame_bytes(raw)
    budget = int(settings.NUMBERS_FRAMES_BYTES)
    with kept_frames_lock:
        kept_frames.pop(key, None)
        if size <= budget:
            kept_frames[key] = KeptFrame(raw=raw, count=count, max_id=max_id, size=size)
        while sum(kept.size for kept in kept_frames.values()) > budget:
            kept_frames.popitem(last=False)
    return raw


def read_transitions(
    transitions: QuerySet[StageTransition], *, whole_board: bool = True
) -> pd.DataFrame:
    table = StageTransition._meta.db_table
    raw = columns_frame(
        transitions.order_by().values_list(*TRANSITION_COLUMNS),
        TRANSITION_COLUMNS,
        times={"at": f'"{table}"."at"'},
        # SQLite: one sequential pass over the table reads a big board ~3x faster than
        # a million lookups through the (board, at) index; the order is made below.
        sqlite_table_scan=f'"{table}"' if whole_board else None,
    )
    return sort_by_time(typed_transitions(raw))


def leads_transitions_raw(board_id: int, lead_ids: Any) -> pd.DataFrame:
    """``board_transitions_raw`` of some leads only, read through the lead index."""
    rows = StageTransition.objects.filter(board_id=board_id, lead_id__in=list(lead_ids))
    return read_transitions(rows, whole_board=False)


def leads_feedback_frame(board_id: int, lead_ids: Any) -> pd.DataFrame:
    """``feedback_frame`` of some leads only."""
    rows = LeadFeedback.objects.filter(lead__board_id=board_id, lead_id__in=list(lead_ids))
    return read_feedback(rows)


def typed_transitions(raw: pd.DataFrame) -> pd.DataFrame:
    """Columns as the numbers read them, made once per row read (not per computation):
    ids int64, from and reverts float64 (NaN: none), the lost reason of an entry
    into a lost stage as text ("" for any other move)."""
    return raw.astype(
        {
            "id": "int64",
            "lead_id": "int64",
            "from_stage_id": "float64",
            "to_stage_id": "int64",
            "reverts_id": "float64",
        }
    ).assign(reason=raw["reason"].astype(object).fillna("").astype(str))


def sort_by_time(raw: pd.DataFrame) -> pd.DataFrame:
    order = np.lexsort((raw["id"].to_numpy(), raw["at"].astype("int64").to_numpy()))
    return raw.iloc[order].reset_index(drop=True)


def columns_frame(
    query: QuerySet,
    columns: list[str],
    times: dict[str, str],
    *,
    sqlite_table_scan: str | None = None,
) -> pd.DataFrame:
    """Run a ``values_list`` query (plus moments, read as integer microseconds) straight
    into columns: no model instances, no per-row conversions in Python. On PostgreSQL
    the rows stream through ``COPY ... TO STDOUT`` as CSV into pandas' C parser.

    ``times``: output column -> qualified SQL column of a ``DateTimeField`` (UTC)."""
    sql, params = query.query.sql_with_params()
    postgres = connection.vendor == "postgresql"
    exprs = [
        f"(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint"
        if postgres
        # Django keeps SQLite moments as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (and its
        # cursor turns "%%" into "%").
        else f"({sqlite_seconds(column)} * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"
        for column in times.values()
    ]
    if exprs:
        head, tail = sql.split(" FROM ", 1)
        sql = f"{head}, {', '.join(exprs)} FROM {tail}"
    if sqlite_table_scan and not postgres:
        sql = sql.replace(f"FROM {sqlite_table_scan}", f"FROM {sqlite_table_scan} NOT INDEXED", 1)
    names = [*columns, *times]
    with connection.cursor() as cursor:
        if postgres:
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for block in copy:
                    buffer.write(block)
            buffer.seek(0)
            frame = (
                pd.read_csv(buffer, header=None, names=names, keep_default_na=False, na_values=[""])
                if buffer.getbuffer().nbytes
                else pd.DataFrame(columns=names)
            )
        else:
            cursor.execute(sql, params)
            frame = rows_frame(cursor.fetchall(), names)
    # A moment outside what the board accepts (a row stored before the check, see
    # leads.validation) is read at the nearest bound: the numbers never overflow.
    lowest, highest = (int(bound.timestamp() * 1_000_000) for bound in (DATE_MIN, DATE_MAX))
    for name in times:
        micros = pd.to_numeric(frame[name]).astype("int64").clip(lowest, highest)
        frame[name] = pd.to_datetime(micros, unit="us", utc=True).astype("datetime64[ns, UTC]")
    return frame


def rows_frame(rows: list[tuple], names: list[str]) -> pd.DataFrame:
    """Rows to columns; numbers (NULL -> NaN) as float64, anything else as objects."""
    if not rows:
        return pd.DataFrame(columns=names)
    columns: dict[str, Any] = {}
    for name, values in zip(names, zip(*rows, strict=True), strict=True):
        if any(isinstance(value, str | bytes) for value in values[:100]):
            columns[name] = np.array(values, dtype=object)
            continue
        try:
            columns[name] = np.array(values, dtype="float64")
        except (TypeError, ValueError):
            columns[name] = np.array(values, dtype=object)
    return pd.DataFrame(columns)


def sqlite_seconds(column: str) -> str:
    import sqlite3

    if sqlite3.sqlite_version_info >= (3, 38, 0):
        return f"unixepoch({column})"  # C-fast; strftime('%s') costs ~3x more per row
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def feedback_frame(board_id: int) -> pd.DataFrame:
    """Handoff feedback on the board's leads by (at, id): id, lead_id, verdict, reason,
    at (``kept_frame``: verdicts are only added)."""
    rows = LeadFeedback.objects.filter(lead__board_id=board_id)
    return kept_frame("feedback", board_id, rows, read_feedback)


def read_feedback(rows: QuerySet[LeadFeedback]) -> pd.DataFrame:
    frame = columns_frame(
        rows.order_by("at", "id").values_list("id", "lead_id", "verdict", "reason"),
        ["id", "lead_id", "verdict", "reason"],
        times={"at": f'"{LeadFeedback._meta.db_table}"."at"'},
    )
    # All-empty reasons read back from CSV as a float column: text first, then fill.
    frame["reason"] = frame["reason"].astype(object).fillna("").astype(str)
    return frame.astype({"id": "int64", "lead_id": "int64"})
