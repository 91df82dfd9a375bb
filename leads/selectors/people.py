"""Who is on a board and who is invited: the members with when they were last
seen, the pending invitations (for the board's owner), an invitation by its token."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ..errors import PermissionDenied
from ..models import Invitation, Role
from ..tokens import token_digest_of
from .boards import board_get


def invitations_pending(*, board_id: int, user: Any) -> QuerySet[Invitation]:
    """The board's invitations whose links still work, newest first, with who sent
    them: for its owner (others on the board 403, anyone else 404)."""
    board = board_get(board_id=board_id, user=user)
    if getattr(board, "my_role", None) != Role.OWNER:
        raise PermissionDenied("Only the board's owner sees and sends its invitations.")
    return (
        Invitation.objects.filter(
            board_id=board.pk,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def invitation_find(token: Any) -> Invitation | None:
    """The invitation of ``token`` whatever its state, with its board; ``None`` when
    no invitation has it."""
    digest = token_digest_of(token)
    if digest is None:
        return None
    return Invitation.objects.select_related("board").filter(token_hash=digest).first()
