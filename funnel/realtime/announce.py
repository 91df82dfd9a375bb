"""The server's own ephemeral messages to every socket of a board (a share link
revoked, a meeting started or ended), sent after commit: no seq, not in the log.

``{"type": "share.revoked", "link": <id>}`` (the sockets opened with that link
close, see ``funnel.realtime.consumer``; the token itself is never sent),
``{"type": "meeting.started", "meeting": {...}}`` and
``{"type": "meeting.ended", "meeting": <id>}``."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from funnel.realtime.feed import EPHEMERAL_MESSAGE_TYPE
from leads.events import board_group, encode
from leads.events.schema import Wire

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
