"""The board's numbers, computed once per change and shared by everyone looking.

A view of the numbers (the board, its filters, the period, the channel, the
moment) is computed once per board ``seq`` and kept in the cache (Django's
``default``: Redis when ``REDIS_URL`` is set, so every process shares it; this
process's memory otherwise). Fifty people with the panel open cost one
computation per change, not fifty.

Single flight: of the requests that find no answer for a view at a seq, one
takes the view's claim (``cache.add``) and computes; the others wait for its
answer, never start their own. Threads of one process wait on an event; other
processes poll the cache. A claim lapses after ``CLAIM_SECONDS`` (a computer
that died), and then a waiter computes.

One computation of a live view at a time: while one runs (here or in another
process), a request for a newer seq is answered with the view's latest answer if
that answer was begun at most ``NUMBERS_STALE_SECONDS`` (2 s) ago, so the
numbers are never more than that behind the board's last move and a burst of
moves under fifty open panels never starts fifty computations, nor one per move.
Each answer carries its ``seq``; the browser never replaces newer figures with
older ones. The push (``exact``) waits its turn and gets its own seq, never an
older one; past moments are computed once per seq.

Live numbers hold ages ("here now", time to now), which grow without a move: a
live answer is reused for at most ``LIVE_SECONDS``; an answer about a past
moment (``as_of``) for ``PAST_SECONDS``. A cache that fails (Redis down) costs
sharing, never the answer: the request computes for itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict

from funnel.numbers import charts
from funnel.numbers.figures import board_numbers_for
from funnel.numbers.handoff import CLAIM_SECONDS, handed_to_worker, worker_alive
from leads import selectors
from leads.filters import LeadStateFilter
from leads.models import Board

logger = logging.getLogger(__name__)

LIVE_SECONDS = 30
PAST_SECONDS = 3600
HANDOFF_CHECK_SECONDS = 5  # waiting for the numbers worker: is it still alive?
POLL_SECONDS = (0.01, 0.2)  # a waiter in another process: first and longest poll
FILTER_NAMES = tuple(LeadStateFilter.base_filters)  # what narrows the leads counted

_flights: dict[str, threading.Event] = {}
_flights_lock = threading.Lock()


def board_numbers_shared(
    board: Board, params: Any, query: Mapping[str, Any], *, exact: bool = False
) -> dict[str, Any]:
    """``board_numbers_for``, once per board seq and view for everyone (``exact``:
    of the board's seq now, never the view's latest while that is computed)."""
    view = View.of("funnel", board, params, query)
    return shared(
        view.key,
        lambda: board_numbers_for(board, params, dict(query)),
        live=not query.get("as_of"),
        view=view,
        exact=exact,
        handoff=worker_handoff(board, params, query),
    )


def board_charts_shared(
    board: Board, params: Any, query: Mapping[str, Any], *, exact: bool = False
) -> dict[str, Any]:
    """The side panel's plotly figures of the shared numbers (``GET /charts/``)."""

    def compute() -> dict[str, Any]:
        numbers = board_numbers_shared(board, params, query, exact=True)
        figures = charts.board_charts(
            numbers, selectors.board_stages_list(board.pk), board.currency
        )
        return {**figures, "seq": numbers["seq"]}

    view = View.of("charts", board, params, query)
    return shared(
        view.key,
        compute,
        live=not query.get("as_of"),
        view=view,
        exact=exact,
        handoff=worker_handoff(board, params, query),
    )


def worker_handoff(
    board: Board, params: Any, query: Mapping[str, Any]
) -> Callable[[], bool] | None:
    """For the default view (no filter, period, channel or moment: the pushed one),
    what hands its computation to a numbers worker (``funnel.numbers.handoff``)."""
    if query or any(name in params for name in FILTER_NAMES):
        return None
    return lambda: handed_to_worker(board.pk, push=False)


@dataclass(frozen=True)
class View:
    """One view of a board's numbers (the board filters that apply, from
    ``leads.filters``, and the validated query) at the board's current seq."""

    name: str  # the view at any seq: its latest answer and its one computation
    seq: int

    @classmethod
    def of(cls, kind: str, board: Board, params: QueryDict, query: Mapping[str, Any]) -> View:
        filters = {name: sorted(params.getlist(name)) for name in FILTER_NAMES if name in params}
        view = json.dumps(
            {"filters": filters, "query": {k: str(v) for k, v in sorted(query.items())}},
            sort_keys=True,
        )
        digest = hashlib.sha256(view.encode()).hexdigest()[:32]
        return cls(f"numbers:{kind}:{board.pk}:{digest}", board.last_seq)

    @property
    def key(self) -> str:
        """The cache key of the view's answer at ``seq``."""
        return f"{self.name}:{self.seq}"


def view_key(kind: str, board: Board, params: QueryDict, query: Mapping[str, Any]) -> str:
    """The cache key of one view of the board's numbers at its current seq."""
    return View.of(kind, board, params, query).key


def shared(
    key: str,
    compute: Callable[[], dict[str, Any]],
    *,
    live: bool,
    view: View | None = None,
    exact: bool = False,
    handoff: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """The cached answer of ``key``, or the one computation of it (see the module).
    With a live ``view``: one computation of the view at a time, and (unless
    ``exact``) its latest answer while another runs, if recent enough. ``handoff``:
    what queues the computation for a numbers worker, when one is alive (True);
    unless ``exact``, this process then waits for the worker's answer."""
    found = cache_get(key)
    if found is not None:
        return found
    view = view if live else None
    gate = view.name if view is not None else key
    while True:
        with _flights_lock:
            flight = _flights.get(gate)
            leader = flight is None
            if leader:
                flight = _flights[gate] = threading.Event()
        assert flight is not None
        if leader:
            break
        stand_in = recent(view, exact=exact)
        if stand_in is not None:
            return stand_in
        connection_released()
        flight.wait(CLAIM_SECONDS)
        found = cache_get(key)
        if found is not None:
            return found
    try:
        if handoff is not None and view is not None and not exact:
            found = from_worker(key, view, handoff)
            if found is not None:
                return found
        return across_processes(key, compute, live=live, gate=gate, view=view, exact=exact)
    finally:
        with _flights_lock:
            _flights.pop(gate, None)
        flight.set()


def across_processes(
    key: str,
    compute: Callable[[], dict[str, Any]],
    *,
    live: bool,
    gate: str,
    view: View | None,
    exact: bool,
) -> dict[str, Any]:
    """This process's one computer of ``gate``: claim it, or wait for whoever has."""
    claim = f"{gate}:claim"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + CLAIM_SECONDS
    pause = POLL_SECONDS[0]
    while not cache_add(claim, token):
        found = cache_get(key) or recent(view, exact=exact)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            break  # the claim's holder is gone or stuck: compute rather than wait on
        connection_released()
        time.sleep(pause)
        pause = min(pause * 2, POLL_SECONDS[1])
    try:
        found = cache_get(key)  # computed by the claim's last holder
        if found is not None:
            return found
        began = time.time()
        answer = compute()
        cache_set(key, answer, LIVE_SECONDS if live else PAST_SECONDS)
        if view is not None:
            cache_set(
                latest_key(view), {"seq": view.seq, "at": began, "answer": answer}, LIVE_SECONDS
            )
        return answer
    finally:
        if cache_get(claim) == token:  # not one taken after ours lapsed
            cache_delete(claim)


def from_worker(key: str, view: View, handoff: Callable[[], bool]) -> dict[str, Any] | None:
    """The worker's answer of the view at its seq or later (or its latest, if recent),
    once ``handoff`` queued it; ``None`` without a worker, or when the worker's
    heartbeat lapsed meanwhile (checked every ``HANDOFF_CHECK_SECONDS``) or none came
    within ``CLAIM_SECONDS``: compute here. (A big board's computation takes the
    worker seconds; computing here as well would only double it.)"""
    if not tolerant("handoff", handoff, False):
        return None
    started = time.monotonic()
    checked = started
    pause = POLL_SECONDS[0]
    while time.monotonic() - started < CLAIM_SECONDS:
        found = cache_get(key) or recent(view)
        if found is not None:
            return found
        if time.monotonic() - checked > HANDOFF_CHECK_SECONDS:
            if not worker_alive():
                return None
            checked = time.monotonic()
        connection_released()
        time.sleep(pause)
        pause = min(pause * 2, POLL_SECONDS[1])
    return None


def connection_released() -> None:
    """A waiter gives its database connection back (to the pool, on PostgreSQL) while
    it waits: fifty panels waiting for one computation must not hold every
    connection the moves need. Inside a transaction it keeps it."""
    if not connection.in_atomic_block:
        connection.close()


def latest_key(view: View) -> str:
    return f"{view.name}:latest"


def recent(view: View | None, *, exact: bool = False) -> dict[str, Any] | None:
    """The view's latest answer, when it stands for the seq asked (it is of that
    seq or later) or, unless ``exact``, was begun at most ``NUMBERS_STALE_SECONDS``
    ago."""
    if view is None:
        return None
    kept = cache_get(latest_key(view))
    if kept is None:
        return None
    young = time.time() - kept["at"] <= settings.NUMBERS_STALE_SECONDS
    stands = kept["seq"] >= view.seq or (young and not exact)
    return kept["answer"] if stands else None


# The cache may be down (Redis): then every request computes for itself.


def tolerant[T](what: str, call: Callable[[], T], otherwise: T) -> T:
    """``call()``, or ``otherwise`` when the cache fails (logged): no answer is lost."""
    try:
        return call()
    except Exception:
        logger.warning("numbers cache unavailable (%s)", what, exc_info=True)
        return otherwise


def cache_get(key: str) -> Any:
    return tolerant("get", lambda: cache.get(key), None)


def cache_add(key: str, value: str) -> bool:
    # No claim to be had (the cache is down): compute.
    return tolerant("claim", lambda: bool(cache.add(key, value, CLAIM_SECONDS)), True)


def cache_set(key: str, value: dict[str, Any], seconds: int) -> None:
    tolerant("set", lambda: cache.set(key, value, seconds), None)


def cache_delete(key: str) -> None:
    tolerant("delete", lambda: cache.delete(key), None)
