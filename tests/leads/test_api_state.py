"""The board's state (counts, pages of cards, campaign figures, people) and its event log."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.events.schema import Card
from leads.models import Lead, Stage
from leads.ranks import rank_of_index
from leads.services import campaign_create, lead_move
from leads.services.tallies import board_tallies_rebuild
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.leads.test_api import error, make_lead, other_board

CARD_KEYS = set(Card.model_fields)


def cursor_of(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode()


def state_url(board, **query) -> str:
    pairs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/boards/{board.pk}/state/?{pairs}"


def bulk_leads(board, n, *, stages=None, campaigns=(None,), owners=(None,)) -> None:
    """``n`` bare lead rows spread over the stages; positions repeat, so order ties
    are broken by id."""
    stages = stages or list(Stage.objects.filter(board=board).order_by("position"))
    now = timezone.now()
    Lead.objects.bulk_create(
        (
            Lead(
                board=board,
                stage=stages[i % len(stages)],
                campaign=campaigns[i % len(campaigns)],
                owner=owners[i % len(owners)],
                name=f"Lead {i}",
                company=f"Co {i % 7}",
                score=i % 101,
                value=i,
                position=rank_of_index(i // (3 * len(stages))),
                stage_entered_at=now,
                created_at=now,
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    board_tallies_rebuild(board)  # bare rows, past the write paths


def cards_in_order(stage) -> list[int]:
    return list(
        Lead.objects.filter(stage=stage).order_by("position", "id").values_list("id", flat=True)
    )


class TestState:
    def test_shape(self, board, stages, owner, editor, viewer, campaign):
        stranger = UserFactory(username="sam", first_name="Sam", last_name="Stranger")
        a = make_lead(board, owner, "a", campaign_id=campaign.pk, value=100)
        b = make_lead(board, owner, "b", campaign_id=campaign.pk, value=50, owner=editor)
        c = make_lead(board, owner, "c", value=7, owner=stranger)
        lead_move(lead_id=c.pk, to_stage_id=stages.MQL.pk, actor=owner)
        board.refresh_from_db()

        response = client_for(viewer).get(f"/api/boards/{board.pk}/state/")
        assert response.status_code == 200
        body = response.json()
        assert body["seq"] == board.last_seq
        assert body["board"]["id"] == board.pk
        assert body["board"]["me"] == {"role": "viewer", "team": "management", "may_judge": False}
        assert [s["name"] for s in body["stages"]] == [
            "New",
            "MQL",
            "SQL",
            "Opportunity",
            "Won",
            "Lost",
        ]
        new, mql = body["stages"][0], body["stages"][1]
        assert set(new) == {
            "id",
            "name",
            "position",
            "kind",
            "team",
            "sla_days",
            "wip_limit",
            "color",
            "count",
            "value",
            "overdue",
            "median_age_days",
            "sort",
            "leads",
            "next",
        }
        # New [b a]  MQL [c]
        assert (new["count"], new["value"], new["next"]) == (2, 150.0, None)
        assert [card["id"] for card in new["leads"]] == [b.pk, a.pk]
        assert set(new["leads"][0]) == CARD_KEYS
        assert (mql["count"], mql["value"], [x["id"] for x in mql["leads"]]) == (1, 7.0, [c.pk])
        assert all(s["count"] == 0 and s["leads"] == [] for s in body["stages"][2:])

        [webinar] = body["campaigns"]
        assert (webinar["id"], webinar["count"], webinar["value"], webinar["cost"]) == (
            campaign.pk,
            2,
            150.0,
            5000.0,
        )
        assert webinar["stages"][str(stages.New.pk)] == {"count": 2, "value": 150.0}
        assert webinar["stages"][str(stages.MQL.pk)] == {"count": 0, "value": 0.0}
        assert set(webinar["stages"]) == {str(s.pk) for s in Stage.objects.filter(board=board)}

        people = body["people"]
        assert people[str(editor.pk)] == {
            "id": editor.pk,
            "username": "dana",
            "name": "Dana Sales",
            "team": "sales",
        }
        assert people[str(stranger.pk)]["team"] is None
        assert {str(owner.pk), str(viewer.pk)} <= set(people)

    def test_campaign_without_leads_is_listed_with_zeros(self, board, owner, campaign, api):
        campaign_create(board_id=board.pk, actor=owner, name="Ads")
        body = api.get(f"/api/boards/{board.pk}/state/").json()
        assert [(c["name"], c["count"], c["value"]) for c in body["campaigns"]] == [
            ("Ads", 0, 0.0),
            ("Webinar", 0, 0.0),
        ]

    def test_outsider_404_and_unknown_board(self, board, outsider, api):
        error(client_for(outsider).get(f"/api/boards/{board.pk}/state/"), 404)
        error(api.get("/api/boards/999999/state/"), 404)

    def test_paging_a_stage_returns_every_card_once_in_order(self, board, stages, api):
        bulk_leads(board, 23, stages=[stages.New])  # positions tie in threes
        expected = cards_in_order(stages.New)
        body = api.get(state_url(board, per_stage=5)).json()
        new = body["stages"][0]
        seen = [card["id"] for card in new["leads"]]
        cursor, pages = new["next"], 1
        while cursor:
            page = api.get(state_url(board, per_stage=5, stage=stages.New.pk, cursor=cursor))
            assert page.status_code == 200
            page = page.json()
            assert [s["id"] for s in page["stages"]] == [stages.New.pk]
            assert page["stages"][0]["count"] == 23
            assert set(page) == {"board", "seq", "stages", "campaigns", "people"}
            seen += [card["id"] for card in page["stages"][0]["leads"]]
            cursor, pages = page["stages"][0]["next"], pages + 1
        assert seen == expected
        assert pages == 5

    def test_first_page_of_one_stage(self, board, stages, api):
        bulk_leads(board, 12, stages=[stages.New, stages.MQL])
        body = api.get(state_url(board, per_stage=4, stage=stages.MQL.pk)).json()
        [mql] = body["stages"]
        assert [c["id"] for c in mql["leads"]] == cards_in_order(stages.MQL)[:4]
        assert mql["next"]

    def test_exact_page_has_no_next(self, board, stages, api):
        bulk_leads(board, 5, stages=[stages.New])
        new = api.get(state_url(board, per_stage=5)).json()["stages"][0]
        assert len(new["leads"]) == 5 and new["next"] is None

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"per_stage": 0}, "per_stage"),
            ({"per_stage": 501}, "per_stage"),
            ({"per_stage": 10**30}, "per_stage"),
            ({"per_stage": "many"}, "per_stage"),
            ({"stage": "abc"}, "stage"),
            ({"stage": "foreign"}, "stage"),
            ({"stage": "own", "cursor": "!!notbase64!!"}, "cursor"),
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"a:b").decode()}, "cursor"),
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"nan:1").decode()}, "cursor"),
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"a0:-4").decode()}, "cursor"),
            # a float of the old ranks, a rank with a trailing zero, NUL, too long
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"1.0:4").decode()}, "cursor"),
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"a0V0:4").decode()}, "cursor"),
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"a0\x00:4").decode()}, "cursor"),
            ({"stage": "own", "cursor": cursor_of(b"a0" + b"V" * 2047 + b":4")}, "cursor"),
            ({"stage": "own", "cursor": base64.urlsafe_b64encode(b"\xff\xfe").decode()}, "cursor"),
            ({"cursor": base64.urlsafe_b64encode(b"a0:4").decode()}, "stage"),
            ({"score_min": "abc"}, "score_min"),
            ({"score_max": 101}, "score_max"),
            ({"team": "finance"}, "team"),
            ({"campaign": "1,x"}, "campaign"),
            ({"owner": "me"}, "owner"),
        ],
    )
    def test_bad_query_is_400_naming_it(self, board, stages, api, query, field):
        _, foreign_stage, _ = other_board()
        replace = {"foreign": foreign_stage.pk, "own": stages.New.pk}
        query = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in query.items()}
        body = error(api.get(state_url(board, **query)), 400, field)
        assert field in body["detail"] or body[field]

    def test_filters(self, board, stages, owner, editor, campaign, api):
        ads = campaign_create(board_id=board.pk, actor=owner, name="Ads")
        make_lead(board, owner, "web-1", campaign_id=campaign.pk, score=90, owner=editor)
        make_lead(board, owner, "web-2", campaign_id=campaign.pk, score=10, email="x@acme.io")
        make_lead(board, owner, "ad-1", campaign_id=ads.pk, score=50, owner=owner, value=5)
        make_lead(board, owner, "none", company="ACME Corp", score=70)

        def names(**query):
            response = api.get(state_url(board, **query))
            assert response.status_code == 200, response.content
            body = response.json()
            new = body["stages"][0]
            assert new["count"] == len(new["leads"])
            return sorted(card["name"] for card in new["leads"]), body

        assert names(campaign=campaign.pk)[0] == ["web-1", "web-2"]
        assert names(campaign=f"{campaign.pk},{ads.pk}")[0] == ["ad-1", "web-1", "web-2"]
        repeated = api.get(
            f"/api/boards/{board.pk}/state/?campaign={campaign.pk}&campaign={ads.pk}"
        )
        assert repeated.json()["stages"][0]["count"] == 3
        assert names(owner=editor.pk)[0] == ["web-1"]
        assert names(team="sales")[0] == ["web-1"]
        assert names(team="management")[0] == ["ad-1"]
        assert names(score_min=50)[0] == ["ad-1", "none", "web-1"]
        assert names(score_min=20, score_max=80)[0] == ["ad-1", "none"]
        assert names(q="acme")[0] == ["none", "web-2"]
        assert names(q="ACME", score_min=50)[0] == ["none"]
        # The campaign figures follow the filters too.
        _, body = names(score_min=50)
        figures = {c["name"]: (c["count"], c["value"]) for c in body["campaigns"]}
        assert figures == {"Ads": (1, 5.0), "Webinar": (1, 0.0)}

    def test_seq_is_read_before_the_data(self, board, owner, api):
        make_lead(board, owner)
        with CaptureQueriesContext(connection) as queries:
            api.get(f"/api/boards/{board.pk}/state/")
        data_queries = [q["sql"] for q in queries.captured_queries if "leads_" in q["sql"]]
        assert '"last_seq"' in data_queries[0] and "leads_lead" not in data_queries[0]

    def test_query_count_does_not_grow_with_leads(
        self, board, stages, owner, editor, campaign, api, django_assert_max_num_queries
    ):
        stranger = UserFactory()
        campaigns = (campaign, None)
        owners = (editor, stranger, None)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = api.get(state_url(board, per_stage=20))
            assert response.status_code == 200
            return len(queries.captured_queries)

        bulk_leads(board, 30, campaigns=campaigns, owners=owners)
        small = count_queries()
        bulk_leads(board, 270, campaigns=campaigns, owners=owners)
        assert Lead.objects.filter(board=board).count() == 300
        with django_assert_max_num_queries(small):
            api.get(state_url(board, per_stage=20))
        assert count_queries() == small
        # board, stages, the person's sorts, per-stage totals, their days, campaign
        # totals, campaigns, 6 pages, 6 medians (one per stage with leads), members, owners
        assert small <= 22
        if connection.features.supports_slicing_ordering_in_compound:
            # PostgreSQL: the pages in one UNION ALL, the medians in another (and the
            # stages' days beside their tallies).
            assert small <= 12, small


def test_state_of_a_10k_lead_board_pages_every_stage(board, stages, owner, campaign, api):
    # How fast this answers is measured in tests/benchmarks/bench_api.py
    # (test_board_state_10k); here, that a large board still answers whole.
    ads = campaign_create(board_id=board.pk, actor=owner, name="Ads")
    bulk_leads(board, 10_000, campaigns=(campaign, ads, None), owners=(owner, None))
    response = api.get(state_url(board, per_stage=50))
    assert response.status_code == 200
    body = response.json()
    assert sum(s["count"] for s in body["stages"]) == 10_000
    assert all(len(s["leads"]) == 50 for s in body["stages"])


class TestEvents:
    def url(self, board, **query):
        pairs = "&".join(f"{k}={v}" for k, v in query.items())
        return f"/api/boards/{board.pk}/events/?{pairs}"

    def test_after(self, board, stages, owner, viewer):
        lead = make_lead(board, owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
        lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
        board.refresh_from_db()
        client = client_for(viewer)
        body = client.get(self.url(board)).json()
        assert [e["seq"] for e in body["events"]] == list(range(1, board.last_seq + 1))
        assert (body["seq"], body["has_more"]) == (board.last_seq, False)
        last = body["events"][-1]
        assert (last["type"], last["to_stage"], last["actor"]["id"]) == (
            "lead.moved",
            stages.SQL.pk,
            owner.pk,
        )
        assert {"type", "seq", "at", "actor"} <= set(last)
        tail = client.get(self.url(board, after=board.last_seq - 1)).json()
        assert [e["seq"] for e in tail["events"]] == [board.last_seq]
        assert client.get(self.url(board, after=board.last_seq)).json()["events"] == []

    def test_limit_and_has_more(self, board, owner, api):
        for n in range(5):
            make_lead(board, owner, f"l{n}")
        board.refresh_from_db()
        first = api.get(self.url(board, after=0, limit=2)).json()
        assert [e["seq"] for e in first["events"]] == [1, 2] and first["has_more"]
        rest = api.get(self.url(board, after=2, limit=1000)).json()
        assert rest["events"][-1]["seq"] == board.last_seq and not rest["has_more"]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"after": -1}, "after"),
            ({"after": "x"}, "after"),
            ({"after": 10**30}, "after"),
            ({"limit": 0}, "limit"),
            ({"limit": 1001}, "limit"),
        ],
    )
    def test_bad_query(self, board, api, query, field):
        error(api.get(self.url(board, **query)), 400, field)

    def test_outsider_404(self, board, outsider):
        error(client_for(outsider).get(self.url(board)), 404)
