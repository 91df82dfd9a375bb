"""Card order inside a stage.

Cards are shown by ``(position, id)``: ``position`` is a rank (``leads.ranks``),
so the order is total and the same for every reader even when two cards share a
rank. A card placed at index ``i`` gets a rank between its new neighbours' ranks:
placing a card writes that card's row and no other, and never renumbers the
stage, so the one event that says where the card went is all a browser needs.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..errors import InvalidInput
from ..models import Lead, Stage
from ..ranks import RankError, ranks_between


def _stage_order(stage: Stage, exclude: list[int]) -> QuerySet[Lead]:
    return (
        # Archived cards are not on the board: the indexes a browser sends skip them
        # (each keeps its rank for its restore; a tie is ordered by id).
        Lead.objects.filter(board_id=stage.board_id, stage=stage, archived_at__isnull=True)
        .exclude(pk__in=exclude)
        .order_by("position", "id")
    )


def _between(before: str | None, after: str | None, count: int = 1) -> list[str]:
    try:
        return ranks_between(before, after, count)
    except RankError:
        raise InvalidInput(
            "So many cards were dropped at this very spot that it has no room left; "
            "drop the card one place higher or lower.",
            field="position",
        ) from None


def _one(before: str | None, after: str | None) -> str:
    return _between(before, after)[0]


def rank_at(stage: Stage, index: int | None, *, exclude: list[int]) -> str:
    """The rank that puts a card at ``index`` of the stage (``None`` or 0: the top;
    past the end: the bottom)."""
    ordered = _stage_order(stage, exclude).values_list("position", flat=True)
    if not index or index <= 0:
        return _one(None, ordered.first())
    neighbours = list(ordered[index - 1 : index + 1])
    if not neighbours:
        return _one(ordered.order_by("-position", "-id").first(), None)
    return _one(neighbours[0], neighbours[1] if len(neighbours) == 2 else None)


def rank_next_to(stage: Stage, neighbour: int, *, after: bool, exclude: list[int]) -> str | None:
    """The rank right after (or before) lead ``neighbour`` in the stage's full order;
    ``None`` when that lead is not in the stage (it moved meanwhile)."""
    ordered = _stage_order(stage, exclude)
    mark = ordered.filter(pk=neighbour).values_list("position", flat=True).first()
    if mark is None:
        return None
    if after:
        beyond = Q(position__gt=mark) | Q(position=mark, id__gt=neighbour)
        return _one(mark, ordered.filter(beyond).values_list("position", flat=True).first())
    before = Q(position__lt=mark) | Q(position=mark, id__lt=neighbour)
    other = (
        ordered.filter(before).order_by("-position", "-id").values_list("position", flat=True)
    ).first()
    return _one(other, mark)


def ranks_on_top(stage: Stage, count: int, *, exclude: list[int]) -> list[str]:
    """``count`` increasing ranks above the stage's top card: cards moving in
    together land on top in the order of these ranks."""
    top = _stage_order(stage, exclude).values_list("position", flat=True).first()
    return _between(None, top, count)


def ranks_at(stage: Stage, index: int | None, count: int, *, exclude: list[int]) -> list[str]:
    """``count`` increasing ranks that put cards moving in together at ``index`` of
    the stage (``None`` or 0: on top; past the end: at the bottom)."""
    if not index or index <= 0:
        return ranks_on_top(stage, count, exclude=exclude)
    ordered = _stage_order(stage, exclude).values_list("position", flat=True)
    neighbours = list(ordered[index - 1 : index + 1])
    if not neighbours:
        return _between(ordered.order_by("-position", "-id").first(), None, count)
    return _between(neighbours[0], neighbours[1] if len(neighbours) == 2 else None, count)
