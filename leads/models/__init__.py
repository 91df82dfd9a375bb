"""The records of a funnel board, by room (Django finds them all here). Every
write goes through ``leads.services``."""

from .board import (
    DEFAULT_REJECTION_REASONS,
    WRITING_ROLES,
    Board,
    BoardMembership,
    Campaign,
    RejectionReason,
    Role,
    Stage,
    StageKind,
    StageTeam,
    Team,
)
from .integration import DeliveryStatus, IdempotencyKey, Webhook, WebhookDelivery
from .lead import Lead, LeadFeedback, RankField, Verdict
from .log import BoardEvent, StageTransition, TransitionSource, new_batch
from .people import Invitation

__all__ = [
    "DEFAULT_REJECTION_REASONS",
    "WRITING_ROLES",
    "Board",
    "BoardEvent",
    "BoardMembership",
    "Campaign",
    "DeliveryStatus",
    "IdempotencyKey",
    "Invitation",
    "Lead",
    "LeadFeedback",
    "RankField",
    "RejectionReason",
    "Role",
    "Stage",
    "StageKind",
    "StageTeam",
    "StageTransition",
    "Team",
    "TransitionSource",
    "Verdict",
    "Webhook",
    "WebhookDelivery",
    "new_batch",
]
