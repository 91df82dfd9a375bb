"""Every read that is more than a ``.get()``.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .access import ShareViewer
from .cards import CARD_FIELDS, awaiting_verdict, card_from_row, latest_verdict
from .errors import InvalidInput, NotFound
from .events import event_message
from .filters import LeadStateFilter
from .models import (
    Board,
    BoardEvent,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    Role,
    Stage,
    StageTransition,
)
from .ranks import rank_valid
from .rules import display_name, display_name_of, handoff_stage
from .validation import DATE_MAX, DATE_MIN

STATE_PER_STAGE = 50
STATE_PER_STAGE_MAX = 500
HANDOFF_LANE_MAX = 100  # waiting leads the state carries for the handoff lane
EVENTS_LIMIT = 500
EVENTS_LIMIT_MAX = 1000

STAGE_FIELDS = ("id", "name", "position", "kind", "team", "sla_days", "wip_limit", "color")
CAMPAIGN_FIELDS = ("id", "name", "channel", "color", "cost")


def boards_for_user(user: Any) -> QuerySet[Board]:
    """The boards the user is a member of; a share link's holder sees its one board."""
    if isinstance(user, ShareViewer):
        return Board.objects.filter(pk=user.board_id).order_by("name", "id")
    return Board.objects.filter(memberships__user=user).order_by("name", "id")


def boards_with_role(user: Any) -> QuerySet[Board]:
    """The user's boards, each with ``my_role`` and ``my_team`` (the annotation
    reuses the membership join of the filter: one row per board). A share link's
    holder is a viewer of no team."""
    if isinstance(user, ShareViewer):
        return boards_for_user(user).annotate(
            my_role=Value(Role.VIEWER, output_field=CharField()),
            my_team=Value(None, output_field=CharField()),
        )
    return boards_for_user(user).annotate(
        my_role=F("memberships__role"), my_team=F("memberships__team")
    )


def board_get(*, board_id: int, user: Any) -> Board:
    """One query: the board (with ``last_seq``) and the user's role and team."""
    board = boards_with_role(user).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def board_detail_get(*, board_id: int, user: Any) -> Board:
    """The board with ``my_role``, ``my_team`` and ``stage_list`` (ordered)."""
    ordered = Prefetch("stages", queryset=Stage.objects.order_by("position"), to_attr="stage_list")
    board = boards_with_role(user).prefetch_related(ordered).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def board_memberships_list(*, board_id: int, user: Any) -> QuerySet[BoardMembership]:
    board = board_get(board_id=board_id, user=user)
    return (
        BoardMembership.objects.filter(board_id=board.pk)
        .select_related("user")
        .order_by("user__username", "id")
    )


def board_member_user_get(*, board_id: int, user_id: int, field: str = "owner") -> Any:
    """A member of the board as a lead owner; anyone else is invalid input (and
    whether such a user exists is not told)."""
    membership = (
        BoardMembership.objects.filter(board_id=board_id, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise InvalidInput(f"User {user_id} is not a member of this board.", field=field)
    return membership.user


# Leads and campaigns


def leads_for_user(user: Any) -> QuerySet[Lead]:
    mine = BoardMembership.objects.filter(user=user).values("board_id")
    return Lead.objects.filter(board_id__in=mine).order_by(
        "board_id", "stage__position", "position", "id"
    )


def lead_get(*, lead_id: int, user: Any) -> Lead:
    lead = leads_for_user(user).filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("Lead not found.")
    return lead


def campaigns_for_user(user: Any) -> QuerySet[Campaign]:
    mine = BoardMembership.objects.filter(user=user).values("board_id")
    return Campaign.objects.filter(board_id__in=mine).order_by("board_id", "name", "id")


def campaign_get(*, campaign_id: int, user: Any) -> Campaign:
    campaign = campaigns_for_user(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def lead_transitions_list(*, lead_id: int, user: Any) -> QuerySet[StageTransition]:
    lead = lead_get(lead_id=lead_id, user=user)
    return (
        StageTransition.objects.filter(lead_id=lead.pk).select_related("actor").order_by("at", "id")
    )


# The board's state


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
    if not rank_valid(position) or not 0 < lead_id < 2**63:
        raise InvalidInput("Invalid cursor.", field="cursor")
    return position, lead_id


def board_leads_filtered(*, board_id: int, filters: Mapping[str, Any] | None) -> QuerySet[Lead]:
    leads = Lead.objects.filter(board_id=board_id)
    filterset = LeadStateFilter(filters or {}, queryset=leads)
    if not filterset.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in filterset.errors.items()}
        field, messages = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {messages[0]}", extra=errors)
    return filterset.qs.order_by()


def stage_cards(
    leads: QuerySet[Lead], stage_id: int, *, per_stage: int, after: tuple[str, int] | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a stage's cards, by ``(position, id)``: one LIMITed query on
    the ``lead_stage_order`` index."""
    page = leads.filter(stage_id=stage_id)
    if after is not None:
        position, lead_id = after
        page = page.filter(Q(position__gt=position) | Q(position=position, id__gt=lead_id))
    rows = list(
        page.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by("position", "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at")[: per_stage + 1]
    )
    more = len(rows) > per_stage
    rows = rows[:per_stage]
    cursor = cursor_encode(rows[-1]["position"], rows[-1]["id"]) if more else None
    return [card_from_row(row) for row in rows], cursor


def campaign_figures(board_id: int, leads: QuerySet[Lead], stage_ids: list[int]) -> list[dict]:
    """Every campaign of the board with its (filtered) count and value, in total
    and per stage: one GROUP BY (campaign, stage)."""
    # By name, code point by code point, then id, whatever the database's collation:
    # the order the board's reducer keeps (reducer.js compareCampaigns).
    campaigns = sorted(
        Campaign.objects.filter(board_id=board_id).values(*CAMPAIGN_FIELDS),
        key=lambda c: (c["name"], c["id"]),
    )
    totals = (
        leads.filter(campaign_id__isnull=False)
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
                **campaign,
                "cost": float(campaign["cost"]),
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
    leads: QuerySet[Lead], stage: dict[str, Any] | None, *, limit: int = HANDOFF_LANE_MAX
) -> dict[str, Any] | None:
    """The handoff lane of the (filtered) ``leads``: those in the handoff stage that
    sales has not judged since they entered it, longest waiting first. Two queries."""
    if stage is None:
        return None
    waiting = leads.filter(stage_id=stage["id"]).filter(awaiting_verdict())
    rows = list(
        waiting.annotate(verdict=latest_verdict(), verdict_at=latest_verdict("at"))
        .order_by("stage_entered_at", "id")
        .values(*CARD_FIELDS, "verdict", "verdict_at")[:limit]
    )
    count = len(rows) if len(rows) < limit else waiting.count()
    return {"stage": stage["id"], "count": count, "leads": [card_from_row(row) for row in rows]}


def board_state_get(
    *,
    board_id: int,
    user: Any,
    filters: Mapping[str, Any] | None = None,
    per_stage: int = STATE_PER_STAGE,
    stage_id: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """What the board draws: stages with counts, values and the first cards,
    campaign figures and the people on the cards.

    ``seq`` is read before the data, so a client that applies the events after
    ``seq`` misses none (an event may already be in the data; applying it again
    is harmless since cards carry their version). With ``stage`` (and
    ``cursor``) only that stage's next page is answered; without, ``handoff``
    holds the handoff lane (``handoff_lane``; ``None`` on a board without a
    sales stage). Cards carry sales' latest ``verdict``.

    The number of queries depends on the number of stages, never on the number
    of leads.
    """
    board = board_get(board_id=board_id, user=user)
    if not 1 <= per_stage <= STATE_PER_STAGE_MAX:
        raise InvalidInput(f"per_stage must be 1 to {STATE_PER_STAGE_MAX}.", field="per_stage")
    after = cursor_decode(cursor) if cursor else None
    if after is not None and stage_id is None:
        raise InvalidInput("A cursor pages one stage: give its stage too.", field="stage")
    leads = board_leads_filtered(board_id=board.pk, filters=filters)

    stages = list(
        Stage.objects.filter(board_id=board.pk).order_by("position").values(*STAGE_FIELDS)
    )
    stage_ids = [stage["id"] for stage in stages]
    lane = handoff_lane(leads, handoff_stage(stages)) if stage_id is None else None
    if stage_id is not None:
        stages = [stage for stage in stages if stage["id"] == stage_id]
        if not stages:
            raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field="stage")

    totals: dict[int, dict[str, Any]] = {
        row["stage_id"]: {"count": row["count"], "value": row["value"]}
        for row in leads.values("stage_id").annotate(count=Count("id"), value=Sum("value"))
    }
    owner_ids: set[int] = (
        {c["owner"] for c in lane["leads"] if c["owner"] is not None} if lane else set()
    )
    for stage in stages:
        total = totals.get(stage["id"], {})
        cards, next_cursor = stage_cards(leads, stage["id"], per_stage=per_stage, after=after)
        owner_ids.update(c["owner"] for c in cards if c["owner"] is not None)
        stage.update(
            count=total.get("count", 0),
            value=float(total.get("value") or 0),
            leads=cards,
            next=next_cursor,
        )
    state = {
        "board": board,
        "seq": board.last_seq,
        "stages": stages,
        "campaigns": campaign_figures(board.pk, leads, stage_ids),
        "people": board_people(board.pk, owner_ids),
    }
    if stage_id is None:
        state["handoff"] = lane
    return state


def board_events_after(
    *, board_id: int, user: Any, after: int = 0, limit: int = EVENTS_LIMIT
) -> dict[str, Any]:
    """The board's events after ``after`` up to the ``seq`` read first, oldest first."""
    board = board_get(board_id=board_id, user=user)
    seq = board.last_seq
    events = list(
        BoardEvent.objects.filter(board_id=board.pk, seq__gt=after, seq__lte=seq).order_by("seq")[
            : limit + 1
        ]
    )
    return {
        "events": [event_message(event) for event in events[:limit]],
        "seq": seq,
        "has_more": len(events) > limit,
    }


# --- Frames for the funnel numbers (funnel.numbers.analytics works on these, never on models) ---


def stages_frame(board_id: int) -> pd.DataFrame:
    rows = Stage.objects.filter(board_id=board_id).values("id", "name", "position", "kind", "team")
    return pd.DataFrame.from_records(list(rows), columns=["id", "name", "position", "kind", "team"])


def campaigns_frame(board_id: int) -> pd.DataFrame:
    rows = Campaign.objects.filter(board_id=board_id).values_list("id", "name", "channel", "cost")
    frame = pd.DataFrame.from_records(list(rows), columns=["id", "name", "channel", "cost"])
    frame["cost"] = frame["cost"].astype("float64")
    return frame


def leads_frame(board_id: int, filters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The board's leads (after the board's filters): id, stage, campaign, created, value."""
    leads = board_leads_filtered(board_id=board_id, filters=filters)
    frame = columns_frame(
        leads.order_by().values_list("id", "stage_id", "campaign_id", "value"),
        ["id", "stage_id", "campaign_id", "value"],
        times={"created_at": f'"{Lead._meta.db_table}"."created_at"'},
    )
    frame = frame.astype(
        {"id": "int64", "stage_id": "int64", "campaign_id": "float64", "value": "float64"}
    )
    return frame[["id", "stage_id", "campaign_id", "created_at", "value"]]


def transitions_frame(board_id: int, *, until: Any = None) -> pd.DataFrame:
    """Every transition of the board in order; ``undone`` marks an undone transition
    and its reversal (both are left out of the numbers). ``until``: only those at or
    before that moment, so an undo made later does not rewrite what stood then.

    ``undone`` is worked out in pandas from ``reverts_id`` (a reversal, or a
    transition that a reversal at or before ``until`` points at)."""
    raw = board_transitions_raw(board_id)
    if until is not None:
        raw = raw[raw["at"] <= pd.Timestamp(until)]
    reverts = raw["reverts_id"].astype("float64")
    undone = reverts.notna() | raw["id"].isin(reverts.dropna().astype("int64"))
    return pd.DataFrame(
        {
            "id": raw["id"].astype("int64"),
            "lead_id": raw["lead_id"].astype("int64"),
            "from_stage_id": raw["from_stage_id"].astype("float64"),
            "to_stage_id": raw["to_stage_id"].astype("int64"),
            "at": raw["at"],
            "undone": undone.astype(bool),
        }
    )


TRANSITION_COLUMNS = ["id", "lead_id", "from_stage_id", "to_stage_id", "reverts_id"]
# Boards with at least this many transitions keep them in memory between requests.
TRANSITIONS_CACHE_MIN = 50_000
TRANSITIONS_CACHE_BOARDS = 2


@dataclass
class CachedTransitions:
    raw: pd.DataFrame
    count: int
    max_id: int


transitions_cache: OrderedDict[tuple[str, int], CachedTransitions] = OrderedDict()
transitions_cache_lock = threading.Lock()


def board_transitions_raw(board_id: int) -> pd.DataFrame:
    """The board's transitions by (at, id): id, lead, from, to, reverts, at.

    A big board's frame stays in this process's memory; one aggregate query checks it
    (transitions are never updated, only added or deleted with their lead): rows with
    a higher id are read and appended; any other difference in count (a deleted lead,
    a late commit of a lower id) reads the board again."""
    transitions = StageTransition.objects.filter(board_id=board_id)
    totals = transitions.aggregate(count=Count("id"), max_id=Max("id"))
    count, max_id = totals["count"], totals["max_id"] or 0
    key = (str(connection.settings_dict["NAME"]), board_id)
    if count < TRANSITIONS_CACHE_MIN:
        return read_transitions(transitions)
    with transitions_cache_lock:
        cached = transitions_cache.get(key)
    if cached is not None and cached.max_id <= max_id:
        if cached.count == count and cached.max_id == max_id:
            raw = cached.raw
        else:
            added = read_transitions(transitions.filter(id__gt=cached.max_id))
            raw = None
            if cached.count + len(added) == count:
                raw = sort_by_time(pd.concat([cached.raw, added], ignore_index=True))
    else:
        raw = None
    if raw is None:
        raw = read_transitions(transitions)
    with transitions_cache_lock:
        transitions_cache[key] = CachedTransitions(raw=raw, count=count, max_id=max_id)
        transitions_cache.move_to_end(key)
        while len(transitions_cache) > TRANSITIONS_CACHE_BOARDS:
            transitions_cache.popitem(last=False)
    return raw


def read_transitions(transitions: QuerySet[StageTransition]) -> pd.DataFrame:
    table = StageTransition._meta.db_table
    raw = columns_frame(
        transitions.order_by().values_list(*TRANSITION_COLUMNS),
        TRANSITION_COLUMNS,
        times={"at": f'"{table}"."at"'},
        # SQLite: one sequential pass over the table reads a big board ~3x faster than
        # a million lookups through the (board, at) index; the order is made below.
        sqlite_table_scan=f'"{table}"',
    )
    return sort_by_time(raw)


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
    """Handoff feedback on the board's leads: id, lead_id, verdict, reason, at."""
    frame = columns_frame(
        LeadFeedback.objects.filter(lead__board_id=board_id)
        .order_by("at", "id")
        .values_list("id", "lead_id", "verdict", "reason"),
        ["id", "lead_id", "verdict", "reason"],
        times={"at": f'"{LeadFeedback._meta.db_table}"."at"'},
    )
    # All-empty reasons read back from CSV as a float column: text first, then fill.
    frame["reason"] = frame["reason"].astype(object).fillna("").astype(str)
    return frame.astype({"id": "int64", "lead_id": "int64"})


def board_stages_list(board_id: int) -> list[dict[str, Any]]:
    """The board's stages with their colours, by position."""
    return list(Stage.objects.filter(board_id=board_id).order_by("position").values(*STAGE_FIELDS))


# --- Time travel: the board as it stood at a past moment ---


def as_of_parse(board: Board, value: Any) -> datetime:
    """A moment between the board's creation and now; anything else is a 400 on ``as_of``."""
    moment = value if isinstance(value, datetime) else None
    if moment is None:
        text = str(value).strip().replace(" ", "+") if value is not None else ""
        try:
            # A bare date means the end of that day (or now, for today).
            day = parse_date(text) if len(text) == 10 else None
            moment = parse_datetime(text) if day is None else None
        except ValueError:
            moment = day = None
        if day is not None:
            end_of_day = datetime.combine(day, time.max, tzinfo=UTC)
            # Today means now; a later day stays in the future (refused below).
            moment = timezone.now() if day == timezone.now().date() else end_of_day
    if moment is None:
        raise InvalidInput(
            "as_of: give an ISO 8601 date or date and time, e.g. 2026-03-31T18:00:00Z.",
            field="as_of",
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    began = board_began(board)
    if moment < began:
        raise InvalidInput(
            f"as_of: the board did not exist yet (it begins {began.isoformat()}).",
            field="as_of",
        )
    if moment > timezone.now():
        raise InvalidInput("as_of: that moment is in the future.", field="as_of")
    return moment


def board_began(board: Board) -> datetime:
    """When the board's history begins: its creation, or its first transition when
    history was imported or seeded from before (one read on the ``(board, at)`` index)."""
    first = (
        StageTransition.objects.filter(board_id=board.pk)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return min(board.created_at, first) if first is not None else board.created_at


def lead_stages_as_of(transitions: pd.DataFrame) -> pd.DataFrame:
    """Per lead, where its last kept transition took it: lead_id, stage_id, entered_at.
    ``transitions`` are those at or before the moment (``transitions_frame(until=...)``)."""
    kept = transitions[~transitions["undone"]]
    at, ids = kept["at"].astype("int64").to_numpy(), kept["id"].to_numpy()
    in_order = (at[1:] > at[:-1]) | ((at[1:] == at[:-1]) & (ids[1:] > ids[:-1]))
    if not bool(np.all(in_order)):
        kept = kept.sort_values(["at", "id"], kind="stable")
    # In time order (as transitions_frame reads them), a lead's last row is its latest.
    last = kept.drop_duplicates("lead_id", keep="last")
    return pd.DataFrame(
        {
            "lead_id": last["lead_id"].to_numpy(),
            "stage_id": last["to_stage_id"].to_numpy(),
            "entered_at": last["at"].to_numpy(),
        }
    )


def board_state_as_of(
    *,
    board_id: int,
    user: Any,
    as_of: Any,
    filters: Mapping[str, Any] | None = None,
    per_stage: int = STATE_PER_STAGE,
    stage_id: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The board as it stood at ``as_of``, rebuilt from the transitions, in the shape
    of ``board_state_get`` (plus ``as_of``).

    A lead's stage then is the ``to_stage`` of its last transition at or before
    ``as_of`` that was not undone by then (an undo made later does not count);
    leads created after ``as_of`` are absent. Filters apply to the leads as they
    are now; cards keep their current position within a stage, and
    ``stage_entered_at`` is when they entered the stage they were in then.
    ``seq`` is the last event of the board at or before ``as_of``.

    ``as_of=None`` is the live board (``board_state_get``), so one call serves
    ``/state/`` with and without ``?as_of=``.
    """
    if as_of is None:
        return board_state_get(
            board_id=board_id,
            user=user,
            filters=filters,
            per_stage=per_stage,
            stage_id=stage_id,
            cursor=cursor,
        )
    board = board_get(board_id=board_id, user=user)
    moment = as_of_parse(board, as_of)
    if not 1 <= per_stage <= STATE_PER_STAGE_MAX:
        raise InvalidInput(f"per_stage must be 1 to {STATE_PER_STAGE_MAX}.", field="per_stage")
    after = cursor_decode(cursor) if cursor else None
    if after is not None and stage_id is None:
        raise InvalidInput("A cursor pages one stage: give its stage too.", field="stage")
    stages = board_stages_list(board.pk)
    stage_ids = [stage["id"] for stage in stages]
    if stage_id is not None:
        stages = [stage for stage in stages if stage["id"] == stage_id]
        if not stages:
            raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field="stage")

    leads = board_leads_filtered(board_id=board.pk, filters=filters).filter(created_at__lte=moment)
    then = lead_stages_as_of(transitions_frame(board.pk, until=moment))
    rows = leads.values_list("id", "campaign_id", "value", "position")
    current = pd.DataFrame.from_records(
        list(rows), columns=["lead_id", "campaign_id", "value", "position"]
    )
    frame = current.merge(then, on="lead_id", how="inner")
    frame["value"] = frame["value"].astype("float64")
    frame = frame.sort_values(["stage_id", "position", "lead_id"], kind="stable")

    totals = frame.groupby("stage_id").agg(count=("lead_id", "size"), value=("value", "sum"))
    pages: dict[int, pd.DataFrame] = {}
    for stage in stages:
        mine = frame[frame["stage_id"] == stage["id"]]
        if after is not None:
            position, lead_id = after
            mine = mine[
                (mine["position"] > position)
                | ((mine["position"] == position) & (mine["lead_id"] > lead_id))
            ]
        pages[stage["id"]] = mine.head(per_stage + 1)
    shown = [int(i) for page in pages.values() for i in page["lead_id"].head(per_stage)]
    cards_by_id = {row["id"]: row for row in Lead.objects.filter(pk__in=shown).values(*CARD_FIELDS)}
    owner_ids: set[int] = set()
    for stage in stages:
        page = pages[stage["id"]]
        more = len(page) > per_stage
        page = page.head(per_stage)
        cards = []
        for lead_id, entered in zip(page["lead_id"], page["entered_at"], strict=True):
            row = dict(cards_by_id[int(lead_id)])
            row.update(stage_id=stage["id"], stage_entered_at=pd.Timestamp(entered).to_pydatetime())
            cards.append(card_from_row(row))
        owner_ids.update(c["owner"] for c in cards if c["owner"] is not None)
        last = page.iloc[-1] if more else None
        has_total = stage["id"] in totals.index
        stage.update(
            count=int(totals.loc[stage["id"], "count"]) if has_total else 0,
            value=float(totals.loc[stage["id"], "value"]) if has_total else 0.0,
            leads=cards,
            next=cursor_encode(str(last["position"]), int(last["lead_id"]))
            if last is not None
            else None,
        )
    seq = (
        BoardEvent.objects.filter(board_id=board.pk, at__lte=moment)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return {
        "board": board,
        "as_of": moment,
        "seq": seq or 0,
        "stages": stages,
        "campaigns": campaign_figures_as_of(board.pk, frame, stage_ids),
        "people": board_people(board.pk, owner_ids),
    }


def campaign_figures_as_of(
    board_id: int, frame: pd.DataFrame, stage_ids: list[int]
) -> list[dict[str, Any]]:
    """``campaign_figures`` over the leads where they stood then (``frame``: lead_id,
    campaign_id, stage_id, value)."""
    # By name, code point by code point, then id, whatever the database's collation:
    # the order the board's reducer keeps (reducer.js compareCampaigns).
    campaigns = sorted(
        Campaign.objects.filter(board_id=board_id).values(*CAMPAIGN_FIELDS),
        key=lambda c: (c["name"], c["id"]),
    )
    grouped = (
        frame.dropna(subset=["campaign_id"])
        .groupby(["campaign_id", "stage_id"])
        .agg(count=("lead_id", "size"), value=("value", "sum"))
    )
    per: dict[int, dict[str, dict[str, Any]]] = {}
    for (campaign_id, sid), row in grouped.iterrows():
        per.setdefault(int(campaign_id), {})[str(int(sid))] = {
            "count": int(row["count"]),
            "value": float(row["value"]),
        }
    figures = []
    for campaign in campaigns:
        mine = per.get(campaign["id"], {})
        figures.append(
            {
                **campaign,
                "cost": float(campaign["cost"]),
                "count": sum(s["count"] for s in mine.values()),
                "value": sum(s["value"] for s in mine.values()),
                "stages": {
                    str(sid): mine.get(str(sid), {"count": 0, "value": 0.0}) for sid in stage_ids
                },
            }
        )
    return figures


# --- Replay: the moves of a period ---

TRANSITIONS_LIMIT = 10_000
TRANSITIONS_LIMIT_MAX = 100_000


def board_transitions_between(
    *,
    board_id: int,
    user: Any,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = TRANSITIONS_LIMIT,
) -> dict[str, Any]:
    """The board's transitions in ``[start, end)``, oldest first (by ``at``, ``id``);
    ``undone`` marks an undone transition and an undo's reversal (as of now)."""
    board = board_get(board_id=board_id, user=user)
    transitions = StageTransition.objects.filter(board_id=board.pk)
    if start is not None:
        transitions = transitions.filter(at__gte=start)
    if end is not None:
        transitions = transitions.filter(at__lt=end)
    reverted = StageTransition.objects.filter(reverts_id=OuterRef("pk"))
    rows = list(
        transitions.annotate(undone=Q(reverts__isnull=False) | Exists(reverted))
        .order_by("at", "id")
        .values(
            "id",
            "lead_id",
            "lead__name",
            "from_stage_id",
            "to_stage_id",
            "at",
            "actor__username",
            "actor__first_name",
            "actor__last_name",
            "source",
            "undone",
        )[: limit + 1]
    )
    return {
        "transitions": [
            {
                "id": row["id"],
                "lead": row["lead_id"],
                "lead_name": row["lead__name"],
                "from_stage": row["from_stage_id"],
                "to_stage": row["to_stage_id"],
                "at": row["at"],
                "actor": actor_name(row),
                "source": row["source"],
                "undone": bool(row["undone"]),
            }
            for row in rows[:limit]
        ],
        "has_more": len(rows) > limit,
    }


def actor_name(row: Mapping[str, Any]) -> str | None:
    if row["actor__username"] is None:
        return None
    return display_name_of(
        row["actor__first_name"], row["actor__last_name"], row["actor__username"]
    )
