"""Reads of the funnel app: the board's numbers, share links, meetings and their recaps."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pandas as pd
from django.db.models import Q, QuerySet
from django.utils import timezone

from funnel.numbers import analytics
from leads import selectors
from leads.errors import NotFound, PermissionDenied
from leads.models import Board, Role
from leads.rules import display_name
from leads.selectors import board_get
from leads.validation import MAX_ID

from .models import Meeting, ShareLink, token_digest

TOKEN_MAX_LENGTH = 64
MEETINGS_LISTED = 20
# Moves a recap lists one by one (it counts them all).
RECAP_MOVES_MAX = 500


# The numbers


def board_numbers_for(board: Board, params: Any, query: dict[str, Any]) -> dict[str, Any]:
    """Load the board's frames (at ``as_of`` when given) and compute every number."""
    as_of = selectors.as_of_parse(board, query["as_of"]) if query.get("as_of") else None
    leads, transitions = frames_at(board, params, as_of)
    feedback = selectors.feedback_frame(board.pk)
    if as_of is not None:
        feedback = feedback[feedback["at"] <= pd.Timestamp(as_of)]
    numbers = analytics.board_numbers(
        stages=selectors.stages_frame(board.pk),
        leads=leads,
        transitions=transitions,
        campaigns=selectors.campaigns_frame(board.pk),
        feedback=feedback,
        now=as_of or timezone.now(),
        start=query.get("start"),
        end=query.get("end"),
        channel=query.get("channel"),
    )
    numbers["seq"] = board.last_seq
    if as_of is not None:
        numbers["as_of"] = as_of
    return numbers


def stage_conversions_for(board: Board, params: Any, as_of_text: str | None) -> dict[int, Any]:
    """Each stage's conversion to the next (at ``as_of``): all the board snapshot
    draws of the numbers, without the campaign, cohort and feedback reads."""
    as_of = selectors.as_of_parse(board, as_of_text) if as_of_text else None
    leads, transitions = frames_at(board, params, as_of)
    figures = analytics.stage_figures(
        stages=selectors.stages_frame(board.pk),
        leads=leads,
        transitions=transitions,
        now=as_of or timezone.now(),
    )
    return {s["id"]: s["conversion_to_next"] for s in figures["stages"]}


def frames_at(
    board: Board, params: Any, as_of: datetime | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (filtered) leads and the transitions, as they stood at ``as_of`` if given."""
    leads = selectors.leads_frame(board.pk, params)
    transitions = selectors.transitions_frame(board.pk, until=as_of)
    if as_of is not None:
        leads = leads_as_of(leads, transitions, as_of)
    return leads, transitions


def leads_as_of(leads: pd.DataFrame, transitions: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """The leads that existed then, each in the stage it was in then."""
    then = selectors.lead_stages_as_of(transitions)[["lead_id", "stage_id"]]
    existed = leads[leads["created_at"] <= pd.Timestamp(as_of)].drop(columns="stage_id")
    return existed.merge(then.rename(columns={"lead_id": "id"}), on="id", how="inner")


# Share links

SHARE_LINK_STATES = ("active", "revoked", "expired")


def share_links_list(*, board_id: int, user: Any) -> QuerySet[ShareLink]:
    """The board's links, newest first, for those who may make them (owners and
    editors; viewers 403, others 404). No token can be listed: only its digest
    is stored (the answer to a link's creation is the one place it shows)."""
    board = board_get(board_id=board_id, user=user)
    if getattr(board, "my_role", None) not in (Role.OWNER, Role.EDITOR):
        raise PermissionDenied("Only the board's owner and editors see its share links.")
    return ShareLink.objects.filter(board_id=board.pk).select_related("created_by")


def links_of_token(token: Any) -> QuerySet[ShareLink] | None:
    """The (at most one) link of ``token``, by its digest; ``None`` for what cannot
    be a token (not text, empty, too long)."""
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX_LENGTH:
        return None
    return ShareLink.objects.filter(token_hash=token_digest(token))


def share_link_find(token: Any) -> ShareLink | None:
    """The link of ``token`` whatever its state (revoked, expired), or ``None``."""
    links = links_of_token(token)
    return links.select_related("board").first() if links is not None else None


def usable_links(links: QuerySet[ShareLink]) -> QuerySet[ShareLink]:
    """Those of ``links`` that still open their board: not revoked, not expired."""
    return links.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def share_link_state(link: ShareLink, now: datetime | None = None) -> str:
    """One of ``SHARE_LINK_STATES`` (revoked wins over expired)."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def share_link_active(token: Any) -> ShareLink | None:
    """The link of ``token`` when it still opens its board: not revoked, not expired.
    Checked on every use, so a revoked link stops working at once."""
    links = links_of_token(token)
    return usable_links(links).select_related("board").first() if links is not None else None


def share_link_alive(link_id: int) -> bool:
    """Does the link still open its board (an open socket asks from time to time)?"""
    return usable_links(ShareLink.objects.filter(pk=link_id)).exists()


def share_link_board(token: Any) -> Board | None:
    """The board a share link opens, or ``None`` when the token is unknown, revoked
    or expired."""
    link = share_link_active(token)
    return link.board if link is not None else None


# Meetings


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
    names = {stage["id"]: stage["name"] for stage in stages}
    people = Counter(move["actor"] or "System" for move in moves)

    before = stage_figures(board, user, start)
    after = stage_figures(board, user, end)
    return {
        "meeting": meeting.pk,
        "board": {"id": board.pk, "name": board.name},
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


EMPTY_FIGURES = {"count": 0, "value": 0.0, "reached": 0, "conversion_to_next": None}


def stage_figures(board: Board, user: Any, moment: datetime) -> dict[str, Any]:
    """Per stage id: leads in it and funnel figures as the board stood at ``moment``."""
    state = selectors.board_state_as_of(board_id=board.pk, user=user, as_of=moment, per_stage=1)
    numbers = board_numbers_for(board, {}, {"as_of": moment})
    funnel = {stage["id"]: stage for stage in numbers["stages"]}
    figures = {}
    for stage in state["stages"]:
        row = funnel.get(stage["id"], {})
        figures[stage["id"]] = {
            "count": stage["count"],
            "value": stage["value"],
            "reached": row.get("reached"),
            "conversion_to_next": row.get("conversion_to_next"),
        }
    return {"stages": figures, "overall": numbers.get("overall_conversion")}
