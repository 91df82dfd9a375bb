"""Query-string filters over leads and campaigns (django-filter FilterSets).

The selectors apply them; an invalid value is a 400 that names the parameter.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from leads.validation import MAX_ID

from .models import BoardMembership, Campaign, Lead, Stage, Team
from .rules import past_sla_since
from .validation import ascii_integer


class IdListWidget(django_filters.widgets.BaseCSVWidget, forms.TextInput):
    """Ids given repeated (``?campaign=1&campaign=2``), as a comma list
    (``?campaign=1,2``), or both."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str] | None:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        ids = [part.strip() for value in values if value for part in str(value).split(",")]
        ids = [part for part in ids if part]
        return ids or None


class IntegerField(forms.IntegerField):
    """An integer in ASCII digits only (``int()`` reads other scripts' digits too)."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not ascii_integer(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdField(IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class NoEmptyParameters(forms.Form):
    """A filter given with an empty value (``?owner=``) is refused, not taken as
    absent (``leads.api.fields.QueryInput`` says why); the text search may be empty."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        for name in self.fields:
            if name in BLANK_ALLOWED or name not in self.data:
                continue
            getlist = getattr(self.data, "getlist", None)
            values = getlist(name) if getlist else [self.data.get(name)]
            if all(str(value or "").strip() == "" for value in values):
                self.add_error(name, "Give a value, or leave the parameter out.")
        return cleaned


BLANK_ALLOWED = frozenset({"q"})


class StateFilterForm(NoEmptyParameters):
    """The board's filters: besides each value, a score range must be a range."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        low, high = self.cleaned_data.get("score_min"), self.cleaned_data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "score_min", f"The minimum score ({low}) is above the maximum score ({high})."
            )
        return cleaned


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class IdInFilter(django_filters.BaseInFilter, IdFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("lookup_expr", "in")
        kwargs.setdefault("widget", IdListWidget)
        kwargs.setdefault("help_text", "Ids, repeated or separated by commas.")
        super().__init__(*args, **kwargs)


def text_search(queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(name__icontains=value) | Q(email__icontains=value) | Q(company__icontains=value)
    )


class ScoreFilter(django_filters.NumberFilter):
    field_class = IntegerField


class LeadStateFilter(django_filters.FilterSet):
    """The board view's filters (``/state/``). Stage counts, values and campaign
    figures are computed over the filtered leads."""

    campaign = IdInFilter(field_name="campaign_id")
    owner = IdFilter(field_name="owner_id")
    team = django_filters.ChoiceFilter(
        choices=Team.choices, method="owner_team", help_text="The lead owner's team on the board."
    )
    score_min = ScoreFilter(field_name="score", lookup_expr="gte", min_value=0, max_value=100)
    score_max = ScoreFilter(field_name="score", lookup_expr="lte", min_value=0, max_value=100)
    q = django_filters.CharFilter(
        method=text_search, max_length=200, help_text="Name, email or company contains."
    )
    overdue = django_filters.ChoiceFilter(
        choices=[("1", "1")],
        method="past_sla",
        help_text="1: only the leads past their stage's SLA now (the header's overdue).",
    )

    class Meta:
        model = Lead
        fields: list[str] = []
        form = StateFilterForm

    def past_sla(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        """The leads past their stage's SLA (``rules.past_sla_since``, as ``overdue``
        counts them): one read of the stages with an SLA."""
        now = timezone.now()
        stages = Stage.objects.filter(
            board_id__in=queryset.values("board_id"), sla_days__isnull=False
        ).values_list("id", "sla_days")
        past = Q(pk__in=[])
        for stage_id, sla_days in stages:
            if sla_days is None:
                continue
            past |= Q(stage_id=stage_id, stage_entered_at__lte=past_sla_since(sla_days, now))
        return queryset.filter(past)

    def owner_team(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        in_team = BoardMembership.objects.filter(
            board_id=OuterRef("board_id"), user_id=OuterRef("owner_id"), team=value
        )
        return queryset.filter(Exists(in_team))


class LeadListFilter(django_filters.FilterSet):
    board = IdFilter(field_name="board_id")
    stage = IdInFilter(field_name="stage_id")
    campaign = IdInFilter(field_name="campaign_id")
    q = django_filters.CharFilter(
        method=text_search, max_length=200, help_text="Name, email or company contains."
    )

    class Meta:
        model = Lead
        fields: list[str] = []
        form = NoEmptyParameters


class CampaignListFilter(django_filters.FilterSet):
    board = IdFilter(field_name="board_id")
    archived = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="by_archived",
        help_text="true: the archived campaigns only; false: the others only.",
    )

    def by_archived(
        self, queryset: QuerySet[Campaign], name: str, value: str
    ) -> QuerySet[Campaign]:
        return queryset.filter(archived_at__isnull=value != "true")

    class Meta:
        model = Campaign
        fields: list[str] = []
        form = NoEmptyParameters
