"""Read-only share links to a board's meeting view: made and revoked by its
editors, found by token (only a digest is stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from funnel.models import ShareLink, new_token, token_digest
from funnel.realtime.announce import announce_on_commit
from leads.access import membership_for_write
from leads.errors import InvalidInput, NotFound, PermissionDenied
from leads.events.schema import ShareRevoked
from leads.models import Board
from leads.rules import may_edit
from leads.selectors import board_get
from leads.services.tx import write_transaction
from leads.validation import MAX_ID


@write_transaction
def share_link_create(
    *, board_id: int, actor: Any, expires_at: datetime | None = None
) -> ShareLink:
    """A new read-only link to the board's meeting view (owners and editors).
    The answer's ``token`` is the only time the token is known: the row keeps
    its digest."""
    membership_for_write(board_id, actor)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expires_at must be in the future.", field="expires_at")
    token = new_token()
    link = ShareLink.objects.create(
        board_id=board_id, created_by=actor, expires_at=expires_at, token_hash=token_digest(token)
    )
    link.token = token
    return link


@write_transaction
def share_link_revoke(
    *, board_id: int, actor: Any, token: str | None = None, link_id: int | None = None
) -> ShareLink:
    """Revoke the board's link named by its ``link_id`` (what the list shows) or by
    its ``token`` (what its holder has), at once. Idempotent: a revoked link stays
    revoked at its first time. Every socket open with the link closes (announced
    again on a repeat, in case a process missed the first)."""
    membership_for_write(board_id, actor)
    if (token is None) == (link_id is None):
        raise ValueError("Name the link by exactly one of token and link_id.")
    if link_id is not None:
        # An id out of range is no link's (and the database would refuse it).
        links = ShareLink.objects.filter(pk=link_id) if 0 < link_id <= MAX_ID else None
    else:
        links = links_of_token(token)
    link = None
    if links is not None:
        link = links.select_for_update().filter(board_id=board_id).first()
    if link is None:
        raise NotFound("Share link not found.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    announce_on_commit(board_id, ShareRevoked(link=link.pk))
    return link


TOKEN_MAX_LENGTH = 64


SHARE_LINK_STATES = ("active", "revoked", "expired")


def share_links_list(*, board_id: int, user: Any) -> QuerySet[ShareLink]:
    """The board's links, newest first, for those who may make them (owners and
    editors; viewers 403, others 404). No token can be listed: only its digest
    is stored (the answer to a link's creation is the one place it shows)."""
    board = board_get(board_id=board_id, user=user)
    if not may_edit(getattr(board, "my_role", None)):
        raise PermissionDenied("Only the board's owner and editors see its share links.")
    return ShareLink.objects.filter(board_id=board.pk).select_related("created_by")


def links_of_token(token: Any) -> QuerySet[ShareLink] | None:
    """The (at most one) link of ``token``, by its digest; ``None`` for what cannot
    be a token (not text, empty, too long)."""
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX_LENGTH:
        return None
    return ShareLink.objects.filter(token_hash=token_digest(token))


def share_link_find(token: Any) -> ShareLink | None:
    """The link of ``token`` whatever its state (revoked, expired), or ``None``."""
    links = links_of_token(token)
    return links.select_related("board").first() if links is not None else None


def usable_links(links: QuerySet[ShareLink]) -> QuerySet[ShareLink]:
    """Those of ``links`` that still open their board: not revoked, not expired."""
    return links.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def share_link_state(link: ShareLink, now: datetime | None = None) -> str:
    """One of ``SHARE_LINK_STATES`` (revoked wins over expired)."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def share_link_active(token: Any) -> ShareLink | None:
    """The link of ``token`` when it still opens its board: not revoked, not expired.
    Checked on every use, so a revoked link stops working at once."""
    links = links_of_token(token)
    return usable_links(links).select_related("board").first() if links is not None else None


def share_link_alive(link_id: int) -> bool:
    """Does the link still open its board (an open socket asks from time to time)?"""
    return usable_links(ShareLink.objects.filter(pk=link_id)).exists()


def share_link_board(token: Any) -> Board | None:
    """The board a share link opens, or ``None`` when the token is unknown, revoked
    or expired."""
    link = share_link_active(token)
    return link.board if link is not None else None
