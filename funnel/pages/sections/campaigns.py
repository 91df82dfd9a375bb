"""Settings section: campaigns (templates/settings/campaigns.html).

Owners and editors create campaigns, edit every field, archive and restore them;
viewers read the list. The forms only read the values (text, a number, days);
the rules (a unique name, a cost in cents, a colour, dates in order) are the
service's (``leads.services.campaigns``), whose refusal is shown beside the
field it names and on top of the page, with nothing changed. A campaign without
a cost is flagged "cost missing"; archived ones are listed apart, with Restore.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from leads import selectors
from leads.errors import InvalidInput, NotFound, ServiceError
from leads.models import Board, Campaign
from leads.rules import may_edit
from leads.services import campaign_create, campaign_update
from leads.validation import MAX_ID

ANCHOR = "campaigns"
NEW = "new"  # the new campaign form's prefix; an edit form's is "c<id>"

# The form a refused POST sent, to show again with its errors: (prefix, form).
_refused: WeakKeyDictionary[HttpRequest, tuple[str, CampaignForm]] = WeakKeyDictionary()


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class CampaignForm(forms.Form):
    name = forms.CharField(label="Name", strip=True)
    channel = forms.CharField(label="Channel", required=False)
    cost = forms.DecimalField(
        label="Cost",
        required=False,
        help_text="Empty while it is not known: the campaign shows “cost missing” and its "
        "cost per SQL and per Won stay “—”.",
    )
    starts_on = forms.DateField(label="Starts", required=False, widget=DayInput())
    ends_on = forms.DateField(label="Ends", required=False, widget=DayInput())
    color = forms.CharField(label="Colour", required=False)
    external_id = forms.CharField(
        label="External id",
        required=False,
        help_text="The campaign's id in the ad platform or the marketing automation system.",
    )

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data["color"]:
            data.pop("color")  # a new campaign takes the next colour of the board's palette
        return data


def edit_form(campaign: Campaign) -> CampaignForm:
    initial = {name: getattr(campaign, name) for name in CampaignForm.base_fields}
    return CampaignForm(prefix=f"c{campaign.pk}", initial=initial)


def context(request: HttpRequest, board: Board) -> dict[str, Any]:
    refused = _refused.get(request)
    rows: list[dict[str, Any]] = []
    archived: list[dict[str, Any]] = []
    for campaign in selectors.board_campaigns_list(board_id=board.pk, user=request.user):
        prefix = f"c{campaign.pk}"
        mine = refused is not None and refused[0] == prefix
        row = {
            "campaign": campaign,
            "cost_missing": campaign.cost is None,
            "form": refused[1] if mine and refused else edit_form(campaign),
            "open": mine,
        }
        (archived if campaign.archived_at else rows).append(row)
    new = refused[1] if refused and refused[0] == NEW else CampaignForm(prefix=NEW)
    return {
        "campaign_rows": rows,
        "archived_campaign_rows": archived,
        "campaign_form": new,
        "campaign_form_open": bool(refused and refused[0] == NEW),
        "may_edit_campaigns": may_edit(getattr(board, "my_role", None)),
    }


def campaign_of(request: HttpRequest, board: Board) -> Campaign:
    text = request.POST.get("campaign", "")
    if not text.isdigit() or int(text) > MAX_ID:
        raise NotFound("Campaign not found.")
    campaign = selectors.board_campaigns_list(board_id=board.pk, user=request.user)
    found = campaign.filter(pk=int(text)).first()
    if found is None:
        raise NotFound("Campaign not found.")
    return found


def written(request: HttpRequest, prefix: str, form: CampaignForm, write: Any) -> Any:
    """``write()``, or the page again with the refusal beside its field."""
    try:
        return write()
    except ServiceError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.detail)
        _refused[request] = (prefix, form)
        raise


def refused_form(request: HttpRequest, prefix: str, form: CampaignForm) -> InvalidInput:
    """A form that does not read (a cost that is no number, a day that is no day):
    the page again, with the form as sent and its first problem on top."""
    _refused[request] = (prefix, form)
    field, problems = next(iter(form.errors.items()))
    label = form.fields[field].label if field in form.fields else field
    return InvalidInput(f"The campaign was not saved. {label}: {problems[0]}", field=field)


def create(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    form = CampaignForm(request.POST, prefix=NEW)
    if not form.is_valid():
        raise refused_form(request, NEW, form)
    values = form.values()
    campaign = written(
        request,
        NEW,
        form,
        lambda: campaign_create(board_id=board.pk, actor=request.user, **values),
    )
    missing = " Its cost is missing until you enter one." if campaign.cost is None else ""
    messages.success(request, f"Campaign {campaign.name} created.{missing}")
    return None


def update(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
    campaign = campaign_of(request, board)
    prefix = f"c{campaign.pk}"
    form = CampaignForm(request.POST, prefix=prefix)
    if not form.is_valid():
        raise refused_form(request, prefix, form)
    values = {"color": campaign.color, **form.values()}
    result = written(
        request,
        prefix,
        form,
        lambda: campaign_update(campaign_id=campaign.pk, actor=request.user, **values),
    )
    if result.fields:
        messages.success(request, f"Campaign {result.campaign.name} saved.")
    else:
        messages.info(request, f"Campaign {campaign.name}: nothing changed.")
    return None


def archive(archived: bool) -> Any:
    def switch(request: HttpRequest, board: Board, bound: dict[str, Any]) -> HttpResponse | None:
        campaign = campaign_of(request, board)
        campaign_update(campaign_id=campaign.pk, actor=request.user, archived=archived)
        if archived:
            text = f"Campaign {campaign.name} archived: its leads and numbers stay."
        else:
            text = f"Campaign {campaign.name} restored to the board."
        messages.success(request, text)
        return None

    return switch


ACTIONS: dict[str, Any] = {
    "campaign-create": create,
    "campaign-update": update,
    "campaign-archive": archive(True),
    "campaign-restore": archive(False),
}
