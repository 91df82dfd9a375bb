"""The feedback loop: rejection reasons, feedback checks, lead quality, the handoff lane."""

from __future__ import annotations

import pytest

from leads.models import LeadFeedback
from leads.services import campaign_create, lead_create, lead_feedback_record, lead_move
from tests.conftest import client_for


def feedback(lead, actor, verdict, reason="", valuable=(), useless=()):
    return lead_feedback_record(
        lead_id=lead.pk,
        actor=actor,
        verdict=verdict,
        reason=reason,
        valuable_fields=list(valuable),
        useless_fields=list(useless),
    )


class TestRejectionReasons:
    def url(self, board):
        return f"/api/boards/{board.pk}/rejection-reasons/"

    def test_defaults_then_owner_edits(self, board, api, editor):
        assert api.get(self.url(board)).json()["reasons"] == [
            "No budget",
            "Wrong persona",
            "Bad contact data",
            "Duplicate",
            "Student / competitor",
        ]
        response = api.put(
            self.url(board), {"reasons": ["Too small", " No  budget "]}, format="json"
        )
        assert response.status_code == 200
        assert client_for(editor).get(self.url(board)).json()["reasons"] == [
            "Too small",
            "No budget",
        ]
        refused = client_for(editor).put(self.url(board), {"reasons": ["X"]}, format="json")
        assert refused.status_code == 403
        assert api.put(self.url(board), {"reasons": []}, format="json").status_code == 400
        twice = api.put(self.url(board), {"reasons": ["A", "a"]}, format="json")
        assert twice.status_code == 400

    def test_feedback_checks_reason_and_fields(self, board, owner, editor, api):
        lead = lead_create(board_id=board.pk, actor=owner, name="Ada", attributes={"utm": "x"})
        url = f"/api/leads/{lead.pk}/feedback/"
        bad_reason = client_for(editor).post(
            url, {"verdict": "rejected", "reason": "Smells funny"}, format="json"
        )
        assert bad_reason.status_code == 400 and "reason" in bad_reason.json()
        bad_field = client_for(editor).post(
            url, {"verdict": "accepted", "valuable_fields": ["shoe_size"]}, format="json"
        )
        assert bad_field.status_code == 400 and "valuable_fields" in bad_field.json()
        ok = client_for(editor).post(
            url,
            {
                "verdict": "rejected",
                "reason": "wrong persona",
                "valuable_fields": ["utm"],
                "useless_fields": ["title"],
            },
            format="json",
        )
        assert ok.status_code == 201, ok.content
        assert ok.json()["reason"] == "Wrong persona"  # as the board lists it
        assert LeadFeedback.objects.count() == 1


class TestLeadQuality:
    @pytest.fixture
    def quality_board(self, board, owner, editor, campaign):
        """Webinar (webinar): a accepted, b rejected No budget then accepted, c rejected
        Wrong persona, d no feedback. Ads (paid): e rejected No budget. f: no campaign, accepted."""
        ads = campaign_create(board_id=board.pk, actor=owner, name="Ads", channel="paid")

        def lead(name, campaign_id=None):
            return lead_create(
                board_id=board.pk,
                actor=owner,
                name=name,
                campaign_id=campaign_id,
                attributes={"utm": "u"},
            )

        a, b, c, _d = (lead(n, campaign.pk) for n in "abcd")
        e, f = lead("e", ads.pk), lead("f")
        feedback(a, editor, "accepted", valuable=["email", "utm"])
        feedback(b, editor, "rejected", "No budget", useless=["title"])
        feedback(b, editor, "accepted", valuable=["email"])  # the latest verdict counts
        feedback(c, editor, "rejected", "Wrong persona", useless=["title", "utm"])
        feedback(e, editor, "rejected", "No budget", valuable=["company"])
        feedback(f, editor, "accepted")
        return ads

    def test_numbers_per_campaign_and_channel(self, board, api, campaign, quality_board):
        response = api.get(f"/api/boards/{board.pk}/lead-quality/")
        assert response.status_code == 200
        body = response.json()
        by_id = {row["id"]: row for row in body["campaigns"]}
        webinar = by_id[campaign.pk]
        assert (webinar["accepted"], webinar["rejected"]) == (2, 1)
        assert webinar["acceptance_rate"] == pytest.approx(2 / 3, abs=1e-4)
        assert webinar["top_reasons"] == [{"reason": "Wrong persona", "leads": 1}]
        assert webinar["valuable_fields"] == [
            {"field": "email", "leads": 2},
            {"field": "utm", "leads": 1},
        ]
        assert webinar["useless_fields"] == [
            {"field": "title", "leads": 1},
            {"field": "utm", "leads": 1},
        ]
        ads = by_id[quality_board.pk]
        assert (ads["accepted"], ads["rejected"], ads["acceptance_rate"]) == (0, 1, 0.0)
        assert by_id[None]["accepted"] == 1
        channels = {row["channel"]: row for row in body["channels"]}
        assert (channels["paid"]["rejected"], channels["webinar"]["accepted"]) == (1, 2)
        assert channels[""]["accepted"] == 1
        total = body["total"]
        assert (total["accepted"], total["rejected"]) == (3, 2)
        assert total["top_reasons"] == [
            {"reason": "No budget", "leads": 1},
            {"reason": "Wrong persona", "leads": 1},
        ]

    def test_period_selects_the_cohort(self, board, api, quality_board):
        body = api.get(f"/api/boards/{board.pk}/lead-quality/?end=2000-01-01").json()
        assert (body["total"]["accepted"], body["total"]["rejected"]) == (0, 0)
        assert all(row["acceptance_rate"] is None for row in body["campaigns"])
        bad = api.get(f"/api/boards/{board.pk}/lead-quality/?start=yesterday")
        assert bad.status_code == 400

    def test_as_of_counts_the_verdicts_given_by_then(self, board, api, campaign, quality_board):
        """b was rejected (No budget), then accepted: as of between the two, the
        rejection is its latest; verdicts after the moment are left out."""
        from datetime import timedelta

        from django.utils import timezone

        from leads.models import Board

        now = timezone.now()
        Board.objects.filter(pk=board.pk).update(created_at=now - timedelta(days=10))
        verdicts = list(LeadFeedback.objects.filter(lead__board=board).order_by("id"))
        # a, b's rejection, b's acceptance, c, e, f: a and b's rejection eight days
        # ago, the rest two days ago.
        for i, row in enumerate(verdicts):
            LeadFeedback.objects.filter(pk=row.pk).update(
                at=now - timedelta(days=8 if i < 2 else 2)
            )
        url = f"/api/boards/{board.pk}/lead-quality/"
        then = (now - timedelta(days=5)).isoformat().replace("+00:00", "Z")
        body = api.get(url, {"as_of": then}).json()
        webinar = {row["id"]: row for row in body["campaigns"]}[campaign.pk]
        assert (webinar["accepted"], webinar["rejected"]) == (1, 1)
        assert webinar["top_reasons"] == [{"reason": "No budget", "leads": 1}]
        assert (body["total"]["accepted"], body["total"]["rejected"]) == (1, 1)
        assert body["as_of"].startswith(then[:16])
        live = api.get(url).json()
        assert (live["total"]["accepted"], live["total"]["rejected"]) == (3, 2)
        assert live["as_of"] is None
        before = api.get(url, {"as_of": (now - timedelta(days=30)).isoformat()})
        assert before.status_code == 400 and "as_of" in before.json()
        assert "did not exist yet" in str(before.json())
        future = api.get(url, {"as_of": "2999-01-01"})
        assert future.status_code == 400 and "future" in str(future.json())
        garbage = api.get(url, {"as_of": "soon"})
        assert garbage.status_code == 400 and "as_of" in garbage.json()

    def test_outsider_gets_404(self, board, outsider):
        assert client_for(outsider).get(f"/api/boards/{board.pk}/lead-quality/").status_code == 404


class TestHandoff:
    def test_leads_in_first_sales_stage_without_feedback(self, board, owner, editor, stages, api):
        # New [..] MQL [..] SQL [a b c] : SQL is the first sales stage; b has feedback.
        leads = [lead_create(board_id=board.pk, actor=owner, name=n) for n in "abcx"]
        for lead in leads[:3]:
            lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        feedback(leads[1], editor, "accepted")
        body = api.get(f"/api/boards/{board.pk}/handoff/?limit=1").json()
        assert body["stage"] == {"id": stages.SQL.pk, "name": "SQL"}
        assert body["count"] == 2
        assert [card["name"] for card in body["leads"]] == ["a"]
        assert body["next"] == 1
        assert "No budget" in body["reasons"]
        page = api.get(f"/api/boards/{board.pk}/handoff/?limit=1&offset=1").json()
        assert [card["name"] for card in page["leads"]] == ["c"]
        assert page["next"] is None
        assert api.get(f"/api/boards/{board.pk}/handoff/?limit=0").status_code == 400
