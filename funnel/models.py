"""What the funnel app stores itself: read-only share links to a board's meeting
view, and the meetings held on it (with their recaps)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from leads.models import Board

# Made and digested where invitations are too; ``new_token`` is named by migration 0001.
from leads.tokens import new_token, token_digest

__all__ = ["Meeting", "ShareLink", "new_token", "token_digest"]


class ShareLink(models.Model):
    """A revocable, optionally expiring token that opens the board's meeting view
    read-only without an account.

    Only the token's digest is stored: a copy of the database (a backup, a dump
    for support) opens no board. The token itself is known once, to the
    instance that ``funnel.sharing.share_link_create`` made, for its answer.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # The plain token: set on the instance that was just created, never stored.
    token: str | None = None

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["board", "created_at"], name="sharelink_board_created")]

    def __str__(self) -> str:
        return f"share link {self.pk} of board {self.board_id}"


class Meeting(models.Model):
    """A meeting held in front of the board: from "Start meeting" to "End meeting".

    At most one runs per board at a time. The recap (``funnel.meetings
    .meeting_recap_compute``) is computed once, when it ends, from the board's
    transitions between ``started_at`` and ``ended_at``, and kept as it was then.
    """

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="meetings")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    recap = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["board"],
                condition=Q(ended_at__isnull=True),
                name="meeting_one_running_per_board",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="meeting_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["board", "started_at"], name="meeting_board_started")]

    def __str__(self) -> str:
        return f"meeting {self.pk} on board {self.board_id}"

    @property
    def running(self) -> bool:
        return self.ended_at is None
