"""``POST /api/ws-ticket/``: a single-use ticket to open a board socket (see
``funnel.realtime.tickets``), for a signed-in member (session + CSRF, or ``Authorization:
Token``) or a share link's guest (``X-Share-Token``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.realtime.tickets import ticket_issue, ticket_ttl
from leads.access import ShareViewer


class MemberOrShareGuest(BasePermission):
    """Anyone the socket could let in: a signed-in person or a working share link.
    (The default ``MemberOrShareReader`` lets a link make reads only.)"""

    message = "Sign in, or send a working share link's X-Share-Token."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, ShareViewer) or bool(user and user.is_authenticated)


class TicketOutput(serializers.Serializer):
    ticket = serializers.CharField(
        help_text="Open /ws/boards/<id>/?ticket=<ticket> with it, once, within expires_in s."
    )
    expires_in = serializers.FloatField(help_text="Seconds the ticket stays valid.")


class WsTicketApi(APIView):
    """A ticket for ``/ws/boards/<id>/?ticket=``: valid ``WS_TICKET_TTL`` seconds (30),
    used once, in any server process. It stands for the caller; the socket checks
    the board (membership, or the share link's board) when it opens. Browsers of
    members need none (the session cookie opens the socket); scripts may send
    ``Authorization: Token`` or ``X-Share-Token`` on the handshake instead."""

    permission_classes = (MemberOrShareGuest,)

    @extend_schema(
        request=None,
        responses={
            201: TicketOutput,
            401: OpenApiResponse(description="No credentials."),
            403: OpenApiResponse(
                description="No credentials, a bad CSRF token, or a revoked or expired share link."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        ticket = ticket_issue(request.user)
        return Response(
            TicketOutput({"ticket": ticket, "expires_in": ticket_ttl()}).data,
            status=status.HTTP_201_CREATED,
        )
