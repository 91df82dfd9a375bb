"""What the board's columns count now, kept as the leads change (``leads.services.tallies``)."""

from __future__ import annotations

from django.db import models

from .board import Board, Stage


class StageTally(models.Model):
    """Per (board, stage, campaign): the number of live leads (not archived) in the stage and
    the sum of their values, in cents (exact on every database). Every write that
    changes a lead's stage, value or liveness shifts it in the same transaction;
    ``board_tallies_drift`` says what differs from a fresh count."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+", db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    # The leads' campaign id, 0 for none (a key ON CONFLICT can match on every database).
    campaign_key = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    value_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "stage", "campaign_key"], name="stage_tally_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.count}"


class StageDayTally(models.Model):
    """Per (board, stage, UTC day of ``stage_entered_at``): the number of live leads in
    the stage that entered it that day, kept with ``StageTally`` in the same shifts.
    A stage's middle entry (its median age) and its count past the SLA are then a
    walk over its days and one range scan of one day's leads, not of the stage's."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+", db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "stage", "day"], name="stage_day_tally_key"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.day}: {self.count}"
