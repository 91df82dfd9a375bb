"""The settings page's campaigns section: create, edit, archive and restore;
viewers read; a refusal names its field on the page, with nothing changed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from leads.models import Campaign
from leads.services import campaign_create, campaign_update, lead_create
from tests.factories import BoardFactory


@pytest.fixture
def login():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def url(board) -> str:
    return f"/boards/{board.pk}/settings/"


def section(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section class="settings-card" id="campaigns".*?</section>', html, re.S)
    assert match, "the page has the campaigns section"
    return match.group(0)


def edit(campaign, **changes) -> dict:
    """The edit form of ``campaign`` as the page fills it, with ``changes``."""
    values = {
        "name": campaign.name,
        "channel": campaign.channel,
        "cost": "" if campaign.cost is None else str(campaign.cost),
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else "",
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else "",
        "color": campaign.color,
        "external_id": campaign.external_id,
        **changes,
    }
    prefix = f"c{campaign.pk}"
    return {
        "action": "campaign-update",
        "campaign": str(campaign.pk),
        **{f"{prefix}-{name}": value for name, value in values.items()},
    }


def new(**values) -> dict:
    return {"action": "campaign-create", **{f"new-{k}": v for k, v in values.items()}}


def row(campaign) -> Campaign:
    return Campaign.objects.get(pk=campaign.pk)


class TestList:
    def test_rows_flag_the_missing_cost_and_list_the_archived_apart(
        self, board, owner, campaign, login
    ):
        expo = campaign_create(board_id=board.pk, actor=owner, name="Expo")
        old = campaign_create(board_id=board.pk, actor=owner, name="Old fair", cost=10)
        lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=old.pk)
        campaign_update(campaign_id=old.pk, actor=owner, archived=True)
        html = section(login(owner).get(url(board)))
        active, archived = html.split('<h3 class="campaign-archived-title">Archived</h3>')
        assert "Webinar" in active and "Expo" in active and "Old fair" not in active
        assert "Old fair" in archived and "1 lead" in archived and "campaign-restore" in archived
        expo_row = re.search(rf'data-campaign="{expo.pk}".*?</li>', active, re.S).group(0)
        assert "data-cost-missing" in expo_row
        webinar_row = re.search(rf'data-campaign="{campaign.pk}".*?</li>', active, re.S).group(0)
        assert "data-cost-missing" not in webinar_row and "5,000.00" in webinar_row
        assert "campaign-archive" in active and "New campaign" in html

    def test_viewers_read_and_change_nothing(self, board, viewer, campaign, login):
        client = login(viewer)
        html = section(client.get(url(board)))
        assert "Webinar" in html
        assert "<form" not in html
        assert "managed by the board's owner and editors" in html
        for body in (
            new(name="Nope"),
            edit(campaign, cost="1"),
            {"action": "campaign-archive", "campaign": str(campaign.pk)},
        ):
            assert client.post(url(board), body).status_code == 403
        assert not Campaign.objects.filter(name="Nope").exists()
        assert row(campaign).cost == Decimal("5000.00") and row(campaign).archived_at is None


class TestWrites:
    def test_an_editor_creates_one_without_a_cost(self, board, editor, login):
        client = login(editor)
        response = client.post(url(board), new(name="Spring Expo", channel="event"))
        assert response.status_code == 303 and response["Location"].endswith("#campaigns")
        created = Campaign.objects.get(name="Spring Expo")
        assert (created.channel, created.cost) == ("event", None)
        assert board.events.filter(type="campaign.created").exists()
        page = client.get(url(board))
        assert "Its cost is missing until you enter one." in page.content.decode()

    def test_editing_enters_the_cost_and_every_field(self, board, owner, login):
        expo = campaign_create(board_id=board.pk, actor=owner, name="Expo")
        body = edit(
            expo,
            name="Expo 2026",
            cost="1250.50",
            starts_on="2026-04-01",
            ends_on="2026-04-03",
            color="#10b981",
            external_id="utm-expo",
        )
        assert login(owner).post(url(board), body).status_code == 303
        saved = row(expo)
        assert (saved.name, saved.cost, str(saved.ends_on), saved.color, saved.external_id) == (
            "Expo 2026",
            Decimal("1250.50"),
            "2026-04-03",
            "#10b981",
            "utm-expo",
        )
        event = board.events.get(type="campaign.updated")
        assert event.payload["fields"] == [
            "color",
            "cost",
            "ends_on",
            "external_id",
            "name",
            "starts_on",
        ]
        # Emptying the cost makes it missing again.
        assert login(owner).post(url(board), edit(saved, cost="")).status_code == 303
        assert row(expo).cost is None

    def test_archive_and_restore(self, board, owner, campaign, login):
        client = login(owner)
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
        archive = {"action": "campaign-archive", "campaign": str(campaign.pk)}
        assert client.post(url(board), archive).status_code == 303
        assert row(campaign).archived_at is not None
        assert lead.__class__.objects.get(pk=lead.pk).campaign_id == campaign.pk
        restore = {"action": "campaign-restore", "campaign": str(campaign.pk)}
        assert client.post(url(board), restore).status_code == 303
        assert row(campaign).archived_at is None
        assert [
            e.payload["campaign"]["archived"]
            for e in board.events.filter(type="campaign.updated").order_by("seq")
        ] == [True, False]

    @pytest.mark.parametrize(
        ("changes", "field", "words"),
        [
            ({"name": "ads"}, "name", "already has a campaign named"),
            ({"name": "  "}, "name", ""),
            ({"cost": "-5"}, "cost", "cannot be negative"),
            ({"cost": "12.345"}, "cost", "at most 2 decimals"),
            ({"cost": "1e15"}, "cost", "too large"),
            ({"cost": "lots"}, "cost", "Enter a number"),
            ({"color": "blue"}, "color", "#rrggbb"),
            ({"starts_on": "2026-05-02", "ends_on": "2026-05-01"}, "ends_on", "end before"),
            ({"ends_on": "someday"}, "ends_on", "valid date"),
        ],
    )
    def test_a_refused_edit_is_shown_beside_its_field(
        self, board, owner, campaign, login, changes, field, words
    ):
        campaign_create(board_id=board.pk, actor=owner, name="Ads")
        before = Campaign.objects.filter(pk=campaign.pk).values().get()
        seq = board.events.count()
        response = login(owner).post(url(board), edit(campaign, **changes))
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="settings-error"' in html and words in html
        form = re.search(r'<details class="campaign-edit" open>.*?</details>', html, re.S).group(0)
        assert f'id="id_c{campaign.pk}-{field}"' in form
        field_html = form[form.index(f'id="id_c{campaign.pk}-{field}"') :]
        assert 'aria-invalid="true"' in field_html[:400] or "aria-invalid" in form
        assert 'class="field-error"' in form
        assert Campaign.objects.filter(pk=campaign.pk).values().get() == before
        assert board.events.count() == seq

    def test_a_refused_new_campaign_keeps_what_was_typed(self, board, owner, campaign, login):
        response = login(owner).post(url(board), new(name="webinar", channel="typed here"))
        assert response.status_code == 400
        html = section(response)
        form = re.search(r'<details class="campaign-new" open>.*?</details>', html, re.S).group(0)
        assert 'value="typed here"' in form and "already has a campaign named" in form
        assert Campaign.objects.count() == 1

    def test_a_campaign_of_another_board_is_not_found(self, board, owner, login):
        other = BoardFactory(created_by=owner)  # the owner's too: still not this board's
        theirs = campaign_create(board_id=other.pk, actor=owner, name="Theirs")
        archive = {"action": "campaign-archive", "campaign": str(theirs.pk)}
        assert login(owner).post(url(board), archive).status_code == 404
        for bad in ("", "abc", str(2**70)):
            body = {"action": "campaign-archive", "campaign": bad}
            assert login(owner).post(url(board), body).status_code == 404
        assert row(theirs).archived_at is None
