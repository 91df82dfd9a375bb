"""Card order inside a stage.

Cards are shown by ``(position, id)``, so the order is total and the same for
every reader even when two cards share a rank. A drop at index ``i`` gets a rank
between its new neighbours, so one move writes one row. When two neighbours'
ranks get too close to split (after many drops at one spot) the stage is
renumbered once.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..models import Lead, Stage

# Below this gap two floats can no longer be split reliably.
MIN_GAP = 1e-6


def _stage_order(stage: Stage, exclude: list[int]) -> QuerySet[Lead]:
    return (
        Lead.objects.filter(board_id=stage.board_id, stage=stage)
        .exclude(pk__in=exclude)
        .order_by("position", "id")
    )


def rank_at(stage: Stage, index: int | None, *, exclude: list[int]) -> float:
    """The rank that puts a card at ``index`` of the stage (``None`` or 0: the top)."""
    ordered = _stage_order(stage, exclude).values_list("position", flat=True)
    if not index or index <= 0:
        first = ordered.first()
        return 0.0 if first is None else first - 1.0
    neighbours = list(ordered[index - 1 : index + 1])
    if not neighbours:
        last = ordered.order_by("-position", "-id").first()
        return 0.0 if last is None else last + 1.0
    if len(neighbours) == 1:
        return neighbours[0] + 1.0
    before, after = neighbours
    if after - before > MIN_GAP:
        return (before + after) / 2
    renumber(stage, exclude=exclude)
    return rank_at(stage, index, exclude=exclude)


def rank_next_to(stage: Stage, neighbour: int, *, after: bool, exclude: list[int]) -> float | None:
    """The rank right after (or before) lead ``neighbour`` in the stage's full order;
    ``None`` when that lead is not in the stage (it moved meanwhile)."""
    ordered = _stage_order(stage, exclude)
    mark = ordered.filter(pk=neighbour).values_list("position", flat=True).first()
    if mark is None:
        return None
    if after:
        beyond = Q(position__gt=mark) | Q(position=mark, id__gt=neighbour)
        other = ordered.filter(beyond).values_list("position", flat=True).first()
        low, high = mark, (mark + 2.0 if other is None else other)
    else:
        before = Q(position__lt=mark) | Q(position=mark, id__lt=neighbour)
        other = (
            ordered.filter(before)
            .order_by("-position", "-id")
            .values_list("position", flat=True)
            .first()
        )
        low, high = (mark - 2.0 if other is None else other), mark
    if high - low > MIN_GAP:
        return (low + high) / 2
    renumber(stage, exclude=exclude)
    return rank_next_to(stage, neighbour, after=after, exclude=exclude)


def shift_on_top(stage: Stage, ranks: list[float], *, exclude: list[int]) -> float:
    """What to add to the ``ranks`` (sorted) of cards moving into ``stage`` so that
    they keep their order and all land above the stage's top card."""
    top = _stage_order(stage, exclude).values_list("position", flat=True).first()
    return 0.0 if top is None else (top - 1.0) - ranks[-1]


def renumber(stage: Stage, *, exclude: list[int]) -> None:
    leads = list(_stage_order(stage, exclude).only("id", "position"))
    for rank, lead in enumerate(leads):
        lead.position = float(rank)
    Lead.objects.bulk_update(leads, ["position"], batch_size=1000)
