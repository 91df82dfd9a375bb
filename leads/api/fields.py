"""DRF input fields and bases that apply ``leads.validation`` where a value enters
the API: integers in ASCII digits, moments and days in range, names with a
visible character, query parameters that are either given or absent (never
given empty), and the one rule of a period (end after start)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from leads.validation import MAX_ID, ascii_integer, day_problem, moment_problem, name_problem


class IntegerInput(serializers.IntegerField):
    """An integer; as text only in ASCII digits ("١٢" is no id)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, str) and not ascii_integer(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


def id_field(**kwargs: Any) -> IntegerInput:
    return IntegerInput(min_value=1, max_value=MAX_ID, **kwargs)


class Checked:
    """A DRF field whose parsed value must pass ``rule`` (one of ``leads.validation``,
    returning the problem as a sentence, or ``None``)."""

    rule: Callable[[Any], str | None]

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)  # type: ignore[misc]
        problem = type(self).rule(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class MomentInput(Checked, serializers.DateTimeField):
    """A moment (ISO 8601) between 1900-01-01 and 2200-01-01."""

    rule = staticmethod(moment_problem)


class DayInput(Checked, serializers.DateField):
    """A day (YYYY-MM-DD) between 1900-01-01 and 2200-01-01."""

    rule = staticmethod(day_problem)


class NameInput(Checked, serializers.CharField):
    """A name: text with at least one visible character."""

    rule = staticmethod(name_problem)


class QueryInput(serializers.Serializer):
    """Query parameters. One given with an empty value (``?start=``) is refused,
    not taken as absent: the caller meant something, and silently reading
    "everything" instead is the worst answer. Fields that allow blank text
    (a search) are exempt."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "get"):
            empty = [
                name
                for name, field in self.fields.items()
                if data.get(name) == "" and not getattr(field, "allow_blank", False)
            ]
            if empty:
                raise serializers.ValidationError(
                    {name: ["Give a value, or leave the parameter out."] for name in empty}
                )
        return super().to_internal_value(data)


class PeriodInput(QueryInput):
    """``[start, end)``: both optional; when both are given, end after start."""

    start = MomentInput(required=False, help_text="At or after (ISO 8601).")
    end = MomentInput(required=False, help_text="Before (ISO 8601).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        return attrs


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> Any:
    """The serializer's validated data, or the 400 that names what is wrong."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
