"""Sales' verdict on a lead handed over, and the reasons a board lists for a
rejection: the feedback loop back to marketing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from leads.access import lead_for_write, membership_for_write

from ..errors import InvalidInput, PermissionDenied
from ..events import event_append
from ..events.schema import LeadFeedbackPayload
from ..models import (
    Lead,
    LeadFeedback,
    RejectionReason,
    Stage,
    StageKind,
    TransitionSource,
    Verdict,
)
from ..rules import FEEDBACK_FIELDS, may_judge, recycle_stage
from .leads import lead_move
from .notifications import notify_verdict
from .reasons import reason_listed
from .tx import write_transaction


@dataclass(frozen=True)
class FeedbackResult:
    feedback: LeadFeedback
    event: dict[str, Any]
    moved: dict[str, Any] | None = None  # the lead.moved event when ``then`` moved it


@write_transaction
def lead_feedback_record(
    *,
    lead_id: int,
    actor: Any,
    verdict: str,
    reason: str = "",
    valuable_fields: list[str] | None = None,
    useless_fields: list[str] | None = None,
    then: str = "stay",
) -> FeedbackResult:
    """Record sales' verdict. A rejection may also say where the lead goes, in the
    same transaction (a ``lead.moved`` after the ``lead.feedback``): ``then``
    "recycle" back to the last marketing stage before the handoff (``rules.recycle_stage``),
    "lost" into the lost stage with the rejection reason as its lost reason (kept as
    given: the rejection lists are the board's word too, so it need not be a lost
    reason), or "stay" (the default, as before)."""
    lead = lead_for_write(lead_id)
    membership = membership_for_write(lead.board_id, actor)
    if membership is not None and not may_judge(membership.role, membership.team):
        # The verdict is sales' word to marketing; the owner may stand in.
        raise PermissionDenied("Only sales (or the board's owner) accept or reject a lead.")
    if verdict not in Verdict.values:
        raise InvalidInput(f"Verdict must be one of {', '.join(Verdict.values)}.", field="verdict")
    if verdict == Verdict.REJECTED and not reason.strip():
        raise InvalidInput("A rejection needs a reason.", field="reason")
    if then not in THEN:
        raise InvalidInput(f"then is one of {', '.join(THEN)}.", field="then")
    if then != "stay" and verdict != Verdict.REJECTED:
        raise InvalidInput("Only a rejection sends the lead elsewhere.", field="then")
    reason = feedback_check(
        lead=lead,
        verdict=verdict,
        reason=reason,
        valuable_fields=valuable_fields,
        useless_fields=useless_fields,
    )
    at = timezone.now()
    # The lead's latest verdict time (the handoff lane's "awaiting", one UPDATE
    # that keeps the later of two meeting verdicts). Its row lock, taken before
    # the board row, follows the lock order.
    Lead.objects.filter(pk=lead.pk).filter(
        Q(last_verdict_at__isnull=True) | Q(last_verdict_at__lt=at)
    ).update(last_verdict_at=at)
    feedback = LeadFeedback.objects.create(
        lead=lead,
        actor=actor,
        verdict=verdict,
        reason=reason.strip(),
        valuable_fields=list(valuable_fields or []),
        useless_fields=list(useless_fields or []),
        at=at,
    )
    event = event_append(
        board_id=lead.board_id,
        payload=LeadFeedbackPayload(
            lead=lead.pk,
            feedback=feedback.pk,
            verdict=Verdict(feedback.verdict),
            reason=feedback.reason,
            valuable_fields=feedback.valuable_fields,
            useless_fields=feedback.useless_fields,
        ),
        actor=actor,
        membership=membership,
        at=feedback.at,
    )
    notify_verdict(lead=lead, actor=actor, verdict=feedback.verdict, reason=feedback.reason)
    if then != "stay":
        target = rejected_target(lead.board_id, then)
        moved = lead_move(
            lead_id=lead.pk,
            to_stage_id=target.pk,
            actor=actor,
            source=TransitionSource.API,
            note=f"Rejected: {feedback.reason}"[:500],
            reason=feedback.reason,
            system=True,
        )
        return FeedbackResult(feedback=feedback, event=event.message, moved=moved.event)
    return FeedbackResult(feedback=feedback, event=event.message)


THEN = ("stay", "recycle", "lost")


def leads_last_verdict_rebuild(leads: QuerySet[Lead]) -> int:
    """``last_verdict_at`` of ``leads`` set afresh from their verdicts (after a bulk
    load that wrote feedback past ``lead_feedback_record``, or to mend it): one
    UPDATE. Returns the number of leads with a verdict."""
    latest = (
        LeadFeedback.objects.filter(lead_id=OuterRef("pk"))
        .order_by()
        .values("lead_id")
        .annotate(at=Max("at"))
        .values("at")
    )
    leads.exclude(last_verdict_at=None).exclude(
        pk__in=LeadFeedback.objects.values("lead_id")
    ).update(last_verdict_at=None)
    return leads.filter(pk__in=LeadFeedback.objects.values("lead_id")).update(
        last_verdict_at=Subquery(latest)
    )


def rejected_target(board_id: int, then: str) -> Stage:
    stages = list(Stage.objects.filter(board_id=board_id).order_by("position"))
    if then == "recycle":
        stage = recycle_stage(stages)
        if stage is None:
            raise InvalidInput(
                "This board has no marketing stage before its handoff to recycle to.",
                field="then",
            )
        return stage
    lost = next((s for s in stages if s.kind == StageKind.LOST), None)
    if lost is None:
        raise InvalidInput("This board has no lost stage.", field="then")
    return lost


def feedback_check(
    *,
    lead: Lead,
    verdict: str,
    reason: str,
    valuable_fields: list[str] | None,
    useless_fields: list[str] | None,
) -> str:
    """The reason as the board lists it; refuses a rejection reason the board does
    not list, and fields the lead does not have."""
    known = {*FEEDBACK_FIELDS, *(lead.attributes or {})}
    for name, fields in (("valuable_fields", valuable_fields), ("useless_fields", useless_fields)):
        unknown = sorted(set(fields or []) - known)
        if unknown:
            raise InvalidInput(f"The lead has no field {', '.join(unknown)}.", field=name)
    overlap = sorted(set(valuable_fields or []) & set(useless_fields or []))
    if overlap:
        raise InvalidInput(
            f"{', '.join(overlap)} cannot be both valuable and useless.", field="useless_fields"
        )
    reason = reason.strip()
    if verdict != Verdict.REJECTED:
        return reason
    return reason_listed(
        RejectionReason, board_id=lead.board_id, reason=reason, what="rejection reason"
    )
