"""The integration API: upsert by external id, and Idempotency-Key on create and move."""

from __future__ import annotations

from leads.models import BoardEvent, IdempotencyKey, Lead, StageTransition
from leads.services import lead_create
from tests.conftest import client_for


def written(board):
    return (
        Lead.objects.filter(board=board).count(),
        StageTransition.objects.filter(board=board).count(),
        BoardEvent.objects.filter(board=board).count(),
    )


class TestUpsert:
    def url(self, board):
        return f"/api/boards/{board.pk}/leads/upsert/"

    def test_same_body_twice_changes_nothing(self, board, api, stages, campaign):
        body = {
            "external_id": "crm-1",
            "name": "Ada",
            "email": "ada@x.io",
            "stage": "SQL",
            "campaign": campaign.pk,
            "value": "100.50",
            "attributes": {"utm": "a"},
        }
        first = api.post(self.url(board), body, format="json")
        assert first.status_code == 201, first.content
        lead = Lead.objects.get(external_id="crm-1")
        assert (lead.stage, lead.campaign, lead.attributes) == (stages.SQL, campaign, {"utm": "a"})
        before, version = written(board), lead.version
        second = api.post(self.url(board), body, format="json")
        assert second.status_code == 200
        assert (second.json()["created"], second.json()["changed"]) == (False, [])
        assert written(board) == before
        lead.refresh_from_db()
        assert lead.version == version

    def test_changes_move_and_update(self, board, api, stages):
        api.post(self.url(board), {"external_id": "x", "name": "Ada"}, format="json")
        response = api.post(
            self.url(board),
            {"external_id": "x", "company": "Engines", "stage": stages.MQL.pk},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["changed"] == ["company", "stage"]
        lead = Lead.objects.get(external_id="x")
        assert (lead.stage, lead.company) == (stages.MQL, "Engines")
        assert StageTransition.objects.filter(lead=lead, source="api").count() == 2

    def test_refusals(self, board, api, viewer):
        from tests.conftest import client_for

        assert api.post(self.url(board), {"name": "no id"}, format="json").status_code == 400
        new_without_name = api.post(self.url(board), {"external_id": "n"}, format="json")
        assert new_without_name.status_code == 400
        bad_stage = api.post(
            self.url(board), {"external_id": "n", "name": "A", "stage": "Nowhere"}, format="json"
        )
        assert bad_stage.status_code == 400 and "stage" in bad_stage.json()
        viewer_post = client_for(viewer).post(
            self.url(board), {"external_id": "v", "name": "V"}, format="json"
        )
        assert viewer_post.status_code == 403
        assert Lead.objects.count() == 0


def call(user, path, data, key=None):
    """A POST through the real API, with an Idempotency-Key when given."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client_for(user).post(path, data, format="json", **headers)


class TestIdempotencyKey:
    def test_create_replayed_not_repeated(self, board, owner):
        data = {"board": board.pk, "name": "Ada"}
        first = call(owner, "/api/leads/", data, key="k1")
        assert first.status_code == 201
        before = written(board)
        again = call(owner, "/api/leads/", data, key="k1")
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert written(board) == before
        other = call(owner, "/api/leads/", {**data, "name": "Bob"}, key="k1")
        assert other.status_code == 409
        assert written(board) == before
        call(owner, "/api/leads/", data)  # no key: a new lead
        assert Lead.objects.filter(board=board).count() == 2

    def test_move_replays_errors_too(self, board, owner, editor, stages):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
        path = f"/api/leads/{lead.pk}/move/"
        body = {"to_stage": stages.MQL.pk}
        first = call(owner, path, body, key="m")
        assert first.status_code == 200
        before = written(board)
        again = call(owner, path, body, key="m")
        assert (again.status_code, again.json()["seq"]) == (200, first.json()["seq"])
        assert written(board) == before
        # Keys are per user: the same key from someone else is a new request.
        stale = call(editor, path, {**body, "version": 1}, key="m")
        assert stale.status_code == 409
        replay = call(editor, path, {**body, "version": 1}, key="m")
        assert (replay.status_code, replay["Idempotent-Replayed"]) == (409, "true")
        assert IdempotencyKey.objects.count() == 2
