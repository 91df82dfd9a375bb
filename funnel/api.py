"""The numbers' REST API: funnel figures, charts, the period's transitions (Replay),
server-side PNG snapshots, read-only share links, and meetings with their recaps."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from funnel.meetings import meeting_end, meeting_get, meeting_start, meetings_list, person_name
from funnel.numbers import boardimage, charts, render_limits, snapshot
from funnel.numbers.figures import stage_conversions_for
from funnel.numbers.recap import recap_markdown
from funnel.numbers.shared import board_charts_shared, board_numbers_shared
from funnel.sharing import (
    SHARE_LINK_STATES,
    share_link_create,
    share_link_revoke,
    share_link_state,
    share_links_list,
)
from leads import selectors
from leads.api.fields import IntegerInput, MomentInput, PeriodInput, validated
from leads.api.schema import CONFLICT_ANSWER, STATE_FILTERS
from leads.models import Board
from leads.rules import display_name


class FunnelQueryInput(PeriodInput):
    start = MomentInput(required=False, help_text="Cohort: leads created at or after.")
    end = MomentInput(required=False, help_text="Cohort: leads created before.")
    channel = serializers.CharField(
        required=False, max_length=60, help_text="Only leads of campaigns of this channel."
    )
    as_of = serializers.CharField(
        required=False, max_length=64, help_text="The numbers as they stood then (ISO 8601)."
    )


class NumbersApi(APIView):
    """A view of the shared numbers: it may wait for another process's computation,
    so it runs in a thread of its own (``config.handler``)."""

    runs_apart = True


class BoardFunnelApi(NumbersApi):
    """Per stage: reached, conversion to next, drop-off, current, median and p90 days
    in stage; overall conversion; per campaign (archived ones too): leads, reach, won
    value, cost, cost per SQL and per Won (``null`` while the cost is missing:
    ``cost_missing``, never 0), MQL->SQL acceptance; weekly cohorts; velocity; handoff
    quality. Rates are fractions 0-1, ``null`` where undefined."""

    @extend_schema(
        parameters=[FunnelQueryInput, *STATE_FILTERS],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        query = validated(FunnelQueryInput, request.query_params)
        return Response(board_numbers_shared(board, request.query_params, query))


class BoardChartsApi(NumbersApi):
    """The side panel's plotly figures (funnel, time in stage, campaigns, cohorts),
    built from the same numbers as ``/funnel/`` with the same filters."""

    @extend_schema(
        parameters=[FunnelQueryInput, *STATE_FILTERS],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        query = validated(FunnelQueryInput, request.query_params)
        return Response(board_charts_shared(board, request.query_params, query))


# Replay


class TransitionsQueryInput(PeriodInput):
    start = MomentInput(required=False, help_text="Moves at or after.")
    end = MomentInput(required=False, help_text="Moves before.")
    limit = IntegerInput(
        min_value=1,
        max_value=selectors.TRANSITIONS_LIMIT_MAX,
        default=selectors.TRANSITIONS_LIMIT,
    )


class BoardTransitionListApi(APIView):
    """The period's moves, oldest first, for Replay: id, lead, from_stage, to_stage,
    at, actor (name), source, undone."""

    @extend_schema(parameters=[TransitionsQueryInput], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, board_id: int) -> Response:
        query = validated(TransitionsQueryInput, request.query_params)
        return Response(
            selectors.board_transitions_between(
                board_id=board_id,
                user=request.user,
                start=query.get("start"),
                end=query.get("end"),
                limit=query["limit"],
            )
        )


# Snapshots


class SnapshotQueryInput(serializers.Serializer):
    view = serializers.ChoiceField(["board", "funnel"], default="board")
    width = serializers.IntegerField(
        min_value=snapshot.MIN_WIDTH, max_value=snapshot.MAX_WIDTH, default=1600
    )
    height = serializers.IntegerField(
        min_value=snapshot.MIN_HEIGHT, max_value=snapshot.MAX_HEIGHT, default=900
    )
    as_of = serializers.CharField(required=False, max_length=64)


class BoardSnapshotApi(APIView):
    """The board (or its funnel chart) as a PNG of exactly ``width`` x ``height``.
    Renders are rationed (funnel.numbers.render_limits): per user and per board (429), and
    per process, a few at a time with a short queue (503 when it is full)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Errors are JSON whatever the client accepts (e.g. ``Accept: image/png``).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[SnapshotQueryInput, *STATE_FILTERS],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            429: OpenApiResponse(
                description="Too many renders for this user or board (Retry-After)."
            ),
            503: OpenApiResponse(
                description="No browser to render with, or the render queue is full (Retry-After)."
            ),
        },
    )
    def get(self, request: Request, board_id: int) -> HttpResponse:
        board = selectors.board_get(board_id=board_id, user=request.user)
        query = validated(SnapshotQueryInput, request.query_params)
        # The allowance covers the figure's reads and building too: they hold the GIL.
        with render_limits.render_allowance(user_id=request.user.pk, board_id=board.pk):
            if query["view"] == "funnel":
                numbers = board_numbers_shared(board, request.query_params, query)
                fig = charts.funnel_chart(numbers, selectors.board_stages_list(board.pk))
            else:
                fig = self.board_view(board, request, query)
            try:
                png = snapshot.render_png(fig, width=query["width"], height=query["height"])
            except snapshot.SnapshotUnavailable as error:
                return Response({"detail": str(error)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return HttpResponse(png, content_type="image/png")

    def board_view(self, board: Board, request: Request, query: dict[str, Any]) -> Any:
        """The whole board as the browser's 4K export draws it (funnel.numbers.boardimage)."""
        per_stage = snapshot.cards_that_fit(query["width"], query["height"])
        params = request.query_params
        now = timezone.now()
        if query.get("as_of"):
            state = selectors.board_state_as_of(
                board_id=board.pk,
                user=request.user,
                as_of=query["as_of"],
                filters=params,
                per_stage=per_stage,
            )
            as_of, moment = state["as_of"], state["as_of"]
        else:
            state = selectors.board_state_get(
                board_id=board.pk, user=request.user, filters=params, per_stage=per_stage
            )
            as_of, moment = None, now
        campaigns = {int(c["id"]): c for c in state.get("campaigns") or []}
        stamp = boardimage.stamp_text(
            board_name=board.name,
            filters_text=filters_text(params, campaigns),
            as_of=as_of,
            exported_at=now,
        )
        conversions = stage_conversions_for(board, params, query.get("as_of"))
        return snapshot.board_figure(
            board_name=board.name,
            currency=board.currency,
            stages=state["stages"],
            conversions=conversions,
            stamp=stamp,
            moment=moment,
            width=query["width"],
            height=query["height"],
            campaign_colours={pk: c.get("color") for pk, c in campaigns.items()},
        )


def filters_text(params: Any, campaigns: dict[int, dict[str, Any]]) -> str:
    """The filters in the stamp's words, with the campaigns' and the owner's names."""
    filters = boardimage.filters_from_params(params)
    owner = None
    if filters["owner"] is not None:
        owner = get_user_model().objects.filter(pk=filters["owner"]).first()
    return boardimage.describe_filters(
        filters,
        campaign_name=lambda pk: campaigns[pk]["name"] if pk in campaigns else f"campaign {pk}",
        person_name=lambda pk: display_name(owner) if owner is not None else f"user {pk}",
    )


# Share links


class ShareLinkInput(serializers.Serializer):
    expires_at = MomentInput(required=False, allow_null=True)


class ShareLinkOutput(serializers.Serializer):
    """A link as the board's owner and editors see it listed: never its token."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField(help_text="Display name of its maker.")
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField()

    def get_created_by(self, link: Any) -> str | None:
        return person_name(link.created_by)

    @extend_schema_field(serializers.ChoiceField(SHARE_LINK_STATES))
    def get_state(self, link: Any) -> str:
        return share_link_state(link)


class ShareLinkCreatedOutput(ShareLinkOutput):
    """A new link: the one answer that carries its token (and the URL made of it)."""

    token = serializers.CharField(help_text="Shown once: only its digest is kept.")
    url = serializers.SerializerMethodField(help_text="The meeting view opened with the link.")

    def get_url(self, link: Any) -> str:
        return f"/boards/{link.board_id}/meeting/?share={link.token}"


SHARE_LINK_NOT_FOUND = OpenApiResponse(description="No such link on this board.")


class ShareLinkListCreateApi(APIView):
    """The board's share links (owners and editors; no tokens), and a new one: its
    ``token`` and ``url`` are in the 201 answer only."""

    @extend_schema(responses=ShareLinkOutput(many=True))
    def get(self, request: Request, board_id: int) -> Response:
        links = share_links_list(board_id=board_id, user=request.user)
        return Response(ShareLinkOutput(links, many=True).data)

    @extend_schema(request=ShareLinkInput, responses={201: ShareLinkCreatedOutput})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(ShareLinkInput, request.data)
        link = share_link_create(
            board_id=board.pk, actor=request.user, expires_at=data.get("expires_at")
        )
        return Response(ShareLinkCreatedOutput(link).data, status=status.HTTP_201_CREATED)


class ShareLinkDetailApi(APIView):
    """Revoke a link by its id (as listed): its open views close at once."""

    @extend_schema(
        operation_id="boards_share_links_by_id_destroy",
        responses={204: None, 404: SHARE_LINK_NOT_FOUND},
    )
    def delete(self, request: Request, board_id: int, link_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        share_link_revoke(board_id=board.pk, actor=request.user, link_id=link_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShareLinkRevokeApi(APIView):
    """Revoke a link by its token (for whoever still holds it, e.g. a script that
    made it); the same as by its id."""

    @extend_schema(responses={204: None, 404: SHARE_LINK_NOT_FOUND})
    def delete(self, request: Request, board_id: int, token: str) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        share_link_revoke(board_id=board.pk, actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Meetings


class MeetingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    board = serializers.IntegerField(source="board_id")
    started_at = serializers.DateTimeField()
    started_by = serializers.SerializerMethodField()
    ended_at = serializers.DateTimeField(allow_null=True)
    ended_by = serializers.SerializerMethodField()
    running = serializers.BooleanField()
    recap = serializers.JSONField(allow_null=True, help_text="Set once the meeting has ended.")

    def get_started_by(self, meeting: Any) -> str | None:
        return display_name(meeting.started_by) if meeting.started_by else None

    def get_ended_by(self, meeting: Any) -> str | None:
        return display_name(meeting.ended_by) if meeting.ended_by else None


class MeetingListCreateApi(APIView):
    """The board's latest meetings (running first); POST starts one (owners and
    editors; 409 naming the running one when a meeting already runs)."""

    @extend_schema(responses=MeetingOutput(many=True))
    def get(self, request: Request, board_id: int) -> Response:
        meetings = meetings_list(board_id=board_id, user=request.user)
        return Response(MeetingOutput(meetings, many=True).data)

    @extend_schema(request=None, responses={201: MeetingOutput, 409: CONFLICT_ANSWER})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        meeting = meeting_start(board_id=board.pk, actor=request.user)
        return Response(MeetingOutput(meeting).data, status=status.HTTP_201_CREATED)


class MeetingDetailApi(APIView):
    """One meeting; its ``recap`` once it has ended."""

    @extend_schema(responses=MeetingOutput)
    def get(self, request: Request, board_id: int, meeting_id: int) -> Response:
        meeting = meeting_get(board_id=board_id, meeting_id=meeting_id, user=request.user)
        return Response(MeetingOutput(meeting).data)


class MeetingEndApi(APIView):
    """End the meeting: computes, keeps and answers its recap (owners and editors).
    Ending an ended meeting answers it unchanged."""

    @extend_schema(request=None, responses={200: MeetingOutput})
    def post(self, request: Request, board_id: int, meeting_id: int) -> Response:
        meeting = meeting_get(board_id=board_id, meeting_id=meeting_id, user=request.user)
        meeting = meeting_end(board_id=meeting.board_id, meeting_id=meeting.pk, actor=request.user)
        return Response(MeetingOutput(meeting).data)


class MeetingRecapMarkdownApi(APIView):
    """The recap as a Markdown file (409 while the meeting runs)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Errors are JSON whatever the client accepts (e.g. ``Accept: text/markdown``).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR, 409: CONFLICT_ANSWER})
    def get(self, request: Request, board_id: int, meeting_id: int) -> HttpResponse:
        meeting = meeting_get(board_id=board_id, meeting_id=meeting_id, user=request.user)
        if meeting.recap is None:
            return Response(
                {"detail": "The meeting is still running; end it for a recap."},
                status=status.HTTP_409_CONFLICT,
            )
        day = meeting.started_at.strftime("%Y-%m-%d")
        response = HttpResponse(recap_markdown(meeting.recap), content_type="text/markdown")
        response["Content-Disposition"] = f'attachment; filename="meeting-recap-{day}.md"'
        return response
