"""Paging of the API's lists: ``?limit=`` and ``?offset=`` are checked like every
other query value (``leads.api.fields.QueryInput``): a bad or empty one is a 400,
never silently the default page."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from leads.api.fields import IntegerInput, QueryInput
from leads.validation import MAX_ID

MAX_LIMIT = 1000


class PageInput(QueryInput):
    limit = IntegerInput(min_value=1, max_value=MAX_LIMIT, required=False)
    offset = IntegerInput(min_value=0, max_value=MAX_ID, required=False)


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        page = PageInput(data=request.query_params)
        if not page.is_valid():
            raise serializers.ValidationError(page.errors)
        return super().paginate_queryset(queryset, request, view)
