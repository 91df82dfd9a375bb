"""The board's event log: the row a service writes, in its transaction.

A service appends an event inside its transaction (``event_append``); the
event is handed to the channel layer only once that transaction commits
(``publish_on_commit``), so a rolled-back change publishes nothing and every
published event is in the log. The same commit enqueues the delivery of the
board's webhooks (``leads.integrations.webhook_delivery``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

# The module, not its names: webhook_delivery reads the wire form from .broadcast.
from leads.integrations import webhook_delivery as webhooks

from ..models import Board, BoardEvent, BoardMembership
from .broadcast import encode, publish_on_commit
from .payloads import actor_summary
from .schema import EVENT_OF_PAYLOAD, Payload

# The envelope fields a row keeps in columns of its own, not in its payload.
ENVELOPE = frozenset({"type", "seq", "at"})


@dataclass(frozen=True)
class Appended:
    """A stored event: its row, and its wire form (what the socket, ``/events/``
    and the write's own REST answer carry)."""

    row: BoardEvent
    message: dict[str, Any]

    @property
    def seq(self) -> int:
        return self.row.seq


def next_seq(board_id: int) -> int:
    """Take the board's next seq. The UPDATE locks the board row until the commit, so
    seqs are gapless and events commit in seq order; it comes last in a service
    (see ``leads.access``) to keep that lock short."""
    return seq_taken(board_id)[0]


SEQ_TAKEN = (
    f"UPDATE {Board._meta.db_table} SET last_seq = last_seq + 1"
    " WHERE id = %s RETURNING id, last_seq, has_webhooks"
)
EVENT_COLUMNS = "board_id, seq, type, payload, actor_id, at"


def seq_taken(board_id: int) -> tuple[int, bool]:
    """``next_seq``, and whether the board has webhooks (read from the same row)."""
    with connection.cursor() as cursor:
        cursor.execute(SEQ_TAKEN, [board_id])
        row = cursor.fetchone()
    if row is None:
        raise Board.DoesNotExist(board_id)
    return int(row[1]), bool(row[2])


def event_insert(
    board_id: int, type_: str, payload: dict[str, Any], actor_id: int | None, at: datetime
) -> tuple[int, int, bool]:
    """Take the board's next seq and store the event under it: ``(row id, seq, whether
    the board has webhooks)``. One statement on PostgreSQL (the UPDATE of the seq feeds
    the INSERT), two on SQLite; both in SQL of their own, this being every write's
    last step."""
    table = BoardEvent._meta.db_table
    fields = BoardEvent._meta
    stored = fields.get_field("payload").get_db_prep_save(payload, connection)
    moment = fields.get_field("at").get_db_prep_save(at, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH taken AS ({SEQ_TAKEN}) INSERT INTO {table} ({EVENT_COLUMNS})"
                " SELECT id, last_seq, %s, %s, %s, %s FROM taken"
                " RETURNING id, seq, (SELECT has_webhooks FROM taken)",
                [board_id, type_, stored, actor_id, moment],
            )
            row = cursor.fetchone()
            if row is None:
                raise Board.DoesNotExist(board_id)
            return int(row[0]), int(row[1]), bool(row[2])
        seq, has_webhooks = seq_taken(board_id)
        cursor.execute(
            f"INSERT INTO {table} ({EVENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            [board_id, seq, type_, stored, actor_id, moment],
        )
        return int(cursor.fetchone()[0]), seq, has_webhooks


def event_append(
    *,
    board_id: int,
    payload: Payload,
    actor: Any = None,
    membership: BoardMembership | None = None,
    at: datetime | None = None,
) -> Appended:
    """Store the board's next event and publish it after commit. Call it inside the
    service's transaction, after the service's other writes. ``at``: the moment
    of the change (default now), so the event and the rows it speaks of agree."""
    cls = EVENT_OF_PAYLOAD[type(payload)]
    at = at or timezone.now()
    person = actor_summary(actor, membership)
    # Checked before the seq is taken: a payload that does not fit takes no seq.
    message = cls.model_validate({**dict(payload), "seq": 1, "at": at, "actor": person}).wire()
    stored = {key: value for key, value in message.items() if key not in ENVELOPE}
    actor_id = actor.pk if actor is not None else None
    row_id, seq, has_webhooks = event_insert(board_id, message["type"], stored, actor_id, at)
    message["seq"] = seq
    row = BoardEvent(
        pk=row_id, board_id=board_id, seq=seq, type=message["type"], payload=stored, at=at
    )
    row.actor_id = actor_id
    publish_on_commit(board_id, encode(message))
    # The same commit wakes the board's webhooks (their outbox is the log after their
    # cursor). A failed enqueue costs no event: the worker's sweep finds the webhook.
    if has_webhooks:
        transaction.on_commit(partial(webhooks.webhooks_enqueue, board_id=board_id), robust=True)
    return Appended(row=row, message=message)
