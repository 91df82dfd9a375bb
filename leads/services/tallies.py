"""The board's per-stage counts and values (``StageTally``), kept as the leads change.

Each write path shifts the tallies in its own transaction: ``tallies_shift`` with
the deltas it knows (one lead), or ``tallies_around`` over the leads it rewrites
(subtracts them as they were, adds them as they are). ``board_tallies_drift``
compares with a fresh count; ``board_tallies_rebuild`` recounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Sum

from ..models import Lead, StageTally

Key = tuple[int, int]  # (stage id, campaign id or 0)
Shift = tuple[int, int | None, int, Any]  # (stage, campaign, count delta, value delta)


def cents(value: Any) -> int:
    return int((Decimal(str(value or 0)) * 100).to_integral_value())


def tallies_shift(board_id: int, shifts: Iterable[Shift]) -> None:
    """Add ``(stage, campaign, count, value)`` deltas (value a Decimal, or cents as
    an int) to the board's tallies: one upsert (``INSERT ... ON CONFLICT DO
    UPDATE``, PostgreSQL and SQLite alike)."""
    summed: dict[Key, list[int]] = {}
    for stage_id, campaign_id, count, value in shifts:
        row = summed.setdefault((stage_id, campaign_id or 0), [0, 0])
        row[0] += count
        row[1] += value if isinstance(value, int) else cents(value)
    rows = [(*key, c, v) for key, (c, v) in sorted(summed.items()) if c or v]
    if not rows:
        return
    table = connection.ops.quote_name(StageTally._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params = [p for row in rows for p in (board_id, *row)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (board_id, stage_id, campaign_key, count, value_cents) "
            f"VALUES {values} ON CONFLICT (board_id, stage_id, campaign_key) DO UPDATE SET "
            f"count = {table}.count + excluded.count, "
            f"value_cents = {table}.value_cents + excluded.value_cents",
            params,
        )


def live_tallies(leads: Any) -> list[Shift]:
    """``(stage, campaign, count, value)`` of the live leads of a queryset: one GROUP BY."""
    rows = (
        leads.filter(archived_at__isnull=True)
        .order_by()
        .values("stage_id", "campaign_id")
        .annotate(count=Count("id"), value=Sum("value"))
    )
    return [(row["stage_id"], row["campaign_id"], row["count"], row["value"]) for row in rows]


@contextmanager
def tallies_around(board_id: int, lead_ids: Iterable[int]) -> Iterator[None]:
    """Around a write of many leads: their tallies out before, back in after
    (as they then are: stage, value, archived). Two GROUP BYs on their ids."""
    ids = list(lead_ids)
    chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    before = [s for chunk in chunks for s in live_tallies(Lead.objects.filter(pk__in=chunk))]
    yield
    after = [s for chunk in chunks for s in live_tallies(Lead.objects.filter(pk__in=chunk))]
    tallies_shift(board_id, [*((s, k, -c, -cents(v)) for s, k, c, v in before), *after])


def board_tallies_fresh(board_id: int) -> dict[Key, tuple[int, int]]:
    """``{(stage, campaign or 0): (count, cents)}`` counted afresh over the board's
    live leads."""
    return {
        (stage_id, campaign_id or 0): (count, cents(value))
        for stage_id, campaign_id, count, value in live_tallies(
            Lead.objects.filter(board_id=board_id)
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


def board_tallies_drift(board: Any) -> dict[Key, dict[str, tuple[int, int]]]:
    """What the kept tallies say that a fresh count does not, per stage:
    ``{(stage, campaign or 0): {"kept": (count, cents), "fresh": (count, cents)}}``;
    empty when exact."""
    board_id = getattr(board, "pk", board)
    kept, fresh = board_tallies_kept(board_id), board_tallies_fresh(board_id)
    return {
        key: {"kept": kept.get(key, (0, 0)), "fresh": fresh.get(key, (0, 0))}
        for key in sorted(set(kept) | set(fresh))
        if kept.get(key, (0, 0)) != fresh.get(key, (0, 0))
    }


def board_tallies_rebuild(board: Any) -> None:
    """The board's tallies counted afresh (after a bulk load, or to mend drift)."""
    board_id = getattr(board, "pk", board)
    StageTally.objects.filter(board_id=board_id).delete()
    StageTally.objects.bulk_create(
        StageTally(
            board_id=board_id, stage_id=stage_id, campaign_key=key, count=count, value_cents=value
        )
        for (stage_id, key), (count, value) in board_tallies_fresh(board_id).items()
    )
