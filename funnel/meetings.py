"""Meetings, started and ended on a board by its editors; the end computes and keeps the recap."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from funnel.models import Meeting
from funnel.numbers.figures import EMPTY_FIGURES, stage_figures
from funnel.realtime.announce import announce_on_commit
from leads import selectors
from leads.access import board_lock, membership_for_write
from leads.errors import Conflict, NotFound
from leads.events.schema import MeetingEnded, MeetingStarted, MeetingSummary
from leads.models import Board
from leads.rules import display_name
from leads.selectors import board_get
from leads.services.tx import write_transaction
from leads.validation import MAX_ID


@write_transaction
def meeting_start(*, board_id: int, actor: Any) -> Meeting:
    """Start collecting the board's moves for a recap (owners and editors). One
    meeting runs per board at a time: another start is a 409 naming it."""
    membership_for_write(board_id, actor)
    board_lock(board_id)  # two starts at once: the second sees the first
    running = Meeting.objects.filter(board_id=board_id, ended_at__isnull=True).first()
    if running is not None:
        raise Conflict("A meeting is already running on this board.", extra={"meeting": running.pk})
    meeting = Meeting.objects.create(board_id=board_id, started_by=actor)
    announce_on_commit(board_id, MeetingStarted(meeting=MeetingSummary(**meeting_summary(meeting))))
    return meeting


def meeting_end(*, board_id: int, meeting_id: int, actor: Any) -> Meeting:
    """End the meeting and keep its recap (owners and editors). Ending an ended
    meeting answers it as it is (two people pressing End at once both get the recap).

    The recap is computed before the write, outside the transaction, so the
    write lock (SQLite takes it at BEGIN) is held for one UPDATE only; the end
    moment is fixed first, so the recap covers exactly ``[started_at, ended_at)``.
    """
    membership_for_write(board_id, actor)
    meeting = (
        Meeting.objects.filter(board_id=board_id, pk=meeting_id)
        .select_related("started_by")
        .first()
    )
    if meeting is None:
        raise NotFound("Meeting not found.")
    if meeting.ended_at is None:
        end = max(timezone.now(), meeting.started_at)
        board = board_get(board_id=board_id, user=actor)
        recap = meeting_recap_compute(
            board=board, user=actor, meeting=meeting, end=end, ended_by=actor
        )
        _meeting_close(meeting, end=end, actor=actor, recap=recap)
    return Meeting.objects.select_related("started_by", "ended_by").get(pk=meeting.pk)


@write_transaction
def _meeting_close(meeting: Meeting, *, end: datetime, actor: Any, recap: dict[str, Any]) -> None:
    ended = Meeting.objects.filter(pk=meeting.pk, ended_at__isnull=True).update(
        ended_at=end, ended_by=actor, recap=json_safe(recap)
    )
    if ended:
        announce_on_commit(meeting.board_id, MeetingEnded(meeting=meeting.pk))


def json_safe(value: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON: moments as ISO text, numpy numbers as Python ones."""
    return json.loads(json.dumps(value, cls=JSONEncoder))


MEETINGS_LISTED = 20


# Moves a recap lists one by one (it counts them all).
RECAP_MOVES_MAX = 500


def meetings_list(*, board_id: int, user: Any) -> QuerySet[Meeting]:
    """The board's latest meetings, the running one first."""
    board = board_get(board_id=board_id, user=user)
    return Meeting.objects.filter(board_id=board.pk).select_related("started_by", "ended_by")[
        :MEETINGS_LISTED
    ]


def meeting_get(*, board_id: int, meeting_id: int, user: Any) -> Meeting:
    board = board_get(board_id=board_id, user=user)
    if not 0 < meeting_id <= MAX_ID:  # no meeting has it; the database would refuse it
        raise NotFound("Meeting not found.")
    meeting = (
        Meeting.objects.filter(board_id=board.pk, pk=meeting_id)
        .select_related("started_by", "ended_by")
        .first()
    )
    if meeting is None:
        raise NotFound("Meeting not found.")
    return meeting


def meeting_running(board_id: int) -> Meeting | None:
    return (
        Meeting.objects.filter(board_id=board_id, ended_at__isnull=True)
        .select_related("started_by")
        .first()
    )


def meeting_summary(meeting: Meeting) -> dict[str, Any]:
    """Which meeting runs, since when, started by whom (pages and announcements)."""
    return {
        "id": meeting.pk,
        "started_at": meeting.started_at,
        "started_by": person_name(meeting.started_by),
    }


def person_name(user: Any) -> str | None:
    return display_name(user) if user is not None else None


def meeting_recap_compute(
    *, board: Board, user: Any, meeting: Meeting, end: datetime, ended_by: Any
) -> dict[str, Any]:
    """What happened on the board during the meeting, from its transitions:

    - ``moves``: the moves made between start and ``end`` (oldest first, at most
      ``RECAP_MOVES_MAX`` listed, ``moves_total`` counts them all) and who made
      them (``people``); leads added meanwhile are counted in ``created``. An
      undone move and its undo are left out, as in every figure of the board.
    - ``stages``: per stage, the leads in it (``count``, ``value``) and the funnel
      figures (``reached``, ``conversion_to_next``) as the board stood at the
      start (``before``) and at the end (``after``); ``overall_conversion`` too.
    """
    start = meeting.started_at
    period = selectors.board_transitions_between(
        board_id=board.pk, user=user, start=start, end=end, limit=selectors.TRANSITIONS_LIMIT_MAX
    )
    kept = [t for t in period["transitions"] if not t["undone"]]
    moves = [t for t in kept if t["from_stage"] is not None]
    stages = selectors.board_stages_list(board.pk)
    names = selectors.board_stage_names(board.pk)  # a move may name a stage removed since
    people = Counter(move["actor"] or "System" for move in moves)

    before = stage_figures(board, user, start)
    after = stage_figures(board, user, end)
    return {
        "meeting": meeting.pk,
        "board": {"id": board.pk, "name": board.name, "currency": board.currency},
        "started_at": start,
        "ended_at": end,
        "minutes": round((end - start).total_seconds() / 60, 1),
        "started_by": person_name(meeting.started_by),
        "ended_by": person_name(ended_by),
        "moves_total": len(moves),
        "moves_truncated": len(moves) > RECAP_MOVES_MAX or period["has_more"],
        "moves": [
            {
                "lead": move["lead"],
                "lead_name": move["lead_name"],
                "from_stage": move["from_stage"],
                "from_stage_name": names.get(move["from_stage"]),
                "to_stage": move["to_stage"],
                "to_stage_name": names.get(move["to_stage"]),
                "actor": move["actor"],
                "at": move["at"],
                "source": move["source"],
            }
            for move in moves[:RECAP_MOVES_MAX]
        ],
        "created": sum(1 for t in kept if t["from_stage"] is None),
        "people": [{"name": name, "moves": n} for name, n in people.most_common()],
        "stages": [
            {
                "id": stage["id"],
                "name": stage["name"],
                "kind": stage["kind"],
                "before": before["stages"].get(stage["id"], EMPTY_FIGURES),
                "after": after["stages"].get(stage["id"], EMPTY_FIGURES),
            }
            for stage in stages
        ],
        "overall_conversion": {"before": before["overall"], "after": after["overall"]},
    }
