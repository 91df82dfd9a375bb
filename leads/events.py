"""Board events: the log row a service writes, and its publication after commit.

A service appends an event inside its transaction (``event_append``); the
event is handed to the channel layer only once that transaction commits
(``publish_on_commit``), so a rolled-back change publishes nothing and every
published event is in the log. The message is encoded to JSON once here; the
consumers send that text to every socket as it is. The same commit enqueues the
delivery of the board's webhooks (``leads.webhooks``).
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import Board, BoardEvent, BoardMembership
from .rules import display_name

logger = logging.getLogger(__name__)

# Stored event types (carry a seq) and ephemeral ones (no seq).
STORED_TYPES = (
    "lead.created",
    "lead.updated",
    "lead.moved",
    "campaign.created",
    "campaign.moved",
    "leads.moved",
    "lead.feedback",
    "stage.updated",
    "leads.imported",
)
EPHEMERAL_TYPES = ("presence.joined", "presence.left", "meeting.follow")

# The channel-layer message type the fan-out in ``funnel.realtime.consumer`` handles.
LAYER_MESSAGE_TYPE = "board.event"


def board_group(board_id: int) -> str:
    return f"board_{board_id}"


def actor_summary(user: Any, membership: BoardMembership | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": display_name(user),
        "team": membership.team if membership else None,
    }


def event_message(event: BoardEvent) -> dict[str, Any]:
    """The wire form of a stored event: ``{"type", "seq", "at", "actor", ...payload}``."""
    return {"type": event.type, "seq": event.seq, "at": event.at, **event.payload}


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def next_seq(board_id: int) -> int:
    """Take the board's next seq. The UPDATE locks the board row until the commit, so
    seqs are gapless and events commit in seq order; it comes last in a service
    (see ``leads.access``) to keep that lock short."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Board._meta.db_table} SET last_seq = last_seq + 1"
            " WHERE id = %s RETURNING last_seq",
            [board_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise Board.DoesNotExist(board_id)
    return int(row[0])


def event_append(
    *,
    board_id: int,
    type: str,
    payload: dict[str, Any],
    actor: Any = None,
    membership: BoardMembership | None = None,
) -> BoardEvent:
    """Store the board's next event and publish it after commit. Call it inside the
    service's transaction, after the service's other writes."""
    assert type in STORED_TYPES, type
    event = BoardEvent.objects.create(
        board_id=board_id,
        seq=next_seq(board_id),
        type=type,
        payload={"actor": actor_summary(actor, membership), **payload},
        actor=actor,
        at=timezone.now(),
    )
    # Round-trip through JSON now so the payload stored and the text sent agree.
    publish_on_commit(board_id, encode(event_message(event)))
    # A failed enqueue costs no event: the worker's sweep finds the webhook behind.
    transaction.on_commit(partial(webhooks_wake, board_id), robust=True)
    return event


def webhooks_wake(board_id: int) -> None:
    """Enqueue the delivery of the board's webhooks (after the events committed)."""
    from .webhooks import webhooks_enqueue  # leads.webhooks encodes with this module

    webhooks_enqueue(board_id=board_id)


def publish_on_commit(board_id: int, text: str) -> None:
    transaction.on_commit(lambda: publish(board_id, text))


def publish(board_id: int, text: str) -> None:
    """Hand an encoded message to the board's group. A layer that is down costs
    no data: clients see the gap in seq and heal from ``/events/?after=``."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            board_group(board_id), {"type": LAYER_MESSAGE_TYPE, "text": text}
        )
    except Exception:
        logger.exception("publishing to board %s failed; clients will heal from the log", board_id)
