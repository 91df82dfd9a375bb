"""The caller's own settings on a board: how they sort each column's cards."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.access import membership_of
from leads.errors import InvalidInput
from leads.rules import CARD_SORTS
from leads.selectors.state import card_sorts_of
from leads.services.card_sort import card_sort_set

SORTS_HELP = (
    "By stage id: " + ", ".join(f"`{key}` ({label})" for key, label in CARD_SORTS.items()) + "."
    " A stage not named is in board order (`position`)."
)


class CardSortOutput(serializers.Serializer):
    sorts = serializers.DictField(
        child=serializers.ChoiceField(list(CARD_SORTS)), help_text=SORTS_HELP
    )


class CardSortApi(APIView):
    @extend_schema(responses=CardSortOutput, description="Your sort of each column of the board.")
    def get(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        membership_of(board.pk, request.user, doing="remember a sort")
        sorts = card_sorts_of(board.pk, request.user)
        return Response({"sorts": {str(k): v for k, v in sorts.items()}})

    @extend_schema(
        request=CardSortOutput,
        responses={200: CardSortOutput, 400: OpenApiResponse(OpenApiTypes.OBJECT)},
        description='Replace your sorts: `{"sorts": {"<stage id>": "age"}}`. Every key'
        " must be a stage of the board and every value a sort, else a 400 naming the stage"
        " under `sorts`. `/state/` answers each column in your sort (`sort` on the stage).",
    )
    def put(self, request: Request, board_id: int) -> Response:
        board = selectors.board_get(board_id=board_id, user=request.user)
        sorts = request.data.get("sorts") if isinstance(request.data, dict) else None
        if not isinstance(sorts, dict):
            raise InvalidInput('Give "sorts": an object of stage id to sort.', field="sorts")
        stored = card_sort_set(board_id=board.pk, actor=request.user, sorts=sorts)
        return Response({"sorts": stored})
