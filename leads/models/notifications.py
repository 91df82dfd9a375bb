"""What the board tells one person: a lead assigned to them, a verdict on their
lead, an @mention, one of their leads past its stage's SLA."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .board import Board
from .lead import Lead


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Lead assigned to you"
    VERDICT = "verdict", "Verdict on your lead"
    MENTION = "mention", "Mentioned you"
    OVERDUE = "overdue", "Lead past its SLA"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    # Once per key and person (an overdue lead: once a day); empty: no such rule.
    key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # When a digest email last carried it (never twice).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_unique_key"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at", "created_at"], name="notification_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
