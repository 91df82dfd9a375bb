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
    # ISO 4217 code: how every sum of money on the board is written.
    currency = models.CharField(max_length=3, default="USD")
    # An archived board is read-only and listed apart; its owner can restore it.
    archived_at = models.DateTimeField(null=True, blank=True)
    # Whether the board has a webhook (active or paused): only then does a commit of its
    # events wake the deliverers (leads.events.log). Kept by leads.services.webhooks;
    # one set otherwise is found by the worker's sweep all the same.
    has_webhooks = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="board_currency_iso"
            ),
        ]

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
    # When the member last opened the board (page or socket), for the members screen.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # A daily email of the person's unread notifications (off unless they ask).
    email_digest = models.BooleanField(default=False)
    # How the person sorts each column's cards: {"<stage id>": "position" | "age" |
    # "value" | "score"}; a stage not named is in position order (rules.CARD_SORTS).
    card_sort = models.JSONField(default=dict, blank=True)

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


class LiveStages(models.Manager["Stage"]):
    """The board's stages as it has them now: a removed stage is left out."""

    def get_queryset(self) -> models.QuerySet[Stage]:
        return super().get_queryset().filter(removed_at__isnull=True)


class Stage(models.Model):
    """A column of the funnel. Removing one keeps its row (``removed_at``): the
    transitions of the past still name it, and the numbers of the past add up.
    ``Stage.objects`` holds the live stages; ``Stage.all_objects`` every one
    (related lookups, such as a transition's ``to_stage``, see every one too)."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=StageKind.choices, default=StageKind.OPEN)
    team = models.CharField(max_length=12, choices=StageTeam.choices, default=StageTeam.MARKETING)
    sla_days = models.PositiveSmallIntegerField(null=True, blank=True)
    wip_limit = models.PositiveIntegerField(null=True, blank=True)
    color = models.CharField(max_length=7, default="#64748b")
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = LiveStages()
    all_objects: models.Manager[Stage] = models.Manager()

    class Meta:
        ordering = ["board", "position"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["board", "position"],
                condition=Q(removed_at__isnull=True),
                name="stage_unique_position",
            ),
            models.UniqueConstraint(
                fields=["board", "name"],
                condition=Q(removed_at__isnull=True),
                name="stage_unique_name",
            ),
            # Target of the composite foreign key that keeps a lead's stage on its board.
            models.UniqueConstraint(fields=["board", "id"], name="stage_board_id"),
            models.CheckConstraint(condition=Q(kind__in=StageKind.values), name="stage_kind_valid"),
            models.CheckConstraint(
                condition=Q(sla_days__isnull=True) | Q(sla_days__gte=1), name="stage_sla_positive"
            ),
            models.CheckConstraint(
                condition=Q(wip_limit__isnull=True) | Q(wip_limit__gte=1),
                name="stage_wip_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=60, blank=True)
    # None: not entered yet ("cost missing"); cost per SQL / per Won are then unknown.
    cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    color = models.CharField(max_length=7, default="#6366f1")
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived: off the board's chips and pickers; its leads and numbers stay.
    archived_at = models.DateTimeField(null=True, blank=True)

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


class ReasonList(models.Model):
    """A board's list of reasons, in order, edited by its owner; a board without
    rows of its own uses the ``DEFAULTS``."""

    DEFAULTS: tuple[str, ...] = ()

    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True
        ordering = ["board", "position"]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def labels_of(cls, board_id: int) -> list[str]:
        """The board's reasons in order; the defaults while it has none of its own."""
        labels = list(
            cls.objects.filter(board_id=board_id)  # type: ignore[attr-defined]
            .order_by("position")
            .values_list("label", flat=True)
        )
        return labels or list(cls.DEFAULTS)


class RejectionReason(ReasonList):
    """The reasons sales may give when rejecting a lead."""

    DEFAULTS = DEFAULT_REJECTION_REASONS

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="rejection_reasons")

    class Meta(ReasonList.Meta):
        constraints = [
            models.UniqueConstraint(fields=["board", "label"], name="rejection_reason_unique"),
        ]


DEFAULT_LOST_REASONS = (
    "No budget",
    "Chose a competitor",
    "No decision",
    "Bad timing",
    "Not a fit",
    "Unresponsive",
)

# The reason a path without a person's choice gives a lead entering a lost stage.
IMPORTED_LOST_REASON = "Imported"


class LostReason(ReasonList):
    """Why a deal was lost: every entry into a lost stage names one of these."""

    DEFAULTS = DEFAULT_LOST_REASONS

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="lost_reasons")

    class Meta(ReasonList.Meta):
        constraints = [
            models.UniqueConstraint(fields=["board", "label"], name="lost_reason_unique"),
        ]
