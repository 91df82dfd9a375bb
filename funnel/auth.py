"""Who is on the other end of a websocket: a session (browsers), ``?token=``, or
a share link's ``?share=``.

Scripts and other non-browser clients have no session cookie; they pass their
DRF token (``POST /api/auth/token/``) as ``?token=<key>``. A token that is
given but matches no active user leaves the socket anonymous, even with a
session: a failed credential must not fall back silently to another one.

The meeting view opened through a read-only share link connects with
``?share=<token>``: a link that still works makes the socket's user a
``ShareViewer`` of the link's board (it wins over a session, as on the REST
API); one that is unknown, revoked or expired leaves it anonymous and sets
``scope["share_refused"]``, so the consumer can tell the page why.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token

from leads.principals import ShareViewer

from .selectors import share_link_active


def query_value(scope: dict[str, Any], name: str) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    values = query.get(name)
    return values[0] if values else None


def token_from_query(scope: dict[str, Any]) -> str | None:
    return query_value(scope, "token")


@database_sync_to_async
def user_for_token(key: str) -> Any:
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from ``?token=`` when the query carries one."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        key = token_from_query(scope)
        if key is not None:
            scope = dict(scope, user=await user_for_token(key))
        return await super().__call__(scope, receive, send)


@database_sync_to_async
def viewer_for_share(token: str) -> ShareViewer | None:
    link = share_link_active(token)
    if link is None:
        return None
    return ShareViewer(board_id=link.board_id, link_id=link.pk, expires_at=link.expires_at)


class ShareLinkMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from ``?share=`` when the query carries one."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token = query_value(scope, "share")
        if token is not None:
            viewer = await viewer_for_share(token)
            if viewer is None:
                scope = dict(scope, user=AnonymousUser(), share_refused=True)
            else:
                scope = dict(scope, user=viewer)
        return await super().__call__(scope, receive, send)


def TokenOrSessionAuthMiddlewareStack(inner: Any) -> Any:
    """Channels' session stack with ``?token=`` and ``?share=`` on top (named like
    Channels' own)."""
    return AuthMiddlewareStack(TokenAuthMiddleware(ShareLinkMiddleware(inner)))


class BrowserOriginValidator(OriginValidator):
    """Origin checked against ALLOWED_HOSTS whenever there is one.

    Browsers always send ``Origin`` on a websocket, which is what stops another
    site's page from riding on a user's session. A client that sends none is not
    a browser (a script with ``?token=``); it still has to authenticate.
    """

    def valid_origin(self, parsed_origin: Any) -> bool:
        return parsed_origin is None or super().valid_origin(parsed_origin)


def origin_checked(inner: Any) -> BrowserOriginValidator:
    return BrowserOriginValidator(inner, settings.ALLOWED_HOSTS)
