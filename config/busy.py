"""A database too busy to serve a request now is a 503 with ``Retry-After``, never
a 500 after a long wait: no free pooled connection within ``DB_POOL_TIMEOUT``, a
row lock not granted within ``DB_LOCK_TIMEOUT`` (PostgreSQL), or SQLite's write
lock not granted within its busy timeout. JSON for the API, a short page for
the rest. Nothing was written: the request's transaction rolled back. Also
when every write slot of the process stayed taken (``leads.services.tx``).

``DatabaseBusyMiddleware`` answers for exceptions raised in views (DRF hands
them on when its exception handler has no answer); ``server_error`` (the 500
handler) for those raised elsewhere, e.g. while a middleware saves the session.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error

from leads.services.tx import WritersBusy

logger = logging.getLogger(__name__)

RETRY_AFTER = 2  # seconds


def busy_reason(exc: BaseException | None) -> str | None:
    """What kept the database from serving, or ``None`` when ``exc`` is another error."""
    if not isinstance(exc, OperationalError):
        return None
    if isinstance(exc, WritersBusy):
        return str(exc)
    cause = exc.__cause__
    kind = type(cause).__name__ if cause is not None else ""
    if kind == "PoolTimeout":
        return "every database connection is in use"
    if kind in ("LockNotAvailable", "QueryCanceled") or "lock timeout" in str(exc):
        return "the records it needs are being changed by another request"
    if "database is locked" in str(exc):
        return "another write is still running"
    return None


def busy_response(request: HttpRequest, reason: str) -> HttpResponse:
    logger.warning("503 for %s %s: %s", request.method, request.path, reason)
    message = f"The server is busy ({reason}); nothing was changed. Try again in a moment."
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=503, headers=headers)
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Busy · Funnelboard</title>"
        f"<h1>Funnelboard is busy</h1><p>{message}</p><p><a href=''>Try again</a></p></html>"
    )
    return HttpResponse(page, status=503, headers=headers)


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        reason = busy_reason(exception)
        return busy_response(request, reason) if reason else None


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a busy database outside a view is a 503 too."""
    reason = busy_reason(sys.exc_info()[1])
    if reason:
        return busy_response(request, reason)
    return django_server_error(request)
