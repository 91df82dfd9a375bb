"""How people come onto a board: an owner's invitation, by email or as a link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .board import Board, Role, Team


class Invitation(models.Model):
    """An invitation to one board with a role and a team. Its token is shown once,
    in the link (``/invite/<token>/``); only its SHA-256 is kept. It is used once,
    and until then it can expire or be revoked."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="invitations")
    # Empty for a link to paste in chat.
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    team = models.CharField(max_length=12, choices=Team.choices, default=Team.MARKETING)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["board", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.CheckConstraint(condition=Q(team__in=Team.values), name="invitation_team_valid"),
        ]
        indexes = [models.Index(fields=["board", "created_at"], name="invitation_board_created")]

    def __str__(self) -> str:
        return f"{self.email or 'link'} to {self.board} ({self.role}, {self.team})"
