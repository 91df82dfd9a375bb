"""The board's per-stage counts and values (``StageTally``) and per-stage counts by
entry day (``StageDayTally``), kept as the leads change.

Each write path shifts the tallies in its own transaction: ``tallies_shift`` with
the deltas it knows (one lead), or ``tallies_around`` over the leads it rewrites
(subtracts them as they were, adds them as they are). A shift names the lead's
stage, campaign, count and value deltas and when it entered the stage (its day
counts). ``board_tallies_drift`` compares with a fresh count;
``board_tallies_rebuild`` recounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from ..models import Lead, StageDayTally, StageTally

Key = tuple[int, int]  # (stage id, campaign id or 0)
DayKey = tuple[int, date]  # (stage id, UTC day of entry)
# (stage, campaign, count delta, value delta, stage entered at: a moment or its UTC day)
Shift = tuple[int, int | None, int, Any, datetime | date]


def cents(value: Any) -> int:
    return int((Decimal(str(value or 0)) * 100).to_integral_value())


def entry_day(entered: datetime | date) -> date:
    """The UTC day of a stage entry (``StageDayTally.day``)."""
    return entered.astimezone(UTC).date() if isinstance(entered, datetime) else entered


def tally_of(lead: Any) -> tuple[int, int | None]:
    """A lead's ``(stage, campaign)``, the start of its shifts."""
    return lead.stage_id, lead.campaign_id


def tallies_shift(board_id: int, shifts: Iterable[Shift]) -> None:
    """Add ``(stage, campaign, count, value, entered)`` deltas (value a Decimal, or
    cents as an int) to the board's tallies: one upsert per table (``INSERT ... ON
    CONFLICT DO UPDATE``, PostgreSQL and SQLite alike)."""
    summed: dict[Key, list[int]] = {}
    days: dict[DayKey, int] = {}
    for stage_id, campaign_id, count, value, entered in shifts:
        row = summed.setdefault((stage_id, campaign_id or 0), [0, 0])
        row[0] += count
        row[1] += value if isinstance(value, int) else cents(value)
        day = (stage_id, entry_day(entered))
        days[day] = days.get(day, 0) + count
    upsert(
        StageTally,
        ("stage_id", "campaign_key"),
        ("count", "value_cents"),
        board_id,
        [(*key, c, v) for key, (c, v) in sorted(summed.items()) if c or v],
    )
    upsert(
        StageDayTally,
        ("stage_id", "day"),
        ("count",),
        board_id,
        [(*key, c) for key, c in sorted(days.items()) if c],
    )


def upsert(
    model: Any, keys: tuple[str, ...], sums: tuple[str, ...], board_id: int, rows: list[tuple]
) -> None:
    """Add ``rows`` (``keys`` then ``sums`` values) to the board's rows of ``model``."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ("board_id", *keys, *sums)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    added = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in sums)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(map(quote, columns))}) "
            f"VALUES {', '.join([marks] * len(rows))} "
            f"ON CONFLICT ({', '.join(map(quote, ('board_id', *keys)))}) DO UPDATE SET {added}",
            [p for row in rows for p in (board_id, *row)],
        )


def live_tallies(leads: Any) -> list[Shift]:
    """``(stage, campaign, count, value, entry day)`` of the live leads of a queryset:
    one GROUP BY."""
    rows = (
        leads.filter(archived_at__isnull=True)
        .order_by()
        .annotate(day=TruncDate("stage_entered_at", tzinfo=UTC))
        .values("stage_id", "campaign_id", "day")
        .annotate(count=Count("id"), value=Sum("value"))
    )
    return [
        (row["stage_id"], row["campaign_id"], row["count"], row["value"], row["day"])
        for row in rows
    ]


@contextmanager
def tallies_around(board_id: int, lead_ids: Iterable[int]) -> Iterator[None]:
    """Around a write of many leads: their tallies out before, back in after
    (as they then are: stage, value, archived). Two GROUP BYs on their ids."""
    ids = list(lead_ids)
    chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    before = [s for chunk in chunks for s in live_tallies(Lead.objects.filter(pk__in=chunk))]
    yield
    after = [s for chunk in chunks for s in live_tallies(Lead.objects.filter(pk__in=chunk))]
    tallies_shift(board_id, [*((s, k, -c, -cents(v), d) for s, k, c, v, d in before), *after])


def board_tallies_fresh(board_id: int) -> dict[Key, tuple[int, int]]:
    """``{(stage, campaign or 0): (count, cents)}`` counted afresh over the board's
    live leads."""
    return tallies_of(live_tallies(Lead.objects.filter(board_id=board_id)))[0]


def tallies_of(shifts: Iterable[Shift]) -> tuple[dict[Key, tuple[int, int]], dict[DayKey, int]]:
    """The ``StageTally`` and ``StageDayTally`` rows that ``shifts`` add up to."""
    totals: dict[Key, tuple[int, int]] = {}
    days: dict[DayKey, int] = {}
    for stage_id, campaign_id, count, value, entered in shifts:
        key = (stage_id, campaign_id or 0)
        was = totals.get(key, (0, 0))
        totals[key] = (was[0] + count, was[1] + cents(value))
        day = (stage_id, entry_day(entered))
        days[day] = days.get(day, 0) + count
    return (
        {key: row for key, row in totals.items() if row[0]},
        {key: count for key, count in days.items() if count},
    )


def board_days_fresh(board_id: int) -> dict[DayKey, int]:
    """``{(stage, day): count}`` counted afresh over the board's live leads."""
    return tallies_of(live_tallies(Lead.objects.filter(board_id=board_id)))[1]


def board_days_kept(board_id: int) -> dict[DayKey, int]:
    return {
        (stage_id, day): count
        for stage_id, day, count in StageDayTally.objects.filter(board_id=board_id).values_list(
            "stage_id", "day", "count"
        )
        if count
    }


def board_tallies_kept(board_id: int) -> dict[Key, tuple[int, int]]:
    return {
        (stage_id, campaign_key): (count, value)
        for stage_id, campaign_key, count, value in StageTally.objects.filter(
            board_id=board_id
        ).values_list("stage_id", "campaign_key", "count", "value_cents")
        if count or value
    }


def board_tallies_drift(board: Any) -> dict[Any, dict[str, Any]]:
    """What the kept tallies say that a fresh count does not, per stage:
    ``{(stage, campaign or 0): {"kept": (count, cents), "fresh": (count, cents)}}``
    and ``{(stage, day): {"kept": count, "fresh": count}}``; empty when exact."""
    board_id = getattr(board, "pk", board)
    kept, kept_days = board_tallies_kept(board_id), board_days_kept(board_id)
    fresh, fresh_days = tallies_of(live_tallies(Lead.objects.filter(board_id=board_id)))
    drift: dict[Any, dict[str, Any]] = {
        key: {"kept": kept.get(key, (0, 0)), "fresh": fresh.get(key, (0, 0))}
        for key in sorted(set(kept) | set(fresh))
        if kept.get(key, (0, 0)) != fresh.get(key, (0, 0))
    }
    for key in sorted(set(kept_days) | set(fresh_days)):
        if kept_days.get(key, 0) != fresh_days.get(key, 0):
            drift[key] = {"kept": kept_days.get(key, 0), "fresh": fresh_days.get(key, 0)}
    return drift


def board_tallies_rebuild(board: Any) -> None:
    """The board's tallies counted afresh (after a bulk load, or to mend drift)."""
    board_id = getattr(board, "pk", board)
    totals, days = tallies_of(live_tallies(Lead.objects.filter(board_id=board_id)))
    StageTally.objects.filter(board_id=board_id).delete()
    StageTally.objects.bulk_create(
        StageTally(
            board_id=board_id, stage_id=stage_id, campaign_key=key, count=count, value_cents=value
        )
        for (stage_id, key), (count, value) in totals.items()
    )
    StageDayTally.objects.filter(board_id=board_id).delete()
    StageDayTally.objects.bulk_create(
        (
            StageDayTally(board_id=board_id, stage_id=stage_id, day=day, count=count)
            for (stage_id, day), count in days.items()
        ),
        batch_size=5000,
    )
