from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from funnel.pages.views import PasswordResetView

from . import throttle


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


# Password reset by email (Django's views; templates/registration/). The request for a
# link spends the sign-in budget; the link itself is a signed, single-use token.
password_reset = [
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before admin.site.urls, which would match it first: the admin's sign-in
    # shares the budget of /login/ and /api/auth/token/.
    path("admin/login/", throttle.login_form(admin.site.login)),
    path("admin/", admin.site.urls),
    *password_reset,
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (?script): no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("api/", include("leads.urls")),
    path("api/", include("funnel.api_urls")),
    path("", include("funnel.urls")),
]

handler404 = "config.errors.not_found"
handler403 = "config.errors.permission_denied"
handler500 = "config.busy.server_error"
