"""Sales' verdict on a lead handed over, and the reasons a board lists for a
rejection: the feedback loop back to marketing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from leads.access import lead_for_write, membership_for_write

from ..errors import InvalidInput, PermissionDenied
from ..events import event_append
from ..events.schema import LeadFeedbackPayload
from ..models import Lead, LeadFeedback, RejectionReason, Verdict
from ..rules import FEEDBACK_FIELDS, may_judge
from .notifications import notify_verdict
from .reasons import reason_listed
from .tx import write_transaction


@dataclass(frozen=True)
class FeedbackResult:
    feedback: LeadFeedback
    event: dict[str, Any]


@write_transaction
def lead_feedback_record(
    *,
    lead_id: int,
    actor: Any,
    verdict: str,
    reason: str = "",
    valuable_fields: list[str] | None = None,
    useless_fields: list[str] | None = None,
) -> FeedbackResult:
    lead = lead_for_write(lead_id)
    membership = membership_for_write(lead.board_id, actor)
    if membership is not None and not may_judge(membership.role, membership.team):
        # The verdict is sales' word to marketing; the owner may stand in.
        raise PermissionDenied("Only sales (or the board's owner) accept or reject a lead.")
    if verdict not in Verdict.values:
        raise InvalidInput(f"Verdict must be one of {', '.join(Verdict.values)}.", field="verdict")
    if verdict == Verdict.REJECTED and not reason.strip():
        raise InvalidInput("A rejection needs a reason.", field="reason")
    reason = feedback_check(
        lead=lead,
        verdict=verdict,
        reason=reason,
        valuable_fields=valuable_fields,
        useless_fields=useless_fields,
    )
    feedback = LeadFeedback.objects.create(
        lead=lead,
        actor=actor,
        verdict=verdict,
        reason=reason.strip(),
        valuable_fields=list(valuable_fields or []),
        useless_fields=list(useless_fields or []),
        at=timezone.now(),
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
    return FeedbackResult(feedback=feedback, event=event.message)


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
