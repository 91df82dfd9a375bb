"""Invitations to a board: made by its owner (mailed, or a link to paste),
listed, revoked, and accepted once, by a new account or the signed-in one. The
token is shown once, in the link; only its digest is kept (``leads.tokens``).
Accepting is a ``member.joined`` event."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from leads.access import membership_for_owner

from ..errors import Conflict, Gone, InvalidInput, MailFailed, NotFound
from ..events import event_append
from ..events.payloads import member_summary
from ..events.schema import MemberJoinedPayload
from ..models import Board, BoardMembership, Invitation, Role, Team
from ..rules import display_name, invitation_state
from ..tokens import new_token, token_digest_of
from ..validation import MAX_ID, email_problem
from .accounts import account_make
from .people import check_role_team, is_person
from .tx import write_transaction

logger = logging.getLogger(__name__)

GONE = {
    "accepted": "This invitation was already used: sign in, or ask the owner for a new one.",
    "revoked": "This invitation was revoked by the board's owner.",
    "expired": "This invitation has expired. Ask the board's owner for a new one.",
}


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
