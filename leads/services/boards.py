"""Boards: made from a template or explicit stages, renamed, given a currency,
archived and restored, copied, deleted; their members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from leads.access import board_lock, demo_board, membership_for_owner, membership_of

from ..board_templates import BOARD_TEMPLATES, DEFAULT_TEMPLATE
from ..currencies import currency_problem
from ..errors import InvalidInput, NotFound
from ..events import event_append
from ..events.payloads import board_summary, member_summary
from ..events.schema import BoardUpdatedPayload, MemberJoinedPayload
from ..models import (
    Board,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    RejectionReason,
    Role,
    Stage,
    StageKind,
    StageTeam,
    StageTransition,
    Team,
)
from ..validation import visible
from .stages import StageSpec, check_stages, stage_default_color
from .tx import write_transaction

# The funnel of a board made without a template or stages.
DEFAULT_STAGES: list[StageSpec] = list(BOARD_TEMPLATES[DEFAULT_TEMPLATE].stages)
NAME_MAX = 200  # Board.name


def unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "board"
    slug, n = base, 1
    while Board.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def board_name_checked(name: Any) -> str:
    """The name as a board keeps it (stripped), or the refusal naming ``name``."""
    name = name.strip() if isinstance(name, str) else ""
    if not visible(name):
        raise InvalidInput("A board needs a name with a visible character.", field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"A board's name has at most {NAME_MAX} characters.", field="name")
    return name


def stages_of(template: str | None, stages: list[StageSpec] | None) -> list[StageSpec]:
    """The stages a new board gets: a template's, the ones given, or the default funnel."""
    if template is not None and stages:
        raise InvalidInput("Give a template or stages, not both.", field="template")
    if template is None:
        return stages or DEFAULT_STAGES
    found = BOARD_TEMPLATES.get(template) if isinstance(template, str) else None
    if found is None:
        raise InvalidInput(
            f"No template {str(template)[:50]!r}: choose one of {', '.join(BOARD_TEMPLATES)}.",
            field="template",
        )
    return list(found.stages)


def stages_add(board: Board, specs: list[StageSpec]) -> None:
    Stage.objects.bulk_create(
        Stage(
            board=board,
            name=spec["name"].strip(),
            position=index,
            kind=spec.get("kind", StageKind.OPEN),
            team=spec.get("team", StageTeam.MARKETING),
            sla_days=spec.get("sla_days"),
            wip_limit=spec.get("wip_limit"),
            color=spec.get("color")
            or stage_default_color(
                spec.get("kind", StageKind.OPEN), spec.get("team", StageTeam.MARKETING)
            ),
        )
        for index, spec in enumerate(specs)
    )


@write_transaction
def board_create(
    *,
    name: str,
    created_by: Any,
    stages: list[StageSpec] | None = None,
    template: str | None = None,
    team: str = Team.MANAGEMENT,
) -> Board:
    """A board with the stages of ``template`` or the ``stages`` given (not both;
    neither: the default funnel). The creator owns it."""
    name = board_name_checked(name)
    specs = stages_of(template, stages)
    check_stages(specs)
    board = Board.objects.create(name=name, slug=unique_slug(name), created_by=created_by)
    stages_add(board, specs)
    if created_by is not None:
        BoardMembership.objects.create(board=board, user=created_by, role=Role.OWNER, team=team)
    return board


@dataclass(frozen=True)
class BoardUpdateResult:
    board: Board
    event: dict[str, Any] | None  # the stored board.updated (None: nothing changed)


@write_transaction
def board_update(
    *,
    board_id: int,
    actor: Any,
    name: str | None = None,
    currency: str | None = None,
    archived: bool | None = None,
) -> BoardUpdateResult:
    """Rename the board, change its currency, archive or restore it (its owner).
    An archived board takes only a restore (with other changes or not); every
    change is one ``board.updated`` event, none when nothing changed."""
    board = board_lock(board_id)
    membership = membership_for_owner(board.pk, actor, archived_ok=archived is False)
    changed: list[str] = []
    if name is not None:
        name = board_name_checked(name)
        if name != board.name:
            board.name = name
            changed.append("name")
    if currency is not None:
        problem = currency_problem(currency)
        if problem:
            raise InvalidInput(problem, field="currency")
        if currency.upper() != board.currency:
            board.currency = currency.upper()
            changed.append("currency")
    if archived is not None and archived != (board.archived_at is not None):
        board.archived_at = timezone.now() if archived else None
        changed.append("archived")
    if not changed:
        return BoardUpdateResult(board=board, event=None)
    board.save(update_fields=[{"archived": "archived_at"}.get(f, f) for f in changed])
    appended = event_append(
        board_id=board.pk,
        payload=BoardUpdatedPayload(board=board_summary(board), fields=changed),
        actor=actor,
        membership=membership,
        at=board.archived_at if archived else None,
    )
    board.last_seq = appended.row.seq
    return BoardUpdateResult(board=board, event=appended.message)


@write_transaction
def board_delete(*, board_id: int, actor: Any, confirm: Any) -> None:
    """Delete the board and everything on it (its owner, archived or not), once
    ``confirm`` is the board's name as it is now: nothing is kept, and no undo."""
    membership = membership_for_owner(board_id, actor, archived_ok=True)
    name = membership.board.name if membership else Board.objects.get(pk=board_id).name
    delete_confirmed(confirm, name)
    # In the lock order of every writer (leads.access): the stage rows, then the
    # leads, then the board row, so a move under way finishes first, or waits and
    # finds its board gone.
    list(
        Stage.all_objects.select_for_update(no_key=True)
        .filter(board_id=board_id)
        .order_by("id")
        .values_list("id")
    )
    # One DELETE per table, no rows loaded: the log first (it keeps its stages from
    # going, PROTECT), then the leads, then the board with the rest (cascade).
    for rows in (
        StageTransition.objects.filter(board_id=board_id),
        LeadFeedback.objects.filter(lead__board_id=board_id),
        Lead.objects.filter(board_id=board_id),
    ):
        rows._raw_delete(rows.db)
    board = board_lock(board_id)
    delete_confirmed(confirm, board.name)  # renamed meanwhile: all of it rolls back
    board.delete()


def delete_confirmed(confirm: Any, name: str) -> None:
    if not isinstance(confirm, str) or confirm.strip() != name:
        raise InvalidInput(f"To delete the board, type its name exactly: {name}", field="confirm")


STAGE_COPIED = ("name", "position", "kind", "team", "sla_days", "wip_limit", "color")
CAMPAIGN_COPIED = (
    "name",
    "channel",
    "cost",
    "starts_on",
    "ends_on",
    "color",
    "external_id",
    "archived_at",
)


@write_transaction
def board_copy(*, board_id: int, actor: Any, name: str) -> Board:
    """A new board with the set-up of this one (any member may copy what they
    see): its currency, its stages, rejection reasons and campaigns with every
    field, and no leads or history. The copier owns the copy, in their team."""
    membership = membership_of(board_id, actor, doing="copy it")
    source = membership.board
    name = board_name_checked(name)
    board = Board.objects.create(
        name=name, slug=unique_slug(name), created_by=actor, currency=source.currency
    )
    stages = Stage.objects.filter(board=source).values(*STAGE_COPIED)
    Stage.objects.bulk_create(Stage(board=board, **row) for row in stages)
    RejectionReason.objects.bulk_create(
        RejectionReason(board=board, **row)
        for row in RejectionReason.objects.filter(board=source).values("label", "position")
    )
    Campaign.objects.bulk_create(
        Campaign(board=board, **row)
        for row in Campaign.objects.filter(board=source).values(*CAMPAIGN_COPIED)
    )
    BoardMembership.objects.create(board=board, user=actor, role=Role.OWNER, team=membership.team)
    return board


@write_transaction
def board_demo_join(*, user: Any) -> Board:
    """Put ``user`` on the demo board as a viewer (a member already stays as they are)."""
    board = demo_board()
    if board is None:
        raise NotFound("There is no demo board to join.")
    board = board_lock(board.pk)
    membership, created = BoardMembership.objects.get_or_create(
        board=board, user=user, defaults={"role": Role.VIEWER, "team": Team.MANAGEMENT}
    )
    if created:
        event_append(
            board_id=board.pk,
            payload=MemberJoinedPayload(member=member_summary(membership)),
            actor=user,
            membership=membership,
        )
    return board
