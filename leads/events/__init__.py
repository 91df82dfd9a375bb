"""Board events: one typed definition per message (``schema``), the payload parts
services share (``payloads``), the log row a service writes (``log``), and its
publication to the board's sockets (``broadcast``).

``leads.events`` re-exports what the rest of the project uses.
"""

from .broadcast import (
    LAYER_MESSAGE_TYPE,
    board_group,
    encode,
    event_message,
    publish,
    publish_on_commit,
)
from .log import Appended, event_append, next_seq
from .payloads import actor_summary, move_entry
from .schema import EPHEMERAL_TYPES, STORED_TYPES, message_schema, moment

__all__ = [
    "EPHEMERAL_TYPES",
    "LAYER_MESSAGE_TYPE",
    "STORED_TYPES",
    "Appended",
    "actor_summary",
    "board_group",
    "encode",
    "event_append",
    "event_message",
    "message_schema",
    "moment",
    "move_entry",
    "next_seq",
    "publish",
    "publish_on_commit",
]
