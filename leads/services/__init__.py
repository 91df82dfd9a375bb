"""The single write path: every change to a board goes through these functions."""

from .boards import (
    DEFAULT_STAGES,
    BoardUpdateResult,
    board_copy,
    board_create,
    board_delete,
    board_demo_join,
    board_update,
)
from .campaigns import (
    CampaignMoveResult,
    CampaignUpdateResult,
    campaign_create,
    campaign_move,
    campaign_update,
)
from .feedback import FeedbackResult, lead_feedback_record
from .leads import MoveResult, lead_create, lead_move, lead_update
from .people import board_member_add
from .reasons import lost_reasons_set, rejection_reasons_set
from .undo import UndoResult, transition_undo

__all__ = [
    "DEFAULT_STAGES",
    "BoardUpdateResult",
    "CampaignMoveResult",
    "CampaignUpdateResult",
    "FeedbackResult",
    "MoveResult",
    "UndoResult",
    "board_copy",
    "board_create",
    "board_delete",
    "board_demo_join",
    "board_member_add",
    "board_update",
    "campaign_create",
    "campaign_move",
    "campaign_update",
    "lead_create",
    "lead_feedback_record",
    "lead_move",
    "lead_update",
    "lost_reasons_set",
    "rejection_reasons_set",
    "transition_undo",
]
