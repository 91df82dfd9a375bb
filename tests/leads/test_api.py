"""The REST API: every route, its permissions and its refusals (always JSON, nothing written)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import IntegrityError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leads.models import (
    Board,
    BoardEvent,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    Stage,
    StageTransition,
)
from leads.ranks import rank_valid
from leads.services import campaign_create, lead_create, lead_move
from tests.conftest import client_for
from tests.factories import BoardFactory, UserFactory

HUGE = 10**30


def make_lead(board, actor, name="Ada", **fields) -> Lead:
    return lead_create(board_id=board.pk, actor=actor, name=name, **fields)


def other_board(user=None):
    """A board the fixtures' people are not members of (with a campaign)."""
    board = BoardFactory(created_by=user or UserFactory())
    campaign = Campaign.objects.create(board=board, name="Elsewhere")
    return board, Stage.objects.filter(board=board).order_by("position").first(), campaign


def written(board) -> tuple[int, int, int]:
    """What a refused request must not change: leads, transitions, events."""
    return (
        Lead.objects.filter(board=board).count(),
        StageTransition.objects.filter(board=board).count(),
        BoardEvent.objects.filter(board=board).count(),
    )


def error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "detail" in body, body
    if field:
        assert field in body, body
    return body


# Auth


class TestToken:
    url = "/api/auth/token/"

    def test_good_credentials_give_a_token_that_works(self, board, owner):
        response = APIClient().post(
            self.url, {"username": "olivia", "password": "pw-secret-123"}, format="json"
        )
        assert response.status_code == 200
        key = response.json()["token"]
        assert key == Token.objects.get(user=owner).key
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        boards = client.get("/api/boards/")
        assert boards.status_code == 200
        assert [b["id"] for b in boards.json()] == [board.pk]

    def test_bad_credentials_are_400_json(self, owner):
        response = APIClient().post(
            self.url, {"username": "olivia", "password": "wrong"}, format="json"
        )
        error(response, 400, "non_field_errors")
        assert not Token.objects.exists()

    def test_missing_fields_are_400_json(self, db):
        error(APIClient().post(self.url, {}, format="json"), 400, "username")

    def test_throttled_after_the_rate(self, owner, settings):
        settings.THROTTLE_LOGIN = "3/min"
        client = APIClient()
        for _ in range(3):
            response = client.post(self.url, {"username": "olivia", "password": "x"}, format="json")
            assert response.status_code == 400
        response = client.post(
            self.url, {"username": "olivia", "password": "pw-secret-123"}, format="json"
        )
        body = error(response, 429)
        assert "throttled" in body["detail"].lower()
        assert int(response["Retry-After"]) > 0


ROUTES = [
    ("get", "/api/boards/"),
    ("post", "/api/boards/"),
    ("get", "/api/boards/{board}/"),
    ("get", "/api/boards/{board}/members/"),
    ("post", "/api/boards/{board}/members/"),
    ("get", "/api/boards/{board}/state/"),
    ("get", "/api/boards/{board}/events/"),
    ("post", "/api/boards/{board}/undo/"),
    ("get", "/api/campaigns/"),
    ("post", "/api/campaigns/"),
    ("post", "/api/campaigns/{campaign}/move/"),
    ("get", "/api/leads/"),
    ("post", "/api/leads/"),
    ("get", "/api/leads/{lead}/"),
    ("patch", "/api/leads/{lead}/"),
    ("post", "/api/leads/{lead}/move/"),
    ("get", "/api/leads/{lead}/transitions/"),
    ("post", "/api/leads/{lead}/feedback/"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_anonymous_is_refused(method, route, board, owner, campaign):
    lead = make_lead(board, owner)
    url = route.format(board=board.pk, campaign=campaign.pk, lead=lead.pk)
    before = written(board)
    response = getattr(APIClient(), method)(url, {}, format="json")
    # 401 with the scheme to authenticate with, not a 403.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()
    assert written(board) == before


@pytest.mark.parametrize(("method", "route"), [r for r in ROUTES if "{" in r[1]])
def test_outsider_gets_404_everywhere(method, route, board, owner, campaign, outsider):
    lead = make_lead(board, owner)
    url = route.format(board=board.pk, campaign=campaign.pk, lead=lead.pk)
    before = written(board)
    body = {"to_stage": lead.stage_id, "verdict": "accepted", "from_stage": lead.stage_id}
    response = getattr(client_for(outsider), method)(url, body, format="json")
    error(response, 404)
    assert written(board) == before


@pytest.mark.parametrize(
    "url",
    ["/api/boards/{huge}/", "/api/leads/{huge}/", "/api/campaigns/{huge}/move/", "/api/boards/0/"],
)
def test_unknown_ids_are_404(url, api):
    response = api.get(url.format(huge=HUGE)) if "move" not in url else None
    if response is None:
        response = api.post(url.format(huge=HUGE), {}, format="json")
    error(response, 404)


# Boards


class TestBoards:
    def test_list_shows_my_boards_with_my_role(self, board, editor, outsider):
        mine = client_for(editor).get("/api/boards/").json()
        assert [(b["id"], b["me"]) for b in mine] == [
            (board.pk, {"role": "editor", "team": "sales", "may_judge": True})
        ]
        board.refresh_from_db()  # the editor's joining is an event (member.joined)
        assert mine[0]["last_seq"] == board.last_seq
        assert client_for(outsider).get("/api/boards/").json() == []

    def test_create_default_funnel_and_creator_owns_it(self, outsider):
        response = client_for(outsider).post("/api/boards/", {"name": "EMEA"}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert [s["name"] for s in body["stages"]] == [
            "New",
            "MQL",
            "SQL",
            "Opportunity",
            "Won",
            "Lost",
        ]
        assert [s["position"] for s in body["stages"]] == list(range(6))
        assert body["me"] == {"role": "owner", "team": "management", "may_judge": True}
        membership = BoardMembership.objects.get(board_id=body["id"], user=outsider)
        assert membership.role == "owner"

    def test_create_with_stages(self, api, owner):
        stages = [
            {"name": "Lead", "kind": "open", "team": "marketing", "sla_days": 3},
            {"name": "Deal", "kind": "open", "team": "sales", "wip_limit": 20},
            {"name": "Closed", "kind": "won", "team": "sales"},
        ]
        response = api.post(
            "/api/boards/", {"name": "Small", "stages": stages, "team": "sales"}, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        assert [
            (s["name"], s["kind"], s["team"], s["sla_days"], s["wip_limit"]) for s in body["stages"]
        ] == [
            ("Lead", "open", "marketing", 3, None),
            ("Deal", "open", "sales", None, 20),
            ("Closed", "won", "sales", None, None),
        ]
        assert body["me"]["team"] == "sales"
        assert list(Stage.objects.filter(board_id=body["id"]).values_list("name", flat=True)) == [
            "Lead",
            "Deal",
            "Closed",
        ]

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "name"),
            ({"name": "  "}, "name"),
            ({"name": "X", "stages": [{"name": "A"}, {"name": "a"}]}, "stages"),
            ({"name": "X", "stages": [{"name": "A", "kind": "maybe"}]}, "stages"),
            ({"name": "X", "stages": [{"name": "A", "wip_limit": -1}]}, "stages"),
            ({"name": "X", "stages": [{"name": "W", "kind": "won"}]}, "stages"),
            ({"name": "X", "stages": []}, "stages"),
            ({"name": "X", "stages": "New"}, "stages"),
            ({"name": "X", "stages": [{"name": "A", "color": "red"}]}, "stages"),
            ({"name": "X", "team": "finance"}, "team"),
        ],
    )
    def test_create_refuses_bad_input(self, api, owner, payload, field):
        before = Board.objects.count()
        error(api.post("/api/boards/", payload, format="json"), 400, field)
        assert Board.objects.count() == before

    def test_detail_has_ordered_stages_seq_and_me(self, board, stages, viewer, owner):
        make_lead(board, owner)
        board.refresh_from_db()
        body = client_for(viewer).get(f"/api/boards/{board.pk}/").json()
        assert body["last_seq"] == board.last_seq > 0
        assert body["me"] == {"role": "viewer", "team": "management", "may_judge": False}
        assert [s["id"] for s in body["stages"]] == [
            s.pk for s in Stage.objects.filter(board=board).order_by("position")
        ]
        assert set(body["stages"][0]) == {
            "id",
            "name",
            "position",
            "kind",
            "team",
            "sla_days",
            "wip_limit",
            "color",
        }


class TestMembers:
    def url(self, board):
        return f"/api/boards/{board.pk}/members/"

    def test_any_member_lists_members(self, board, owner, editor, viewer):
        body = client_for(viewer).get(self.url(board)).json()
        assert {(m["username"], m["role"], m["team"]) for m in body} == {
            ("olivia", "owner", "management"),
            ("dana", "editor", "sales"),
            ("vic", "viewer", "management"),
        }
        assert {m["name"] for m in body} >= {"Olivia Owner"}

    def test_owner_adds_and_changes_a_member(self, board, api, outsider):
        response = api.post(
            self.url(board),
            {"username": "mallory", "role": "editor", "team": "marketing"},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["user"] == outsider.pk
        assert BoardMembership.objects.get(board=board, user=outsider).role == "editor"
        api.post(
            self.url(board),
            {"username": "mallory", "role": "viewer", "team": "sales"},
            format="json",
        )
        membership = BoardMembership.objects.get(board=board, user=outsider)
        assert (membership.role, membership.team) == ("viewer", "sales")

    @pytest.mark.parametrize("who", ["editor", "viewer"])
    def test_only_the_owner_adds(self, board, who, request, outsider):
        client = client_for(request.getfixturevalue(who))
        payload = {"username": "mallory", "role": "owner", "team": "sales"}
        error(client.post(self.url(board), payload, format="json"), 403)
        assert not BoardMembership.objects.filter(user=outsider).exists()

    @pytest.mark.parametrize(
        ("payload", "status", "field"),
        [
            ({"username": "nobody", "role": "editor", "team": "sales"}, 404, "username"),
            ({"username": "mallory", "role": "boss", "team": "sales"}, 400, "role"),
            ({"username": "mallory", "role": "editor", "team": "hr"}, 400, "team"),
            ({"role": "editor", "team": "sales"}, 400, "username"),
        ],
    )
    def test_bad_member_input(self, board, api, outsider, payload, status, field):
        error(api.post(self.url(board), payload, format="json"), status, field)
        assert not BoardMembership.objects.filter(user=outsider).exists()

    def test_the_last_owner_cannot_step_down(self, board, api):
        payload = {"username": "olivia", "role": "editor", "team": "sales"}
        error(api.post(self.url(board), payload, format="json"), 400, "role")
        assert BoardMembership.objects.get(board=board, user__username="olivia").role == "owner"


# Campaigns


class TestCampaigns:
    def test_list_is_scoped_and_filtered_by_board(self, board, owner, campaign, outsider):
        mine = BoardFactory(created_by=owner)
        campaign_create(board_id=mine.pk, actor=owner, name="Other board")
        other_board()
        api = client_for(owner)
        assert {c["name"] for c in api.get("/api/campaigns/").json()} == {"Webinar", "Other board"}
        only = api.get(f"/api/campaigns/?board={board.pk}").json()
        assert only == [
            {
                "id": campaign.pk,
                "board": board.pk,
                "name": "Webinar",
                "channel": "webinar",
                "cost": 5000.0,
                "starts_on": None,
                "ends_on": None,
                "color": campaign.color,
                "external_id": "",
                "created_at": only[0]["created_at"],
                "archived": False,
                "archived_at": None,
            }
        ]
        assert client_for(outsider).get("/api/campaigns/").json() == []

    def test_bad_board_filter_is_400(self, api):
        error(api.get("/api/campaigns/?board=abc"), 400, "board")

    def test_editor_creates(self, board, editor):
        payload = {
            "board": board.pk,
            "name": "Trade fair",
            "channel": "event",
            "cost": "1234.50",
            "starts_on": "2026-01-01",
            "ends_on": "2026-01-31",
            "color": "#123abc",
        }
        response = client_for(editor).post("/api/campaigns/", payload, format="json")
        assert response.status_code == 201
        body = response.json()
        assert (body["cost"], body["ends_on"], body["color"]) == (1234.5, "2026-01-31", "#123abc")
        assert Campaign.objects.get(pk=body["id"]).board_id == board.pk
        assert board.events.filter(type="campaign.created").exists()

    def test_viewer_cannot_create(self, board, viewer):
        payload = {"board": board.pk, "name": "Nope"}
        error(client_for(viewer).post("/api/campaigns/", payload, format="json"), 403)
        assert not Campaign.objects.filter(name="Nope").exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"board": None, "name": "X"}, "board"),
            ({"board": "abc", "name": "X"}, "board"),
            ({"board": HUGE, "name": "X"}, "board"),
            ({"name": "X", "cost": -1}, "cost"),
            ({"name": "X", "cost": "lots"}, "cost"),
            ({"name": "X", "starts_on": "2026-02-01", "ends_on": "2026-01-01"}, "ends_on"),
            ({"name": "X", "starts_on": "yesterday"}, "starts_on"),
            ({"name": "webinar"}, "name"),
            ({"name": ""}, "name"),
            ({"name": "X", "color": "blue"}, "color"),
            ({"name": "X" * 201}, "name"),
        ],
    )
    def test_bad_input(self, board, api, campaign, payload, field):
        payload = {"board": board.pk, **payload}
        if payload["board"] is None:
            del payload["board"]
        before = Campaign.objects.count()
        error(api.post("/api/campaigns/", payload, format="json"), 400, field)
        assert Campaign.objects.count() == before

    def test_board_of_another_user_is_an_unknown_board(self, api):
        board, _, _ = other_board()
        body = error(
            api.post("/api/campaigns/", {"board": board.pk, "name": "X"}, format="json"),
            400,
            "board",
        )
        assert not Campaign.objects.filter(board=board, name="X").exists()
        assert "object does not exist" in body["board"][0]

    def test_move_a_campaign(self, board, stages, owner, editor, campaign):
        leads = [make_lead(board, owner, f"w{n}", campaign_id=campaign.pk) for n in range(3)]
        make_lead(board, owner, "other")
        response = client_for(editor).post(
            f"/api/campaigns/{campaign.pk}/move/",
            {"from_stage": stages.New.pk, "to_stage": stages.MQL.pk},
            format="json",
        )
        assert response.status_code == 200
        body = response.json()
        board.refresh_from_db()
        assert body["moved"] == 3 and body["seq"] == board.last_seq
        batch = uuid.UUID(body["batch"])
        assert set(
            StageTransition.objects.filter(batch=batch).values_list("lead_id", flat=True)
        ) == {lead.pk for lead in leads}
        assert Lead.objects.filter(stage=stages.MQL).count() == 3

    def test_campaign_move_refusals(self, board, stages, owner, viewer, campaign):
        make_lead(board, owner, campaign_id=campaign.pk)
        _, foreign_stage, _ = other_board()
        url = f"/api/campaigns/{campaign.pk}/move/"
        before = written(board)
        payload = {"from_stage": stages.New.pk, "to_stage": stages.MQL.pk}
        error(client_for(viewer).post(url, payload, format="json"), 403)
        api = client_for(owner)
        bad = {"from_stage": stages.New.pk, "to_stage": foreign_stage.pk}
        error(api.post(url, bad, format="json"), 400, "to_stage")
        error(api.post(url, {"from_stage": stages.New.pk}, format="json"), 400, "to_stage")
        error(api.post(url, {"from_stage": "x", "to_stage": 1}, format="json"), 400, "from_stage")
        same = {"from_stage": stages.New.pk, "to_stage": stages.New.pk}
        error(api.post(url, same, format="json"), 400, "to_stage")
        assert written(board) == before


# Leads


class TestLeadCreate:
    def test_minimal_lands_on_the_first_stage(self, board, stages, editor):
        response = client_for(editor).post(
            "/api/leads/", {"board": board.pk, "name": "Ada"}, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["stage"], body["version"], body["board"]) == (stages.New.pk, 1, board.pk)
        assert rank_valid(body["position"])
        lead = Lead.objects.get(pk=body["id"])
        assert lead.name == "Ada"
        transition = StageTransition.objects.get(lead=lead)
        assert (transition.from_stage_id, transition.to_stage_id, transition.actor_id) == (
            None,
            stages.New.pk,
            editor.pk,
        )

    def test_all_fields(self, board, stages, owner, editor, campaign, api):
        payload = {
            "board": board.pk,
            "name": "Grace",
            "email": "grace@example.com",
            "company": "Navy",
            "title": "Admiral",
            "campaign": campaign.pk,
            "stage": stages.SQL.pk,
            "value": "2500.75",
            "score": 88,
            "attributes": {"utm": "x", "pages": 3},
            "owner": editor.pk,
            "external_id": "ma-17",
            "source": "form",
            "crm_id": "c-1",
        }
        response = api.post("/api/leads/", payload, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["value"] == 2500.75 and body["score"] == 88
        lead = Lead.objects.get(pk=body["id"])
        assert (lead.stage_id, lead.campaign_id, lead.owner_id) == (
            stages.SQL.pk,
            campaign.pk,
            editor.pk,
        )
        assert lead.attributes == {"utm": "x", "pages": 3}
        assert (lead.external_id, lead.source, lead.crm_id) == ("ma-17", "form", "c-1")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"name": None}, "name"),
            ({"name": ""}, "name"),
            ({"board": None}, "board"),
            ({"board": "one"}, "board"),
            ({"stage": "foreign"}, "stage"),
            ({"stage": "abc"}, "stage"),
            ({"stage": HUGE}, "stage"),
            ({"campaign": "foreign"}, "campaign"),
            ({"campaign": 10**9}, "campaign"),
            ({"value": -1}, "value"),
            ({"value": "NaN"}, "value"),
            ({"value": "1e400"}, "value"),
            ({"value": "12345678901234567"}, "value"),
            ({"score": 500}, "score"),
            ({"score": -1}, "score"),
            ({"score": "high"}, "score"),
            ({"email": "not-an-email"}, "email"),
            ({"attributes": ["a", "b"]}, "attributes"),
            ({"owner": "outsider"}, "owner"),
            ({"owner": HUGE}, "owner"),
            ({"name": "x" * 201}, "name"),
        ],
    )
    def test_refusals_write_nothing(self, board, stages, owner, outsider, api, change, field):
        _, foreign_stage, foreign_campaign = other_board()
        replace = {
            "foreign": foreign_stage.pk if field == "stage" else foreign_campaign.pk,
            "outsider": outsider.pk,
        }
        change = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
        payload = {"board": board.pk, "name": "Ada", **change}
        payload = {k: v for k, v in payload.items() if v is not None}
        before = written(board)
        error(api.post("/api/leads/", payload, format="json"), 400, field)
        assert written(board) == before

    def test_board_of_another_user(self, api):
        board, _, _ = other_board()
        error(
            api.post("/api/leads/", {"board": board.pk, "name": "x"}, format="json"), 400, "board"
        )
        assert not Lead.objects.filter(board=board).exists()

    def test_malformed_json_and_wrong_types(self, board, api):
        before = written(board)
        response = api.post("/api/leads/", data="{bad json", content_type="application/json")
        assert "JSON parse error" in error(response, 400)["detail"]
        error(api.post("/api/leads/", data="[1, 2]", content_type="application/json"), 400)
        response = api.post("/api/leads/", data="name=x", content_type="text/plain")
        error(response, 415)
        assert written(board) == before

    def test_viewer_cannot_create(self, board, viewer):
        before = written(board)
        payload = {"board": board.pk, "name": "Ada"}
        error(client_for(viewer).post("/api/leads/", payload, format="json"), 403)
        assert written(board) == before


class TestLeadRead:
    def test_list_is_scoped_paginated_and_filtered(self, board, stages, owner, campaign, outsider):
        a = make_lead(board, owner, "Ada Lovelace", campaign_id=campaign.pk)
        b = make_lead(board, owner, "Bob", company="Lovelace Ltd", stage_id=stages.MQL.pk)
        c = make_lead(board, owner, "Cy", email="cy@example.org")
        foreign, _, _ = other_board(owner)
        d = make_lead(foreign, owner, "Dee")
        other_board()  # not the owner's
        api = client_for(owner)

        def ids(query=""):
            response = api.get(f"/api/leads/{query}")
            assert response.status_code == 200
            return {lead["id"] for lead in response.json()["results"]}

        body = api.get("/api/leads/?limit=2").json()
        assert body["count"] == 4 and len(body["results"]) == 2 and body["next"]
        assert ids() == {a.pk, b.pk, c.pk, d.pk}
        assert ids(f"?board={board.pk}") == {a.pk, b.pk, c.pk}
        assert ids(f"?stage={stages.MQL.pk}") == {b.pk}
        assert ids(f"?campaign={campaign.pk}") == {a.pk}
        assert ids("?q=lovelace") == {a.pk, b.pk}
        assert ids("?q=EXAMPLE.ORG") == {c.pk}
        assert client_for(outsider).get("/api/leads/").json()["count"] == 0
        error(api.get("/api/leads/?board=x"), 400, "board")
        error(api.get("/api/leads/?stage=1,y"), 400, "stage")

    def test_detail(self, board, owner, viewer):
        lead = make_lead(board, owner, attributes={"a": 1})
        body = client_for(viewer).get(f"/api/leads/{lead.pk}/").json()
        assert (body["id"], body["name"], body["attributes"], body["version"]) == (
            lead.pk,
            "Ada",
            {"a": 1},
            1,
        )

    def test_transitions_oldest_first(self, board, stages, owner, editor):
        lead = make_lead(board, owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=editor)
        lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        body = client_for(editor).get(f"/api/leads/{lead.pk}/transitions/").json()
        assert [(t["from_stage"], t["to_stage"]) for t in body] == [
            (None, stages.New.pk),
            (stages.New.pk, stages.MQL.pk),
            (stages.MQL.pk, stages.SQL.pk),
        ]
        assert body[1]["actor"] == {"id": editor.pk, "username": "dana", "name": "Dana Sales"}
        assert [t["source"] for t in body] == ["create", "drag", "drag"]
        assert set(body[0]) == {
            "id",
            "lead",
            "from_stage",
            "to_stage",
            "actor",
            "at",
            "source",
            "batch",
            "reverts",
            "note",
            "reason",
        }


class TestLeadUpdate:
    def test_patch_with_version(self, board, owner, editor, campaign):
        lead = make_lead(board, owner)
        response = client_for(editor).patch(
            f"/api/leads/{lead.pk}/",
            {"version": 1, "score": 70, "value": 99.5, "campaign": campaign.pk, "owner": editor.pk},
            format="json",
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["score"], body["value"], body["campaign"], body["owner"], body["version"]) == (
            70,
            99.5,
            campaign.pk,
            editor.pk,
            2,
        )
        event = board.events.get(type="lead.updated")
        assert event.payload["lead"]["version"] == 2

    def test_patch_clears_campaign_and_owner(self, board, owner, editor, campaign, api):
        lead = make_lead(board, owner, campaign_id=campaign.pk, owner=editor)
        response = api.patch(
            f"/api/leads/{lead.pk}/", {"campaign": None, "owner": None}, format="json"
        )
        assert response.status_code == 200
        lead.refresh_from_db()
        assert (lead.campaign_id, lead.owner_id) == (None, None)

    def test_stale_version_is_409_with_the_current_lead(self, board, stages, owner, api):
        lead = make_lead(board, owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        before = written(board)
        response = api.patch(f"/api/leads/{lead.pk}/", {"version": 1, "score": 5}, format="json")
        body = error(response, 409, "lead")
        assert body["lead"]["id"] == lead.pk
        assert (body["lead"]["version"], body["lead"]["stage"]) == (2, stages.MQL.pk)
        lead.refresh_from_db()
        assert (lead.score, lead.version) == (0, 2)
        assert written(board) == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"stage": 1}, "stage"),
            ({"board": 1}, "board"),
            ({"score": 500}, "score"),
            ({"value": -5}, "value"),
            ({"name": ""}, "name"),
            ({"version": 0}, "version"),
            ({"version": "one"}, "version"),
            ({"campaign": "foreign"}, "campaign"),
            ({"owner": "outsider"}, "owner"),
            ({"attributes": "text"}, "attributes"),
        ],
    )
    def test_bad_patch(self, board, owner, outsider, api, payload, field):
        _, _, foreign_campaign = other_board()
        replace = {"foreign": foreign_campaign.pk, "outsider": outsider.pk}
        payload = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
        lead = make_lead(board, owner)
        before = written(board)
        error(api.patch(f"/api/leads/{lead.pk}/", payload, format="json"), 400, field)
        lead.refresh_from_db()
        assert lead.version == 1
        assert written(board) == before

    def test_viewer_cannot_patch(self, board, owner, viewer):
        lead = make_lead(board, owner)
        error(client_for(viewer).patch(f"/api/leads/{lead.pk}/", {"score": 9}, format="json"), 403)
        lead.refresh_from_db()
        assert lead.score == 0


class TestLeadMove:
    def test_move(self, board, stages, owner, editor):
        lead = make_lead(board, owner)
        response = client_for(editor).post(
            f"/api/leads/{lead.pk}/move/", {"to_stage": stages.MQL.pk, "version": 1}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        board.refresh_from_db()
        assert body["seq"] == board.last_seq
        assert (body["lead"]["stage"], body["lead"]["version"]) == (stages.MQL.pk, 2)
        transition = StageTransition.objects.get(pk=body["transition"]["id"])
        assert (transition.from_stage_id, transition.to_stage_id, transition.source) == (
            stages.New.pk,
            stages.MQL.pk,
            "drag",
        )
        assert body["transition"]["actor"]["id"] == editor.pk
        event = board.events.get(seq=body["seq"])
        assert event.type == "lead.moved"

    def test_move_with_a_token_is_an_api_move(self, board, stages, owner):
        lead = make_lead(board, owner)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
        response = client.post(
            f"/api/leads/{lead.pk}/move/", {"to_stage": stages.SQL.pk}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["transition"]["source"] == "api"

    def test_reorder_inside_a_stage_has_no_transition(self, board, stages, owner, api):
        a = make_lead(board, owner, "a")
        make_lead(board, owner, "b")  # New [b a]   move b... a to 0 -> New [a b]
        response = api.post(
            f"/api/leads/{a.pk}/move/", {"to_stage": stages.New.pk, "position": 0}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["transition"] is None
        names = Lead.objects.filter(stage=stages.New).order_by("position", "id")
        assert [lead.name for lead in names] == ["a", "b"]

    def test_stale_version_is_409_and_writes_nothing(self, board, stages, owner, api):
        lead = make_lead(board, owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        before = written(board)
        response = api.post(
            f"/api/leads/{lead.pk}/move/", {"to_stage": stages.SQL.pk, "version": 1}, format="json"
        )
        body = error(response, 409, "lead")
        assert (body["lead"]["id"], body["lead"]["stage"], body["lead"]["version"]) == (
            lead.pk,
            stages.MQL.pk,
            2,
        )
        assert written(board) == before
        assert Lead.objects.get(pk=lead.pk).stage_id == stages.MQL.pk

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"to_stage": "foreign"}, "to_stage"),
            ({}, "to_stage"),
            ({"to_stage": "MQL"}, "to_stage"),
            ({"to_stage": HUGE}, "to_stage"),
            ({"to_stage": "own", "position": -1}, "position"),
            ({"to_stage": "own", "position": HUGE}, "position"),
            ({"to_stage": "own", "version": "x"}, "version"),
            ({"to_stage": "same"}, "to_stage"),
        ],
    )
    def test_bad_moves(self, board, stages, owner, api, payload, field):
        _, foreign_stage, _ = other_board()
        replace = {"foreign": foreign_stage.pk, "own": stages.MQL.pk, "same": stages.New.pk}
        payload = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
        lead = make_lead(board, owner)
        before = written(board)
        error(api.post(f"/api/leads/{lead.pk}/move/", payload, format="json"), 400, field)
        assert written(board) == before

    def test_viewer_cannot_move(self, board, stages, owner, viewer):
        lead = make_lead(board, owner)
        before = written(board)
        response = client_for(viewer).post(
            f"/api/leads/{lead.pk}/move/", {"to_stage": stages.MQL.pk}, format="json"
        )
        error(response, 403)
        assert written(board) == before


class TestUndo:
    def url(self, board):
        return f"/api/boards/{board.pk}/undo/"

    def test_undo_a_transition(self, board, stages, owner, editor):
        lead = make_lead(board, owner)
        move = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=editor)
        response = client_for(editor).post(
            self.url(board), {"transition": move.transition.pk}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        board.refresh_from_db()
        assert (body["undone"], body["batch"], body["skipped"], body["seq"]) == (
            1,
            None,
            [],
            board.last_seq,
        )
        reverse = StageTransition.objects.get(pk=body["transitions"][0])
        assert (reverse.source, reverse.reverts_id) == ("undo", move.transition.pk)
        assert Lead.objects.get(pk=lead.pk).stage_id == stages.New.pk

    def test_an_editor_undoes_only_their_own_moves_the_owner_anyones(
        self, board, stages, owner, editor, viewer
    ):
        lead, other = make_lead(board, owner, "a"), make_lead(board, owner, "b")
        by_owner = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        by_editor = lead_move(lead_id=other.pk, to_stage_id=stages.MQL.pk, actor=editor)
        before = written(board)
        refused = client_for(editor).post(
            self.url(board), {"transition": by_owner.transition.pk}, format="json"
        )
        assert "only the board's owner" in error(refused, 403)["detail"]
        viewer_undo = client_for(viewer).post(
            self.url(board), {"transition": by_editor.transition.pk}, format="json"
        )
        error(viewer_undo, 403)
        assert written(board) == before
        undone = client_for(owner).post(
            self.url(board), {"transition": by_editor.transition.pk}, format="json"
        )
        assert undone.status_code == 200
        assert Lead.objects.get(pk=other.pk).stage_id == stages.New.pk

    def test_undo_a_batch_then_again_is_409(self, board, stages, owner, campaign, api):
        for n in range(2):
            make_lead(board, owner, f"w{n}", campaign_id=campaign.pk)
        moved = api.post(
            f"/api/campaigns/{campaign.pk}/move/",
            {"from_stage": stages.New.pk, "to_stage": stages.SQL.pk},
            format="json",
        ).json()
        response = api.post(self.url(board), {"batch": moved["batch"]}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert body["undone"] == 2 and body["batch"] and len(body["transitions"]) == 2
        assert Lead.objects.filter(stage=stages.New).count() == 2
        before = written(board)
        error(api.post(self.url(board), {"batch": moved["batch"]}, format="json"), 409)
        assert written(board) == before

    @pytest.mark.parametrize(
        ("payload", "status"),
        [
            ({}, 400),
            ({"batch": "not-a-uuid"}, 400),
            ({"transition": "x"}, 400),
            ({"transition": "mine", "batch": str(uuid.uuid4())}, 400),
            ({"batch": str(uuid.uuid4())}, 404),
            ({"transition": 10**12}, 404),
            ({"transition": "creation"}, 400),
            ({"transition": "foreign"}, 404),
        ],
    )
    def test_bad_undo(self, board, stages, owner, api, payload, status):
        lead = make_lead(board, owner)
        move = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        foreign, _, _ = other_board(owner)
        foreign_lead = make_lead(foreign, owner)
        foreign_move = lead_move(
            lead_id=foreign_lead.pk,
            to_stage_id=Stage.objects.get(board=foreign, name="MQL").pk,
            actor=owner,
        )
        replace = {
            "mine": move.transition.pk,
            "creation": StageTransition.objects.get(lead=lead, from_stage=None).pk,
            "foreign": foreign_move.transition.pk,
        }
        payload = {k: replace.get(v, v) for k, v in payload.items()}
        before = written(board)
        error(api.post(self.url(board), payload, format="json"), status)
        assert written(board) == before

    def test_viewer_cannot_undo(self, board, stages, owner, viewer):
        lead = make_lead(board, owner)
        move = lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        payload = {"transition": move.transition.pk}
        error(client_for(viewer).post(self.url(board), payload, format="json"), 403)
        assert not StageTransition.objects.filter(source="undo").exists()


class TestFeedback:
    def test_record(self, board, owner, editor):
        lead = make_lead(board, owner, attributes={"utm": "newsletter"})
        payload = {
            "verdict": "rejected",
            "reason": "No budget",
            "valuable_fields": ["company"],
            "useless_fields": ["title", "utm"],
        }
        response = client_for(editor).post(
            f"/api/leads/{lead.pk}/feedback/", payload, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        feedback = LeadFeedback.objects.get(pk=body["id"])
        assert (feedback.verdict, feedback.reason, feedback.actor_id) == (
            "rejected",
            "No budget",
            editor.pk,
        )
        assert (feedback.valuable_fields, feedback.useless_fields) == (
            ["company"],
            ["title", "utm"],
        )
        assert board.events.filter(type="lead.feedback").count() == 1

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "verdict"),
            ({"verdict": "maybe"}, "verdict"),
            ({"verdict": "rejected"}, "reason"),
            ({"verdict": "accepted", "valuable_fields": "company"}, "valuable_fields"),
            ({"verdict": "accepted", "useless_fields": [{"a": 1}]}, "useless_fields"),
        ],
    )
    def test_bad_feedback(self, board, owner, api, payload, field):
        lead = make_lead(board, owner)
        error(api.post(f"/api/leads/{lead.pk}/feedback/", payload, format="json"), 400, field)
        assert not LeadFeedback.objects.exists()

    def test_viewer_cannot(self, board, owner, viewer):
        lead = make_lead(board, owner)
        payload = {"verdict": "accepted"}
        error(
            client_for(viewer).post(f"/api/leads/{lead.pk}/feedback/", payload, format="json"), 403
        )
        assert not LeadFeedback.objects.exists()


# OpenAPI


def test_schema_is_served(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/boards/{board_id}/state/" in paths
    assert {"per_stage", "cursor", "campaign", "score_min"} <= {
        p["name"] for p in paths["/api/boards/{board_id}/state/"]["get"]["parameters"]
    }
    assert "409" in paths["/api/leads/{lead_id}/move/"]["post"]["responses"]


def test_schema_generates_without_warnings(tmp_path, db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi:")


# Errors the serializers could not foresee still answer JSON, never a 500.


def test_database_refusal_is_400_json(board, api, monkeypatch):
    def refuse(**kwargs):
        raise IntegrityError("lead_on_board: stage or campaign of another board")

    monkeypatch.setattr("leads.api.views.lead_create", refuse)
    body = error(api.post("/api/leads/", {"board": board.pk, "name": "x"}, format="json"), 400)
    assert "nothing was saved" in body["detail"]


def test_django_validation_error_is_400_with_fields(board, owner, api, monkeypatch):
    def refuse(**kwargs):
        raise DjangoValidationError({"email": ["Enter a valid email address."]})

    monkeypatch.setattr("leads.api.views.lead_update", refuse)
    lead = make_lead(board, owner)
    body = error(api.patch(f"/api/leads/{lead.pk}/", {"score": 1}, format="json"), 400, "email")
    assert body["detail"] == "email: Enter a valid email address."


def test_move_after_a_neighbour_and_not_both(board, stages, owner):
    from leads.services import lead_create

    api = client_for(owner)
    first = lead_create(board_id=board.pk, actor=owner, name="first", stage_id=stages.MQL.pk)
    top = lead_create(board_id=board.pk, actor=owner, name="top", stage_id=stages.MQL.pk)
    moving = lead_create(board_id=board.pk, actor=owner, name="moving")
    both = api.post(
        f"/api/leads/{moving.pk}/move/",
        {"to_stage": stages.MQL.pk, "after": top.pk, "before": first.pk},
        format="json",
    )
    assert both.status_code == 400 and "before" in both.json()
    response = api.post(
        f"/api/leads/{moving.pk}/move/", {"to_stage": stages.MQL.pk, "after": top.pk}, format="json"
    )
    assert response.status_code == 200
    order = list(stages.MQL.leads.order_by("position", "id").values_list("name", flat=True))
    assert order == ["top", "moving", "first"]
