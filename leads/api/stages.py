"""A board's stages through REST, for its owner: add, change, reorder, remove.
Thin views over ``leads.services.stages``, which holds every rule (names, kinds,
order, limits, colours, who may); the input serializers check only types. Each
write answers the stored event every other browser receives (``event``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.api.fields import IntegerInput, id_field, validated
from leads.api.serializers import StageOutput, StageTeamField, StoredEventField, StrictInput
from leads.models import StageKind
from leads.services.stages import (
    NAME_MAX,
    STAGES_MAX,
    StageWrite,
    stage_create,
    stage_delete,
    stage_update,
    stages_reorder,
)

LIMIT_HELP = "Whole number, 1 or more; null for none."


class StageFieldsInput(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX * 4, help_text="Unique on the board.")
    kind = serializers.ChoiceField(
        StageKind.choices, help_text="At least one open stage and the won stage remain."
    )
    team = StageTeamField(help_text="Who owns the stage.")
    sla_days = IntegerInput(
        required=False, allow_null=True, help_text="Days a lead may stay. " + LIMIT_HELP
    )
    wip_limit = IntegerInput(
        required=False, allow_null=True, help_text="Leads the stage may hold. " + LIMIT_HELP
    )
    color = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="#rrggbb."
    )


class StageCreateInput(StrictInput, StageFieldsInput):
    kind = serializers.ChoiceField(StageKind.choices, default=StageKind.OPEN)
    team = StageTeamField(default="marketing")
    before = id_field(required=False, allow_null=True, help_text="Place it before this stage.")
    after = id_field(
        required=False,
        allow_null=True,
        help_text="Place it after this stage. Neither: an open stage goes right before the"
        " first won or lost stage, a won or lost one at the end.",
    )


class StageUpdateInput(StrictInput, StageFieldsInput):
    pass


class StageDeleteInput(serializers.Serializer):
    move_to = id_field(
        required=False,
        allow_null=True,
        help_text="Where the stage's leads go (another stage of the board); required when"
        " it holds any.",
    )


class StagesOrderInput(serializers.Serializer):
    stages = serializers.ListField(
        child=IntegerInput(min_value=1),
        allow_empty=False,
        max_length=STAGES_MAX,
        help_text="Every stage's id once, in the new funnel order (open stages first).",
    )


class StageWriteOutput(serializers.Serializer):
    stage = StageOutput(allow_null=True, help_text="The stage as it is now (null: a reorder).")
    order = serializers.ListField(
        child=serializers.IntegerField(), help_text="The board's stages in funnel order."
    )
    seq = serializers.IntegerField()
    event = StoredEventField(
        allow_null=True, help_text="The stored event; null when nothing changed."
    )


class StageDeleteOutput(StageWriteOutput):
    batch = serializers.UUIDField(help_text="POST it to /boards/<id>/undo/ to bring it back.")
    moved = serializers.IntegerField(help_text="Leads moved to move_to.")


def answer(result: StageWrite, *, code: int = status.HTTP_200_OK) -> Response:
    body: dict[str, Any] = {
        "stage": StageOutput(result.stage).data if result.stage is not None else None,
        "order": result.order,
        "seq": result.seq,
        "event": result.event,
    }
    if result.batch is not None:
        body |= {"batch": str(result.batch), "moved": result.moved}
    return Response(body, status=code)


class BoardStageCreateApi(APIView):
    @extend_schema(
        request=StageCreateInput,
        responses={201: StageWriteOutput},
        description="Add a stage (owners). The event is `stage.created`.",
    )
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(StageCreateInput, request.data)
        result = stage_create(board_id=board.pk, actor=request.user, **data)
        return answer(result, code=status.HTTP_201_CREATED)


class StageDetailApi(APIView):
    @extend_schema(
        request=StageUpdateInput,
        responses=StageWriteOutput,
        description="Change a stage's name, kind, team, SLA days, WIP limit or colour"
        " (owners; the fields given). The event is `stage.updated`.",
    )
    def patch(self, request: Request, stage_id: int) -> Response:
        stage = selectors.stage_get(stage_id=stage_id, user=request.user)
        data = validated(StageUpdateInput, request.data, partial=True)
        return answer(stage_update(stage_id=stage.pk, actor=request.user, **data))

    @extend_schema(
        request=StageDeleteInput,
        responses=StageDeleteOutput,
        description="Remove a stage (owners). A stage that holds leads needs `move_to`"
        " (400 naming it otherwise): they move there in one batch, which the board's undo"
        " takes back, stage and all. The event is `stage.deleted`.",
    )
    def delete(self, request: Request, stage_id: int) -> Response:
        stage = selectors.stage_get(stage_id=stage_id, user=request.user)
        data = validated(StageDeleteInput, request.data or request.query_params)
        result = stage_delete(stage_id=stage.pk, actor=request.user, move_to=data.get("move_to"))
        return answer(result)


class BoardStageOrderApi(APIView):
    @extend_schema(
        request=StagesOrderInput,
        responses=StageWriteOutput,
        description="Put the stages in a new funnel order (owners): every stage once, open"
        " stages before Won and Lost. The event is `stages.reordered`.",
    )
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(StagesOrderInput, request.data)
        return answer(stages_reorder(board_id=board.pk, actor=request.user, stages=data["stages"]))
