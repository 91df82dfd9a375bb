"""``Idempotency-Key`` for POST views: ``@idempotent("leads.create")`` on a handler.

Its own module (not ``api_bridge``) so that ``leads.api`` can import it without a
cycle. The key is reserved before the handler runs, so two requests racing with
one key do not both write: the second gets a 409 until the first has answered.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import Conflict, InvalidInput
from .models import IdempotencyKey
from .services.tx import write_transaction

IDEMPOTENCY_TTL = dt.timedelta(hours=24)
IDEMPOTENCY_HEADER = "Idempotency-Key"


def fingerprint(request: Request, kwargs: dict[str, Any]) -> str:
    body = json.dumps(
        {"data": request.data, "url": kwargs}, sort_keys=True, cls=DjangoJSONEncoder, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


@write_transaction
def idempotency_reserve(
    *, user: Any, key: str, endpoint: str, print_: str
) -> IdempotencyKey | None:
    """Reserve the key for this request; the stored row when it was used already."""
    now = timezone.now()
    IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    existing = IdempotencyKey.objects.filter(user=user, endpoint=endpoint, key=key).first()
    if existing is not None:
        return existing
    try:
        IdempotencyKey.objects.create(
            user=user, key=key, endpoint=endpoint, fingerprint=print_, created_at=now
        )
    except IntegrityError:  # another request with this key got there first
        return IdempotencyKey.objects.get(user=user, endpoint=endpoint, key=key)
    return None


@write_transaction
def idempotency_store(*, user: Any, key: str, endpoint: str, response: Response | None) -> None:
    """Keep the answer (any 2xx-4xx); forget the key after a crash or a 5xx so it can retry."""
    keys = IdempotencyKey.objects.filter(user=user, endpoint=endpoint, key=key)
    if response is None or response.status_code >= 500:
        keys.delete()
        return
    keys.update(status_code=response.status_code, response=json_safe(response.data))


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
            stored = idempotency_reserve(
                user=request.user, key=key, endpoint=endpoint, print_=print_
            )
            if stored is not None:
                if stored.fingerprint != print_:
                    raise Conflict("This Idempotency-Key was used with another request body.")
                if stored.status_code is None:
                    raise Conflict("A request with this Idempotency-Key is still running.")
                replay = Response(stored.response, status=stored.status_code)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response: Response | None = None
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)
            finally:
                idempotency_store(user=request.user, key=key, endpoint=endpoint, response=response)
            return response

        return wrapper

    return decorate
