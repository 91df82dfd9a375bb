"""Locks and role checks that every service starts with."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..models import Board, BoardMembership, Campaign, Role, Stage


def board_lock(board_id: int) -> Board:
    """Lock the board row for the rest of the transaction (serializes the board's
    writers, which keeps ``seq`` gapless and positions consistent)."""
    try:
        return Board.objects.select_for_update().get(pk=board_id)
    except Board.DoesNotExist:
        raise NotFound("Board not found.") from None


def membership_for_write(board: Board, actor: Any) -> BoardMembership | None:
    """The actor's membership, or ``None`` for the system (seed, commands).
    Not a member -> 404 (the board is not theirs to see); viewer -> 403."""
    if actor is None:
        return None
    membership = BoardMembership.objects.filter(board=board, user=actor).first()
    if membership is None:
        raise NotFound("Board not found.")
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot change the board.")
    return membership


def membership_for_owner(board: Board, actor: Any) -> BoardMembership | None:
    membership = membership_for_write(board, actor)
    if membership is not None and membership.role != Role.OWNER:
        raise PermissionDenied("Only the board's owner can do this.")
    return membership


def stage_of_board(board: Board, stage_id: Any, *, field: str = "stage") -> Stage:
    try:
        return Stage.objects.get(pk=int(stage_id), board=board)
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"Stage {stage_id} is not a stage of this board.", field=field) from None


def campaign_of_board(board: Board, campaign_id: Any, *, field: str = "campaign") -> Campaign:
    try:
        return Campaign.objects.get(pk=int(campaign_id), board=board)
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(
            f"Campaign {campaign_id} is not a campaign of this board.", field=field
        ) from None
