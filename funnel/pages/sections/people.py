"""Settings section: people (templates/settings/people.html). The board's members
(name, username, role, team, last seen) and, for its owner, their roles and
teams, removing them, and the invitations: a new one (by email, or a link shown
once with a copy button), the pending ones with who sent them, when, until when,
and Revoke. Anyone may leave; the services keep the last owner."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from leads import selectors
from leads.errors import NotFound, ServiceError
from leads.models import Board, Role, Team
from leads.rules import display_name
from leads.selectors.people import invitations_pending
from leads.services.invitations import invitation_create, invitation_revoke
from leads.services.people import member_remove, member_update
from leads.validation import MAX_ID

ANCHOR = "people"
# The invitation just made: its link, shown on the next page only.
NEW_LINK_KEY = "invitation-link-{board}"
# A refusal of this section's form, shown beside it (and at the top of the page).
PROBLEM = "people_problem"


class InviteForm(forms.Form):
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        strip=False,
        help_text="Leave it empty to make a link to paste in chat instead.",
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.EDITOR)
    team = forms.ChoiceField(label="Team", choices=Team.choices, initial=Team.MARKETING)


def is_owner(board: Board) -> bool:
    return getattr(board, "my_role", None) == Role.OWNER


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    owner = is_owner(board)
    members = [
        {
            "user_id": m.user_id,
            "name": display_name(m.user),
            "username": m.user.get_username(),
            "role": m.role,
            "team": m.team,
            "last_seen_at": m.last_seen_at,
            "joined_at": m.created_at,
            "me": m.user_id == request.user.pk,
        }
        for m in selectors.board_memberships_list(board_id=board.pk, user=request.user)
    ]
    failed_invite = request.method == "POST" and request.POST.get("action") == "invite-create"
    return {
        "people_members": members,
        "people_is_owner": owner,
        "people_roles": Role.choices,
        "people_teams": Team.choices,
        "people_invitations": invitations_pending(board_id=board.pk, user=request.user)
        if owner
        else [],
        "people_invite_form": InviteForm(request.POST if failed_invite else None),
        "people_new_link": request.session.pop(NEW_LINK_KEY.format(board=board.pk), None),
        "people_problem": getattr(request, PROBLEM, ""),
        "people_invitation_days": f"{float(settings.INVITATION_DAYS):g}",
    }


def posted_id(request: HttpRequest, name: str, what: str) -> int:
    text = request.POST.get(name, "")
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise NotFound(f"{what} not found.")
    return int(text)


def said_here(request: HttpRequest, exc: ServiceError) -> ServiceError:
    """Keep a refusal for this section's own message, then let the page show it."""
    setattr(request, PROBLEM, exc.detail)
    return exc


def member_name(board: Board, user_id: int, user: Any) -> str:
    for membership in selectors.board_memberships_list(board_id=board.pk, user=user):
        if membership.user_id == user_id:
            return display_name(membership.user)
    return "The member"


def update_member(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    user_id = posted_id(request, "user", "Member")
    try:
        membership = member_update(
            board_id=board.pk,
            actor=request.user,
            user_id=user_id,
            role=request.POST.get("role") or None,
            team=request.POST.get("team") or None,
        )
    except ServiceError as exc:
        raise said_here(request, exc) from None
    role, team = Role(membership.role).label.lower(), Team(membership.team).label.lower()
    messages.success(request, f"{display_name(membership.user)} is now {role} in {team}.")
    return None


def remove_member(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    user_id = posted_id(request, "user", "Member")
    if user_id == request.user.pk:
        return leave_board(request, board, bound)
    name = member_name(board, user_id, request.user)
    try:
        member_remove(board_id=board.pk, actor=request.user, user_id=user_id)
    except ServiceError as exc:
        raise said_here(request, exc) from None
    messages.success(request, f"{name} was removed from the board.")
    return None


def leave_board(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    try:
        member_remove(board_id=board.pk, actor=request.user, user_id=int(request.user.pk or 0))
    except ServiceError as exc:
        raise said_here(request, exc) from None
    response = HttpResponseRedirect(reverse("board-list"))
    response.status_code = 303
    return response


def create_invitation(
    request: HttpRequest, board: Board, bound: dict[str, Any]
) -> HttpResponse | None:
    form = InviteForm(request.POST)
    try:
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise ServiceError(f"{form.fields[field].label}: {errors[0]}")
        data = form.cleaned_data
        made = invitation_create(
            board_id=board.pk,
            actor=request.user,
            email=data["email"],
            role=data["role"],
            team=data["team"],
            site=request.build_absolute_uri("/"),
        )
    except ServiceError as exc:
        raise said_here(request, exc) from None
    invitation = made.invitation
    request.session[NEW_LINK_KEY.format(board=board.pk)] = {
        "url": made.url,
        "email": invitation.email,
        "emailed": made.emailed,
    }
    if made.emailed:
        messages.success(request, f"Invitation sent to {invitation.email}.")
    else:
        messages.success(request, "Invitation link made: copy it now, it is not shown again.")
    return None


def revoke_invitation(
    request: HttpRequest, board: Board, bound: dict[str, Any]
) -> HttpResponse | None:
    invitation_id = posted_id(request, "invitation", "Invitation")
    try:
        pending = invitations_pending(board_id=board.pk, user=request.user)
        if not pending.filter(pk=invitation_id).exists():
            raise NotFound("Invitation not found (used, revoked or expired already).")
        invitation = invitation_revoke(invitation_id=invitation_id, actor=request.user)
    except ServiceError as exc:
        raise said_here(request, exc) from None
    what = f"to {invitation.email}" if invitation.email else "link"
    messages.success(request, f"Invitation {what} revoked.")
    return None


ACTIONS: dict[str, Any] = {
    "member-update": update_member,
    "member-remove": remove_member,
    "member-leave": leave_board,
    "invite-create": create_invitation,
    "invite-revoke": revoke_invitation,
}
