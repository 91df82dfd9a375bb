"""At a glance, true: each stage's overdue and median age now, columns paged in
the person's sort (remembered through ``/me/card-sort/``), and the quick filters."""

from __future__ import annotations

import base64
from datetime import timedelta
from statistics import median

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import BoardMembership, Lead, Stage
from leads.ranks import rank_of_index
from leads.services.tallies import board_tallies_rebuild
from tests.conftest import client_for
from tests.leads.test_api import error, other_board
from tests.leads.test_api_state import state_url

NOW = timezone.now()


def aged_leads(board, stage, ages_days, *, owner=None, start=0) -> list[Lead]:
    """Leads in ``stage`` that entered it ``ages_days`` ago, in board order as given;
    value and score grow with the index."""
    leads = Lead.objects.bulk_create(
        Lead(
            board=board,
            stage=stage,
            owner=owner,
            name=f"Lead {start + i}",
            score=(start + i * 37) % 101,
            value=(start + i * 53) % 997,
            position=rank_of_index(start + i),
            stage_entered_at=NOW - timedelta(days=age),
            created_at=NOW - timedelta(days=age),
        )
        for i, age in enumerate(ages_days)
    )
    board_tallies_rebuild(board)  # bare rows, past the write paths
    return list(Lead.objects.filter(pk__in=[lead.pk for lead in leads]))


def b64(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode()


def stage_of(body, stage) -> dict:
    return next(s for s in body["stages"] if s["id"] == stage.pk)


def all_pages(api, board, stage, **query) -> list[dict]:
    cards, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        response = api.get(state_url(board, stage=stage.pk, per_stage=7, **query, **extra))
        assert response.status_code == 200, response.content
        page = response.json()["stages"][0]
        cards += page["leads"]
        cursor = page["next"]
        if cursor is None:
            return cards


@pytest.mark.django_db
class TestMedianAgeAndOverdue:
    def test_median_age_of_the_leads_there_now(self, board, stages, api):
        ages = [0.5, 1, 2, 3, 80, 81, 90, 100]  # even: the mean of the middle two
        aged_leads(board, stages.New, ages)
        aged_leads(board, stages.MQL, [10, 2, 40], start=100)  # odd
        body = api.get(state_url(board)).json()
        new, mql, sql = (
            stage_of(body, stages.New),
            stage_of(body, stages.MQL),
            stage_of(body, stages.SQL),
        )
        assert new["median_age_days"] == pytest.approx(median(ages), abs=0.02)
        assert mql["median_age_days"] == pytest.approx(10, abs=0.02)
        assert sql["median_age_days"] is None  # empty stage
        assert sql["count"] == 0 and sql["overdue"] == 0

    def test_overdue_counts_past_the_sla(self, board, stages, api):
        Stage.objects.filter(pk=stages.New.pk).update(sla_days=7)
        aged_leads(board, stages.New, [1, 5, 7.5, 8.5, 30, 80])
        new = stage_of(api.get(state_url(board)).json(), stages.New)
        # More whole days than 7: 8.5, 30, 80.
        assert (new["count"], new["overdue"]) == (6, 3)

    def test_median_follows_the_filters_and_leaves_archived_out(self, board, stages, owner, api):
        mine = aged_leads(board, stages.New, [1, 2, 3], owner=owner)
        aged_leads(board, stages.New, [50, 60, 70], start=10)
        Lead.objects.filter(pk=mine[0].pk).update(archived_at=NOW)
        body = api.get(state_url(board, owner=owner.pk)).json()
        new = stage_of(body, stages.New)
        assert new["count"] == 2
        assert new["median_age_days"] == pytest.approx(2.5, abs=0.02)

    def test_medians_cost_one_query_per_stage_whatever_the_leads(self, board, stages, api):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert api.get(state_url(board, per_stage=5)).status_code == 200
            return len(captured.captured_queries)

        aged_leads(board, stages.New, list(range(10)))
        few = queries()
        aged_leads(board, stages.New, list(range(300)), start=10)
        assert queries() == few

    def test_as_of_carries_median_and_sort(self, board, stages, owner, api):
        from leads.services import lead_create

        lead_create(board_id=board.pk, actor=owner, name="Old")
        body = api.get(
            state_url(board, as_of=timezone.now().isoformat().replace("+00:00", "Z"))
        ).json()
        new = stage_of(body, stages.New)
        assert new["sort"] == "position"
        assert new["median_age_days"] == pytest.approx(0, abs=0.01)


@pytest.mark.django_db
class TestSortPaging:
    @pytest.mark.parametrize(
        ("sort", "key"),
        [
            ("age", lambda lead: (lead.stage_entered_at, lead.pk)),
            ("value", lambda lead: (-lead.value, lead.pk)),
            ("score", lambda lead: (-lead.score, lead.pk)),
            ("position", lambda lead: (lead.position, lead.pk)),
        ],
    )
    def test_pages_by_the_sort_see_every_card_once_in_order(self, board, stages, api, sort, key):
        # Board order puts the youngest first: "oldest first" must show the oldest of
        # all 40, not the oldest of the first page.
        leads = aged_leads(board, stages.New, [i * 0.7 for i in range(40)])
        cards = all_pages(api, board, stages.New, sort=sort)
        assert [c["id"] for c in cards] == [lead.pk for lead in sorted(leads, key=key)]

    def test_first_page_of_oldest_first_is_the_oldest(self, board, stages, api):
        leads = aged_leads(board, stages.New, [i for i in range(60)])
        body = api.get(state_url(board, stage=stages.New.pk, sort="age", per_stage=5)).json()
        page = body["stages"][0]
        assert page["sort"] == "age"
        assert [c["id"] for c in page["leads"]] == [lead.pk for lead in leads[::-1][:5]]

    def test_remembered_sort_shapes_the_whole_state(self, board, stages, owner, api):
        leads = aged_leads(board, stages.New, [1, 9, 3])
        BoardMembership.objects.filter(board=board, user=owner).update(
            card_sort={str(stages.New.pk): "age"}
        )
        body = api.get(state_url(board)).json()
        new, mql = stage_of(body, stages.New), stage_of(body, stages.MQL)
        assert (new["sort"], mql["sort"]) == ("age", "position")
        assert [c["id"] for c in new["leads"]] == [leads[1].pk, leads[2].pk, leads[0].pk]

    def test_old_position_cursor_still_pages(self, board, stages, api):
        leads = aged_leads(board, stages.New, [1, 2, 3])
        first = leads[0]
        cursor = base64.urlsafe_b64encode(f"{first.position}:{first.pk}".encode()).decode()
        page = api.get(state_url(board, stage=stages.New.pk, cursor=cursor)).json()["stages"][0]
        assert [c["id"] for c in page["leads"]] == [leads[1].pk, leads[2].pk]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"sort": "name", "stage": "own"}, "sort"),
            ({"sort": "age"}, "stage"),
            (
                {"stage": "own", "cursor": b64(b"age|yesterday|4")},
                "cursor",
            ),
            (
                {
                    "stage": "own",
                    "cursor": b64(b"age|2026-01-01T00:00:00|4"),
                },
                "cursor",
            ),
            (
                {"stage": "own", "cursor": b64(b"value|NaN|4")},
                "cursor",
            ),
            ({"stage": "own", "cursor": b64(b"rank|3|4")}, "cursor"),
            ({"stage": "own", "cursor": b64(b"score|7|0")}, "cursor"),
            (
                {
                    "stage": "own",
                    "sort": "value",
                    "cursor": b64(b"score|7|3"),
                },
                "cursor",
            ),
        ],
    )
    def test_bad_sort_or_cursor_is_400(self, board, stages, api, query, field):
        query = {k: stages.New.pk if v == "own" else v for k, v in query.items()}
        error(api.get(state_url(board, **query)), 400, field)


@pytest.mark.django_db
class TestCardSortApi:
    def url(self, board) -> str:
        return f"/api/boards/{board.pk}/me/card-sort/"

    def test_put_then_get_and_state_follows(self, board, stages, viewer, owner):
        client = client_for(viewer)  # a viewer's sort is their own view: allowed
        assert client.get(self.url(board)).json() == {"sorts": {}}
        sorts = {
            str(stages.New.pk): "age",
            str(stages.MQL.pk): "position",
            str(stages.SQL.pk): "value",
        }
        response = client.put(self.url(board), {"sorts": sorts}, format="json")
        assert response.status_code == 200, response.content
        stored = {str(stages.New.pk): "age", str(stages.SQL.pk): "value"}
        assert response.json() == {"sorts": stored}
        assert BoardMembership.objects.get(board=board, user=viewer).card_sort == stored
        assert BoardMembership.objects.get(board=board, user=owner).card_sort == {}
        assert client.get(self.url(board)).json() == {"sorts": stored}
        body = client.get(state_url(board)).json()
        assert stage_of(body, stages.New)["sort"] == "age"
        assert stage_of(body, stages.SQL)["sort"] == "value"

    @pytest.mark.parametrize(
        "body",
        [
            {"sorts": {"foreign": "age"}},
            {"sorts": {"99999999": "age"}},
            {"sorts": {"abc": "age"}},
            {"sorts": {"own": "name"}},
            {"sorts": {"own": 3}},
            {"sorts": ["age"]},
            {"sorts": None},
            {},
        ],
    )
    def test_bad_input_is_400_and_stores_nothing(self, board, stages, owner, api, body):
        _, foreign_stage, _ = other_board()
        if body.get("sorts") and isinstance(body["sorts"], dict):
            replace = {"own": str(stages.New.pk), "foreign": str(foreign_stage.pk)}
            body = {"sorts": {replace.get(k, k): v for k, v in body["sorts"].items()}}
        response = api.put(self.url(board), body, format="json")
        answer = error(response, 400)
        assert "sorts" in answer
        assert BoardMembership.objects.get(board=board, user=owner).card_sort == {}

    def test_outsider_404(self, board, outsider):
        assert client_for(outsider).get(self.url(board)).status_code == 404
        response = client_for(outsider).put(self.url(board), {"sorts": {}}, format="json")
        assert response.status_code == 404


@pytest.mark.django_db
class TestQuickFilters:
    def test_overdue_filter_shows_the_overdue_leads_only(self, board, stages, owner, api):
        Stage.objects.filter(pk=stages.New.pk).update(sla_days=7)
        Stage.objects.filter(pk=stages.MQL.pk).update(sla_days=2)
        late = aged_leads(board, stages.New, [10, 20])
        aged_leads(board, stages.New, [1, 3], start=10)
        late_mql = aged_leads(board, stages.MQL, [4], start=20)
        Stage.objects.filter(pk=stages.SQL.pk).update(sla_days=None)
        aged_leads(board, stages.SQL, [400], start=30)  # no SLA: never overdue
        body = api.get(state_url(board, overdue=1)).json()
        shown = {c["id"] for s in body["stages"] for c in s["leads"]}
        assert shown == {lead.pk for lead in late + late_mql}
        new = stage_of(body, stages.New)
        assert new["count"] == new["overdue"] == 2

    def test_mine_and_overdue_combine(self, board, stages, owner, editor, api):
        Stage.objects.filter(pk=stages.New.pk).update(sla_days=7)
        [mine_late] = aged_leads(board, stages.New, [10], owner=owner)
        aged_leads(board, stages.New, [10], owner=editor, start=5)
        aged_leads(board, stages.New, [1], owner=owner, start=9)
        body = api.get(state_url(board, overdue=1, owner=owner.pk)).json()
        assert [c["id"] for c in stage_of(body, stages.New)["leads"]] == [mine_late.pk]

    @pytest.mark.parametrize("value", ["0", "yes", "2"])
    def test_bad_overdue_is_400(self, board, api, value):
        error(api.get(state_url(board, overdue=value)), 400, "overdue")

    def test_min_score_above_max_is_400(self, board, api):
        body = error(api.get(state_url(board, score_min=80, score_max=20)), 400, "score_min")
        assert "above the maximum" in body["detail"]
        # The numbers take the same filters.
        response = api.get(f"/api/boards/{board.pk}/funnel/?score_min=80&score_max=20")
        assert response.status_code == 400
