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
from typing import Any

from django.core.cache import cache
from django.http import QueryDict

from funnel.numbers import charts
from funnel.numbers.figures import board_numbers_for
from leads import selectors
from leads.filters import LeadStateFilter
from leads.models import Board

logger = logging.getLogger(__name__)

LIVE_SECONDS = 30
PAST_SECONDS = 3600
CLAIM_SECONDS = 30
POLL_SECONDS = (0.01, 0.2)  # a waiter in another process: first and longest poll
FILTER_NAMES = tuple(LeadStateFilter.base_filters)  # what narrows the leads counted

_flights: dict[str, threading.Event] = {}
_flights_lock = threading.Lock()


def board_numbers_shared(board: Board, params: Any, query: Mapping[str, Any]) -> dict[str, Any]:
    """``board_numbers_for``, once per board seq and view for everyone."""
    return shared(
        view_key("funnel", board, params, query),
        lambda: board_numbers_for(board, params, dict(query)),
        live=not query.get("as_of"),
    )


def board_charts_shared(board: Board, params: Any, query: Mapping[str, Any]) -> dict[str, Any]:
    """The side panel's plotly figures of the shared numbers (``GET /charts/``)."""

    def compute() -> dict[str, Any]:
        numbers = board_numbers_shared(board, params, query)
        figures = charts.board_charts(
            numbers, selectors.board_stages_list(board.pk), board.currency
        )
        return {**figures, "seq": numbers["seq"]}

    return shared(view_key("charts", board, params, query), compute, live=not query.get("as_of"))


def view_key(kind: str, board: Board, params: QueryDict, query: Mapping[str, Any]) -> str:
    """The cache key of one view of the board's numbers at its current seq: the
    board filters that apply (``leads.filters``) and the validated query."""
    filters = {name: sorted(params.getlist(name)) for name in FILTER_NAMES if name in params}
    view = json.dumps(
        {"filters": filters, "query": {k: str(v) for k, v in sorted(query.items())}},
        sort_keys=True,
    )
    digest = hashlib.sha256(view.encode()).hexdigest()[:32]
    return f"numbers:{kind}:{board.pk}:{board.last_seq}:{digest}"


def shared(key: str, compute: Callable[[], dict[str, Any]], *, live: bool) -> dict[str, Any]:
    """The cached answer of ``key``, or the one computation of it (see the module)."""
    found = cache_get(key)
    if found is not None:
        return found
    with _flights_lock:
        flight = _flights.get(key)
        leader = flight is None
        if leader:
            flight = _flights[key] = threading.Event()
    assert flight is not None
    if not leader:
        flight.wait(CLAIM_SECONDS)
        found = cache_get(key)
        return found if found is not None else shared(key, compute, live=live)
    try:
        return across_processes(key, compute, live=live)
    finally:
        with _flights_lock:
            _flights.pop(key, None)
        flight.set()


def across_processes(
    key: str, compute: Callable[[], dict[str, Any]], *, live: bool
) -> dict[str, Any]:
    """This process's one computer of ``key``: claim it, or wait for whoever has."""
    claim = f"{key}:claim"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + CLAIM_SECONDS
    pause = POLL_SECONDS[0]
    while not cache_add(claim, token):
        found = cache_get(key)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            break  # the claim's holder is gone or stuck: compute rather than wait on
        time.sleep(pause)
        pause = min(pause * 2, POLL_SECONDS[1])
    try:
        answer = compute()
        cache_set(key, answer, LIVE_SECONDS if live else PAST_SECONDS)
        return answer
    finally:
        if cache_get(claim) == token:  # not one taken after ours lapsed
            cache_delete(claim)


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
