"""Role checks, lookups and locks that the services start with.

Lock order, the same in every service so that two writers never wait on each
other in a circle: the target stage rows (``stage_of_board(..., lock=True)``, in
id order), then the lead rows (one by its conditional version update, many in id
order), then the board row, last and briefly, when ``event_append`` takes the
board's next seq. The stage lock makes a card's rank in its new stage race-free;
the board row lock is held only from that UPDATE to the commit, so the
board-wide critical section is one UPDATE and one INSERT. Row locks are
``FOR NO KEY UPDATE``: they exclude each other but not the ``FOR KEY SHARE``
that PostgreSQL's foreign-key checks take (a plain ``FOR UPDATE`` on a stage
would deadlock against another writer's transition insert naming that stage).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..models import Board, BoardMembership, Campaign, Lead, Role, Stage
from ..principals import ShareViewer


def board_lock(board_id: int) -> Board:
    """Lock the board row for the rest of the transaction: for the rare writes that
    check something board-wide first (a campaign's unique name, the last owner)."""
    try:
        return Board.objects.select_for_update(no_key=True).get(pk=board_id)
    except (Board.DoesNotExist, TypeError, ValueError):
        raise NotFound("Board not found.") from None


def lead_for_write(lead_id: Any) -> Lead:
    """The lead as it is now (no lock: its conditional version update locks it)."""
    try:
        return Lead.objects.get(pk=int(lead_id))
    except (Lead.DoesNotExist, TypeError, ValueError):
        raise NotFound("Lead not found.") from None


def lead_locked(lead_id: int) -> Lead:
    """The lead as it is now, locked for the rest of the transaction: a change made
    without a ``version`` applies to what is there, whatever changed meanwhile."""
    try:
        return Lead.objects.select_for_update(no_key=True).get(pk=lead_id)
    except Lead.DoesNotExist:
        raise NotFound("Lead not found.") from None


def leads_locked(lead_ids: list[int]) -> None:
    """Lock many leads, in id order (see the lock order above)."""
    list(
        Lead.objects.select_for_update(no_key=True)
        .filter(pk__in=lead_ids)
        .order_by("id")
        .values_list("id")
    )


def membership_for_write(board_id: int, actor: Any) -> BoardMembership | None:
    """The actor's membership, or ``None`` for the system (seed, commands).
    Not a member -> 404 (the board is not theirs to see); viewer or a share
    link's holder -> 403."""
    if actor is None:
        if not Board.objects.filter(pk=board_id).exists():
            raise NotFound("Board not found.")
        return None
    if isinstance(actor, ShareViewer):
        raise PermissionDenied("A share link only shows the board; it cannot change it.")
    membership = BoardMembership.objects.filter(board_id=board_id, user=actor).first()
    if membership is None:
        raise NotFound("Board not found.")
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot change the board.")
    return membership


def membership_for_owner(board_id: int, actor: Any) -> BoardMembership | None:
    membership = membership_for_write(board_id, actor)
    if membership is not None and membership.role != Role.OWNER:
        raise PermissionDenied("Only the board's owner can do this.")
    return membership


def stage_of_board(
    board_id: int, stage_id: Any, *, field: str = "stage", lock: bool = False
) -> Stage:
    """The board's stage; ``lock``: for cards moving into it (ranks are computed there)."""
    stages = Stage.objects.select_for_update(no_key=True) if lock else Stage.objects
    try:
        return stages.get(pk=int(stage_id), board_id=board_id)
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field=field) from None


def campaign_of_board(board_id: int, campaign_id: Any, *, field: str = "campaign") -> Campaign:
    try:
        return Campaign.objects.get(pk=int(campaign_id), board_id=board_id)
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(
            f"Campaign {campaign_id} is not a campaign of this board.", field=field
        ) from None
