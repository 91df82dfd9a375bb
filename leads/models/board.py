"""A board and what it is made of: its members, stages, campaigns and the
reasons sales may give for a rejection."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


# The roles that change a board (``leads.rules.may_edit``); viewers only read.
WRITING_ROLES = frozenset({Role.OWNER, Role.EDITOR})


class Team(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    MANAGEMENT = "management", "Management"


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class StageTeam(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


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
        return self.role in WRITING_ROLES


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
