"""Pages people come in by: an invitation's link (``/invite/<token>/``: make an
account and land on the board, or accept as the signed-in account) and open
sign-up (``/signup/``, only while ``SIGNUP_OPEN``). Both POSTs are throttled
like sign-in (``config.throttle``); the writes are in ``leads.services.invitations``
and ``leads.services.accounts``.
A link that no longer works is a page that says why, with its status (404, 410).
The token in the address leaves the site in no Referer (``SECURE_REFERRER_POLICY``
same-origin; "no-referrer" would make browsers send ``Origin: null`` with the
form, which the CSRF check refuses).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from config import throttle
from leads.errors import Conflict, Gone, InvalidInput, NotFound
from leads.models import Invitation, Role, Team
from leads.rules import invitation_state
from leads.selectors.people import invitation_find
from leads.services.accounts import account_signup
from leads.services.invitations import invitation_accept

from .views import member_board

BACKEND = "django.contrib.auth.backends.ModelBackend"
ACCOUNT_FIELDS = ("display_name", "username", "email", "password")

NEW_ONE = "ask the board's owner for a new one"
UNAVAILABLE = {
    "unknown": (
        404,
        "This invitation link does not work",
        f"Check that the whole link was copied, or {NEW_ONE}.",
    ),
    "accepted": (
        410,
        "This invitation was already used",
        f"Sign in with the account it made, or {NEW_ONE}.",
    ),
    "revoked": (
        410,
        "This invitation was revoked",
        f"The board's owner took it back: {NEW_ONE} if you should be on the board.",
    ),
    "expired": (
        410,
        "This invitation has expired",
        f"Invitations work for a limited time: {NEW_ONE}.",
    ),
}


def see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def unavailable(request: HttpRequest, why: str) -> HttpResponse:
    status, title, hint = UNAVAILABLE[why]
    context = {"title": title, "hint": hint}
    return render(request, "invite_unavailable.html", context, status=status)


def account_values(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in ACCOUNT_FIELDS}


def invite_context(request: HttpRequest, invitation: Invitation, **more: Any) -> dict[str, Any]:
    return {
        "invitation": invitation,
        "board": invitation.board,
        "role": Role(invitation.role).label.lower(),
        "team": Team(invitation.team).label.lower(),
        "signed_in": request.user.is_authenticated,
        "already_member": member_board(request, invitation.board_id) is not None,
        "values": {name: "" for name in ACCOUNT_FIELDS},
        "errors": {},
        **more,
    }


@throttle.login_form
@require_http_methods(["GET", "POST"])
def invite_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_find(token)
    if invitation is None:
        return unavailable(request, "unknown")
    state = invitation_state(invitation, now=timezone.now())
    if state != "pending":
        return unavailable(request, state)
    if request.method == "GET":
        return render(request, "invite.html", invite_context(request, invitation))
    values = account_values(request)
    try:
        accepted = invitation_accept(
            token=token,
            actor=request.user,
            username=values["username"],
            password=values["password"],
            display_name=values["display_name"],
            email=values["email"],
        )
    except Gone as exc:
        return unavailable(request, exc.extra.get("state", "accepted"))
    except NotFound:
        return unavailable(request, "unknown")
    except (InvalidInput, Conflict) as exc:
        values["password"] = ""
        context = invite_context(
            request, invitation, values=values, errors=exc.extra, error=exc.detail
        )
        return render(request, "invite.html", context, status=exc.status_code)
    if accepted.created:
        login(request, accepted.membership.user, backend=BACKEND)
    return see_other(reverse("board", args=[accepted.membership.board_id]))


@throttle.login_form
@require_http_methods(["GET", "POST"])
def signup_page(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        raise Http404("Sign-up is closed.")
    if request.user.is_authenticated:
        return see_other(reverse("board-list"))
    context: dict[str, Any] = {"values": {name: "" for name in ACCOUNT_FIELDS}, "errors": {}}
    if request.method == "GET":
        return render(request, "signup.html", context)
    values = account_values(request)
    try:
        user = account_signup(
            username=values["username"],
            password=values["password"],
            display_name=values["display_name"],
            email=values["email"],
        )
    except InvalidInput as exc:
        values["password"] = ""
        context.update(values=values, errors=exc.extra, error=exc.detail)
        return render(request, "signup.html", context, status=400)
    login(request, user, backend=BACKEND)
    return see_other(reverse("board-list"))
