"""Every error of the API is JSON: a service's refusal, a DRF error, or bad input
that only the database caught. Bad input never becomes a 500."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from leads.errors import ServiceError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        return Response(exc.as_body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than {limit} bytes; nothing was read."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ValidationError({"detail": str(exc)})
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IntegrityError | DataError):
        # The serializers and services check input first; reaching here means a
        # rule only the database knew (or a race on a unique name). Nothing was saved.
        logger.warning("database refused a write: %s", exc)
        exc = exceptions.ValidationError(
            {"detail": "The change breaks a rule of the stored data; nothing was saved."}
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(response.data)
    return response


def validation_body(data: Any) -> dict[str, Any]:
    """Field errors as DRF gives them, plus one readable ``detail`` line."""
    if isinstance(data, list):
        data = {"non_field_errors": data}
    body = dict(data)
    if "detail" not in body:
        body["detail"] = first_message(body) or "Invalid input."
    return body


def first_message(errors: Any, path: str = "") -> str | None:
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = path if key == "non_field_errors" else f"{path}.{key}" if path else str(key)
            message = first_message(value, name)
            if message:
                return message
        return None
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            # A list of messages reads "field: message"; a list of nested items names the index.
            name = path if isinstance(value, str) else f"{path}[{index}]"
            message = first_message(value, name)
            if message:
                return message
        return None
    return f"{path}: {errors}" if path else str(errors)
