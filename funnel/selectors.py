"""Reads of the funnel app: share links."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from leads.models import Board
from leads.selectors import board_get

from .models import ShareLink

TOKEN_MAX_LENGTH = 64


def share_links_list(*, board_id: int, user: Any) -> QuerySet[ShareLink]:
    board = board_get(board_id=board_id, user=user)
    return ShareLink.objects.filter(board_id=board.pk).select_related("created_by")


def share_link_board(token: Any) -> Board | None:
    """The board a share link opens, or ``None`` when the token is unknown, revoked
    or expired. Checked on every use, so a revoked link stops working at once."""
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX_LENGTH:
        return None
    now = timezone.now()
    link = (
        ShareLink.objects.filter(token=token, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("board")
        .first()
    )
    return link.board if link is not None else None
