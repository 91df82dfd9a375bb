"""The board's settings page: outgoing webhooks (create, pause and resume, delete,
each one's delivery log) and the rejection reasons sales picks from.

Plain HTML forms: a POST names its ``action``, goes through the service that
owns the write (``leads.services``), then redirects back (303). A refusal is
the service's own words on the page, with its status (400, 403, 404); bad input
never becomes a 500. Who may do what is the services' rule: owners and editors
manage webhooks, the owner edits the reasons, viewers only read the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from leads import selectors
from leads.errors import NotFound, ServiceError
from leads.events import STORED_TYPES
from leads.models import Board, Role
from leads.rules import may_edit
from leads.selectors import board_get
from leads.services.reasons import lost_reasons_set, rejection_reasons_set
from leads.services.webhooks import webhook_create, webhook_delete, webhook_set_active
from leads.validation import MAX_ID

from .sections import SECTIONS

DELIVERIES_SHOWN = 20
REASONS_MAX = 50
REASON_MAX_CHARS = 200


class WebhookForm(forms.Form):
    url = forms.URLField(label="Payload URL", max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label="Secret",
        max_length=200,
        required=False,
        help_text=(
            "Leave empty to have one made for you (whsec_..., the form Standard Webhooks "
            "libraries take). It signs every delivery."
        ),
    )
    events = forms.MultipleChoiceField(
        label="Event types",
        choices=[(name, name) for name in STORED_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )


class ReasonsForm(forms.Form):
    reasons = forms.CharField(
        label="Rejection reasons",
        widget=forms.Textarea(attrs={"rows": 7}),
        max_length=REASONS_MAX * (REASON_MAX_CHARS + 2),
        help_text="One per line, in the order sales sees them.",
    )

    def clean_reasons(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["reasons"].splitlines()]
        reasons = [line for line in lines if line]
        if len(reasons) > REASONS_MAX:
            raise forms.ValidationError(f"At most {REASONS_MAX} reasons.")
        for reason in reasons:
            if len(reason) > REASON_MAX_CHARS:
                raise forms.ValidationError(
                    f"{reason[:40]}…: a reason has at most {REASON_MAX_CHARS} characters."
                )
        return reasons


def settings_board(request: HttpRequest, board_id: int) -> Board:
    """The board with the user's role; a board the user is not on is not found."""
    try:
        if board_id > MAX_ID:
            raise NotFound("Board not found.")
        return board_get(board_id=board_id, user=request.user)
    except NotFound:
        raise Http404("Board not found.") from None


def can_manage_webhooks(board: Board) -> bool:
    return may_edit(getattr(board, "my_role", None))


def webhook_rows(request: HttpRequest, board: Board) -> list[dict[str, Any]]:
    """Each webhook with its latest deliveries and how far behind the board it is."""
    rows = []
    for webhook in selectors.webhooks_list(board_id=board.pk, user=request.user):
        log = selectors.webhook_deliveries_list(
            board_id=board.pk, user=request.user, webhook_id=webhook.pk, limit=DELIVERIES_SHOWN
        )
        rows.append(
            {
                "webhook": webhook,
                "deliveries": log["deliveries"],
                "behind": max(0, board.last_seq - webhook.delivered_seq),
                "failing": next((d for d in log["deliveries"] if d["status"] == "failing"), None),
            }
        )
    return rows


class LostReasonsForm(ReasonsForm):
    """The same rule as the rejection reasons, for why deals are lost."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_lost_%s")
        super().__init__(*args, **kwargs)
        self.fields["reasons"].label = "Lost reasons"
        self.fields["reasons"].help_text = "One per line, in the order the lost dialog shows them."


def render_settings(
    request: HttpRequest,
    board: Board,
    *,
    webhook_form: WebhookForm | None = None,
    reasons_form: ReasonsForm | None = None,
    lost_form: ReasonsForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    reasons = selectors.rejection_reasons_get(board_id=board.pk, user=request.user)
    lost = selectors.lost_reasons_get(board_id=board.pk, user=request.user)
    manage = can_manage_webhooks(board)
    secret = request.session.pop(secret_key(board), None)
    context = {
        "board": board,
        "role": getattr(board, "my_role", None),
        "is_owner": getattr(board, "my_role", None) == Role.OWNER,
        "can_manage_webhooks": manage,
        "webhooks": webhook_rows(request, board) if manage else [],
        "new_secret": secret,
        "webhook_form": webhook_form or WebhookForm(),
        "reasons": reasons,
        "reasons_form": reasons_form or ReasonsForm(initial={"reasons": "\n".join(reasons)}),
        "lost_reasons": lost,
        "lost_form": lost_form or LostReasonsForm(initial={"reasons": "\n".join(lost)}),
        "error": error,
        "event_types": STORED_TYPES,
    }
    for section in SECTIONS:
        context.update(section.context(request, board))
    return render(request, "board_settings.html", context, status=status)


def secret_key(board: Board) -> str:
    return f"webhook-secret-{board.pk}"


def back(board: Board, anchor: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(f"{reverse('board-settings', args=[board.pk])}#{anchor}")
    response.status_code = 303
    return response


def webhook_id_of(request: HttpRequest) -> int:
    text = request.POST.get("webhook", "")
    if not text.isdigit() or int(text) > MAX_ID:
        raise NotFound("Webhook not found.")
    return int(text)


# A POST action: None when done (the page redirects back), else the page to show.
Handler = Callable[[HttpRequest, Board, dict[str, Any]], HttpResponse | None]


def save_reasons(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    form = bound["reasons_form"] = ReasonsForm(request.POST)
    if not form.is_valid():
        return render_settings(request, board, reasons_form=form, status=400)
    rejection_reasons_set(
        board_id=board.pk, actor=request.user, reasons=form.cleaned_data["reasons"]
    )
    messages.success(request, "Rejection reasons saved.")
    return None


def save_lost_reasons(
    request: HttpRequest, board: Board, bound: dict[str, Any]
) -> HttpResponse | None:
    form = LostReasonsForm(request.POST)
    if not form.is_valid():
        return render_settings(request, board, lost_form=form, status=400)
    lost_reasons_set(board_id=board.pk, actor=request.user, reasons=form.cleaned_data["reasons"])
    messages.success(request, "Lost reasons saved.")
    return None


def add_webhook(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    form = bound["webhook_form"] = WebhookForm(request.POST)
    if not form.is_valid():
        return render_settings(request, board, webhook_form=form, status=400)
    webhook = webhook_create(board_id=board.pk, actor=request.user, **form.cleaned_data)
    # Shown once, on the next page: the receiver needs it to check signatures.
    request.session[secret_key(board)] = {"id": webhook.pk, "secret": webhook.secret}
    messages.success(request, f"Webhook to {webhook.url} created.")
    return None


def switch_webhook(active: bool) -> Handler:
    def switch(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
        webhook = webhook_set_active(
            board_id=board.pk, actor=request.user, webhook_id=webhook_id_of(request), active=active
        )
        messages.success(request, f"Webhook to {webhook.url} {'resumed' if active else 'paused'}.")
        return None

    return switch


def remove_webhook(
    request: HttpRequest, board: Board, bound: dict[str, Any]
) -> HttpResponse | None:
    webhook_delete(board_id=board.pk, actor=request.user, webhook_id=webhook_id_of(request))
    messages.success(request, "Webhook deleted; its delivery log with it.")
    return None


ACTIONS: dict[str, Handler] = {
    "reasons": save_reasons,
    "lost-reasons": save_lost_reasons,
    "webhook-create": add_webhook,
    "webhook-pause": switch_webhook(False),
    "webhook-resume": switch_webhook(True),
    "webhook-delete": remove_webhook,
}
ANCHORS: dict[str, str] = {"reasons": "reasons", "lost-reasons": "lost-reasons"}
for _section in SECTIONS:
    ACTIONS.update(_section.ACTIONS)
    ANCHORS.update(dict.fromkeys(_section.ACTIONS, _section.ANCHOR))


@login_required
@require_http_methods(["GET", "POST"])
def board_settings(request: HttpRequest, board_id: int) -> HttpResponse:
    board = settings_board(request, board_id)
    if request.method == "GET":
        return render_settings(request, board)
    action = request.POST.get("action", "")
    handler = ACTIONS.get(action)
    if handler is None:
        return render_settings(request, board, error="Unknown action.", status=400)
    anchor = ANCHORS.get(action, "webhooks")
    bound: dict[str, Any] = {}  # the forms as sent, to show again on a refusal
    try:
        page = handler(request, board, bound)
    except ServiceError as exc:
        return render_settings(request, board, error=exc.detail, status=exc.status_code, **bound)
    return page or back(board, anchor)
