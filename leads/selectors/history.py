"""The board's past: the event log after a seq, the board as it stood at a moment
(``as_of``), and the moves of a period (replay).

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from leads.selectors.cards import CARD_FIELDS, card_from_row

from ..errors import InvalidInput
from ..events import event_message
from ..events.payloads import CAMPAIGN_FIELDS, campaign_summary
from ..models import (
    Board,
    BoardEvent,
    Campaign,
    Lead,
    StageTransition,
)
from ..rules import display_name_of, past_sla_since
from .boards import board_get, board_stages_list
from .frames import transitions_frame
from .leads import board_leads_filtered
from .state import (
    STATE_PER_STAGE,
    STATE_PER_STAGE_MAX,
    board_people,
    board_state_get,
    cursor_decode,
    cursor_encode,
)

EVENTS_LIMIT = 500


EVENTS_LIMIT_MAX = 1000


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
    sort: str | None = None,
) -> dict[str, Any]:
    """The board as it stood at ``as_of``, rebuilt from the transitions, in the shape
    of ``board_state_get`` (plus ``as_of``).

    A lead's stage then is the ``to_stage`` of its last transition at or before
    ``as_of`` that was not undone by then (an undo made later does not count);
    leads created after ``as_of`` are absent. Filters apply to the leads as they
    are now; cards keep their current position within a stage, and
    ``stage_entered_at`` is when they entered the stage they were in then (and
    ``overdue`` counts the leads past the stage's SLA then). Stages are the live
    ones, in their current order: a lead that stood in a stage removed since is
    left out of that moment's columns (its transitions stay in the numbers).
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
            sort=sort,
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
            overdue=overdue_then(frame, stage, moment),
            median_age_days=median_age_then(frame, stage, moment),
            sort="position",  # the past is shown in board order
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


def overdue_then(frame: pd.DataFrame, stage: Mapping[str, Any], moment: datetime) -> int:
    """The stage's leads past its SLA at ``moment`` (``rules.past_sla_since``), from
    when each entered the stage it was in then (``frame``: stage_id, entered_at)."""
    if stage["sla_days"] is None or frame.empty:
        return 0
    since = pd.Timestamp(past_sla_since(stage["sla_days"], moment))
    entered = pd.to_datetime(frame["entered_at"], utc=True)
    return int(((frame["stage_id"] == stage["id"]) & (entered <= since)).sum())


def median_age_then(
    frame: pd.DataFrame, stage: Mapping[str, Any], moment: datetime
) -> float | None:
    """The median time the stage's leads at ``moment`` had been in it then, in days
    (``median_age_days`` of ``/state/``); None for an empty stage."""
    if frame.empty:
        return None
    entered = pd.to_datetime(frame.loc[frame["stage_id"] == stage["id"], "entered_at"], utc=True)
    if entered.empty:
        return None
    ages = (pd.Timestamp(moment) - entered) / pd.Timedelta(days=1)
    return round(float(ages.median()), 2)


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
                **campaign_summary(campaign).wire(),
                "count": sum(s["count"] for s in mine.values()),
                "value": sum(s["value"] for s in mine.values()),
                "stages": {
                    str(sid): mine.get(str(sid), {"count": 0, "value": 0.0}) for sid in stage_ids
                },
            }
        )
    return figures


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
