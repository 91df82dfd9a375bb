"""The error answers every operation of the OpenAPI schema can give, added to each
by a drf-spectacular postprocessing hook, so that no view has to list them and
none is forgotten: 400 (bad input), 401/403 (credentials, rights), 404 (an id in
the path that is not the caller's), 413 (a body over DATA_UPLOAD_MAX_MEMORY_SIZE)
and 503 (the database busy, with Retry-After). A 409 or a 429 belongs to a few
operations: their views declare it (``CONFLICT``, ``THROTTLED`` below)."""

from __future__ import annotations

import functools
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from leads.models import Team

ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` says what went wrong; a field error also names the field, "
    "with a list of messages.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

CONFLICT_ANSWER = OpenApiResponse(description="The board moved on: see `detail`.")
THROTTLED_ANSWER = OpenApiResponse(description="Too many requests: wait Retry-After seconds.")


def error_answer(description: str, *, retry: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if retry:
        answer["headers"] = RETRY_AFTER
    return answer


def error_add(
    responses: dict[str, Any], code: str, description: str, *, retry: bool = False
) -> None:
    answer = responses.setdefault(code, error_answer(description, retry=retry))
    # A view's own 409/429 gets the error body (and Retry-After) as well.
    answer.setdefault("content", {"application/json": {"schema": ERROR_REF}})
    if retry:
        answer.setdefault("headers", RETRY_AFTER)


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            body = "requestBody" in operation

            add = functools.partial(error_add, responses)
            if body or any(p.get("in") == "query" for p in parameters):
                add("400", "Invalid input: `detail`, and the messages of each field.")
            if operation.get("security"):
                add("401", "No credentials, or wrong ones (`WWW-Authenticate: Token`).")
                add("403", "Not allowed: a viewer writing, a share link beyond its board.")
            if any(p.get("in") == "path" for p in parameters):
                add("404", "No such record among the caller's boards.")
            if body:
                add("413", "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.")
            for code in ("409", "429"):
                if code in responses:
                    add(code, "", retry=code == "429")
            add("503", "The database is busy; nothing was changed. Retry after.", retry=True)
    return result


# The board filters every read of its leads takes (``leads.filters``), documented once.
STATE_FILTERS = [
    OpenApiParameter(
        "campaign", OpenApiTypes.INT, many=True, description="Campaign ids, repeated or comma list."
    ),
    OpenApiParameter("owner", OpenApiTypes.INT, description="Lead owner's user id."),
    OpenApiParameter("team", OpenApiTypes.STR, enum=Team.values, description="Owner's team."),
    OpenApiParameter("score_min", OpenApiTypes.INT),
    OpenApiParameter("score_max", OpenApiTypes.INT),
    OpenApiParameter("q", OpenApiTypes.STR, description="Name, email or company contains."),
    OpenApiParameter(
        "overdue", OpenApiTypes.STR, enum=["1"], description="1: only leads past their SLA."
    ),
]
