"""Who may call the REST API: members as before (session or token), and the holder
of a read-only share link for the few reads the meeting view makes of its board.

A share link authenticates with the header ``X-Share-Token: <token>`` only: a
long-lived secret in a URL ends up in access logs, proxies and browser history,
and the meeting view sends the header on every read (its downloads too). The
page URL ``/boards/<id>/meeting/?share=<token>`` is the link itself and stays
(``funnel.pages.views.meeting_page``); the API does not read ``?share=``. The link is
looked up on every request, so a revoked or expired one stops working at once
(403 with a readable ``detail``). It makes a ``leads.access.ShareViewer``:
the selectors show it its one board as a viewer; the services refuse it any
write; its answers name people by display name, never by username
(``GuestJSONRenderer``).

``MemberOrShareReader`` (the default permission) lets it through only safe
methods of the views named in ``SHARE_READABLE``, for its own board; every other
view (members, exports, webhooks, share links, imports, writes) answers 403.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from funnel.sharing import share_link_active
from leads.access import ShareViewer, for_guest

SHARE_TOKEN_HEADER = "X-Share-Token"

# URL names (leads.urls, funnel.api_urls) of what the meeting view reads: the
# board and its cards, the event log, the numbers beside the board (funnel,
# charts, lead quality, the handoff lane), the moves for Replay, and the recap of
# a meeting. Not the server-side PNG (it costs a browser render per call).
SHARE_READABLE = frozenset(
    {
        "api-board",
        "api-board-state",
        "api-board-events",
        "api-board-funnel",
        "api-board-charts",
        "api-board-transitions",
        "api-lead-quality",
        "api-handoff",
        "api-board-meeting",
        "api-board-meeting-recap-md",
    }
)


# Reads of no board in particular that a share link's holder may make too: the
# contract of the messages its meeting view receives.
SHARE_READABLE_ANY_BOARD = frozenset({"api-events-schema"})


class GuestJSONRenderer(JSONRenderer):
    """Every answer to a share link: JSON, shaped by ``for_guest`` (no ``username``
    anywhere), whichever view made it and whatever the client asked for (no
    browsable API for guests)."""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return super().render(for_guest(data), accepted_media_type, renderer_context)


GUEST_RENDERER = GuestJSONRenderer()


class ShareLinkAuthentication(BaseAuthentication):
    """``X-Share-Token`` -> a ``ShareViewer`` of the link's board. Without it it
    steps aside for session and token authentication; with it it wins over a
    session, so a signed-in person who is not a member can still follow a meeting
    through a link."""

    def authenticate(self, request: Request) -> tuple[ShareViewer, Any] | None:
        token = request.headers.get(SHARE_TOKEN_HEADER)
        if token is None:
            return None
        link = share_link_active(token)
        if link is None:
            # 403, not 401: the holder has nothing else to authenticate with.
            raise PermissionDenied("This share link was revoked or has expired.")
        # Every answer to a guest goes out through this renderer: DRF authenticates
        # right after content negotiation and renders with the request's renderer,
        # so choosing it here shapes every view's answer in one place.
        request.accepted_renderer = GUEST_RENDERER
        request.accepted_media_type = GUEST_RENDERER.media_type
        return ShareViewer(
            board_id=link.board_id, link_id=link.pk, expires_at=link.expires_at
        ), link


class MemberOrShareReader(BasePermission):
    """``IsAuthenticated`` for people; for a share link, the reads listed above
    (a ``ShareViewer`` is not ``is_authenticated``: a view that names its own
    permission classes keeps it out)."""

    message = "A share link only opens the meeting view of its board."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if isinstance(user, ShareViewer):
            return share_readable(request, view, user)
        return bool(user and user.is_authenticated)


def share_readable(request: Request, view: Any, viewer: ShareViewer) -> bool:
    if request.method not in SAFE_METHODS:
        return False
    match = request.resolver_match
    if match is not None and match.url_name in SHARE_READABLE_ANY_BOARD:
        return True
    if match is None or match.url_name not in SHARE_READABLE:
        return False
    # The selectors scope the viewer to its board too; this keeps it out early.
    return view.kwargs.get("board_id") == viewer.board_id


class ShareLinkScheme(OpenApiAuthenticationExtension):
    """The share link in the OpenAPI schema (``/api/schema/``)."""

    target_class = "funnel.permissions.ShareLinkAuthentication"
    name = "shareLink"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": SHARE_TOKEN_HEADER,
            "description": (
                "A read-only share link's token (shown once, in the answer that made"
                " the link). It reads only what the meeting view shows of its board;"
                " its answers name people by display name: every `username` field is"
                " absent."
            ),
        }
