"""The board as it is now (``/state/``): paged columns, campaigns, people and the handoff lane.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from leads import rules
from leads.models import RejectionReason
from leads.selectors.boards import board_get
from leads.selectors.cards import (
    CARD_FIELDS,
    awaiting_verdict,
    card_from_row,
    cards_from_rows,
    latest_verdict,
)

from ..errors import InvalidInput
from ..events.payloads import CAMPAIGN_FIELDS, campaign_summary
from ..models import (
    BoardMembership,
    Campaign,
    Lead,
    Stage,
    StageDayTally,
    StageTally,
)
from ..ranks import rank_valid
from ..rules import display_name
from ..validation import MAX_ID
from .boards import STAGE_FIELDS
from .compiled import Compiled, Slot, kept_compiled, moment_slot, union_all
from .leads import board_leads_filtered, filters_active, filters_named

STATE_PER_STAGE = 50


STATE_PER_STAGE_MAX = 500


HANDOFF_LANE_MAX = 100  # waiting leads the state carries for the handoff lane


def cursor_encode(position: str, lead_id: int) -> str:
    text = f"{position}:{lead_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[str, int]:
    """``(position, id)`` of the last card already shown."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        position, id_text = text.split(":")
        lead_id = int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("Invalid cursor.", field="cursor") from None
    if not rank_valid(position) or not 0 < lead_id <= MAX_ID:
        raise InvalidInput("Invalid cursor.", field="cursor")
    return position, lead_id


def sort_cursor_encode(sort: str, key: Any, lead_id: int) -> str:
    """A cursor of a stage paged by ``sort``: position keeps its old ``position:id``
    form; the others are ``sort|key|id`` (the key of the last card shown)."""
    if sort == "position":
        return cursor_encode(key, lead_id)
    text = f"{sort}|{key.isoformat() if isinstance(key, datetime) else key}|{lead_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def sort_cursor_decode(cursor: str) -> tuple[str, Any, int]:
    """``(sort, key, id)`` of the last card already shown, by the sort it was paged
    with (a ``position:id`` cursor is the board order's)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("Invalid cursor.", field="cursor") from None
    if "|" not in text:
        position, lead_id = cursor_decode(cursor)
        return "position", position, lead_id
    try:
        sort, key_text, id_text = text.split("|")
        lead_id = int(id_text)
        key: Any
        if sort == "age":
            key = datetime.fromisoformat(key_text)
            if key.tzinfo is None:
                raise ValueError(key_text)
        elif sort == "value":
            key = Decimal(key_text)
            if not key.is_finite():
                raise ValueError(key_text)
        elif sort == "score":
            key = int(key_text)
        else:
            raise ValueError(sort)
    except (ValueError, InvalidOperation):
        raise InvalidInput("Invalid cursor.", field="cursor") from None
    if not 0 < lead_id <= MAX_ID:
        raise InvalidInput("Invalid cursor.", field="cursor")
    return sort, key, lead_id


def stage_page(
    leads: QuerySet[Lead],
    stage_id: int | Slot,
    *,
    per_stage: int,
    after: tuple[Any, int] | None,
    sort: str,
) -> QuerySet[Lead]:
    """The rows of one page of a stage's cards in ``sort``'s order
    (``rules.CARD_SORT_ORDER``, then id), one more than ``per_stage`` to tell
    whether there is a next: a range of the ``lead_live_stage_order`` index in
    board order. ``stage_id`` may be a ``Slot`` (``compiled``)."""
    field, descending = rules.CARD_SORT_ORDER[sort]
    page = leads.filter(stage_id=stage_id)
    if after is not None:
        key, lead_id = after
        beyond = Q(**{f"{field}__lt" if descending else f"{field}__gt": key})
        page = page.filter(beyond | Q(**{field: key}, id__gt=lead_id))
    return (
        page.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by(f"-{field}" if descending else field, "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at")[: per_stage + 1]
    )


def stages_cards(
    leads: QuerySet[Lead],
    sorts: Mapping[int, str],
    *,
    per_stage: int,
    after: tuple[Any, int] | None,
    kept: Hashable | None = None,
) -> dict[int, tuple[list[dict[str, Any]], str | None]]:
    """Per stage of ``sorts`` (stage id -> sort): one page of its cards and the
    cursor of the next (None at the end). One UNION ALL of the stages' pages,
    compiled once per sort (``kept``: ``leads_kept``)."""
    pages_of = {
        sort: kept_compiled(
            (kept, "page", sort, per_stage) if kept is not None and after is None else None,
            partial(stage_page, leads, Slot("stage"), per_stage=per_stage, after=after, sort=sort),
        )
        for sort in set(sorts.values())
    }
    rows = union_all([(pages_of[sort], {"stage": stage_id}) for stage_id, sort in sorts.items()])
    names = next(iter(pages_of.values())).names if pages_of else ()
    by_stage: dict[int, list[dict[str, Any]]] = {stage_id: [] for stage_id in sorts}
    for values in rows:
        row = dict(zip(names, values, strict=True))
        by_stage[row["stage_id"]].append(row)
    pages = {}
    for stage_id, stage_rows in by_stage.items():
        field, descending = rules.CARD_SORT_ORDER[sorts[stage_id]]
        # A UNION ALL keeps no order: each page in its sort again (stable: id first).
        stage_rows.sort(key=lambda row: row["id"])
        stage_rows.sort(key=lambda row: row[field], reverse=descending)
        more = len(stage_rows) > per_stage
        shown = stage_rows[:per_stage]
        last = shown[-1] if more else None
        cursor = sort_cursor_encode(sorts[stage_id], last[field], last["id"]) if last else None
        pages[stage_id] = cards_from_rows(shown), cursor
    return pages


def stage_cards(
    leads: QuerySet[Lead],
    stage_id: int,
    *,
    per_stage: int,
    after: tuple[Any, int] | None,
    sort: str = "position",
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of one stage's cards (``stages_cards``)."""
    return stages_cards(leads, {stage_id: sort}, per_stage=per_stage, after=after)[stage_id]


def stage_middles(
    leads: QuerySet[Lead],
    counts: Mapping[int, int],
    kept: Hashable | None = None,
    days: Mapping[int, list[tuple[date, int]]] | None = None,
) -> dict[int, list[datetime]]:
    """Per non-empty stage of ``counts`` (stage id -> its number of filtered leads):
    the ``stage_entered_at`` of its one or two middle leads by entry (``count`` odd
    or even), a range of the ``lead_live_stage_age`` index; one UNION ALL
    (``kept``: ``leads_kept``). With the board's ``days`` (``board_days``, the
    leads unfiltered) the range starts at the day of the middle lead: it passes
    over that day's leads, not half the stage's."""

    def middle(dated: bool) -> Compiled:
        in_stage = leads.filter(stage_id=Slot("stage"))
        return kept_compiled(
            (kept, "middle", dated) if kept is not None else None,
            lambda: (
                (in_stage.filter(stage_entered_at__gte=moment_slot("from")) if dated else in_stage)
                .order_by("stage_entered_at", "id")
                .values_list("stage_id", "stage_entered_at")
            ),
            paged=True,
        )

    middles: list[tuple[Compiled, dict[str, Any]]] = []
    for stage_id, count in counts.items():
        if not count:
            continue
        rank, limit = (count - 1) // 2, 2 - count % 2
        at, offset = day_of_rank(days.get(stage_id), rank) if days else (None, None)
        if at is None or offset is None:  # no day tallies: from the stage's first lead
            middles.append((middle(False), {"stage": stage_id, "offset": rank, "limit": limit}))
        else:
            values = {"stage": stage_id, "from": at, "offset": offset, "limit": limit}
            middles.append((middle(True), values))
    entered: dict[int, list[datetime]] = {}
    for stage_id, at in union_all(middles):
        entered.setdefault(stage_id, []).append(at)
    return entered


def day_start(day: date) -> datetime:
    """The first moment of a UTC day (``StageDayTally.day``)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_of_rank(
    days: list[tuple[date, int]] | None, rank: int
) -> tuple[datetime | None, int | None]:
    """Where the lead of 0-based ``rank`` by entry is, from a stage's ``(day, count)``
    in day order: the start of its day and its rank from there. ``(None, None)``
    when the days hold fewer leads (they cannot, unless the tallies drifted)."""
    before = 0
    for day, count in days or ():
        if rank < before + count:
            return day_start(day), rank - before
        before += count
    return None, None


def board_days(board_id: int) -> dict[int, list[tuple[date, int]]]:
    """Per stage, its live leads' ``(UTC day of entry, count)`` in day order
    (``StageDayTally``)."""
    days: dict[int, list[tuple[date, int]]] = {}
    for stage_id, day, count in (
        StageDayTally.objects.filter(board_id=board_id, count__gt=0)
        .order_by("stage_id", "day")
        .values_list("stage_id", "day", "count")
    ):
        days.setdefault(stage_id, []).append((day, count))
    return days


def median_age_days(middle: list[datetime] | None, now: datetime) -> float | None:
    """The median of ``now - stage_entered_at`` over a stage's leads, in days, from
    its ``stage_middles``; None for an empty stage."""
    if not middle:
        return None
    return round(sum((now - at) / timedelta(days=1) for at in middle) / len(middle), 2)


def card_sorts_of(board_id: int, user: Any) -> dict[int, str]:
    """The person's remembered sort per stage (``BoardMembership.card_sort``); a
    share link's guest, a stage not named, or a sort no longer known: board order."""
    if not getattr(user, "pk", None):  # a share link's guest has none
        return {}
    stored = (
        BoardMembership.objects.filter(board_id=board_id, user_id=user.pk)
        .values_list("card_sort", flat=True)
        .first()
    )
    sorts: dict[int, str] = {}
    for key, sort in (stored or {}).items():
        if str(key).isdigit() and sort in rules.CARD_SORTS:
            sorts[int(key)] = sort
    return sorts


def campaign_figures(
    board_id: int,
    leads: QuerySet[Lead],
    stage_ids: list[int],
    tallies: list[dict[str, Any]] | None = None,
) -> list[dict]:
    """Every campaign of the board with its (filtered) count and value, in total
    and per stage: one GROUP BY (campaign, stage), or the board's ``tallies``."""
    # By name, code point by code point, then id, whatever the database's collation:
    # the order the board's reducer keeps (reducer.js compareCampaigns).
    campaigns = sorted(
        Campaign.objects.filter(board_id=board_id).values(*CAMPAIGN_FIELDS),
        key=lambda c: (c["name"], c["id"]),
    )
    totals = (
        [row for row in tallies if row["campaign_id"] is not None]
        if tallies is not None
        else leads.filter(campaign_id__isnull=False)
        .values("campaign_id", "stage_id")
        .annotate(count=Count("id"), value=Sum("value"))
    )
    by_campaign: dict[int, dict[str, dict[str, Any]]] = {}
    for row in totals:
        by_campaign.setdefault(row["campaign_id"], {})[str(row["stage_id"])] = {
            "count": row["count"],
            "value": float(row["value"] or 0),
        }
    figures = []
    for campaign in campaigns:
        per_stage = by_campaign.get(campaign["id"], {})
        stages = {
            str(sid): per_stage.get(str(sid), {"count": 0, "value": 0.0}) for sid in stage_ids
        }
        figures.append(
            {
                **campaign_summary(campaign).wire(),
                "count": sum(s["count"] for s in per_stage.values()),
                "value": sum(s["value"] for s in per_stage.values()),
                "stages": stages,
            }
        )
    return figures


def board_people(board_id: int, owner_ids: set[int]) -> dict[str, dict[str, Any]]:
    """The board's members, and any other owner of a card shown."""
    people: dict[str, dict[str, Any]] = {}
    for membership in BoardMembership.objects.filter(board_id=board_id).select_related("user"):
        people[str(membership.user_id)] = person(membership.user, membership.team)
    missing = {pk for pk in owner_ids if str(pk) not in people}
    if missing:
        for user in get_user_model().objects.filter(pk__in=missing):
            people[str(user.pk)] = person(user, None)
    return people


def person(user: Any, team: str | None) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": display_name(user),
        "team": team,
    }


def handoff_lane(
    leads: QuerySet[Lead],
    stage: dict[str, Any] | None,
    *,
    limit: int = HANDOFF_LANE_MAX,
    kept: Hashable | None = None,
) -> dict[str, Any] | None:
    """The handoff lane of the (filtered) ``leads``: those in the handoff stage that
    sales has not judged since they entered it, longest waiting first. Two queries
    (``kept``: ``leads_kept``)."""
    if stage is None:
        return None
    key = (kept, "handoff", stage["id"], limit) if kept is not None else None
    waiting = leads.filter(stage_id=stage["id"]).filter(awaiting_verdict())
    page = kept_compiled(
        key and (*key, "page"),
        lambda: (
            waiting.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
            .order_by("stage_entered_at", "id")
            .values(*CARD_FIELDS, "verdict", "verdict_at")[:limit]
        ),
    )
    rows = [dict(zip(page.names, values, strict=True)) for values in union_all([(page, {})])]
    count = len(rows)
    if count == limit:
        counted = kept_compiled(
            key and (*key, "count"),
            lambda: waiting.values("stage_id").annotate(n=Count("id")).values_list("n"),
        )
        count = sum(n for (n,) in union_all([(counted, {})]))
    return {"stage": stage["id"], "count": count, "leads": cards_from_rows(rows)}


def overdue_count(stages: list[dict[str, Any]], now: datetime | None = None) -> dict[str, Count]:
    """``overdue`` per stage (for a GROUP BY stage): the leads past the stage's SLA
    (``rules.past_sla_since``), counted in the same query as the counts. Nothing
    when no stage has an SLA (every stage's ``overdue`` is 0 then)."""
    past = past_sla(stages, now or timezone.now())
    return {"overdue": Count("id", filter=past)} if past else {}


def past_sla(stages: list[dict[str, Any]], now: datetime, *, past: bool = True) -> Q:
    """The leads past their stage's SLA (``rules.past_sla_since``), or with
    ``past=False`` those of a stage with an SLA still within it; empty when no
    stage has one."""
    leads = Q()
    for stage in stages:
        if stage["sla_days"] is not None:
            since = rules.past_sla_since(stage["sla_days"], now)
            leads |= sla_side(stage["id"], since, past=past)
    return leads


def sla_side(stage_id: int | Slot, since: datetime | Slot, *, past: bool) -> Q:
    """The leads of the stage entered at or before ``since`` (past its SLA), or
    with ``past=False`` after it (within it)."""
    lookup = "stage_entered_at__lte" if past else "stage_entered_at__gt"
    return Q(stage_id=stage_id, **{lookup: since})


def stage_totals(
    leads: QuerySet[Lead], stages: list[dict[str, Any]], now: datetime
) -> dict[int, dict[str, Any]]:
    """Per stage: ``count``, ``value`` and ``overdue`` of the (filtered) leads, one
    GROUP BY over them."""
    return {
        row["stage_id"]: dict(row)
        for row in leads.values("stage_id").annotate(
            count=Count("id"), value=Sum("value"), **overdue_count(stages, now)
        )
    }


def board_tallies(board_id: int) -> list[dict[str, Any]]:
    """The board's tallies (``StageTally``) as the GROUP BY (stage, campaign) rows
    of its live leads would be: ``stage_id``, ``campaign_id``, ``count``, ``value``."""
    return [
        {
            "stage_id": stage_id,
            "campaign_id": key or None,
            "count": count,
            "value": Decimal(cents) / 100,
        }
        for stage_id, key, count, cents in StageTally.objects.filter(
            board_id=board_id, count__gt=0
        ).values_list("stage_id", "campaign_key", "count", "value_cents")
    ]


def stage_totals_kept(
    tallies: list[dict[str, Any]],
    days: Mapping[int, list[tuple[date, int]]],
    leads: QuerySet[Lead],
    stages: list[dict[str, Any]],
    now: datetime,
    kept: Hashable | None = None,
) -> dict[int, dict[str, Any]]:
    """``stage_totals`` of the whole board: counts and values from its ``tallies``,
    ``overdue`` (entered at or before the SLA's ``since``) from its ``days``
    (``board_days``): the leads of the days before since's day, and a count of
    that day's leads up to ``since``, a range of the ``lead_live_stage_age``
    index; one UNION ALL. ``kept``: ``leads_kept``."""
    totals = tally_totals(tallies)
    timed = [s for s in stages if s["sla_days"] is not None and s["id"] in totals]
    on_the_day = kept_compiled(
        (kept, "sla") if kept is not None else None,
        lambda: (
            leads.filter(
                stage_id=Slot("stage"),
                stage_entered_at__gte=moment_slot("from"),
                stage_entered_at__lte=moment_slot("since"),
            )
            .values("stage_id")
            .annotate(n=Count("id"))
            .values_list("stage_id", "n")
        ),
    )
    since = {s["id"]: rules.past_sla_since(s["sla_days"], now) for s in timed}
    counted = dict(
        union_all(
            [
                (
                    on_the_day,
                    {
                        "stage": stage["id"],
                        "from": day_start(since[stage["id"]].astimezone(UTC).date()),
                        "since": since[stage["id"]],
                    },
                )
                for stage in timed
            ]
        )
    )
    for stage in timed:
        day = since[stage["id"]].astimezone(UTC).date()
        before = sum(n for entered, n in days.get(stage["id"], ()) if entered < day)
        totals[stage["id"]]["overdue"] = before + counted.get(stage["id"], 0)
    return totals


def tally_totals(tallies: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per stage: ``count`` and ``value`` summed over its campaigns' ``tallies``."""
    totals: dict[int, dict[str, Any]] = {}
    for row in tallies:
        total = totals.setdefault(row["stage_id"], {"count": 0, "value": Decimal(0)})
        total["count"] += row["count"]
        total["value"] += row["value"]
    return totals


def leads_kept(board_id: int, filters: Mapping[str, Any] | None) -> Hashable | None:
    """The name, for ``kept_compiled``, of the board's live leads when ``filters``
    name no filter: their queries are the same at every ``/state/`` of the board.
    None when filtered (a filter's values, ``overdue``'s moment, are in the SQL)."""
    return None if filters_named(filters) else ("live", board_id)


def board_state_get(
    *,
    board_id: int,
    user: Any,
    filters: Mapping[str, Any] | None = None,
    per_stage: int = STATE_PER_STAGE,
    stage_id: int | None = None,
    cursor: str | None = None,
    sort: str | None = None,
) -> dict[str, Any]:
    """What the board draws: stages with counts, values, ``overdue`` (leads past
    the stage's SLA, now), ``median_age_days`` (the median time the leads there
    now have been in it) and the first cards, campaign figures and the people on
    the cards.

    Each stage's cards come in the person's sort of it (``sort`` on the stage:
    ``BoardMembership.card_sort``, else board order); ``sort`` (with ``stage``)
    asks for another, and a cursor pages by the sort it was made with.

    ``seq`` is read before the data, so a client that applies the events after
    ``seq`` misses none (an event may already be in the data; applying it again
    is harmless since cards carry their version). With ``stage`` (and
    ``cursor``) only that stage's next page is answered; without, ``handoff``
    holds the handoff lane (``handoff_lane``; ``None`` on a board without a
    sales stage). Cards carry sales' latest ``verdict``.

    A fixed number of queries on PostgreSQL (the per-stage ones in UNION ALLs,
    ``union_all``); on SQLite it grows with the stages, never with the leads.
    """
    board = board_get(board_id=board_id, user=user)
    if not 1 <= per_stage <= STATE_PER_STAGE_MAX:
        raise InvalidInput(f"per_stage must be 1 to {STATE_PER_STAGE_MAX}.", field="per_stage")
    paged = sort_cursor_decode(cursor) if cursor else None
    if paged is not None and stage_id is None:
        raise InvalidInput("A cursor pages one stage: give its stage too.", field="stage")
    if sort is not None and stage_id is None:
        raise InvalidInput("A sort applies to one stage: give its stage too.", field="stage")
    if sort is not None and sort not in rules.CARD_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(rules.CARD_SORTS)}.", field="sort")
    if paged is not None and sort is not None and paged[0] != sort:
        raise InvalidInput("The cursor was made for another sort.", field="cursor")
    leads = board_leads_filtered(board_id=board.pk, filters=filters).filter(
        archived_at__isnull=True  # archived leads are off the board
    )
    kept = leads_kept(board.pk, filters)

    stages = list(
        Stage.objects.filter(board_id=board.pk).order_by("position").values(*STAGE_FIELDS)
    )
    stage_ids = [stage["id"] for stage in stages]
    lane = handoff_lane(leads, rules.handoff_stage(stages), kept=kept) if stage_id is None else None
    if stage_id is not None:
        stages = [stage for stage in stages if stage["id"] == stage_id]
        if not stages:
            raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field="stage")
    sorts = card_sorts_of(board.pk, user)
    if stage_id is not None and (paged is not None or sort is not None):
        sorts[stage_id] = paged[0] if paged is not None else str(sort)

    now = timezone.now()
    tallies = None if filters_active(filters) else board_tallies(board.pk)
    days = None if tallies is None else board_days(board.pk)
    if tallies is None or days is None:
        totals = stage_totals(leads, stages, now)
    else:
        totals = stage_totals_kept(tallies, days, leads, stages, now, kept)
    counts = {stage["id"]: totals.get(stage["id"], {}).get("count", 0) for stage in stages}
    middles = stage_middles(leads, counts, kept, days)
    owner_ids: set[int] = (
        {c["owner"] for c in lane["leads"] if c["owner"] is not None} if lane else set()
    )
    after = (paged[1], paged[2]) if paged is not None else None
    stage_sorts = {stage["id"]: sorts.get(stage["id"], "position") for stage in stages}
    pages = stages_cards(leads, stage_sorts, per_stage=per_stage, after=after, kept=kept)
    for stage in stages:
        total = totals.get(stage["id"], {})
        cards, next_cursor = pages[stage["id"]]
        owner_ids.update(c["owner"] for c in cards if c["owner"] is not None)
        stage.update(
            count=counts[stage["id"]],
            value=float(total.get("value") or 0),
            overdue=total.get("overdue", 0),
            median_age_days=median_age_days(middles.get(stage["id"]), now),
            sort=stage_sorts[stage["id"]],
            leads=cards,
            next=next_cursor,
        )
    state = {
        "board": board,
        "seq": board.last_seq,
        "stages": stages,
        "campaigns": campaign_figures(board.pk, leads, stage_ids, tallies),
        "people": board_people(board.pk, owner_ids),
    }
    if stage_id is None:
        state["handoff"] = lane
    return state


HANDOFF_PAGE = 50
HANDOFF_PAGE_MAX = 200


def board_handoff_stage(board_id: int) -> Stage | None:
    """The board's handoff stage (``rules.handoff_stage``)."""
    return rules.handoff_stage(Stage.objects.filter(board_id=board_id).order_by("position"))


def handoff_list(
    *, board_id: int, user: Any, limit: int = HANDOFF_PAGE, offset: int = 0
) -> dict[str, Any]:
    """Leads waiting in the handoff stage for sales' verdict, longest waiting first."""
    board = board_get(board_id=board_id, user=user)
    stage = board_handoff_stage(board.pk)
    if stage is None:
        return {"stage": None, "count": 0, "leads": [], "next": None, "reasons": []}
    waiting: QuerySet[Lead] = Lead.objects.filter(
        board_id=board.pk, stage=stage, archived_at__isnull=True
    ).filter(awaiting_verdict())
    count = waiting.count()
    rows = list(
        waiting.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by("stage_entered_at", "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at", "attributes")[offset : offset + limit]
    )
    leads = []
    for row in rows:
        attributes = row.pop("attributes") or {}
        leads.append(
            {
                **card_from_row(row),
                "attributes": attributes,
                "fields": [*rules.FEEDBACK_FIELDS, *attributes],
            }
        )
    return {
        "stage": {"id": stage.pk, "name": stage.name},
        "count": count,
        "leads": leads,
        "next": offset + limit if offset + limit < count else None,
        "reasons": RejectionReason.labels_of(board.pk),
    }
