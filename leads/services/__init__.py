"""The single write path: every change to a board goes through these functions."""

from .boards import DEFAULT_STAGES, board_create
from .campaigns import (
    CampaignMoveResult,
    CampaignUpdateResult,
    campaign_create,
    campaign_move,
    campaign_update,
)
from .feedback import FeedbackResult, lead_feedback_record, rejection_reasons_set
from .leads import MoveResult, lead_create, lead_move, lead_update
from .people import board_member_add
from .undo import UndoResult, transition_undo

__all__ = [
    "DEFAULT_STAGES",
    "CampaignMoveResult",
    "CampaignUpdateResult",
    "FeedbackResult",
    "MoveResult",
    "UndoResult",
    "board_create",
    "board_member_add",
    "campaign_create",
    "campaign_move",
    "campaign_update",
    "lead_create",
    "lead_feedback_record",
    "lead_move",
    "lead_update",
    "rejection_reasons_set",
    "transition_undo",
]
