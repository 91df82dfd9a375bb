"""Writes of the funnel app: share links (made and revoked by a board's editors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from leads.errors import InvalidInput, NotFound
from leads.services.access import membership_for_write

from .models import ShareLink


@transaction.atomic
def share_link_create(
    *, board_id: int, actor: Any, expires_at: datetime | None = None
) -> ShareLink:
    """A new read-only link to the board's meeting view (owners and editors)."""
    membership_for_write(board_id, actor)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expires_at must be in the future.", field="expires_at")
    return ShareLink.objects.create(board_id=board_id, created_by=actor, expires_at=expires_at)


@transaction.atomic
def share_link_revoke(*, board_id: int, actor: Any, token: str) -> ShareLink:
    """Revoke at once (idempotent: a revoked link stays revoked at its first time)."""
    membership_for_write(board_id, actor)
    link = ShareLink.objects.select_for_update().filter(board_id=board_id, token=token).first()
    if link is None:
        raise NotFound("Share link not found.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link
