"""Pages: login, the boards list, the live board, and its meeting (projector) view."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from config import throttle
from funnel.meetings import meeting_running, meeting_summary
from funnel.models import ShareLink
from funnel.sharing import share_link_find, share_link_state
from leads.access import GUEST_NAME
from leads.board_templates import DEFAULT_TEMPLATE
from leads.errors import InvalidInput, NotFound, ServiceError
from leads.events.payloads import board_summary
from leads.models import Board, LostReason
from leads.rules import display_name, may_edit, may_judge, may_set_up, page_rules
from leads.selectors import board_get, board_templates_list, boards_with_role, demo_board_to_join
from leads.services import board_create, board_demo_join, board_update
from leads.services.people import member_seen
from leads.validation import MAX_ID


@method_decorator(throttle.login_form, name="post")
class LoginView(auth_views.LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "signup_open": settings.SIGNUP_OPEN}


@method_decorator(throttle.password_reset_form, name="post")
class PasswordResetView(auth_views.PasswordResetView):
    """Asks for a reset link by email; the same page follows whether or not an
    account has that address (Django's form mails only existing, active ones)."""


class LogoutView(auth_views.LogoutView):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def board_list(request: HttpRequest) -> HttpResponse:
    """The boards page: the user's boards (archived ones apart), a new board from a
    template, and the demo board to join. A first visit (no board yet) leads with
    the new board form. POST ``action``: ``create`` (then the new board opens),
    ``join-demo`` (the demo board opens), ``restore`` (an archived board)."""
    if request.method == "GET":
        return boards_page(request)
    action = request.POST.get("action", "")
    try:
        if action == "create":
            board = board_create(
                name=request.POST.get("name", ""),
                template=request.POST.get("template") or None,
                created_by=request.user,
            )
            return redirect("board", board.pk)
        if action == "join-demo":
            return redirect("board", board_demo_join(user=request.user).pk)
        if action == "restore":
            board = board_update(
                board_id=board_id_of(request), actor=request.user, archived=False
            ).board
            messages.success(request, f"{board.name} is restored: it can be changed again.")
            return redirect("board-list")
    except ServiceError as exc:
        return boards_page(request, error=exc, status=exc.status_code)
    return boards_page(request, error=InvalidInput("Unknown action."), status=400)


def board_id_of(request: HttpRequest) -> int:
    text = request.POST.get("board", "")
    if not text.isdigit() or int(text) > MAX_ID:
        raise NotFound("Board not found.")
    return int(text)


def boards_page(
    request: HttpRequest, *, error: ServiceError | None = None, status: int = 200
) -> HttpResponse:
    boards = list(boards_with_role(request.user))
    create = request.POST.get("action") == "create"
    context = {
        "boards": [b for b in boards if b.archived_at is None],
        "archived": [b for b in boards if b.archived_at is not None],
        "templates": board_templates_list(),
        "demo": demo_board_to_join(request.user),
        "error": error.detail if error else "",
        "error_field": error.field if error else None,
        # The form as sent, to show again after a refusal.
        "form": {
            "open": create,
            "name": request.POST.get("name", "") if create else "",
            "template": (request.POST.get("template") if create else None) or DEFAULT_TEMPLATE,
        },
    }
    return render(request, "boards.html", context, status=status)


@login_required
@ensure_csrf_cookie  # the page carries the token (base.html) for the board to send back
def board_page(request: HttpRequest, board_id: int) -> HttpResponse:
    """The live board. Everything on it comes from the REST API and the socket;
    the page only tells the script which board and who is looking."""
    board = member_board(request, board_id)
    if board is None:
        raise Http404("Board not found.")
    member_seen(board_id=board.pk, user=request.user)
    return render(request, "board.html", {"board": board, "config": board_config(board, request)})


def member_board(request: HttpRequest, board_id: int) -> Board | None:
    """The board with the signed-in user's role, or ``None`` when they are not a member."""
    if not request.user.is_authenticated:
        return None
    try:
        if board_id > MAX_ID:  # no board has it; the database would refuse the number
            raise NotFound("Board not found.")
        return board_get(board_id=board_id, user=request.user)
    except NotFound:
        return None


def board_config(board: Board, request: HttpRequest) -> dict:
    """What the board's script is told: which board and who is looking."""
    user = request.user
    archived = board.archived_at is not None
    return {
        "board": board_summary(board).wire(),
        "me": {
            "id": user.pk,
            "username": user.get_username(),
            "name": display_name(user),
            "role": board.my_role,  # type: ignore[attr-defined]
            "team": board.my_team,  # type: ignore[attr-defined]
            "may_edit": may_edit(board.my_role, archived=archived),  # type: ignore[attr-defined]
            "may_judge": may_judge(board.my_role, board.my_team),  # type: ignore[attr-defined]
            "may_set_up": may_set_up(board.my_role),  # type: ignore[attr-defined]
        },
        "rules": page_rules(),
        # What the lost dialog offers before it has read the list afresh.
        "lost_reasons": LostReason.labels_of(board.pk),
    }


# Meeting view: the board on a projector. Members open it signed in; anyone with
# a read-only share link (``?share=<token>``) opens it without an account.

SHARE_UNAVAILABLE = {
    "unknown": (404, "This share link does not exist", "Check the link, or ask for a new one."),
    "revoked": (403, "This share link was revoked", "Ask the board's team for a new link."),
    "expired": (403, "This share link has expired", "Ask the board's team for a new link."),
}


@ensure_csrf_cookie
def meeting_page(request: HttpRequest, board_id: int) -> HttpResponse:
    """The board in meeting mode (``templates/meeting.html``): for its members, and
    for the holder of one of its share links (a member signed in is shown the
    member's view, link or not)."""
    board = member_board(request, board_id)
    token = request.GET.get("share")
    expires_at = None
    if board is not None:
        config = board_config(board, request)
        share = None
    elif token is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404("Board not found.")
    else:
        link = share_link_find(token)
        problem = share_link_problem(link, board_id)
        if problem is not None:
            status, title, hint = SHARE_UNAVAILABLE[problem]
            why = {"title": title, "hint": hint}
            return render(request, "meeting_unavailable.html", why, status=status)
        assert link is not None
        board = link.board
        config = {
            "board": board_summary(board).wire(),
            "me": {
                "id": None,
                "username": "",
                "name": GUEST_NAME,
                "role": "viewer",
                "team": None,
                "may_edit": False,
                "may_judge": False,
                "may_set_up": False,
            },
            "rules": page_rules(),
        }
        share = token
        expires_at = link.expires_at
    running = meeting_running(board.pk)
    config["meeting"] = {
        "share": share,
        "guest": share is not None,
        "expiresAt": expires_at,
        "running": meeting_summary(running) if running is not None else None,
        "boardUrl": None if share else f"/boards/{board.pk}/",
    }
    context = {"board": board, "config": config, "guest": share is not None}
    response = render(request, "meeting.html", context)
    if share is not None:
        # The token is in the URL: keep it out of Referer headers sent elsewhere.
        response["Referrer-Policy"] = "no-referrer"
    return response


def share_link_problem(link: ShareLink | None, board_id: int) -> str | None:
    """Why a share link does not open this board (a key of ``SHARE_UNAVAILABLE``)."""
    if link is None or link.board_id != board_id:
        return "unknown"
    state = share_link_state(link)
    return None if state == "active" else state
