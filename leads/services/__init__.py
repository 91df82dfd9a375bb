"""The single write path: every change to a board goes through these functions."""

from .boards import DEFAULT_STAGES, board_create, board_member_add
from .campaigns import CampaignMoveResult, campaign_create, campaign_move
from .leads import MoveResult, lead_create, lead_feedback_record, lead_move, lead_update
from .undo import UndoResult, transition_undo

__all__ = [
    "DEFAULT_STAGES",
    "CampaignMoveResult",
    "MoveResult",
    "UndoResult",
    "board_create",
    "board_member_add",
    "campaign_create",
    "campaign_move",
    "lead_create",
    "lead_feedback_record",
    "lead_move",
    "lead_update",
    "transition_undo",
]
