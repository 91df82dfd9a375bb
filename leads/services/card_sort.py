"""A person's sort of each column's cards (``BoardMembership.card_sort``): their
own view of the board, never the shared order, so no event and no lock of the
board; viewers and an archived board's members may sort too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..access import membership_of
from ..errors import InvalidInput
from ..models import BoardMembership, Stage
from ..rules import CARD_SORTS
from .tx import write_transaction


@write_transaction
def card_sort_set(*, board_id: int, actor: Any, sorts: Mapping[str, Any]) -> dict[str, str]:
    """Replace the person's sorts with ``sorts`` (``{"<stage id>": sort}``): every
    key a live stage of the board, every value one of ``rules.CARD_SORTS``. Board
    order ("position") is the default, so it is not stored. The sorts stored."""
    membership = membership_of(board_id, actor, doing="remember a sort")
    stage_ids = {
        str(pk) for pk in Stage.objects.filter(board_id=board_id).values_list("pk", flat=True)
    }
    problems: dict[str, list[str]] = {}
    for key, sort in sorts.items():
        if str(key) not in stage_ids:
            problems[str(key)] = [f"{key!r} is not a stage of this board."]
        elif not isinstance(sort, str) or sort not in CARD_SORTS:
            problems[str(key)] = [f"{sort!r} is not a sort: one of {', '.join(CARD_SORTS)}."]
    if problems:
        key, messages = next(iter(problems.items()))
        raise InvalidInput(messages[0], extra={"sorts": problems})
    stored = {str(key): sort for key, sort in sorts.items() if sort != "position"}
    BoardMembership.objects.filter(pk=membership.pk).update(card_sort=stored)
    return stored
