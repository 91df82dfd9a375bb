"""The error pages: 404, 403 and 500 in the app's frame (templates/404.html, 403.html,
500.html), each saying what happened and the way back, instead of Django's bare
"Not Found". Under ``/api/`` the answer is JSON, like every other API error
(``leads.api.errors``). With DEBUG on, Django shows its technical pages instead.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    board = request.path.startswith("/boards/")
    return render(request, "404.html", {"board": board}, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return render(request, "403.html", status=403)
