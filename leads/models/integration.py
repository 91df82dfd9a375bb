"""What the data bridge keeps: outgoing webhooks with their delivery log, and
the answers of requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .board import Board


class Webhook(models.Model):
    """An outgoing webhook: every stored event of the board (of ``events`` types, all
    when empty) is POSTed to ``url`` in seq order. ``delivered_seq`` is the cursor."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    events = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved only by the webhook's one deliverer (leads.integrations.webhook_delivery), past
    # each event it delivered or skipped: the events after it are the webhook's outbox.
    delivered_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["board", "id"]

    def __str__(self) -> str:
        return f"{self.board_id}: {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILING = "failing", "Failing (retrying)"


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    seq = models.PositiveBigIntegerField()
    event_type = models.CharField(max_length=40)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["webhook", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "seq"], name="delivery_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id}#{self.seq} {self.status}"


class IdempotencyKey(models.Model):
    """A request made with an ``Idempotency-Key`` header and the answer it got (24 h)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="idempotency_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
