"""A lead, where it stands in its stage (its rank), and sales' verdicts on it."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from ..ranks import RANK_MAX_LENGTH
from .board import Board, Campaign, Stage


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


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


# A lead sales has not judged since it (last) entered its stage: no verdict, or
# the latest before the entry. A lead rejected, sent back and handed over again
# waits again. The one definition: the handoff lane's filter and its index.
AWAITING_VERDICT = Q(last_verdict_at__isnull=True) | Q(last_verdict_at__lt=F("stage_entered_at"))


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
    # Archived: off the board and its current counts, still in its history and
    # the numbers of the past. Erased (GDPR): every personal field blanked for
    # good; the row stays so that its anonymised transitions still add up.
    archived_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # When sales last gave a verdict on it (the latest LeadFeedback.at), kept by
    # the one write path that records verdicts: a lead of the handoff stage awaits
    # a verdict while it has none since it entered (``AWAITING_VERDICT``).
    last_verdict_at = models.DateTimeField(null=True, blank=True)

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
            # "Here now" (median age) and "oldest in stage first": by stage_entered_at.
            models.Index(
                fields=["board", "stage", "stage_entered_at", "id"], name="lead_stage_age"
            ),
            # The board as it is now (/state/): its live leads only, so that a page of a
            # column, its overdue count and its median age are index range scans.
            models.Index(
                fields=["board", "stage", "position", "id"],
                name="lead_live_stage_order",
                condition=Q(archived_at__isnull=True),
            ),
            models.Index(
                fields=["board", "stage", "stage_entered_at", "id"],
                name="lead_live_stage_age",
                condition=Q(archived_at__isnull=True),
            ),
            # The handoff lane: the live leads not judged since they entered their stage,
            # longest waiting first; its page and count are range scans of one stage.
            models.Index(
                fields=["board", "stage", "stage_entered_at", "id"],
                name="lead_awaiting_verdict",
                condition=Q(archived_at__isnull=True) & AWAITING_VERDICT,
            ),
            models.Index(fields=["board", "campaign", "stage"], name="lead_campaign_stage"),
            models.Index(fields=["board", "external_id"], name="lead_external_id"),
            models.Index(fields=["board", "email"], name="lead_email"),
            models.Index(fields=["board", "created_at"], name="lead_created"),
        ]

    def __str__(self) -> str:
        return self.name


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


# A note's text at most (characters): a note, not a document.
NOTE_MAX_LENGTH = 10_000


class LeadNote(models.Model):
    r"""A plain-text note on a lead; its author may change it for a while
    (``leads.rules``). ``mentions`` are the members its ``@username``\ s named."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=NOTE_MAX_LENGTH)
    mentions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="note_lead_created")]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.lead_id}"


class LeadChange(models.Model):
    """One edit of a lead's fields, with each field's value before and after
    (``{"value": ["100.00", "250.00"]}``): the lead's timeline shows it."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="change_lead_at")]

    def __str__(self) -> str:
        return f"change {self.pk} of {self.lead_id}"
