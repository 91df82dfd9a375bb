"""Pages: login, the boards list."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle

from leads.selectors import boards_for_user


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
