"""What the funnel app stores itself: read-only share links to a board's meeting view."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from leads.models import Board


def new_token() -> str:
    return secrets.token_urlsafe(32)


class ShareLink(models.Model):
    """A revocable, optionally expiring token that opens the board's meeting view
    read-only without an account."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["board", "created_at"], name="sharelink_board_created")]

    def __str__(self) -> str:
        return f"share link of {self.board_id} ({self.token[:6]}…)"
