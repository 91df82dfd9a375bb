"""A board's reason lists, edited by its owner: why sales rejects a lead
(``RejectionReason``) and why a deal was lost (``LostReason``). One rule for
both: a reason given must be one the board lists (matched without regard to case,
answered in the board's spelling)."""

from __future__ import annotations

from typing import Any

from leads.access import membership_for_owner

from ..errors import InvalidInput
from ..models import IMPORTED_LOST_REASON, LostReason, RejectionReason, Stage, StageKind
from ..models.board import ReasonList
from .tx import write_transaction


def reasons_replace(
    model: type[ReasonList], *, board_id: int, actor: Any, reasons: list[str]
) -> list[str]:
    """Replace one of the board's reason lists (owner only): labels trimmed, none
    blank, none twice, at least one. Runs inside the caller's write transaction."""
    membership_for_owner(board_id, actor)
    labels: list[str] = []
    for reason in reasons:
        label = " ".join(str(reason).split())
        if not label:
            raise InvalidInput("A reason cannot be blank.", field="reasons")
        if len(label) > 200:
            raise InvalidInput("A reason is at most 200 characters.", field="reasons")
        if label.lower() in (seen.lower() for seen in labels):
            raise InvalidInput(f"{label!r} is listed twice.", field="reasons")
        labels.append(label)
    if not labels:
        raise InvalidInput("Keep at least one reason.", field="reasons")
    if len(labels) > 50:
        raise InvalidInput("A board lists at most 50 reasons.", field="reasons")
    model.objects.filter(board_id=board_id).delete()  # type: ignore[attr-defined]
    model.objects.bulk_create(  # type: ignore[attr-defined]
        model(board_id=board_id, label=label, position=index)  # type: ignore[misc]
        for index, label in enumerate(labels)
    )
    return labels


@write_transaction
def rejection_reasons_set(*, board_id: int, actor: Any, reasons: list[str]) -> list[str]:
    return reasons_replace(RejectionReason, board_id=board_id, actor=actor, reasons=reasons)


@write_transaction
def lost_reasons_set(*, board_id: int, actor: Any, reasons: list[str]) -> list[str]:
    return reasons_replace(LostReason, board_id=board_id, actor=actor, reasons=reasons)


def reason_listed(model: type[ReasonList], *, board_id: int, reason: str, what: str) -> str:
    """``reason`` as the board lists it; a 400 naming ``reason`` and the list otherwise."""
    reason = " ".join(str(reason or "").split())
    reasons = model.labels_of(board_id)
    for label in reasons:
        if label.lower() == reason.lower():
            return label
    raise InvalidInput(f"Pick a {what} of this board: {', '.join(reasons)}.", field="reason")


def lost_reason_for(
    *, board_id: int, stage: Stage, reason: str | None, system: bool = False
) -> str:
    """The reason a move into ``stage`` stores: one of the board's lost reasons
    when it is a lost stage (required: 400 naming ``reason`` without one), empty
    for any other stage. ``system`` paths that have no person to ask (an import
    without a reason column, a stage's removal) store ``IMPORTED_LOST_REASON``
    when given none."""
    if stage.kind != StageKind.LOST:
        return ""
    if not (reason or "").strip():
        if system:
            return IMPORTED_LOST_REASON
        raise InvalidInput(
            f"Moving a lead to {stage.name} needs a reason: "
            f"{', '.join(LostReason.labels_of(board_id))}.",
            field="reason",
        )
    if system and reason == IMPORTED_LOST_REASON:
        return reason
    return reason_listed(LostReason, board_id=board_id, reason=reason or "", what="lost reason")
