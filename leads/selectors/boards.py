"""The boards a user may see, their members and stages.

Reads are scoped to the user's boards: a board, lead or campaign of a board the
user is not a member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    CharField,
    Count,
    F,
    Prefetch,
    QuerySet,
    Value,
)

from ..access import ShareViewer, demo_board
from ..board_templates import BOARD_TEMPLATES
from ..errors import InvalidInput, NotFound
from ..models import (
    Board,
    BoardMembership,
    Role,
    Stage,
)

STAGE_FIELDS = ("id", "name", "position", "kind", "team", "sla_days", "wip_limit", "color")


def boards_for_user(user: Any) -> QuerySet[Board]:
    """The boards the user is a member of; a share link's holder sees its one board."""
    if isinstance(user, ShareViewer):
        return Board.objects.filter(pk=user.board_id).order_by("name", "id")
    return Board.objects.filter(memberships__user=user).order_by("name", "id")


def boards_with_role(user: Any) -> QuerySet[Board]:
    """The user's boards, each with ``my_role`` and ``my_team`` (the annotation
    reuses the membership join of the filter: one row per board). A share link's
    holder is a viewer of no team."""
    if isinstance(user, ShareViewer):
        return boards_for_user(user).annotate(
            my_role=Value(Role.VIEWER, output_field=CharField()),
            my_team=Value(None, output_field=CharField()),
        )
    return boards_for_user(user).annotate(
        my_role=F("memberships__role"), my_team=F("memberships__team")
    )


def board_get(*, board_id: int, user: Any) -> Board:
    """One query: the board (with ``last_seq``) and the user's role and team."""
    board = boards_with_role(user).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def board_detail_get(*, board_id: int, user: Any) -> Board:
    """The board with ``my_role``, ``my_team`` and ``stage_list`` (ordered)."""
    ordered = Prefetch("stages", queryset=Stage.objects.order_by("position"), to_attr="stage_list")
    board = boards_with_role(user).prefetch_related(ordered).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def board_memberships_list(*, board_id: int, user: Any) -> QuerySet[BoardMembership]:
    board = board_get(board_id=board_id, user=user)
    return (
        BoardMembership.objects.filter(board_id=board.pk)
        .select_related("user")
        .order_by("user__username", "id")
    )


def board_member_user_get(*, board_id: int, user_id: int, field: str = "owner") -> Any:
    """A member of the board as a lead owner; anyone else is invalid input (and
    whether such a user exists is not told)."""
    membership = (
        BoardMembership.objects.filter(board_id=board_id, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise InvalidInput(f"User {user_id} is not a member of this board.", field=field)
    return membership.user


def stage_get(*, stage_id: int, user: Any) -> Stage:
    """A live stage of one of the user's boards (a removed one is not found)."""
    stage = Stage.objects.filter(pk=stage_id, board__in=boards_for_user(user)).first()
    if stage is None:
        raise NotFound("Stage not found.")
    return stage


def board_stages_counted(board_id: int) -> list[dict[str, Any]]:
    """The board's live stages by position, each with how many leads it holds
    (``leads``): one GROUP BY."""
    return list(
        Stage.objects.filter(board_id=board_id)
        .order_by("position")
        .annotate(leads_count=Count("leads"))
        .values(*STAGE_FIELDS, "leads_count")
    )


def board_stage_names(board_id: int) -> dict[int, str]:
    """Every stage the board ever had, removed ones too, by id: the past names them."""
    return dict(Stage.all_objects.filter(board_id=board_id).values_list("id", "name"))


def board_stages_list(board_id: int) -> list[dict[str, Any]]:
    """The board's stages with their colours, by position."""
    return list(Stage.objects.filter(board_id=board_id).order_by("position").values(*STAGE_FIELDS))


def board_templates_list() -> list[dict[str, Any]]:
    """The funnels a new board can start from, in the order they are offered."""
    return [
        {
            "id": template.id,
            "name": template.name,
            "description": template.description,
            "stages": [{"sla_days": None, **spec} for spec in template.stages],
        }
        for template in BOARD_TEMPLATES.values()
    ]


def demo_board_to_join(user: Any) -> Board | None:
    """The demo board, when there is one and ``user`` is not on it yet."""
    board = demo_board()
    if board is None or board.memberships.filter(user=user).exists():
        return None
    return board
