"""Writes of the funnel app: share links (made and revoked by a board's editors) and
meetings (started and ended by them; the end computes and keeps the recap).

Each change that open meeting views must see at once is announced to the board's
sockets after commit, as an ephemeral message (no seq, not in the event log):
``{"type": "share.revoked", "link": <id>}`` (the sockets opened with that link
close, see ``funnel.realtime.consumer``; the token itself is never sent),
``{"type": "meeting.started", "meeting": {...}}`` and
``{"type": "meeting.ended", "meeting": <id>}``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from funnel.realtime.feed import EPHEMERAL_MESSAGE_TYPE
from leads.access import board_lock, membership_for_write
from leads.errors import Conflict, InvalidInput, NotFound
from leads.events import board_group, encode
from leads.events.schema import (
    MeetingEnded,
    MeetingStarted,
    MeetingSummary,
    ShareRevoked,
    Wire,
)
from leads.selectors import board_get
from leads.services.tx import write_transaction

from .models import Meeting, ShareLink, new_token, token_digest
from .selectors import MAX_ID, links_of_token, meeting_recap_compute, meeting_summary

logger = logging.getLogger(__name__)

# The sender of the server's own ephemeral messages: no socket has this key, so
# every socket of the board gets them (see ``funnel.realtime.feed.BoardFeed.receive``).
SERVER_SENDER = "server"


def announce_on_commit(board_id: int, message: Wire) -> None:
    """Send ``message`` to every socket of the board, in every process, once the
    transaction commits (nothing when it rolls back)."""
    text = encode(message)
    transaction.on_commit(lambda: announce(board_id, text))


def announce(board_id: int, text: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            board_group(board_id),
            {"type": EPHEMERAL_MESSAGE_TYPE, "text": text, "sender": SERVER_SENDER},
        )
    except Exception:  # ephemeral; open share sockets also re-check their link
        logger.exception("announcing to board %s failed", board_id)


# Share links


@write_transaction
def share_link_create(
    *, board_id: int, actor: Any, expires_at: datetime | None = None
) -> ShareLink:
    """A new read-only link to the board's meeting view (owners and editors).
    The answer's ``token`` is the only time the token is known: the row keeps
    its digest."""
    membership_for_write(board_id, actor)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expires_at must be in the future.", field="expires_at")
    token = new_token()
    link = ShareLink.objects.create(
        board_id=board_id, created_by=actor, expires_at=expires_at, token_hash=token_digest(token)
    )
    link.token = token
    return link


@write_transaction
def share_link_revoke(
    *, board_id: int, actor: Any, token: str | None = None, link_id: int | None = None
) -> ShareLink:
    """Revoke the board's link named by its ``link_id`` (what the list shows) or by
    its ``token`` (what its holder has), at once. Idempotent: a revoked link stays
    revoked at its first time. Every socket open with the link closes (announced
    again on a repeat, in case a process missed the first)."""
    membership_for_write(board_id, actor)
    if (token is None) == (link_id is None):
        raise ValueError("Name the link by exactly one of token and link_id.")
    if link_id is not None:
        # An id out of range is no link's (and the database would refuse it).
        links = ShareLink.objects.filter(pk=link_id) if 0 < link_id <= MAX_ID else None
    else:
        links = links_of_token(token)
    link = None
    if links is not None:
        link = links.select_for_update().filter(board_id=board_id).first()
    if link is None:
        raise NotFound("Share link not found.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    announce_on_commit(board_id, ShareRevoked(link=link.pk))
    return link


# Meetings


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
