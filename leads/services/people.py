"""People on a board: invitations (made, mailed, revoked, accepted), accounts made
through them or by open sign-up, and members (added, changed, removed, seen).

Every change of who is on a board and with what rights is a stored event
(``member.joined``, ``member.updated``, ``member.removed``): the board's sockets
apply it at once (a viewer made editor drags without a reload; a removed member's
sockets close with 4403, see ``funnel.realtime.consumer``). A board keeps at least
one owner: the checks run under the board row's lock.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from leads.access import board_lock, membership_for_owner

from ..errors import Conflict, Gone, InvalidInput, MailFailed, NotFound
from ..events import event_append
from ..events.payloads import member_summary
from ..events.schema import MemberJoinedPayload, MemberRemovedPayload, MemberUpdatedPayload
from ..models import Board, BoardMembership, Invitation, Role, Team
from ..rules import DISPLAY_NAME_MAX, display_name, invitation_state, name_fields
from ..tokens import new_token, token_digest_of
from ..validation import MAX_ID, email_problem, text_problem, visible
from .tx import write_transaction

logger = logging.getLogger(__name__)

# How often a member's "last seen" is written at most.
SEEN_EVERY = timedelta(minutes=1)
USERNAME_MAX = 150

GONE = {
    "accepted": "This invitation was already used: sign in, or ask the owner for a new one.",
    "revoked": "This invitation was revoked by the board's owner.",
    "expired": "This invitation has expired. Ask the board's owner for a new one.",
}


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


# --- Accounts ---


def account_problems(
    *, username: Any, password: Any, display_name: Any, email: Any = ""
) -> dict[str, list[str]]:
    """Every problem of a new account's fields, by field (empty: it can be made).
    The password goes through ``AUTH_PASSWORD_VALIDATORS``."""
    problems: dict[str, list[str]] = {}
    User = get_user_model()
    texts = {"username": username, "password": password, "display_name": display_name}
    texts["email"] = email
    for field, value in texts.items():
        if not isinstance(value, str):
            problems[field] = ["Give it as text."]
        elif problem := text_problem(value):
            problems[field] = [problem]
    if problems:
        return problems
    if not visible(display_name):
        problems["display_name"] = ["Give the name people will see, with a visible character."]
    elif len(" ".join(display_name.split())) > DISPLAY_NAME_MAX:
        problems["display_name"] = [f"A display name has at most {DISPLAY_NAME_MAX} characters."]
    if not username:
        problems["username"] = ["Choose a username to sign in with."]
    elif len(username) > USERNAME_MAX:
        problems["username"] = [f"A username has at most {USERNAME_MAX} characters."]
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as error:
            problems["username"] = list(error.messages)
        else:
            if User.objects.filter(username__iexact=username).exists():
                problems["username"] = ["That username is taken; choose another."]
    if email and (problem := email_problem(email)):
        problems["email"] = [problem]
    if not password:
        problems["password"] = ["Choose a password."]
    else:
        candidate = User(username=username, email=email, **name_fields(display_name))
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            problems["password"] = list(error.messages)
    return problems


def account_make(*, username: str, password: str, display_name: str, email: str = "") -> Any:
    """A new active account, its fields checked first (a 400 naming every problem).
    Runs in the caller's transaction."""
    email = email.strip(" ") if isinstance(email, str) else email
    problems = account_problems(
        username=username, password=password, display_name=display_name, email=email
    )
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidInput(first, extra=problems)
    return get_user_model().objects.create_user(
        username=username, email=email, password=password, **name_fields(display_name)
    )


@write_transaction
def account_signup(*, username: str, password: str, display_name: str, email: str = "") -> Any:
    """Open self-sign-up (``SIGNUP_OPEN``): an account on no board yet."""
    if not settings.SIGNUP_OPEN:
        raise NotFound("Sign-up is closed here: ask a board's owner for an invitation.")
    return account_make(
        username=username, password=password, display_name=display_name, email=email
    )


# --- Invitations ---


@dataclass(frozen=True)
class NewInvitation:
    """A new invitation and its link: absolute, and the only time it is known (the
    row keeps the token's digest). ``emailed``: it went out to ``invitation.email``."""

    invitation: Invitation
    url: str
    emailed: bool


def invite_path(token: str) -> str:
    return reverse("invite", kwargs={"token": token})


def invitation_expiry(now: datetime) -> datetime:
    return now + timedelta(days=float(settings.INVITATION_DAYS))


@write_transaction
def invitation_insert(
    *, board_id: int, actor: Any, role: str, team: str, email: str, site: str
) -> NewInvitation:
    membership_for_owner(board_id, actor)
    check_role_team(role, team)
    if email:
        if problem := email_problem(email):
            raise InvalidInput(problem, field="email")
        members = BoardMembership.objects.filter(board_id=board_id, user__email__iexact=email)
        if members.exists():
            raise InvalidInput(f"{email} is already a member of this board.", field="email")
    token = new_token()
    digest = token_digest_of(token)
    assert digest is not None
    invitation = Invitation.objects.create(
        board_id=board_id,
        email=email,
        role=role,
        team=team,
        token_hash=digest,
        created_by=actor if is_person(actor) else None,
        expires_at=invitation_expiry(timezone.now()),
    )
    return NewInvitation(
        invitation=invitation, url=f"{site.rstrip('/')}{invite_path(token)}", emailed=False
    )


def invitation_create(
    *, board_id: int, actor: Any, role: str, team: str, email: str = "", site: str
) -> NewInvitation:
    """An invitation to the board (its owner only) with a role and a team: to an
    email address, where the link is mailed, or (no ``email``) a link to paste in
    chat. ``site``: the origin the link starts with (``https://funnel.example.com``).

    The mail goes out after the invitation is committed, outside the write
    transaction (a slow mail server holds up no other writer); when the server
    does not take it, the invitation is deleted again and the answer is a 502:
    nothing is left half made."""
    if not isinstance(email, str):
        raise InvalidInput("The email address must be text.", field="email")
    email = email.strip(" ")
    made = invitation_insert(
        board_id=board_id, actor=actor, role=role, team=team, email=email, site=site
    )
    if not email:
        return made
    try:
        invitation_mail_send(made.invitation, made.url, actor)
    except (smtplib.SMTPException, OSError, ValueError) as error:
        logger.warning("invitation mail to %s failed: %s", email, error)
        Invitation.objects.filter(pk=made.invitation.pk).delete()
        raise MailFailed(
            f"The invitation could not be mailed to {email} ({type(error).__name__}); "
            "nothing was saved. Try again, or make a link to paste instead."
        ) from None
    return NewInvitation(invitation=made.invitation, url=made.url, emailed=True)


def invitation_mail_send(invitation: Invitation, url: str, actor: Any) -> None:
    board = Board.objects.only("name").get(pk=invitation.board_id)
    context = {
        "board": board.name,
        "inviter": display_name(actor) if is_person(actor) else "Funnelboard",
        "role": Role(invitation.role).label.lower(),
        "team": Team(invitation.team).label.lower(),
        "url": url,
        "expires_at": invitation.expires_at,
    }
    subject = " ".join(render_to_string("email/invitation_subject.txt", context).split())
    body = render_to_string("email/invitation.txt", context)
    EmailMessage(subject=subject, body=body, to=[invitation.email]).send()


def invitation_of_board(invitation_id: Any) -> Invitation:
    if not isinstance(invitation_id, int) or not 0 < invitation_id <= MAX_ID:
        raise NotFound("Invitation not found.")
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("Invitation not found.")
    return invitation


@write_transaction
def invitation_revoke(*, invitation_id: int, actor: Any) -> Invitation:
    """Revoke an invitation (the board's owner): its link stops working at once.
    Idempotent; a used one cannot be revoked (remove the member instead)."""
    invitation = invitation_of_board(invitation_id)
    membership_for_owner(invitation.board_id, actor)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already used: remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@dataclass(frozen=True)
class Accepted:
    membership: BoardMembership
    created: bool  # a new account was made for it
    event: dict[str, Any]


@write_transaction
def invitation_accept(
    *,
    token: Any,
    actor: Any = None,
    username: str = "",
    password: str = "",
    display_name: str = "",
    email: str = "",
) -> Accepted:
    """Use an invitation: the signed-in ``actor`` joins the board, or, without one,
    a new account is made from ``username``, ``password`` and ``display_name``
    (``email``: the invitation's address when it has one). Once only: a used,
    revoked or expired invitation is gone (410); a member already on the board
    conflicts (409) and leaves the invitation unused."""
    digest = token_digest_of(token)
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=digest).first()
        if digest is not None
        else None
    )
    if invitation is None:
        raise NotFound("This invitation link does not exist. Check it, or ask for a new one.")
    now = timezone.now()
    state = invitation_state(invitation, now=now)
    if state != "pending":
        raise Gone(GONE[state], extra={"state": state})
    created = not is_person(actor)
    if created:
        user = account_make(
            username=username,
            password=password,
            display_name=display_name,
            email=invitation.email or email,
        )
    else:
        user = actor
        if BoardMembership.objects.filter(board_id=invitation.board_id, user=user).exists():
            raise Conflict("You are already a member of this board.")
    membership = BoardMembership.objects.create(
        board_id=invitation.board_id, user=user, role=invitation.role, team=invitation.team
    )
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    event = event_append(
        board_id=invitation.board_id,
        payload=MemberJoinedPayload(member=member_summary(membership)),
        actor=user,
        membership=membership,
        at=now,
    )
    return Accepted(membership=membership, created=created, event=event.message)


# --- Members ---


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
