"""The records of a funnel board. Every write goes through ``leads.services``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .ranks import RANK_MAX_LENGTH


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class Team(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    MANAGEMENT = "management", "Management"


class RankField(models.CharField):
    """A card's rank (``leads.ranks``), compared by its bytes on every database:
    PostgreSQL's column collation "C" (a language collation would put "a" before
    "B"); SQLite's default collation is already BINARY."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", RANK_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class StageTeam(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class TransitionSource(models.TextChoices):
    CREATE = "create", "Created"
    DRAG = "drag", "Drag"
    CAMPAIGN = "campaign", "Campaign move"
    IMPORT = "import", "Import"
    API = "api", "API"
    UNDO = "undo", "Undo"
    SEED = "seed", "Seed"


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Board(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class BoardMembership(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    team = models.CharField(max_length=12, choices=Team.choices, default=Team.MARKETING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(condition=Q(team__in=Team.values), name="membership_team_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.board} ({self.role}, {self.team})"

    @property
    def can_write(self) -> bool:
        return self.role in (Role.OWNER, Role.EDITOR)


class Stage(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=StageKind.choices, default=StageKind.OPEN)
    team = models.CharField(max_length=12, choices=StageTeam.choices, default=StageTeam.MARKETING)
    sla_days = models.PositiveSmallIntegerField(null=True, blank=True)
    wip_limit = models.PositiveIntegerField(null=True, blank=True)
    color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["board", "position"]
        constraints = [
            models.UniqueConstraint(fields=["board", "position"], name="stage_unique_position"),
            models.UniqueConstraint(fields=["board", "name"], name="stage_unique_name"),
            # Target of the composite foreign key that keeps a lead's stage on its board.
            models.UniqueConstraint(fields=["board", "id"], name="stage_board_id"),
            models.CheckConstraint(condition=Q(kind__in=StageKind.values), name="stage_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=60, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    color = models.CharField(max_length=7, default="#6366f1")
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["board", "name"]
        constraints = [
            models.UniqueConstraint(fields=["board", "name"], name="campaign_unique_name"),
            models.UniqueConstraint(fields=["board", "id"], name="campaign_board_id"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="campaign_cost_non_negative"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    # Every lead index starts with board: no single-column index.
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="leads", db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="leads")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    score = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    attributes = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    crm_id = models.CharField(max_length=200, blank=True)
    # Rank inside the stage (leads.ranks): cards are shown by (position, id). There
    # is a rank between any two, so a drop writes the dropped card's row only.
    position = RankField(default="a0")
    version = models.PositiveIntegerField(default=1)
    stage_entered_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage__position", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="lead_score_0_100"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="lead_value_non_negative"),
            models.CheckConstraint(condition=Q(version__gte=1), name="lead_version_positive"),
        ]
        indexes = [
            models.Index(fields=["board", "stage", "position", "id"], name="lead_stage_order"),
            models.Index(fields=["board", "campaign", "stage"], name="lead_campaign_stage"),
            models.Index(fields=["board", "external_id"], name="lead_external_id"),
            models.Index(fields=["board", "email"], name="lead_email"),
            models.Index(fields=["board", "created_at"], name="lead_created"),
        ]

    def __str__(self) -> str:
        return self.name


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


class LeadFeedback(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="feedback")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=200, blank=True)
    valuable_fields = models.JSONField(default=list, blank=True)
    useless_fields = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="feedback_verdict_valid"
            ),
        ]
        indexes = [models.Index(fields=["lead", "at"], name="feedback_lead_at")]

    def __str__(self) -> str:
        return f"{self.verdict} {self.lead_id}"


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


def new_batch() -> uuid.UUID:
    return uuid.uuid4()


# --- The data bridge: rejection reasons, webhooks, idempotency keys ---


DEFAULT_REJECTION_REASONS = (
    "No budget",
    "Wrong persona",
    "Bad contact data",
    "Duplicate",
    "Student / competitor",
)


class RejectionReason(models.Model):
    """The reasons sales may give when rejecting a lead, edited by the board's owner.
    A board without rows uses ``DEFAULT_REJECTION_REASONS``."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="rejection_reasons")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["board", "position"]
        constraints = [
            models.UniqueConstraint(fields=["board", "label"], name="rejection_reason_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def labels_of(cls, board_id: int) -> list[str]:
        """The board's reasons in order; the defaults while it has none of its own."""
        labels = list(
            cls.objects.filter(board_id=board_id)
            .order_by("position")
            .values_list("label", flat=True)
        )
        return labels or list(DEFAULT_REJECTION_REASONS)


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
    # Moved only by the webhook's one deliverer (leads.webhooks), past each event it
    # delivered or skipped: the events after it are the webhook's outbox.
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
