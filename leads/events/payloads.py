"""The parts of event payloads that several services build: the actor, one
lead's move. Services build payloads only from these and the models of
``leads.events.schema``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import (
    Board,
    BoardMembership,
    Campaign,
    Lead,
    LeadNote,
    Notification,
    NotificationKind,
    Role,
    Team,
)
from ..rules import display_name, may_edit, may_judge, may_set_up
from .schema import (
    BoardSummary,
    CampaignDetail,
    CampaignSummary,
    Member,
    Move,
    Note,
    NotificationItem,
    Person,
)


def actor_summary(user: Any, membership: BoardMembership | None) -> Person | None:
    if user is None:
        return None
    return Person(
        id=user.pk,
        username=user.get_username(),
        name=display_name(user),
        team=Team(membership.team) if membership else None,
    )


def member_summary(membership: BoardMembership) -> Member:
    """A member as the member events carry them (the user is loaded with the row)."""
    user = membership.user
    return Member(
        id=user.pk,
        username=user.get_username(),
        name=display_name(user),
        team=Team(membership.team),
        role=Role(membership.role),
        may_edit=may_edit(membership.role),
        may_judge=may_judge(membership.role, membership.team),
        may_set_up=may_set_up(membership.role),
    )


def move_entry(lead: Lead, from_stage_id: int) -> Move:
    """One lead's part of a move event, as the lead is after the move."""
    return Move(
        lead=lead.pk,
        from_stage=from_stage_id,
        to_stage=lead.stage_id,
        position=lead.position,
        version=lead.version,
        stage_entered_at=lead.stage_entered_at,
    )


# A campaign's fields as the board shows it (``/state/``, events);
# ``archived_at`` is read as ``archived``.
CAMPAIGN_FIELDS = ("id", "name", "channel", "color", "cost", "archived_at")


def campaign_summary(campaign: Campaign | Mapping[str, Any]) -> CampaignSummary:
    """A campaign as the board shows it, from its row or its ``CAMPAIGN_FIELDS`` values."""
    row = (
        campaign
        if isinstance(campaign, Mapping)
        else {name: getattr(campaign, name if name != "id" else "pk") for name in CAMPAIGN_FIELDS}
    )
    cost = row["cost"]
    return CampaignSummary(
        id=row["id"],
        name=row["name"],
        channel=row["channel"],
        color=row["color"],
        cost=None if cost is None else float(cost),
        archived=row["archived_at"] is not None,
    )


def campaign_detail(campaign: Campaign) -> CampaignDetail:
    """A campaign with every field an editor sets (``campaign.updated``)."""
    return CampaignDetail(
        **campaign_summary(campaign).model_dump(),
        starts_on=campaign.starts_on.isoformat() if campaign.starts_on else None,
        ends_on=campaign.ends_on.isoformat() if campaign.ends_on else None,
        external_id=campaign.external_id,
    )


def board_summary(board: Board) -> BoardSummary:
    """The board as ``board.updated`` carries it and its page names it."""
    return BoardSummary(
        id=board.pk,
        name=board.name,
        currency=board.currency,
        archived=board.archived_at is not None,
    )


def person_on_board(user: Any, teams: Mapping[int, str]) -> Person | None:
    """A person with their team on the board (``teams``: user id -> team), if any."""
    if user is None:
        return None
    team = teams.get(user.pk)
    return Person(
        id=user.pk,
        username=user.get_username(),
        name=display_name(user),
        team=Team(team) if team else None,
    )


def board_teams(board_id: int) -> dict[int, str]:
    """Each member's team on the board (user id -> team): for many people at once."""
    return dict(BoardMembership.objects.filter(board_id=board_id).values_list("user_id", "team"))


def note_wire(note: LeadNote, teams: Mapping[int, str] | None = None) -> Note:
    """A note as its events and the notes API carry it (the author loaded with it;
    ``teams`` from ``board_teams``, read here when not given)."""
    if teams is None:
        teams = board_teams(note.lead.board_id) if note.author_id else {}
    return Note(
        id=note.pk,
        lead=note.lead_id,
        author=person_on_board(note.author, teams),
        body=note.body,
        mentions=list(note.mentions or []),
        created_at=note.created_at,
        edited_at=note.edited_at,
    )


def notification_item(notification: Notification, teams: Mapping[int, str]) -> NotificationItem:
    """One notification as the bell shows it (the actor loaded with it)."""
    return NotificationItem(
        id=notification.pk,
        board=notification.board_id,
        lead=notification.lead_id,
        kind=NotificationKind(notification.kind),
        text=notification.text,
        actor=person_on_board(notification.actor, teams),
        created_at=notification.created_at,
        read=notification.read_at is not None,
    )
