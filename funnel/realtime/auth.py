"""Who is on the other end of a websocket, and whether their page may ask.

Credentials, the first one given wins (a given one that fails leaves the socket
anonymous, even with a session: a failed credential never falls back silently
to another one):

- ``?ticket=<ticket>``: a single-use ticket from ``POST /api/ws-ticket/`` (see
  ``funnel.realtime.tickets``), the one credential a URL may carry. The meeting view of a
  share link's guest fetches one before each (re)connect.
- ``X-Share-Token: <token>`` and ``Authorization: Token <key>`` handshake headers,
  for scripts and other clients that can send headers.
- the session cookie (browsers of members), through Channels' session stack.

A guest's credential (a ticket of a link, or ``X-Share-Token``) makes the
socket's user a ``ShareViewer`` of the link's board while the link works; a link
that does not (revoked, expired, unknown) leaves it anonymous and sets
``scope["share_refused"]``, so the consumer can tell the page why (4410).

``?token=`` and ``?share=`` are refused (anonymous): a long-lived secret in a URL
lands in access logs, and refusing it makes a client that still sends one notice.

``origin_checked`` refuses the handshake of a page from another origin (see
``origin_allowed``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain
from rest_framework.authtoken.models import Token

from config.clients import scope_header, scope_scheme
from funnel.realtime.tickets import ticket_redeem
from funnel.sharing import share_link_active, share_link_alive
from leads.access import ShareViewer

# Query parameters that used to carry long-lived secrets.
SECRET_QUERY_PARAMS = ("token", "share")
TICKET_QUERY_PARAM = "ticket"
ANONYMOUS: dict[str, Any] = {"user": AnonymousUser()}
LINK_ENDED: dict[str, Any] = {"user": AnonymousUser(), "share_refused": True}


def query_values(scope: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def token_key(authorization: str) -> str | None:
    """The key of ``Authorization: Token <key>`` (DRF's form); other schemes are not ours."""
    parts = authorization.split()
    if len(parts) == 2 and parts[0].lower() == "token":
        return parts[1]
    return None


@database_sync_to_async
def user_for_token(key: str) -> dict[str, Any]:
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return ANONYMOUS
    return {"user": token.user}


@database_sync_to_async
def viewer_for_share(token: str) -> dict[str, Any]:
    link = share_link_active(token)
    if link is None:
        return LINK_ENDED
    return {
        "user": ShareViewer(board_id=link.board_id, link_id=link.pk, expires_at=link.expires_at)
    }


@database_sync_to_async
def holder_for_ticket(ticket: str) -> dict[str, Any]:
    grant = ticket_redeem(ticket)
    if grant is None:
        return ANONYMOUS
    if "link" in grant:
        # The link may have ended since the ticket was made.
        if not share_link_alive(grant["link"]):
            return LINK_ENDED
        expires = grant["link_expires_at"]
        viewer = ShareViewer(
            board_id=grant["board"],
            link_id=grant["link"],
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )
        return {"user": viewer}
    user = get_user_model().objects.filter(pk=grant["user"], is_active=True).first()
    return {"user": user} if user is not None else ANONYMOUS


async def credential(scope: dict[str, Any]) -> dict[str, Any] | None:
    """What the socket's explicit credential makes of the scope (``user``, maybe
    ``share_refused``); ``None`` when it carries none (the session decides)."""
    query = query_values(scope)
    if any(name in query for name in SECRET_QUERY_PARAMS):
        return ANONYMOUS
    if TICKET_QUERY_PARAM in query:
        return await holder_for_ticket(query[TICKET_QUERY_PARAM][0])
    share = scope_header(scope, b"x-share-token")
    if share:
        return await viewer_for_share(share[0])
    for authorization in scope_header(scope, b"authorization"):
        key = token_key(authorization)
        if key is not None:
            return await user_for_token(key)
    return None


class CredentialMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from the socket's explicit credential, if any."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        found = await credential(scope)
        if found is not None:
            scope = dict(scope, **found)
        return await super().__call__(scope, receive, send)


def TokenOrSessionAuthMiddlewareStack(inner: Any) -> Any:
    """Channels' session stack with tickets and credential headers on top (named like
    Channels' own)."""
    return AuthMiddlewareStack(CredentialMiddleware(inner))


# Origin


Origin = tuple[str, str, int]
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str) -> Origin | None:
    """``(scheme, host, port)`` of an http(s) origin, the port made explicit."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin the client reached: the scheme it used and the Host it asked
    for, when that host is one of ours (``ALLOWED_HOSTS``)."""
    hosts = scope_header(scope, b"host")
    if len(hosts) != 1:
        return None
    domain, port = split_domain_port(hosts[0])
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return parse_origin(f"{scope_scheme(scope)}://{domain}" + (f":{port}" if port else ""))


def trusted(origin: Origin, pattern: str) -> bool:
    """Is ``origin`` one of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` also
    naming its subdomains, as for Django's CSRF check)?"""
    wildcard = "://*." in pattern
    allowed = parse_origin(pattern.replace("://*.", "://", 1))
    if allowed is None:
        return False
    scheme, host, port = allowed
    if (origin[0], origin[2]) != (scheme, port):
        return False
    return is_same_domain(origin[1], f".{host}") if wildcard else origin[1] == host


def origin_allowed(scope: dict[str, Any]) -> bool:
    """A browser always sends ``Origin`` on a websocket: it must be this site's own
    (same scheme, host and port as the request, the host in ``ALLOWED_HOSTS``) or
    one of ``CSRF_TRUSTED_ORIGINS``. That is what stops another site's page from
    riding on a member's session. A client that sends none is not a browser (a
    script); it still has to authenticate."""
    values = scope_header(scope, b"origin")
    if not values:
        return True
    if len(values) > 1:
        return False
    origin = parse_origin(values[0])
    if origin is None:  # "null" (a sandboxed page, a file), or not http(s)
        return False
    if origin == own_origin(scope):
        return True
    return any(trusted(origin, pattern) for pattern in settings.CSRF_TRUSTED_ORIGINS)


class OriginChecked:
    """Refuses the handshake (HTTP 403) of a socket whose origin is not allowed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)


def origin_checked(inner: Any) -> OriginChecked:
    return OriginChecked(inner)
