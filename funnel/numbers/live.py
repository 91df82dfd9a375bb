"""The whole board's live numbers from a ledger kept in this process
(``funnel.numbers.ledger``): a computation reads only the leads that changed since the
last one, found in the board's event log (every write path appends an event naming the
leads it changed), and their transitions and verdicts.

The first computation, and one after a change the log names no leads for (an import,
a change to the stages' order or kinds, an event type this module does not know),
builds the ledger from the whole board. The event log's seq is read before the rows,
so a write that commits meanwhile is read again the next time (a replacement reads a
lead as it is then: doing it twice changes nothing). Ledgers of every board together
take at most ``NUMBERS_LEDGERS_BYTES``; the least recently used go first.

A process that starts (a restart, a second worker) need not read the whole board: a
big board's ledger is saved, with its seq, to the ``ledgers`` cache (Redis, when
``REDIS_URL`` is set) after each build and every ``NUMBERS_LEDGER_SAVE_EVENTS`` events
after that; a process without the board's ledger loads the saved one and brings it up
from the event log like any other (a checkpoint and the log after it).
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from django.db import connection

from funnel.numbers import ledger as ledgers
from funnel.numbers.ledger import Ledger
from leads import selectors
from leads.models import Board, BoardEvent

logger = logging.getLogger(__name__)

# Events that change no lead's row in the numbers (their own frames are read afresh:
# campaigns, verdicts) and, for stages, none the ledger's ``fits`` does not catch.
NO_LEAD_CHANGED = {
    "note.created",
    "note.updated",
    "note.deleted",
    "campaign.created",
    "campaign.updated",
    "board.updated",
    "member.joined",
    "member.updated",
    "member.removed",
    "stage.updated",  # a kind change moves the funnel's ranks: ``fits`` says so
}
# Events whose payload names the leads they changed (``lead``, ``moves``, ``leads``).
LEADS_CHANGED = {
    "lead.created",
    "lead.updated",
    "lead.moved",
    "campaign.moved",
    "leads.moved",
    "leads.updated",
    "lead.archived",
    "lead.restored",
    "lead.erased",
    "lead.feedback",  # its latest verdict
}

# Events after which the ledger is built again: the leads they changed are not named
# (an import's batch), or every lead's reach may change (the stages' order).
REBUILT_AFTER = {"leads.imported", "stage.created", "stage.deleted", "stages.reordered"}


@dataclass
class Kept:
    ledger: Ledger
    seq: int
    saved_seq: int = -1  # the seq of the ledger last saved or loaded (-1: none)
    lock: threading.Lock = field(default_factory=threading.Lock)


# (database, board, its slug and moment of creation: a test database may give a new
# board the id of one rolled back) -> its ledger
kept_ledgers: OrderedDict[tuple[str, int, str, str], Kept] = OrderedDict()
kept_ledgers_lock = threading.Lock()


def whole_board_numbers(board: Board, now: datetime) -> dict[str, Any]:
    """``analytics.board_numbers`` of every lead of the board, live, at ``now``."""
    stages = selectors.stages_frame(board.pk)
    key = ledger_key(board)
    with kept_ledgers_lock:
        kept = kept_ledgers.get(key)
        if kept is not None:
            kept_ledgers.move_to_end(key)
    if kept is None:
        kept = loaded(key, stages) or built(board.pk, stages)
    with kept.lock:
        if not kept.ledger.fits(stages) or not brought_up(kept, board.pk, stages):
            fresh = built(board.pk, stages)
            kept.ledger, kept.seq, kept.saved_seq = fresh.ledger, fresh.seq, fresh.saved_seq
        numbers = kept.ledger.numbers(stages, selectors.campaigns_frame(board.pk), now)
        saving = saved_state(kept)
    keep(key, kept)
    if saving is not None:
        save(key, saving)
    return numbers


def ledger_key(board: Board) -> tuple[str, int, str, str]:
    return (
        str(connection.settings_dict["NAME"]),
        board.pk,
        board.slug,
        board.created_at.isoformat(),
    )


def built(board_id: int, stages: pd.DataFrame) -> Kept:
    seq = board_seq(board_id)
    ledger = Ledger.of(
        stages,
        selectors.leads_frame(board_id),
        # Read, not kept: the ledger holds what the numbers need of them.
        selectors.transitions_frame(board_id, kept=False),
        selectors.feedback_frame(board_id),
    )
    return Kept(ledger=ledger, seq=seq)


def brought_up(kept: Kept, board_id: int, stages: pd.DataFrame) -> bool:
    """Replaces the rows of the leads changed since ``kept.seq``; False when the log
    does not say which leads changed (the ledger must be built again), or does not
    hold every event since (a seq behind the ledger's: a database restored)."""
    seq = board_seq(board_id)
    if seq == kept.seq:
        return True
    if seq < kept.seq:
        return False
    events = BoardEvent.objects.filter(board_id=board_id, seq__gt=kept.seq, seq__lte=seq)
    logged = list(events.values_list("type", "payload"))
    if len(logged) != seq - kept.seq:  # every write appends one event with the next seq
        return False
    touched = leads_changed(logged)
    if touched is None:
        return False
    if touched:
        kept.ledger.replace(
            touched,
            stages,
            selectors.leads_frame(board_id, ids=touched),
            selectors.transitions_of(selectors.leads_transitions_raw(board_id, touched)),
            selectors.leads_feedback_frame(board_id, touched),
        )
    kept.seq = seq
    return True


def leads_changed(events: Iterable[tuple[str, dict[str, Any]]]) -> set[int] | None:
    """The leads whose rows ``events`` changed; None when one of them does not say."""
    touched: set[int] = set()
    for kind, payload in events:
        if kind in NO_LEAD_CHANGED:
            continue
        if kind not in LEADS_CHANGED:  # REBUILT_AFTER, or a type this module does not know
            return None
        lead = payload.get("lead")
        if isinstance(lead, dict):
            touched.add(int(lead["id"]))
        elif lead is not None:
            touched.add(int(lead))
        touched.update(int(move["lead"]) for move in payload.get("moves") or [])
        touched.update(int(card["id"]) for card in payload.get("leads") or [])
    return touched


# What a saved ledger was made by: one saved by other code (other columns) is not read.
LEDGER_FORMAT = repr((1, ledgers.LEAD_COLUMNS, ledgers.STAY_COLUMNS, ledgers.LOST_COLUMNS))


def saved_cache() -> Any:
    """The cache ledgers are saved to; None when there is none (no ``ledgers`` cache)."""
    try:
        return caches["ledgers"]
    except InvalidCacheBackendError:
        return None


def saved_key(key: tuple[str, int, str, str]) -> str:
    return "ledger:" + ":".join(str(part) for part in key)


def saved_state(kept: Kept) -> bytes | None:
    """The kept ledger pickled, when it is due to be saved (its seq is
    ``NUMBERS_LEDGER_SAVE_EVENTS`` past the last saved, or it was never saved) and is
    of a board of at least ``NUMBERS_LEDGER_SAVED_FROM`` leads. Called under its lock."""
    if saved_cache() is None or len(kept.ledger.slot) < settings.NUMBERS_LEDGER_SAVED_FROM:
        return None
    if kept.saved_seq >= 0 and kept.seq - kept.saved_seq < settings.NUMBERS_LEDGER_SAVE_EVENTS:
        return None
    kept.saved_seq = kept.seq
    return pickle.dumps((LEDGER_FORMAT, kept.seq, kept.ledger), protocol=pickle.HIGHEST_PROTOCOL)


def save(key: tuple[str, int, str, str], state: bytes) -> None:
    """Saves a ledger; a cache that fails (down, full) only costs a later build."""
    try:
        saved_cache().set(saved_key(key), state, timeout=settings.NUMBERS_LEDGER_SAVED_SECONDS)
    except Exception:
        logger.warning("numbers: the ledger of board %s was not saved", key[1], exc_info=True)


def loaded(key: tuple[str, int, str, str], stages: pd.DataFrame) -> Kept | None:
    """The board's saved ledger, if there is one for these stages (``brought_up`` then
    reads what changed since it was saved)."""
    cache = saved_cache()
    if cache is None:
        return None
    try:
        state = cache.get(saved_key(key))
        if state is None:
            return None
        made_by, seq, ledger = pickle.loads(state)
    except Exception:  # a cache that fails, or a ledger saved by other code: built again
        logger.warning("numbers: the saved ledger of board %s was not read", key[1], exc_info=True)
        return None
    if made_by != LEDGER_FORMAT or not isinstance(ledger, Ledger) or not ledger.fits(stages):
        return None
    return Kept(ledger=ledger, seq=seq, saved_seq=seq)


def board_seq(board_id: int) -> int:
    return int(Board.objects.filter(pk=board_id).values_list("last_seq", flat=True).get())


def keep(key: tuple[str, int, str, str], kept: Kept) -> None:
    """Keeps ``kept`` (most recently used), within the budget."""
    budget = int(settings.NUMBERS_LEDGERS_BYTES)
    with kept_ledgers_lock:
        kept_ledgers[key] = kept
        kept_ledgers.move_to_end(key)
        while len(kept_ledgers) > 1 and total_bytes() > budget:
            kept_ledgers.popitem(last=False)
        if total_bytes() > budget:
            kept_ledgers.clear()


def total_bytes() -> int:
    return sum(kept.ledger.nbytes() for kept in kept_ledgers.values())
