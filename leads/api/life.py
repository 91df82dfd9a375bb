"""Many leads at once (``POST /api/boards/<id>/bulk/``) and a lead's end of life
(archive, restore, erase). Thin views over ``leads.services.bulk`` and
``leads.services.archive``, which hold every rule; the input serializers check
types and refuse unknown fields. Each write answers its stored event."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.api.fields import IntegerInput, id_field, validated
from leads.api.schema import CONFLICT_ANSWER
from leads.api.serializers import StoredEventField, StrictInput
from leads.errors import InvalidInput
from leads.selectors.cards import card
from leads.services.archive import LifeResult, lead_archive, lead_erase, lead_restore
from leads.services.bulk import BULK_MAX, leads_bulk_move, leads_bulk_update, lost_stage_of

ACTIONS = ("move", "assign", "campaign", "lost")
# The fields each action takes besides ``leads``, ``action`` and ``versions``.
ACTION_FIELDS = {
    "move": {"to_stage", "position", "reason", "note"},
    "assign": {"owner"},
    "campaign": {"campaign"},
    "lost": {"reason", "note"},
}


class BulkInput(StrictInput):
    leads = serializers.ListField(
        child=id_field(), allow_empty=False, max_length=BULK_MAX, help_text="Lead ids."
    )
    action = serializers.ChoiceField(ACTIONS)
    versions = serializers.DictField(
        child=IntegerInput(min_value=1),
        required=False,
        help_text='Optional: {"<lead id>": version}; any stale -> 409, nothing written.',
    )
    to_stage = id_field(required=False)
    position = IntegerInput(min_value=0, required=False, allow_null=True)
    owner = id_field(required=False, allow_null=True)
    campaign = id_field(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        action = attrs["action"]
        extra = sorted(set(attrs) - {"leads", "action", "versions"} - ACTION_FIELDS[action])
        if extra:
            raise serializers.ValidationError(
                {name: [f"Not a field of a bulk {action}."] for name in extra}
            )
        needed = {"move": "to_stage", "assign": "owner", "campaign": "campaign"}.get(action)
        if needed and needed not in attrs:
            raise serializers.ValidationError({needed: ["This field is required."]})
        return attrs


class BulkOutput(serializers.Serializer):
    batch = serializers.UUIDField()
    seq = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Leads changed.")
    event = StoredEventField(help_text="The one `leads.moved` or `leads.updated` event.")


class BoardBulkApi(APIView):
    @extend_schema(request=BulkInput, responses={200: BulkOutput, 409: CONFLICT_ANSWER})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(BulkInput, request.data)
        action = data["action"]
        common: dict[str, Any] = {
            "board_id": board.pk,
            "actor": request.user,
            "lead_ids": data["leads"],
            "versions": data.get("versions"),
        }
        if action in ("move", "lost"):
            to_stage = data.get("to_stage")
            if action == "lost":
                to_stage = lost_stage_of(board.pk)
            result = leads_bulk_move(
                **common,
                to_stage_id=to_stage,
                position=data.get("position"),
                reason=data.get("reason"),
                note=data.get("note", ""),
            )
        else:
            field = "owner" if action == "assign" else "campaign"
            result = leads_bulk_update(**common, **{field: data[field]})
        return Response(
            {"batch": result.batch, "seq": result.seq, "count": result.count, "event": result.event}
        )


class LifeOutput(serializers.Serializer):
    lead = serializers.JSONField(help_text="The lead's card as it is now.")
    seq = serializers.IntegerField()
    event = StoredEventField()


def life_answer(result: LifeResult) -> Response:
    return Response({"lead": card(result.lead), "seq": result.seq, "event": result.event})


class LeadArchiveApi(APIView):
    @extend_schema(request=None, responses={200: LifeOutput, 409: CONFLICT_ANSWER})
    def post(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        return life_answer(lead_archive(lead_id=lead.pk, actor=request.user))


class LeadRestoreApi(APIView):
    @extend_schema(request=None, responses={200: LifeOutput, 409: CONFLICT_ANSWER})
    def post(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        return life_answer(lead_restore(lead_id=lead.pk, actor=request.user))


class EraseInput(StrictInput):
    confirm = serializers.CharField(help_text="The lead's name, typed.", allow_blank=True)


class LeadEraseApi(APIView):
    @extend_schema(request=EraseInput, responses={200: LifeOutput})
    def post(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        if not isinstance(request.data, dict) or "confirm" not in request.data:
            raise InvalidInput("Type the lead's name to erase it for good.", field="confirm")
        data = validated(EraseInput, request.data)
        return life_answer(lead_erase(lead_id=lead.pk, actor=request.user, confirm=data["confirm"]))
