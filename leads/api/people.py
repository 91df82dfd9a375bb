"""People's REST API: a board's invitations (made, listed, revoked), accepting one
(with a new account or the caller's own), and changing or removing members.
Thin views: validate, one service or selector call, shape the answer. Who may
do what is the services' rule (``leads.services.invitations``, ``.people``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.throttle import login_attempt
from leads import selectors
from leads.api.fields import validated
from leads.api.schema import CONFLICT_ANSWER, THROTTLED_ANSWER
from leads.api.serializers import MemberOutput, StrictInput
from leads.models import Invitation, Role, Team
from leads.rules import display_name
from leads.selectors.people import invitations_pending
from leads.services.invitations import (
    NewInvitation,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from leads.services.people import member_remove, member_update


class PersonRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Display name.")


class InvitationInput(StrictInput):
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        trim_whitespace=False,
        help_text="Mail the link to this address; leave it out for a link to paste in chat.",
    )
    role = serializers.ChoiceField(Role.choices)
    team = serializers.ChoiceField(Team.choices)


class InvitationOutput(serializers.Serializer):
    """An invitation as its board's owner sees it listed: never its token."""

    id = serializers.IntegerField()
    email = serializers.CharField(help_text="Empty for a link to paste.")
    role = serializers.ChoiceField(Role.choices)
    team = serializers.ChoiceField(Team.choices)
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()

    @extend_schema_field(PersonRefOutput(allow_null=True))
    def get_created_by(self, invitation: Invitation) -> dict[str, Any] | None:
        user = invitation.created_by
        return {"id": user.pk, "name": display_name(user)} if user is not None else None


class InvitationCreatedOutput(InvitationOutput):
    """A new invitation: the one answer that carries its link."""

    url = serializers.CharField(help_text="Absolute; shown once (only a digest is kept).")
    emailed = serializers.BooleanField(help_text="The link went out to `email`.")


class AcceptInput(StrictInput):
    """For a new account; empty when the caller is signed in (session or token)."""

    username = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    password = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, style={"input_type": "password"}
    )
    display_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="For password resets; an invitation sent by email gives its own address.",
    )


class BoardRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AcceptedOutput(serializers.Serializer):
    board = BoardRefOutput(source="membership.board")
    member = MemberOutput(source="membership")
    account_created = serializers.BooleanField(
        source="created", help_text="A new account was made; sign in with it."
    )
    url = serializers.SerializerMethodField(help_text="The board's page.")
    event = serializers.DictField(help_text="The stored `member.joined` event.")

    def get_url(self, accepted: Any) -> str:
        return f"/boards/{accepted.membership.board_id}/"


class MemberUpdateInput(StrictInput):
    role = serializers.ChoiceField(Role.choices, required=False)
    team = serializers.ChoiceField(Team.choices, required=False)


def created_body(made: NewInvitation) -> dict[str, Any]:
    body = dict(InvitationOutput(made.invitation).data)
    return {**body, "url": made.url, "emailed": made.emailed}


class InvitationListCreateApi(APIView):
    """The board's pending invitations, and a new one (the board's owner only)."""

    @extend_schema(responses=InvitationOutput(many=True))
    def get(self, request: Request, board_id: int) -> Response:
        invitations = invitations_pending(board_id=board_id, user=request.user)
        return Response(InvitationOutput(invitations, many=True).data)

    @extend_schema(
        request=InvitationInput,
        responses={
            201: InvitationCreatedOutput,
            502: OpenApiResponse(
                description="The mail server did not take the mail; nothing saved."
            ),
        },
        description="With `email`, the link is mailed there (refused with 400 when a member"
        " already has that address); without, it is only in the answer, to paste in chat."
        " The link works once, for INVITATION_DAYS days (7).",
    )
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(InvitationInput, request.data)
        made = invitation_create(
            board_id=board.pk,
            actor=request.user,
            role=data["role"],
            team=data["team"],
            email=data.get("email", ""),
            site=request.build_absolute_uri("/"),
        )
        return Response(created_body(made), status=status.HTTP_201_CREATED)


class InvitationDetailApi(APIView):
    @extend_schema(
        responses={204: None, 409: CONFLICT_ANSWER},
        description="Revoke an invitation (the board's owner): its link stops working.",
    )
    def delete(self, request: Request, invitation_id: int) -> Response:
        invitation_revoke(invitation_id=invitation_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptApi(APIView):
    """Join the invitation's board. Signed in (session or token): as that account,
    with an empty body. Otherwise a new account is made from the body (the
    password through Django's validators); it is not signed in by this call.
    Throttled like sign-in (``config.throttle``)."""

    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(
        request=AcceptInput,
        responses={
            201: AcceptedOutput,
            404: OpenApiResponse(description="No invitation has this token."),
            409: OpenApiResponse(description="Already a member of the board."),
            410: OpenApiResponse(description="Used, revoked or expired: `state` says which."),
            429: THROTTLED_ANSWER,
        },
    )
    def post(self, request: Request, token: str) -> Response:
        raw = request.data
        attempt = login_attempt(
            request, username=raw.get("username") if isinstance(raw, Mapping) else None
        )
        if not attempt.allowed:
            raise Throttled(wait=attempt.retry_after, detail="Too many attempts: try again later.")
        data = validated(AcceptInput, raw)
        accepted = invitation_accept(token=token, actor=request.user, **data)
        attempt.succeeded()
        return Response(AcceptedOutput(accepted).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    @extend_schema(
        request=MemberUpdateInput,
        responses=MemberOutput,
        description="Change a member's role or team (the board's owner). It applies at once:"
        " `member.updated` on the board's socket. The last owner keeps the owner role (400).",
    )
    def patch(self, request: Request, board_id: int, user_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(MemberUpdateInput, request.data)
        membership = member_update(board_id=board.pk, actor=request.user, user_id=user_id, **data)
        return Response(MemberOutput(membership).data)

    @extend_schema(
        responses={204: None},
        description="Remove a member (the board's owner), or leave (your own id; anyone)."
        " Their sockets close with 4403; the last owner cannot go (400).",
    )
    def delete(self, request: Request, board_id: int, user_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        member_remove(board_id=board.pk, actor=request.user, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
