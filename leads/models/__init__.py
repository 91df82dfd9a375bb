"""The records of a funnel board, by room (Django finds them all here). Every
write goes through ``leads.services``."""

from .board import (
    DEFAULT_LOST_REASONS,
    DEFAULT_REJECTION_REASONS,
    IMPORTED_LOST_REASON,
    WRITING_ROLES,
    Board,
    BoardMembership,
    Campaign,
    LostReason,
    RejectionReason,
    Role,
    Stage,
    StageKind,
    StageTeam,
    Team,
)
from .integration import DeliveryStatus, IdempotencyKey, Webhook, WebhookDelivery
from .lead import NOTE_MAX_LENGTH, Lead, LeadChange, LeadFeedback, LeadNote, RankField, Verdict
from .log import BoardEvent, StageTransition, TransitionSource, new_batch
from .notifications import Notification, NotificationKind
from .people import Invitation
from .tally import StageDayTally, StageTally

__all__ = [
    "DEFAULT_LOST_REASONS",
    "DEFAULT_REJECTION_REASONS",
    "IMPORTED_LOST_REASON",
    "NOTE_MAX_LENGTH",
    "WRITING_ROLES",
    "Board",
    "BoardEvent",
    "BoardMembership",
    "Campaign",
    "DeliveryStatus",
    "IdempotencyKey",
    "Invitation",
    "Lead",
    "LeadChange",
    "LeadFeedback",
    "LeadNote",
    "LostReason",
    "Notification",
    "NotificationKind",
    "RankField",
    "RejectionReason",
    "Role",
    "Stage",
    "StageDayTally",
    "StageKind",
    "StageTally",
    "StageTeam",
    "StageTransition",
    "Team",
    "TransitionSource",
    "Verdict",
    "Webhook",
    "WebhookDelivery",
    "new_batch",
]
