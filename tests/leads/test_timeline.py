"""A lead's timeline (GET /api/leads/<id>/timeline/) and the edits lead_update records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funnel.sharing import share_link_create
from leads.models import BoardEvent, Lead, LeadChange, LeadNote, StageTransition
from leads.rules import attribute_label
from leads.services import lead_create, lead_feedback_record, lead_move, lead_update
from leads.services.undo import transition_undo
from tests.conftest import client_for


def url(lead, **query):
    from urllib.parse import urlencode

    return f"/api/leads/{lead.pk}/timeline/" + (f"?{urlencode(query)}" if query else "")


@pytest.fixture
def lead(board, owner, campaign):
    return lead_create(
        board_id=board.pk,
        actor=owner,
        name="Ada Lovelace",
        campaign_id=campaign.pk,
        value=100,
        attributes={"utm_source": "google", "job_level": "VP"},
    )


def walk(lead, owner, stages, n):
    """``n`` moves back and forth between MQL and SQL, a minute apart."""
    start = timezone.now() - timedelta(minutes=n + 1)
    for i in range(n):
        to = stages.MQL if i % 2 == 0 else stages.SQL
        lead_move(lead_id=lead.pk, to_stage_id=to.pk, actor=owner)
    rows = list(StageTransition.objects.filter(lead=lead).order_by("at", "id"))
    for i, row in enumerate(rows):  # spread them out, so that "stayed" is known
        StageTransition.objects.filter(pk=row.pk).update(at=start + timedelta(minutes=i))
    return rows


class TestTimeline:
    def test_every_kind_newest_first(self, board, owner, lead, stages, editor):
        lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner, note="call booked")
        lead_feedback_record(
            lead_id=lead.pk,
            actor=editor,
            verdict="rejected",
            reason="No budget",
            valuable_fields=["email", "job_level"],
            useless_fields=["utm_source"],
        )
        LeadNote.objects.create(
            lead=lead, author=owner, body="Met at the fair", created_at=timezone.now()
        )
        lead_update(lead_id=lead.pk, actor=owner, value=250, owner=editor)

        body = client_for(owner).get(url(lead)).json()
        kinds = [item["kind"] for item in body["items"]]
        assert kinds == ["edit", "note", "verdict", "transition", "transition"]
        assert body["next"] is None
        edit, note, verdict, moved, created = body["items"]
        assert edit["actor"] == {"id": owner.pk, "name": "Olivia Owner"}
        changes = {c["field"]: c for c in edit["changes"]}
        assert changes["value"]["before"] == "100.00" and changes["value"]["after"] == "250.00"
        assert changes["value"]["label"] == "Value"
        assert changes["owner"]["before"] is None and changes["owner"]["after"] == editor.pk
        assert changes["owner"]["after_text"] == "Dana Sales"
        assert note["body"] == "Met at the fair" and note["author"]["name"] == "Olivia Owner"
        assert note["edited_at"] is None
        assert verdict["verdict"] == "rejected" and verdict["reason"] == "No budget"
        assert verdict["actor"]["name"] == "Dana Sales"
        assert verdict["valuable_fields"] == [
            {"field": "email", "label": "Email"},
            {"field": "job_level", "label": "Job level"},
        ]
        assert verdict["useless_fields"] == [{"field": "utm_source", "label": "UTM source"}]
        assert moved["from_stage"] == {"id": stages.New.pk, "name": "New"}
        assert moved["to_stage"] == {"id": stages.SQL.pk, "name": "SQL"}
        assert moved["source"] == "drag" and moved["source_label"] == "Drag"
        assert moved["note"] == "call booked" and moved["undone"] is False
        assert moved["stayed"] is not None and moved["stayed"] >= 0
        assert created["from_stage"] is None and created["source_label"] == "Created"
        assert created["stayed"] is None

    def test_stayed_undo_and_lost_reason(self, board, owner, lead, stages):
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        moved = lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        transition_undo(board_id=board.pk, actor=owner, transition_id=moved.transition.pk)
        rows = list(StageTransition.objects.filter(lead=lead).order_by("at", "id"))
        start = timezone.now() - timedelta(hours=5)
        for i, row in enumerate(rows):
            StageTransition.objects.filter(pk=row.pk).update(at=start + timedelta(hours=i))
        StageTransition.objects.filter(pk=rows[1].pk).update(reason="Bad timing")

        items = client_for(owner).get(url(lead)).json()["items"]
        undo, to_sql, to_mql, _created = items
        assert undo["source_label"] == "Undo" and undo["reverts"] == to_sql["id"]
        assert to_sql["undone"] is True and to_mql["undone"] is False
        assert to_mql["reason"] == "Bad timing"
        assert to_sql["stayed"] == 3600 and to_mql["stayed"] == 3600 and undo["stayed"] == 3600

    def test_paging_covers_everything_once(self, board, owner, lead, stages):
        walk(lead, owner, stages, 12)
        for i in range(5):
            lead_update(lead_id=lead.pk, actor=owner, score=10 + i)
        seen, cursor, pages = [], None, 0
        while True:
            query = {"limit": 4} | ({"before": cursor} if cursor else {})
            body = client_for(owner).get(url(lead, **query)).json()
            seen += [(item["kind"], item["id"]) for item in body["items"]]
            pages += 1
            assert len(body["items"]) <= 4
            cursor = body["next"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 13 + 5
        assert pages == 5
        whole = client_for(owner).get(url(lead, limit=200)).json()["items"]
        assert [(i["kind"], i["id"]) for i in whole] == seen
        ats = [i["at"] for i in whole]
        assert ats == sorted(ats, reverse=True)
        # A page's first transition knows how long the lead stayed, from the page before it.
        stays = [i["stayed"] for i in whole if i["kind"] == "transition"]
        assert stays[:-1] == [60] * 12 and stays[-1] is None

    def test_a_few_queries_for_a_long_history(self, board, owner, lead, stages, editor):
        walk(lead, owner, stages, 60)
        for i in range(10):
            lead_update(lead_id=lead.pk, actor=owner, owner=editor if i % 2 else owner, score=i)
        client = client_for(owner)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url(lead, limit=200)).json()
        assert len(body["items"]) == 61 + 10
        assert len(queries) <= 10, [q["sql"] for q in queries]

    def test_bad_input_is_400_naming_it(self, owner, lead):
        client = client_for(owner)
        for query, field in (
            ({"limit": 0}, "limit"),
            ({"limit": 201}, "limit"),
            ({"limit": "x"}, "limit"),
            ({"before": "not-a-cursor"}, "before"),
            ({"before": ""}, "before"),
        ):
            response = client.get(url(lead, **query))
            assert response.status_code == 400, (query, response.content)
            assert field in response.json(), response.json()

    def test_who_may_read(self, board, owner, lead, viewer, outsider):
        assert client_for(viewer).get(url(lead)).status_code == 200
        assert client_for(outsider).get(url(lead)).status_code == 404
        anonymous = client_for(None).get(url(lead))
        assert anonymous.status_code == 401 and "detail" in anonymous.json()
        link = share_link_create(board_id=board.pk, actor=owner)
        guest = client_for(None).get(url(lead), HTTP_X_SHARE_TOKEN=link.token)
        assert guest.status_code == 403
        assert client_for(owner).get("/api/leads/999999/timeline/").status_code == 404


class TestLeadChange:
    def test_one_row_per_update_with_before_and_after(self, board, owner, lead, editor, stages):
        other = lead.campaign
        lead_update(
            lead_id=lead.pk,
            actor=editor,
            version=lead.version,
            value="99.5",
            owner=owner,
            campaign=None,
            name="Ada L.",
            attributes={"utm_source": "bing", "job_level": "VP", "industry": "Tech"},
        )
        change = LeadChange.objects.get(lead=lead)
        assert change.actor == editor
        assert change.changes == {
            "attributes": [
                {"utm_source": "google", "job_level": "VP"},
                {"utm_source": "bing", "job_level": "VP", "industry": "Tech"},
            ],
            "campaign": [other.pk, None],
            "name": ["Ada Lovelace", "Ada L."],
            "owner": [None, owner.pk],
            "value": ["100.00", "99.50"],
        }
        item = client_for(owner).get(url(lead)).json()["items"][0]
        fields = {c["field"]: c for c in item["changes"]}
        assert fields["campaign"]["before_text"] == "Webinar"
        assert fields["attributes.utm_source"]["label"] == "UTM source"
        assert fields["attributes.industry"]["before"] is None
        assert fields["attributes.industry"]["after"] == "Tech"
        assert "attributes.job_level" not in fields

    def test_same_values_write_no_change_row(self, owner, lead):
        lead_update(lead_id=lead.pk, actor=owner, name="Ada Lovelace", value=100)
        assert not LeadChange.objects.filter(lead=lead).exists()

    def test_a_refused_update_writes_nothing(self, owner, lead):
        before = (LeadChange.objects.count(), BoardEvent.objects.count())
        for body, status, field in (
            ({"value": -1}, 400, "value"),
            ({"score": "lots"}, 400, "score"),
            ({"stage": 3}, 400, "stage"),
            ({"colour": "red"}, 400, "colour"),
            ({"email": "not an email"}, 400, "email"),
            ({"version": 99, "value": 5}, 409, None),
        ):
            response = client_for(owner).patch(f"/api/leads/{lead.pk}/", body, format="json")
            assert response.status_code == status, (body, response.content)
            assert "detail" in response.json()
            if field:
                assert field in response.json(), response.json()
        assert (LeadChange.objects.count(), BoardEvent.objects.count()) == before

    def test_stale_version_answers_the_lead_as_it_is(self, owner, editor, lead):
        lead_update(lead_id=lead.pk, actor=editor, value=300)
        response = client_for(owner).patch(
            f"/api/leads/{lead.pk}/", {"version": 1, "value": 5}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["lead"]["value"] == 300
        assert response.json()["lead"]["version"] == 2
        assert Lead.objects.get(pk=lead.pk).value == 300


class TestLeadDetail:
    def test_the_drawer_gets_every_field(self, owner, lead):
        body = client_for(owner).get(f"/api/leads/{lead.pk}/").json()
        for field in (
            "attributes",
            "source",
            "external_id",
            "crm_id",
            "owner",
            "campaign",
            "version",
            "stage",
            "stage_entered_at",
            "archived",
            "archived_at",
        ):
            assert field in body, field
        assert body["archived"] is False
        assert body["attribute_labels"] == {"utm_source": "UTM source", "job_level": "Job level"}

    def test_create_in_a_column(self, board, owner, stages):
        client = client_for(owner)
        response = client.post(
            "/api/leads/",
            {"board": board.pk, "name": "Quick", "stage": stages.SQL.pk, "value": "12.50"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert Lead.objects.get(pk=response.json()["id"]).stage_id == stages.SQL.pk
        for body, field in (
            ({"name": "  "}, "name"),
            ({"name": "X", "email": "nope"}, "email"),
            ({"name": "X", "value": -3}, "value"),
        ):
            response = client.post(
                "/api/leads/", {"board": board.pk, "stage": stages.SQL.pk, **body}, format="json"
            )
            assert response.status_code == 400 and field in response.json(), response.content


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("utm_source", "UTM source"),
        ("job_level", "Job level"),
        ("companySize", "Company size"),
        ("crm-id", "CRM ID"),
        ("industry", "Industry"),
    ],
)
def test_attribute_labels(key, label):
    assert attribute_label(key) == label
