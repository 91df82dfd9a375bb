"""Campaigns edited, archived and restored: the service, ``PATCH``/``GET
/api/campaigns/<id>/``, who may, the ``campaign.updated`` event, and the cost
that may be missing (``None``) until someone enters it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from leads.errors import InvalidInput, NotFound, PermissionDenied
from leads.events import board_group
from leads.models import BoardEvent, Campaign
from leads.services import campaign_create, campaign_update, lead_create
from leads.services.imports import campaigns_create
from tests.conftest import client_for
from tests.factories import BoardFactory

HUGE = 10**30


@pytest.fixture
def published(monkeypatch):
    """What the services hand to the channel layer, decoded."""
    from channels.layers import get_channel_layer

    sent: list[tuple[str, dict]] = []

    async def group_send(group, message):
        sent.append((group, json.loads(message["text"])))

    monkeypatch.setattr(get_channel_layer(), "group_send", group_send)
    return sent


def url(campaign) -> str:
    return f"/api/campaigns/{campaign.pk}/"


def stored(campaign) -> dict:
    """Every field of the campaign's row that an edit may change."""
    row = Campaign.objects.get(pk=campaign.pk)
    fields = ("name", "channel", "cost", "starts_on", "ends_on", "color", "external_id")
    return {**{name: getattr(row, name) for name in fields}, "archived_at": row.archived_at}


def events(board) -> list[BoardEvent]:
    return list(BoardEvent.objects.filter(board=board, type="campaign.updated").order_by("seq"))


def error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"], body
    if field:
        assert field in body, body
    return body


class TestCostMissing:
    def test_a_campaign_made_without_a_cost_has_none(self, board, owner):
        campaign = campaign_create(board_id=board.pk, actor=owner, name="Expo")
        assert campaign.cost is None
        created = board.events.get(type="campaign.created")
        assert created.payload["campaign"]["cost"] is None
        assert created.payload["campaign"]["archived"] is False

    def test_the_api_and_the_state_say_null_not_0(self, board, api):
        body = api.post("/api/campaigns/", {"board": board.pk, "name": "Expo"}, format="json")
        assert body.status_code == 201 and body.json()["cost"] is None
        state = api.get(f"/api/boards/{board.pk}/state/").json()
        assert [(c["name"], c["cost"], c["archived"]) for c in state["campaigns"]] == [
            ("Expo", None, False)
        ]

    def test_an_import_makes_campaigns_with_the_cost_missing(self, board):
        ids = campaigns_create(board.pk, ["Fair"], {"fair": "event"})
        assert Campaign.objects.get(pk=ids["fair"]).cost is None

    def test_entering_the_cost_ends_it_and_clearing_it_brings_it_back(self, board, owner):
        campaign = campaign_create(board_id=board.pk, actor=owner, name="Expo")
        done = campaign_update(campaign_id=campaign.pk, actor=owner, cost=Decimal("1200.50"))
        assert done.fields == ["cost"] and stored(campaign)["cost"] == Decimal("1200.50")
        assert done.event["campaign"]["cost"] == 1200.5
        cleared = campaign_update(campaign_id=campaign.pk, actor=owner, cost=None)
        assert cleared.event["campaign"]["cost"] is None and stored(campaign)["cost"] is None


class TestService:
    def test_every_field_changes_in_one_event(
        self, board, owner, campaign, published, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            result = campaign_update(
                campaign_id=campaign.pk,
                actor=owner,
                name="  Webinar EMEA ",
                channel="webinar ",
                cost=Decimal("7500"),
                starts_on=date(2026, 3, 1),
                ends_on=date(2026, 3, 31),
                color="#AB12CD",
                external_id="utm-emea",
            )
        assert stored(campaign) == {
            "name": "Webinar EMEA",
            "channel": "webinar",
            "cost": Decimal("7500.00"),
            "starts_on": date(2026, 3, 1),
            "ends_on": date(2026, 3, 31),
            "color": "#ab12cd",
            "external_id": "utm-emea",
            "archived_at": None,
        }
        assert result.fields == [
            "color",
            "cost",
            "ends_on",
            "external_id",
            "name",
            "starts_on",
        ]  # "channel" was "webinar" already
        (event,) = events(board)
        group, message = published[-1]
        assert group == board_group(board.pk)
        assert message == result.event
        assert message["seq"] == event.seq and message["type"] == "campaign.updated"
        assert message["actor"]["username"] == owner.username
        assert message["campaign"] == {
            "id": campaign.pk,
            "name": "Webinar EMEA",
            "channel": "webinar",
            "color": "#ab12cd",
            "cost": 7500.0,
            "archived": False,
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-31",
            "external_id": "utm-emea",
        }
        assert message["fields"] == result.fields

    def test_nothing_changed_stores_no_event(self, board, owner, campaign):
        seq = board.events.count()
        result = campaign_update(
            campaign_id=campaign.pk, actor=owner, name="Webinar", cost=5000, archived=False
        )
        assert result.fields == [] and result.event is None
        assert board.events.count() == seq

    def test_archive_and_restore_keep_the_leads(self, board, owner, campaign):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
        archived = campaign_update(campaign_id=campaign.pk, actor=owner, archived=True)
        assert archived.fields == ["archived"] and archived.event["campaign"]["archived"] is True
        assert stored(campaign)["archived_at"] is not None
        assert lead.__class__.objects.get(pk=lead.pk).campaign_id == campaign.pk
        again = campaign_update(campaign_id=campaign.pk, actor=owner, archived=True)
        assert again.event is None  # archived already
        restored = campaign_update(campaign_id=campaign.pk, actor=owner, archived=False)
        assert restored.event["campaign"]["archived"] is False
        assert stored(campaign)["archived_at"] is None
        assert [e.payload["fields"] for e in events(board)] == [["archived"], ["archived"]]

    def test_an_archived_campaign_keeps_its_name(self, board, owner, campaign):
        campaign_update(campaign_id=campaign.pk, actor=owner, archived=True)
        with pytest.raises(InvalidInput) as refused:
            campaign_create(board_id=board.pk, actor=owner, name="webinar")
        assert refused.value.field == "name"

    def test_renaming_in_another_case_is_no_duplicate(self, board, owner, campaign):
        assert campaign_update(campaign_id=campaign.pk, actor=owner, name="WEBINAR").fields == [
            "name"
        ]

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "Ads"}, "name"),  # taken by another campaign
            ({"name": "ads"}, "name"),
            ({"name": "   "}, "name"),
            ({"name": "\u200b"}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"name": None}, "name"),
            ({"channel": "c" * 61}, "channel"),
            ({"external_id": "e" * 201}, "external_id"),
            ({"cost": -1}, "cost"),
            ({"cost": Decimal("0.001")}, "cost"),
            ({"cost": "12.345"}, "cost"),
            ({"cost": Decimal("1000000000000")}, "cost"),
            ({"cost": "lots"}, "cost"),
            ({"cost": Decimal("NaN")}, "cost"),
            ({"cost": True}, "cost"),
            ({"color": "blue"}, "color"),
            ({"color": "#12345"}, "color"),
            ({"color": ""}, "color"),
            ({"starts_on": date(2026, 2, 1), "ends_on": date(2026, 1, 1)}, "ends_on"),
            ({"starts_on": date(1800, 1, 1)}, "starts_on"),
            ({"starts_on": "2026-01-01"}, "starts_on"),
            ({"archived": "yes"}, "archived"),
            ({"board": 2}, "board"),
            ({"cost": 10, "color": "nope"}, "color"),  # nothing half-changed
        ],
    )
    def test_refusals_name_the_field_and_change_nothing(
        self, board, owner, campaign, fields, field
    ):
        campaign_create(board_id=board.pk, actor=owner, name="Ads")
        before, seq = stored(campaign), board.events.count()
        with pytest.raises(InvalidInput) as refused:
            campaign_update(campaign_id=campaign.pk, actor=owner, **fields)
        assert refused.value.field == field
        assert stored(campaign) == before and board.events.count() == seq

    def test_a_new_end_before_the_stored_start_is_refused(self, board, owner):
        campaign = campaign_create(
            board_id=board.pk, actor=owner, name="Q1", starts_on=date(2026, 1, 10)
        )
        with pytest.raises(InvalidInput) as refused:
            campaign_update(campaign_id=campaign.pk, actor=owner, ends_on=date(2026, 1, 9))
        assert refused.value.field == "ends_on"
        with pytest.raises(InvalidInput) as moved_start:
            campaign_update(
                campaign_id=campaign.pk,
                actor=owner,
                starts_on=date(2026, 2, 1),
                ends_on=date(2026, 1, 9),
            )
        assert moved_start.value.field == "ends_on"

    def test_who_may(self, board, owner, editor, viewer, outsider, campaign):
        assert campaign_update(campaign_id=campaign.pk, actor=editor, channel="webcast").fields
        with pytest.raises(PermissionDenied):
            campaign_update(campaign_id=campaign.pk, actor=viewer, channel="x")
        with pytest.raises(NotFound):
            campaign_update(campaign_id=campaign.pk, actor=outsider, channel="x")
        with pytest.raises(NotFound):
            campaign_update(campaign_id=HUGE, actor=owner, channel="x")
        assert stored(campaign)["channel"] == "webcast"

    def test_create_checks_the_same_rules(self, board, owner):
        for values, field in [
            ({"cost": Decimal("1.005")}, "cost"),
            ({"color": "#zzzzzz"}, "color"),
            ({"channel": "c" * 61}, "channel"),
        ]:
            with pytest.raises(InvalidInput) as refused:
                campaign_create(board_id=board.pk, actor=owner, name="New", **values)
            assert refused.value.field == field
        assert not Campaign.objects.filter(name="New").exists()


class TestApi:
    def test_get_one(self, board, api, campaign, outsider):
        body = api.get(url(campaign)).json()
        assert (body["id"], body["name"], body["cost"], body["archived"]) == (
            campaign.pk,
            "Webinar",
            5000.0,
            False,
        )
        error(client_for(outsider).get(url(campaign)), 404)
        error(api.get("/api/campaigns/999999/"), 404)

    def test_patch_answers_the_campaign_and_its_event(self, board, api, campaign):
        answer = api.patch(
            url(campaign), {"cost": "123.40", "name": "Webinar II", "color": "#00ff00"}, "json"
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert (body["name"], body["cost"], body["color"]) == ("Webinar II", 123.4, "#00ff00")
        assert body["changed"] == ["color", "cost", "name"]
        logged = api.get(f"/api/boards/{board.pk}/events/").json()["events"][-1]
        assert body["event"] == logged and logged["type"] == "campaign.updated"
        assert logged["campaign"]["name"] == "Webinar II"

    def test_patch_archives_and_restores(self, board, api, campaign, owner):
        lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
        archived = api.patch(url(campaign), {"archived": True}, format="json").json()
        assert archived["archived"] is True and archived["archived_at"]
        assert archived["event"]["campaign"]["archived"] is True
        state = api.get(f"/api/boards/{board.pk}/state/").json()
        (listed,) = state["campaigns"]
        assert (listed["archived"], listed["count"]) == (True, 1)  # its numbers stay
        assert api.get(f"/api/campaigns/?board={board.pk}&archived=false").json() == []
        assert [c["id"] for c in api.get("/api/campaigns/?archived=true").json()] == [campaign.pk]
        restored = api.patch(url(campaign), {"archived": False}, format="json").json()
        assert restored["archived"] is False and restored["archived_at"] is None
        assert [c["id"] for c in api.get("/api/campaigns/?archived=false").json()] == [campaign.pk]

    def test_an_empty_patch_changes_nothing(self, board, api, campaign):
        body = api.patch(url(campaign), {}, format="json").json()
        assert body["changed"] == [] and body["event"] is None

    def test_the_archived_filter_refuses_other_values(self, api):
        error(api.get("/api/campaigns/?archived=maybe"), 400, "archived")
        error(api.get("/api/campaigns/?archived="), 400, "archived")

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "Ads"}, "name"),
            ({"name": ""}, "name"),
            ({"name": "   "}, "name"),
            ({"name": None}, "name"),
            ({"cost": -5}, "cost"),
            ({"cost": "1.234"}, "cost"),
            ({"cost": "10000000000000"}, "cost"),
            ({"cost": "lots"}, "cost"),
            ({"color": "red"}, "color"),
            ({"color": ""}, "color"),
            ({"starts_on": "2026-05-02", "ends_on": "2026-05-01"}, "ends_on"),
            ({"ends_on": "someday"}, "ends_on"),
            ({"archived": "perhaps"}, "archived"),
            ({"board": 1}, "board"),
            ({"budget": 10}, "budget"),
            ({"cost": 10, "surprise": 1}, "surprise"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, board, owner, api, campaign, payload, field):
        campaign_create(board_id=board.pk, actor=owner, name="Ads")
        before, seq = stored(campaign), board.events.count()
        error(api.patch(url(campaign), payload, format="json"), 400, field)
        assert stored(campaign) == before and board.events.count() == seq

    def test_a_body_that_is_no_object_is_a_400(self, api, campaign):
        answer = api.patch(url(campaign), "[1, 2]", content_type="application/json")
        error(answer, 400)

    def test_permissions(self, board, campaign, editor, viewer, outsider):
        assert (
            client_for(editor).patch(url(campaign), {"cost": 1}, format="json").status_code == 200
        )
        assert client_for(viewer).get(url(campaign)).status_code == 200  # viewers read
        error(client_for(viewer).patch(url(campaign), {"cost": 2}, format="json"), 403)
        error(client_for(viewer).patch(url(campaign), {"archived": True}, format="json"), 403)
        error(client_for(outsider).patch(url(campaign), {"cost": 2}, format="json"), 404)
        assert client_for(None).patch(url(campaign), {"cost": 2}, format="json").status_code in (
            401,
            403,
        )
        assert stored(campaign)["cost"] == Decimal("1.00")
        assert stored(campaign)["archived_at"] is None

    def test_a_campaign_of_another_board_is_not_found(self, api, owner):
        other = BoardFactory()
        foreign = campaign_create(board_id=other.pk, actor=None, name="Theirs")
        error(api.patch(url(foreign), {"cost": 1}, format="json"), 404)
        error(api.patch(f"/api/campaigns/{HUGE}/", {"cost": 1}, format="json"), 404)
        assert stored(foreign)["cost"] is None

    def test_create_refuses_unknown_fields(self, board, api):
        payload = {"board": board.pk, "name": "X", "budget": 1}
        error(api.post("/api/campaigns/", payload, format="json"), 400, "budget")
        assert not Campaign.objects.filter(name="X").exists()

    def test_the_schema_documents_the_route(self, api):
        schema = api.get("/api/schema/?format=json")
        assert schema.status_code == 200
        paths = schema.json()["paths"]
        assert {"get", "patch"} <= set(paths["/api/campaigns/{campaign_id}/"])


CAMPAIGN_FIELDS = ("name", "channel", "cost", "starts_on", "ends_on", "color", "external_id")


@pytest.mark.parametrize("field", [*CAMPAIGN_FIELDS, "archived"])
def test_hostile_values_are_refused_or_stored_never_a_500(board, api, campaign, field):
    from tests.leads.test_fuzz import HOSTILE

    for value in [*HOSTILE, None, 10**30, -(10**30), 1.5e308, [], {}, True, 0]:
        before = stored(campaign)
        # As JSON text with escapes: a lone surrogate arrives as "\\ud800".
        text = json.dumps({field: value})
        answer = api.patch(url(campaign), text, content_type="application/json")
        assert answer.status_code in (200, 400), (field, value, answer.content)
        assert answer["Content-Type"].startswith("application/json")
        if answer.status_code == 400:
            body = answer.json()
            # The field named, or the body refused whole by the JSON parser (a lone surrogate).
            assert field in body or body["detail"].startswith("JSON parse error"), body
            assert stored(campaign) == before, (field, value)
    assert api.get(f"/api/boards/{board.pk}/state/").status_code == 200
    assert api.get(f"/api/boards/{board.pk}/funnel/").status_code == 200
