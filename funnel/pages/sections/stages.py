"""Settings section: stages (templates/settings/stages.html). The owner edits every
field of every stage in one table, adds a stage (before Won by default, or before or
after a given stage), deletes one (saying where its leads go) and reorders them: by
dragging a row (SortableJS, ``static/settings/stages.js``, which posts the new
order) or, without a mouse, with each row's up and down buttons. Plain forms: each
POST goes through ``leads.services.stages`` (every rule is there) and the page
comes back to ``#stages``; a refusal is the service's words on the page. Others
read the table."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from leads import selectors
from leads.errors import InvalidInput
from leads.models import Board, StageKind, StageTeam
from leads.rules import may_set_up
from leads.services.stages import (
    NAME_MAX,
    stage_create,
    stage_delete,
    stage_update,
    stages_reorder,
)
from leads.validation import MAX_ID

ANCHOR = "stages"


class StageForm(forms.Form):
    """The types of a stage's fields; the rules (unique names, kinds, limits of at
    least 1, colours) are the service's."""

    name = forms.CharField(max_length=NAME_MAX * 4, strip=False)
    kind = forms.ChoiceField(choices=StageKind.choices)
    team = forms.ChoiceField(choices=StageTeam.choices)
    sla_days = forms.IntegerField(required=False)
    wip_limit = forms.IntegerField(required=False)
    color = forms.CharField(max_length=20, required=False)


LABELS = {
    "name": "Name",
    "kind": "Kind",
    "team": "Team",
    "sla_days": "SLA days",
    "wip_limit": "WIP limit",
    "color": "Colour",
}


def cleaned(request: HttpRequest) -> dict[str, Any]:
    """The form's fields, typed, or a refusal naming the first field that is not."""
    form = StageForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise InvalidInput(f"{LABELS.get(field, field)}: {errors[0]}", field=field)
    data = dict(form.cleaned_data)
    if not data.get("color"):
        data.pop("color", None)
    return data


def posted_id(request: HttpRequest, name: str) -> int | None:
    text = request.POST.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise InvalidInput(f"{name}: not a stage of this board.", field=name)
    return int(text)


def stage_id_of(request: HttpRequest) -> int:
    stage_id = posted_id(request, "stage")
    if stage_id is None:
        raise InvalidInput("Which stage? (stage)", field="stage")
    return stage_id


def add_stage(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    data = cleaned(request)
    # "" (before the first won or lost stage), "before:<id>" or "after:<id>".
    where, _, anchor = request.POST.get("place", "").partition(":")
    place: dict[str, Any] = {}
    if where or anchor:
        if where not in ("before", "after") or not anchor.isdigit() or int(anchor) > MAX_ID:
            raise InvalidInput("Where should the new stage go? (place)", field="place")
        place[where] = int(anchor)
    result = stage_create(board_id=board.pk, actor=request.user, **data, **place)
    assert result.stage is not None
    messages.success(request, f"Stage {result.stage.name} added.")
    return None


def save_stage(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    stage_id = stage_id_of(request)
    result = stage_update(stage_id=stage_id, actor=request.user, **cleaned(request))
    assert result.stage is not None
    if result.event is None:
        messages.success(request, f"{result.stage.name}: nothing to change.")
    else:
        messages.success(request, f"Stage {result.stage.name} saved.")
    return None


def delete_stage(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    result = stage_delete(
        stage_id=stage_id_of(request),
        actor=request.user,
        move_to=posted_id(request, "move_to"),
    )
    assert result.stage is not None
    moved = f" Its {result.moved} leads moved." if result.moved else ""
    messages.success(
        request, f"Stage {result.stage.name} deleted.{moved} The board's Undo brings it back."
    )
    return None


def live_order(board: Board) -> list[int]:
    return [stage["id"] for stage in selectors.board_stages_list(board.pk)]


def move_stage(step: int) -> Any:
    """Up (-1) or down (+1) one place: the keyboard's way to reorder."""

    def move(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
        stage_id = stage_id_of(request)
        order = live_order(board)
        if stage_id not in order:
            raise InvalidInput("Not a stage of this board.", field="stage")
        at = order.index(stage_id)
        to = at + step
        if not 0 <= to < len(order):
            return None  # already first or last
        order[at], order[to] = order[to], order[at]
        stages_reorder(board_id=board.pk, actor=request.user, stages=order)
        messages.success(request, "Stages reordered.")
        return None

    return move


def save_order(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    """The order a drag made (``stages``: every stage's id, comma-separated)."""
    text = request.POST.get("stages", "")
    try:
        order = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidInput("stages: give every stage's id, in order.", field="stages") from None
    stages_reorder(board_id=board.pk, actor=request.user, stages=order)
    messages.success(request, "Stages reordered.")
    return None


ACTIONS: dict[str, Any] = {
    "stage-create": add_stage,
    "stage-update": save_stage,
    "stage-delete": delete_stage,
    "stage-up": move_stage(-1),
    "stage-down": move_stage(+1),
    "stages-order": save_order,
}


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    stages = selectors.board_stages_counted(board.pk)
    for stage in stages:
        stage["others"] = [other for other in stages if other["id"] != stage["id"]]
    return {
        "stage_rows": stages,
        "may_set_up_stages": may_set_up(getattr(board, "my_role", None)),
        "stage_kinds": StageKind.choices,
        "stage_teams": StageTeam.choices,
    }
