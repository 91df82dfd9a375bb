"""The data bridge's REST API: import, export, upsert by external id, the feedback
loop (rejection reasons, lead quality, the handoff lane), webhooks."""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.api.fields import IntegerInput, NameInput, PeriodInput, QueryInput, id_field, validated
from leads.api.parsers import StrictJSONParser
from leads.api.schema import STATE_FILTERS
from leads.api.serializers import ATTRIBUTES_HELP, LeadOutput
from leads.integrations import csv_export as exporters
from leads.integrations import csv_import as importers
from leads.models import Webhook
from leads.services.imports import leads_import, progress_to_board
from leads.services.reasons import lost_reasons_set, rejection_reasons_set
from leads.services.upsert import lead_upsert
from leads.services.webhooks import webhook_create, webhook_delete
from leads.validation import ascii_integer, attributes_problem, data_problem

# --- Import ---


class ImportInput(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.JSONField(
        required=False, help_text='JSON object: {"CSV column": "lead field" | "attributes"}.'
    )
    dry_run = serializers.BooleanField(required=False, default=False)
    create_missing = serializers.BooleanField(required=False, default=False)
    mode = serializers.ChoiceField(
        choices=[("all", "all"), ("good_rows", "good_rows")],
        required=False,
        default="all",
        help_text="all (default): any problem and nothing is written. good_rows: the rows"
        " without a problem are written; `errors` lists the others and `rejected_csv` gives"
        " them back with their problems.",
    )
    new_stages_after = id_field(
        required=False,
        allow_null=True,
        help_text="With create_missing: the open stage the new stages follow (in the file's"
        " order). Default: right before the first won or lost stage.",
    )
    progress_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{1,64}$",
        required=False,
        help_text="Echoed as `import` in this import's `import.progress` socket messages, "
        "so a browser follows its own import when several run at once.",
    )

    def validate_mapping(self, value: Any) -> dict[str, str]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError("mapping must be a JSON object.") from None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise serializers.ValidationError("mapping must map column names to field names.")
        problem = data_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


# What a multipart body carries besides the file (boundaries, mapping, options).
FORM_OVERHEAD = 256 * 1024


def file_error(message: str) -> dict[str, Any]:
    return {
        "detail": message,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [{"row": None, "field": "file", "message": message}],
    }


class BoardImportApi(APIView):
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(request={"multipart/form-data": ImportInput}, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        # Refused before the upload is read: a huge body never reaches the disk.
        declared = request.META.get("CONTENT_LENGTH") or "0"
        too_big = declared.isdigit() and int(declared) > importers.MAX_IMPORT_BYTES + FORM_OVERHEAD
        upload = None if too_big else request.FILES.get("file")
        if too_big or (upload is not None and (upload.size or 0) > importers.MAX_IMPORT_BYTES):
            limit = importers.MAX_IMPORT_BYTES // 2**20
            return Response(
                file_error(f"The file is larger than {limit} MB."),
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        data = validated(ImportInput, request.data)
        result = leads_import(
            board_id=board.pk,
            actor=request.user,
            data=data["file"].read(),
            mapping=data.get("mapping"),
            dry_run=data["dry_run"],
            create_missing=data["create_missing"],
            new_stages_after=data.get("new_stages_after"),
            mode=data["mode"],
            progress=progress_to_board(board.pk, progress_id=data.get("progress_id")),
        )
        body = result.as_dict(preview=result.dry_run)
        if result.refused:
            first = result.errors[0]
            where = f"row {first['row']}: " if first["row"] else ""
            body["detail"] = (
                f"{len(result.errors)} problem(s); nothing was imported. {where}"
                + (first["message"])
            )
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        if result.errors:
            verb = "would be" if result.dry_run else "were"
            body["detail"] = (
                f"{result.rejected} row(s) with problems {verb} skipped; the others {verb}"
                " imported."
            )
        return Response(body)


# --- Export ---


class CsvExportMixin:
    """Answers CSV, or JSON for an error (whatever the client accepts)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return (JSONRenderer(), JSONRenderer.media_type)


def csv_response(rows: Any, filename: str) -> FileResponse:
    """The whole file is written before the first byte is sent (to memory, then to
    disk past ``exporters.SPOOL_MEMORY``): a failure half way is an error answer,
    never a download cut short that looks complete."""
    return FileResponse(
        exporters.csv_file(rows), as_attachment=True, filename=filename, content_type="text/csv"
    )


class BoardExportApi(CsvExportMixin, APIView):
    @extend_schema(parameters=STATE_FILTERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, board_id: int) -> FileResponse:
        board = selectors.board_get(board_id=board_id, user=request.user)
        rows = exporters.lead_rows(board.pk, request.query_params)
        return csv_response(rows, f"{board.slug}-leads.csv")


class BoardTransitionsExportApi(CsvExportMixin, APIView):
    @extend_schema(parameters=[PeriodInput], responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, board_id: int) -> FileResponse:
        board = selectors.board_get(board_id=board_id, user=request.user)
        period = validated(PeriodInput, request.query_params)
        rows = exporters.transition_rows(board.pk, period.get("start"), period.get("end"))
        return csv_response(rows, f"{board.slug}-transitions.csv")


# --- Upsert by external id ---


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class StageOrCampaignField(serializers.Field):
    """An id (number) or a name (text)."""

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool):
            raise serializers.ValidationError("An id or a name.")
        if isinstance(data, int):
            return data
        if isinstance(data, str) and data.strip():
            text = data.strip()
            return int(text) if ascii_integer(text) else text[:200]
        raise serializers.ValidationError("An id or a name.")

    def to_representation(self, value: Any) -> Any:
        return value


class LeadUpsertInput(serializers.Serializer):
    external_id = serializers.CharField(max_length=200)
    name = NameInput(max_length=200, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.CharField(  # type: ignore[assignment]  # the lead's source, not Field.source
        max_length=100, required=False, allow_blank=True
    )
    crm_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    score = IntegerInput(min_value=0, max_value=100, required=False)
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, coerce_to_string=False
    )
    attributes = serializers.DictField(required=False, help_text=ATTRIBUTES_HELP)
    stage = StageOrCampaignField(required=False)
    campaign = StageOrCampaignField(required=False)
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text='Into a lost stage: one of the board\'s lost reasons (else "Imported").',
    )

    def validate_attributes(self, value: Any) -> dict[str, Any]:
        problem = attributes_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class LeadUpsertApi(APIView):
    parser_classes = (StrictJSONParser,)

    @extend_schema(request=LeadUpsertInput, responses={200: LeadOutput, 201: LeadOutput})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = dict(validated(LeadUpsertInput, request.data))
        result = lead_upsert(
            board_id=board.pk,
            actor=request.user,
            external_id=data.pop("external_id"),
            fields=data,
        )
        body = {
            **LeadOutput(result.lead).data,
            "created": result.created,
            "changed": result.changed,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


# --- The feedback loop ---


class RejectionReasonsInput(serializers.Serializer):
    reasons = serializers.ListField(
        child=NameInput(max_length=200), max_length=50, allow_empty=False
    )


class RejectionReasonsApi(APIView):
    @extend_schema(responses=RejectionReasonsInput)
    def get(self, request: Request, board_id: int) -> Response:
        reasons = selectors.rejection_reasons_get(board_id=board_id, user=request.user)
        return Response({"reasons": reasons})

    @extend_schema(request=RejectionReasonsInput, responses=RejectionReasonsInput)
    def put(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(RejectionReasonsInput, request.data)
        reasons = rejection_reasons_set(
            board_id=board.pk, actor=request.user, reasons=data["reasons"]
        )
        return Response({"reasons": reasons})


class LostReasonsApi(APIView):
    """Why deals are lost: the list every entry into a lost stage picks from
    (members read it; the owner replaces it). Same rules as the rejection reasons."""

    @extend_schema(responses=RejectionReasonsInput)
    def get(self, request: Request, board_id: int) -> Response:
        reasons = selectors.lost_reasons_get(board_id=board_id, user=request.user)
        return Response({"reasons": reasons})

    @extend_schema(request=RejectionReasonsInput, responses=RejectionReasonsInput)
    def put(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(RejectionReasonsInput, request.data)
        reasons = lost_reasons_set(board_id=board.pk, actor=request.user, reasons=data["reasons"])
        return Response({"reasons": reasons})


class LeadQualityInput(PeriodInput):
    as_of = serializers.CharField(
        required=False,
        max_length=64,
        help_text="Sales' verdicts as they stood then (ISO 8601): later ones left out.",
    )


class LeadQualityApi(APIView):
    @extend_schema(parameters=[LeadQualityInput], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, board_id: int) -> Response:
        period = validated(LeadQualityInput, request.query_params)
        quality = selectors.lead_quality_get(
            board_id=board_id,
            user=request.user,
            start=period.get("start"),
            end=period.get("end"),
            as_of=period.get("as_of"),
        )
        return Response(quality)


class HandoffQueryInput(QueryInput):
    limit = IntegerInput(
        min_value=1,
        max_value=selectors.HANDOFF_PAGE_MAX,
        default=selectors.HANDOFF_PAGE,
    )
    offset = IntegerInput(min_value=0, max_value=10**9, default=0)


class HandoffApi(APIView):
    @extend_schema(parameters=[HandoffQueryInput], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, board_id: int) -> Response:
        query = validated(HandoffQueryInput, request.query_params)
        return Response(
            selectors.handoff_list(
                board_id=board_id, user=request.user, limit=query["limit"], offset=query["offset"]
            )
        )


# --- Webhooks ---


class WebhookInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    events = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=50
    )


class WebhookOutput(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ("id", "url", "events", "active", "delivered_seq", "created_at")


class WebhookListCreateApi(APIView):
    @extend_schema(responses=WebhookOutput(many=True))
    def get(self, request: Request, board_id: int) -> Response:
        webhooks = selectors.webhooks_list(board_id=board_id, user=request.user)
        return Response(WebhookOutput(webhooks, many=True).data)

    @extend_schema(request=WebhookInput, responses={201: WebhookOutput})
    def post(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        data = validated(WebhookInput, request.data)
        webhook = webhook_create(board_id=board.pk, actor=request.user, **data)
        # The secret is shown once, here: the receiver needs it to check signatures.
        body = {**WebhookOutput(webhook).data, "secret": webhook.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, board_id: int, webhook_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        webhook_delete(board_id=board.pk, actor=request.user, webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, board_id: int, webhook_id: int) -> Response:
        return Response(
            selectors.webhook_deliveries_list(
                board_id=board_id, user=request.user, webhook_id=webhook_id
            )
        )
