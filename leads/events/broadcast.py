"""Handing messages to a board's sockets: the board's group on the channel layer.

A message is encoded to JSON once, here; the consumers send that text to every
socket as it is (``funnel.realtime.feed``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from ..models import BoardEvent
from .schema import Wire, moment

logger = logging.getLogger(__name__)

# The channel-layer message type the fan-out in ``funnel.realtime.consumer`` handles.
LAYER_MESSAGE_TYPE = "board.event"
# The channel-layer message type for one person's sockets (``user_group``), handled
# by ``funnel.realtime.feed.UserFeed``.
USER_MESSAGE_TYPE = "user.message"


def board_group(board_id: int) -> str:
    return f"board_{board_id}"


def user_group(user_id: int) -> str:
    """One person's sockets, on every board and in every process (their
    notifications): each socket's process listens to it while it has one of theirs."""
    return f"user_{user_id}"


def encode(message: dict[str, Any] | Wire) -> str:
    """The text of a message (a model of ``leads.events.schema``, or its wire dict)."""
    if isinstance(message, Wire):
        message = message.wire()
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


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


def event_message(event: BoardEvent) -> dict[str, Any]:
    """The wire form of a stored event: ``{"type", "seq", "at", "actor", ...payload}``.
    The payload was stored in its wire form (``event_append``)."""
    return {"type": event.type, "seq": event.seq, "at": moment(event.at), **event.payload}


def publish_to_user(user_id: int, text: str) -> None:
    """Hand an encoded ephemeral message to one person's sockets (call after commit).
    A layer that is down loses it: the bell reads the list on its next load."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(user_id), {"type": USER_MESSAGE_TYPE, "text": text}
        )
    except Exception:
        logger.exception("publishing to user %s failed", user_id)
