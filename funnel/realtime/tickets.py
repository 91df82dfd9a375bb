"""Socket tickets: short-lived, single-use credentials for opening a board socket.

A long-lived secret (an API token, a share link's token) must never sit in a URL:
URLs end up in access logs, proxies' logs and browser history. A client that can
send headers on the handshake uses them (``Authorization``, ``X-Share-Token``);
one that cannot (a browser's ``WebSocket``) first asks ``POST /api/ws-ticket/``
with its usual credentials and opens ``/ws/boards/<id>/?ticket=<ticket>``.

A ticket stands for whoever asked for it (a member, or a share link's guest) and
nothing else: the socket still checks the board's membership, or the link, when
it opens. It lives ``WS_TICKET_TTL`` seconds (30) in Django's cache, which is Redis
when ``REDIS_URL`` is set, so a ticket made by one server process opens a socket
on another. Redeeming deletes it; of two sockets racing with one ticket, only the
one whose delete removed the key gets in. The cache holds only a hash of the
ticket, so reading the cache gives nobody a usable ticket.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from leads.access import ShareViewer

DEFAULT_TICKET_TTL = 30.0
TICKET_BYTES = 32  # token_urlsafe(32): 43 characters
TICKET_MAX_LENGTH = 64
KEY_PREFIX = "ws-ticket:"


def ticket_ttl() -> float:
    return float(getattr(settings, "WS_TICKET_TTL", DEFAULT_TICKET_TTL))


def _key(ticket: str) -> str:
    return KEY_PREFIX + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(holder: Any) -> str:
    """A new ticket for ``holder``: an authenticated user or a ``ShareViewer``."""
    ttl = ticket_ttl()
    if isinstance(holder, ShareViewer):
        expires = holder.expires_at.isoformat() if holder.expires_at is not None else None
        grant: dict[str, Any] = {
            "link": holder.link_id,
            "board": holder.board_id,
            "link_expires_at": expires,
        }
    else:
        assert holder.is_authenticated, "tickets are for members and share link guests"
        grant = {"user": holder.pk}
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    # The cache rounds its expiry to whole seconds; ``until`` keeps the exact one.
    grant["until"] = time.time() + ttl
    cache.set(_key(ticket), grant, timeout=max(1, math.ceil(ttl)))
    return ticket


def ticket_redeem(ticket: Any) -> dict[str, Any] | None:
    """What ``ticket`` was issued for, once: ``{"user": id}`` or ``{"link", "board",
    "link_expires_at"}``. ``None`` when it is malformed, unknown, used or expired."""
    if not isinstance(ticket, str) or not 0 < len(ticket) <= TICKET_MAX_LENGTH:
        return None
    key = _key(ticket)
    grant = cache.get(key)
    if grant is None or not cache.delete(key):  # someone else redeemed it first
        return None
    if not isinstance(grant, dict) or grant.get("until", 0) <= time.time():
        return None
    return grant
