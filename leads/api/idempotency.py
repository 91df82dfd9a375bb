"""``Idempotency-Key`` for POST views: ``@idempotent("leads.create")`` on a handler.

Its own module (not ``api_bridge``) so that ``leads.api.views`` can import it without a
cycle. The key is reserved in the same transaction as the request's writes and
its stored answer: the reservation exists exactly when the request's change
does. A request whose worker dies mid-way leaves nothing, so its retry runs as
if it were the first (no key stuck "still running"); two requests racing with
one key meet on the key's unique index, and the second, once the first has
committed, replays the first's answer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.errors import Conflict, InvalidInput
from leads.models import IdempotencyKey
from leads.services.tx import write_transaction

IDEMPOTENCY_TTL = dt.timedelta(hours=24)
IDEMPOTENCY_HEADER = "Idempotency-Key"


def fingerprint(request: Request, kwargs: dict[str, Any]) -> str:
    body = json.dumps(
        {"data": request.data, "url": kwargs}, sort_keys=True, cls=DjangoJSONEncoder, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


@write_transaction
def idempotent_run(
    *, user: Any, key: str, endpoint: str, print_: str, run: Callable[[], Response]
) -> Response:
    """Reserve the key, run the request and keep its answer, all in one transaction.
    An answer (any 2xx-4xx) is kept 24 h; an unexpected error rolls everything back,
    the reservation with it, so a retry runs again."""
    now = timezone.now()
    IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    try:
        # A savepoint: a duplicate key leaves the transaction usable. On PostgreSQL
        # the insert waits for a racing request with this key to commit or roll back.
        with transaction.atomic():
            reservation = IdempotencyKey.objects.create(
                user=user, key=key, endpoint=endpoint, fingerprint=print_, created_at=now
            )
    except IntegrityError:
        stored = IdempotencyKey.objects.get(user=user, endpoint=endpoint, key=key)
        return replay(stored, print_)
    response = run()
    if response.status_code >= 500:
        transaction.set_rollback(True)  # not an answer to keep: the retry runs again
        return response
    reservation.status_code = response.status_code
    reservation.response = json_safe(response.data)
    reservation.save(update_fields=["status_code", "response"])
    return response


def replay(stored: IdempotencyKey, print_: str) -> Response:
    if stored.fingerprint != print_:
        raise Conflict("This Idempotency-Key was used with another request body.")
    answer = Response(stored.response, status=stored.status_code)
    answer["Idempotent-Replayed"] = "true"
    return answer


def json_safe(data: Any) -> Any:
    """The answer as the client got it (DRF's JSON renderer: decimals as numbers)."""
    return json.loads(JSONRenderer().render(data))


def idempotent(endpoint: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Honour an ``Idempotency-Key`` header on a POST handler: the first request runs
    and its answer is kept 24 h (per user and endpoint); the same key again gets that
    answer (same status, ``Idempotent-Replayed: true``) and writes nothing; the same
    key with another body is a 409. No header: the handler runs as usual."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
            if not key:
                return handler(view, request, *args, **kwargs)
            if len(key) > 255:
                raise InvalidInput("Idempotency-Key is longer than 255 characters.")
            print_ = fingerprint(request, kwargs)

            def run() -> Response:
                try:
                    return handler(view, request, *args, **kwargs)
                except Exception as exc:
                    # A refusal (4xx) is an answer to keep; anything else is
                    # raised again by DRF and rolls the reservation back.
                    return view.handle_exception(exc)

            return idempotent_run(
                user=request.user, key=key, endpoint=endpoint, print_=print_, run=run
            )

        return wrapper

    return decorate
