"""The numbers' REST API: funnel figures per stage and per campaign."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.api import STATE_FILTERS, validated

from . import analytics


class FunnelQueryInput(serializers.Serializer):
    start = serializers.DateTimeField(
        required=False, help_text="Cohort: leads created at or after."
    )
    end = serializers.DateTimeField(required=False, help_text="Cohort: leads created before.")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        return attrs


class BoardFunnelApi(APIView):
    """Per stage: reached, conversion to next, drop-off, current, median and p90 days
    in stage; overall conversion; per campaign: leads, reach, won value, cost per SQL
    and per Won. Rates are fractions 0-1, ``null`` where undefined."""

    @extend_schema(
        parameters=[FunnelQueryInput, *STATE_FILTERS],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        query = validated(FunnelQueryInput, request.query_params)
        start, end = query.get("start"), query.get("end")
        stages = selectors.stages_frame(board.pk)
        leads = selectors.leads_frame(board.pk, request.query_params)
        transitions = selectors.transitions_frame(board.pk)
        figures = analytics.stage_figures(
            stages=stages,
            leads=leads,
            transitions=transitions,
            now=timezone.now(),
            start=start,
            end=end,
        )
        figures["campaigns"] = analytics.campaign_figures(
            stages=stages,
            leads=leads,
            transitions=transitions,
            campaigns=selectors.campaigns_frame(board.pk),
            start=start,
            end=end,
        )
        figures["seq"] = board.last_seq
        return Response(figures)
