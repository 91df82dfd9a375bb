"""The API's JSON parser: refuses, before any view runs, a body that no database
would store alike (``leads.validation.data_problem``) or that nests deep enough
to exhaust the stack of whatever reads it next."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from leads.validation import data_problem


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"JSON parse error - nested deeper than {max_depth()} levels."
            ) from None
        problem = data_problem(data, max_depth=max_depth())
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return data


def max_depth() -> int:
    return int(getattr(settings, "JSON_MAX_DEPTH", 32))
