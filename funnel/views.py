"""Pages: login, the boards list, the live board."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework.throttling import ScopedRateThrottle

from leads.errors import NotFound
from leads.selectors import board_get, boards_for_user, user_name

MAX_ID = 2**63 - 1


class LoginView(auth_views.LoginView):
    template_name = "login.html"
    redirect_authenticated_user = True
    # The same limit as the token endpoint: a password guess is a guess either way.
    throttle_scope = "login"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        throttle = ScopedRateThrottle()
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            wait = int(throttle.wait() or 60)
            return JsonResponse(
                {"detail": f"Too many login attempts. Try again in {wait} s."},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def board_list(request: HttpRequest) -> HttpResponse:
    return render(request, "boards.html", {"boards": boards_for_user(request.user)})


@login_required
@ensure_csrf_cookie  # the board's fetch() sends it back as X-CSRFToken
def board_page(request: HttpRequest, board_id: int) -> HttpResponse:
    """The live board. Everything on it comes from the REST API and the socket;
    the page only tells the script which board and who is looking."""
    try:
        if board_id > MAX_ID:  # no board has it; the database would refuse the number
            raise NotFound("Board not found.")
        board = board_get(board_id=board_id, user=request.user)
    except NotFound:
        raise Http404("Board not found.") from None
    user = request.user
    config = {
        "board": {"id": board.pk, "name": board.name},
        "me": {
            "id": user.pk,
            "username": user.get_username(),
            "name": user_name(user),
            "role": board.my_role,  # type: ignore[attr-defined]
            "team": board.my_team,  # type: ignore[attr-defined]
        },
    }
    return render(request, "board.html", {"board": board, "config": config})
