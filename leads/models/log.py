"""The board's append-only logs: every stage transition of every lead, and every
stored event with its gapless seq. Rows are written by ``leads.services`` only
and never changed (the admin shows them read-only)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from ..ranks import RANK_MAX_LENGTH
from .board import Board, Stage
from .lead import Lead


class TransitionSource(models.TextChoices):
    CREATE = "create", "Created"
    DRAG = "drag", "Drag"
    CAMPAIGN = "campaign", "Campaign move"
    IMPORT = "import", "Import"
    API = "api", "API"
    UNDO = "undo", "Undo"
    BULK = "bulk", "Bulk move"
    SEED = "seed", "Seed"


def new_batch() -> uuid.UUID:
    return uuid.uuid4()


class StageTransition(models.Model):
    # (board, at) and (lead, at) indexes lead with these columns: no single-column index.
    board = models.ForeignKey(
        Board, on_delete=models.CASCADE, related_name="transitions", db_index=False
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="transitions", db_index=False
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=TransitionSource.choices)
    batch = models.UUIDField(null=True, blank=True)
    # Set on an undo's reverse transition: the transition it takes back. Both
    # are left out of every figure (the mistake never happened).
    reverts = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reverted_by"
    )
    note = models.CharField(max_length=500, blank=True)
    # Why the lead was lost: one of the board's lost reasons (``LostReason``),
    # given on every entry into a lost stage; empty on any other move.
    reason = models.CharField(max_length=200, blank=True, default="")
    # The lead's rank in from_stage before this move, for an undo to put it back
    # there; empty for a creation and for moves stored before ranks were kept.
    from_position = models.CharField(max_length=RANK_MAX_LENGTH, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=TransitionSource.values), name="transition_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | ~Q(from_stage=models.F("to_stage")),
                name="transition_changes_stage",
            ),
        ]
        indexes = [
            models.Index(fields=["board", "at"], name="transition_board_at"),
            models.Index(fields=["lead", "at"], name="transition_lead_at"),
            models.Index(fields=["batch"], name="transition_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage_id} -> {self.to_stage_id}"


class BoardEvent(models.Model):
    # (board, seq) is unique, hence indexed.
    board = models.ForeignKey(
        Board, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["board", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["board", "seq"], name="event_unique_seq"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="event_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.board_id}#{self.seq} {self.type}"
