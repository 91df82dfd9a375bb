"""Members of a board: added by username, their role and team changed, removed
(or leaving), and seen (the members screen's "last seen"). Every change of who
is on a board and with what rights is a stored event (``member.joined``,
``member.updated``, ``member.removed``): the board's sockets apply it at once (a
viewer made editor drags without a reload; a removed member's sockets close with
4403, see ``funnel.realtime.consumer``). A board keeps at least one owner: the
checks run under the board row's lock. Invitations: ``leads.services.invitations``;
accounts: ``leads.services.accounts``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from leads.access import board_lock, membership_for_owner

from ..errors import InvalidInput, NotFound
from ..events import event_append
from ..events.payloads import member_summary
from ..events.schema import MemberJoinedPayload, MemberRemovedPayload, MemberUpdatedPayload
from ..models import Board, BoardMembership, Role, Team
from ..validation import MAX_ID
from .tx import write_transaction

# How often a member's "last seen" is written at most.
SEEN_EVERY = timedelta(minutes=1)


def check_role_team(role: Any, team: Any) -> None:
    if role not in Role.values:
        raise InvalidInput(f"Role must be one of {', '.join(Role.values)}.", field="role")
    if team not in Team.values:
        raise InvalidInput(f"Team must be one of {', '.join(Team.values)}.", field="team")


def keeps_an_owner(board: Board, leaving: BoardMembership) -> None:
    """Refuse to take the owner role from ``leaving`` when nobody else has it (holds
    the board row lock)."""
    if leaving.role != Role.OWNER:
        return
    others = board.memberships.filter(role=Role.OWNER).exclude(pk=leaving.pk)
    if not others.exists():
        raise InvalidInput(
            "A board must keep at least one owner: make someone else owner first.", field="role"
        )


def is_person(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def member_of(board_id: int, user_id: Any) -> BoardMembership:
    if not isinstance(user_id, int) or not 0 < user_id <= MAX_ID:
        raise NotFound("Member not found.")
    membership = (
        BoardMembership.objects.filter(board_id=board_id, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise NotFound("Member not found.")
    return membership


def member_changed(
    board_id: int, membership: BoardMembership, fields: list[str], actor: Any, by: Any
) -> None:
    event_append(
        board_id=board_id,
        payload=MemberUpdatedPayload(member=member_summary(membership), fields=fields),
        actor=actor,
        membership=by,
    )


@write_transaction
def board_member_add(
    *, board_id: int, actor: Any, username: str, role: str, team: str
) -> BoardMembership:
    """Add an existing account by username, or change an existing member's role and
    team (owner only)."""
    board = board_lock(board_id)
    mine = membership_for_owner(board.pk, actor)
    check_role_team(role, team)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"No user named {username!r}.", field="username")
    membership = BoardMembership.objects.filter(board=board, user=user).first()
    if membership is None:
        membership = BoardMembership.objects.create(board=board, user=user, role=role, team=team)
        event_append(
            board_id=board.pk,
            payload=MemberJoinedPayload(member=member_summary(membership)),
            actor=actor,
            membership=mine,
        )
        return membership
    return member_change(board, membership, role=role, team=team, actor=actor, by=mine)


def member_change(
    board: Board,
    membership: BoardMembership,
    *,
    role: str | None,
    team: str | None,
    actor: Any,
    by: BoardMembership | None,
) -> BoardMembership:
    """Set a member's role and team (holds the board row lock); an event if anything changed."""
    changes = {
        name: value
        for name, value in (("role", role), ("team", team))
        if value is not None and value != getattr(membership, name)
    }
    if not changes:
        return membership
    check_role_team(changes.get("role", membership.role), changes.get("team", membership.team))
    if "role" in changes:
        keeps_an_owner(board, membership)
    for name, value in changes.items():
        setattr(membership, name, value)
    membership.save(update_fields=list(changes))
    if by is not None and by.pk == membership.pk:
        by = membership
    member_changed(board.pk, membership, list(changes), actor, by)
    return membership


@write_transaction
def member_update(
    *, board_id: int, actor: Any, user_id: int, role: str | None = None, team: str | None = None
) -> BoardMembership:
    """Change a member's role or team (the board's owner). It applies at once: the
    member's open board gets ``member.updated`` and its socket the new rights."""
    board = board_lock(board_id)
    mine = membership_for_owner(board.pk, actor)
    if role is None and team is None:
        raise InvalidInput("Give a role or a team to change.")
    membership = member_of(board.pk, user_id)
    return member_change(board, membership, role=role, team=team, actor=actor, by=mine)


@write_transaction
def member_remove(*, board_id: int, actor: Any, user_id: int) -> None:
    """Take a member off the board: the owner removes anyone, anyone may leave (the
    ``actor`` removing themself). The last owner cannot go. Their open sockets
    close (4403) and their next request finds no board; the leads they own keep
    them as owner."""
    board = board_lock(board_id)
    leaving = is_person(actor) and actor.pk == user_id
    if leaving:
        mine = BoardMembership.objects.filter(board=board, user=actor).first()
        if mine is None:
            raise NotFound("Board not found.")
        membership = mine
    else:
        mine = membership_for_owner(board.pk, actor)
        membership = member_of(board.pk, user_id)
    others = board.memberships.filter(role=Role.OWNER).exclude(pk=membership.pk)
    if membership.role == Role.OWNER and not others.exists():
        raise InvalidInput(
            "You are the board's last owner: make someone else owner before you leave."
            if leaving
            else "A board must keep at least one owner: make someone else owner first."
        )
    gone = membership.user_id
    membership.delete()
    event_append(
        board_id=board.pk,
        payload=MemberRemovedPayload(user=gone),
        actor=actor,
        membership=mine,
    )


def member_seen(*, board_id: int, user: Any, now: datetime | None = None) -> bool:
    """Note that a member opened the board (its page or its socket), at most once
    every ``SEEN_EVERY``: one read, and a write only when the last one is older.
    True when written."""
    if not is_person(user):
        return False
    now = now or timezone.now()
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - SEEN_EVERY)
    rows = BoardMembership.objects.filter(board_id=board_id, user_id=user.pk)
    if not rows.filter(stale).exists():
        return False
    return seen_write(rows.filter(stale), now)


@write_transaction
def seen_write(rows: Any, now: datetime) -> bool:
    return bool(rows.update(last_seen_at=now))
