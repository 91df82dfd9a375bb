"""What a service refuses, and why. ``leads.api.errors`` turns these into HTTP answers."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 400

    def __init__(
        self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}

    def as_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail}
        if self.field:
            body[self.field] = [self.detail]
        body.update(self.extra)
        return body


class InvalidInput(ServiceError):
    status_code = 400


class PermissionDenied(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    """A stale ``version`` or a state that moved on; ``extra`` carries the current lead."""

    status_code = 409


class Gone(ServiceError):
    """Something that worked once and never will again (a used, expired or revoked invitation)."""

    status_code = 410


class MailFailed(ServiceError):
    """The mail server did not take a message; nothing was saved."""

    status_code = 502
