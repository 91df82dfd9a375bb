"""The records' REST API. Thin views: validate the input, make one service or
selector call, shape the answer. Lookups are scoped to the user's boards, so
another board's records are "not found"; services decide who may write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.throttle import login_attempt
from leads import selectors
from leads.api.fields import validated
from leads.api.idempotency import idempotent
from leads.api.schema import CONFLICT_ANSWER, STATE_FILTERS
from leads.api.serializers import (
    BoardCopyInput,
    BoardCreateInput,
    BoardDeleteInput,
    BoardOutput,
    BoardSummaryOutput,
    BoardTemplateOutput,
    BoardUpdateInput,
    BoardUpdateOutput,
    CampaignCreateInput,
    CampaignMoveInput,
    CampaignMoveOutput,
    CampaignOutput,
    CampaignUpdateInput,
    CampaignUpdateOutput,
    ConflictOutput,
    EventsOutput,
    EventsQueryInput,
    FeedbackAnswerOutput,
    FeedbackInput,
    FeedbackOutput,
    LeadCreateInput,
    LeadMoveInput,
    LeadMoveOutput,
    LeadOutput,
    LeadUpdateInput,
    MemberInput,
    MemberOutput,
    StateOutput,
    StateQueryInput,
    TimelineQueryInput,
    TokenInput,
    TokenOutput,
    TransitionOutput,
    UndoInput,
    UndoOutput,
)
from leads.events import message_schema
from leads.filters import CampaignListFilter, LeadListFilter
from leads.models import Campaign, Lead, TransitionSource
from leads.selectors.reading import one_snapshot
from leads.services import (
    board_copy,
    board_create,
    board_delete,
    board_member_add,
    board_update,
    campaign_create,
    campaign_move,
    campaign_update,
    lead_create,
    lead_feedback_record,
    lead_move,
    lead_update,
    transition_undo,
)
from leads.services.boards import StageSpec

CONFLICT = OpenApiResponse(ConflictOutput, description="Stale version: the lead as it is now.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Up to 255 characters. The same key again within 24 h replays the first "
    "answer (`Idempotent-Replayed: true`) and writes nothing; with another body, 409.",
)


class TokenObtainApi(ObtainAuthToken):
    """Trade a username and password for an API token. Throttled with the sign-in
    forms (``config.throttle``): failures per client address and per username."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            400: OpenApiResponse(description="Missing fields, or no such username and password."),
            429: OpenApiResponse(
                description="Too many failed attempts from this address or for this username; "
                "`Retry-After` says when to try again."
            ),
        },
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data
        attempt = login_attempt(
            request, username=data.get("username") if isinstance(data, Mapping) else None
        )
        if not attempt.allowed:
            raise Throttled(
                wait=attempt.retry_after, detail="Too many sign-in attempts: request was throttled."
            )
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        attempt.succeeded()
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


# Boards


class BoardListCreateApi(APIView):
    @extend_schema(
        responses=BoardSummaryOutput(many=True),
        description="The caller's boards, archived ones too (`archived`).",
    )
    def get(self, request: Request) -> Response:
        boards = selectors.boards_with_role(request.user)
        return Response(BoardSummaryOutput(boards, many=True).data)

    @extend_schema(
        request=BoardCreateInput,
        responses={201: BoardOutput},
        description="A new board, owned by the caller, with the stages of a `template`"
        " (`GET /api/board-templates/`) or explicit `stages`; giving both is a 400.",
    )
    def post(self, request: Request) -> Response:
        data = validated(BoardCreateInput, request.data)
        stages = [cast(StageSpec, dict(stage)) for stage in data.get("stages") or []]
        board = board_create(
            name=data["name"],
            created_by=request.user,
            stages=stages or None,
            template=data.get("template"),
            team=data["team"],
        )
        board = selectors.board_detail_get(board_id=board.pk, user=request.user)
        return Response(BoardOutput(board).data, status=status.HTTP_201_CREATED)


class BoardTemplateListApi(APIView):
    """The funnels a new board can start from (``leads.board_templates``)."""

    @extend_schema(responses=BoardTemplateOutput(many=True))
    def get(self, request: Request) -> Response:
        templates = selectors.board_templates_list()
        return Response(BoardTemplateOutput(templates, many=True).data)


class BoardDetailApi(APIView):
    @extend_schema(responses=BoardOutput)
    def get(self, request: Request, board_id: int) -> Response:
        board = selectors.board_detail_get(board_id=board_id, user=request.user)
        return Response(BoardOutput(board).data)

    @extend_schema(
        request=BoardUpdateInput,
        responses={200: BoardUpdateOutput, 409: CONFLICT_ANSWER},
        description="Rename the board, set its currency, archive or restore it (its owner)."
        " Every change is one `board.updated` event. An archived board is read-only:"
        " every write to it is a 409 until it is restored (`archived: false`).",
    )
    def patch(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(BoardUpdateInput, request.data)
        result = board_update(board_id=board.pk, actor=request.user, **data)
        board = selectors.board_detail_get(board_id=board.pk, user=request.user)
        return Response({**BoardOutput(board).data, "event": result.event})

    @extend_schema(
        responses={
            204: None,
            400: OpenApiResponse(description="`confirm` is missing or not the board's name."),
        },
        # OpenAPI 3.0 gives a DELETE no request body, so the body is described here.
        description="Delete the board with its leads, history, campaigns, webhooks and share"
        ' links (its owner), archived or not. Body: `{"confirm": "<the board\'s name>"}`,'
        " exactly its name as it is now; anything else is a 400 naming `confirm`.",
    )
    def delete(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(BoardDeleteInput, request.data)
        board_delete(board_id=board.pk, actor=request.user, confirm=data["confirm"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardCopyApi(APIView):
    @extend_schema(
        request=BoardCopyInput,
        responses={201: BoardOutput},
        description="A new board with this one's set-up: its currency, stages, rejection"
        " reasons and campaigns (every field), without leads or history. The caller owns it.",
    )
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(BoardCopyInput, request.data)
        copy = board_copy(board_id=board.pk, actor=request.user, name=data["name"])
        copy = selectors.board_detail_get(board_id=copy.pk, user=request.user)
        return Response(BoardOutput(copy).data, status=status.HTTP_201_CREATED)


class BoardMemberListCreateApi(APIView):
    @extend_schema(responses=MemberOutput(many=True))
    def get(self, request: Request, board_id: int) -> Response:
        members = selectors.board_memberships_list(board_id=board_id, user=request.user)
        return Response(MemberOutput(members, many=True).data)

    @extend_schema(request=MemberInput, responses={201: MemberOutput})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(MemberInput, request.data)
        membership = board_member_add(board_id=board.pk, actor=request.user, **data)
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)


# Said where a guest's answer differs from the schema's components.
GUEST_NAMES = (
    " Read through a share link (`X-Share-Token`), people are named by display `name`"
    " only: every `username` field is absent (`funnel.permissions.GuestJSONRenderer`)."
)


class BoardStateApi(APIView):
    @extend_schema(
        parameters=[StateQueryInput, *STATE_FILTERS],
        responses=StateOutput,
        description="The board's stages with their first cards, its campaigns, and `people`"
        " (members and card owners, by user id)." + GUEST_NAMES,
    )
    def get(self, request: Request, board_id: int) -> Response:
        query = validated(StateQueryInput, request.query_params)
        with one_snapshot():
            # Without as_of this is the live board; with it, the board as it stood then.
            state = selectors.board_state_as_of(
                as_of=request.query_params.get("as_of"),
                board_id=board_id,
                user=request.user,
                filters=request.query_params,
                per_stage=query["per_stage"],
                stage_id=query.get("stage"),
                cursor=query.get("cursor"),
                sort=query.get("sort"),
            )
        # The cards are already in their wire form (leads.selectors.cards); only the board
        # goes through a serializer, which keeps a 500-card answer cheap.
        state["board"] = BoardSummaryOutput(state["board"]).data
        return Response(state)


class BoardEventListApi(APIView):
    @extend_schema(
        parameters=[EventsQueryInput],
        responses=EventsOutput,
        description="The board's events after `after`, in seq order, each with its"
        " `actor`; every event type's JSON Schema is `GET /api/events/schema/`." + GUEST_NAMES,
    )
    def get(self, request: Request, board_id: int) -> Response:
        query = validated(EventsQueryInput, request.query_params)
        events = selectors.board_events_after(
            board_id=board_id, user=request.user, after=query["after"], limit=query["limit"]
        )
        return Response(events)


class EventSchemaApi(APIView):
    """The one contract of the socket and the event log: the JSON Schema of every
    message (``leads.events.schema``). Members and share-link guests may read it;
    the front end's build carries the same schema (``manage.py event_contract``)."""

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A JSON Schema.")},
        description="The JSON Schema (2020-12) of every message on a board's socket and in"
        " its `/events/`: a `oneOf` over the message types, each with its `type` const."
        " Stored events carry `seq`, `at` and `actor`; the others are never stored.",
    )
    def get(self, request: Request) -> JsonResponse:
        # Not through a renderer: a guest's renderer drops every "username" key,
        # which would take the property out of the schema itself.
        return JsonResponse(message_schema())


class BoardUndoApi(APIView):
    @extend_schema(request=UndoInput, responses={200: UndoOutput, 409: CONFLICT_ANSWER})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(UndoInput, request.data)
        result = transition_undo(
            board_id=board.pk,
            actor=request.user,
            batch=data.get("batch"),
            transition_id=data.get("transition"),
        )
        return Response(UndoOutput(result).data)


# Campaigns


class CampaignListCreateApi(generics.ListAPIView):
    serializer_class = CampaignOutput
    filterset_class = CampaignListFilter
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Campaign.objects.none()
        return selectors.campaigns_for_user(self.request.user)

    @extend_schema(request=CampaignCreateInput, responses={201: CampaignOutput})
    def post(self, request: Request) -> Response:
        data = validated(CampaignCreateInput, request.data, context={"request": request})
        board = data.pop("board")
        campaign: Campaign = campaign_create(board_id=board.pk, actor=request.user, **data)
        return Response(CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    @extend_schema(responses=CampaignOutput)
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get(campaign_id=campaign_id, user=request.user)
        return Response(CampaignOutput(campaign).data)

    @extend_schema(
        request=CampaignUpdateInput,
        responses={200: CampaignUpdateOutput},
        description='Change any of the campaign\'s fields, archive it (`"archived": true`)'
        " or restore it (`false`); owners and editors. All or nothing: a refusal names its"
        " field and changes nothing. Every browser on the board applies the answer's"
        " `campaign.updated` event.",
    )
    def patch(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get(campaign_id=campaign_id, user=request.user)
        data = validated(CampaignUpdateInput, request.data, partial=True)
        result = campaign_update(campaign_id=campaign.pk, actor=request.user, **data)
        body = {**CampaignOutput(result.campaign).data, "changed": result.fields}
        return Response({**body, "event": result.event})


class CampaignMoveApi(APIView):
    @extend_schema(request=CampaignMoveInput, responses={200: CampaignMoveOutput})
    def post(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get(campaign_id=campaign_id, user=request.user)
        data = validated(CampaignMoveInput, request.data)
        result = campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=data["from_stage"],
            to_stage_id=data["to_stage"],
            actor=request.user,
            reason=data["reason"],
        )
        return Response(CampaignMoveOutput(result).data)


# Leads


def lead_owner(board_id: int, data: dict[str, Any]) -> None:
    """Swap an ``owner`` id for the board member it names."""
    if data.get("owner") is not None:
        data["owner"] = selectors.board_member_user_get(board_id=board_id, user_id=data["owner"])


class LeadListCreateApi(generics.ListAPIView):
    serializer_class = LeadOutput
    filterset_class = LeadListFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Lead.objects.none()
        # Archived (and erased) leads only with ?archived=1; the current ones by default.
        archived = self.request.query_params.get("archived", "") in ("1", "true")
        return selectors.leads_for_user(self.request.user).filter(archived_at__isnull=not archived)

    @extend_schema(
        request=LeadCreateInput,
        responses={201: LeadOutput, 409: CONFLICT_ANSWER},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent("leads.create")
    def post(self, request: Request) -> Response:
        data = validated(LeadCreateInput, request.data, context={"request": request})
        board = data.pop("board")
        lead_owner(board.pk, data)
        lead: Lead = lead_create(
            board_id=board.pk,
            actor=request.user,
            stage_id=data.pop("stage", None),
            campaign_id=data.pop("campaign", None),
            **data,
        )
        return Response(LeadOutput(lead).data, status=status.HTTP_201_CREATED)


class LeadDetailApi(APIView):
    @extend_schema(responses=LeadOutput)
    def get(self, request: Request, lead_id: int) -> Response:
        return Response(LeadOutput(selectors.lead_get(lead_id=lead_id, user=request.user)).data)

    @extend_schema(request=LeadUpdateInput, responses={200: LeadOutput, 409: CONFLICT})
    def patch(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        data = validated(LeadUpdateInput, request.data, partial=True)
        lead_owner(lead.board_id, data)
        lead = lead_update(lead_id=lead.pk, actor=request.user, **data)
        return Response(LeadOutput(lead).data)


class LeadMoveApi(APIView):
    @extend_schema(
        request=LeadMoveInput,
        responses={200: LeadMoveOutput, 409: CONFLICT},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent("leads.move")
    def post(self, request: Request, lead_id: int) -> Response:
        # The service answers 404 for a lead on a board the user is not on.
        data = validated(LeadMoveInput, request.data)
        result = lead_move(
            lead_id=lead_id,
            to_stage_id=data["to_stage"],
            actor=request.user,
            position=data.get("position"),
            version=data.get("version"),
            after=data.get("after"),
            before=data.get("before"),
            reason=data["reason"],
            note=data["note"],
            # A drag on the board comes with a session; a script with a token.
            source=TransitionSource.API
            if isinstance(request.auth, Token)
            else TransitionSource.DRAG,
        )
        transition = TransitionOutput(result.transition).data if result.transition else None
        return Response(
            {
                "lead": result.card,
                "transition": transition,
                "seq": result.seq,
                "event": result.event,
            }
        )


class LeadTransitionListApi(APIView):
    @extend_schema(responses=TransitionOutput(many=True))
    def get(self, request: Request, lead_id: int) -> Response:
        transitions = selectors.lead_transitions_list(lead_id=lead_id, user=request.user)
        return Response(TransitionOutput(transitions, many=True).data)


class LeadTimelineApi(APIView):
    """The drawer's history of one lead (``leads.selectors.timeline``): members of
    its board only; a share link's guest is refused (``MemberOrShareReader``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("before", OpenApiTypes.STR, description="The `next` of a page."),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description="Items per page, 1-200 (default 50)."
            ),
        ],
        responses=OpenApiTypes.OBJECT,
        description="The lead's transitions, verdicts, notes and edits, newest first:"
        ' `{"items": [...], "next": <cursor or null>}`.',
    )
    def get(self, request: Request, lead_id: int) -> Response:
        data = validated(TimelineQueryInput, request.query_params)
        return Response(
            selectors.lead_timeline(
                lead_id=lead_id,
                user=request.user,
                before=data.get("before") or None,
                limit=data["limit"],
            )
        )


class LeadFeedbackApi(APIView):
    @extend_schema(request=FeedbackInput, responses={201: FeedbackAnswerOutput})
    def post(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        data = validated(FeedbackInput, request.data)
        result = lead_feedback_record(lead_id=lead.pk, actor=request.user, **data)
        body = {
            **FeedbackOutput(result.feedback).data,
            "event": result.event,
            "moved": result.moved,
        }
        return Response(body, status=status.HTTP_201_CREATED)
